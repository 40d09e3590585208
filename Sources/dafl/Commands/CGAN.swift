import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation

/// `dafl cgan`: the stages of cGAN-KD (Ding et al. 2021), which distils through a conditional GAN's
/// samples when some labelled data exists.
struct CGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgan",
        abstract: "cGAN-KD: train a conditional GAN on labelled images (more stages to come).",
        subcommands: [CGANTrain.self])
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
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Print progress every N steps.") var every = 50
    @Option(help: "Output directory: generator.safetensors, discriminator.safetensors, samples.pgm.") var out = "cgan"
    @Flag(help: "One JSON object per progress line.") var json = false

    func validate() throws {
        guard iterations > 0, batch > 0, every > 0 else { throw ValidationError("--iterations, --batch and --every must be positive") }
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
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
        (config.generatorWidth, config.discriminatorWidth) = (generatorWidth, discriminatorWidth)
        let trainer = CGANTrainer(config: config, data: train)
        if !json { print("cgan: \(train.count) labelled images, \(train.classes) classes; \(iterations) steps of batch \(batch)") }
        let start = Date()
        while trainer.step < iterations {
            let s = trainer.trainStep()
            guard s.dLoss.isFinite, s.gLoss.isFinite else {
                throw CLIError("step \(s.step): loss is not finite (D \(s.dLoss), G \(s.gLoss)); nothing saved from this step")
            }
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
