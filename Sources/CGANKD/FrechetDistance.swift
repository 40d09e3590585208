import DAFLEngine

/// The Fréchet distance between two sets of images in a teacher's feature space: the FID formula
/// ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) on the teacher's penultimate features (LeNet-5: 120-d after
/// conv3) instead of Inception's. 0 for identical statistics; lower means the generator's images look
/// more like the real ones to the network that will label them.
/// ```swift
/// let real = FrechetDistance.Statistics(features: f1, dimension: 120)
/// let d = FrechetDistance.distance(real, FrechetDistance.Statistics(features: f2, dimension: 120))
/// ```
public enum FrechetDistance {
    /// Mean and covariance (divided by n − 1, as numpy's `cov`) of feature rows.
    public struct Statistics: Sendable {
        public let mean: [Double], covariance: [Double], dimension: Int

        public init(features: [Float], dimension d: Int) {
            let n = features.count / d
            precondition(n >= 2, "need at least two feature vectors")
            var mean = [Double](repeating: 0, count: d)
            for r in 0..<n { for j in 0..<d { mean[j] += Double(features[r * d + j]) } }
            for j in 0..<d { mean[j] /= Double(n) }
            var cov = [Double](repeating: 0, count: d * d)
            var centred = [Double](repeating: 0, count: d)
            for r in 0..<n {
                for j in 0..<d { centred[j] = Double(features[r * d + j]) - mean[j] }
                for i in 0..<d where centred[i] != 0 {
                    let ci = centred[i]
                    for j in i..<d { cov[i * d + j] += ci * centred[j] }
                }
            }
            for i in 0..<d { for j in i..<d { cov[i * d + j] /= Double(n - 1); cov[j * d + i] = cov[i * d + j] } }
            (self.mean, covariance, dimension) = (mean, cov, d)
        }

        public init(mean: [Double], covariance: [Double]) {
            (self.mean, self.covariance, dimension) = (mean, covariance, mean.count)
        }
    }

    public static func distance(_ a: Statistics, _ b: Statistics) -> Double {
        precondition(a.dimension == b.dimension)
        let d = a.dimension
        let meanTerm = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        // Tr((Σ₁Σ₂)^½) = Tr((S Σ₂ S)^½) with S = Σ₁^½: both matrices are symmetric, so eigenvalues suffice.
        let s = symmetricSqrt(a.covariance, d)
        let m = multiply(multiply(s, b.covariance, d), s, d)
        let traceSqrt = eigenvaluesSymmetric(m, d).reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
        let trace = (0..<d).reduce(0) { $0 + a.covariance[$1 * d + $1] + b.covariance[$1 * d + $1] }
        return Swift.max(0, meanTerm + trace - 2 * traceSqrt)
    }

    /// The teacher's penultimate features of `images` (no graph), in batches.
    public static func teacherFeatures(_ teacher: LeNet5, images: Dataset, batch: Int = 500) -> (features: [Float], dimension: Int) {
        teacher.setTraining(false)
        var rng = RNG(seed: 0), out: [Float] = [], dim = 0
        GradMode.noGrad {
            for idx in images.batches(size: batch, rng: &rng, shuffle: false) {
                let f = teacher.forwardWithFeatures(images.batch(idx).0).features
                dim = f.shape[1]
                out += f.data
            }
        }
        return (out, dim)
    }

    static func multiply(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for k in 0..<d where a[i * d + k] != 0 { let v = a[i * d + k]; for j in 0..<d { c[i * d + j] += v * b[k * d + j] } } }
        return c
    }

    /// V·diag(√max(λ, 0))·Vᵀ for a symmetric positive semi-definite matrix.
    static func symmetricSqrt(_ a: [Double], _ d: Int) -> [Double] {
        let (values, vectors) = jacobi(a, d)
        var out = [Double](repeating: 0, count: d * d)
        for k in 0..<d {
            let r = Swift.max(values[k], 0).squareRoot()
            guard r > 0 else { continue }
            for i in 0..<d { let vik = vectors[i * d + k] * r; for j in 0..<d { out[i * d + j] += vik * vectors[j * d + k] } }
        }
        return out
    }

    static func eigenvaluesSymmetric(_ a: [Double], _ d: Int) -> [Double] {
        // Symmetrise first: S Σ₂ S is symmetric up to rounding.
        var s = a
        for i in 0..<d { for j in (i + 1)..<Swift.max(i + 1, d) { let v = (s[i * d + j] + s[j * d + i]) / 2; s[i * d + j] = v; s[j * d + i] = v } }
        return jacobi(s, d).values
    }

    /// Cyclic Jacobi eigenvalue iteration: eigenvalues and column eigenvectors of a symmetric matrix.
    static func jacobi(_ input: [Double], _ d: Int, sweeps: Int = 100) -> (values: [Double], vectors: [Double]) {
        var a = input
        var v = [Double](repeating: 0, count: d * d)
        for i in 0..<d { v[i * d + i] = 1 }
        let scale = Swift.max((0..<d).reduce(0) { $0 + Swift.abs(a[$1 * d + $1]) }, 1e-300)
        for _ in 0..<sweeps {
            var off = 0.0
            for i in 0..<d { for j in (i + 1)..<Swift.max(i + 1, d) { off += a[i * d + j] * a[i * d + j] } }
            if off.squareRoot() < 1e-15 * scale { break }
            for p in 0..<d {
                for q in (p + 1)..<Swift.max(p + 1, d) {
                    let apq = a[p * d + q]
                    if Swift.abs(apq) < 1e-300 { continue }
                    let theta = (a[q * d + q] - a[p * d + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<d {
                        let akp = a[k * d + p], akq = a[k * d + q]
                        a[k * d + p] = c * akp - s * akq
                        a[k * d + q] = s * akp + c * akq
                    }
                    for k in 0..<d {
                        let apk = a[p * d + k], aqk = a[q * d + k]
                        a[p * d + k] = c * apk - s * aqk
                        a[q * d + k] = s * apk + c * aqk
                    }
                    for k in 0..<d {
                        let vkp = v[k * d + p], vkq = v[k * d + q]
                        v[k * d + p] = c * vkp - s * vkq
                        v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<d).map { a[$0 * d + $0] }, v)
    }
}
