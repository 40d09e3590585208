import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation

/// `dafl eval`: a classifier's accuracy on a dataset's test split.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's test accuracy; the weights file says how to preprocess.",
        discussion: "Example: dafl eval --weights teacher.safetensors")

    @Option(help: "Weights file (safetensors, LeNet-5 or LeNet-5-half; a rotation regressor reports its MAE).") var weights: String
    @Option(help: "Dataset directory (IDX files).") var data = Dataset.defaultDirectory
    @Option(help: "Split to evaluate: test or train.") var split = "test"
    @Flag(help: "Print one JSON line.") var json = false
    @Option(help: "A regressor trained on a user's set (`--task files`): test images (IDX).") var images: String?
    @Option(help: "…and their labels (one number per line, or the last column of CSV).") var labels: String?

    func run() throws {
        guard let s = Dataset.Split(rawValue: split) else { throw ValidationError("--split must be test or train") }
        let (model, prep, meta) = try ModelFile.loadClassifier(URL(fileURLWithPath: weights))
        if meta["task"] == "regression", let images, let labels {
            guard let lo = meta["label_min"].flatMap(Float.init), let hi = meta["label_max"].flatMap(Float.init), lo < hi else {
                throw WeightsError(file: weights, problem: "a regressor without label_min/label_max metadata")
            }
            let set = try RegressionSet.load(images: images, labels: labels, preprocessing: prep, range: lo...hi)
            let mae = Regression.meanAbsoluteError(model, on: set)
            if json { printJSON(["weights": weights, "task": "regression", "images": images, "n": set.count, "mae": mae]) }
            else { print(String(format: "%@ (%@ regressor): MAE %.3f on %d images of %@", weights, model.width.rawValue, mae, set.count, images)) }
            return
        }
        let set = try Dataset.load(directory: data, split: s, preprocessing: prep)
        if meta["task"] == "regression" {
            // A rotation regressor: its MAE on the split rotated as the teacher command's test set is.
            guard let lo = meta["label_min"].flatMap(Float.init), let hi = meta["label_max"].flatMap(Float.init), lo < hi else {
                throw WeightsError(file: weights, problem: "a regressor without label_min/label_max metadata")
            }
            let task = Rotation.task(set, degrees: lo...hi, seed: RegressionTaskInfo.testSeed, fill: (0 - prep.mean) / prep.std)
            let mae = Regression.meanAbsoluteError(model, on: task)
            if json { printJSON(["weights": weights, "task": "regression", "split": split, "n": task.count, "mae": mae]) }
            else { print(String(format: "%@ (%@ regressor): MAE %.2f° on %d rotated %@ images", weights, model.width.rawValue, mae, task.count, split)) }
            return
        }
        guard set.classes <= model.classes else {
            throw WeightsError(file: weights, problem: "model has \(model.classes) classes, dataset \(data) has \(set.classes)")
        }
        let start = Date()
        let acc = Classification.accuracy(model, on: set)
        if json {
            printJSON(["weights": weights, "arch": meta["arch"] ?? model.width.rawValue, "split": split, "n": set.count,
                       "accuracy": (acc * 10000).rounded() / 100, "seconds": Date().timeIntervalSince(start)])
        } else {
            print(String(format: "%@ (%@): %.2f%% on %d %@ images", weights, model.width.rawValue, acc * 100, set.count, split))
        }
    }
}
