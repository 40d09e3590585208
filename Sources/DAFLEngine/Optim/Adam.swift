import Foundation

/// Adam with PyTorch's exact update (`torch.optim.Adam`, L2 weight decay added to the gradient).
///
/// ```swift
/// let opt = Adam(generator.parameters, lr: 0.2)
/// loss.backward(); opt.step(); opt.zeroGrad()
/// ```
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// Steps taken so far (PyTorch's per-parameter `step`; all parameters advance together here).
    public private(set) var stepCount = 0
    var m: [[Float]], v: [[Float]]

    public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 0) {
        self.parameters = parameters
        learningRate = lr
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        m = parameters.map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = Float(1 - pow(Double(beta1), t))
        let bc2sqrt = Float((1 - pow(Double(beta2), t)).squareRoot())
        let stepSize = learningRate / bc1
        let (b1, b2, eps, wd) = (beta1, beta2, self.eps, weightDecay)
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            grad.withUnsafeBufferPointer { g in
                m[i].withUnsafeMutableBufferPointer { mp in
                    v[i].withUnsafeMutableBufferPointer { vp in
                        p.data.withUnsafeMutableBufferPointer { w in
                            for j in 0..<w.count {
                                let gj = wd != 0 ? g[j] + wd * w[j] : g[j]
                                mp[j] = b1 * mp[j] + (1 - b1) * gj
                                vp[j] = b2 * vp[j] + (1 - b2) * gj * gj
                                let denom = vp[j].squareRoot() / bc2sqrt + eps
                                w[j] -= stepSize * mp[j] / denom
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forgets the moments and the step count, as a freshly made optimizer.
    public func reset() {
        stepCount = 0
        for i in m.indices {
            m[i] = [Float](repeating: 0, count: m[i].count)
            v[i] = m[i]
        }
    }

    public func stateTensors() -> [(String, [Float])] {
        var out: [(String, [Float])] = [("step", [Float(stepCount)])]
        for i in parameters.indices { out.append(("exp_avg.\(i)", m[i])); out.append(("exp_avg_sq.\(i)", v[i])) }
        return out
    }

    public func loadState(_ state: [String: [Float]]) throws {
        guard let s = state["step"]?.first else { throw WeightsError(file: "optimizer state", problem: "no 'step'") }
        for i in parameters.indices {
            guard let a = state["exp_avg.\(i)"], let b = state["exp_avg_sq.\(i)"],
                  a.count == m[i].count, b.count == v[i].count else {
                throw WeightsError(file: "optimizer state", problem: "Adam moments for parameter \(i) missing or of the wrong size")
            }
            m[i] = a; v[i] = b
        }
        stepCount = Int(s)
    }
}
