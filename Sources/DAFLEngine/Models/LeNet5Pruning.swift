/// Starting a narrow LeNet-5 from a wide one's weights: every unit of the student is a unit of the
/// teacher, kept by the size of its weights (L1 norm), with the weights that connect kept units.
///
/// No data is involved, only the teacher's weights. The student then starts with filters the teacher
/// learned on real images, where a randomly initialised student learns its filters from generated
/// images alone. Pruned this way the shipped teacher's half-width student measures 22.7 % before any
/// training; docs/PRESETS.md has what distillation makes of it.
/// ```swift
/// let student = LeNet5(.half, rng: &rng)
/// try student.inheritUnits(of: teacher)   // conv1 keeps 3 of 6 filters, conv2 8 of 16, …
/// ```
extension LeNet5 {
    /// Overwrites every weight with the teacher's at the kept units. Layer by layer, each output unit's
    /// L1 norm counts only the weights from inputs kept in the layer below; the largest units stay
    /// (ties keep the lower index), in the teacher's order. The classifier keeps every class.
    /// Throws when the teacher is not at least as wide in every layer, or differs in classes or input channels.
    public func inheritUnits(of teacher: LeNet5) throws {
        let pairs: [(mine: Layer, theirs: Layer)] = [(conv1, teacher.conv1), (conv2, teacher.conv2), (conv3, teacher.conv3),
                                                     (fc1, teacher.fc1), (fc2, teacher.fc2)]
        guard classes == teacher.classes, conv1.weight.shape[1] == teacher.conv1.weight.shape[1],
              zip(layers, teacher.layers).allSatisfy({ $0.1.weightShape[0] <= $1.1.weightShape[0] }) else {
            throw PruningError(problem: "a \(width.rawValue) (\(classes) classes) cannot take its units from a \(teacher.width.rawValue) (\(teacher.classes) classes)")
        }
        var keptInputs = Array(0..<teacher.conv1.weight.shape[1])
        for (i, (mine, theirs)) in pairs.enumerated() {
            let w = theirs.parameterTensor("weight"), b = theirs.parameterTensor("bias")
            let outs = w.shape[0], ins = w.shape[1], taps = w.count / (outs * ins)
            let wanted = mine.parameterTensor("weight").shape[0]
            let kept = i == pairs.count - 1 ? Array(0..<outs)
                : Self.largest(wanted, of: (0..<outs).map { o in
                    keptInputs.reduce(Float(0)) { sum, c in
                        let start = (o * ins + c) * taps
                        return sum + w.data[start..<(start + taps)].reduce(0) { $0 + abs($1) }
                    }
                })
            var weights: [Float] = []
            weights.reserveCapacity(kept.count * keptInputs.count * taps)
            for o in kept {
                for c in keptInputs { weights += w.data[((o * ins + c) * taps)..<((o * ins + c + 1) * taps)] }
            }
            mine.parameterTensor("weight").data = weights
            mine.parameterTensor("bias").data = kept.map { b.data[$0] }
            keptInputs = kept
        }
    }

    /// The indices of the `k` largest scores, in increasing index order (ties keep the lower index).
    static func largest(_ k: Int, of scores: [Float]) -> [Int] {
        Array(scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k)).sorted()
    }
}

/// A student that cannot take its units from the given teacher.
public struct PruningError: Error, CustomStringConvertible {
    public let problem: String
    public var description: String { problem }
}

private extension Layer {
    var weightShape: [Int] { parameterTensor("weight").shape }
    func parameterTensor(_ name: String) -> Tensor { parameters.first { $0.0 == name }!.1 }
}
