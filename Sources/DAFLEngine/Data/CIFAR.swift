import Foundation

/// Reads CIFAR-10 and CIFAR-100 from a directory a user names, in either of the formats they are
/// distributed in: the binary version (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`;
/// CIFAR-100 `train.bin`, `test.bin`) or the Python version (pickles `data_batch_1` … `test_batch`;
/// CIFAR-100 `train`, `test`), found in the directory itself or in the archive's folder inside it
/// (`cifar-10-batches-bin`, `cifar-10-batches-py`, `cifar-100-binary`, `cifar-100-python`).
/// Images come out as bytes in PyTorch's order, [N, 3, 32, 32] (channel planes R, G, B).
/// ```swift
/// let test = try CIFAR.read(directory: "/data/cifar10", split: .test)   // 10,000 images
/// ```
public enum CIFAR {
    public static let side = 32
    public static let imageBytes = 3 * 32 * 32

    public struct Images {
        /// [N, 3, 32, 32] bytes.
        public var pixels: [UInt8]
        public var labels: [Int]
        public var classes: Int
        /// The files read, in order.
        public var files: [String]
        public var count: Int { labels.count }
    }

    /// `classes` is 10 or 100 (CIFAR-100's fine labels).
    public static func read(directory: String, split: Dataset.Split, classes: Int = 10) throws -> Images {
        guard classes == 10 || classes == 100 else { throw WeightsError(file: directory, problem: "CIFAR has 10 or 100 classes, not \(classes)") }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw WeightsError(file: directory, problem: "CIFAR directory not found")
        }
        let train = split == .train
        let binaryNames = classes == 10 ? (train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]) : [train ? "train.bin" : "test.bin"]
        let pickleNames = classes == 10 ? (train ? (1...5).map { "data_batch_\($0)" } : ["test_batch"]) : [train ? "train" : "test"]
        let folders = classes == 10 ? ["", "cifar-10-batches-bin", "cifar-10-batches-py"] : ["", "cifar-100-binary", "cifar-100-python"]
        for folder in folders {
            let dir = folder.isEmpty ? directory : (directory as NSString).appendingPathComponent(folder)
            let paths = { (names: [String]) in names.map { (dir as NSString).appendingPathComponent($0) } }
            if paths(binaryNames).allSatisfy(FileManager.default.fileExists) {
                return try merge(paths(binaryNames).map { try readBinary($0, classes: classes) }, classes: classes)
            }
            if paths(pickleNames).allSatisfy(FileManager.default.fileExists) {
                return try merge(paths(pickleNames).map { try readPickle($0, classes: classes) }, classes: classes)
            }
        }
        throw WeightsError(file: directory, problem: "no CIFAR-\(classes) \(split.rawValue) files: looked for \(binaryNames.joined(separator: ", ")) (binary) or \(pickleNames.joined(separator: ", ")) (Python), here or in \(folders.dropFirst().joined(separator: " or "))")
    }

    static func merge(_ parts: [Images], classes: Int) throws -> Images {
        Images(pixels: parts.flatMap(\.pixels), labels: parts.flatMap(\.labels), classes: classes, files: parts.flatMap(\.files))
    }

    /// Records of a label byte (CIFAR-100: coarse, then fine) and 3,072 image bytes.
    public static func readBinary(_ path: String, classes: Int) throws -> Images {
        guard let data = FileManager.default.contents(atPath: path) else { throw WeightsError(file: path, problem: "cannot read") }
        let labelBytes = classes == 10 ? 1 : 2, record = labelBytes + imageBytes
        guard !data.isEmpty, data.count % record == 0 else {
            throw WeightsError(file: path, problem: "\(data.count) bytes is not a whole number of \(record)-byte CIFAR-\(classes) records (truncated, or another format)")
        }
        let n = data.count / record
        var pixels = [UInt8](repeating: 0, count: n * imageBytes), labels = [Int](repeating: 0, count: n)
        data.withUnsafeBytes { raw in
            let src = raw.bindMemory(to: UInt8.self)
            pixels.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let r = i &* record
                    labels[i] = Int(src[r &+ labelBytes &- 1])
                    (dst.baseAddress! + (i &* imageBytes)).update(from: src.baseAddress! + (r &+ labelBytes), count: imageBytes)
                }
            }
        }
        if let bad = labels.firstIndex(where: { $0 >= classes }) {
            throw WeightsError(file: path, problem: "record \(bad) has label \(labels[bad]), outside 0..<\(classes): not CIFAR-\(classes)")
        }
        return Images(pixels: pixels, labels: labels, classes: classes, files: [path])
    }

    /// A pickled dict with `data` (a NumPy uint8 array [N, 3072]) and `labels` (CIFAR-100: `fine_labels`).
    public static func readPickle(_ path: String, classes: Int) throws -> Images {
        guard let data = FileManager.default.contents(atPath: path) else { throw WeightsError(file: path, problem: "cannot read") }
        let root = try Pickle.parse(data, source: path)
        let labelKey = classes == 10 ? "labels" : "fine_labels"
        guard let array = root["data"]?.ndarray, let labelList = root[labelKey]?.items else {
            throw WeightsError(file: path, problem: "not a CIFAR-\(classes) batch: needs 'data' (a NumPy array) and '\(labelKey)'")
        }
        let labels = labelList.compactMap(\.intValue)
        guard array.shape.count == 2, array.shape[1] == imageBytes, array.shape[0] == labels.count, labels.count == labelList.count,
              array.raw.count == array.shape[0] * imageBytes, !array.fortran else {
            throw WeightsError(file: path, problem: "data \(array.shape) (\(array.raw.count) bytes) and \(labelList.count) labels do not make [N, 3072] uint8 images with N labels")
        }
        if let bad = labels.firstIndex(where: { !(0..<classes).contains($0) }) {
            throw WeightsError(file: path, problem: "image \(bad) has label \(labels[bad]), outside 0..<\(classes)")
        }
        return Images(pixels: array.raw, labels: labels, classes: classes, files: [path])
    }
}
