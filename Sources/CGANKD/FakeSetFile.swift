import DAFLEngine
import Foundation

/// A processed fake set on disk: safetensors that PyTorch's `safetensors.torch.load_file` reads.
///
/// - `images`: F32 [N, 1, S, S], normalised as the teacher's input (metadata `mean`, `std`);
/// - `labels`: I64 [N], the labels the student trains on (the teacher's when relabelled);
/// - `conditioning`: I64 [N], the class each sample was generated for;
/// - metadata `kind` = `cgan-kd-fake-set`, `classes`, `stats` (JSON of ``FakeSetStats``: per class
///   generated, accepted by cDR-RS, kept by the filter, the filter's cut-offs ("inf" without a filter), M̄,
///   disagreements) and
///   the settings that made it.
/// ```swift
/// let file = try FakeSetFile.read(URL(fileURLWithPath: "run/fake-set.safetensors"), preprocessing: prep)
/// let train = real.appending(file.dataset)
/// ```
public struct FakeSetFile {
    public var dataset: Dataset
    public var conditioning: [Int]
    public var stats: FakeSetStats
    public var path: String

    public init(dataset: Dataset, conditioning: [Int], stats: FakeSetStats, path: String) {
        (self.dataset, self.conditioning, self.stats, self.path) = (dataset, conditioning, stats, path)
    }

    public static let kind = "cgan-kd-fake-set"

    /// Writes the file atomically; `describe` adds settings to the metadata.
    public func write(preprocessing p: Preprocessing, describe: [String: String] = [:]) throws {
        let n = dataset.count, s = dataset.side
        var meta = describe
        meta["kind"] = Self.kind
        meta["classes"] = "\(dataset.classes)"
        meta["mean"] = "\(p.mean)"
        meta["std"] = "\(p.std)"
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        meta["stats"] = String(decoding: try encoder.encode(stats), as: UTF8.self)
        let data = try Safetensors.encode([("images", [n, 1, s, s], dataset.images), ("labels", [n], dataset.labels.map(Float.init)),
                                           ("conditioning", [n], conditioning.map(Float.init))],
                                          metadata: meta, integers: ["labels", "conditioning"])
        try writeAtomically(data, to: URL(fileURLWithPath: path))
    }

    /// Reads and checks a fake set against the preprocessing the student uses.
    public static func read(_ url: URL, preprocessing p: Preprocessing) throws -> FakeSetFile {
        let file = try Safetensors.read(url)
        func fail(_ problem: String) -> WeightsError { WeightsError(file: url.path, problem: problem) }
        guard file.metadata["kind"] == kind else { throw fail("not a cGAN-KD fake set (metadata kind is \(file.metadata["kind"] ?? "missing"))") }
        guard let images = file.tensors["images"], let labels = file.tensors["labels"], let asked = file.tensors["conditioning"] else {
            throw fail("needs tensors images, labels and conditioning")
        }
        guard images.shape.count == 4, images.shape[1] == 1, images.shape[2] == images.shape[3], labels.shape == [images.shape[0]],
              asked.shape == labels.shape else {
            throw fail("images \(images.shape), labels \(labels.shape) and conditioning \(asked.shape) do not fit [N, 1, S, S], [N], [N]")
        }
        guard let classes = file.metadata["classes"].flatMap(Int.init), classes > 0 else { throw fail("metadata lacks classes") }
        guard let mean = file.metadata["mean"].flatMap(Float.init), let std = file.metadata["std"].flatMap(Float.init),
              abs(mean - p.mean) < 1e-6, abs(std - p.std) < 1e-6 else {
            throw fail("normalised with mean \(file.metadata["mean"] ?? "?"), std \(file.metadata["std"] ?? "?"); the teacher uses \(p.mean), \(p.std)")
        }
        guard images.shape[2] == p.size else { throw fail("images are \(images.shape[2])×\(images.shape[2]), the teacher takes \(p.size)×\(p.size)") }
        // Int(exactly:) rather than Int(_:), which traps on NaN or a huge value (labels written as F32; a fuzz-target regression seed).
        let y = labels.values.map { Int(exactly: $0) ?? -1 }, c = asked.values.map { Int(exactly: $0) ?? -1 }
        guard (y + c).allSatisfy({ (0..<classes).contains($0) }) else { throw fail("a label is not a whole number in 0..<\(classes)") }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let statsText = file.metadata["stats"], let stats = try? decoder.decode(FakeSetStats.self, from: Data(statsText.utf8)) else {
            throw fail("metadata stats is missing or damaged")
        }
        return FakeSetFile(dataset: Dataset(images: images.values, labels: y, side: images.shape[2], classes: classes),
                           conditioning: c, stats: stats, path: url.path)
    }
}
