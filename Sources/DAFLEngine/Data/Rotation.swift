import Foundation

/// The regression task cGAN-KD's RC-49 stands for, made from data we have: each image rotated by an
/// angle drawn uniformly from a range, the angle its label. Rotation is counter-clockwise as seen
/// (torchvision's `rotate` convention) about the image centre, bilinear, the outside filled with
/// `fill` (the normalised value of black, so rotating after normalising equals normalising after).
/// ```swift
/// let task = Rotation.task(test, degrees: -45...45, seed: 7, fill: (0 - 0.286) / 0.353)
/// let (x, y) = task.batch([0, 1, 2])       // images, angles normalised to [0, 1]
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

    /// Every image of `data` rotated by its own angle, drawn from `degrees` by a generator seeded with `seed`.
    public static func task(_ data: Dataset, degrees: ClosedRange<Float>, seed: UInt64, fill: Float) -> RegressionSet {
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
        return RegressionSet(images: out, targets: angles, range: degrees, side: data.side, channels: data.channels, unit: "°")
    }
}
