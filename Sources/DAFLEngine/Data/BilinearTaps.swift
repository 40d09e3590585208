/// The two source pixels and the weight of the second for each output pixel of a 1-D bilinear resize with half-pixel
/// centres, clamped at the edges, no antialias: PyTorch's `F.interpolate(mode="bilinear", align_corners=False)`.
///
/// One definition for every resize here (the loader's, the projection's resize matrix, procedural pictures' fields),
/// so they round alike.
/// ```swift
/// let taps = BilinearTap.taps(from: 28, to: 32)   // taps[o]: (lo, hi, weight of hi)
/// ```
public struct BilinearTap: Sendable, Equatable {
    public var lo: Int, hi: Int
    /// The weight of `hi`; `lo` weighs 1 − weight.
    public var weight: Float

    public static func taps(from source: Int, to side: Int) -> [BilinearTap] {
        let scale = Float(source) / Float(side)
        return (0..<side).map { o in
            let f = Swift.max(scale * (Float(o) + 0.5) - 0.5, 0)
            let lo = Int(f)
            return BilinearTap(lo: lo, hi: Swift.min(lo + 1, source - 1), weight: f - Float(lo))
        }
    }
}
