import DAFLEngine

/// The plan of `--student-init gradual`: the student starts as the whole teacher, the units a pruned
/// student would not keep fade out (their outputs times 1 → 0, linearly over `fadeIterations`), and then
/// the student becomes exactly the half-width one, weights and optimizer moments carried over.
///
/// One-shot pruning (`--student-init teacher`) starts the student at 22.7 % and lets it relearn what
/// the dropped units did; fading lets the kept units take that over while the teacher's function is
/// still whole.
/// ```swift
/// let plan = GradualPruning(teacher: t, narrowWidths: [3, 8, 60, 42], fadeIterations: 500)
/// wide.unitScales = plan.scales(at: 100)           // dropped units at 0.8
/// let (half, opt) = try plan.narrow(wide, optimizer: adam, into: student) { Adam($0, lr: 2e-3) }
/// ```
struct GradualPruning {
    /// Per layer (conv1, conv2, conv3, fc1, fc2), the teacher's units the student keeps.
    let units: [[Int]]
    let fadeIterations: Int
    /// The teacher's hidden widths: the wide student's.
    let wideWidths: [Int]

    init(teacher: LeNet5, narrowWidths: [Int], fadeIterations: Int) {
        units = LeNet5.keptUnits(of: teacher, widths: narrowWidths)
        self.fadeIterations = fadeIterations
        wideWidths = teacher.hiddenWidths
    }

    /// Whether the student is still the wide one after `step` completed iterations.
    func isWide(at step: Int) -> Bool { step < fadeIterations }

    /// The multipliers of the wide student's hidden units for the iteration after `step`: 1 for kept
    /// units, 1 − step / fadeIterations (at least 0) for the others.
    func scales(at step: Int) -> [[Float]] {
        let fade = Float(Swift.max(0, 1 - Double(step) / Double(fadeIterations)))
        return zip(wideWidths, units).map { width, kept in
            var s = [Float](repeating: fade, count: width)
            for u in kept { s[u] = 1 }
            return s
        }
    }

    /// Moves the wide student's kept weights into `narrow`, and its optimizer's moments into a fresh
    /// optimizer over `narrow`'s parameters (same step count: Adam's bias correction carries on).
    func narrow(_ wide: LeNet5, optimizer: Optimizer, into narrow: LeNet5,
                makeOptimizer: ([Tensor]) -> Optimizer) throws -> Optimizer {
        try narrow.take(units: units, of: wide)
        let entries = LeNet5.keptEntries(of: wide, units: units)
        var state: [String: [Float]] = [:]
        for (key, values) in optimizer.stateTensors() {
            // Per-parameter state is named `<kind>.<parameter index>`; anything else (Adam's step) is shared.
            if let dot = key.lastIndex(of: "."), let i = Int(key[key.index(after: dot)...]), entries.indices.contains(i),
               values.count == wide.parameters[i].count {
                state[key] = entries[i].map { values[$0] }
            } else {
                state[key] = values
            }
        }
        let moved = makeOptimizer(narrow.parameters)
        moved.learningRate = optimizer.learningRate
        try moved.loadState(state)
        return moved
    }
}

/// An optimizer that trains only the given entries of its parameters; the others keep their values.
///
/// While a gradually pruned student fades, only the units it will keep learn: left trainable, the
/// dropped units' weights grow as their outputs fade (Adam undoes the fade), and the half-width student
/// left at the end has learned nothing from it (measured: 59 % at the switch after a 1,000-iteration fade).
/// ```swift
/// let opt = PartialOptimizer(Adam(wide.parameters, lr: 2e-3), training: LeNet5.keptEntries(of: wide, units: units))
/// ```
final class PartialOptimizer: Optimizer {
    let base: Optimizer
    /// Per parameter: 1 where the entry trains, 0 where it is held.
    private let masks: [[Float]]
    /// The held entries' values, restored after each step (weight decay would move them otherwise).
    private let held: [[(index: Int, value: Float)]]

    init(_ base: Optimizer, training entries: [[Int]]) {
        precondition(entries.count == base.parameters.count)
        self.base = base
        masks = zip(base.parameters, entries).map { p, kept in
            var m = [Float](repeating: 0, count: p.count)
            for i in kept { m[i] = 1 }
            return m
        }
        held = zip(base.parameters, masks).map { p, m in m.indices.filter { m[$0] == 0 }.map { ($0, p.data[$0]) } }
    }

    var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }
    var parameters: [Tensor] { base.parameters }

    func step() {
        for (p, m) in zip(parameters, masks) where p.grad != nil {
            p.grad!.withUnsafeMutableBufferPointer { g in
                m.withUnsafeBufferPointer { mp in for i in 0..<g.count { g[i] *= mp[i] } }
            }
        }
        base.step()
        for (p, kept) in zip(parameters, held) { for (i, v) in kept { p.data[i] = v } }
    }

    func stateTensors() -> [(String, [Float])] { base.stateTensors() }
    func loadState(_ state: [String: [Float]]) throws { try base.loadState(state) }
}
