import Foundation

/// Images with scalar labels: a regression set (cGAN-KD's regression setting).
///
/// Targets are kept in their own units (degrees, years); the models train on them scaled to [0, 1]
/// over `range`, as CcGAN and cGAN-KD normalise labels.
/// ```swift
/// let set = try RegressionSet.load(images: "train-images-idx3-ubyte.gz", labels: "angles.csv", preprocessing: .fashionMNIST)
/// let (x, y) = set.batch([0, 1, 2])       // [3, 1, 32, 32] and labels in [0, 1]
/// ```
public struct RegressionSet: Sendable {
    public var images: [Float]
    /// The labels in their units.
    public var targets: [Float]
    /// The span that maps to [0, 1].
    public var range: ClosedRange<Float>
    public var side: Int
    public var channels: Int
    /// How a target is printed after its number ("°", " years", or "").
    public var unit: String
    public var count: Int { targets.count }
    public var imageSize: Int { channels &* side &* side }

    public init(images: [Float], targets: [Float], range: ClosedRange<Float>, side: Int, channels: Int = 1, unit: String = "") {
        precondition(images.count == targets.count &* channels &* side &* side, "\(images.count) floats for \(targets.count) images")
        (self.images, self.targets, self.range, self.side, self.channels, self.unit) = (images, targets, range, side, channels, unit)
    }

    /// A label scaled to [0, 1] over `range` (what the regression losses train on).
    public func normalised(_ value: Float) -> Float { (value - range.lowerBound) / (range.upperBound - range.lowerBound) }
    /// A normalised label back in the set's units.
    public func value(_ normalised: Float) -> Float { range.lowerBound + normalised * (range.upperBound - range.lowerBound) }

    /// The labels scaled to [0, 1].
    public var normalisedTargets: [Float] { targets.map(normalised) }

    /// The images at `indices` as [B, C, S, S] and their normalised labels.
    public func batch(_ indices: ArraySlice<Int>) -> (Tensor, [Float]) {
        let per = imageSize
        var x = [Float](repeating: 0, count: indices.count &* per)
        for (j, i) in indices.enumerated() { x.replaceSubrange((j &* per)..<((j &+ 1) &* per), with: images[(i &* per)..<((i &+ 1) &* per)]) }
        return (Tensor(shape: [indices.count, channels, side, side], data: x), indices.map { normalised(targets[$0]) })
    }

    /// This set followed by `other` (same image size; `other`'s targets are in the same units).
    public func appending(_ other: RegressionSet) -> RegressionSet {
        precondition(other.side == side && other.channels == channels)
        return RegressionSet(images: images + other.images, targets: targets + other.targets, range: range, side: side, channels: channels, unit: unit)
    }

    /// The first `n` images (all when there are fewer).
    public func prefix(_ n: Int) -> RegressionSet {
        let k = Swift.min(n, count)
        return RegressionSet(images: Array(images[0..<(k &* imageSize)]), targets: Array(targets[0..<k]), range: range, side: side,
                             channels: channels, unit: unit)
    }

    /// A user's regression data: an IDX image file (raw or gzip, [N, H, W] bytes, preprocessed as the
    /// classification sets) and a text file of labels, one per image in order: one number per line, or
    /// CSV whose last column is the label (a header line that is not a number is skipped). `range` is
    /// the labels' span unless given.
    public static func load(images: String, labels: String, preprocessing: Preprocessing, range: ClosedRange<Float>? = nil,
                            unit: String = "") throws -> RegressionSet {
        let idx = try IDX.read(path: images)
        guard idx.dims.count == 3, idx.dims[1] > 0, idx.dims[2] > 0 else {
            throw WeightsError(file: images, problem: "expected IDX images [N, H, W], found dimensions \(idx.dims)")
        }
        let targets = try parseLabels(path: labels)
        guard targets.count == idx.dims[0] else {
            throw WeightsError(file: labels, problem: "has \(targets.count) labels for \(idx.dims[0]) images in \(images)")
        }
        let span = range ?? (targets.min()!...targets.max()!)
        guard span.upperBound > span.lowerBound else { throw WeightsError(file: labels, problem: "every label is \(span.lowerBound): nothing to regress") }
        let (h, w, s) = (idx.dims[1], idx.dims[2], preprocessing.size)
        var out = [Float](repeating: 0, count: targets.count &* s &* s)
        idx.bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<targets.count {
                    preprocessing.apply(UnsafeBufferPointer(rebasing: src[(i &* h &* w)..<((i &+ 1) &* h &* w)]), h: h, w: w,
                                        into: UnsafeMutableBufferPointer(rebasing: dst[(i &* s &* s)..<((i &+ 1) &* s &* s)]))
                }
            }
        }
        return RegressionSet(images: out, targets: targets, range: span, side: s, unit: unit)
    }

    /// Labels from a text file: one number per line, or the last column of CSV; a non-numeric first line is a header.
    public static func parseLabels(path: String) throws -> [Float] {
        guard let data = FileManager.default.contents(atPath: path) else { throw WeightsError(file: path, problem: "cannot read the label file") }
        guard let text = String(data: data, encoding: .utf8) else { throw WeightsError(file: path, problem: "not UTF-8 text") }
        var out: [Float] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let field = line.split(separator: ",", omittingEmptySubsequences: false).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let v = Float(field), v.isFinite else {
                if n == 0 { continue }   // a header
                throw WeightsError(file: path, problem: "line \(n + 1): \"\(field.prefix(40))\" is not a finite number")
            }
            out.append(v)
        }
        guard !out.isEmpty else { throw WeightsError(file: path, problem: "no labels") }
        return out
    }
}
