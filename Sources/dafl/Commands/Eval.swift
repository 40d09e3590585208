import ArgumentParser
import DAFLEngine
import Foundation

/// `dafl eval`: a classifier's accuracy on a dataset's test split.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's test accuracy; the weights file says how to preprocess.",
        discussion: "Example: dafl eval --weights teacher.safetensors")

    @Option(help: "Weights file (safetensors, LeNet-5 or LeNet-5-half).") var weights: String
    @Option(help: "Dataset directory (IDX files).") var data = Dataset.defaultDirectory
    @Option(help: "Split to evaluate: test or train.") var split = "test"
    @Flag(help: "Print one JSON line.") var json = false

    func run() throws {
        guard let s = Dataset.Split(rawValue: split) else { throw ValidationError("--split must be test or train") }
        let (model, prep, meta) = try ModelFile.loadClassifier(URL(fileURLWithPath: weights))
        let set = try Dataset.load(directory: data, split: s, preprocessing: prep)
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
