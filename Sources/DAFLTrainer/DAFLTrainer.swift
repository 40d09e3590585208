import DAFLEngine
import Foundation
import RunEvents

/// A DAFL distillation run you can step, pause, re-tune and stop from another thread.
///
/// Commands sent with `send(_:source:)` take effect at the next step boundary and are recorded
/// in the run log as control events. Every event goes to `sink` (the run log, a progress printer,
/// a dashboard). No UI code lives here.
/// ```swift
/// let trainer = try DAFLTrainer(config: .preset(.cpu), teacher: t, preprocessing: p, test: testSet,
///                               runDir: dir, runName: "run1", teacherPath: path, dataDir: data) { event in … }
/// DispatchQueue.global().async { _ = trainer.run() }
/// trainer.send(.scale(.beta, 1.5))
/// ```
public final class DAFLTrainer: @unchecked Sendable {
    public let config: DistillConfig
    public let runDir: URL
    public let runName: String
    public let teacherPath: String
    public let dataDir: String
    public let preprocessing: Preprocessing
    public let teacherAccuracy: Double?

    /// The generators, taking turns an iteration each (`--generators`; one in the reference).
    public let generators: [Generator]
    /// The first generator (the only one unless `--generators` is above 1).
    public var generator: Generator { generators[0] }
    /// Targeted generation: the class-conditional generator around `generator` (`--conditioning`: noise × class
    /// embedding, or per-class batch norms), as saved (`dafl-cgenerator`). Nil for DAFL's unconditional generator.
    public let conditional: ConditionalGenerator?
    /// The class embedding the noise is multiplied by, in the `noise` conditioning; nil otherwise.
    public var labelEmbedding: Embedding? { conditional?.conditioning == .noise ? conditional?.labelEmbedding : nil }
    public let teacher: any Classifier
    /// The student being trained. With `--student-init gradual` it is a copy of the whole teacher until the
    /// dropped units have faded out, then the half-width student (`GradualPruning`).
    public private(set) var student: any Classifier
    /// The moving average of the student's weights (`--student-ema`), evaluated and saved in its place.
    public let studentAverage: WeightAverage?
    /// The student the run delivers: the weight average when there is one.
    public var deliveredStudent: any Classifier { (studentAverage?.average as? any Classifier) ?? student }
    /// One Adam per generator.
    let generatorOptimizers: [Adam]
    var generatorOptimizer: Adam { generatorOptimizers[0] }
    private(set) var studentOptimizer: Optimizer
    /// `--student-init gradual`'s plan; nil otherwise.
    let pruning: GradualPruning?
    let test: Dataset?
    let teacherTestPredictions: [Int]
    let sink: (RunEvent) -> Void

    // Training state: touched only by the training thread, except through `control`.
    public private(set) var step = 0
    public private(set) var weights: LossWeights
    public private(set) var bestStudentAccuracy: Double?
    public private(set) var lastStudentAccuracy: Double?
    public private(set) var lastCheckpoint: String?
    /// Class names for the config event (the dashboard labels bars and images with them).
    public var classNames: [String] = []
    var rng: RNG
    var replay: ReplayBuffer
    let elapsedBefore: Double
    let started = Date()
    private var recentStepTimes: [Double] = []
    /// `--boundary-samples`: percent of the last walked batch that the teacher puts in the class it walked toward.
    private var boundaryHits: Double?
    /// `--stable-views`: this iteration's shifted or mirrored replay images, and how many of them kept their view.
    private var viewsMoved = 0, viewsKept = 0
    /// `--impressions`: the bank, built at the first replayed step (and again after a resume, the same).
    private(set) var impressionBank: ClassImpressions?
    /// Images the last eviction kept under `--replay-keep-rare` (for the step event).
    private var memoryKept = 0
    /// `--kd-hint`: the teacher's conv3 units the student's stand for (the pruning's), in the student's order.
    private var hintUnits: [Int]? = nil
    /// Per generator, consecutive turns in which the teacher saw one class only: a collapsing generator.
    private var singleClassSteps: [Int]
    /// `--select agreement`: the students kept at evaluations and the held-out pool that chooses among them.
    var selection: StudentSelection?
    /// Steps of one class in a row before the run log gets a warning.
    static let collapseWarningSteps = 50

    // Shared with other threads.
    private let control = RunControl()

    public var state: TrainerState { control.state }

    /// Seconds since the run began, across resumes.
    public var elapsed: Double { elapsedBefore + Date().timeIntervalSince(started) }

    /// A fresh run. Checks the teacher against the data and writes nothing until `run()`.
    public convenience init(config: DistillConfig, teacher: any Classifier, preprocessing: Preprocessing, test: Dataset?,
                runDir: URL, runName: String, teacherPath: String, dataDir: String,
                sink: @escaping (RunEvent) -> Void) throws {
        try self.init(config: config, teacher: teacher, preprocessing: preprocessing, test: test, runDir: runDir,
                      runName: runName, teacherPath: teacherPath, dataDir: dataDir, resumeFrom: nil, sink: sink)
    }

    /// Continues the run saved in `runDir`, with the same configuration; `iterations` extends (or
    /// shortens, down to the checkpoint's step) the run. The student's cosine schedule is then
    /// computed over the new total, so its rate rises again where it left off; `--lr-steps` stay put.
    public static func resume(runDir: URL, teacher: any Classifier, preprocessing: Preprocessing, test: Dataset?,
                              iterations: Int? = nil, sink: @escaping (RunEvent) -> Void) throws -> DAFLTrainer {
        let info = try CheckpointInfo.load(runDir: runDir)
        var config = info.config
        if let iterations {
            guard iterations >= info.step else {
                throw WeightsError(file: runDir.path, problem: "--iterations \(iterations) is below the checkpoint's step \(info.step)")
            }
            config.iterations = iterations
        }
        let t = try DAFLTrainer(config: config, teacher: teacher, preprocessing: preprocessing, test: test, runDir: runDir,
                                runName: info.runName, teacherPath: info.teacherPath, dataDir: info.dataDir,
                                resumeFrom: info, sink: sink)
        if config.iterations != info.config.iterations { t.iterationsBefore = info.config.iterations }
        return t
    }

    /// The total before a resume changed it (logged as a `set` of `iterations`).
    private var iterationsBefore: Int?

    private init(config: DistillConfig, teacher: any Classifier, preprocessing: Preprocessing, test: Dataset?,
                 runDir: URL, runName: String, teacherPath: String, dataDir: String,
                 resumeFrom info: CheckpointInfo?, sink: @escaping (RunEvent) -> Void) throws {
        if let p = config.problems().first { throw WeightsError(file: "configuration", problem: p) }
        var config = config
        if config.studentInit == "gradual" && config.pruneFade == nil {
            config.pruneFade = Swift.max(1, config.iterations / 2)   // pinned: a longer resume keeps the fade
        }
        self.config = config
        self.runDir = runDir
        self.runName = runName
        self.teacherPath = teacherPath
        self.dataDir = dataDir
        self.preprocessing = preprocessing
        self.sink = sink
        self.test = test
        var rng = RNG(seed: config.seed)
        teacher.setTraining(false)
        teacher.freeze()
        self.teacher = teacher
        let side = preprocessing.size
        let first: Generator
        if config.targeted == true {
            let conditional = ConditionalGenerator(classes: teacher.classes, latent: config.latent, width: config.generatorWidth,
                                                   channels: teacher.inChannels, imageSize: side,
                                                   conditioning: config.conditioningMode, rng: &rng)
            (first, self.conditional) = (conditional.generator, conditional)
        } else {
            first = Generator(latent: config.latent, width: config.generatorWidth, channels: teacher.inChannels,
                              imageSize: side, rng: &rng)
            conditional = nil
        }
        student = config.makeStudent(classes: teacher.classes, inChannels: teacher.inChannels, rng: &rng)
        // Drawn after the student, so that a run with one generator keeps the reference's random stream.
        generators = [first] + (1..<config.generatorCount).map { _ in
            Generator(latent: config.latent, width: config.generatorWidth, channels: teacher.inChannels, imageSize: side, rng: &rng)
        }
        singleClassSteps = Array(repeating: 0, count: config.generatorCount)
        if config.generatorOutput == "grey" {
            let (black, white) = preprocessing.blackAndWhite
            for g in generators { g.output = .grey(black: black, white: white) }
        } else if config.generatorOutput == "linear" {
            for g in generators { g.output = .linear }
        }
        if config.generatorProject28 == true {
            let p = UpsampledImages(from: 28, to: side)
            for g in generators { g.projection = p }
        }
        var plan: GradualPruning? = nil
        if let start = config.studentInit, start != "random" {
            guard let narrow = student as? LeNet5, let wide = teacher as? LeNet5 else {
                throw WeightsError(file: teacherPath, problem: "--student-init \(start) needs a LeNet-5 teacher and student (--student-init random starts from random weights)")
            }
            if start == "teacher" && info == nil && config.studentWeights == nil {   // a weights file replaces the pruned start
                do { try narrow.inheritUnits(of: wide) } catch { throw WeightsError(file: teacherPath, problem: "--student-init teacher: \(error)") }
            } else if start == "gradual" {
                let p = GradualPruning(teacher: wide, narrowWidths: narrow.hiddenWidths, fadeIterations: config.pruneFade ?? 1)
                guard p.units.map(\.count) == narrow.hiddenWidths + [narrow.classes] else {
                    throw WeightsError(file: teacherPath, problem: "--student-init gradual: a \(narrow.width.rawValue) cannot take its units from a \(wide.width.rawValue) (\(wide.classes) classes)")
                }
                plan = p
                if p.isWide(at: info?.step ?? 0) {
                    // The teacher's own weights (or, on resume, the checkpoint's); drawn apart from the run's stream.
                    var scratch = RNG(seed: 0)
                    let whole = LeNet5(wide.width, classes: wide.classes, inChannels: wide.inChannels, rng: &scratch)
                    for (mine, theirs) in zip(whole.parameters, wide.parameters) { mine.data = theirs.data }
                    whole.unitScales = p.scales(at: info?.step ?? 0)
                    student = whole
                }
            }
        }
        pruning = plan
        if let path = config.studentWeights, info == nil { try Self.loadStudentWeights(path, into: student) }
        if let w = config.kdHint, w > 0 {
            guard let narrow = student as? LeNet5, let wide = teacher as? LeNet5, narrow.unitScales == nil else {
                throw WeightsError(file: teacherPath, problem: "--kd-hint needs a LeNet-5 teacher and a LeNet-5-half student (not fading: no --student-init gradual)")
            }
            hintUnits = LeNet5.keptUnits(of: wide, widths: narrow.hiddenWidths)[2]
        }
        try Self.freeze(config.frozenStudentLayers, of: student)
        let decay = (config.studentEMA ?? 0) > 0 ? config.studentEMA : nil
        if decay != nil || config.studentSWA != nil {
            var scratch = RNG(seed: 0)   // overwritten by the copy; keeps the run's stream as without averaging
            let shadow = config.makeStudent(classes: teacher.classes, inChannels: teacher.inChannels, rng: &scratch)
            let trained = student
            studentAverage = config.studentSWA.map { WeightAverage(of: trained, into: shadow, start: $0, uniform: true) }
                ?? WeightAverage(of: trained, into: shadow, decay: decay ?? 0)
        } else {
            studentAverage = nil
        }
        // The noise conditioning keeps its parameters after the generator's (the order its checkpoints hold); the
        // batch-norm one trains its per-class norms in place of the generator's unconditional bn0–bn2.
        let made = generators, first0 = conditional.map { c in
            c.conditioning == .noise ? c.generator.parameters + c.labelEmbedding.parameters.map(\.1) : c.parameters
        }
        generatorOptimizers = made.enumerated().map { i, g in Adam(i == 0 ? first0 ?? g.parameters : g.parameters, lr: config.lrG, betas: (config.generatorBeta1 ?? 0.9, 0.999)) }
        studentOptimizer = Self.makeStudentOptimizer(config, student.parameters)
        studentOptimizer.learningRate *= Self.warmupFactor(config, done: 0)
        if let plan, let wide = student as? LeNet5, wide.unitScales != nil {
            // Only the units the student keeps learn; the dropped ones stay the teacher's while they fade.
            studentOptimizer = PartialOptimizer(studentOptimizer, training: LeNet5.keptEntries(of: wide, units: plan.units))
        }
        weights = config.weights
        replay = ReplayBuffer(capacity: config.replayBatches, imageSize: teacher.inChannels * side * side,
                              classes: teacher.classes)
        selection = config.select == "agreement" ? StudentSelection(seed: config.seed) : nil
        if let test {
            let (preds, acc) = Classification.predictions(teacher, on: test)
            teacherTestPredictions = preds
            teacherAccuracy = acc * 100
        } else {
            teacherTestPredictions = []
            teacherAccuracy = nil
        }
        if let info {
            try Checkpoint.restore(runDir: runDir, info: info, generators: generators, conditional: conditional, student: student,
                                   studentAverage: studentAverage?.average,
                                   generatorOptimizers: generatorOptimizers, studentOptimizer: studentOptimizer, replay: &replay,
                                   selection: &selection, selectionParameters: student.stateDict.count)
            step = info.step
            studentAverage?.restore(updates: info.studentEMAUpdates ?? 0)
            if let counts = info.singleClassSteps, counts.count == singleClassSteps.count { singleClassSteps = counts }
            weights = info.weights
            for o in generatorOptimizers { o.learningRate = info.lrG }
            studentOptimizer.learningRate = info.lrS
            let words = info.rng.compactMap(UInt64.init)
            guard words.count == 4 else { throw WeightsError(file: runDir.path, problem: "checkpoint RNG state is damaged") }
            rng.state = words
            elapsedBefore = info.elapsed
            bestStudentAccuracy = info.bestStudentAccuracy
            lastStudentAccuracy = info.lastStudentAccuracy
            lastCheckpoint = runDir.appendingPathComponent(info.file).path
        } else {
            elapsedBefore = 0
        }
        self.rng = rng
        resumed = info != nil
    }

    private let resumed: Bool

    /// Stops training the named layers: no gradient reaches a tensor that does not require one, so the optimizer skips it.
    private static func freeze(_ names: [String], of student: any Classifier) throws {
        for name in names {
            let tensors = student.namedParameters.filter { $0.0.hasPrefix(name + ".") }
            guard !tensors.isEmpty else {
                let layers = Set(student.namedParameters.map { String($0.0.split(separator: ".")[0]) }).sorted()
                throw WeightsError(file: "configuration", problem: "--student-freeze: the student has no layer '\(name)' (it has \(layers.joined(separator: ", ")))")
            }
            for (_, t) in tensors { t.requiresGrad = false }
        }
    }

    /// The optimizer `config` asks for, over `parameters`.
    private static func makeStudentOptimizer(_ config: DistillConfig, _ parameters: [Tensor]) -> Optimizer {
        config.studentOptimizer == "sgd"
            ? SGD(parameters, lr: config.lrS, momentum: config.studentMomentum, weightDecay: config.studentWeightDecay)
            : Adam(parameters, lr: config.lrS, weightDecay: config.studentWeightDecay)
    }

    /// The multiplier `--student-warmup N` puts on the student's learning rate for the iteration after `done` ones.
    static func warmupFactor(_ config: DistillConfig, done: Int) -> Float {
        guard let n = config.studentWarmup, n > 0 else { return 1 }
        return Float(Swift.min(done &+ 1, n)) / Float(n)
    }

    /// The generator's learning rate for the iteration after `done` ones under `--lr-g-final`: a cosine from `lrG`
    /// (at 0) to `lrGFinal` (at the last iteration). Nil without it: the rate stays as set.
    static func generatorRate(_ config: DistillConfig, done: Int) -> Float? {
        guard let final = config.lrGFinal else { return nil }
        return cosine(from: config.lrG, to: final, done: done, of: config.iterations)
    }

    /// A cosine from `start` (after 0 iterations) to `end` (after `total`, and beyond).
    static func cosine(from start: Float, to end: Float, done: Int, of total: Int) -> Float {
        let c = Float(0.5 * (1 + cos(Double.pi * Double(Swift.min(done, total)) / Double(Swift.max(total, 1)))))
        return end + (start - end) * c
    }

    /// The adversarial term's weight for the iteration after `done` ones under `--adversarial-final`: a cosine from
    /// `base` (at 0) to `adversarialFinal` (at the last iteration). `base` itself without it.
    static func adversarialWeight(_ config: DistillConfig, base: Float, done: Int) -> Float {
        guard let final = config.adversarialFinal else { return base }
        return cosine(from: base, to: final, done: done, of: config.iterations)
    }

    /// The information-entropy weight for the iteration after `done` ones under `--beta-final`: a cosine from `base`
    /// (at 0) to `betaFinal` (at the last iteration). `base` itself without it.
    static func betaWeight(_ config: DistillConfig, base: Float, done: Int) -> Float {
        guard let final = config.betaFinal else { return base }
        return cosine(from: base, to: final, done: done, of: config.iterations)
    }

    /// The end of the fade: the wide student, its dropped units now at 0, becomes the half-width student
    /// computing the same function, with its weights and optimizer moments at the kept units.
    private func finishPruning() throws {
        guard let pruning, let wide = student as? LeNet5, wide.unitScales != nil else { return }
        var scratch = RNG(seed: 0)
        guard let narrow = config.makeStudent(classes: teacher.classes, inChannels: teacher.inChannels, rng: &scratch) as? LeNet5 else { return }
        studentOptimizer = try pruning.narrow(wide, optimizer: studentOptimizer, into: narrow) { Self.makeStudentOptimizer(config, $0) }
        try Self.freeze(config.frozenStudentLayers, of: narrow)
        student = narrow
        sink(.control(ControlEvent(step: step, time: elapsed, action: "student-pruned",
                                   key: "the teacher's dropped units have faded out: the student is now the \(narrow.width.rawValue) (\(narrow.parameterCount) parameters)",
                                   source: "trainer")))
    }

    // MARK: Control

    /// Queues a command for the next step boundary (thread-safe).
    public func send(_ command: TrainerCommand, source: String = "keyboard") {
        control.send(command, source: source)
    }

    /// Obeys the command file at `path` (`ControlFile`) from now on, as `dafl watch` and scripts steer it.
    public func listen(toCommandFile path: String) { control.listen(toCommandFile: path) }

    /// Applies queued commands in order, stopping after a step-once (the commands behind it wait
    /// for that step). Returns whether one step was requested.
    private func drainInbox() -> Bool {
        let applied = control.apply(step: step, time: { elapsed }, sink: sink, tune: { key, v, scale in
            guard let old = value(of: key) else { return nil }   // not a DAFL value
            let new = scale ? old * v : v
            guard new.isFinite, new >= 0 else { return nil }
            switch key {
            case .alpha: weights.alpha = new
            case .beta: weights.beta = new
            case .oh: weights.oneHot = new
            default: return nil
            }
            return (old, new)
        }, checkpoint: { saveCheckpointReporting(reason: "requested") })
        if let reason = applied.stopReason { stopReason = reason }
        return applied.stepOnce
    }

    private var stopReason = "stopped"

    /// The live value of a loss weight; nil for keys DAFL does not have.
    public func value(of key: LossWeightKey) -> Float? {
        switch key {
        case .alpha: weights.alpha
        case .beta: weights.beta
        case .oh: weights.oneHot
        default: nil
        }
    }

    private func setState(_ s: TrainerState) { control.setState(s) }

    // MARK: Running

    /// Trains until the last iteration, a stop command, a NaN or a checkpoint it cannot write; blocks
    /// while paused. Saves a checkpoint and the final models before returning, except after a halt.
    @discardableResult
    public func run(startPaused: Bool = false) -> TrainerState {
        control.reset(to: startPaused ? .paused : .running)
        sink(.config(ConfigEvent(step: step, time: elapsed, run: runName, preset: config.preset, settings: config.settings,
                                 classNames: classNames, resumed: resumed, teacherAccuracy: teacherAccuracy)))
        if resumed {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "resume-run", source: "cli")))
        }
        if let old = iterationsBefore {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "set", key: "iterations", old: Double(old),
                                       new: Double(config.iterations), source: "cli")))
        }
        while step < config.iterations {
            let once = drainInbox()
            let s = state
            if s == .stopped { break }
            if s == .paused && !once {
                control.waitForCommand()
                continue
            }
            if !iterate() { return .halted }
        }
        if state != .stopped { setState(.completed) }
        var failure = saveCheckpointReporting(reason: state == .completed ? "final" : stopReason)
        // After the checkpoint, which keeps the trained student for a longer resumed run.
        if state == .completed { deliverSelectedStudent() }
        // The models are the run's result: write them even when the checkpoint failed.
        do { try writeFinalModels() } catch { failure = failure ?? error }
        if let failure {
            haltOnWriteFailure(failure)
            return .halted
        }
        sink(.end(EndEvent(step: step, time: elapsed, reason: state == .completed ? "completed" : stopReason,
                           bestStudentAccuracy: bestStudentAccuracy, lastStudentAccuracy: lastStudentAccuracy)))
        return state
    }

    /// One DAFL iteration plus the extra student steps, events, evaluation and checkpoint.
    /// Returns false, touching no weight, when a loss is NaN or infinite; and, after the step, when its
    /// periodic checkpoint cannot be written.
    func iterate() -> Bool {
        let t0 = Date()
        let b = config.batch
        if let pruning, let wide = student as? LeNet5, wide.unitScales != nil { wide.unitScales = pruning.scales(at: step) }
        let z = Tensor(shape: [b, config.latent], data: rng.normal(count: b * config.latent))
        let targets = conditional.map { _ in (0..<b).map { _ in Int(rng.next() % UInt64(teacher.classes)) } }
        // Drawn only when on, so runs without it keep their random stream.
        let jitter = config.jitter.flatMap { n -> DAFLIteration.Jitter? in
            guard n > 0 else { return nil }
            let span = UInt64(2 &* n &+ 1)
            return DAFLIteration.Jitter(dy: Int(rng.next() % span) &- n, dx: Int(rng.next() % span) &- n, mirrored: rng.next() & 1 == 1)
        }
        // Generators take turns, and the one whose turn it is generates, is judged and steps; or, with
        // --generators-together, each does in every iteration.
        let turn = config.generatorsTogether == true ? Array(generators.indices) : [step % generators.count]
        // Drawn only when on, so runs without it keep their random stream.
        let mask = config.generatorMask == true
            ? Tensor(shape: [b, generators[0].channels, preprocessing.size, preprocessing.size],
                     data: ProceduralImages.masks(count: b, side: preprocessing.size, channels: generators[0].channels, rng: &rng))
            : nil
        var iterationWeights = weights
        iterationWeights.adversarial = Self.adversarialWeight(config, base: weights.adversarial, done: step)
        iterationWeights.beta = Self.betaWeight(config, base: weights.beta, done: step)
        // --ie-memory: the memory's class mix as the iteration starts (nil while empty: the batch alone).
        let memoryMix = weights.ieMemory < 1 ? replay.meanProbabilities() : nil
        var generated: [(generator: Int, result: IterationResult, images: Tensor?)] = []
        for (k, active) in turn.enumerated() {
            let noise = k == 0 ? z : Tensor(shape: [b, config.latent], data: rng.normal(count: b * config.latent))
            let (r, images) = DAFLIteration.run(generator: generators[active], teacher: teacher, student: student,
                                                generatorOptimizer: generatorOptimizers[active], studentOptimizer: studentOptimizer,
                                                noise: noise, weights: iterationWeights, targets: targets, conditional: active == 0 ? conditional : nil,
                                                kdTemperature: config.kdTemperature ?? 1, kdStandardized: config.kdStandardize ?? false,
                                                kdIntraClass: config.kdIntraClass ?? 0, kdDecoupled: config.kdDecoupled ?? 0,
                                                background: preprocessing.blackAndWhite.black, jitter: jitter,
                                                balancedOneHot: config.balancedOneHot ?? false, mask: mask, adversarialSure: config.adversarialSure ?? 0,
                                                memoryMix: memoryMix, keepImages: true)
            guard r.finite else {
                let which = [("one-hot", r.oneHot), ("activation", r.activation), ("information entropy", r.entropy),
                             ("distillation", r.distillation), ("discrepancy", r.discrepancy), ("total variation", r.totalVariation), ("feature similarity", r.featureSimilarity), ("border", r.borderDeviation), ("symmetry", r.mirrorAsymmetry), ("saturation", r.saturation)].filter { !$0.1.isFinite }.map { "\($0.0) = \($0.1)" }
                // Together, the generators before this one have stepped already.
                let untouched = k == 0 ? "no weight was updated" : "\(generatorName(active))'s step was not taken (the \(k) before it were)"
                setState(.halted)
                sink(.halt(HaltEvent(step: step, time: elapsed, reason: "non-finite-loss",
                                     detail: "at iteration \(step + 1): \(which.joined(separator: ", ")); \(untouched)",
                                     safeCheckpoint: lastCheckpoint)))
                sink(.end(EndEvent(step: step, time: elapsed, reason: "halted", bestStudentAccuracy: bestStudentAccuracy,
                                   lastStudentAccuracy: lastStudentAccuracy)))
                return false
            }
            generated.append((active, r, images))
        }
        let (active, r, images) = generated[0]
        step += 1
        if images != nil, config.replayBatches > 0 {
            memoryKept = 0
            for (active, r, images) in generated {
                guard let images else { continue }
                var batches = [(images.data, r.teacherLogits)]
                for _ in 0..<(config.replayFresh ?? 0) {
                    batches.append(FreshBatches.draw(from: generators[active], conditional: active == 0 ? conditional : nil, teacher: teacher,
                                                     latent: config.latent, batch: b, rng: &rng))
                }
                if let pick = config.replayPick, pick.hasPrefix("rare") {
                    batches = [FreshBatches.pickRare(images: batches.flatMap(\.0), logits: batches.flatMap(\.1), imageSize: images.count / b,
                                                     classes: teacher.classes, counts: replay.classCounts(), size: b, surestFirst: pick == "rare-sure")]
                }
                for (x, l) in batches { memoryKept &+= replay.add(images: x, logits: l, keepRare: config.replayKeepRare.map(Double.init)) }
            }
            for i in 1..<config.studentSteps {
                let (x, t) = replayBatch(boundary: i >= config.studentSteps - (config.boundaryBatches ?? 1))
                let hint = hintUnits.map { units in (target: Self.columns(GradMode.noGrad { teacher.forwardWithFeatures(x).features }, units),
                                                      weight: config.kdHint ?? 0) }
                let loss = { () -> Tensor in
                    let (logits, features) = hint != nil ? self.student.forwardWithFeatures(x) : (self.student(x), Tensor(scalar: 0))
                    let kd = DAFLLoss.distillation(student: logits, teacher: t, temperature: self.config.kdTemperature ?? 1,
                                                   standardized: self.config.kdStandardize ?? false, intraClass: self.config.kdIntraClass ?? 0,
                                                   decoupled: self.config.kdDecoupled ?? 0, hard: self.config.kdHard ?? 0)
                    guard let hint else { return kd }
                    return kd + Tensor.mseLoss(features, targets: hint.target) * hint.weight
                }
                studentOptimizer.zeroGrad()
                loss().backward()
                if let rho = config.studentSAM, rho > 0 {
                    SharpnessAware.regrade(student.parameters, rho: rho, zeroGrad: studentOptimizer.zeroGrad, loss: loss)
                }
                studentOptimizer.step()
            }
        }
        if pruning?.fadeIterations == step {
            do { try finishPruning() } catch {
                setState(.halted)
                sink(.halt(HaltEvent(step: step, time: elapsed, reason: "pruning-failed", detail: "\(error)", safeCheckpoint: lastCheckpoint)))
                sink(.end(EndEvent(step: step, time: elapsed, reason: "halted", bestStudentAccuracy: bestStudentAccuracy,
                                   lastStudentAccuracy: lastStudentAccuracy)))
                return false
            }
        }
        studentAverage?.update()
        if let every = config.generatorRestart, every > 0, step % every == 0, step < config.iterations {
            // A generator settles on its own few modes; a new one brings images the student has not seen,
            // while the replay memory still holds the last one's.
            for i in generators.indices { reinitialiseGenerator(i) }
            sink(.control(ControlEvent(step: step, time: elapsed, action: "generator-restart", source: "trainer")))
        }
        if config.studentLRSteps.contains(step) { studentOptimizer.learningRate *= config.lrStepFactor }
        if config.studentLRSchedule == "cosine" {
            studentOptimizer.learningRate = config.lrS * Float(0.5 * (1 + cos(Double.pi * Double(step) / Double(config.iterations))))
        }
        if let rate = Self.generatorRate(config, done: step) { for o in generatorOptimizers { o.learningRate = rate } }
        if let n = config.studentWarmup, n > 0, step <= n {
            // Cosine: its rate, scaled; otherwise the base rate, scaled (lr steps inside the warm-up are not supported).
            let base = config.studentLRSchedule == "cosine" ? studentOptimizer.learningRate : config.lrS
            studentOptimizer.learningRate = base * Self.warmupFactor(config, done: step)
        }
        emitStep(r, generator: active, adversarialWeight: iterationWeights.adversarial, beta: iterationWeights.beta, seconds: Date().timeIntervalSince(t0))
        for (k, g) in generated.enumerated() { watchForCollapse(g.result, generator: g.generator, newer: generated.count - 1 - k) }
        if let images, step % config.samplesEvery == 0 || step == 1 { emitSamples(images, r, targets: targets) }
        if step % config.evalEvery == 0 || step == config.iterations {
            if selection != nil {
                selection!.collect(generators: generators, conditional: conditional, teacher: teacher, latent: config.latent, batch: config.batch)
                // A gradually pruned student is kept once it is the half-width one it delivers.
                if !(pruning?.isWide(at: step) ?? false) { selection!.keep(step: step, student: deliveredStudent) }
            }
            evaluate()
        }
        if step % config.checkpointEvery == 0, let error = saveCheckpointReporting(reason: "periodic") {
            haltOnWriteFailure(error)
            return false
        }
        return true
    }

    /// The given columns of a [N, C] tensor's rows, row after row (`--kd-hint`'s targets: the teacher's kept units).
    static func columns(_ x: Tensor, _ units: [Int]) -> [Float] {
        let (n, c) = (x.shape[0], x.shape[1])
        var out = [Float](repeating: 0, count: n &* units.count)
        x.data.withUnsafeBufferPointer { xp in
            for i in 0..<n { for (j, u) in units.enumerated() { out[i &* units.count &+ j] = xp[i &* c &+ u] } }
        }
        return out
    }

    /// A batch for an extra student step: drawn from replay, and when augmenting, changed and
    /// relabelled by the teacher (or, with `--view-labels stored`, given the stored answers, mixed). Returns images and target logits.
    func replayBatch(boundary: Bool = false) -> (Tensor, Tensor) {
        let b = config.replayBatch ?? config.batch, augmentation = config.augmentation
        var (x, t) = config.balancedReplay == true ? replay.sampleBalanced(size: b, side: preprocessing.size, rng: &rng)
            : config.replayClassCap.map({ $0 < 1 }) == true ? replay.sampleCapped(size: b, side: preprocessing.size, cap: Double(config.replayClassCap!), rng: &rng)
            : replay.sample(size: b, side: preprocessing.size, rng: &rng)
        let walks = boundary && (config.boundarySamples ?? 0) > 0
        if let share = walks && config.boundaryProcedural == true ? 1 : config.procedural, share > 0 {
            // The first rows give way (the draw is in random order) to fresh procedural pictures and the teacher's answers
            // (needed even when the augmentation relabels: stable views, mixnear partners and stored labels read them first).
            let k = Swift.min(Int((share * Float(b)).rounded()), b), (side, channels) = (preprocessing.size, x.shape[1])
            if k > 0 {
                let (black, white) = preprocessing.blackAndWhite
                let fresh = ProceduralImages.draw(count: k, side: side, channels: channels, black: black, white: white, rng: &rng)
                let answers = GradMode.noGrad { teacher(Tensor(shape: [k, channels, side, side], data: fresh)) }
                x.data.replaceSubrange(0..<fresh.count, with: fresh)
                t.data.replaceSubrange(0..<answers.count, with: answers.data)
            }
        }
        if let n = config.impressions, n > 0 {
            // The last rows (the first may be procedural pictures) give way to class impressions and their stored answers.
            let bank = impressionBank ?? {
                let (black, white) = preprocessing.blackAndWhite
                return ClassImpressions.build(count: n, steps: config.impressionSteps ?? 40, side: preprocessing.size, channels: x.shape[1],
                                              black: black, white: white, teacher: teacher, seed: config.seed)
            }()
            impressionBank = bank
            let k = Swift.min(Int(((config.impressionShare ?? 0.25) * Float(b)).rounded()), b)
            bank.replace(rows: k, from: b - k, in: &x, answers: &t, rng: &rng)
        }
        if !augmentation.isNone {
            let (black, white) = preprocessing.blackAndWhite
            let (side, channels) = (preprocessing.size, x.shape[1])
            // `apply` is `move` then `repaint`; stable views judge the moved images in between.
            let stored = config.stableViews == true ? x.data : nil
            augmentation.move(&x.data, count: b, side: side, channels: channels, rng: &rng)
            if let stored {
                let (moved, kept) = StableViews.keep(&x, stored: stored, storedClasses: t.argmaxRows(), teacher: teacher)
                viewsMoved &+= moved; viewsKept &+= kept
            }
            let mixes = augmentation.repaint(&x.data, count: b, side: side, channels: channels, black: black, white: white,
                                             answers: augmentation.mixNear ? t : nil, rng: &rng)
            t = config.viewLabels == ViewLabels.stored.rawValue ? ViewLabels.mixed(t, mixes) : GradMode.noGrad { teacher(x) }
        }
        if let eps = config.hardSamples, eps > 0 {
            HardSamples.climb(&x, targets: t, student: student, epsilon: eps, count: b / 2,
                              temperature: config.kdTemperature ?? 1, standardized: config.kdStandardize ?? false)
            studentOptimizer.zeroGrad()
            t = GradMode.noGrad { teacher(x) }
        }
        if boundary, let eps = config.boundarySamples, eps > 0 {
            let toward: [Int]
            switch BoundarySamples.Toward(rawValue: config.boundaryToward ?? "uniform") ?? .uniform {
            case .uniform:   // drawn only when on, so runs without it keep their random stream
                toward = (0..<b).map { _ in Int(rng.next() % UInt64(teacher.classes)) }
            case .runnerUp:
                toward = BoundarySamples.likeliestOther(t, excluding: t.argmaxRows())
            case .student:
                toward = BoundarySamples.likeliestOther(GradMode.noGrad { student(x) }, excluding: t.argmaxRows())
            case .rare:
                toward = BoundarySamples.drawRare(counts: replay.classCounts(), size: b, rng: &rng)
            }
            BoundarySamples.walk(&x, toward: toward, teacher: teacher, epsilon: eps, steps: config.boundarySteps ?? BoundarySamples.steps,
                                  stopAtTarget: config.boundaryStop ?? false)
            t = GradMode.noGrad { teacher(x) }
            boundaryHits = Double(zip(t.argmaxRows(), toward).filter { $0 == $1 }.count) / Double(Swift.max(b, 1)) * 100
        }
        return (x, t)
    }

    /// Sends the iteration's step event: its losses, the weights it used (`adversarialWeight` under `--adversarial-final`), the
    /// teacher's classes for its images and the memory's fill.
    private func emitStep(_ r: IterationResult, generator active: Int, adversarialWeight: Float, beta: Float, seconds: Double) {
        let k = teacher.classes
        var hist = [Int](repeating: 0, count: k)
        for c in r.teacherClasses { hist[c] += 1 }
        let n = Double(r.teacherClasses.count)
        let entropy = hist.reduce(0.0) { acc, c in c == 0 ? acc : acc - Double(c) / n * log2(Double(c) / n) }
        recentStepTimes.append(seconds)
        if recentStepTimes.count > 20 { recentStepTimes.removeFirst() }
        let rate = Double(recentStepTimes.count) / recentStepTimes.reduce(0, +)
        var event = StepEvent(step: step, time: elapsed, oh: Double(r.oneHot), a: Double(r.activation), ie: Double(r.entropy),
                              kd: Double(r.distillation), total: Double(r.total), alpha: Double(weights.alpha),
                              beta: Double(beta), ohWeight: Double(weights.oneHot),
                              lrG: Double(generatorOptimizer.learningRate), lrS: Double(studentOptimizer.learningRate),
                              hist: hist, histEntropy: entropy, stepsPerSecond: rate)
        if weights.adversarial > 0 { event.adv = Double(r.discrepancy); event.advWeight = Double(adversarialWeight) }
        if weights.tv > 0 { event.tv = Double(r.totalVariation); event.tvWeight = Double(weights.tv) }
        if weights.border > 0 { event.border = Double(r.borderDeviation); event.borderWeight = Double(weights.border) }
        if weights.symmetry > 0 { event.sym = Double(r.mirrorAsymmetry); event.symWeight = Double(weights.symmetry) }
        if weights.saturation > 0 { event.sat = Double(r.saturation); event.satWeight = Double(weights.saturation) }
        if weights.diversity > 0 { event.div = Double(r.featureSimilarity); event.divWeight = Double(weights.diversity) }
        if config.replayBatches > 0 {
            event.memory = replay.sampleCount; event.memoryCapacity = config.replayBatches * config.batch
            event.memoryClasses = replay.classCounts()
        }
        if config.replayKeepRare.map({ $0 < 1 }) == true { event.memoryKept = memoryKept }
        event.onTarget = r.onTarget.map { Double($0) * 100 }
        if generators.count > 1 { event.generator = active + 1; event.generators = generators.count }
        event.boundaryHits = boundaryHits
        if viewsMoved > 0 { event.viewsKept = Double(viewsKept) / Double(viewsMoved) * 100 }
        viewsMoved = 0; viewsKept = 0
        sink(.step(event))
    }

    /// Overwrites the student's weights with a file's (`--student-weights`), after checking that they fit it.
    private static func loadStudentWeights(_ path: String, into student: any Classifier) throws {
        guard let mine = student as? LeNet5 else { throw WeightsError(file: path, problem: "--student-weights needs a LeNet-5 student") }
        let (theirs, _, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: path))
        guard theirs.width == mine.width, theirs.classes == mine.classes, theirs.inChannels == mine.inChannels else {
            throw WeightsError(file: path, problem: "--student-weights: the file holds a \(theirs.width.rawValue) for \(theirs.classes) classes and \(theirs.inChannels) channel(s); the student is a \(mine.width.rawValue) for \(mine.classes) classes and \(mine.inChannels) channel(s)")
        }
        for (m, t) in zip(mine.parameters, theirs.parameters) { m.data = t.data }
    }

    /// DAFL's generator can collapse (Adam at lr_G 0.2 can saturate its tanh): every image the same,
    /// one class. With `collapseReset` the generator starts afresh; otherwise the user is warned once per episode.
    /// `newer`: batches added to the memory after this generator's in this iteration (generators stepping together).
    private func watchForCollapse(_ r: IterationResult, generator i: Int, newer: Int = 0) {
        singleClassSteps[i] = Set(r.teacherClasses).count == 1 ? singleClassSteps[i] + 1 : 0
        if let n = config.collapseReset, n > 0, singleClassSteps[i] >= n {
            resetGenerator(i, afterSingleClassSteps: singleClassSteps[i], newer: newer)
        } else if singleClassSteps[i] == Self.collapseWarningSteps {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "warning",
                                       key: "\(generatorName(i)) collapsed: the teacher sees one class in every image it generated for \(Self.collapseWarningSteps) \(turns); it rarely recovers: --resume from a checkpoint before it, or start another --seed",
                                       source: "trainer")))
        }
    }

    /// How messages name generator `i`, and what its iterations are called: its turns when several take turns.
    private func generatorName(_ i: Int) -> String { generators.count > 1 ? "generator \(i + 1) of \(generators.count)" : "generator" }
    private var turns: String { generators.count > 1 ? "turns" : "steps" }

    /// Starts generator `i` afresh: new weights from the run's RNG and a new Adam state.
    private func reinitialiseGenerator(_ i: Int) {
        let generator = generators[i]
        let fresh = Generator(latent: generator.latent, width: generator.width, channels: generator.channels,
                              imageSize: generator.initSize * 4, rng: &rng)
        for ((_, mine), (_, new)) in zip(generator.stateDict, fresh.stateDict) { mine.data = new.data }
        if i == 0 { conditional?.resetConditioning(rng: &rng) }
        generatorOptimizers[i].reset()
    }

    /// A collapsed generator cannot leave its fixed point (with every image identical, the last batch
    /// norm passes back exactly zero gradient): start it afresh and forget its collapsed batches (with
    /// generators taking turns, every K-th from the newest).
    private func resetGenerator(_ i: Int, afterSingleClassSteps n: Int, newer: Int = 0) {
        reinitialiseGenerator(i)
        replay.dropNewest(n, stride: generators.count, skipping: newer)
        singleClassSteps[i] = 0
        sink(.control(ControlEvent(step: step, time: elapsed, action: "generator-reset",
                                   key: "\(generatorName(i)) collapsed (one class for \(n) \(turns)): re-initialised it and dropped its last \(n) batches from replay",
                                   source: "trainer")))
    }

    private func emitSamples(_ images: Tensor, _ r: IterationResult, targets: [Int]?) {
        let channels = images.shape[1], side = images.shape[3]
        let count = Swift.min(config.samplesCount, images.shape[0])
        // Colour images keep their three planes, stretched together (the dashboard draws them in colour).
        let (bytes, range) = preprocessing.stretchedGreyLevels(images.data, count: count, plane: channels * side * side)
        let out = bytes.enumerated().map { i, b in
            SamplesEvent.Image(pixels: Data(b).base64EncodedString(), label: r.teacherClasses[i], confidence: Double(r.teacherConfidence[i]),
                               conditioning: targets?[i])
        }
        sink(.samples(SamplesEvent(step: step, time: elapsed, width: side, height: side, images: out,
                                   greyRange: [Double(range.lo), Double(range.hi)], channels: channels > 1 ? channels : nil)))
    }

    /// Student accuracy and agreement with the teacher on the real test split (never trained on).
    public func evaluate() {
        guard let test else { return }
        var event = measured(deliveredStudent, on: test)
        // A gradually pruned student is still the wide, fading teacher: measured, but not the student delivered.
        let fading = pruning.flatMap { $0.isWide(at: step) ? Swift.max(0, 1 - Double(step) / Double($0.fadeIterations)) : nil }
        lastStudentAccuracy = event.studentAccuracy
        if fading == nil { bestStudentAccuracy = Swift.max(bestStudentAccuracy ?? 0, event.studentAccuracy) }
        event.bestStudentAccuracy = bestStudentAccuracy
        event.fading = fading
        if studentAverage != nil { event.trainedStudentAccuracy = Classification.predictions(student, on: test).accuracy * 100 }
        sink(.eval(event))
    }

    /// `model` on the test split: accuracy, agreement with the teacher overall and per teacher class, as an evaluation now.
    private func measured(_ model: any Classifier, on test: Dataset) -> EvalEvent {
        let (preds, acc) = Classification.predictions(model, on: test)
        let agree = zip(preds, teacherTestPredictions).filter { $0 == $1 }.count
        var event = EvalEvent(step: step, time: elapsed, studentAccuracy: acc * 100, teacherAccuracy: teacherAccuracy ?? 0,
                              agreement: Double(agree) / Double(Swift.max(test.count, 1)) * 100,
                              bestStudentAccuracy: bestStudentAccuracy)
        event.classAgreement = Self.classAgreement(student: preds, teacher: teacherTestPredictions, classes: teacher.classes)
        return event
    }

    /// `--select agreement`, at the end of a completed run: loads the kept student that agrees most with the teacher on
    /// the held-out pool into the delivered student, says which, and measures it on the test split (measured only).
    func deliverSelectedStudent() {
        guard selection != nil, let (chosen, scores) = selection!.choose(student: deliveredStudent, side: preprocessing.size) else { return }
        let last = scores.last!.agreement, best = scores.first { $0.step == chosen }!.agreement
        var notice = ControlEvent(step: step, time: elapsed, action: "select-student",
                                 key: String(format: "delivering the student of iteration %d: %.2f%% agreement with the teacher on %d held-out generated images (last: %.2f%%)",
                                             chosen, best, selection!.poolClasses.count, last),
                                 new: Double(chosen), source: "trainer")
        notice.detail = "agreement by iteration: " + scores.map { String(format: "%d %.2f%%", $0.step, $0.agreement) }.joined(separator: ", ")
        sink(.control(notice))
        guard let test else { return }
        var event = measured(deliveredStudent, on: test)
        event.selectedStep = chosen
        sink(.eval(event))
    }

    /// Per teacher class, the percent of its test images on which the student gives the same class (nil-free:
    /// a class the teacher never predicts gets 100).
    static func classAgreement(student: [Int], teacher: [Int], classes: Int) -> [Double] {
        var same = [Int](repeating: 0, count: classes), total = same
        for (s, t) in zip(student, teacher) where t >= 0 && t < classes {
            total[t] += 1
            if s == t { same[t] += 1 }
        }
        return (0..<classes).map { total[$0] == 0 ? 100 : Double(same[$0]) / Double(total[$0]) * 100 }
    }

    // MARK: Saving

    public func saveCheckpoint(reason: String) throws -> URL {
        let info = CheckpointInfo(step: step, file: String(format: "checkpoint-%08d.safetensors", step), weights: weights,
                                  lrG: generatorOptimizer.learningRate, lrS: studentOptimizer.learningRate,
                                  rng: rng.state.map(String.init), elapsed: elapsed,
                                  bestStudentAccuracy: bestStudentAccuracy, lastStudentAccuracy: lastStudentAccuracy,
                                  studentEMAUpdates: studentAverage?.updates, singleClassSteps: singleClassSteps,
                                  selectionSteps: selection?.candidates.map(\.step), selectionRNG: selection?.rng.state.map(String.init),
                                  config: config, teacherPath: teacherPath, dataDir: dataDir, runName: runName)
        let url = try Checkpoint.save(runDir: runDir, info: info, generators: generators, conditional: conditional, student: student,
                                      studentAverage: studentAverage?.average,
                                      generatorOptimizers: generatorOptimizers, studentOptimizer: studentOptimizer, replay: replay,
                                      selection: selection?.stateTensors(imageShape: [teacher.inChannels, preprocessing.size, preprocessing.size]) ?? [])
        lastCheckpoint = url.path
        return url
    }

    /// Saves, and reports a failure as a `checkpoint-failed` control event: the previous checkpoint
    /// stays valid. Returns the failure, if any.
    @discardableResult
    private func saveCheckpointReporting(reason: String) -> Error? {
        do {
            let url = try saveCheckpoint(reason: reason)
            sink(.checkpoint(CheckpointEvent(step: step, time: elapsed, path: url.path, reason: reason)))
            return nil
        } catch {
            sink(.control(ControlEvent(step: step, time: elapsed, action: "checkpoint-failed", key: "\(error)", source: "trainer")))
            return error
        }
    }

    /// Ends the run on a file it cannot write (a full disk, a directory made read-only): training on
    /// would only pile up steps that no checkpoint holds. `safe_checkpoint` names the last one written,
    /// which the failed write left in place for `--resume`.
    private func haltOnWriteFailure(_ error: Error) {
        setState(.halted)
        sink(.halt(HaltEvent(step: step, time: elapsed, reason: "write-failed", detail: "\(error)", safeCheckpoint: lastCheckpoint)))
        sink(.end(EndEvent(step: step, time: elapsed, reason: "halted", bestStudentAccuracy: bestStudentAccuracy,
                           lastStudentAccuracy: lastStudentAccuracy)))
    }

    /// `student.safetensors` (self-describing, `dafl eval` reads it) and `generator.safetensors`.
    public func writeFinalModels() throws {
        // A ResNet's preprocessing is CIFAR's per-channel one, not the grey kind the metadata holds.
        // A run stopped while its units fade delivers the wide student with the fade folded into its weights.
        let delivered = (deliveredStudent as? LeNet5).flatMap { $0.unitScales == nil ? nil : $0.foldingUnitScales() } ?? deliveredStudent
        try ModelFile.save(delivered, preprocessing: student is ResNet ? nil : preprocessing,
                           extra: ["trained_by": "dafl distill", "teacher": teacherPath, "step": "\(step)"],
                           to: runDir.appendingPathComponent("student.safetensors"))
        // A targeted run's generator is a class-conditional one (`dafl cgan sample` and `quality` read it).
        let saved: Model = conditional ?? generator
        try ModelFile.save(saved, preprocessing: preprocessing, extra: ["step": "\(step)"],
                           to: runDir.appendingPathComponent("generator.safetensors"))
        for (i, g) in generators.enumerated().dropFirst() {
            try ModelFile.save(g, preprocessing: preprocessing, extra: ["step": "\(step)"],
                               to: runDir.appendingPathComponent("generator-\(i + 1).safetensors"))
        }
    }
}
