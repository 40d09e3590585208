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

    /// Per-channel statistics of the training images, as the DAFL reference normalises them.
    public struct Normalization: Sendable, Equatable {
        public var mean: [Float]
        public var std: [Float]
        public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
        public static let cifar100 = Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
    }
}

extension CIFAR.Images {
    /// The images as a 3-channel data set, normalised as torchvision's `ToTensor` then `Normalize`
    /// do it, operation for operation in float32 (÷255, −mean, ÷std), so the values are PyTorch's bits.
    public func dataset(_ n: CIFAR.Normalization) -> Dataset {
        let plane = CIFAR.side &* CIFAR.side
        var out = [Float](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    for c in 0..<3 {
                        let (mean, std) = (n.mean[c], n.std[c]), base = i &* CIFAR.imageBytes &+ c &* plane
                        for j in 0..<plane { dst[base &+ j] = (Float(src[base &+ j]) / 255 - mean) / std }
                    }
                }
            }
        }
        return Dataset(images: out, labels: labels, side: CIFAR.side, classes: classes, channels: 3)
    }
}

/// The reference's augmentation for training CIFAR teachers: `RandomCrop(32, padding=4)` then
/// `RandomHorizontalFlip()`, on normalised images. torchvision pads the picture with black before
/// normalising, so the padding here is each channel's normalised black, (0 − mean) / std.
/// ```swift
/// let x = CIFARAugmentation.apply(batch, normalization: .cifar10, rng: &rng)
/// ```
public enum CIFARAugmentation {
    /// One image shifted so that output pixel (y, x) is input (y + dy − 4, x + dx − 4) (dx, dy in 0...8),
    /// then mirrored if `flip`: the crop at offset (dx, dy) of the image padded by 4.
    public static func cropFlip(_ image: ArraySlice<Float>, channels: Int, side: Int, dx: Int, dy: Int, flip: Bool,
                                padValues: [Float], into out: UnsafeMutableBufferPointer<Float>) {
        let plane = side &* side
        image.withUnsafeBufferPointer { src in
            for c in 0..<channels {
                let pad = padValues[c], base = c &* plane
                for y in 0..<side {
                    let sy = y &+ dy &- 4
                    for x in 0..<side {
                        let cx = flip ? side &- 1 &- x : x
                        let sx = cx &+ dx &- 4
                        out[base &+ y &* side &+ x] = sy >= 0 && sy < side && sx >= 0 && sx < side ? src[base &+ sy &* side &+ sx] : pad
                    }
                }
            }
        }
    }

    /// A batch [N, C, S, S] with a random crop offset and flip per image.
    public static func apply(_ batch: Tensor, normalization n: CIFAR.Normalization, rng: inout RNG) -> Tensor {
        let (count, channels, side) = (batch.shape[0], batch.shape[1], batch.shape[2])
        let per = channels &* side &* side
        let pads = (0..<channels).map { (0 - n.mean[$0]) / n.std[$0] }
        var out = [Float](repeating: 0, count: batch.count)
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<count {
                let dx = Int(rng.next() % 9), dy = Int(rng.next() % 9), flip = rng.next() & 1 == 1
                cropFlip(batch.data[(i &* per)..<((i &+ 1) &* per)], channels: channels, side: side, dx: dx, dy: dy, flip: flip,
                         padValues: pads, into: UnsafeMutableBufferPointer(rebasing: dst[(i &* per)..<((i &+ 1) &* per)]))
            }
        }
        return Tensor(shape: batch.shape, data: out)
    }
}
