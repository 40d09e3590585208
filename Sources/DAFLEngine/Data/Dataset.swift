import Foundation

/// Input preprocessing: resize to a square side (bilinear, half-pixel centres, no antialias:
/// `F.interpolate(mode="bilinear", align_corners=False)`), scale to [0, 1], normalise.
///
/// Saved in a model's metadata so `dafl eval` can reproduce it from the weights file alone.
public struct Preprocessing: Sendable, Equatable {
    public var size: Int
    public var mean: Float
    public var std: Float

    public init(size: Int = 32, mean: Float, std: Float) {
        self.size = size; self.mean = mean; self.std = std
    }

    /// The normalised values of black and white (grey levels 0 and 1): the range a picture's pixels hold.
    public var blackAndWhite: (black: Float, white: Float) { (-mean / std, (1 - mean) / std) }

    /// Normalised values back to grey levels 0…255, as a person (and the teacher) would read them.
    public func greyLevels(_ values: ArraySlice<Float>) -> [UInt8] {
        values.map { UInt8(Swift.max(0, Swift.min(255, (($0 * std + mean) * 255).rounded()))) }
    }

    /// Images for a person to look at: the grey levels (`value·std + mean`, 0 black … 1 white as the
    /// teacher reads them) stretched so that the 1st…99th percentile of the whole batch spans 0…255.
    /// A generator's standardised outputs otherwise clip at black and white and hide their structure.
    /// Returns one byte array per image and the grey levels that bytes 0 and 255 stand for.
    /// ```swift
    /// let (bytes, range) = prep.stretchedGreyLevels(images.data, count: 16, plane: 1024)
    /// ```
    public func stretchedGreyLevels(_ values: [Float], count: Int, plane: Int) -> (images: [[UInt8]], range: (lo: Float, hi: Float)) {
        let n = Swift.min(count * plane, values.count)
        guard n > 0 else { return ([], (0, 1)) }
        var sorted = values[0..<n].map { $0 * std + mean }
        sorted.sort()
        var lo = sorted[Int(Double(n - 1) * 0.01)], hi = sorted[Int(Double(n - 1) * 0.99)]
        if hi - lo < 1e-3 { (lo, hi) = (lo - 0.5, hi + 0.5) }   // a flat batch: show it mid-grey, not as noise
        let scale = 255 / (hi - lo)
        let images = (0..<(n / plane)).map { i in
            values[(i * plane)..<((i + 1) * plane)].map { UInt8(Swift.max(0, Swift.min(255, (($0 * std + mean - lo) * scale).rounded()))) }
        }
        return (images, (lo, hi))
    }

    /// Fashion-MNIST's usual statistics.
    public static let fashionMNIST = Preprocessing(mean: 0.2860, std: 0.3530)
    /// MNIST's, as the DAFL reference.
    public static let mnist = Preprocessing(mean: 0.1307, std: 0.3081)

    public var metadata: [String: String] {
        ["input_size": String(size), "resize": "bilinear", "mean": String(mean), "std": String(std)]
    }

    public init?(metadata m: [String: String]) {
        guard let mean = m["mean"].flatMap(Float.init), let std = m["std"].flatMap(Float.init) else { return nil }
        self.init(size: m["input_size"].flatMap(Int.init) ?? 32, mean: mean, std: std)
    }

    /// Resizes one h×w byte image into `out` (size×size floats), normalised.
    /// The bilinear sum is done in Double and rounded once, then normalised with a true division:
    /// bit-identical to PyTorch's float32 pipeline on every Fashion-MNIST image (scripts/dafl_torch.py).
    func apply(_ src: UnsafeBufferPointer<UInt8>, h: Int, w: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let s = size
        let rows = BilinearTap.taps(from: h, to: s), columns = BilinearTap.taps(from: w, to: s)
        for oy in 0..<s {
            let (y0, y1, ly) = (rows[oy].lo, rows[oy].hi, Double(rows[oy].weight))
            for ox in 0..<s {
                let (x0, x1, lx) = (columns[ox].lo, columns[ox].hi, Double(columns[ox].weight))
                func px(_ y: Int, _ x: Int) -> Double { Double(src[y &* w &+ x]) / 255 }
                let v = (1 - ly) * ((1 - lx) * px(y0, x0) + lx * px(y0, x1)) + ly * ((1 - lx) * px(y1, x0) + lx * px(y1, x1))
                out[oy &* s &+ ox] = (Float(v) - mean) / std
            }
        }
    }
}

/// A labelled image set held in memory as preprocessed [N, 1, S, S] floats.
///
/// ```swift
/// let test = try Dataset.load(directory: Dataset.defaultDirectory, split: .test, preprocessing: .fashionMNIST)
/// for (x, y) in test.batches(size: 256) { … }
/// ```
public struct Dataset: Sendable {
    public enum Split: String, Sendable { case train, test }

    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    public let images: [Float]
    public let labels: [Int]
    public let side: Int
    public let classes: Int
    /// 1 for the grey sets, 3 for CIFAR (planes R, G, B).
    public let channels: Int
    public var count: Int { labels.count }
    /// Values per image.
    public var imageSize: Int { channels &* side &* side }

    public init(images: [Float], labels: [Int], side: Int, classes: Int, channels: Int = 1) {
        self.images = images; self.labels = labels; self.side = side; self.classes = classes; self.channels = channels
    }

    /// The first `n` images of every class, in file order: the scarce labelled set of cGAN-KD's
    /// experiments (`dafl teacher --per-class N`). Throws when a class has fewer than `n` images.
    /// ```swift
    /// let small = try train.firstPerClass(1000)     // 10,000 images of Fashion-MNIST
    /// ```
    public func firstPerClass(_ n: Int) throws -> Dataset {
        guard n > 0 else { throw DatasetError.subset("the number of images per class must be positive, got \(n)") }
        var taken = [Int](repeating: 0, count: classes), keep: [Int] = []
        keep.reserveCapacity(n &* classes)
        for (i, y) in labels.enumerated() where taken[y] < n {
            taken[y] += 1
            keep.append(i)
        }
        if let short = taken.indices.first(where: { taken[$0] < n }) {
            throw DatasetError.subset("asked for \(n) images per class, but class \(short) has only \(taken[short]) (of \(count) images)")
        }
        let plane = imageSize
        var pixels = [Float](); pixels.reserveCapacity(keep.count &* plane)
        for i in keep { pixels.append(contentsOf: images[(i &* plane)..<((i &+ 1) &* plane)]) }
        return Dataset(images: pixels, labels: keep.map { labels[$0] }, side: side, classes: classes, channels: channels)
    }

    /// This set followed by `other` (same image size and classes): real plus generated images.
    public func appending(_ other: Dataset) -> Dataset {
        precondition(other.side == side && other.classes == classes && other.channels == channels,
                     "appending a \(other.channels)×\(other.side)-pixel, \(other.classes)-class set")
        return Dataset(images: images + other.images, labels: labels + other.labels, side: side, classes: classes, channels: channels)
    }

    /// Loads `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` from a directory.
    public static func load(directory: String, split: Split, preprocessing: Preprocessing) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw WeightsError(file: directory, problem: "dataset directory not found (install Fashion-MNIST with `apt-get install dataset-fashion-mnist`, or pass --data DIR)")
        }
        let stem = split == .train ? "train" : "t10k"
        func find(_ kind: String) throws -> String {
            for ext in [".gz", ""] {
                let p = (directory as NSString).appendingPathComponent("\(stem)-\(kind)-ubyte\(ext)")
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            throw WeightsError(file: directory, problem: "no \(stem)-\(kind)-ubyte[.gz] file for the \(split.rawValue) split")
        }
        let imgPath = try find("images-idx3"), lblPath = try find("labels-idx1")
        let img = try IDX.read(path: imgPath), lbl = try IDX.read(path: lblPath)
        guard img.dims.count == 3 else { throw WeightsError(file: imgPath, problem: "expected 3 dimensions (N, H, W), got \(img.dims)") }
        guard lbl.dims.count == 1 else { throw WeightsError(file: lblPath, problem: "expected 1 dimension, got \(lbl.dims)") }
        guard img.dims[0] == lbl.dims[0] else {
            throw WeightsError(file: lblPath, problem: "\(lbl.dims[0]) labels for \(img.dims[0]) images in \(imgPath)")
        }
        let n = img.dims[0], h = img.dims[1], w = img.dims[2], s = preprocessing.size
        var out = [Float](repeating: 0, count: n * s * s)
        img.bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let job = UncheckedSendable((src, dst))
                DispatchQueue.concurrentPerform(iterations: 8) { part in
                    let (src, dst) = job.value
                    for i in stride(from: part, to: n, by: 8) {
                        preprocessing.apply(UnsafeBufferPointer(rebasing: src[(i * h * w)..<((i + 1) * h * w)]), h: h, w: w,
                                            into: UnsafeMutableBufferPointer(rebasing: dst[(i * s * s)..<((i + 1) * s * s)]))
                    }
                }
            }
        }
        let labels = lbl.bytes.map { Int($0) }
        return Dataset(images: out, labels: labels, side: s, classes: (labels.max() ?? 9) + 1)
    }

    /// The images at `indices` as [B, 1, S, S] and their labels.
    public func batch(_ indices: ArraySlice<Int>) -> (Tensor, [Int]) {
        let per = imageSize
        var x = [Float](repeating: 0, count: indices.count * per)
        x.withUnsafeMutableBufferPointer { dst in
            images.withUnsafeBufferPointer { src in
                for (j, i) in indices.enumerated() {
                    (dst.baseAddress! + j * per).update(from: src.baseAddress! + i * per, count: per)
                }
            }
        }
        return (Tensor(shape: [indices.count, channels, side, side], data: x), indices.map { labels[$0] })
    }

    /// Mini-batches in order, or shuffled by `rng`; the last one may be smaller.
    public func batches(size: Int, rng: inout RNG, shuffle: Bool = true) -> [ArraySlice<Int>] {
        let order = shuffle ? rng.permutation(count) : Array(0..<count)
        return stride(from: 0, to: count, by: size).map { order[$0..<Swift.min($0 + size, count)] }
    }
}

/// A request the loaded data cannot satisfy, such as a per-class subset larger than a class.
public struct DatasetError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    static func subset(_ message: String) -> DatasetError { DatasetError(message: message) }
}
