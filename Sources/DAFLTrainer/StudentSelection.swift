import DAFLEngine
import Foundation

/// Label-free model selection (`--select agreement`): the run keeps a copy of its student at every evaluation,
/// and a pool of generated images it never trains on; at its end it delivers the copy that agrees most with the
/// teacher on that pool. Test labels play no part, so the choice is as data-free as the training.
///
/// The pool's noise comes from a stream of its own and the generator's batch-norm statistics are put back after
/// each draw, so a run trains exactly as it would without selection; only the student it delivers can differ.
///
/// ```swift
/// var s = StudentSelection(seed: 7)
/// s.collect(generators: [g], conditional: nil, teacher: t, latent: 100, batch: 128)
/// s.keep(step: 120, student: student)
/// let (step, agreements) = s.choose(student: student)   // loads the chosen copy into `student`
/// ```
struct StudentSelection {
    /// Generated batches added to the pool at each evaluation.
    static let batchesPerEvaluation = 2

    /// The pool's own random stream (the run's RNG would shift every later draw of the run).
    var rng: RNG
    /// Held-out generated images, one after another, and the teacher's class for each.
    private(set) var pool: [Float] = []
    private(set) var poolClasses: [Int] = []
    /// The student's weights (its state dict's values, in order) at each evaluation.
    private(set) var candidates: [(step: Int, weights: [[Float]])] = []

    init(seed: UInt64) { rng = RNG(seed: seed ^ 0x5E1E_C7ED_5E1E_C7ED) }

    /// Draws `batchesPerEvaluation` batches from the generators (in turn), labels them by the teacher, and adds them
    /// to the pool. Batch-norm running statistics are restored, so the saved generator is the one trained.
    mutating func collect(generators: [Generator], conditional: ConditionalGenerator?, teacher: any Classifier, latent: Int, batch: Int) {
        for b in 0..<Self.batchesPerEvaluation {
            let g = generators[b % generators.count], c = b % generators.count == 0 ? conditional : nil
            let (images, logits) = FreshBatches.draw(from: g, conditional: c, teacher: teacher, latent: latent, batch: batch, rng: &rng)
            pool += images
            poolClasses += ReplayBuffer.teacherClasses(logits, classes: teacher.classes)
        }
    }

    /// Keeps a copy of the student as it is now.
    mutating func keep(step: Int, student: any Classifier) {
        candidates.append((step, student.stateDict.map { $0.1.data }))
    }

    /// The percent of the pool on which `student` gives the teacher's class.
    func agreement(of student: any Classifier, side: Int) -> Double {
        guard !poolClasses.isEmpty else { return 0 }
        let data = Dataset(images: pool, labels: poolClasses, side: side, classes: student.classes,
                           channels: pool.count / (poolClasses.count &* side &* side))
        return Classification.predictions(student, on: data).accuracy * 100
    }

    /// Scores every kept copy on the whole pool, loads the best into `student` (the latest of equals) and returns
    /// its step and every copy's agreement. Nil, `student` untouched, when nothing was kept.
    mutating func choose(student: any Classifier, side: Int) -> (step: Int, agreements: [(step: Int, agreement: Double)])? {
        guard !candidates.isEmpty else { return nil }
        let params = student.stateDict.map(\.1)
        var scores: [(step: Int, agreement: Double)] = []
        for c in candidates {
            for (t, w) in zip(params, c.weights) { t.data = w }
            scores.append((c.step, agreement(of: student, side: side)))
        }
        let best = scores.indices.max { scores[$0].agreement < scores[$1].agreement || (scores[$0].agreement == scores[$1].agreement && $0 < $1) }!
        for (t, w) in zip(params, candidates[best].weights) { t.data = w }
        return (scores[best].step, scores)
    }

    // MARK: Checkpoints

    func stateTensors(imageShape: [Int]) -> [(String, [Int], [Float])] {
        var out: [(String, [Int], [Float])] = [
            ("select.pool", [poolClasses.count] + imageShape, pool),
            ("select.pool_classes", [poolClasses.count], poolClasses.map(Float.init)),
        ]
        for c in candidates {
            for (i, w) in c.weights.enumerated() { out.append(("select.candidate.\(c.step).\(i)", [w.count], w)) }
        }
        return out
    }

    /// Restores the pool and copies saved at `steps` (the sidecar lists them); throws naming what is missing.
    mutating func restore(_ t: [String: (shape: [Int], values: [Float])], steps: [Int], parameterCount: Int, file: String) throws {
        guard let p = t["select.pool"], let c = t["select.pool_classes"] else {
            throw WeightsError(file: file, problem: "a --select agreement checkpoint needs select.pool and select.pool_classes")
        }
        pool = p.values; poolClasses = c.values.map { Int($0) }
        candidates = try steps.map { step in
            try (step, (0..<parameterCount).map { i in
                guard let w = t["select.candidate.\(step).\(i)"] else {
                    throw WeightsError(file: file, problem: "missing select.candidate.\(step).\(i) (the student kept at iteration \(step))")
                }
                return w.values
            })
        }
    }
}
