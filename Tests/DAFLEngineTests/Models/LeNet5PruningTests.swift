import Testing
@testable import DAFLEngine

@Suite struct LeNet5PruningTests {
    @Test func largestKeepsTheBiggestScoresInIndexOrder() {
        #expect(LeNet5.largest(3, of: [0.5, 3, 1, 3, 0.1, 2]) == [1, 3, 5])
        #expect(LeNet5.largest(2, of: [1, 1, 1, 1]) == [0, 1])   // ties keep the lower index
        #expect(LeNet5.largest(4, of: [4, 3, 2, 1]) == [0, 1, 2, 3])
    }

    /// A teacher whose dropped units are silent (zero weights and bias) computes exactly what its kept
    /// units compute, so the pruned student must give the teacher's logits: this checks which units are
    /// kept and that every weight between kept units lands in its place.
    @Test func aTeacherWithSilentUnitsPrunesToTheSameFunction() throws {
        var rng = RNG(seed: 3)
        let teacher = LeNet5(.full, rng: &rng)
        let silent: [(Layer, [Int])] = [(teacher.conv1, [0, 2, 5]), (teacher.conv2, Array(stride(from: 1, to: 16, by: 2))),
                                        (teacher.conv3, Array(60..<120)), (teacher.fc1, Array(0..<42))]
        for (layer, units) in silent {
            for (_, p) in layer.parameters {
                let per = p.count / p.shape[0]
                for u in units { for i in (u * per)..<((u + 1) * per) { p.data[i] = 0 } }
            }
        }
        let student = LeNet5(.half, rng: &rng)
        try student.inheritUnits(of: teacher)
        let kept: [Float] = [1, 3, 4].flatMap { (u: Int) -> [Float] in Array(teacher.conv1.weight.data[(u * 25)..<((u + 1) * 25)]) }
        #expect(student.conv1.weight.data == kept)
        #expect(student.fc2.bias.data == teacher.fc2.bias.data)
        let x = Tensor(shape: [2, 1, 32, 32], data: rng.normal(count: 2048))
        let (want, got) = GradMode.noGrad { (teacher(x), student(x)) }
        #expect(zip(want.data, got.data).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
        #expect(want.data.contains { abs($0) > 0.01 })
    }

    @Test func aNarrowerTeacherIsRefused() {
        var rng = RNG(seed: 1)
        let half = LeNet5(.half, rng: &rng), full = LeNet5(.full, rng: &rng)
        #expect(throws: PruningError.self) { try full.inheritUnits(of: half) }
        let eleven = LeNet5(.full, classes: 11, rng: &rng)
        #expect(throws: PruningError.self) { try half.inheritUnits(of: eleven) }
    }
}
