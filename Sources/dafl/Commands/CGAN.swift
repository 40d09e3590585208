import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation

/// `dafl cgan`: the stages of cGAN-KD (Ding et al. 2021), which distils through a conditional GAN's
/// samples when some labelled data exists.
struct CGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgan",
        abstract: "cGAN-KD: a conditional GAN on labelled images, then a student on real + teacher-filtered fake images.",
        discussion: """
        dafl teacher --per-class 1000 --out t1000.safetensors
        dafl cgan train --per-class 1000 --out cgan1000
        dafl cgan distill --teacher t1000.safetensors --generator cgan1000/generator.safetensors --per-class 1000
        """,
        subcommands: [CGANTrain.self, CGANQuality.self, CGANDistill.self])
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
    @Option(help: "Generator updates.") var iterations = CGANConfig().iterations
    @Option(help: "Real and generated images per step.") var batch = CGANConfig().batch
    @Option(name: .customLong("lr-g"), help: "Generator Adam learning rate.") var lrG = CGANConfig().lrG
    @Option(name: .customLong("lr-d"), help: "Discriminator Adam learning rate.") var lrD = CGANConfig().lrD
    @Option(name: .customLong("generator-width"), help: "Generator width (DAFL's is 128).") var generatorWidth = CGANConfig().generatorWidth
    @Option(name: .customLong("discriminator-width"), help: "Discriminator base width.") var discriminatorWidth = CGANConfig().discriminatorWidth
    @Option(help: "How the generator takes the label: noise (embedding × noise) or batchnorm (class-conditional batch norms).")
    var conditioning = CGANConfig().conditioning
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Print progress every N steps.") var every = 50
    @Option(help: "Output directory: generator.safetensors, discriminator.safetensors, samples.pgm.") var out = "cgan"
    @Option(help: "A classifier whose feature space measures the generator (Fréchet distance to the real images, overall and per class).")
    var teacher: String?
    @Option(name: .customLong("fd-every"), help: "Measure the Fréchet distance every N steps (and at the end) when --teacher is given.")
    var fdEvery = 500
    @Option(name: .customLong("fd-samples"), help: "Generated images per class for the Fréchet distance.") var fdSamples = 500
    @Flag(help: "One JSON object per progress line.") var json = false

    func validate() throws {
        guard iterations > 0, batch > 0, every > 0, fdEvery > 0, fdSamples >= 2 else {
            throw ValidationError("--iterations, --batch, --every and --fd-every must be positive, --fd-samples at least 2")
        }
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
        guard ConditionalGenerator.Conditioning(rawValue: conditioning) != nil else { throw ValidationError("--conditioning must be noise or batchnorm") }
        guard generatorWidth >= 2, generatorWidth % 2 == 0, discriminatorWidth > 0 else {
            throw ValidationError("--generator-width must be even and positive, --discriminator-width positive")
        }
    }

    func run() throws {
        let prep = Preprocessing.fashionMNIST
        var train = try Dataset.load(directory: data, split: .train, preprocessing: prep)
        if let perClass { train = try train.firstPerClass(perClass) }
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = CGANConfig()
        (config.iterations, config.batch, config.lrG, config.lrD, config.seed) = (iterations, batch, lrG, lrD, seed)
        (config.generatorWidth, config.discriminatorWidth, config.conditioning) = (generatorWidth, discriminatorWidth, conditioning)
        let trainer = CGANTrainer(config: config, data: train)
        var quality: GeneratorQuality? = nil
        if let teacher {
            let (t, tprep, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: teacher))
            guard tprep == prep, t.classes == train.classes else {
                throw WeightsError(file: teacher, problem: "the teacher (\(t.classes) classes, mean \(tprep.mean)) does not fit the data (\(train.classes) classes, mean \(prep.mean))")
            }
            quality = GeneratorQuality(teacher: t, real: train)
        }
        var fdRng = RNG(seed: seed &+ 7)
        func reportQuality(_ step: Int) {
            guard let quality else { return }
            let (overall, perClass) = quality.measure(trainer.generator, samplesPerClass: fdSamples, rng: &fdRng)
            if json {
                printJSON(["step": step, "fd": overall, "fd_per_class": perClass])
            } else {
                print(String(format: "step %6d  Fréchet distance (teacher features) %.3f; per class: ", step, overall)
                      + perClass.map { String(format: "%.2f", $0) }.joined(separator: " "))
            }
        }
        if !json { print("cgan: \(train.count) labelled images, \(train.classes) classes; \(iterations) steps of batch \(batch)") }
        let start = Date()
        while trainer.step < iterations {
            let s = trainer.trainStep()
            guard s.dLoss.isFinite, s.gLoss.isFinite else {
                throw CLIError("step \(s.step): loss is not finite (D \(s.dLoss), G \(s.gLoss)); nothing saved from this step")
            }
            if s.step % fdEvery == 0 || s.step == iterations { reportQuality(s.step) }
            if s.step % every == 0 || s.step == iterations {
                let t = Date().timeIntervalSince(start)
                if json {
                    printJSON(["step": s.step, "d_loss": Double(s.dLoss), "g_loss": Double(s.gLoss), "real_score": Double(s.realScore),
                               "fake_score": Double(s.fakeScore), "elapsed_s": t])
                } else {
                    print(String(format: "step %6d  D %.4f  G %.4f  D(real) %+.3f  D(fake) %+.3f  %.2f it/s",
                                 s.step, s.dLoss, s.gLoss, s.realScore, s.fakeScore, Double(s.step) / t))
                }
            }
        }
        let extra = ["dataset": (data as NSString).lastPathComponent, "train_images": String(train.count), "steps": String(iterations)]
        try ModelFile.save(trainer.generator, preprocessing: prep, extra: extra, to: dir.appendingPathComponent("generator.safetensors"))
        try ModelFile.save(trainer.discriminator, preprocessing: prep, extra: extra, to: dir.appendingPathComponent("discriminator.safetensors"))
        // A grid a person can look at: one row per class, ten samples each.
        let perRow = 10
        let labels = (0..<train.classes).flatMap { [Int](repeating: $0, count: perRow) }
        let grid = trainer.sample(labels: labels)
        try writePGM(grid, columns: perRow, preprocessing: prep, to: dir.appendingPathComponent("samples.pgm"))
        if !json { print("wrote \(dir.path)/{generator,discriminator}.safetensors and samples.pgm (row = class)") }
    }
}

/// Writes images [N, 1, S, S] as one binary PGM, `columns` per row, undoing the normalisation.
func writePGM(_ images: Tensor, columns: Int, preprocessing p: Preprocessing, to url: URL) throws {
    let n = images.shape[0], s = images.shape[2], rows = (n + columns - 1) / columns
    let w = columns * (s + 1), h = rows * (s + 1)
    var pixels = [UInt8](repeating: 0, count: w * h)
    for i in 0..<n {
        let (r, c) = (i / columns, i % columns)
        for y in 0..<s {
            for x in 0..<s {
                let v = images.data[i * s * s + y * s + x] * p.std + p.mean
                pixels[(r * (s + 1) + y) * w + c * (s + 1) + x] = UInt8(max(0, min(255, (v * 255).rounded())))
            }
        }
    }
    var file = Data("P5\n\(w) \(h)\n255\n".utf8)
    file.append(contentsOf: pixels)
    try file.write(to: url)
}

/// `dafl cgan distill`: a student on the labelled subset plus processed fake images.
struct CGANDistill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Train a student on real + generated images filtered (and optionally relabelled) by the teacher.",
        discussion: "--fake-per-class 0 gives the NOKD baseline (real images only); --kd adds the teacher's soft labels (BLKD).")

    @Option(help: "Teacher weights (a classifier trained on the same subset).") var teacher: String
    @Option(help: "Conditional generator from `dafl cgan train` (not needed with --fake-per-class 0).") var generator: String?
    @Option(help: "Dataset directory (IDX files).") var data = Dataset.defaultDirectory
    @Option(name: .customLong("per-class"), help: "Labelled images per class (the first N of each class).") var perClass: Int?
    @Option(name: .customLong("fake-per-class"), help: "Processed fake images per class added to the real ones.") var fakePerClass = 1000
    @Option(help: "Filter quantile ρ: keep fake samples whose teacher cross-entropy is within their class's ρ-quantile (1 keeps all).")
    var rho: Float = 0.9
    @Flag(help: "Replace fake samples' labels by the teacher's predictions.") var relabel = false
    @Flag(help: "Subsample fake images by cDR-RS (a density-ratio MLP on the teacher's features, trained first).") var subsample = false
    @Option(name: .customLong("dr-epochs"), help: "Density-ratio training epochs over the real images (the reference: 200).") var drEpochs = 20
    @Option(name: .customLong("dr-burn-in"), help: "Generated images per class that set the subsampling bound M̄ (the reference: 5000).")
    var drBurnIn = 5000
    @Option(name: .customLong("kd"), help: "Weight α of the KL term to the teacher's outputs (0: cross-entropy only).") var kd: Float = 0
    @Option(name: .customLong("kd-temperature"), help: "Temperature T of the KL term (scaled by T²).") var kdTemperature: Float = 1
    @Option(name: .customLong("ce-weight"), help: "Weight γ of the cross-entropy term.") var ceWeight: Float = 1
    @Flag(help: "The reference's BLKD: γ = 0.1, α = 0.9, T = 4 (overrides --kd, --kd-temperature, --ce-weight).") var blkd = false
    @Option(help: "Start the student from these weights (the reference fine-tunes from the NOKD student).") var initial: String?
    @Option(help: "Student architecture: lenet5-half or lenet5.") var arch = "lenet5-half"
    @Option(help: "Student epochs.") var epochs = 20
    @Option(help: "Student batch.") var batch = 128
    @Option(help: "Student Adam peak learning rate (cosine decay).") var lr: Float = 3e-3
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Where to write the student.") var out = "student.safetensors"
    @Flag(help: "One JSON object per line.") var json = false

    func validate() throws {
        guard epochs > 0, batch > 0, fakePerClass >= 0 else { throw ValidationError("--epochs and --batch must be positive, --fake-per-class not negative") }
        guard rho > 0 && rho <= 1 else { throw ValidationError("--rho must be in (0, 1]") }
        guard drEpochs > 0, drBurnIn > 0 else { throw ValidationError("--dr-epochs and --dr-burn-in must be positive") }
        guard kdTemperature > 0, kd >= 0, ceWeight >= 0 else { throw ValidationError("--kd-temperature must be positive, --kd and --ce-weight not negative") }
        guard LeNet5.Width(rawValue: arch) != nil else { throw ValidationError("--arch must be lenet5 or lenet5-half") }
        if fakePerClass > 0 && generator == nil { throw ValidationError("--generator is needed for fake images (or --fake-per-class 0)") }
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
    }

    func run() throws {
        let start = Date()
        let (t, prep, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: teacher))
        var real = try Dataset.load(directory: data, split: .train, preprocessing: prep)
        if let perClass { real = try real.firstPerClass(perClass) }
        let test = try Dataset.load(directory: data, split: .test, preprocessing: prep)
        guard t.classes == real.classes else {
            throw WeightsError(file: teacher, problem: "the teacher has \(t.classes) classes, the data in \(data) has \(real.classes)")
        }
        var rng = RNG(seed: seed)
        var set = real
        if fakePerClass > 0, let generator {
            let (g, _) = try ModelFile.loadConditionalGenerator(URL(fileURLWithPath: generator))
            guard g.classes == real.classes else {
                throw WeightsError(file: generator, problem: "the generator has \(g.classes) classes, the data has \(real.classes)")
            }
            var ratio: ((Tensor, [Int]) -> [Float])? = nil
            if subsample {
                var drng = RNG(seed: seed &+ 3)
                let dr = DensityRatioMLP(features: t.fc1.weight.shape[1], classes: real.classes, rng: &drng)
                DensityRatioTraining.train(dr, teacher: t, generator: g, real: real, epochs: drEpochs, rng: &drng) { e, loss in
                    if json { printJSON(["event": "density_ratio_epoch", "epoch": e, "loss": Double(loss)]) }
                    else if e % 5 == 0 || e == drEpochs { print(String(format: "density ratio: epoch %3d  penalised SP loss %.4f", e, loss)) }
                }
                ratio = { x, y in DensityRatioTraining.ratios(dr, teacher: t, images: x, labels: y) }
            }
            let (fake, stats) = FakeSet.build(generator: g, teacher: t, perClass: fakePerClass, rho: rho < 1 ? rho : nil,
                                              relabel: relabel, ratio: ratio, subsampleBurnIn: drBurnIn, rng: &rng)
            set = real.appending(fake)
            let rates = stats.keepRates.map { String(format: "%.2f", $0) }.joined(separator: " ")
            if json {
                printJSON(["event": "fake_set", "kept": stats.kept, "accepted": stats.accepted, "generated": stats.generated,
                           "disagreements": stats.disagreements, "thresholds": stats.thresholds.map(Double.init),
                           "max_ratios": stats.maxRatios.map(Double.init), "relabelled": relabel])
            } else {
                if subsample {
                    print("cDR-RS acceptance rate per class: " + stats.acceptanceRates.map { String(format: "%.2f", $0) }.joined(separator: " "))
                }
                print("fake set: \(fake.count) images kept of \(stats.generated.reduce(0, +)) generated (ρ \(rho)); filter keep rate per class: \(rates)")
                for c in stats.kept.indices where stats.kept[c] < fakePerClass {
                    print("warning: class \(c) got only \(stats.kept[c]) of \(fakePerClass) fake images within the generation limit")
                }
                print("teacher disagrees with the conditioning label on \(stats.disagreements.reduce(0, +)) kept samples\(relabel ? " (relabelled)" : "")")
            }
        }
        var srng = RNG(seed: seed &+ 1)
        var student = LeNet5(LeNet5.Width(rawValue: arch)!, classes: real.classes, rng: &srng)
        if let initial {
            let (s0, _, _) = try ModelFile.loadClassifier(URL(fileURLWithPath: initial))
            guard s0.classes == real.classes else { throw WeightsError(file: initial, problem: "has \(s0.classes) classes, the data \(real.classes)") }
            student = s0
        }
        var settings = StudentTraining.Settings()
        (settings.epochs, settings.batch, settings.lr) = (epochs, batch, lr)
        (settings.kdWeight, settings.temperature, settings.ceWeight) = blkd ? (0.9, 4, 0.1) : (kd, kdTemperature, ceWeight)
        let teacherAcc = Classification.accuracy(t, on: test)
        if !json { print("student \(arch) on \(real.count) real + \(set.count - real.count) fake images; teacher \(String(format: "%.2f", teacherAcc * 100))%") }
        let accs = StudentTraining.run(student, on: set, teacher: settings.kdWeight > 0 ? t : nil, settings: settings, test: test, rng: &rng) { e, loss, acc in
            if json {
                printJSON(["event": "epoch", "epoch": e, "loss": Double(loss), "test_accuracy": acc * 100])
            } else {
                print(String(format: "epoch %3d  loss %.4f  test accuracy %.2f%%", e, loss, acc * 100))
            }
        }
        try ModelFile.save(student, preprocessing: prep, extra: ["recipe": "cgan-kd fake/class \(fakePerClass) subsample \(subsample) rho \(rho) relabel \(relabel) ce \(settings.ceWeight) kd \(settings.kdWeight) T \(settings.temperature) init \(initial ?? "none") seed \(seed)"],
                           to: URL(fileURLWithPath: out))
        let final = accs.last ?? 0
        if json {
            printJSON(["event": "done", "test_accuracy": final * 100, "teacher_accuracy": teacherAcc * 100, "wall_s": Date().timeIntervalSince(start)])
        } else {
            print(String(format: "done: student %.2f%% (teacher %.2f%%), %.0f s; wrote %@", final * 100, teacherAcc * 100, Date().timeIntervalSince(start), out))
        }
    }
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
