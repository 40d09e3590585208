import DAFLEngine
import Foundation
import RunEvents

/// Settings of cGAN-KD's student stage: which fake images (how many, subsampled, filtered,
/// relabelled) join the real ones, and how the student learns from them.
public struct CGANDistillConfig: Codable, Equatable, Sendable {
    /// Processed fake images per class (0: real images only, the NOKD and BLKD baselines).
    public var fakePerClass = 3000
    /// Filter quantile ρ; nil keeps every sample.
    public var rho: Float? = 0.9
    public var relabel = false
    /// cDR-RS subsampling before the filter.
    public var subsample = false
    public var drEpochs = 20
    public var drBurnIn = 5000
    public var student = StudentTraining.Settings()
    public var arch = "lenet5-half"
    public var seed: UInt64 = 0
    public init() {}
}

/// cGAN-KD's student stage as a run: density-ratio training (when subsampling), the processed fake
/// set, then the student on real + fake images, each stage emitting run events (`metrics` with stage
/// `density-ratio` and `student`, `fake_set`, `samples` of kept fakes per class, `eval` per epoch with
/// the teacher's accuracy). Pause, resume and stop act between batches; a checkpoint request saves the
/// student as it stands.
/// ```swift
/// let run = CGANDistillRun(config: c, teacher: t, generator: g, real: subset, test: test, runDir: dir, runName: "s0", sink: log)
/// run.run()
/// ```
// Sendable: other threads only `send` (through `RunControl`) and read `state`; the rest belongs to the training thread.
public final class CGANDistillRun: @unchecked Sendable {
    public let config: CGANDistillConfig
    public let teacher: LeNet5
    public let generator: ConditionalGenerator?
    public let real: Dataset
    public let test: Dataset
    public let runDir: URL
    public let runName: String
    public let preprocessing: Preprocessing
    public var classNames: [String] = []
    /// Extra settings for the config event (file paths and the like).
    public var describe: [String: String] = [:]
    /// A fake set made earlier (`dafl cgan sample`) to use instead of generating one.
    public var givenFakeSet: FakeSetFile?
    public let student: LeNet5
    public private(set) var fakeStats: FakeSetStats?
    public private(set) var accuracies: [Double] = []
    public private(set) var teacherAccuracy: Double = 0
    let sink: (RunEvent) -> Void
    let control = RunControl()
    let started = Date()
    private var step = 0
    private var stopReason = "stopped"

    public static let preset = "cgan-distill"

    public var state: TrainerState { control.state }
    public var elapsed: Double { Date().timeIntervalSince(started) }

    public init(config: CGANDistillConfig, teacher: LeNet5, generator: ConditionalGenerator?, real: Dataset, test: Dataset,
                preprocessing: Preprocessing, initialStudent: LeNet5? = nil, runDir: URL, runName: String, sink: @escaping (RunEvent) -> Void) {
        (self.config, self.teacher, self.generator, self.real, self.test) = (config, teacher, generator, real, test)
        (self.preprocessing, self.runDir, self.runName, self.sink) = (preprocessing, runDir, runName, sink)
        var srng = RNG(seed: config.seed &+ 1)
        student = initialStudent ?? LeNet5(LeNet5.Width(rawValue: config.arch) ?? .half, classes: real.classes, rng: &srng)
        teacher.setTraining(false)
    }

    public func send(_ command: TrainerCommand, source: String = "keyboard") { control.send(command, source: source) }

    /// Obeys the command file at `path` (`ControlFile`) from now on, as `dafl watch` and scripts steer it.
    public func listen(toCommandFile path: String) { control.listen(toCommandFile: path) }

    /// Applies queued commands between batches; blocks while paused. False once the run is stopped.
    func proceed() -> Bool {
        let (go, reason) = control.proceed(step: step, time: { elapsed }, sink: sink, checkpoint: { saveStudent(reason: "requested") })
        if let reason { stopReason = reason }
        return go
    }

    /// The configuration as strings, for the config event.
    public var settingStrings: [String: String] {
        let s = config.student
        var out: [String: String] = [
            "iterations": "\(s.epochs)", "fake_per_class": "\(config.fakePerClass)", "rho": config.rho.map { "\($0)" } ?? "none",
            "relabel": "\(config.relabel)", "subsample": "\(config.subsample)", "dr_epochs": "\(config.drEpochs)",
            "dr_burn_in": "\(config.drBurnIn)", "epochs": "\(s.epochs)", "batch": "\(s.batch)", "lr": "\(s.lr)",
            "ce_weight": "\(s.ceWeight)", "kd_weight": "\(s.kdWeight)", "kd_temperature": "\(s.temperature)",
            "arch": config.arch, "seed": "\(config.seed)", "real_images": "\(real.count)",
        ]
        for (k, v) in describe { out[k] = v }
        return out
    }

    /// Runs every stage; returns `completed`, or `stopped` after a stop (the student is saved either way).
    @discardableResult
    public func run(startPaused: Bool = false) -> TrainerState {
        control.reset(to: startPaused ? .paused : .running)
        let (teacherPredictions, tAcc) = Classification.predictions(teacher, on: test)
        teacherAccuracy = tAcc * 100
        sink(.config(ConfigEvent(step: 0, time: 0, run: runName, preset: Self.preset, settings: settingStrings,
                                 classNames: classNames, resumed: false, teacherAccuracy: teacherAccuracy)))
        var rng = RNG(seed: config.seed)
        var set = real
        if let given = givenFakeSet {
            set = real.appending(given.dataset)
            fakeStats = given.stats
            emitFakeSet(given.stats, images: given.dataset, conditioning: given.conditioning, path: given.path)
        } else if config.fakePerClass > 0, let generator, proceed(),
                  let (fake, stats, conditioning) = Self.makeFakeSet(config: config, teacher: teacher, generator: generator, real: real,
                                                                     rng: &rng, proceed: proceed, onDensityRatioEpoch: { e, loss in
                      self.sink(.metrics(MetricsEvent(step: e, time: self.elapsed, stage: "density-ratio", values: ["dr_loss": Double(loss)])))
                  }) {
            set = real.appending(fake)
            fakeStats = stats
            let path = runDir.appendingPathComponent("fake-set.safetensors")
            var written: String? = nil
            do {
                try FakeSetFile(dataset: fake, conditioning: conditioning, stats: stats, path: path.path)
                    .write(preprocessing: preprocessing, describe: settingStrings)
                written = path.path
            } catch {
                sink(.control(ControlEvent(step: 0, time: elapsed, action: "warning", key: "fake set not saved: \(error)", source: "trainer")))
            }
            emitFakeSet(stats, images: fake, conditioning: conditioning, path: written)
        }
        var best = 0.0
        if control.state != .stopped {
            let usesTeacher = config.student.kdWeight > 0
            var epochStart = Date()
            accuracies = StudentTraining.run(student, on: set, teacher: usesTeacher ? teacher : nil, settings: config.student, test: test,
                                             rng: &rng, proceed: proceed) { e, loss, acc, preds in
                step = e
                let now = Date()
                let rate = 1 / Swift.max(1e-9, now.timeIntervalSince(epochStart))   // epochs per second, for the header's ETA
                epochStart = now
                let agree = Double(zip(preds, teacherPredictions).filter { $0 == $1 }.count) / Double(Swift.max(1, preds.count)) * 100
                best = Swift.max(best, acc * 100)
                sink(.metrics(MetricsEvent(step: e, time: elapsed, stage: "student", values: ["student_loss": Double(loss), "steps_per_second": rate])))
                sink(.eval(EvalEvent(step: e, time: elapsed, studentAccuracy: acc * 100, teacherAccuracy: teacherAccuracy,
                                     agreement: agree, bestStudentAccuracy: best)))
            }
        }
        if control.state != .stopped { control.setState(.completed) }
        let completed = control.state == .completed
        saveStudent(reason: completed ? "final" : stopReason)
        sink(.end(EndEvent(step: step, time: elapsed, reason: completed ? "completed" : stopReason,
                           bestStudentAccuracy: accuracies.isEmpty ? nil : best, lastStudentAccuracy: accuracies.last.map { $0 * 100 })))
        return control.state
    }

    /// The processed fake set: trains the density-ratio model first when subsampling, then draws,
    /// subsamples, filters and (optionally) relabels. Nil when `proceed` stopped it.
    public static func makeFakeSet(config: CGANDistillConfig, teacher: LeNet5, generator: ConditionalGenerator, real: Dataset,
                                   rng: inout RNG, proceed: () -> Bool = { true },
                                   onDensityRatioEpoch: (Int, Float) -> Void = { _, _ in }) -> (set: Dataset, stats: FakeSetStats, conditioning: [Int])? {
        var ratio: ((Tensor, [Int]) -> [Float])? = nil
        if config.subsample {
            var drng = RNG(seed: config.seed &+ 3)
            let dr = DensityRatioMLP(features: teacher.fc1.weight.shape[1], classes: real.classes, rng: &drng)
            var stopped = false
            DensityRatioTraining.train(dr, teacher: teacher, generator: generator, real: real, epochs: config.drEpochs, rng: &drng,
                                       proceed: { let go = proceed(); stopped = stopped || !go; return go }, onEpoch: onDensityRatioEpoch)
            if stopped { return nil }
            ratio = { x, y in DensityRatioTraining.ratios(dr, teacher: teacher, images: x, labels: y) }
        }
        return FakeSet.build(generator: generator, teacher: teacher, perClass: config.fakePerClass, rho: config.rho,
                             relabel: config.relabel, ratio: ratio, subsampleBurnIn: config.drBurnIn, rng: &rng)
    }

    /// Where the student is written.
    public var studentURL: URL { runDir.appendingPathComponent("student.safetensors") }

    func saveStudent(reason: String) {
        let recipe = "cgan-kd fake/class \(config.fakePerClass) subsample \(config.subsample) rho \(config.rho.map { "\($0)" } ?? "none") relabel \(config.relabel) ce \(config.student.ceWeight) kd \(config.student.kdWeight) T \(config.student.temperature) seed \(config.seed)"
        do {
            try ModelFile.save(student, preprocessing: preprocessing, extra: ["recipe": recipe, "epochs_done": "\(step)"], to: studentURL)
            sink(.checkpoint(CheckpointEvent(step: step, time: elapsed, path: studentURL.path, reason: reason)))
        } catch {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "checkpoint-failed", key: "\(error)", source: "trainer")))
        }
    }

    /// The fake set's statistics and two kept images per class (with the class asked for and the teacher's view).
    func emitFakeSet(_ stats: FakeSetStats, images: Dataset, conditioning: [Int], path: String?) {
        sink(.fakeSet(stats.event(time: elapsed, path: path)))
        var picks: [Int] = []
        for c in 0..<images.classes { picks += conditioning.indices.filter { conditioning[$0] == c }.prefix(2) }
        guard !picks.isEmpty else { return }
        let (x, _) = images.batch(picks[...])
        let p = GradMode.noGrad { teacher(x).softmax() }
        let k = images.classes
        let (grey, range) = preprocessing.stretchedGreyLevels(x.data, count: picks.count, plane: images.side * images.side)
        let shown = picks.enumerated().map { i, idx -> SamplesEvent.Image in
            let row = Array(p.data[(i * k)..<((i + 1) * k)])
            let best = row.indices.max { row[$0] < row[$1] }!
            return SamplesEvent.Image(pixels: Data(grey[i]).base64EncodedString(), label: best, confidence: Double(row[best]),
                                      conditioning: conditioning[idx])
        }
        sink(.samples(SamplesEvent(step: 0, time: elapsed, width: images.side, height: images.side, images: shown,
                                   greyRange: [Double(range.lo), Double(range.hi)])))
    }
}
