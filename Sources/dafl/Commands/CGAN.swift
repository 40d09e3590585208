import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation
import RunEvents

/// `dafl cgan`: the stages of cGAN-KD (Ding et al. 2021), which distils through a conditional GAN's
/// samples when some labelled data exists.
struct CGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgan",
        abstract: "cGAN-KD: a conditional GAN on labelled images, then a student on real + teacher-filtered fake images.",
        discussion: """
        dafl teacher --per-class 1000 --out t1000.safetensors
        dafl cgan train --per-class 1000 --teacher t1000.safetensors --out cgan1000
        dafl cgan distill --teacher t1000.safetensors --generator cgan1000/generator.safetensors --per-class 1000 --subsample --kd 1 --epochs 40
        """,
        subcommands: [CGANTrain.self, CGANQuality.self, CGANSample.self, CGANDistill.self])
}

/// `dafl cgan train`: a class-conditional GAN on the first N training images per class.
struct CGANTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a class-conditional GAN (DAFL generator + projection discriminator, hinge loss).",
        discussion: "Example: dafl cgan train --per-class 1000 --iterations 2000 --out runs/cgan")

    @Option(help: "Dataset directory (IDX files).") var data = Dataset.defaultDirectory
    @Option(name: .customLong("per-class"), help: "Labelled images per class: the first N of each class in the training split (default: all).")
    var perClass: Int?
    @Option(help: "Generator updates (default \(CGANConfig().iterations)); with --resume, a new total that extends the run.") var iterations: Int?
    @Option(help: "Real and generated images per step.") var batch = CGANConfig().batch
    @Option(name: .customLong("lr-g"), help: "Generator Adam learning rate.") var lrG = CGANConfig().lrG
    @Option(name: .customLong("lr-d"), help: "Discriminator Adam learning rate.") var lrD = CGANConfig().lrD
    @Option(name: .customLong("d-steps"), help: "Discriminator updates per generator update (the reference: 4).") var dSteps = CGANConfig().dSteps
    @Option(name: .customLong("generator-width"), help: "Generator width (DAFL's is 128).") var generatorWidth = CGANConfig().generatorWidth
    @Option(name: .customLong("discriminator-width"), help: "Discriminator base width.") var discriminatorWidth = CGANConfig().discriminatorWidth
    @Option(help: "How the generator takes the label: noise (embedding × noise) or batchnorm (class-conditional batch norms).")
    var conditioning = CGANConfig().conditioning
    @Option(name: .customLong("ema-decay"), help: "Decay of the moving average of the generator's weights that is saved and measured (0: off).")
    var emaDecay = CGANConfig().emaDecay
    @Option(name: .customLong("ema-start"), help: "Steps before the moving average starts.") var emaStart = CGANConfig().emaStart
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Print progress every N steps (headless).") var every = 50
    @Option(help: "Run directory: events.jsonl (the run log), checkpoint.json and checkpoint-*.safetensors, then generator.safetensors (the weight average when on), discriminator.safetensors and samples.pgm (row = class). Default: runs/<time>-cgan.")
    var out: String?
    @Option(help: "Continue the run saved in this directory (its settings are kept).") var resume: String?
    @Option(help: "A classifier whose feature space measures the generator (Fréchet distance to the real images, overall and per class).")
    var teacher: String?
    @Option(name: .customLong("fd-every"), help: "Measure the Fréchet distance every N steps (and at the end) when --teacher is given.")
    var fdEvery = CGANRunSettings().fdEvery
    @Option(name: .customLong("fd-samples"), help: "Generated images per class for the Fréchet distance.") var fdSamples = CGANRunSettings().fdSamples
    @Option(name: .customLong("samples-every"), help: "Show (and log) images per class every N steps.") var samplesEvery = CGANRunSettings().samplesEvery
    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N steps.") var checkpointEvery = CGANRunSettings().checkpointEvery
    @Flag(help: "Plain progress lines instead of the dashboard (automatic when stdout is not a terminal).") var headless = false
    @Flag(help: "One JSON object per progress line (implies --headless).") var json = false
    @Option(help: "Dashboard theme: a name in themes/ or a file.") var theme = "dark"
    @Flag(help: "Open the dashboard paused (space starts).") var startPaused = false
    @OptionGroup var regression: RegressionGANOptions

    func validate() throws {
        guard every > 0 else { throw ValidationError("--every must be positive") }
        try regression.check()
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
        let (config, settings) = configured()
        if let problem = (config.problems() + settings.problems()).first { throw ValidationError(problem) }
        if resume != nil && out != nil { throw ValidationError("--resume continues in its own directory; leave out --out") }
    }

    /// The run's settings as the flags give them.
    /// The flags' settings for a fresh run; a resumed run's own, with a new total from `--iterations`.
    func configured(resuming info: CGANCheckpointInfo?) throws -> (CGANConfig, CGANRunSettings) {
        guard let info else { return configured() }
        var config = info.config
        if let iterations {
            guard iterations >= info.step else { throw ValidationError("--iterations \(iterations) is below the checkpoint's step \(info.step)") }
            config.iterations = iterations
        }
        return (config, info.settings)
    }

    func configured() -> (CGANConfig, CGANRunSettings) {
        var config = CGANConfig()
        (config.iterations, config.batch, config.lrG, config.lrD, config.seed) = (iterations ?? config.iterations, batch, lrG, lrD, seed)
        (config.generatorWidth, config.discriminatorWidth, config.conditioning) = (generatorWidth, discriminatorWidth, conditioning)
        (config.emaDecay, config.emaStart, config.dSteps) = (emaDecay, emaStart, dSteps)
        var settings = CGANRunSettings()
        (settings.fdEvery, settings.fdSamples, settings.samplesEvery, settings.checkpointEvery) = (fdEvery, fdSamples, samplesEvery, checkpointEvery)
        return (config, settings)
    }

    func run() throws {
        let prep = Preprocessing.fashionMNIST
        let info = try resume.map { try CGANCheckpointInfo.load(runDir: URL(fileURLWithPath: $0)) }
        if regression.task != "classification" || info?.task != nil { return try runCcGAN(resuming: info) }
        let dataDir = info?.dataDir ?? data
        let subset = info?.perClass ?? perClass
        var train = try Dataset.load(directory: dataDir, split: .train, preprocessing: prep)
        if let subset { train = try train.firstPerClass(subset) }
        let (config, settings) = try configured(resuming: info)
        let teacherPath = info?.teacherPath ?? teacher
        var teacherNet: LeNet5? = nil
        if let teacherPath {
            let (t, tprep, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: teacherPath))
            guard tprep == prep, t.classes == train.classes else {
                throw WeightsError(file: teacherPath, problem: "the teacher (\(t.classes) classes, mean \(tprep.mean)) does not fit the data (\(train.classes) classes, mean \(prep.mean))")
            }
            teacherNet = t
        }
        let dir = URL(fileURLWithPath: resume ?? out ?? DefaultRunDir.make(preset: "cgan"))
        try RunDirectory.prepare(dir, resuming: info != nil)
        let reporter = CGANReporter(every: every, json: json)
        let output = try RunOutput(runDir: dir, headless: headless || json, theme: theme, report: reporter.handle)
        let run = try CGANRun(trainer: CGANTrainer(config: config, data: train), teacher: teacherNet, settings: settings, preprocessing: prep,
                              runDir: dir, runName: info?.runName ?? dir.lastPathComponent, dataDir: dataDir, perClass: subset,
                              teacherPath: teacherPath, resume: info, sink: output.sink)
        run.classNames = ClassNames.guess(dataDir: dataDir, classes: train.classes)
        if !json {
            print("dafl cgan train: run \(dir.path): \(train.count) labelled images, \(train.classes) classes; \(config.iterations) steps of batch \(config.batch)"
                  + (info.map { "; resuming at step \($0.step)" } ?? ""))
        }
        try drive(run, output: output, dir: dir)
    }

    /// Runs to the end on the dashboard or headless, obeying the command file and Ctrl-C; exits 3 on a halt, 130 on a stop.
    func drive(_ run: CGANRun, output: RunOutput, dir: URL) throws {
        run.listen(toCommandFile: dir.appendingPathComponent(ControlFile.name).path)
        let signals = SignalHandler(quiet: output.useDashboard) { run.send(.stop(reason: "interrupted"), source: "signal") }
        let final = output.useDashboard ? try LiveDashboard.run(trainer: run, inbox: output.inbox, themes: output.themes, startPaused: startPaused)
            : run.run(startPaused: false)
        signals.cancel()
        if !json {
            let fd = run.lastDistance.map { String(format: "; Fréchet distance %.2f", $0) } ?? ""
            let rows = run.task == nil ? "class" : "label, low to high"
            print("done: \(final.rawValue) at step \(run.step)\(fd); wrote \(dir.path)/{generator,discriminator}.safetensors and samples.pgm (row = \(rows)); log \(dir.path)/events.jsonl")
        }
        switch final {
        case .halted: throw ExitCode(3)
        case .stopped: throw ExitCode(130)
        default: break
        }
    }
}

/// The options that say which fake images join the real ones: shared by `cgan distill` and `cgan sample`.
struct FakeSetOptions: ParsableArguments {
    @Option(help: "Teacher weights (a classifier trained on the same subset).") var teacher: String
    @Option(help: "Conditional generator from `dafl cgan train` (not needed with --fake-per-class 0 or --fake-set).") var generator: String?
    @Option(help: "Dataset directory (IDX files).") var data = Dataset.defaultDirectory
    @Option(name: .customLong("per-class"), help: "Labelled images per class (the first N of each class).") var perClass: Int?
    @Option(name: .customLong("fake-per-class"), help: "Processed fake images per class added to the real ones (3,000 measured best at 1,000 real per class).") var fakePerClass = 3000
    @Option(help: "Filter quantile ρ: keep fake samples whose teacher score (cross-entropy; absolute error for regression) is within their class's (label bin's) ρ-quantile; 1 keeps all. Default 0.9, regression 0.7 (the paper's).")
    var rho: Float?
    @Flag(help: "Replace fake samples' labels by the teacher's predictions.") var relabel = false
    @Flag(help: "Subsample fake images by cDR-RS (a density-ratio MLP on the teacher's features, trained first).") var subsample = false
    @Option(name: .customLong("dr-epochs"), help: "Density-ratio training epochs over the real images (the reference: 200).") var drEpochs = 20
    @Option(name: .customLong("dr-burn-in"), help: "Generated images per class that set the subsampling bound M̄ (the reference: 5000).")
    var drBurnIn = 5000
    @Option(help: "Seed.") var seed: UInt64 = 0

    func validate() throws {
        guard fakePerClass >= 0 else { throw ValidationError("--fake-per-class must not be negative") }
        if let rho, !(rho > 0 && rho <= 1) { throw ValidationError("--rho must be in (0, 1]") }
        guard drEpochs > 0, drBurnIn > 0 else { throw ValidationError("--dr-epochs and --dr-burn-in must be positive") }
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
    }

    func apply(to c: inout CGANDistillConfig) {
        let rho = self.rho ?? 0.9
        (c.fakePerClass, c.rho, c.relabel, c.subsample) = (fakePerClass, rho < 1 ? rho : nil, relabel, subsample)
        (c.drEpochs, c.drBurnIn, c.seed) = (drEpochs, drBurnIn, seed)
    }

    /// The teacher, its preprocessing, the labelled subset and (when named) the generator, checked against each other.
    func load() throws -> (teacher: LeNet5, prep: Preprocessing, real: Dataset, generator: ConditionalGenerator?) {
        let (t, prep, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: teacher))
        var real = try Dataset.load(directory: data, split: .train, preprocessing: prep)
        if let perClass { real = try real.firstPerClass(perClass) }
        guard t.classes == real.classes else {
            throw WeightsError(file: teacher, problem: "the teacher has \(t.classes) classes, the data in \(data) has \(real.classes)")
        }
        var g: ConditionalGenerator? = nil
        if let generator {
            let (loaded, _) = try ModelFile.loadConditionalGenerator(URL(fileURLWithPath: generator))
            guard loaded.classes == real.classes else {
                throw WeightsError(file: generator, problem: "the generator has \(loaded.classes) classes, the data has \(real.classes)")
            }
            g = loaded
        }
        return (t, prep, real, g)
    }
}

/// `dafl cgan distill`: a student on the labelled subset plus processed fake images.
struct CGANDistill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Train a student on real + generated images filtered (and optionally relabelled) by the teacher.",
        discussion: """
        --fake-per-class 0 gives the NOKD baseline (real images only); --kd adds the teacher's soft labels (BLKD).
        The run directory gets events.jsonl (the run log: `dafl replay` shows it), fake-set.safetensors and student.safetensors.
        """)

    @OptionGroup var fakes: FakeSetOptions
    @Option(name: .customLong("fake-set"), help: "Use a fake set written by `dafl cgan sample` (or an earlier distill run) instead of generating one.")
    var fakeSet: String?
    @Option(name: .customLong("kd"), help: "Weight α of the KL term to the teacher's outputs (0: cross-entropy only).") var kd: Float = 0
    @Option(name: .customLong("kd-temperature"), help: "Temperature T of the KL term (scaled by T²).") var kdTemperature: Float = 1
    @Option(name: .customLong("ce-weight"), help: "Weight γ of the cross-entropy term.") var ceWeight: Float = 1
    @Flag(help: "The reference's BLKD: γ = 0.1, α = 0.9, T = 4 (overrides --kd, --kd-temperature, --ce-weight).") var blkd = false
    @Option(help: "Start the student from these weights (the reference fine-tunes from the NOKD student).") var initial: String?
    @Option(help: "Student architecture: lenet5-half or lenet5.") var arch = "lenet5-half"
    @Option(help: "Student epochs.") var epochs = 20
    @Option(help: "Student batch.") var batch = 128
    @Option(help: "Student Adam peak learning rate (cosine decay).") var lr: Float = 3e-3
    @Option(name: .customLong("run-dir"), help: "Run directory (default: runs/<time>-cgan-distill).") var runDir: String?
    @Option(help: "Also write the student here.") var out: String?
    @Flag(help: "Plain progress lines instead of the dashboard (automatic when stdout is not a terminal).") var headless = false
    @Flag(help: "One JSON object per line (implies --headless).") var json = false
    @Option(help: "Dashboard theme: a name in themes/ or a file.") var theme = "dark"
    @Option(help: "classification, or rotation: a regression student on rotated images with a CcGAN generator and a regression teacher (cGAN-KD's regression setting), or files: the same on --images with --labels (tested on --test-images, --test-labels).")
    var task = "classification"
    @Option(help: "Rotation task: the angle range, LO,HI degrees (the teacher's).") var degrees = "-45,45"
    @Option(help: "Regression: processed fake images in all, spread over the label bins (0: real images only, NOKD).") var fake = RegressionDistillConfig().fakeCount
    @Option(help: "Regression: label bins for the filter's cut-offs and the statistics (1: one global cut-off, as the reference code).")
    var bins = RegressionDistillConfig().bins
    @Option(help: "Regression: the student's loss on normalised labels, l1 or mse.") var loss = "l1"
    @OptionGroup var files: RegressionFileOptions

    func validate() throws {
        guard epochs > 0, batch > 0 else { throw ValidationError("--epochs and --batch must be positive") }
        guard ["classification", "rotation", "files"].contains(task) else { throw ValidationError("--task must be classification, rotation or files") }
        if task != "classification" {
            if task == "files" { try files.check(needsTest: true) }
            guard RotationRange.parse(degrees) != nil else { throw ValidationError("--degrees must be LO,HI with LO < HI") }
            if let p = regressionConfig.problems().first { throw ValidationError(p) }
            if fake > 0 && fakes.generator == nil { throw ValidationError("--generator (a CcGAN generator) is needed for fake images, or --fake 0") }
            return
        }
        guard kdTemperature > 0, kd >= 0, ceWeight >= 0 else { throw ValidationError("--kd-temperature must be positive, --kd and --ce-weight not negative") }
        guard LeNet5.Width(rawValue: arch) != nil else { throw ValidationError("--arch must be lenet5 or lenet5-half") }
        if fakes.fakePerClass > 0 && fakes.generator == nil && fakeSet == nil {
            throw ValidationError("--generator (or --fake-set) is needed for fake images, or --fake-per-class 0")
        }
    }

    func run() throws {
        if task != "classification" { return try runRegression() }
        let start = Date()
        let (t, prep, real, g) = try fakes.load()
        let test = try Dataset.load(directory: fakes.data, split: .test, preprocessing: prep)
        var config = CGANDistillConfig()
        fakes.apply(to: &config)
        config.arch = arch
        (config.student.epochs, config.student.batch, config.student.lr) = (epochs, batch, lr)
        (config.student.kdWeight, config.student.temperature, config.student.ceWeight) = blkd ? (0.9, 4, 0.1) : (kd, kdTemperature, ceWeight)
        var initialStudent: LeNet5? = nil
        if let initial {
            let (s0, _, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: initial))
            guard s0.classes == real.classes else { throw WeightsError(file: initial, problem: "has \(s0.classes) classes, the data \(real.classes)") }
            initialStudent = s0
        }
        let given = try fakeSet.map { try FakeSetFile.read(URL(fileURLWithPath: $0), preprocessing: prep) }
        if let given, given.dataset.classes != real.classes {
            throw WeightsError(file: given.path, problem: "has \(given.dataset.classes) classes, the data \(real.classes)")
        }
        let dir = URL(fileURLWithPath: runDir ?? DefaultRunDir.make(preset: "cgan-distill"))
        try RunDirectory.prepare(dir, resuming: false)
        let reporter = CGANReporter(every: 1, json: json)
        let output = try RunOutput(runDir: dir, headless: headless || json, theme: theme, report: reporter.handle)
        let run = CGANDistillRun(config: config, teacher: t, generator: g, real: real, test: test, preprocessing: prep,
                                 initialStudent: initialStudent, runDir: dir, runName: dir.lastPathComponent, sink: output.sink)
        run.classNames = ClassNames.guess(dataDir: fakes.data, classes: real.classes)
        run.givenFakeSet = given
        run.describe = ["teacher": fakes.teacher, "generator": fakes.generator ?? "none", "per_class": fakes.perClass.map(String.init) ?? "all",
                        "initial": initial ?? "none", "fake_set": fakeSet ?? "generated"]
        if !json {
            print("dafl cgan distill: run \(dir.path): student \(arch) on \(real.count) real images"
                  + (config.fakePerClass > 0 || given != nil ? " + processed fake images" : " only"))
        }
        run.listen(toCommandFile: dir.appendingPathComponent(ControlFile.name).path)
        let signals = SignalHandler(quiet: output.useDashboard) { run.send(.stop(reason: "interrupted"), source: "signal") }
        let final = output.useDashboard ? try LiveDashboard.run(trainer: run, inbox: output.inbox, themes: output.themes) : run.run(startPaused: false)
        signals.cancel()
        if let out { try FileManager.default.removeItemIfPresent(atPath: out); try FileManager.default.copyItem(atPath: run.studentURL.path, toPath: out) }
        let last = (run.accuracies.last ?? 0) * 100
        let wall = Date().timeIntervalSince(start)
        if json {
            var line: [String: Any] = ["event": "done", "test_accuracy": last, "teacher_accuracy": run.teacherAccuracy, "wall_s": wall,
                                       "state": final.rawValue, "run_dir": dir.path]
            if let s = run.fakeStats { line["fake_images"] = s.kept.reduce(0, +) }
            printJSON(line)
        } else {
            print(String(format: "done: student %.2f%% (teacher %.2f%%), %.0f s; wrote %@", last, run.teacherAccuracy, wall, run.studentURL.path))
        }
        if final == .stopped { throw ExitCode(130) }
    }
}

/// `dafl cgan sample`: a processed fake set written to a file, for `cgan distill --fake-set` or PyTorch.
struct CGANSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate a processed fake set (cDR-RS subsampling, teacher filter, relabelling) and write it as safetensors.",
        discussion: """
        Example: dafl cgan sample --teacher t1000.safetensors --generator cgan/generator.safetensors --per-class 1000 --subsample --relabel --out fake.safetensors
        The file holds images (F32 [N,1,S,S], normalised), labels and conditioning (I64 [N]) and the per-class statistics (docs/CGANKD.md).
        """)

    @OptionGroup var fakes: FakeSetOptions
    @Option(help: "Where to write the fake set.") var out = "fake-set.safetensors"
    @Flag(help: "One JSON object with the statistics.") var json = false

    func validate() throws {
        guard fakes.generator != nil, fakes.fakePerClass > 0 else { throw ValidationError("--generator and a positive --fake-per-class are needed") }
    }

    func run() throws {
        let (t, prep, real, g) = try fakes.load()
        var config = CGANDistillConfig()
        fakes.apply(to: &config)
        var rng = RNG(seed: config.seed)
        let reporter = CGANReporter(every: 1, json: json)
        guard let (set, stats, asked) = CGANDistillRun.makeFakeSet(config: config, teacher: t, generator: g!, real: real, rng: &rng,
                                                                   onDensityRatioEpoch: { e, loss in
            reporter.handle(.metrics(MetricsEvent(step: e, time: 0, stage: "density-ratio", values: ["dr_loss": Double(loss)])))
        }) else { return }
        var describe = ["teacher": fakes.teacher, "generator": fakes.generator!, "per_class": fakes.perClass.map(String.init) ?? "all",
                        "rho": config.rho.map { "\($0)" } ?? "none", "relabel": "\(config.relabel)", "subsample": "\(config.subsample)"]
        describe["seed"] = "\(config.seed)"
        try FakeSetFile(dataset: set, conditioning: asked, stats: stats, path: out).write(preprocessing: prep, describe: describe)
        reporter.handle(.fakeSet(stats.event(time: 0, path: out)))
    }
}

extension FileManager {
    func removeItemIfPresent(atPath p: String) throws { if fileExists(atPath: p) { try removeItem(atPath: p) } }
}

/// `dafl cgan quality`: a saved generator's Fréchet distance to the real images in a teacher's feature space.
struct CGANQuality: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Fréchet distance between a conditional generator's images and the real ones, in a teacher's feature space.",
        discussion: "Example: dafl cgan quality --generator cgan/generator.safetensors --teacher t1000.safetensors --per-class 1000")

    @Option(help: "Conditional generator from `dafl cgan train`.") var generator: String
    @Option(help: "Classifier whose penultimate features are compared.") var teacher: String
    @Option(help: "Dataset directory (IDX files).") var data = Dataset.defaultDirectory
    @Option(name: .customLong("per-class"), help: "Real images per class to compare with (the first N; default: all).") var perClass: Int?
    @Option(help: "Generated images per class.") var samples = 1000
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Flag(help: "One JSON object.") var json = false

    func run() throws {
        let (t, prep, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: teacher))
        var real = try Dataset.load(directory: data, split: .train, preprocessing: prep)
        if let perClass { real = try real.firstPerClass(perClass) }
        let (g, _) = try ModelFile.loadConditionalGenerator(URL(fileURLWithPath: generator))
        guard g.classes == real.classes, t.classes == real.classes else {
            throw WeightsError(file: generator, problem: "generator (\(g.classes)), teacher (\(t.classes)) and data (\(real.classes)) class counts differ")
        }
        var rng = RNG(seed: seed)
        let (overall, perClassFD) = GeneratorQuality(teacher: t, real: real).measure(g, samplesPerClass: samples, rng: &rng)
        if json {
            printJSON(["generator": generator, "fd": overall, "fd_per_class": perClassFD, "samples_per_class": samples])
        } else {
            print(String(format: "Fréchet distance (teacher features) %.3f; per class: ", overall) + perClassFD.map { String(format: "%.2f", $0) }.joined(separator: " "))
        }
    }
}
