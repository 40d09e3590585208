import DAFLEngine
import Foundation
import RunEvents

/// What a conditional-GAN run records besides training: how often it measures, shows and saves.
public struct CGANRunSettings: Codable, Equatable, Sendable {
    /// Fréchet distance (and teacher agreement) every N steps and at the end; needs a teacher.
    public var fdEvery = 500
    /// Generated images per class for each measurement.
    public var fdSamples = 500
    /// A `samples` event (images per class, with the teacher's label) every N steps.
    public var samplesEvery = 100
    public var samplesPerClass = 2
    public var checkpointEvery = 500
    public init() {}

    /// Problems with the settings, as messages naming the flag; empty when valid.
    public func problems() -> [String] {
        var p: [String] = []
        if fdEvery < 1 || samplesEvery < 1 || checkpointEvery < 1 || samplesPerClass < 1 {
            p.append("--fd-every, --samples-every and --checkpoint-every must be positive")
        }
        if fdSamples < 2 || fdSamples > 100_000 || samplesPerClass > 64 { p.append("--fd-samples must be at least 2 (and at most 100000)") }
        return p
    }
}

/// A resumable snapshot of a conditional-GAN run: the sidecar `checkpoint.json` names a safetensors
/// file with the generator, its weight average, the discriminator and both optimizers' state.
public struct CGANCheckpointInfo: Codable, Equatable, Sendable {
    public var kind = "cgan-train"
    public var step: Int
    public var file: String
    public var config: CGANConfig
    public var settings: CGANRunSettings
    public var lrG: Float, lrD: Float
    /// The trainer's and the measurement's xoshiro256** states, as decimal strings.
    public var rng: [String], measureRng: [String]
    public var emaUpdates: Int
    public var elapsed: Double
    public var dataDir: String
    public var perClass: Int?
    public var teacherPath: String?
    public var runName: String
    /// A CcGAN run (regression): its vicinity and embedding settings, and the task that made its data.
    public var ccgan: CcGANSettings? = nil
    public var task: RegressionTaskInfo? = nil

    public static let sidecarName = CheckpointFiles.sidecarName

    /// Reads a run directory's sidecar, naming the file and the problem on failure.
    public static func load(runDir: URL) throws -> CGANCheckpointInfo {
        let url = runDir.appendingPathComponent(sidecarName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WeightsError(file: url.path, problem: "no checkpoint in this run directory (nothing to resume)")
        }
        let info: CGANCheckpointInfo
        do { info = try JSONDecoder().decode(CGANCheckpointInfo.self, from: data) } catch {
            throw WeightsError(file: url.path, problem: "not a conditional-GAN checkpoint or corrupt: \(error)")
        }
        guard info.kind == "cgan-train" else { throw WeightsError(file: url.path, problem: "a \(info.kind) checkpoint, not a conditional GAN's") }
        // Values a resumed run divides by or allocates from (a fuzz-target regression seed: a zero --checkpoint-every).
        if let p = (info.config.problems() + info.settings.problems() + (info.ccgan?.problems() ?? []) + (info.task?.problems() ?? [])).first {
            throw WeightsError(file: url.path, problem: "damaged settings: \(p)")
        }
        guard info.step >= 0, info.step <= info.config.iterations, info.rng.count == 4, info.measureRng.count == 4 else {
            throw WeightsError(file: url.path, problem: "damaged: step \(info.step) of \(info.config.iterations), or RNG state")
        }
        return info
    }
}

/// A conditional-GAN training run that can be paused, stepped, re-tuned (both learning rates),
/// checkpointed and resumed, emitting run events for the log and the dashboard: `metrics` (stage
/// `gan`) every step with the hinge losses and scores, `metrics` with the Fréchet distance in the
/// teacher's feature space (overall and per class) and the teacher's agreement with the conditioning
/// label, `samples` per class, and the usual config, control, checkpoint, halt and end events.
/// ```swift
/// let run = try CGANRun(trainer: CGANTrainer(config: c, data: subset), teacher: t, runDir: dir, … sink: log)
/// run.send(.scale(.lrG, 0.5), source: "keyboard")
/// let state = run.run()
/// ```
// Sendable: other threads only `send` (through `RunControl`) and read `state`; the rest belongs to the training thread.
public final class CGANRun: @unchecked Sendable {
    public let trainer: any ConditionalGANTraining
    public let teacher: LeNet5?
    public let settings: CGANRunSettings
    public let runDir: URL
    public let runName: String
    public let dataDir: String
    public let perClass: Int?
    public let teacherPath: String?
    public let preprocessing: Preprocessing
    public var classNames: [String] = []
    /// The regression task a CcGAN run's data came from (recorded in the config and checkpoints).
    public let task: RegressionTaskInfo?
    let quality: GeneratorQuality?
    let sink: (RunEvent) -> Void
    let control = RunControl()
    var measureRng: RNG
    let elapsedBefore: Double
    let started = Date()
    let resumed: Bool
    public private(set) var lastCheckpoint: String?
    /// The checkpoint's total when a resume changed it (logged as a `set` of `iterations`).
    private var iterationsBefore: Int?
    /// The latest overall Fréchet distance, if measured.
    public private(set) var lastDistance: Double?
    private var stopReason = "stopped"
    private var recentStepTimes: [Double] = []

    /// The preset written in the config event; the dashboard picks its cGAN panels by it.
    public static let preset = "cgan-train"
    /// The preset of a CcGAN (continuous-label) run.
    public static let regressionPreset = "ccgan-train"
    public var preset: String { trainer is CcGANTrainer ? Self.regressionPreset : Self.preset }

    public var step: Int { trainer.step }
    public var state: TrainerState { control.state }
    public var elapsed: Double { elapsedBefore + Date().timeIntervalSince(started) }

    /// A fresh run, or (with `resume`) the one saved in `runDir`, whose trainer must have been built
    /// with the checkpoint's config.
    public init(trainer: any ConditionalGANTraining, teacher: LeNet5?, settings: CGANRunSettings, preprocessing: Preprocessing, runDir: URL,
                runName: String, dataDir: String, perClass: Int?, teacherPath: String?, resume: CGANCheckpointInfo? = nil,
                task: RegressionTaskInfo? = nil, sink: @escaping (RunEvent) -> Void) throws {
        self.task = task
        (self.trainer, self.teacher, self.settings, self.preprocessing) = (trainer, teacher, settings, preprocessing)
        (self.runDir, self.runName, self.dataDir, self.perClass, self.teacherPath, self.sink) = (runDir, runName, dataDir, perClass, teacherPath, sink)
        var quality: GeneratorQuality? = nil
        if let teacher {
            teacher.setTraining(false)
            if let classes = trainer as? CGANTrainer {
                guard teacher.classes == classes.data.classes else {
                    throw WeightsError(file: teacherPath ?? "teacher", problem: "has \(teacher.classes) classes, the data \(classes.data.classes)")
                }
                quality = GeneratorQuality(teacher: teacher, real: classes.data)
            } else if teacher.classes != 1 {
                throw WeightsError(file: teacherPath ?? "teacher", problem: "is a classifier (\(teacher.classes) classes); a CcGAN run measures with a regressor")
            }
        }
        self.quality = quality
        measureRng = RNG(seed: trainer.config.seed &+ 7)
        if let info = resume {
            try Self.restore(info, runDir: runDir, into: trainer)
            let words = info.measureRng.compactMap(UInt64.init)
            guard words.count == 4 else { throw WeightsError(file: runDir.path, problem: "checkpoint RNG state is damaged") }
            measureRng.state = words
            elapsedBefore = info.elapsed
            lastCheckpoint = runDir.appendingPathComponent(info.file).path
            iterationsBefore = info.config.iterations
        } else {
            elapsedBefore = 0
        }
        resumed = resume != nil
    }

    // MARK: Control

    /// Queues a command for the next step boundary (any thread).
    public func send(_ command: TrainerCommand, source: String = "keyboard") { control.send(command, source: source) }

    /// Obeys the command file at `path` (`ControlFile`) from now on, as `dafl watch` and scripts steer it.
    public func listen(toCommandFile path: String) { control.listen(toCommandFile: path) }

    /// Applies queued commands (the learning rates are this run's live values); returns whether one step was asked for.
    private func drainInbox() -> Bool {
        let applied = control.apply(step: step, time: { elapsed }, sink: sink, tune: { key, v, scale in
            let optimizer: Adam
            switch key {
            case .lrG: optimizer = trainer.optimizerG
            case .lrD: optimizer = trainer.optimizerD
            default: return nil   // not a value this run has
            }
            let old = optimizer.learningRate, new = scale ? old * v : v
            guard new.isFinite, new > 0 else { return nil }
            optimizer.learningRate = new
            return (old, new)
        }, checkpoint: { saveCheckpointReporting(reason: "requested") })
        if let reason = applied.stopReason { stopReason = reason }
        return applied.stepOnce
    }

    // MARK: Running

    /// The configuration as strings, for the config event.
    public var settingStrings: [String: String] {
        let c = trainer.config
        var s: [String: String] = [
            "iterations": "\(c.iterations)", "batch": "\(c.batch)", "latent": "\(c.latent)", "generator_width": "\(c.generatorWidth)",
            "discriminator_width": "\(c.discriminatorWidth)", "lr_g": "\(c.lrG)", "lr_d": "\(c.lrD)", "beta1": "\(c.beta1)",
            "beta2": "\(c.beta2)", "d_steps": "\(c.dSteps)", "seed": "\(c.seed)", "conditioning": c.conditioning,
            "ema_decay": "\(c.emaDecay)", "ema_start": "\(c.emaStart)", "fd_every": "\(settings.fdEvery)",
            "fd_samples": "\(settings.fdSamples)", "samples_every": "\(settings.samplesEvery)",
            "checkpoint_every": "\(settings.checkpointEvery)", "data": dataDir, "train_images": "\(trainer.trainCount)",
        ]
        if let perClass { s["per_class"] = "\(perClass)" }
        if let teacherPath { s["teacher"] = teacherPath }
        if let cc = trainer as? CcGANTrainer { for (k, v) in cc.settingStrings { s[k] = v } }
        if let task { for (k, v) in task.settingStrings { s[k] = v } }
        return s
    }

    /// Trains to the last step, a stop, a non-finite loss or a checkpoint it cannot write; blocks while
    /// paused. Saves a checkpoint and the final generator except after a halt.
    @discardableResult
    public func run(startPaused: Bool = false) -> TrainerState {
        control.reset(to: startPaused ? .paused : .running)
        sink(.config(ConfigEvent(step: step, time: elapsed, run: runName, preset: preset, settings: settingStrings,
                                 classNames: classNames, resumed: resumed, teacherAccuracy: nil)))
        if resumed { sink(.control(ControlEvent(step: step, time: elapsed, action: "resume-run", source: "cli"))) }
        if let old = iterationsBefore, old != trainer.config.iterations {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "set", key: "iterations", old: Double(old),
                                       new: Double(trainer.config.iterations), source: "cli")))
        }
        if step == 0 { emitSamples() }
        while step < trainer.config.iterations {
            let once = drainInbox()
            let s = control.state
            if s == .stopped { break }
            if s == .paused && !once { control.waitForCommand(); continue }
            let t0 = Date()
            let r = trainer.trainStep()
            guard r.dLoss.isFinite, r.gLoss.isFinite else {
                control.setState(.halted)
                sink(.halt(HaltEvent(step: step - 1, time: elapsed, reason: "non-finite-loss",
                                     detail: "at step \(step): D loss \(r.dLoss), G loss \(r.gLoss); the weights of this step are not saved",
                                     safeCheckpoint: lastCheckpoint)))
                sink(.end(EndEvent(step: step - 1, time: elapsed, reason: "halted", bestStudentAccuracy: nil, lastStudentAccuracy: nil)))
                return .halted
            }
            recentStepTimes.append(Date().timeIntervalSince(t0))
            if recentStepTimes.count > 20 { recentStepTimes.removeFirst() }
            let rate = Double(recentStepTimes.count) / Swift.max(1e-9, recentStepTimes.reduce(0, +))
            sink(.metrics(MetricsEvent(step: step, time: elapsed, stage: "gan", values: [
                "d_loss": Double(r.dLoss), "g_loss": Double(r.gLoss), "real_score": Double(r.realScore), "fake_score": Double(r.fakeScore),
                "lr_g": Double(trainer.optimizerG.learningRate), "lr_d": Double(trainer.optimizerD.learningRate), "steps_per_second": rate,
            ])))
            if step % settings.samplesEvery == 0 { emitSamples() }
            if step % settings.fdEvery == 0 || step == trainer.config.iterations { measure() }
            if step % settings.checkpointEvery == 0 && step < trainer.config.iterations,
               let error = saveCheckpointReporting(reason: "periodic") {
                return haltOnWriteFailure(error)
            }
        }
        if control.state != .stopped { control.setState(.completed) }
        let completed = control.state == .completed
        var failure = saveCheckpointReporting(reason: completed ? "final" : stopReason)
        do { try writeFinalModels() } catch { failure = failure ?? error }
        if let failure { return haltOnWriteFailure(failure) }
        sink(.end(EndEvent(step: step, time: elapsed, reason: completed ? "completed" : stopReason, bestStudentAccuracy: nil, lastStudentAccuracy: nil)))
        return control.state
    }

    /// The Fréchet distance of the sampled generator (and of the trained one, when averaging), per class,
    /// and how often the teacher predicts the class asked for.
    public func measure() {
        if let cc = trainer as? CcGANTrainer {
            guard let teacher else { return }
            let mae = cc.labelError(teacher: teacher, samples: Swift.min(settings.fdSamples * 10, 2000), rng: &measureRng)
            sink(.metrics(MetricsEvent(step: step, time: elapsed, stage: "gan", values: ["label_mae": Double(mae)])))
            return
        }
        guard let quality, let teacher, let trainer = trainer as? CGANTrainer else { return }
        let (overall, perClass) = quality.measure(trainer.sampler, samplesPerClass: settings.fdSamples, rng: &measureRng)
        var values = ["fd": overall]
        if trainer.average != nil {
            values["fd_trained"] = quality.measure(trainer.generator, samplesPerClass: settings.fdSamples, rng: &measureRng).overall
        }
        // Agreement on a fresh mixed-label batch per class.
        let labels = (0..<trainer.data.classes).flatMap { [Int](repeating: $0, count: Swift.min(settings.fdSamples, 100)) }
        let (_, predicted) = TeacherFilter.score(teacher: teacher, images: trainer.sampler.sample(labels: labels, rng: &measureRng), labels: labels)
        values["agreement"] = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count) * 100
        lastDistance = overall
        sink(.metrics(MetricsEvent(step: step, time: elapsed, stage: "gan", values: values, perClass: ["fd": perClass])))
    }

    /// A few images per class from the sampled generator, with the teacher's label and confidence.
    func emitSamples() {
        let n = settings.samplesPerClass
        guard n > 0 else { return }
        if let cc = trainer as? CcGANTrainer {
            sink(.samples(cc.sweepSamples(count: 5 * n, teacher: teacher, preprocessing: preprocessing, step: step, time: elapsed, rng: &measureRng)))
            return
        }
        guard let trainer = trainer as? CGANTrainer else { return }
        let labels = (0..<trainer.data.classes).flatMap { [Int](repeating: $0, count: n) }
        let x = trainer.sampler.sample(labels: labels, rng: &measureRng)
        var predicted = labels, confidence = [Double](repeating: 1, count: labels.count)
        if let teacher {
            let p = GradMode.noGrad { teacher(x).softmax() }
            let k = trainer.data.classes
            for i in labels.indices {
                let row = p.data[(i * k)..<((i + 1) * k)]
                let best = row.indices.max { row[$0] < row[$1] }!
                (predicted[i], confidence[i]) = (best - i * k, Double(row[best]))
            }
        }
        let side = x.shape[2]
        let (grey, range) = preprocessing.stretchedGreyLevels(x.data, count: labels.count, plane: side * side)
        let images = grey.enumerated().map { i, bytes in
            SamplesEvent.Image(pixels: Data(bytes).base64EncodedString(), label: predicted[i], confidence: confidence[i], conditioning: labels[i])
        }
        sink(.samples(SamplesEvent(step: step, time: elapsed, width: side, height: side, images: images,
                                   greyRange: [Double(range.lo), Double(range.hi)])))
    }

    // MARK: Checkpoints

    public func checkpointInfo(file: String) -> CGANCheckpointInfo {
        CGANCheckpointInfo(step: step, file: file, config: trainer.config, settings: settings,
                           lrG: trainer.optimizerG.learningRate, lrD: trainer.optimizerD.learningRate,
                           rng: trainer.rngState.map(String.init), measureRng: measureRng.state.map(String.init),
                           emaUpdates: trainer.average?.updates ?? 0, elapsed: elapsed, dataDir: dataDir, perClass: perClass,
                           teacherPath: teacherPath, runName: runName, ccgan: (trainer as? CcGANTrainer)?.settings, task: task)
    }

    /// Writes the checkpoint (tensors first, then the sidecar that names them).
    @discardableResult
    public func saveCheckpoint() throws -> URL {
        let info = checkpointInfo(file: String(format: "checkpoint-%08d.safetensors", step))
        var tensors = CheckpointFiles.Tensors()
        tensors.add(model: trainer.trainedGenerator, prefix: "generator.")
        if let a = trainer.average { tensors.add(model: a.average, prefix: "average.") }
        tensors.add(model: trainer.discriminator, prefix: "discriminator.")
        tensors.add(optimizer: trainer.optimizerG, prefix: "opt_g.")
        tensors.add(optimizer: trainer.optimizerD, prefix: "opt_d.")
        return try CheckpointFiles.write(tensors, kind: "cgan-checkpoint", step: step, file: info.file, sidecar: info, runDir: runDir)
    }

    /// Saves, and reports a failure as a `checkpoint-failed` control event (the previous checkpoint stays
    /// valid). Returns the failure, if any.
    @discardableResult
    private func saveCheckpointReporting(reason: String) -> Error? {
        do {
            let url = try saveCheckpoint()
            lastCheckpoint = url.path
            sink(.checkpoint(CheckpointEvent(step: step, time: elapsed, path: url.path, reason: reason)))
            return nil
        } catch {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "checkpoint-failed", key: "\(error)", source: "trainer")))
            return error
        }
    }

    /// Ends the run on a file it cannot write (a full disk, a directory made read-only), as `dafl distill`
    /// does: training on would only pile up steps no checkpoint holds; the last one written stays for `--resume`.
    private func haltOnWriteFailure(_ error: Error) -> TrainerState {
        control.setState(.halted)
        sink(.halt(HaltEvent(step: step, time: elapsed, reason: "write-failed", detail: "\(error)", safeCheckpoint: lastCheckpoint)))
        sink(.end(EndEvent(step: step, time: elapsed, reason: "halted", bestStudentAccuracy: nil, lastStudentAccuracy: nil)))
        return .halted
    }

    static func restore(_ info: CGANCheckpointInfo, runDir: URL, into trainer: any ConditionalGANTraining) throws {
        let url = runDir.appendingPathComponent(info.file)
        let file = try Safetensors.read(url)
        try trainer.trainedGenerator.load(stateDict: file.part("generator."), source: url.path + " (generator)")
        if let a = trainer.average { try a.average.load(stateDict: file.part("average."), source: url.path + " (weight average)") }
        try trainer.discriminator.load(stateDict: file.part("discriminator."), source: url.path + " (discriminator)")
        do {
            try trainer.optimizerG.loadState(file.part("opt_g.").mapValues(\.values))
            try trainer.optimizerD.loadState(file.part("opt_d.").mapValues(\.values))
        } catch let e as WeightsError {
            throw WeightsError(file: url.path, problem: e.problem)
        }
        let words = info.rng.compactMap(UInt64.init)
        guard words.count == 4 else { throw WeightsError(file: runDir.path, problem: "checkpoint RNG state is damaged") }
        trainer.restore(step: info.step, rngState: words, emaUpdates: info.emaUpdates)
        trainer.optimizerG.learningRate = info.lrG
        trainer.optimizerD.learningRate = info.lrD
    }

    /// `generator.safetensors` (the sampled generator: the weight average when there is one),
    /// `discriminator.safetensors` and `samples.pgm` (one row per class) in the run directory.
    public func writeFinalModels() throws {
        var extra = ["dataset": (dataDir as NSString).lastPathComponent, "train_images": String(trainer.trainCount), "steps": String(step)]
        if let task { extra["task"] = "regression"; for (k, v) in task.metadata { extra[k] = v } }
        try ModelFile.save(trainer.sampledGenerator, preprocessing: preprocessing, extra: extra, to: runDir.appendingPathComponent("generator.safetensors"))
        try ModelFile.save(trainer.discriminator, preprocessing: preprocessing, extra: extra, to: runDir.appendingPathComponent("discriminator.safetensors"))
        let perRow = 10
        if let cc = trainer as? CcGANTrainer {
            // Rows sweep the label from 0 to 1; each row one label, ten noises.
            let labels = (0..<10).flatMap { [Float](repeating: Float($0) / 9, count: perRow) }
            try PGM.write(cc.sampler.sample(labels: labels, rng: &measureRng), columns: perRow, preprocessing: preprocessing,
                          to: runDir.appendingPathComponent("samples.pgm"))
            return
        }
        guard let trainer = trainer as? CGANTrainer else { return }
        let labels = (0..<trainer.data.classes).flatMap { [Int](repeating: $0, count: perRow) }
        try PGM.write(trainer.sampler.sample(labels: labels, rng: &measureRng), columns: perRow, preprocessing: preprocessing,
                      to: runDir.appendingPathComponent("samples.pgm"))
    }
}
