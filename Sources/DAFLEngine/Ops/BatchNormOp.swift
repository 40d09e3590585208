import Foundation

extension Tensor {
    /// Batch normalisation over every dimension but the channel one (dim 1) of [N, C] or [N, C, H, W].
    ///
    /// Training mode normalises with the batch's biased variance and updates the running statistics
    /// PyTorch's way: `running = (1 − momentum)·running + momentum·batch`, the variance unbiased.
    /// Evaluation mode uses the running statistics. `gamma`/`beta` are nil when not affine.
    public static func batchNorm(_ x: Tensor, gamma: Tensor?, beta: Tensor?,
                                 runningMean: Tensor, runningVar: Tensor,
                                 training: Bool, momentum: Float, eps: Float) -> Tensor {
        precondition(x.rank == 2 || x.rank == 4, "batchNorm wants [N, C] or [N, C, H, W], got \(x.shape)")
        let n = x.shape[0], c = x.shape[1], s = x.rank == 4 ? x.shape[2] &* x.shape[3] : 1
        precondition(runningMean.count == c, "batchNorm: \(c) channels, running stats for \(runningMean.count)")
        let m = n &* s
        var mean = [Float](repeating: 0, count: c), invstd = [Float](repeating: 0, count: c)
        var batchMean = [Double](repeating: 0, count: c), batchVar = [Double](repeating: 0, count: c)
        let perWorker = (c + Parallel.workers - 1) / Parallel.workers
        if training {
            // Channel statistics, channels split across the workers (each writes only its own).
            x.data.withUnsafeBufferPointer { xp in
                batchMean.withUnsafeMutableBufferPointer { bm in
                    batchVar.withUnsafeMutableBufferPointer { bv in
                        let (xb, bmb, bvb) = (xp.baseAddress!, bm.baseAddress!, bv.baseAddress!)
                        Parallel.forEachChunk(count: c, chunk: perWorker) { _, chans in
                            for ch in chans {
                                var sum: Double = 0
                                for i in 0..<n {
                                    let base = xb + ((i &* c &+ ch) &* s)
                                    var ls: Float = 0
                                    for j in 0..<s { ls += base[j] }
                                    sum += Double(ls)
                                }
                                let mu = sum / Double(m), muf = Float(mu)
                                // Two passes: E[x²]−E[x]² loses digits when |mean| ≫ std.
                                var acc: Double = 0
                                for i in 0..<n {
                                    let base = xb + ((i &* c &+ ch) &* s)
                                    var la: Float = 0
                                    for j in 0..<s { let d = base[j] - muf; la += d * d }
                                    acc += Double(la)
                                }
                                bmb[ch] = mu
                                bvb[ch] = acc / Double(m)
                            }
                        }
                    }
                }
            }
        }
        for ch in 0..<c {
            if training {
                let mu = batchMean[ch], v = batchVar[ch]
                mean[ch] = Float(mu)
                invstd[ch] = Float(1 / (v + Double(eps)).squareRoot())
                let unbiased = m > 1 ? v * Double(m) / Double(m - 1) : v
                runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * Float(mu)
                runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + momentum * Float(unbiased)
            } else {
                mean[ch] = runningMean.data[ch]
                invstd[ch] = 1 / (runningVar.data[ch] + eps).squareRoot()
            }
        }
        var xhat = scratch(x.count)
        var out = scratch(x.count)
        x.data.withUnsafeBufferPointer { xp in
            xhat.withUnsafeMutableBufferPointer { hp in
                out.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<n {
                        for ch in 0..<c {
                            let off = (i &* c &+ ch) &* s
                            let mu = mean[ch], inv = invstd[ch]
                            let ga = gamma?.data[ch] ?? 1, be = beta?.data[ch] ?? 0
                            for j in 0..<s {
                                let h = (xp[off &+ j] - mu) * inv
                                hp[off &+ j] = h
                                yp[off &+ j] = h * ga + be
                            }
                        }
                    }
                }
            }
        }
        let parents = [x] + (gamma.map { [$0] } ?? []) + (beta.map { [$0] } ?? [])
        return .result(shape: x.shape, data: out, parents: parents) { g in
            var dgamma = [Float](repeating: 0, count: c), dbeta = [Float](repeating: 0, count: c)
            var dx = x.requiresGrad ? scratch(x.count) : []
            xhat.withUnsafeBufferPointer { hp in
                dx.withUnsafeMutableBufferPointer { dxp in
                    for ch in 0..<c {
                        // Σg and Σg·x̂ over the channel.
                        var sg: Double = 0, sgh: Double = 0
                        for i in 0..<n {
                            let off = (i &* c &+ ch) &* s
                            var a: Float = 0, b: Float = 0
                            for j in 0..<s { let gv = g[off &+ j]; a += gv; b += gv * hp[off &+ j] }
                            sg += Double(a); sgh += Double(b)
                        }
                        dbeta[ch] = Float(sg); dgamma[ch] = Float(sgh)
                        guard x.requiresGrad else { continue }
                        let ga = gamma?.data[ch] ?? 1, inv = invstd[ch]
                        if training {
                            // dx = γ·invstd·(g − mean(g) − x̂·mean(g·x̂))
                            let mg = Float(sg / Double(m)), mgh = Float(sgh / Double(m))
                            let k = ga * inv
                            for i in 0..<n {
                                let off = (i &* c &+ ch) &* s
                                for j in 0..<s { dxp[off &+ j] = k * (g[off &+ j] - mg - hp[off &+ j] * mgh) }
                            }
                        } else {
                            let k = ga * inv
                            for i in 0..<n {
                                let off = (i &* c &+ ch) &* s
                                for j in 0..<s { dxp[off &+ j] = k * g[off &+ j] }
                            }
                        }
                    }
                }
            }
            if x.requiresGrad { dx.withUnsafeBufferPointer { x.accumulateGrad($0) } }
            if let gamma, gamma.requiresGrad { dgamma.withUnsafeBufferPointer { gamma.accumulateGrad($0) } }
            if let beta, beta.requiresGrad { dbeta.withUnsafeBufferPointer { beta.accumulateGrad($0) } }
        }
    }
}
