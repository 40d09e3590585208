import Foundation
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

    /// The shipped teacher pruned here and by PyTorch code (scripts/make_pruning_fixture.py) keeps the
    /// same units, and every student weight is the teacher's weight between those units.
    @Test func theShippedTeacherPrunesAsInPyTorch() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let teacher = try ModelFile.loadClassifier(repo.appendingPathComponent("models/teacher-fashion-lenet5.safetensors")).model
        let url = try #require(Bundle.module.url(forResource: "lenet5_pruned_units", withExtension: "json", subdirectory: "Fixtures"))
        let units = try JSONDecoder().decode([String: [Int]].self, from: Data(contentsOf: url))
        var rng = RNG(seed: 0)
        let student = LeNet5(.half, rng: &rng)
        try student.inheritUnits(of: teacher)
        let pairs: [(String, Layer, Layer)] = [("conv1", student.conv1, teacher.conv1), ("conv2", student.conv2, teacher.conv2),
                                               ("conv3", student.conv3, teacher.conv3), ("fc1", student.fc1, teacher.fc1), ("fc2", student.fc2, teacher.fc2)]
        var inputs = [0]
        for (name, mine, theirs) in pairs {
            let outs = name == "fc2" ? Array(0..<10) : try #require(units[name])
            let w = theirs.parameters[0].1, b = theirs.parameters[1].1
            let taps = w.count / (w.shape[0] * w.shape[1])
            var want: [Float] = []
            for o in outs { for c in inputs { want += w.data[((o * w.shape[1] + c) * taps)..<((o * w.shape[1] + c + 1) * taps)] } }
            #expect(mine.parameters[0].1.data == want, "\(name).weight")
            #expect(mine.parameters[1].1.data == outs.map { b.data[$0] }, "\(name).bias")
            inputs = outs
        }
    }

    @Test func aNarrowerTeacherIsRefused() {
        var rng = RNG(seed: 1)
        let half = LeNet5(.half, rng: &rng), full = LeNet5(.full, rng: &rng)
        #expect(throws: PruningError.self) { try full.inheritUnits(of: half) }
        let eleven = LeNet5(.full, classes: 11, rng: &rng)
        #expect(throws: PruningError.self) { try half.inheritUnits(of: eleven) }
    }
}

/// The pieces of gradual pruning: units faded by a constant, the fade folded into weights, and the
/// switch to the narrow net, which must compute what the wide one does once the dropped units reach 0.
@Suite struct UnitScaleTests {
    @Test func scalingUnitsMatchesPyTorch() throws {
        let f = try Fixture("unit_scale")
        let s = f.values("scales")
        for rank in ["4", "2"] {
            let x = f.tensor("x" + rank, grad: true)
            let y = x.scalingUnits(by: s)
            expectClose(y.data, f.values("y" + rank), "forward, rank \(rank)")
            y.backward(seed: f.values("gout" + rank))
            expectClose(x.grad ?? [], f.values("dx" + rank), "dx, rank \(rank)")
        }
    }

    @Test func finiteDifferences() {
        gradCheck([randn([2, 3, 2, 3], seed: 90)]) { $0[0].scalingUnits(by: [0.5, 0, 2]) }
        gradCheck([randn([4, 3], seed: 91)]) { $0[0].scalingUnits(by: [1, 0.3, -1]) }
    }

    /// Scales of 1 change nothing; folding any scales into the next layers gives the scaled net's logits.
    @Test func foldedScalesComputeTheSameFunction() throws {
        var rng = RNG(seed: 11)
        let net = LeNet5(.full, rng: &rng)
        let x = Tensor(shape: [3, 1, 32, 32], data: rng.normal(count: 3 * 1024))
        let plain = GradMode.noGrad { net(x).data }
        net.unitScales = net.hiddenWidths.map { [Float](repeating: 1, count: $0) }
        #expect(GradMode.noGrad { net(x).data } == plain)
        net.unitScales = net.hiddenWidths.map { w in (0..<w).map { Float($0 % 3) * 0.4 } }
        let scaled = GradMode.noGrad { net(x).data }
        let folded = net.foldingUnitScales()
        #expect(folded.unitScales == nil)
        expectClose(GradMode.noGrad { folded(x).data }, scaled, "folded logits")
        #expect(zip(scaled, plain).contains { abs($0 - $1) > 0.01 })   // the scales did change the function
    }

    /// With every dropped unit at 0 the wide net is the narrow one: `take(units:of:)` must give its logits.
    @Test func theNarrowNetIsTheWideOneWithItsDroppedUnitsAtZero() throws {
        var rng = RNG(seed: 12)
        let wide = LeNet5(.full, rng: &rng), narrow = LeNet5(.half, rng: &rng)
        let units = LeNet5.keptUnits(of: wide, widths: narrow.hiddenWidths)
        #expect(units.map(\.count) == [3, 8, 60, 42, 10])
        wide.unitScales = zip(wide.hiddenWidths, units).map { w, kept in (0..<w).map { kept.contains($0) ? 1 : 0 } }
        try narrow.take(units: units, of: wide)
        let x = Tensor(shape: [2, 1, 32, 32], data: rng.normal(count: 2048))
        expectClose(GradMode.noGrad { narrow(x).data }, GradMode.noGrad { wide(x).data }, "logits")
        #expect(throws: PruningError.self) { try narrow.take(units: [[0, 1, 2]], of: wide) }
        #expect(throws: PruningError.self) { try narrow.take(units: units.enumerated().map { $0 == 0 ? [0, 1, 6] : $1 }, of: wide) }
    }
}
