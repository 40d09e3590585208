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
    /// Overwrites every weight with the teacher's at the kept units (`keptUnits(of:widths:)`).
    /// Throws when the teacher is not at least as wide in every layer, or differs in classes or input channels.
    public func inheritUnits(of teacher: LeNet5) throws {
        try take(units: Self.keptUnits(of: teacher, widths: hiddenWidths), of: teacher)
    }

    /// Per layer (conv1, conv2, conv3, fc1, fc2), the units of `teacher` a LeNet-5 with these hidden
    /// widths keeps. Layer by layer, each output unit's L1 norm counts only the weights from inputs kept
    /// in the layer below; the largest units stay (ties keep the lower index), in the teacher's order.
    /// The classifier keeps every class.
    public static func keptUnits(of teacher: LeNet5, widths: [Int]) -> [[Int]] {
        var keptInputs = Array(0..<teacher.conv1.weight.shape[1]), units: [[Int]] = []
        for (i, layer) in teacher.weightLayers.enumerated() {
            let w = layer.parameterTensor("weight")
            let outs = w.shape[0], ins = w.shape[1], taps = w.count / (outs * ins)
            let kept = i == widths.count ? Array(0..<outs)
                : largest(Swift.min(widths[i], outs), of: (0..<outs).map { o in
                    keptInputs.reduce(Float(0)) { sum, c in
                        let start = (o * ins + c) * taps
                        return sum + w.data[start..<(start + taps)].reduce(0) { $0 + abs($1) }
                    }
                })
            units.append(kept)
            keptInputs = kept
        }
        return units
    }

    /// For each of `wide`'s parameters (in `namedParameters` order), the flat indices of the entries a
    /// LeNet-5 keeping `units` takes, in its own order: the same map carries weights and optimizer moments.
    public static func keptEntries(of wide: LeNet5, units: [[Int]]) -> [[Int]] {
        var keptInputs = Array(0..<wide.conv1.weight.shape[1]), entries: [[Int]] = []
        for (layer, kept) in zip(wide.weightLayers, units) {
            let w = layer.parameterTensor("weight")
            let ins = w.shape[1], taps = w.count / (w.shape[0] * ins)
            var weightEntries: [Int] = []
            weightEntries.reserveCapacity(kept.count * keptInputs.count * taps)
            for o in kept {
                for c in keptInputs { weightEntries += ((o * ins + c) * taps)..<((o * ins + c + 1) * taps) }
            }
            entries += [weightEntries, kept]   // weight, then bias
            keptInputs = kept
        }
        return entries
    }

    /// Overwrites every weight with `wide`'s at the given units (one list per layer, the classifier's last).
    public func take(units: [[Int]], of wide: LeNet5) throws {
        guard classes == wide.classes, conv1.weight.shape[1] == wide.conv1.weight.shape[1], units.count == 5,
              zip(hiddenWidths + [classes], units).allSatisfy({ $0 == $1.count }),
              zip(wide.hiddenWidths + [wide.classes], units).allSatisfy({ w, u in u.allSatisfy { (0..<w).contains($0) } }) else {
            throw PruningError(problem: "a \(width.rawValue) (\(classes) classes) cannot take its units from a \(wide.width.rawValue) (\(wide.classes) classes)")
        }
        for ((mine, theirs), entries) in zip(zip(parameters, wide.parameters), Self.keptEntries(of: wide, units: units)) {
            mine.data = entries.map { theirs.data[$0] }
        }
    }

    /// A copy whose `unitScales` are folded into the weights of the layer after each: the same function
    /// with no scales (s ≥ 0 commutes with ReLU and max pooling), so it saves and loads as a plain LeNet-5.
    public func foldingUnitScales() -> LeNet5 {
        var scratch = RNG(seed: 0)
        let copy = LeNet5(width, classes: classes, inChannels: conv1.weight.shape[1], rng: &scratch)
        for (mine, theirs) in zip(copy.parameters, parameters) { mine.data = theirs.data }
        guard let scales = unitScales else { return copy }
        for (next, s) in zip(copy.weightLayers.dropFirst(), scales) {
            let w = next.parameterTensor("weight")
            let outs = w.shape[0], ins = w.shape[1], taps = w.count / (outs * ins)
            for o in 0..<outs {
                for c in 0..<ins where s[c] != 1 {
                    for t in 0..<taps { w.data[(o * ins + c) * taps + t] *= s[c] }
                }
            }
        }
        return copy
    }

    /// The indices of the `k` largest scores, in increasing index order (ties keep the lower index).
    static func largest(_ k: Int, of scores: [Float]) -> [Int] {
        Array(scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k)).sorted()
    }

    fileprivate var weightLayers: [Layer] { [conv1, conv2, conv3, fc1, fc2] }
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
