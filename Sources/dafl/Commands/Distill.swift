import ArgumentParser
import DAFLEngine
import DAFLTrainer
import Dashboard
import Foundation
import RunEvents
import TensorBoard

/// `dafl distill`: trains a student from a teacher alone, with DAFL.
struct Distill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Distill a LeNet-5-half student from a teacher with no training data (DAFL).",
        discussion: """
        Examples:
          dafl distill                       # shipped teacher, CPU preset
          dafl distill --preset paper --teacher t.safetensors --data DIR
          dafl distill --resume runs/20261121-140000-cpu
        A run directory holds events.jsonl (the run log), checkpoint.json and
        checkpoint-*.safetensors, then student.safetensors and
        generator.safetensors. Ctrl-C saves and stops; --resume continues.
        """)

    @Option(help: "Preset: cpu (a good student in minutes on 2 cores), paper (the reference MNIST recipe), cifar10 or cifar100 (the reference CIFAR recipes: ResNet-34 teacher, ResNet-18 student).")
    var preset: String = "cpu"
    @Option(help: "Teacher weights (safetensors). Default: the shipped Fashion-MNIST LeNet-5.") var teacher: String?
    @Option(help: "Dataset directory, used only to measure teacher and student on its test split.") var data: String?
    @Option(help: "Total DAFL iterations.") var iterations: Int?
    @Option(help: "Generated images per iteration.") var batch: Int?
    @Option(help: "α: weight of the activation loss.") var alpha: Float?
    @Option(help: "Weight of the teacher–student discrepancy the generator maximises (DFAD-style; 0, plain DAFL, by default).")
    var adversarial: Float?
    @Option(help: "Weight of the squared total variation of the generated images, an image prior the generator minimises (0: off).")
    var tv: Float?
    @Option(help: "Weight of the border prior: the mean squared distance of the generated images' outermost rows and columns (--border-band) from black, which the generator minimises (0: off; the cpu preset: 3).")
    var border: Float?
    @Option(help: "Weight of the symmetry prior: the mean squared difference of the generated images from their mirror images, which the generator minimises (0: off).")
    var symmetry: Float?
    @Option(name: .customLong("ie-temperature"), help: "Temperature of the softmax the information-entropy term averages (1: the paper's; below 1 it balances the teacher's class counts more than its soft mass).")
    var ieTemperature: Float?
    @Option(name: .customLong("ie-memory"), help: "The batch's share S of the class mix the information-entropy term balances; the replay memory's mean teacher softmax makes up 1 − S, so a batch gains by bringing the classes the memory lacks (1: the batch alone, the paper's).")
    var ieMemory: Float?
    @Option(help: "Weight of the saturation prior: the mean log cosh of the generator's drive before its tanh, which the generator minimises: grey levels instead of two-level pictures (0: off).")
    var saturation: Float?
    @Option(help: "Pixels along each edge that --border holds at black (1–8; default 2).")
    var borderBand: Int?
    @Option(help: "Weight of the mean cosine similarity between the teacher features of a batch's images, a diversity term the generator minimises (0: off).")
    var diversity: Float?
    @Option(help: "How --adversarial measures the disagreement: l1 (of the logits, DFAD), kl (of the softmax outputs, ZSKT) or zkl (kl of the z-scored logits, for --kd-standardize).")
    var discrepancy: String?
    @Option(help: "β: weight of the information-entropy loss.") var beta: Float?
    @Option(help: "Weight of the one-hot loss.") var oh: Float?
    @Option(name: .customLong("lr-g"), help: "Generator learning rate (Adam).") var lrG: Float?
    @Option(name: .customLong("lr-g-final"), help: "The generator's learning rate at the last iteration, reached from --lr-g on a cosine (default: --lr-g throughout).") var lrGFinal: Float?
    @Option(name: .customLong("lr-s"), help: "Student learning rate.") var lrS: Float?
    @Option(help: "Seed for every random draw.") var seed: UInt64?
    @Option(help: "Run directory (default: runs/<time>-<preset>).") var runDir: String?
    @Option(help: "Continue the run saved in this directory.") var resume: String?
    @Flag(help: "Plain progress lines instead of the dashboard (automatic when stdout is not a terminal).") var headless = false
    @Option(help: "Evaluate the student on the test split every N iterations.") var evalEvery: Int?
    @Option(help: "Checkpoint every N iterations.") var checkpointEvery: Int?
    @Option(help: "Log generated images every N iterations.") var samplesEvery: Int?
    @Option(help: "Generator width (128 in the reference).") var generatorWidth: Int?
    @Option(help: "Latent size of the generator's noise.") var latent: Int?
    @Option(help: "Student updates per iteration (the extra ones replay recent generated batches).") var studentSteps: Int?
    @Option(help: "Generated batches kept for replay.") var replay: Int?
    @Option(help: "Class impressions: this many procedural pictures walked (see --impression-steps) until the teacher is sure of a class, the classes in turn, built once when the run starts; they make up --impression-share of every replayed batch (0: none).") var impressions: Int?
    @Option(help: "Share of each replayed batch that is class impressions (default 0.25).") var impressionShare: Float?
    @Option(help: "Signed-gradient steps of 0.02 each class impression walks down the teacher's cross-entropy for its class, pixels held between black and white (default 40).") var impressionSteps: Int?
    @Option(help: "Share of each replayed batch replaced by procedural pictures drawn fresh (smooth random shapes with grey textures on black), labelled by the teacher (0: none).") var procedural: Float?
    @Option(help: "Extra batches the generator draws after its step each iteration, added to the replay memory with the teacher's logits (0: none).") var replayFresh: Int?
    @Option(help: "What --replay-fresh adds: all (every batch) or rare (one batch picked from the iteration's and the fresh ones, the classes the memory holds least first) or rare-sure (the same, each class's images the teacher is surest of first).") var replayPick: String?
    @Option(help: "Images per replayed student step, drawn from the whole memory (default: --batch).") var replayBatch: Int?
    @Option(help: "Change replayed images before extra student steps, relabelled by the teacher: none, or a list of shift, shiftN, flip, rotate (±15°), zoom (±10 %), squeeze (narrowed by up to half), squeezeN (by up to N %), squash, squashN (flattened likewise), lines (a black line across each image), blur, contrast, levels, gamma, cutmix, mixup, mixupN (N % of the images), mixnear (mixup with an image of the runner-up class), mix3, project28 (onto the images a 28×28 picture resized can be; last) (cpu preset: shift,flip,mixup).")
    var augment: String?
    @Option(help: "Re-initialise the generator after this many single-class steps in a row (0: never).") var collapseReset: Int?
    @Option(help: "Re-initialise the generator every N iterations, keeping the replay memory (0: never).") var generatorRestart: Int?
    @Option(help: "Generators that take turns, an iteration each, filling one replay memory (1: the reference's one).") var generators: Int?
    @Option(help: "The generators' Adam beta1 (0.9: the reference's).") var generatorBeta1: Float?
    @Flag(help: "With --generators K, every generator steps in every iteration (K batches an iteration) instead of taking turns.") var generatorsTogether = false
    @Option(help: "The teacher judges each generated batch rolled by up to N pixels each way and mirrored half the time (0: off).") var jitter: Int?
    @Flag(help: "Targeted generation: each image is generated for a uniformly drawn class (noise × class embedding) and the one-hot term is the cross-entropy against it (docs/PRESETS.md).")
    var targeted = false
    @Option(help: "How --targeted conditions the generator: noise (× a class embedding) or batchnorm (a γ and β per class in its batch norms).")
    var conditioning: String?
    @Option(name: .customLong("student-ema"), help: "Evaluate and save a moving average of the student's weights with this decay per iteration (0: off).")
    var studentEMA: Float?
    @Option(name: .customLong("student-swa"), help: "Evaluate and save the plain mean of the student's weights after every iteration from this one on (stochastic weight averaging; off by default).")
    var studentSWA: Int?
    @Option(help: "The student's learning rate climbs linearly to its value over the first N iterations (0: none).") var studentWarmup: Int?
    @Flag(name: .customLong("generator-project28"), help: "Project the generator's images onto those a 28×28 picture resized to the input side can be.") var generatorProject28 = false
    @Option(name: .customLong("kd-hint"), help: "Weight of a hint on replayed batches: MSE between the student's conv3 features and the teacher's at the units it kept (0: off).") var kdHint: Float?
    @Option(name: .customLong("kd-hard"), help: "Weight of a cross-entropy against the teacher's argmax beside the replayed steps' distillation loss (0: off).") var kdHard: Float?
    @Option(name: .customLong("student-sam"), help: "Sharpness-aware replayed student steps: the gradient taken at the weights moved by this radius up the gradient (0: plain steps).") var studentSAM: Float?
    @Option(name: .customLong("kd-temperature"), help: "Temperature T of the student's loss, T²·KL(softmax(t/T) ‖ softmax(s/T)) (1: the reference).")
    var kdTemperature: Float?
    @Option(help: "Move half of each replayed batch one signed-gradient step of this size up the student's loss (hard samples, relabelled by the teacher; 0: off).")
    var hardSamples: Float?
    @Option(help: "Walk the last replayed batch (--boundary-batches) of each iteration --boundary-steps signed-gradient steps (5) of this size toward a class (--boundary-toward; drawn per image by default), then have the teacher label it (boundary samples; 0: off).")
    var boundarySamples: Float?
    @Option(help: "How many of each iteration's replayed batches walk under --boundary-samples (default 1).")
    var boundaryBatches: Int?
    @Option(help: "Where --boundary-samples walk: uniform (a class drawn per image), runner-up (the teacher's second class), student (the student's likeliest class other than the teacher's) or rare (classes the replay memory holds least, most often).")
    var boundaryToward: String?
    @Option(help: "Signed-gradient steps per boundary walk (default 5).")
    var boundarySteps: Int?
    @Flag(help: "The generator's one-hot term pulls each image toward a class-balanced assignment (at most batch/classes images per class; an image keeps its argmax while that class has room) instead of its argmax.")
    var balancedOneHot = false
    @Flag(help: "Cut each generated image to a procedural shape drawn fresh (the generator's pixels inside, black outside): one filled shape near the middle of the frame, whose inside the generator learns.")
    var generatorMask = false
    @Option(help: "The generator's adversarial KL counts only images whose teacher top probability is at least this (e.g. 0.8): it pushes toward disagreement only what the teacher is sure of (0: every image).")
    var adversarialSure: Float?
    @Flag(help: "Stop each boundary walk, image by image, where the teacher first gives the image the class it walks toward (boundary-supporting samples: just past the boundary, not deep in the class).")
    var boundaryStop = false
    @Flag(help: "The batches that walk under --boundary-samples are procedural pictures drawn fresh (see --procedural), not replayed ones.")
    var boundaryProcedural = false
    @Flag(help: "Draw replayed images class-balanced by the teacher's class, not uniformly.") var balancedReplay = false
    @Option(help: "No teacher class makes up more than this share of the replayed images (e.g. 0.15): an over-produced class is drawn less, the others as the memory holds them (1: uniform).") var replayClassCap: Float?
    @Option(help: "When the full replay memory evicts a batch, the new batch's images of classes holding more than this share of the memory (e.g. 0.2) trade places with the evicted batch's images of classes under an equal share: rare classes' images stay for the whole run (1: plain first in, first out).") var replayKeepRare: Float?
    @Flag(inversion: .prefixedNo, help: "Distil logits z-scored per row (logit standardisation, Sun et al. 2024): the student matches the shape of the teacher's logits, not their range (cpu preset: on).") var kdStandardize: Bool?
    @Option(help: "The student the run delivers: last, or agreement (the copy kept at an evaluation that agrees most with the teacher on generated images the run never trains on; no test label is used).") var select: String?
    @Option(name: .customLong("kd-intra-class"), help: "Weight W of DIST's intra-class relation in the student's loss: W × (1 − the mean, over classes, of the correlation across the batch between the student's and the teacher's logit for each class; z-scored logits under --kd-standardize) (0: KL alone).") var kdIntraClass: Float?
    @Option(name: .customLong("kd-decoupled"), help: "Decoupled distillation (DKD) in place of the KL: the classes below the teacher's answer weighted by β on every image instead of by 1 − its probability (z-scored logits under --kd-standardize) (0: the KL).") var kdDecoupled: Float?
    @Option(help: "Who labels a shifted, mirrored or mixed replay image: teacher (asked again; the default) or stored (its answer for the image as generated, mixed as the pixels are; no teacher forward).") var viewLabels: String?
    @Flag(help: "Keep a replayed image's shift or mirror only where the teacher's class for it stays the one it gave the stored image (one more teacher forward per replayed batch).") var stableViews = false
    @Option(help: "The generator's last step: batchnorm (the reference: tanh, standardised over the batch), grey (tanh onto the grey levels 0…1 a picture holds) or linear (standardised, no tanh: grey levels stay).")
    var generatorOutput: String?
    @Option(help: "The student's first weights: random (paper); teacher (cpu): the teacher's largest units, pruned to the student's width; or gradual: the whole teacher, whose other units fade out over --prune-fade iterations (LeNet-5 students; no data involved).")
    var studentInit: String?
    @Option(help: "Start the student from this LeNet-5-half weights file (safetensors with PyTorch's state_dict names, e.g. a student trained in PyTorch) in place of --student-init's start; read once, when the run starts.")
    var studentWeights: String?
    @Option(help: "The adversarial term's weight at the last iteration: the weight follows a cosine from --adversarial to this (default: constant).")
    var adversarialFinal: Float?
    @Option(help: "The information-entropy weight β at the last iteration: β follows a cosine from --beta to this (default: constant).")
    var betaFinal: Float?
    @Option(help: "Student layers left as they start, never trained: comma-separated names (e.g. conv1: with --student-init teacher, the teacher's own first filters).")
    var studentFreeze: String?
    @Option(help: "With --student-init gradual: iterations over which the teacher's dropped units fade from 1 to 0 before the student becomes half width (default: half the run).")
    var pruneFade: Int?
    @Option(help: "Student optimizer: adam or sgd.") var studentOptimizer: String?
    @Option(name: .customLong("lr-s-schedule"), help: "Student learning-rate schedule: constant or cosine.") var lrSSchedule: String?
    @Option(help: "Student SGD momentum.") var momentum: Float?
    @Option(help: "Student weight decay.") var weightDecay: Float?
    @Option(help: "Iterations at which the student's learning rate is multiplied by 0.1, e.g. 96000,192000.") var lrSteps: String?
    @Option(help: "Print a progress line every N iterations (headless).") var printEvery: Int?
    @Option(help: "Dashboard theme: a name in themes/ (dark, light, high-contrast, mono) or a file.") var theme = "dark"
    @Flag(help: "Open the dashboard paused (space starts).") var startPaused = false
    @Option(help: "Also write the run as TensorBoard event files into this directory, live.") var tensorboard: String?
    @Option(help: "Student architecture: lenet5-half (cpu, paper) or resnet18 (cifar10), or resnet34.") var student: String?
    @Option(help: "ResNet student width (64 in the reference).") var studentWidth: Int?

    func config() throws -> DistillConfig {
        guard let p = DistillConfig.Preset(rawValue: preset) else {
            throw ValidationError("--preset must be one of \(DistillConfig.Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = DistillConfig.preset(p)
        if let v = student {
            c.student = v
            if v != "lenet5-half" && studentInit == nil { c.studentInit = nil }   // the cpu preset prunes LeNet-5s only
        }
        if let v = studentWidth { c.studentWidth = v }
        if let v = iterations { c.iterations = v }
        if let v = batch { c.batch = v }
        if let v = alpha { c.weights.alpha = v }
        if let v = adversarial { c.weights.adversarial = v }
        if let v = tv { c.weights.tv = v }
        if let v = border { c.weights.border = v }
        if let v = symmetry { c.weights.symmetry = v }
        if let v = ieTemperature { c.weights.ieTemperature = v }
        if let v = ieMemory { c.weights.ieMemory = v }
        if let v = saturation { c.weights.saturation = v }
        if let v = borderBand { c.weights.borderBand = v }
        if let v = diversity { c.weights.diversity = v }
        if let v = discrepancy {
            guard let d = Discrepancy(rawValue: v) else { throw ValidationError("--discrepancy must be l1, kl or zkl, not '\(v)'") }
            c.weights.discrepancy = d
        }
        if let v = beta { c.weights.beta = v }
        if let v = oh { c.weights.oneHot = v }
        if let v = lrG { c.lrG = v }
        if let v = lrGFinal { c.lrGFinal = v }
        if let v = lrS { c.lrS = v }
        if let v = seed { c.seed = v }
        if let v = evalEvery { c.evalEvery = v }
        if let v = checkpointEvery { c.checkpointEvery = v }
        if let v = samplesEvery { c.samplesEvery = v }
        if let v = generatorWidth { c.generatorWidth = v }
        if let v = latent { c.latent = v }
        if let v = studentSteps { c.studentSteps = v }
        if let v = replay { c.replayBatches = v }
        if let v = replayBatch { c.replayBatch = v }
        if let v = augment { c.studentAugment = v }
        if let v = collapseReset { c.collapseReset = v }
        if let v = generatorRestart { c.generatorRestart = v }
        if let v = jitter { c.jitter = v }
        if let v = generators { c.generators = v }
        if generatorsTogether { c.generatorsTogether = true }
        if let v = generatorBeta1 { c.generatorBeta1 = v }
        if targeted { c.targeted = true }
        if let v = conditioning { c.conditioning = v }
        if let v = studentEMA { c.studentEMA = v }
        if let v = studentSWA { c.studentSWA = v }
        if let v = studentWarmup { c.studentWarmup = v }
        if let v = studentSAM { c.studentSAM = v }
        if let v = kdHard { c.kdHard = v }
        if let v = replayFresh { c.replayFresh = v }
        if let v = procedural { c.procedural = v }
        if let v = impressions { c.impressions = v }
        if let v = impressionShare { c.impressionShare = v }
        if let v = impressionSteps { c.impressionSteps = v }
        if let v = replayPick { c.replayPick = v }
        if let v = kdHint { c.kdHint = v }
        if generatorProject28 { c.generatorProject28 = true }
        if let v = kdTemperature { c.kdTemperature = v }
        if let v = hardSamples { c.hardSamples = v }
        if let v = boundarySamples { c.boundarySamples = v }
        if let v = boundaryBatches { c.boundaryBatches = v }
        if let v = boundaryToward { c.boundaryToward = v }
        if let v = boundarySteps { c.boundarySteps = v }
        if boundaryStop { c.boundaryStop = true }
        if balancedOneHot { c.balancedOneHot = true }
        if generatorMask { c.generatorMask = true }
        if let adversarialSure { c.adversarialSure = adversarialSure }
        if boundaryProcedural { c.boundaryProcedural = true }
        if balancedReplay { c.balancedReplay = true }
        if let v = replayClassCap { c.replayClassCap = v }
        if let v = replayKeepRare { c.replayKeepRare = v }
        if stableViews { c.stableViews = true }
        if let v = kdStandardize { c.kdStandardize = v }
        if let v = kdIntraClass { c.kdIntraClass = v }
        if let v = kdDecoupled { c.kdDecoupled = v }
        if let v = select { c.select = v }
        if let v = viewLabels { c.viewLabels = v }
        if let v = generatorOutput { c.generatorOutput = v }
        if let v = studentInit { c.studentInit = v }
        if let v = studentWeights { c.studentWeights = v }
        if let v = adversarialFinal { c.adversarialFinal = v }
        if let v = betaFinal { c.betaFinal = v }
        if let v = studentFreeze { c.studentFreeze = v }
        if let v = pruneFade { c.pruneFade = v }
        if let v = studentOptimizer { c.studentOptimizer = v }
        if let v = lrSSchedule { c.studentLRSchedule = v }
        if let v = momentum { c.studentMomentum = v }
        if let v = weightDecay { c.studentWeightDecay = v }
        if let v = lrSteps {
            let steps = v.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard steps.allSatisfy({ $0 != nil }) else { throw ValidationError("--lr-steps wants iteration numbers separated by commas") }
            c.studentLRSteps = steps.compactMap { $0 }
        }
        if let problem = c.problems().first { throw ValidationError(problem) }
        return c
    }

    func run() throws {
        let resumeDir = resume.map { URL(fileURLWithPath: $0) }
        let info = try resumeDir.map { try CheckpointInfo.load(runDir: $0) }
        if info != nil, preset != "cpu" || batch != nil {
            // A resumed run keeps its configuration (but --iterations extends it); say so rather than silently ignore flags.
            FileHandle.standardError.write(Data("note: --resume continues with the run's saved configuration; settings other than --iterations are ignored\n".utf8))
        }
        let teacherFile = try info?.teacherPath ?? teacher ?? DefaultTeacher.path()
        let dataDir = info?.dataDir ?? data ?? Dataset.defaultDirectory
        let (teacherNet, prep, meta, test) = try TeacherAndData.load(teacherFile: teacherFile, dataDir: dataDir)
        guard test.classes <= teacherNet.classes else {
            throw WeightsError(file: teacherFile, problem: "teacher has \(teacherNet.classes) classes but \(dataDir) has \(test.classes)")
        }
        var cfg = try info?.config ?? config()
        if info != nil, let iterations { cfg.iterations = iterations }
        let dir = resumeDir ?? URL(fileURLWithPath: runDir ?? DefaultRunDir.make(preset: cfg.preset))
        try RunDirectory.prepare(dir, resuming: info != nil)

        let log = try RunLogWriter(path: dir.appendingPathComponent("events.jsonl").path)
        let useDashboard = !headless && isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1
        let themes = try useDashboard ? ThemeLocator.load(theme) : []
        let reporter = HeadlessReporter(total: cfg.iterations, every: printEvery ?? Swift.max(1, cfg.evalEvery / 6))
        let inbox = EventInbox()
        let logFailure = OnceFlag()
        let board = try tensorboard.map { try TensorBoardExport(directory: URL(fileURLWithPath: $0)) }
        let sink: (RunEvent) -> Void = { event in
            do { try log.append(event) } catch {
                if logFailure.firstTime() { FileHandle.standardError.write(Data("warning: \(error); training continues\n".utf8)) }
            }
            board?.write(event)
            if case .checkpoint = event { log.sync(); board?.flush() }
            if useDashboard { inbox.put(event) } else { reporter.handle(event) }
        }
        let trainer: DAFLTrainer
        if let resumeDir {
            trainer = try DAFLTrainer.resume(runDir: resumeDir, teacher: teacherNet, preprocessing: prep, test: test, iterations: iterations, sink: sink)
        } else {
            trainer = try DAFLTrainer(config: cfg, teacher: teacherNet, preprocessing: prep, test: test, runDir: dir,
                                      runName: dir.lastPathComponent, teacherPath: teacherFile, dataDir: dataDir, sink: sink)
        }
        trainer.classNames = ClassNames.guess(dataDir: dataDir, classes: teacherNet.classes)
        print("dafl distill: run \(dir.path) (preset \(cfg.preset), teacher \(meta["arch"] ?? "lenet5") \(teacherFile), \(String(format: "%.2f", trainer.teacherAccuracy ?? 0))% on \(dataDir))")
        if info != nil { print("resuming at step \(trainer.step) of \(trainer.config.iterations)") }
        let signals = SignalHandler(quiet: useDashboard) { trainer.send(.stop(reason: "interrupted"), source: "signal") }
        trainer.listen(toCommandFile: dir.appendingPathComponent(ControlFile.name).path)
        if startPaused { trainer.send(.pause, source: "cli") }
        let final = useDashboard ? try LiveDashboard.run(trainer: trainer, inbox: inbox, themes: themes) : trainer.run()
        signals.cancel()
        board?.flush()
        if let failure = board?.failure { FileHandle.standardError.write(Data("warning: TensorBoard export stopped: \(failure)\n".utf8)) }
        reporter.summary(trainer: trainer, runDir: dir)
        switch final {
        case .halted: throw ExitCode(3)
        case .stopped: throw ExitCode(130)
        default: break
        }
    }
}

/// The teacher and the test split it is measured on: a LeNet-5 with an IDX set (grey), or a CIFAR
/// ResNet with CIFAR-10/100 (colour, the reference's per-channel normalisation).
enum TeacherAndData {
    static func load(teacherFile: String, dataDir: String) throws -> (any Classifier, Preprocessing, [String: String], Dataset) {
        let url = URL(fileURLWithPath: teacherFile)
        let arch = try Safetensors.read(url).metadata["arch"]
        if arch?.hasPrefix("resnet") == true || (arch == nil && (try? ModelFile.loadResNet(url)) != nil) {
            let (net, meta) = try ModelFile.loadResNet(url)
            let normalization: CIFAR.Normalization = net.classes == 100 ? .cifar100 : .cifar10
            let test = try CIFAR.read(directory: dataDir, split: .test, classes: net.classes == 100 ? 100 : 10).dataset(normalization)
            // One mean and std for showing generated images as grey (the channels' averages).
            let shown = Preprocessing(size: 32, mean: normalization.mean.reduce(0, +) / 3, std: normalization.std.reduce(0, +) / 3)
            return (net, shown, meta.merging(["arch": net.depth.rawValue]) { $1 }, test)
        }
        let (net, prep, meta) = try ModelFile.loadClassifier(url)
        return (net, prep, meta, try Dataset.load(directory: dataDir, split: .test, preprocessing: prep))
    }
}

/// Class names for the dashboard, when the dataset is one we know.
enum ClassNames {
    static let fashion = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

    static let cifar10 = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    static func guess(dataDir: String, classes: Int) -> [String] {
        let d = dataDir.lowercased()
        if d.contains("fashion") && classes == 10 { return fashion }
        if d.contains("cifar") && classes == 10 { return cifar10 }
        return (0..<classes).map(String.init)
    }
}

/// True the first time it is asked, from any thread.
final class OnceFlag: @unchecked Sendable {
    private var done = false
    private let lock = NSLock()
    func firstTime() -> Bool { lock.lock(); defer { lock.unlock() }; let f = !done; done = true; return f }
}

/// Finds the shipped teacher from the working directory, $DAFL_TEACHER, or the source checkout.
enum DefaultTeacher {
    static let relative = "models/teacher-fashion-lenet5.safetensors"

    static func path() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["DAFL_TEACHER"] { candidates.append(env) }
        candidates.append(relative)
        // The checkout this binary was built from: Sources/dafl/Commands/Distill.swift → repo root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(relative).path)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw ValidationError("no teacher given and the shipped one (\(relative)) was not found; pass --teacher FILE (train one with `dafl teacher`)")
    }
}

enum DefaultRunDir {
    static func make(preset: String) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "runs/\(f.string(from: Date()))-\(preset)"
    }
}

/// Checks a run directory before any training: creatable, writable, room on the disk; clears what a killed run left.
enum RunDirectory {
    static let minimumFreeBytes: Int64 = 200 << 20

    static func prepare(_ dir: URL, resuming: Bool) throws {
        let fm = FileManager.default
        if !resuming {
            if fm.fileExists(atPath: dir.appendingPathComponent("events.jsonl").path) {
                throw WeightsError(file: dir.path, problem: "already holds a run; use --resume \(dir.path) to continue it, or another --run-dir")
            }
            do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                throw WeightsError(file: dir.path, problem: "cannot create the run directory: \(error.localizedDescription)")
            }
        }
        guard fm.isWritableFile(atPath: dir.path) else { throw WeightsError(file: dir.path, problem: "run directory is not writable") }
        // A killed run may have left a half-written temporary and unnamed tensor files; the checkpoint is intact.
        if resuming { CheckpointFiles.removeLeftovers(in: dir) }
        if let attrs = try? fm.attributesOfFileSystem(forPath: dir.path), let free = (attrs[.systemFreeSize] as? NSNumber)?.int64Value,
           free < minimumFreeBytes {
            throw WeightsError(file: dir.path, problem: "only \(free >> 20) MB free on this disk; a run needs about \(minimumFreeBytes >> 20) MB for its log and checkpoints")
        }
    }
}
