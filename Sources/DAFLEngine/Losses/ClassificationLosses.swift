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
}
