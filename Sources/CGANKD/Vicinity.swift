import DAFLEngine
import Foundation

/// CcGAN's vicinity (Ding et al., ICLR 2021): which real images count for a target label, and how much.
///
/// Labels are normalised to [0, 1]. Each discriminator batch draws target labels from the distinct
/// training labels plus Gaussian noise of std σ; a real image is picked from the target's vicinity
/// and a fake label drawn uniformly inside it. Hard vicinity (HVDL): |y − y_t| ≤ κ, weights 1. Soft
/// (SVDL): weights exp(−ν (y − y_t)²), the vicinity where that weight is at least 1e-3. The rule of
/// thumb, as the reference computes it: σ = 1.06·std(y)·N^(−1/5) (Silverman, over all N labels),
/// κ = `kappaBase` × the largest gap between neighbouring distinct labels, ν = 1/κ².
/// ```swift
/// let v = Vicinity(labels: train.normalisedTargets, kind: .soft)
/// let b = v.draw(64, rng: &rng)          // real indices, targets, fake labels, weights
/// ```
public struct Vicinity: Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case hard, soft }

    public let kind: Kind
    public let sigma: Float
    public let kappa: Float
    /// ν = 1/κ² (soft vicinity).
    public var nu: Float { 1 / (kappa * kappa) }
    /// Half-width of the window real images and fake labels come from: κ (hard), or where the soft weight is 1e-3.
    public var radius: Float { kind == .hard ? kappa : (-Float(log(1e-3)) / nu).squareRoot() }
    let labels: [Float], sorted: [Float], order: [Int], distinct: [Float]

    /// - Parameters: `sigma`/`kappa` override the rule of thumb when given.
    public init(labels: [Float], kind: Kind = .soft, kappaBase: Float = 2, sigma: Float? = nil, kappa: Float? = nil) {
        precondition(labels.count >= 2, "a vicinity needs at least two labels")
        self.kind = kind
        self.labels = labels
        order = labels.indices.sorted { labels[$0] < labels[$1] }
        sorted = order.map { labels[$0] }
        var d: [Float] = []
        for y in sorted where d.last != y { d.append(y) }
        distinct = d
        let n = Float(labels.count), mean = labels.reduce(0, +) / n
        let std = (labels.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Swift.max(n - 1, 1)).squareRoot()   // numpy's std is ddof 0; the difference is below 1e-3 of σ here
        self.sigma = sigma ?? 1.06 * std * Float(pow(Double(n), -0.2))
        let gap = zip(d.dropFirst(), d).map { $0 - $1 }.max() ?? 1
        self.kappa = kappa ?? kappaBase * gap
    }

    /// One discriminator batch: the real images' indices, the target labels, the fake labels and both sides' weights.
    public struct Batch: Equatable {
        public var realIndices: [Int]
        public var targets: [Float], fakeLabels: [Float]
        public var realWeights: [Float], fakeWeights: [Float]
    }

    /// The indices (into the original labels) of real images within `radius` of `y`.
    func neighbours(of y: Float) -> ArraySlice<Int> {
        let lo = lowerBound(y - radius), hi = lowerBound((y + radius).nextUp)
        return order[lo..<hi]
    }

    private func lowerBound(_ x: Float) -> Int {
        var (lo, hi) = (0, sorted.count)
        while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] < x { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    public func weight(_ y: Float, target: Float) -> Float {
        kind == .hard ? 1 : Float(exp(-Double(nu) * Double((y - target) * (y - target))))
    }

    /// Draws a batch as the reference does: a target per sample (a distinct label plus N(0, σ) noise, redrawn
    /// until real images lie in its vicinity), one real image from the vicinity, a fake label uniform in it.
    public func draw(_ count: Int, rng: inout RNG) -> Batch {
        var b = Batch(realIndices: [], targets: [], fakeLabels: [], realWeights: [], fakeWeights: [])
        for _ in 0..<count {
            let base = distinct[Int(rng.next() % UInt64(distinct.count))]
            var target = base + sigma * rng.normal(count: 1)[0]
            var near = neighbours(of: target), tries = 0
            while near.isEmpty {
                // As the reference: redraw the noise. A vicinity far narrower than σ could make that endless;
                // after 100 tries the distinct label itself is the target (its own images are in its vicinity).
                tries += 1
                target = tries < 100 ? base + sigma * rng.normal(count: 1)[0] : base
                near = neighbours(of: target)
            }
            let real = near[near.startIndex + Int(rng.next() % UInt64(near.count))]
            let lo = Swift.max(0, target - radius), hi = Swift.min(1, target + radius)
            let fake = lo < hi ? lo + rng.uniform() * (hi - lo) : Swift.min(Swift.max(target, 0), 1)
            b.realIndices.append(real)
            b.targets.append(target)
            b.fakeLabels.append(fake)
            b.realWeights.append(weight(labels[real], target: target))
            b.fakeWeights.append(weight(fake, target: target))
        }
        return b
    }
}
