import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation

/// `dafl teacher`: trains a teacher on real data: a LeNet-5 on a labelled IDX set (Adam), or a CIFAR
/// ResNet on CIFAR-10/100 (SGD with momentum 0.9 and weight decay 5e-4, padded crop and flip).
struct Teacher: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a teacher on real data: a LeNet-5 (Adam, batch 256) on IDX files, or a CIFAR ResNet (SGD) on CIFAR.",
        discussion: """
        Example: dafl teacher --epochs 10 --out teacher.safetensors
        Example: dafl teacher --arch resnet34 --data /data/cifar10 --epochs 200 --batch 128 --lr 0.1 --out resnet34.safetensors
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
    @Option(help: "Architecture: lenet5 or lenet5-half (IDX data), or resnet18 or resnet34 (CIFAR data).") var arch = "lenet5"
    @Option(help: "ResNet width (64 in the reference; smaller for quick tries).") var width = 64
    @Option(help: "CIFAR classes for a ResNet: 10 or 100.") var classes = 10
    @Option(help: "classification, or rotation: a regressor of the angle each image is rotated by (cGAN-KD's regression setting), or files: a regressor of --images labelled by --labels.")
    var task = "classification"
    @Option(help: "Rotation task: the range the angles are drawn from, in degrees, as LO,HI.") var degrees = "-45,45"
    @Option(help: "Rotation task: the loss on labels normalised to [0, 1], l1 or mse.") var loss = "l1"
    @Option(help: "Where to write the weights (safetensors).") var out = "teacher.safetensors"
    @Option(name: .customLong("per-class"), help: "Train on the first N training images of each class only (cGAN-KD's scarce-label setting).")
    var perClass: Int?
    @Flag(help: "Print JSON lines instead of text.") var json = false
    @OptionGroup var files: RegressionFileOptions

    func validate() throws {
        guard epochs > 0, batch > 0 else { throw ValidationError("--epochs and --batch must be positive") }
        guard LeNet5.Width(rawValue: arch) != nil || ResNet.Depth(rawValue: arch) != nil else {
            throw ValidationError("--arch must be lenet5, lenet5-half, resnet18 or resnet34")
        }
        guard (1...1024).contains(width), classes == 10 || classes == 100 else { throw ValidationError("--width must be 1…1024, --classes 10 or 100") }
        guard ["classification", "rotation", "files"].contains(task) else { throw ValidationError("--task must be classification, rotation or files") }
        if task == "files" { try files.check(needsTest: true) }
        guard RotationRange.parse(degrees) != nil else { throw ValidationError("--degrees wants LO,HI with LO < HI, e.g. -45,45") }
        guard Regression.Loss(rawValue: loss) != nil else { throw ValidationError("--loss must be l1 or mse") }
        if task != "classification" && LeNet5.Width(rawValue: arch) == nil { throw ValidationError("a regressor is a LeNet-5 (--arch lenet5 or lenet5-half)") }
        guard std > 0 else { throw ValidationError("--std must be positive") }
        if let perClass, perClass <= 0 { throw ValidationError("--per-class must be positive") }
        guard ["cosine", "constant"].contains(lrSchedule) else { throw ValidationError("--lr-schedule must be cosine or constant") }
    }

    func run() throws {
        if let depth = ResNet.Depth(rawValue: arch) { return try trainResNet(depth) }
        if task != "classification" { return try trainRotationRegressor() }
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
            let loss = Classification.trainEpoch(model, optimizer: opt, data: train, batchSize: batch, rng: &rng, augment: nil) { done, total, l in
                if let rate = rate(step: (epoch - 1) * perEpoch + done, of: totalSteps) { opt.learningRate = rate }
                bar.update(done: done, total: total, suffix: String(format: "loss %.4f", l))
            }
            bar.finish()
            acc = Classification.accuracy(model, on: test)
            reportEpoch(epoch, loss: loss, accuracy: acc, since: start)
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

extension Teacher {
    /// A CIFAR ResNet on CIFAR-10/100 (either format in `--data`): SGD, momentum 0.9, weight decay 5e-4,
    /// the learning rate under the cosine schedule (or constant), the reference's padded crop and flip.
    func trainResNet(_ depth: ResNet.Depth) throws {
        let normalization: CIFAR.Normalization = classes == 100 ? .cifar100 : .cifar10
        var train = try CIFAR.read(directory: data, split: .train, classes: classes).dataset(normalization)
        if let perClass { train = try train.firstPerClass(perClass) }
        let test = try CIFAR.read(directory: data, split: .test, classes: classes).dataset(normalization)
        let outURL = URL(fileURLWithPath: out)
        try checkWritable(outURL)
        var rng = RNG(seed: seed)
        let model = ResNet(depth, classes: classes, width: width, rng: &rng)
        let opt = SGD(model.parameters, lr: lr, momentum: 0.9, weightDecay: 5e-4)
        if !json { print("training \(arch) width \(width) (\(model.parameterCount) parameters) on \(train.count) images from \(data)") }
        let start = Date()
        var acc = 0.0
        let perEpoch = (train.count + batch - 1) / batch, totalSteps = perEpoch * epochs
        for epoch in 1...epochs {
            let loss = Classification.trainEpoch(model, optimizer: opt, data: train, batchSize: batch, rng: &rng,
                                                 augment: { x, r in CIFARAugmentation.apply(x, normalization: normalization, rng: &r) }) { done, _, _ in
                if let rate = rate(step: (epoch - 1) * perEpoch + done, of: totalSteps) { opt.learningRate = rate }
            }
            acc = Classification.accuracy(model, on: test)
            reportEpoch(epoch, loss: loss, accuracy: acc, since: start)
        }
        try ModelFile.save(model, preprocessing: nil,
                           extra: ["dataset": "cifar\(classes)", "test_accuracy": String(format: "%.2f", acc * 100),
                                   "normalization": "mean \(normalization.mean.map { "\($0)" }.joined(separator: ",")) std \(normalization.std.map { "\($0)" }.joined(separator: ","))",
                                   "recipe": "sgd lr \(lr) momentum 0.9 wd 5e-4 \(lrSchedule) batch \(batch) epochs \(epochs) crop4 flip seed \(seed)"],
                           to: outURL)
        if json { printJSON(["event": "done", "weights": outURL.path, "test_accuracy": acc * 100, "wall_s": Date().timeIntervalSince(start)]) }
        else { print(String(format: "wrote %@ (test accuracy %.2f%%, %.1f s)", outURL.path, acc * 100, Date().timeIntervalSince(start))) }
    }
}

/// The angle range of the rotation task, "LO,HI" in degrees.
enum RotationRange {
    static func parse(_ s: String) -> ClosedRange<Float>? {
        let parts = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts[0] < parts[1], parts.allSatisfy(\.isFinite) else { return nil }
        return parts[0]...parts[1]
    }
}

extension Teacher {
    /// A LeNet-5 with one output, trained to tell the angle each training image is rotated by.
    func trainRotationRegressor() throws {
        let range = RotationRange.parse(degrees)!, lossKind = Regression.Loss(rawValue: loss)!
        let prep = Preprocessing(mean: mean, std: std)
        let train: RegressionSet, test: RegressionSet
        if task == "files" {
            let sets = try files.load(preprocessing: prep, first: perClass)
            (train, test) = (sets.train, sets.test!)
        } else {
            let info = RegressionTaskInfo.rotation(degrees: range, labelled: perClass, seed: seed &+ 1)
            (train, test) = (try info.load(directory: data, preprocessing: prep), try info.test(directory: data, preprocessing: prep))
        }
        let outURL = URL(fileURLWithPath: out)
        try checkWritable(outURL)
        var rng = RNG(seed: seed)
        let model = LeNet5(LeNet5.Width(rawValue: arch)!, classes: 1, rng: &rng)
        let opt = Adam(model.parameters, lr: lr)
        if !json { print("training a \(arch) \(task) regressor (\(lossKind.rawValue), labels \(train.range.lowerBound)…\(train.range.upperBound)\(train.unit)) on \(train.count) images") }
        let start = Date()
        var mae = 0.0
        let perEpoch = (train.count + batch - 1) / batch, totalSteps = perEpoch * epochs
        for epoch in 1...epochs {
            let l = Regression.trainEpoch(model, optimizer: opt, task: train, batchSize: batch, loss: lossKind, rng: &rng, onBatch: { done, _, _ in
                if let rate = rate(step: (epoch - 1) * perEpoch + done, of: totalSteps) { opt.learningRate = rate }
            })
            mae = Regression.meanAbsoluteError(model, on: test)
            let elapsed = Date().timeIntervalSince(start)
            if json { printJSON(["event": "epoch", "epoch": epoch, "train_loss": Double(l), "test_mae": mae, "elapsed_s": elapsed]) }
            else { print(String(format: "epoch %2d/%d  train loss %.4f  test MAE %.2f%@  (%.1f s)", epoch, epochs, l, mae, test.unit, elapsed)) }
        }
        try ModelFile.save(model, preprocessing: prep,
                           extra: ["task": "regression", "label": task == "files" ? "value" : "rotation-degrees", "label_min": "\(train.range.lowerBound)",
                                   "label_max": "\(train.range.upperBound)", "dataset": task == "files" ? files.images! : (data as NSString).lastPathComponent, "test_mae": String(format: "%.3f", mae),
                                   "recipe": "adam lr \(lr) \(lrSchedule) batch \(batch) epochs \(epochs) loss \(lossKind.rawValue) seed \(seed)",
                                   "train_images": String(train.count)],
                           to: outURL)
        if json { printJSON(["event": "done", "weights": outURL.path, "test_mae": mae, "wall_s": Date().timeIntervalSince(start)]) }
        else { print(String(format: "wrote %@ (test MAE %.2f%@, %.1f s)", outURL.path, mae, test.unit, Date().timeIntervalSince(start))) }
    }
}

extension Teacher {
    /// The rate for the next batch under the cosine schedule, lr·½(1 + cos(π·t/T)); nil when constant.
    func rate(step t: Int, of total: Int) -> Float? {
        lrSchedule == "cosine" ? lr * Float(0.5 * (1 + cos(Double.pi * Double(t) / Double(total)))) : nil
    }

    /// One line per epoch: text, or a JSON object with `--json`.
    func reportEpoch(_ epoch: Int, loss: Float, accuracy acc: Double, since start: Date) {
        let elapsed = Date().timeIntervalSince(start)
        if json {
            printJSON(["event": "epoch", "epoch": epoch, "train_loss": Double(loss), "test_accuracy": acc * 100, "elapsed_s": elapsed])
        } else {
            print(String(format: "epoch %2d/%d  train loss %.4f  test accuracy %.2f%%  (%.1f s)", epoch, epochs, loss, acc * 100, elapsed))
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
