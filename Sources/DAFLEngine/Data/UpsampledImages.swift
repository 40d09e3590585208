import Foundation

/// The images a smaller picture can become under `Preprocessing`'s bilinear resize, and the projection onto them.
///
/// A Fashion-MNIST picture reaches the teacher as 28×28 pixels resized to 32×32: every input it was trained and
/// tested on lies in a 784-dimensional subspace of the 1,024 pixels, X = U·S·Uᵀ with U the 32×28 resize matrix
/// (its rows sum to 1, so the normalisation keeps the subspace). A generator's 32×32 images can leave it (hard
/// two-level edges, one-pixel detail); P·X·P, with P = U(UᵀU)⁻¹Uᵀ, is the nearest image inside it.
/// ```swift
/// let p = UpsampledImages(from: 28, to: 32)
/// p.project(&pixels, count: 128)
/// ```
public struct UpsampledImages: Sendable {
    public let source: Int, side: Int
    /// P, side × side, row-major (symmetric).
    public let projection: [Float]

    public init(from source: Int, to side: Int) {
        precondition(source >= 1 && side >= 1, "UpsampledImages: sides must be positive")
        self.source = source; self.side = side
        let u = Self.resizeMatrix(from: source, to: side)
        // G = UᵀU (source × source), then P = U·G⁻¹·Uᵀ, in Double.
        var g = [Double](repeating: 0, count: source * source)
        for i in 0..<source { for j in 0..<source { for o in 0..<side { g[i * source + j] += u[o * source + i] * u[o * source + j] } } }
        let inv = Self.inverse(g, n: source)
        var p = [Float](repeating: 0, count: side * side)
        for a in 0..<side {
            for b in 0..<side {
                var s: Double = 0
                for i in 0..<source where u[a * source + i] != 0 {
                    for j in 0..<source { s += u[a * source + i] * inv[i * source + j] * u[b * source + j] }
                }
                p[a * side + b] = Float(s)
            }
        }
        projection = p
    }

    /// The 1-D resize `Preprocessing.apply` does (half-pixel centres, clamped, no antialias): side × source, row-major.
    public static func resizeMatrix(from source: Int, to side: Int) -> [Double] {
        var u = [Double](repeating: 0, count: side * source)
        for (o, t) in BilinearTap.taps(from: source, to: side).enumerated() {
            let l = Double(t.weight)
            u[o * source + t.lo] += 1 - l
            u[o * source + t.hi] += l
        }
        return u
    }

    /// Gauss–Jordan with partial pivoting; `a` is n × n and invertible (UᵀU is, for source ≤ side).
    static func inverse(_ a: [Double], n: Int) -> [Double] {
        var m = a, inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for c in 0..<n {
            var piv = c
            for r in (c + 1)..<n where abs(m[r * n + c]) > abs(m[piv * n + c]) { piv = r }
            if piv != c { for k in 0..<n { m.swapAt(c * n + k, piv * n + k); inv.swapAt(c * n + k, piv * n + k) } }
            let d = m[c * n + c]
            for k in 0..<n { m[c * n + k] /= d; inv[c * n + k] /= d }
            for r in 0..<n where r != c {
                let f = m[r * n + c]
                guard f != 0 else { continue }
                for k in 0..<n { m[r * n + k] -= f * m[c * n + k]; inv[r * n + k] -= f * inv[c * n + k] }
            }
        }
        return inv
    }

    /// Replaces each side × side plane of `x` (`count` of them, one after another) by P·X·P.
    public func project(_ x: inout [Float], count: Int) {
        let n = side, plane = n &* n
        precondition(x.count >= count &* plane, "UpsampledImages: \(x.count) floats for \(count) planes of \(plane)")
        var t = [Float](repeating: 0, count: plane)
        projection.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            x.withUnsafeMutableBufferPointer { xp in
                t.withUnsafeMutableBufferPointer { tp in
                    let tmp = tp.baseAddress!
                    for i in 0..<count {
                        let img = xp.baseAddress! + i &* plane
                        // T = P·X, then X = T·P (P is symmetric, so row b of P is its column b).
                        for a in 0..<n {
                            let row = tmp + a &* n
                            for b in 0..<n { row[b] = 0 }
                            for k in 0..<n {
                                let w = p[a &* n &+ k]
                                let src = img + k &* n
                                for b in 0..<n { row[b] += w * src[b] }
                            }
                        }
                        for a in 0..<n {
                            let out = img + a &* n, row = tmp + a &* n
                            for b in 0..<n { out[b] = 0 }
                            for k in 0..<n {
                                let v = row[k]
                                let pk = p + k &* n
                                for b in 0..<n { out[b] += v * pk[b] }
                            }
                        }
                    }
                }
            }
        }
    }
}
