// Losses over logits [N, K].

extension Tensor {
    /// Mean cross-entropy of logits [N, K] against integer class targets (PyTorch's `F.cross_entropy`).
    public static func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                     "crossEntropy: logits \(logits.shape) vs \(targets.count) targets")
        let n = logits.shape[0], k = logits.shape[1]
        var sm = [Float](repeating: 0, count: logits.count)
        logits.data.withUnsafeBufferPointer { x in sm.withUnsafeMutableBufferPointer { softmaxRows(x, $0, rows: n, k: k) } }
        var loss: Double = 0
        for r in 0..<n {
            let base = r &* k
            var mx = -Float.infinity
            for j in 0..<k { mx = Swift.max(mx, logits.data[base &+ j]) }
            var s: Float = 0
            for j in 0..<k { s += fexp(logits.data[base &+ j] - mx) }
            loss += Double(mx + flog(s) - logits.data[base &+ targets[r]])
        }
        return .result(shape: [], data: [Float(loss / Double(n))], parents: [logits]) { g in
            // d/dlogits = (softmax − onehot) / N
            let scale = g[0] / Float(n)
            var d = sm
            for r in 0..<n {
                d[r &* k &+ targets[r]] -= 1
            }
            for i in 0..<d.count { d[i] *= scale }
            d.withUnsafeBufferPointer { logits.accumulateGrad($0) }
        }
    }

    /// Knowledge-distillation loss KL(softmax(teacher) ‖ softmax(student)), summed over classes and
    /// divided by N, as the DAFL reference's `kdloss`. The teacher's logits are a constant target.
    public static func distillationKL(student: Tensor, teacher: Tensor) -> Tensor {
        precondition(student.shape == teacher.shape && student.rank == 2,
                     "distillationKL: student \(student.shape) vs teacher \(teacher.shape)")
        let n = student.shape[0], k = student.shape[1]
        let q = teacher.detached().softmax().data
        let logp = GradMode.noGrad { student.logSoftmax().data }
        let logq = GradMode.noGrad { teacher.logSoftmax().data }
        var loss: Double = 0
        for i in 0..<q.count where q[i] > 0 { loss += Double(q[i] * (logq[i] - logp[i])) }
        return .result(shape: [], data: [Float(loss / Double(n))], parents: [student]) { g in
            // d/ds = (softmax(s) − q) / N
            let scale = g[0] / Float(n)
            var d = [Float](repeating: 0, count: n &* k)
            for i in 0..<d.count { d[i] = (fexp(logp[i]) - q[i]) * scale }
            d.withUnsafeBufferPointer { student.accumulateGrad($0) }
        }
    }

    /// Decoupled knowledge distillation (DKD, Zhao et al., CVPR 2022) of logits [N, K], the target class of each row
    /// being the teacher's argmax (no labels): α · TCKD + β · NCKD, batch mean, where TCKD is the KL between the
    /// teacher's and the student's binary split [p_g, 1 − p_g] and NCKD the KL between their softmaxes over the other
    /// classes. KL itself is TCKD + (1 − p_g) · NCKD: on images the teacher is sure of, the classes it ranks below its
    /// answer hardly count; β sets their weight on every image. The teacher's logits are a constant target.
    ///
    /// PyTorch: `g = t.argmax(1)`; `m = one_hot(g)`; `pt, ps = softmax(t), softmax(s)`; `bt = [pt·m, pt·(1−m)]` summed
    /// per row (likewise `bs`); `tckd = (bt · (bt.log() − bs.log())).sum() / N`; `nckd = KL(log_softmax(t − 1000 m) ‖
    /// log_softmax(s − 1000 m))` summed over classes, `/ N`.
    /// ```swift
    /// let loss = Tensor.decoupledKD(student: s(x), teacher: tLogits, alpha: 1, beta: 8)
    /// ```
    public static func decoupledKD(student: Tensor, teacher: Tensor, alpha: Float, beta: Float) -> Tensor {
        precondition(student.shape == teacher.shape && student.rank == 2 && student.shape[1] >= 2,
                     "decoupledKD: student \(student.shape) vs teacher \(teacher.shape), K ≥ 2")
        let n = student.shape[0], k = student.shape[1]
        let targets = teacher.argmaxRows()
        /// Per row: log p_g, log(1 − p_g) (a log-sum-exp over the other classes, exact where p_g ≈ 1) and the
        /// softmax over the other classes (0 at g).
        func split(_ x: UnsafeBufferPointer<Float>, row r: Int, into other: UnsafeMutablePointer<Float>) -> (Float, Float) {
            let base = r &* k, g = targets[r]
            var mx = -Float.infinity, mxo = -Float.infinity
            for j in 0..<k { mx = Swift.max(mx, x[base &+ j]); if j != g { mxo = Swift.max(mxo, x[base &+ j]) } }
            var all: Float = 0, rest: Float = 0
            for j in 0..<k {
                all += fexp(x[base &+ j] - mx)
                let e = j == g ? 0 : fexp(x[base &+ j] - mxo)
                other[j] = e
                rest += e
            }
            for j in 0..<k { other[j] /= rest }
            let lse = mx + flog(all)
            return (x[base &+ g] - lse, mxo + flog(rest) - lse)
        }
        var qo = [Float](repeating: 0, count: n &* k), po = qo
        var pg = [Float](repeating: 0, count: n), qg = pg
        var loss: Double = 0
        student.data.withUnsafeBufferPointer { sp in
            teacher.data.withUnsafeBufferPointer { tp in
                qo.withUnsafeMutableBufferPointer { qop in
                    po.withUnsafeMutableBufferPointer { pop in
                        for r in 0..<n {
                            let (lqg, lqr) = split(tp, row: r, into: qop.baseAddress! + r &* k)
                            let (lpg, lpr) = split(sp, row: r, into: pop.baseAddress! + r &* k)
                            let a = fexp(lqg), b = fexp(lpg)
                            qg[r] = a; pg[r] = b
                            var tckd = a * (lqg - lpg)
                            let ra = fexp(lqr)
                            if ra > 0 { tckd += ra * (lqr - lpr) }
                            var nckd: Float = 0
                            for j in 0..<k where qop[r &* k &+ j] > 0 {
                                nckd += qop[r &* k &+ j] * (flog(qop[r &* k &+ j]) - flog(Swift.max(pop[r &* k &+ j], .leastNormalMagnitude)))
                            }
                            loss += Double(alpha * tckd + beta * nckd)
                        }
                    }
                }
            }
        }
        return .result(shape: [], data: [Float(loss / Double(n))], parents: [student]) { g in
            // TCKD: (p_g − q_g) at g, (q_g − p_g) · p̂_j elsewhere; NCKD: p̂_j − q̂_j off g. Both / N.
            let scale = g[0] / Float(n)
            var d = [Float](repeating: 0, count: n &* k)
            for r in 0..<n {
                let base = r &* k, t = targets[r], diff = pg[r] - qg[r]
                for j in 0..<k {
                    d[base &+ j] = j == t ? alpha * diff
                        : (-alpha * diff * po[base &+ j] + beta * (po[base &+ j] - qo[base &+ j]))
                    d[base &+ j] *= scale
                }
            }
            d.withUnsafeBufferPointer { student.accumulateGrad($0) }
        }
    }
}
