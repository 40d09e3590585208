import Foundation

extension Tensor {
    /// Batch normalisation over every dimension but the channel one (dim 1) of [N, C] or [N, C, H, W].
    ///
    /// Training mode normalises with the batch's biased variance and updates the running statistics
    /// PyTorch's way: `running = (1 − momentum)·running + momentum·batch`, the variance unbiased.
    /// Evaluation mode uses the running statistics. `gamma`/`beta` are nil when not affine.
    /// `residual` (added after the affine map) and `relu` fuse a residual block's tail,
    /// `relu(bn(x) + residual)`, into one node that keeps no activation besides its output.
    public static func batchNorm(_ x: Tensor, gamma: Tensor?, beta: Tensor?,
                                 runningMean: Tensor, runningVar: Tensor,
                                 training: Bool, momentum: Float, eps: Float,
                                 adding residual: Tensor? = nil, relu: Bool = false) -> Tensor {
        precondition(residual == nil || residual!.shape == x.shape, "batchNorm: residual \(residual!.shape) for input \(x.shape)")
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
                            let (xb, bmb, bvb) = (xb, bmb, bvb)
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
        // y = γ·x̂ + β (+ residual) (then ReLU). x̂ is not kept: the backward recomputes it from x, which
        // the graph holds anyway, so a batch norm keeps no activation of its own (nor, fused, the ReLU).
        var out = scratch(x.count)
        let res = residual?.data
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                (res ?? []).withUnsafeBufferPointer { rp in
                    let (xb, yb, rb) = (xp.baseAddress!, yp.baseAddress!, res == nil ? nil : rp.baseAddress)
                    Parallel.forEachChunk(count: c, chunk: perWorker) { _, chans in
                        let (xb, yb, rb) = (xb, yb, rb)
                        for ch in chans {
                            let mu = mean[ch], inv = invstd[ch]
                            let ga = gamma?.data[ch] ?? 1, be = beta?.data[ch] ?? 0
                            // (x − μ)·invstd·γ + β, in the order the backward recomputes x̂.
                            for i in 0..<n {
                                let off = (i &* c &+ ch) &* s
                                let src = xb + off, dst = yb + off
                                if let rb {
                                    let r = rb + off
                                    if relu { for j in 0..<s { dst[j] = positivePart(((src[j] - mu) * inv) * ga + be + r[j]) } }
                                    else { for j in 0..<s { dst[j] = ((src[j] - mu) * inv) * ga + be + r[j] } }
                                } else if relu {
                                    for j in 0..<s { dst[j] = positivePart(((src[j] - mu) * inv) * ga + be) }
                                } else {
                                    for j in 0..<s { dst[j] = ((src[j] - mu) * inv) * ga + be }
                                }
                            }
                        }
                    }
                }
            }
        }
        let parents = [x] + (gamma.map { [$0] } ?? []) + (beta.map { [$0] } ?? []) + (residual.map { [$0] } ?? [])
        let saved = relu ? out : []
        return .result(shape: x.shape, data: out, parents: parents) { gOut in
            var dgamma = [Float](repeating: 0, count: c), dbeta = [Float](repeating: 0, count: c)
            // Through the ReLU: zero where the output is (the pre-activation was not positive).
            var masked: [Float] = []
            if relu {
                masked = scratch(x.count)
                masked.withUnsafeMutableBufferPointer { mp in
                    saved.withUnsafeBufferPointer { yp in
                        let (mb, yb, gb) = (mp.baseAddress!, yp.baseAddress!, gOut.baseAddress!)
                        Parallel.forRange(x.count) { r in
                            // Locals, not captures: a captured pointer is reloaded on every element.
                            let (mb, yb, gb) = (mb, yb, gb)
                            for i in r { let gv = gb[i]; mb[i] = yb[i] > 0 ? gv : 0 }   // both loaded: a select, not a branch
                        }
                    }
                }
            }
            if let residual, residual.requiresGrad {
                if relu { masked.withUnsafeBufferPointer { residual.accumulateGrad($0) } } else { residual.accumulateGrad(gOut) }
            }
            var dx = x.requiresGrad ? scratch(x.count) : []
            masked.withUnsafeBufferPointer { mp in
                x.data.withUnsafeBufferPointer { xp in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        dgamma.withUnsafeMutableBufferPointer { dgp in
                            dbeta.withUnsafeMutableBufferPointer { dbp in
                                let g = relu ? mp.baseAddress! : gOut.baseAddress!
                                let (xb, dgb, dbb) = (xp.baseAddress!, dgp.baseAddress!, dbp.baseAddress!)
                                let dxb = x.requiresGrad ? dxp.baseAddress : nil
                                Parallel.forEachChunk(count: c, chunk: perWorker) { _, chans in
                                    let (g, xb, dxb, dgb, dbb) = (g, xb, dxb, dgb, dbb)
                                    for ch in chans {
                                        let mu = mean[ch], inv = invstd[ch]
                                        // Σg and Σg·x̂ over the channel, x̂ = (x − μ)·invstd recomputed.
                                        var sg: Double = 0, sgh: Double = 0
                                        for i in 0..<n {
                                            let off = (i &* c &+ ch) &* s
                                            var a: Float = 0, b: Float = 0
                                            for j in 0..<s { let gv = g[off &+ j]; a += gv; b += gv * ((xb[off &+ j] - mu) * inv) }
                                            sg += Double(a); sgh += Double(b)
                                        }
                                        dbb[ch] = Float(sg); dgb[ch] = Float(sgh)
                                        guard let dxb else { continue }
                                        let k = (gamma?.data[ch] ?? 1) * inv
                                        if training {
                                            // dx = γ·invstd·(g − mean(g) − x̂·mean(g·x̂))
                                            let mg = Float(sg / Double(m)), mgh = Float(sgh / Double(m))
                                            for i in 0..<n {
                                                let off = (i &* c &+ ch) &* s
                                                for j in 0..<s { dxb[off &+ j] = k * (g[off &+ j] - mg - ((xb[off &+ j] - mu) * inv) * mgh) }
                                            }
                                        } else {
                                            for i in 0..<n {
                                                let off = (i &* c &+ ch) &* s
                                                for j in 0..<s { dxb[off &+ j] = k * g[off &+ j] }
                                            }
                                        }
                                    }
                                }
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

/// ReLU that lets NaN through (as `relu()` does), so a diverging run still shows NaN losses.
@inline(__always)
func positivePart(_ v: Float) -> Float { v > 0 || v.isNaN ? v : 0 }
