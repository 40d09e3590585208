import DAFLEngine
import Foundation
import RunEvents

/// Settings of cGAN-KD's student stage for regression: which CcGAN images join the real ones and how
/// the student (a scalar regressor) learns from them.
public struct RegressionDistillConfig: Codable, Equatable, Sendable {
    /// Processed fake images in all (spread evenly over the label bins; 0: real images only, NOKD).
    public var fakeCount = 20_000
    /// Label bins for the filter's cut-offs, the subsampling bound and the statistics (1: one global cut-off, as the reference code).
    public var bins = 10
    /// Filter quantile ρ on the teacher's absolute error (the paper's regression tables: 0.7); nil keeps every sample.
    public var rho: Float? = 0.7
    /// Labels replaced by the teacher's readings (the paper's label adjustment).
    public var relabel = true
    /// cDR-RS subsampling before the filter.
    public var subsample = true
    public var drEpochs = 20
    /// Generated images per bin that set M̄.
    public var drBurnIn = 1000
    public var epochs = 20
    public var batch = 128
    public var lr: Float = 1e-3
    public var loss = "l1"
    public var arch = "lenet5-half"
    public var seed: UInt64 = 0
    public init() {}

    public func problems() -> [String] {
        var p: [String] = []
        if fakeCount < 0 || fakeCount > 10_000_000 { p.append("--fake must be in 0…10000000") }
        if bins < 1 || bins > 1000 { p.append("--bins must be in 1…1000") }
        if let rho, !(rho > 0 && rho <= 1) { p.append("--rho must be in (0, 1]") }
        if drEpochs < 1 || drBurnIn < 1 || epochs < 1 || batch < 1 { p.append("--dr-epochs, --dr-burn-in, --epochs and --batch must be positive") }
        if !(lr > 0 && lr.isFinite) { p.append("--lr must be positive") }
        if Regression.Loss(rawValue: loss) == nil { p.append("--loss must be l1 or mse") }
        if LeNet5.Width(rawValue: arch) == nil { p.append("--arch must be lenet5 or lenet5-half") }
        return p
    }
}

/// cGAN-KD's student stage for regression as a run: density-ratio training (when subsampling), the
/// processed fake set (`FakeSet.process` over a `RegressionSampleSource`: the same path as
/// classification, with label bins for classes), then the student on real + fake images with L1 or
/// MSE on normalised labels (Adam, cosine rate). Events: `metrics` (stages `density-ratio` and
/// `student`, with the test MAE and the teacher's), `fake_set` per label bin with the teacher's
/// readings, `samples` of kept fakes sweeping the label. Pause and stop act between batches.
/// ```swift
/// let run = RegressionDistillRun(config: c, teacher: t, generator: g, real: train, test: test, runDir: dir, runName: "s0", sink: log)
/// run.run()
/// ```
// Sendable: other threads only `send` (through `RunControl`) and read `state`; the rest belongs to the training thread.
public final class RegressionDistillRun: @unchecked Sendable {
    public let config: RegressionDistillConfig
    public let teacher: LeNet5
    public let generator: ContinuousConditionalGenerator?
    public let real: RegressionSet
    public let test: RegressionSet
    public let runDir: URL
    public let runName: String
    public let preprocessing: Preprocessing
    public var describe: [String: String] = [:]
    public let student: LeNet5
    public private(set) var fakeStats: FakeSetStats?
    public private(set) var errors: [Double] = []
    public private(set) var teacherError: Double = 0
    let sink: (RunEvent) -> Void
    let control = RunControl()
    let started = Date()
    private var step = 0
    private var stopReason = "stopped"

    public static let preset = "ccgan-distill"

    public var state: TrainerState { control.state }
    public var elapsed: Double { Date().timeIntervalSince(started) }

    public init(config: RegressionDistillConfig, teacher: LeNet5, generator: ContinuousConditionalGenerator?, real: RegressionSet,
                test: RegressionSet, preprocessing: Preprocessing, runDir: URL, runName: String, sink: @escaping (RunEvent) -> Void) {
        (self.config, self.teacher, self.generator, self.real, self.test) = (config, teacher, generator, real, test)
        (self.preprocessing, self.runDir, self.runName, self.sink) = (preprocessing, runDir, runName, sink)
        var srng = RNG(seed: config.seed &+ 1)
        student = LeNet5(LeNet5.Width(rawValue: config.arch) ?? .half, classes: 1, inChannels: real.channels, rng: &srng)
        teacher.setTraining(false)
    }

    public func send(_ command: TrainerCommand, source: String = "keyboard") { control.send(command, source: source) }
    public func listen(toCommandFile path: String) { control.listen(toCommandFile: path) }

    /// Applies queued commands between batches; blocks while paused. False once the run is stopped.
    func proceed() -> Bool {
        let (go, reason) = control.proceed(step: step, time: { elapsed }, sink: sink, checkpoint: { saveStudent(reason: "requested") })
        if let reason { stopReason = reason }
        return go
    }

    public var settingStrings: [String: String] {
        let c = config
        var out: [String: String] = [
            "iterations": "\(c.epochs)", "fake": "\(c.fakeCount)", "bins": "\(c.bins)", "rho": c.rho.map { "\($0)" } ?? "none",
            "relabel": "\(c.relabel)", "subsample": "\(c.subsample)", "dr_epochs": "\(c.drEpochs)", "dr_burn_in": "\(c.drBurnIn)",
            "epochs": "\(c.epochs)", "batch": "\(c.batch)", "lr": "\(c.lr)", "loss": c.loss, "arch": c.arch, "seed": "\(c.seed)",
            "real_images": "\(real.count)", "label_min": "\(real.range.lowerBound)", "label_max": "\(real.range.upperBound)", "unit": real.unit,
        ]
        for (k, v) in describe { out[k] = v }
        return out
    }

    @discardableResult
    public func run(startPaused: Bool = false) -> TrainerState {
        control.reset(to: startPaused ? .paused : .running)
        teacherError = Regression.meanAbsoluteError(teacher, on: test)
        sink(.config(ConfigEvent(step: 0, time: 0, run: runName, preset: Self.preset, settings: settingStrings,
                                 classNames: [], resumed: false, teacherAccuracy: nil)))
        var rng = RNG(seed: config.seed)
        var set = real
        if config.fakeCount > 0, let generator, proceed(), let fake = makeFakeSet(generator: generator, rng: &rng) {
            fakeStats = fake.stats
            let targets = fake.labels.map(real.value)
            set = real.appending(RegressionSet(images: fake.images, targets: targets, range: real.range, side: real.side,
                                               channels: real.channels, unit: real.unit))
            emitFakeSet(fake)
        }
        if control.state != .stopped { trainStudent(on: set, rng: &rng) }
        if control.state != .stopped { control.setState(.completed) }
        let completed = control.state == .completed
        saveStudent(reason: completed ? "final" : stopReason)
        sink(.end(EndEvent(step: step, time: elapsed, reason: completed ? "completed" : stopReason, bestStudentAccuracy: nil, lastStudentAccuracy: nil)))
        return control.state
    }

    /// Density ratio (when subsampling), then draw → subsample → filter → relabel; nil when stopped.
    func makeFakeSet(generator: ContinuousConditionalGenerator, rng: inout RNG) -> FakeSet.Samples? {
        var ratio: ((Tensor, [Float]) -> [Float])? = nil
        if config.subsample {
            var drng = RNG(seed: config.seed &+ 3)
            let dr = DensityRatioMLP(features: teacher.fc1.weight.shape[1], embedding: generator.embedding.dimension, rng: &drng)
            var stopped = false
            DensityRatioTraining.train(dr, teacher: teacher, generator: generator, real: real, epochs: config.drEpochs, rng: &drng,
                                       proceed: { let go = proceed(); stopped = stopped || !go; return go }) { e, loss in
                self.sink(.metrics(MetricsEvent(step: e, time: self.elapsed, stage: "density-ratio", values: ["dr_loss": Double(loss)])))
            }
            if stopped { return nil }
            ratio = { x, y in DensityRatioTraining.ratios(dr, teacher: self.teacher, generator: generator, images: x, labels: y) }
        }
        let source = RegressionSampleSource(generator: generator, teacher: teacher, bins: config.bins)
        // A kept sample "disagrees" when the teacher reads it more than one bin's width away from its label.
        return FakeSet.process(source, perGroup: (config.fakeCount + config.bins - 1) / config.bins, rho: config.rho, relabel: config.relabel,
                               ratio: ratio, subsampleBurnIn: config.drBurnIn, tolerance: 1 / Float(config.bins), rng: &rng)
    }

    func trainStudent(on set: RegressionSet, rng: inout RNG) {
        let loss = Regression.Loss(rawValue: config.loss) ?? .l1
        let opt = Adam(student.parameters, lr: config.lr)
        let perEpoch = (set.count + config.batch - 1) / config.batch, total = perEpoch * config.epochs
        var stopped = false
        for epoch in 1...config.epochs {
            let t0 = Date()
            let l = Regression.trainEpoch(student, optimizer: opt, task: set, batchSize: config.batch, loss: loss, rng: &rng,
                                          proceed: { let go = proceed(); stopped = stopped || !go; return go }) { done, _, _ in
                opt.learningRate = config.lr * Float(0.5 * (1 + cos(Double.pi * Double((epoch - 1) * perEpoch + done) / Double(total))))
            }
            if stopped { return }
            step = epoch
            let mae = Regression.meanAbsoluteError(student, on: test)
            errors.append(mae)
            sink(.metrics(MetricsEvent(step: epoch, time: elapsed, stage: "student", values: [
                "student_loss": Double(l), "test_mae": mae, "teacher_mae": teacherError, "best_mae": errors.min()!,
                "steps_per_second": 1 / Swift.max(1e-9, Date().timeIntervalSince(t0)),
            ])))
        }
    }

    public var studentURL: URL { runDir.appendingPathComponent("student.safetensors") }

    func saveStudent(reason: String) {
        let c = config
        let recipe = "cgan-kd regression fake \(c.fakeCount) bins \(c.bins) subsample \(c.subsample) rho \(c.rho.map { "\($0)" } ?? "none") relabel \(c.relabel) loss \(c.loss) seed \(c.seed)"
        do {
            try ModelFile.save(student, preprocessing: preprocessing,
                               extra: ["task": "regression", "label_min": "\(real.range.lowerBound)", "label_max": "\(real.range.upperBound)",
                                       "label": describe["label"] ?? "rotation-degrees", "recipe": recipe, "epochs_done": "\(step)",
                                       "test_mae": errors.last.map { String(format: "%.3f", $0) } ?? ""],
                               to: studentURL)
            sink(.checkpoint(CheckpointEvent(step: step, time: elapsed, path: studentURL.path, reason: reason)))
        } catch {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "checkpoint-failed", key: "\(error)", source: "trainer")))
        }
    }

    /// The fake set's statistics per label bin (with the teacher's readings binned the same way) and a
    /// strip of kept samples sweeping the label, each with the label asked for and the teacher's reading.
    func emitFakeSet(_ fake: FakeSet.Samples) {
        var event = fake.stats.event(time: elapsed, path: nil)
        event.labelRange = [Double(real.range.lowerBound), Double(real.range.upperBound)]
        sink(.fakeSet(event))
        let n = fake.conditioning.count, show = Swift.min(n, 20)
        guard show > 0 else { return }
        let order = fake.conditioning.indices.sorted { fake.conditioning[$0] < fake.conditioning[$1] }
        let picks = (0..<show).map { order[$0 * (n - 1) / Swift.max(show - 1, 1)] }
        let plane = real.imageSize, side = real.side
        var pixels: [Float] = []
        for i in picks { pixels += fake.images[(i * plane)..<((i + 1) * plane)] }
        let read = RegressionSampleSource.predict(teacher, Tensor(shape: [show, real.channels, side, side], data: pixels))
        let (grey, range) = preprocessing.stretchedGreyLevels(pixels, count: show, plane: plane)
        let images = picks.enumerated().map { j, i in
            SamplesEvent.Image(pixels: Data(grey[j]).base64EncodedString(), label: 0, confidence: 1,
                               target: Double(real.value(fake.conditioning[i])), value: Double(real.value(read[j])), unit: real.unit)
        }
        sink(.samples(SamplesEvent(step: 0, time: elapsed, width: side, height: side, images: images, greyRange: [Double(range.lo), Double(range.hi)])))
    }
}
