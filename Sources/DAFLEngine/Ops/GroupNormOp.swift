// Group normalisation of feature vectors, dropout, and joining feature vectors: what the cDR-RS
// density-ratio MLP needs.

extension Tensor {
    /// Group norm of x [N, C] with `groups` groups of C/groups features (PyTorch's `F.group_norm` on 2-D
    /// input): each sample's group is normalised by its own mean and biased variance, then scaled and
    /// shifted per feature by `weight`, `bias` [C].
    public static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] % groups == 0 && weight.shape == [x.shape[1]] && bias.shape == weight.shape,
                     "groupNorm: x \(x.shape), \(groups) groups, weight \(weight.shape)")
        let n = x.shape[0], c = x.shape[1], m = c / groups
        var out = scratch(x.count), xhat = scratch(x.count), rstd = [Float](repeating: 0, count: n * groups)
        for s in 0..<n {
            for gi in 0..<groups {
                let base = s &* c &+ gi &* m
                var mean: Double = 0, sq: Double = 0
                for i in 0..<m { mean += Double(x.data[base &+ i]) }
                mean /= Double(m)
                for i in 0..<m { let d = Double(x.data[base &+ i]) - mean; sq += d * d }
                let r = Float(1 / (sq / Double(m) + Double(eps)).squareRoot())
                rstd[s &* groups &+ gi] = r
                for i in 0..<m {
                    let h = (x.data[base &+ i] - Float(mean)) * r
                    xhat[base &+ i] = h
                    out[base &+ i] = h * weight.data[gi &* m &+ i] + bias.data[gi &* m &+ i]
                }
            }
        }
        return .result(shape: x.shape, data: out, parents: [x, weight, bias]) { g in
            var dx = scratch(x.count), dw = [Float](repeating: 0, count: c), db = dw
            for s in 0..<n {
                for gi in 0..<groups {
                    let base = s &* c &+ gi &* m
                    // dx = rstd/m · (m·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)), with dx̂ = g·w.
                    var sum: Float = 0, dot: Float = 0
                    for i in 0..<m {
                        let ch = gi &* m &+ i, dh = g[base &+ i] * weight.data[ch]
                        sum += dh; dot += dh * xhat[base &+ i]
                        dw[ch] += g[base &+ i] * xhat[base &+ i]
                        db[ch] += g[base &+ i]
                    }
                    let r = rstd[s &* groups &+ gi] / Float(m)
                    for i in 0..<m {
                        let dh = g[base &+ i] * weight.data[gi &* m &+ i]
                        dx[base &+ i] = r * (Float(m) * dh - sum - xhat[base &+ i] * dot)
                    }
                }
            }
            if x.requiresGrad { dx.withUnsafeBufferPointer { x.accumulateGrad($0) } }
            if weight.requiresGrad { dw.withUnsafeBufferPointer { weight.accumulateGrad($0) } }
            if bias.requiresGrad { db.withUnsafeBufferPointer { bias.accumulateGrad($0) } }
        }
    }

    /// Inverted dropout: in training each element is zeroed with probability p and the rest scaled by
    /// 1/(1 − p) (PyTorch's `F.dropout`); otherwise the identity.
    public func dropout(_ p: Float, training: Bool, rng: inout RNG) -> Tensor {
        guard training && p > 0 else { return self }
        let keep = 1 / (1 - p)
        let mask = (0..<count).map { _ in rng.uniform() >= p ? keep : 0 }
        return self * Tensor(shape: shape, data: mask)
    }

    /// [N, A] and [N, B] side by side: [N, A + B] (`torch.cat([a, b], dim=1)`).
    public static func concatColumns(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[0] == b.shape[0], "concatColumns: \(a.shape) and \(b.shape)")
        let n = a.shape[0], ca = a.shape[1], cb = b.shape[1], c = ca + cb
        var out = scratch(n * c)
        for r in 0..<n {
            for j in 0..<ca { out[r * c + j] = a.data[r * ca + j] }
            for j in 0..<cb { out[r * c + ca + j] = b.data[r * cb + j] }
        }
        return .result(shape: [n, c], data: out, parents: [a, b]) { g in
            if a.requiresGrad {
                let da = (0..<(n * ca)).map { g[($0 / ca) * c + $0 % ca] }
                da.withUnsafeBufferPointer { a.accumulateGrad($0) }
            }
            if b.requiresGrad {
                let dbv = (0..<(n * cb)).map { g[($0 / cb) * c + ca + $0 % cb] }
                dbv.withUnsafeBufferPointer { b.accumulateGrad($0) }
            }
        }
    }
}
