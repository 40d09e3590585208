import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation

/// A user's regression data set on the command line (`--task files`): IDX images with a label file
/// (one number per line, or CSV whose last column is the label) for training, and the same for testing.
struct RegressionFileOptions: ParsableArguments {
    @Option(help: "files task: training images (IDX, raw or gzip).") var images: String?
    @Option(help: "files task: training labels, one number per line or the last column of CSV, in the images' order.") var labels: String?
    @Option(name: .customLong("test-images"), help: "files task: test images (IDX).") var testImages: String?
    @Option(name: .customLong("test-labels"), help: "files task: test labels.") var testLabels: String?

    func check(needsTest: Bool) throws {
        guard images != nil, labels != nil else { throw ValidationError("--task files needs --images and --labels") }
        if needsTest, testImages == nil || testLabels == nil { throw ValidationError("--task files needs --test-images and --test-labels") }
    }

    /// The training set (its first `first` images when given), and the test set on the training labels' range.
    func load(preprocessing: Preprocessing, first: Int?, range: ClosedRange<Float>? = nil) throws -> (train: RegressionSet, test: RegressionSet?) {
        var train = try RegressionSet.load(images: images!, labels: labels!, preprocessing: preprocessing, range: range)
        if let first { train = train.prefix(first) }
        let test = try testImages.map { try RegressionSet.load(images: $0, labels: testLabels!, preprocessing: preprocessing, range: train.range) }
        return (train, test)
    }
}
