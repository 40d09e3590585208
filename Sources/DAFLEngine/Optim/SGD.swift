/// Stochastic gradient descent with PyTorch's momentum and weight decay (`torch.optim.SGD`).
///
/// The first step seeds the momentum buffer with the gradient itself, as PyTorch does.
/// ```swift
/// let opt = SGD(student.parameters, lr: 0.1, momentum: 0.9, weightDecay: 5e-4)
/// ```
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public var momentum: Float, weightDecay: Float, nesterov: Bool
    var buffers: [[Float]?]

    public init(_ parameters: [Tensor], lr: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.parameters = parameters
        learningRate = lr
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        let (lr, mom, wd) = (learningRate, momentum, weightDecay)
        for (i, p) in parameters.enumerated() {
            guard var d = p.grad else { continue }
            if wd != 0 { for j in 0..<d.count { d[j] += wd * p.data[j] } }
            if mom != 0 {
                if var buf = buffers[i] {
                    for j in 0..<d.count { buf[j] = mom * buf[j] + d[j] }
                    buffers[i] = buf
                } else {
                    buffers[i] = d
                }
                let buf = buffers[i]!
                if nesterov { for j in 0..<d.count { d[j] += mom * buf[j] } } else { d = buf }
            }
            p.data.withUnsafeMutableBufferPointer { w in for j in 0..<w.count { w[j] -= lr * d[j] } }
        }
    }

    public func stateTensors() -> [(String, [Float])] {
        buffers.enumerated().compactMap { i, b in b.map { ("momentum_buffer.\(i)", $0) } }
    }

    public func loadState(_ state: [String: [Float]]) throws {
        for i in parameters.indices {
            if let b = state["momentum_buffer.\(i)"] {
                guard b.count == parameters[i].count else {
                    throw WeightsError(file: "optimizer state", problem: "momentum buffer \(i) has the wrong size")
                }
                buffers[i] = b
            }
        }
    }
}
