import Foundation

/// The regression task cGAN-KD's RC-49 stands for, made from data we have: each image rotated by an
/// angle drawn uniformly from a range, the angle its label. Rotation is counter-clockwise as seen
/// (torchvision's `rotate` convention) about the image centre, bilinear, the outside filled with
/// `fill` (the normalised value of black, so rotating after normalising equals normalising after).
/// ```swift
/// let task = Rotation.task(test, degrees: -45...45, seed: 7, fill: (0 - 0.286) / 0.353)
/// let (x, y) = task.batch([0, 1, 2])       // images, labels normalised to [0, 1]
/// ```
public enum Rotation {
    /// Writes `image` (channels × side × side) rotated by `degrees` into `out`.
    public static func rotate(_ image: ArraySlice<Float>, channels: Int, side: Int, degrees: Float, fill: Float,
                              into out: UnsafeMutableBufferPointer<Float>) {
        let theta = Double(degrees) * .pi / 180
        let (cosT, sinT) = (Float(cos(theta)), Float(sin(theta)))
        let c = Float(side - 1) / 2, plane = side &* side
        image.withUnsafeBufferPointer { src in
            for y in 0..<side {
                for x in 0..<side {
                    // Where this output pixel comes from: the inverse rotation of its offset from the centre.
                    let (dx, dy) = (Float(x) - c, Float(y) - c)
                    let sx = c + cosT * dx - sinT * dy, sy = c + sinT * dx + cosT * dy
                    let (x0, y0) = (Int(sx.rounded(.down)), Int(sy.rounded(.down)))
                    let (fx, fy) = (sx - Float(x0), sy - Float(y0))
                    for ch in 0..<channels {
                        let base = ch &* plane
                        func at(_ xx: Int, _ yy: Int) -> Float {
                            xx >= 0 && xx < side && yy >= 0 && yy < side ? src[base &+ yy &* side &+ xx] : fill
                        }
                        let top = at(x0, y0) * (1 - fx) + at(x0 &+ 1, y0) * fx
                        let bottom = at(x0, y0 &+ 1) * (1 - fx) + at(x0 &+ 1, y0 &+ 1) * fx
                        out[base &+ y &* side &+ x] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
    }

    /// Images with scalar labels: a regression set.
    public struct Task {
        public var images: [Float]
        /// The angles, in degrees.
        public var angles: [Float]
        public var range: ClosedRange<Float>
        public var side: Int
        public var channels: Int
        public var count: Int { angles.count }

        /// Labels scaled to [0, 1] over `range` (what the regression losses train on).
        public func normalised(_ degrees: Float) -> Float { (degrees - range.lowerBound) / (range.upperBound - range.lowerBound) }
        public func degrees(_ normalised: Float) -> Float { range.lowerBound + normalised * (range.upperBound - range.lowerBound) }

        /// The images at `indices` as [B, C, S, S] and their normalised labels.
        public func batch(_ indices: ArraySlice<Int>) -> (Tensor, [Float]) {
            let per = channels &* side &* side
            var x = [Float](repeating: 0, count: indices.count &* per)
            for (j, i) in indices.enumerated() { x.replaceSubrange((j &* per)..<((j &+ 1) &* per), with: images[(i &* per)..<((i &+ 1) &* per)]) }
            return (Tensor(shape: [indices.count, channels, side, side], data: x), indices.map { normalised(angles[$0]) })
        }
    }

    /// Every image of `data` rotated by its own angle, drawn from `degrees` by a generator seeded with `seed`.
    public static func task(_ data: Dataset, degrees: ClosedRange<Float>, seed: UInt64, fill: Float) -> Task {
        var rng = RNG(seed: seed)
        let angles = rng.uniform(count: data.count, lo: degrees.lowerBound, hi: degrees.upperBound)
        let per = data.imageSize
        var out = [Float](repeating: 0, count: data.images.count)
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<data.count {
                rotate(data.images[(i &* per)..<((i &+ 1) &* per)], channels: data.channels, side: data.side, degrees: angles[i], fill: fill,
                       into: UnsafeMutableBufferPointer(rebasing: dst[(i &* per)..<((i &+ 1) &* per)]))
            }
        }
        return Task(images: out, angles: angles, range: degrees, side: data.side, channels: data.channels)
    }
}
