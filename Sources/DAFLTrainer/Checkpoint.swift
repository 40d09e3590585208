import DAFLEngine
import Foundation

/// A resumable snapshot of a run: generator, student and both optimizers' state in one safetensors
/// file, and a small JSON sidecar (`checkpoint.json`) with the step, loss weights, RNG state and config.
///
/// The tensor file is written first under a step-numbered name, then the sidecar is renamed into
/// place: whatever moment a crash hits, `checkpoint.json` names a complete file.
public struct CheckpointInfo: Codable, Equatable, Sendable {
    public var step: Int
    /// The safetensors file, relative to the run directory.
    public var file: String
    public var weights: LossWeights
    public var lrG: Float
    public var lrS: Float
    /// xoshiro256** state as decimal strings (UInt64 does not survive JSON doubles).
    public var rng: [String]
    public var elapsed: Double
    public var bestStudentAccuracy: Double?
    public var lastStudentAccuracy: Double?
    /// Averaging steps of the student's weight average (`--student-ema`); nil without one.
    public var studentEMAUpdates: Int? = nil
    /// Each generator's single-class steps in a row, so a collapse half-counted at the checkpoint is
    /// reset at the same step after a resume; nil in checkpoints older than it (read as none).
    public var singleClassSteps: [Int]? = nil
    /// With `--select agreement`: the iterations whose students are kept, and the held-out pool's RNG state.
    public var selectionSteps: [Int]? = nil
    public var selectionRNG: [String]? = nil
    public var config: DistillConfig
    public var teacherPath: String
    public var dataDir: String
    public var runName: String

    public static let sidecarName = CheckpointFiles.sidecarName

    /// Reads and checks a run directory's sidecar and names the file and problem on failure.
    public static func load(runDir: URL) throws -> CheckpointInfo {
        let url = runDir.appendingPathComponent(sidecarName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WeightsError(file: url.path, problem: "no checkpoint in this run directory (nothing to resume)")
        }
        let info: CheckpointInfo
        do { info = try JSONDecoder().decode(CheckpointInfo.self, from: data) } catch {
            throw WeightsError(file: url.path, problem: "corrupt checkpoint sidecar: \(error)")
        }
        if let p = info.config.problems().first { throw WeightsError(file: url.path, problem: "damaged settings: \(p)") }
        guard info.step >= 0, info.step <= info.config.iterations, info.rng.count == 4 else {
            throw WeightsError(file: url.path, problem: "damaged: step \(info.step) of \(info.config.iterations), or RNG state")
        }
        return info
    }
}

enum Checkpoint {
    /// Tensor-name prefixes: the first generator keeps the names of a one-generator run (`generator.`, `opt_g.`),
    /// the others are numbered from 2 (`generator2.`, `opt_g2.`).
    static func generatorPrefix(_ i: Int) -> String { i == 0 ? "generator." : "generator\(i + 1)." }
    static func optimizerPrefix(_ i: Int) -> String { i == 0 ? "opt_g." : "opt_g\(i + 1)." }

    /// Writes the tensors, then the sidecar; removes older tensor files. Returns the tensor file's URL.
    static func save(runDir: URL, info: CheckpointInfo, generators: [Generator], conditional: ConditionalGenerator?, student: any Classifier,
                     studentAverage: Model?, generatorOptimizers: [Optimizer], studentOptimizer: Optimizer, replay: ReplayBuffer,
                     selection: [(String, [Int], [Float])] = []) throws -> URL {
        var tensors = CheckpointFiles.Tensors()
        for (i, g) in generators.enumerated() { tensors.add(model: g, prefix: generatorPrefix(i)) }
        // The noise conditioning adds its embedding (the first targeted runs' name); the batch-norm one its whole
        // generator, per-class norms included, under `cgenerator.`.
        switch conditional?.conditioning {
        case .noise?: tensors.all.append(("label_emb.weight", conditional!.labelEmbedding.weight.shape, conditional!.labelEmbedding.weight.data))
        case .batchNorm?: tensors.add(model: conditional!, prefix: "cgenerator.")
        case nil: break
        }
        tensors.add(model: student, prefix: "student.")
        if let studentAverage { tensors.add(model: studentAverage, prefix: "student_avg.") }
        for (i, o) in generatorOptimizers.enumerated() { tensors.add(optimizer: o, prefix: optimizerPrefix(i)) }
        tensors.add(optimizer: studentOptimizer, prefix: "opt_s.")
        tensors.all += replay.stateTensors()
        tensors.all += selection
        return try CheckpointFiles.write(tensors, kind: "dafl-checkpoint", step: info.step, file: info.file, sidecar: info, runDir: runDir)
    }

    /// Restores models and optimizers from the sidecar's tensor file.
    static func restore(runDir: URL, info: CheckpointInfo, generators: [Generator], conditional: ConditionalGenerator?, student: any Classifier,
                        studentAverage: Model?,
                        generatorOptimizers: [Optimizer], studentOptimizer: Optimizer, replay: inout ReplayBuffer,
                        selection: inout StudentSelection?, selectionParameters: Int) throws {
        let url = runDir.appendingPathComponent(info.file)
        let file = try Safetensors.read(url)
        for (i, g) in generators.enumerated() {
            try g.load(stateDict: file.part(generatorPrefix(i)), source: url.path + " (generator \(i + 1))")
        }
        try student.load(stateDict: file.part("student."), source: url.path + " (student)")
        try studentAverage?.load(stateDict: file.part("student_avg."), source: url.path + " (student's weight average)")
        if let conditional, conditional.conditioning == .noise {
            let labelEmbedding = conditional.labelEmbedding
            guard let e = file.tensors["label_emb.weight"], e.shape == labelEmbedding.weight.shape else {
                throw WeightsError(file: url.path, problem: "a targeted run's checkpoint needs label_emb.weight \(labelEmbedding.weight.shape)")
            }
            labelEmbedding.weight.data = e.values
        } else if let conditional {
            try conditional.load(stateDict: file.part("cgenerator."), source: url.path + " (class-conditional generator)")
        }
        do {
            for (i, o) in generatorOptimizers.enumerated() { try o.loadState(file.part(optimizerPrefix(i)).mapValues(\.values)) }
            try studentOptimizer.loadState(file.part("opt_s.").mapValues(\.values))
        } catch let e as WeightsError {
            throw WeightsError(file: url.path, problem: e.problem)
        }
        replay.restore(file.tensors)
        if selection != nil {
            try selection!.restore(file.tensors, steps: info.selectionSteps ?? [], parameterCount: selectionParameters, file: url.path)
            let words = (info.selectionRNG ?? []).compactMap(UInt64.init)
            guard words.count == 4 else { throw WeightsError(file: url.path, problem: "the --select agreement pool's RNG state is damaged") }
            selection!.rng.state = words
        }
    }
}
