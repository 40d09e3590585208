import ArgumentParser
import DAFLEngine
import Foundation

/// `dafl teacher`: trains a LeNet-5 teacher on a labelled IDX dataset with the DAFL reference recipe.
struct Teacher: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a LeNet-5 teacher (Adam, batch 256) on real data.",
        discussion: """
        Example: dafl teacher --epochs 10 --out teacher.safetensors
        The weights file records the architecture and input preprocessing, so `dafl eval` and
        `dafl distill` need no other flags.
        """)

    @Option(help: "Directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].")
    var data = Dataset.defaultDirectory
    @Option(help: "Training epochs.") var epochs = 10
    @Option(help: "Mini-batch size.") var batch = 256
    @Option(help: "Adam learning rate (the peak, under a cosine schedule; the DAFL reference: 1e-3 constant).") var lr: Float = 3e-3
    @Option(help: "Learning-rate schedule: cosine (decays to 0 over the run) or constant (the DAFL reference).")
    var lrSchedule = "cosine"
    @Option(help: "Seed for initialisation and shuffling.") var seed: UInt64 = 0
    @Option(help: "Normalisation mean (default: Fashion-MNIST's 0.2860; MNIST 0.1307).") var mean: Float = 0.2860
    @Option(help: "Normalisation std (default: Fashion-MNIST's 0.3530; MNIST 0.3081).") var std: Float = 0.3530
    @Option(help: "Architecture: lenet5 or lenet5-half.") var arch = "lenet5"
    @Option(help: "Where to write the weights (safetensors).") var out = "teacher.safetensors"
    @Option(name: .customLong("per-class"), help: "Train on the first N training images of each class only (cGAN-KD's scarce-label setting).")
    var perClass: Int?
    @Flag(help: "Print JSON lines instead of text.") var json = false

    func validate() throws {
        guard epochs > 0, batch > 0 else { throw ValidationError("--epochs and --batch must be positive") }
        guard LeNet5.Width(rawValue: arch) != nil else { throw ValidationError("--arch must be lenet5 or lenet5-half") }
        guard std > 0 else { throw ValidationError("--std must be positive") }
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
        guard ["cosine", "constant"].contains(lrSchedule) else { throw ValidationError("--lr-schedule must be cosine or constant") }
    }

    func run() throws {
        let prep = Preprocessing(mean: mean, std: std)
        var train = try Dataset.load(directory: data, split: .train, preprocessing: prep)
        if let perClass { train = try train.firstPerClass(perClass) }
        let test = try Dataset.load(directory: data, split: .test, preprocessing: prep)
        let outURL = URL(fileURLWithPath: out)
        try checkWritable(outURL)
        var rng = RNG(seed: seed)
        let model = LeNet5(LeNet5.Width(rawValue: arch)!, classes: train.classes, rng: &rng)
        let opt = Adam(model.parameters, lr: lr)
        if !json { print("training \(arch) (\(model.parameterCount) parameters) on \(train.count) images from \(data)") }
        let start = Date()
        var acc = 0.0
        for epoch in 1...epochs {
            let bar = ProgressBar(label: "epoch \(epoch)/\(epochs)", enabled: !json && isatty(STDOUT_FILENO) == 1)
            let perEpoch = (train.count + batch - 1) / batch, totalSteps = perEpoch * epochs
            let loss = Classification.trainEpoch(model, optimizer: opt, data: train, batchSize: batch, rng: &rng) { done, total, l in
                if lrSchedule == "cosine" {
                    // Set the rate for the next batch: lr·½(1 + cos(π·t/T)).
                    let t = Double((epoch - 1) * perEpoch + done)
                    opt.learningRate = lr * Float(0.5 * (1 + cos(Double.pi * t / Double(totalSteps))))
                }
                bar.update(done: done, total: total, suffix: String(format: "loss %.4f", l))
            }
            bar.finish()
            acc = Classification.accuracy(model, on: test)
            let elapsed = Date().timeIntervalSince(start)
            if json {
                printJSON(["event": "epoch", "epoch": epoch, "train_loss": Double(loss), "test_accuracy": acc * 100, "elapsed_s": elapsed])
            } else {
                print(String(format: "epoch %2d/%d  train loss %.4f  test accuracy %.2f%%  (%.1f s)", epoch, epochs, loss, acc * 100, elapsed))
            }
        }
        try ModelFile.save(model, preprocessing: prep,
                           extra: ["dataset": (data as NSString).lastPathComponent, "test_accuracy": String(format: "%.2f", acc * 100),
                                   "recipe": "adam lr \(lr) \(lrSchedule) batch \(batch) epochs \(epochs) seed \(seed)",
                                   "train_images": String(train.count)].merging(perClass.map { ["per_class": String($0)] } ?? [:]) { a, _ in a },
                           to: outURL)
        let wall = Date().timeIntervalSince(start)
        if json {
            printJSON(["event": "done", "weights": outURL.path, "test_accuracy": acc * 100, "wall_s": wall])
        } else {
            print(String(format: "wrote %@ (test accuracy %.2f%%, %.1f s)", outURL.path, acc * 100, wall))
        }
    }
}

/// Fails early, before hours of work, if the output location cannot be written.
func checkWritable(_ url: URL) throws {
    let dir = url.deletingLastPathComponent()
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
        throw WeightsError(file: dir.path, problem: "output directory does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: dir.path) else {
        throw WeightsError(file: dir.path, problem: "output directory is not writable")
    }
}
