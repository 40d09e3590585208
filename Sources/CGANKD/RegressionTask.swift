import DAFLEngine
import Foundation
import RunEvents

/// Where a regression run's images and labels came from, so a checkpoint resumes on the same data
/// and a saved model says what its outputs mean: rotated images of an IDX set (the default task) or a
/// user's IDX images with a label file.
/// ```swift
/// let info = RegressionTaskInfo.rotation(degrees: -45...45, labelled: 5000, seed: 1)
/// let train = try info.load(directory: Dataset.defaultDirectory, preprocessing: .fashionMNIST)
/// ```
public struct RegressionTaskInfo: Codable, Equatable, Sendable {
    /// `rotation` or `files`.
    public var kind: String
    /// The rotation range (degrees), or the labels' range of a user's set.
    public var labelMin: Float, labelMax: Float
    /// Rotation: the first N images of each class of the training split (nil: all), as `dafl teacher --per-class`.
    /// A user's set: its first N images.
    public var labelled: Int?
    /// Seed of the training set's angles.
    public var seed: UInt64
    /// A user's files: images (IDX) and labels (text or CSV).
    public var images: String?, labels: String?

    public init(kind: String, labelMin: Float, labelMax: Float, labelled: Int?, seed: UInt64, images: String? = nil, labels: String? = nil) {
        (self.kind, self.labelMin, self.labelMax, self.labelled, self.seed, self.images, self.labels) = (kind, labelMin, labelMax, labelled, seed, images, labels)
    }

    public static func rotation(degrees: ClosedRange<Float>, labelled: Int?, seed: UInt64) -> RegressionTaskInfo {
        RegressionTaskInfo(kind: "rotation", labelMin: degrees.lowerBound, labelMax: degrees.upperBound, labelled: labelled, seed: seed)
    }

    /// The test set's angles are drawn with this seed whatever the run's: every model meets the same test.
    public static let testSeed: UInt64 = 2021

    public var range: ClosedRange<Float> { labelMin...labelMax }

    /// Problems with a task read back from a checkpoint (which a user may edit or damage); empty when valid.
    public func problems() -> [String] {
        var p: [String] = []
        if !["rotation", "files"].contains(kind) { p.append("task kind '\(kind)' is neither rotation nor files") }
        if !(labelMin.isFinite && labelMax.isFinite && labelMin < labelMax) { p.append("label range \(labelMin)…\(labelMax) is empty") }
        if let labelled, labelled < 1 { p.append("--per-class must be positive") }
        if kind == "files", images == nil || labels == nil { p.append("a files task names its images and labels") }
        return p
    }
    public var unit: String { kind == "rotation" ? "°" : "" }

    /// The training images: rotated (the first `labelled` of the split), or the user's files.
    public func load(directory: String, preprocessing: Preprocessing) throws -> RegressionSet {
        if kind == "files", let images, let labels {
            let set = try RegressionSet.load(images: images, labels: labels, preprocessing: preprocessing, range: labelMax > labelMin ? range : nil)
            return labelled.map { set.prefix($0) } ?? set
        }
        var data = try Dataset.load(directory: directory, split: .train, preprocessing: preprocessing)
        if let labelled { data = try data.firstPerClass(labelled) }
        return Rotation.task(data, degrees: range, seed: seed, fill: (0 - preprocessing.mean) / preprocessing.std)
    }

    /// The rotated test split (rotation only; a user's set names its own test files).
    public func test(directory: String, preprocessing: Preprocessing) throws -> RegressionSet {
        let data = try Dataset.load(directory: directory, split: .test, preprocessing: preprocessing)
        return Rotation.task(data, degrees: range, seed: Self.testSeed, fill: (0 - preprocessing.mean) / preprocessing.std)
    }

    public var settingStrings: [String: String] {
        var s = ["task": kind, "label_min": "\(labelMin)", "label_max": "\(labelMax)", "task_seed": "\(seed)"]
        if let labelled { s["per_class"] = "\(labelled)" }
        if let images { s["images"] = images }
        if let labels { s["labels"] = labels }
        return s
    }

    /// What a saved model's metadata says about its labels.
    public var metadata: [String: String] {
        ["label": kind == "rotation" ? "rotation-degrees" : "value", "label_min": "\(labelMin)", "label_max": "\(labelMax)"]
    }
}

extension CcGANTrainer {
    var settingStrings: [String: String] {
        ["vicinity": settings.vicinity.rawValue, "kappa_base": "\(settings.kappaBase)", "kappa": "\(vicinity.kappa)",
         "sigma": "\(vicinity.sigma)", "nu": "\(vicinity.nu)", "embed_dim": "\(settings.embedding.dimension)",
         "embed_epochs": "\(settings.embedding.embedEpochs)", "y2h_epochs": "\(settings.embedding.y2hEpochs)",
         "embed_mae": settings.embedding.fit.map { "\($0.embedMAE)" } ?? "", "y2h_round_trip_mae": settings.embedding.fit.map { "\($0.roundTripMAE)" } ?? ""]
    }

    /// How far the teacher's reading of generated images is from the labels they were generated for:
    /// the mean absolute error in the task's units over labels spread evenly across [0, 1].
    public func labelError(teacher: LeNet5, samples: Int, rng: inout RNG) -> Float {
        let labels = (0..<samples).map { (Float($0) + 0.5) / Float(samples) }
        var sum: Float = 0
        for s in stride(from: 0, to: samples, by: 500) {
            let part = Array(labels[s..<Swift.min(s + 500, samples)])
            let p = RegressionSampleSource.predict(teacher, sampler.sample(labels: part, rng: &rng))
            for (a, b) in zip(p, part) { sum += Swift.abs(data.value(a) - data.value(b)) }
        }
        return sum / Float(samples)
    }

    /// A strip of `count` images sweeping the label from 0 to 1, each with the teacher's reading.
    public func sweepSamples(count: Int, teacher: LeNet5?, preprocessing: Preprocessing, step: Int, time: Double, rng: inout RNG) -> SamplesEvent {
        let labels = (0..<count).map { Float($0) / Float(Swift.max(count - 1, 1)) }
        let x = sampler.sample(labels: labels, rng: &rng)
        let read = teacher.map { RegressionSampleSource.predict($0, x) }
        let side = x.shape[2]
        let (grey, range) = preprocessing.stretchedGreyLevels(x.data, count: labels.count, plane: side * side)
        let images = grey.enumerated().map { i, bytes in
            SamplesEvent.Image(pixels: Data(bytes).base64EncodedString(), label: 0, confidence: 1,
                               target: Double(data.value(labels[i])), value: read.map { Double(data.value($0[i])) }, unit: data.unit)
        }
        return SamplesEvent(step: step, time: time, width: side, height: side, images: images, greyRange: [Double(range.lo), Double(range.hi)])
    }
}
