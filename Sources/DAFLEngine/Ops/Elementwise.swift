import Foundation

// Elementwise ops. Each forward is one pass over the data; each backward one pass over
// the incoming gradient, using the saved input or output as the derivative needs.

extension Tensor {
    /// max(x, 0).
    public func relu() -> Tensor { leakyRelu(slope: 0) }

    /// x for x > 0, slope·x otherwise (PyTorch's LeakyReLU; `slope` 0 is ReLU).
    /// Split across the workers: LeNet's and the generator's activations are megabytes, and a
    /// serial pass over them is a large share of a small student step.
    public func leakyRelu(slope: Float) -> Tensor {
        let n = count
        var out = scratch(n)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                let (xb, yb) = (x.baseAddress!, y.baseAddress!)
                Parallel.forRange(n) { r in for i in r { let v = xb[i]; yb[i] = v > 0 ? v : v * slope } }
            }
        }
        let input = self
        return .result(shape: shape, data: out, parents: [self]) { g in
            // Straight into the input's gradient: no temporary, no zero fill when it is new.
            let fresh = input.grad == nil
            if fresh { input.grad = scratch(n) }
            input.data.withUnsafeBufferPointer { x in
                input.grad!.withUnsafeMutableBufferPointer { d in
                    let (xb, db, gb) = (x.baseAddress!, d.baseAddress!, g.baseAddress!)
                    Parallel.forRange(n) { r in
                        if fresh {
                            for i in r { db[i] = xb[i] > 0 ? gb[i] : gb[i] * slope }
                        } else {
                            for i in r { db[i] += xb[i] > 0 ? gb[i] : gb[i] * slope }
                        }
                    }
                }
            }
        }
    }

    /// tanh(x); the backward uses the saved output: 1 − y².
    public func tanh() -> Tensor {
        let n = count
        var out = scratch(n)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in for i in 0..<n { y[i] = ftanh(x[i]) } }
        }
        let input = self, saved = out
        return .result(shape: shape, data: out, parents: [self]) { g in
            var dx = scratch(n)
            saved.withUnsafeBufferPointer { y in
                dx.withUnsafeMutableBufferPointer { d in for i in 0..<n { d[i] = g[i] * (1 - y[i] * y[i]) } }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// log cosh x, computed as |x| + log(1 + e^(−2|x|)) − log 2 so that it cannot overflow; its derivative is tanh x.
    /// Quadratic near 0 and linear far out: a penalty whose pull never vanishes, however large x grows.
    public func logCosh() -> Tensor {
        map({ let a = Swift.abs($0); return a + flog(1 + fexp(-2 * a)) - 0.693_147_2 }, derivative: { x, _ in ftanh(x) })
    }

    /// |x|; the gradient at 0 is 0, as PyTorch's sign(x).
    public func abs() -> Tensor {
        map({ Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) })
    }

    /// Natural logarithm.
    public func log() -> Tensor { map({ flog($0) }, derivative: { x, _ in 1 / x }) }

    /// Base-10 logarithm (the reference's information-entropy loss uses it).
    public func log10() -> Tensor {
        let ln10 = Float(M_LN10)
        return map({ flog($0) / ln10 }, derivative: { x, _ in 1 / (x * ln10) })
    }

    /// 1/(1 + e^−x); the backward uses the saved output: y(1 − y).
    public func sigmoid() -> Tensor {
        map({ $0 >= 0 ? 1 / (1 + fexp(-$0)) : fexp($0) / (1 + fexp($0)) }, derivative: { _, y in y * (1 - y) })
    }

    /// log(1 + e^x), computed without overflow; its derivative is sigmoid(x).
    public func softplus() -> Tensor {
        map({ Swift.max($0, 0) + flog(1 + fexp(-Swift.abs($0))) },
            derivative: { x, _ in x >= 0 ? 1 / (1 + fexp(-x)) : fexp(x) / (1 + fexp(x)) })
    }

    /// 1/x; the backward uses the saved output: −y².
    public func reciprocal() -> Tensor { map({ 1 / $0 }, derivative: { _, y in -y * y }) }

    /// −x.
    public static prefix func - (x: Tensor) -> Tensor { x * -1 }

    /// x · s for a constant s.
    public static func * (x: Tensor, s: Float) -> Tensor { x.map({ $0 * s }, derivative: { _, _ in s }) }
    public static func * (s: Float, x: Tensor) -> Tensor { x * s }
    /// x + s for a constant s.
    public static func + (x: Tensor, s: Float) -> Tensor { x.map({ $0 + s }, derivative: { _, _ in 1 }) }

    /// Applies `f` elementwise; `derivative(x, y)` gives dy/dx from the input and output.
    /// For the less hot ops: the closures cost a call per element.
    func map(_ f: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let n = count
        var out = scratch(n)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in for i in 0..<n { y[i] = f(x[i]) } }
        }
        let input = self, saved = out
        return .result(shape: shape, data: out, parents: [self]) { g in
            var dx = scratch(n)
            input.data.withUnsafeBufferPointer { x in
                saved.withUnsafeBufferPointer { y in
                    dx.withUnsafeMutableBufferPointer { d in
                        for i in 0..<n { d[i] = g[i] * derivative(x[i], y[i]) }
                    }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// a + b for tensors of one shape, or with `b` a scalar tensor (broadcast).
    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(a, b, op: .add) }
    /// a − b, shapes as for `+`.
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(a, b, op: .sub) }
    /// a · b elementwise, shapes as for `+`.
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(a, b, op: .mul) }

    enum BinaryOp { case add, sub, mul }

    static func binary(_ a: Tensor, _ b: Tensor, op: BinaryOp) -> Tensor {
        let n = a.count
        let scalarB = b.count == 1 && n != 1
        precondition(scalarB || a.shape == b.shape, "shapes \(a.shape) and \(b.shape) do not match")
        var out = scratch(n)
        a.data.withUnsafeBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<n {
                        let v = y[scalarB ? 0 : i]
                        switch op {
                        case .add: o[i] = x[i] + v
                        case .sub: o[i] = x[i] - v
                        case .mul: o[i] = x[i] * v
                        }
                    }
                }
            }
        }
        return .result(shape: a.shape, data: out, parents: [a, b]) { g in
            if a.requiresGrad {
                if op == .mul {
                    var d = scratch(n)
                    b.data.withUnsafeBufferPointer { y in
                        for i in 0..<n { d[i] = g[i] * y[scalarB ? 0 : i] }
                    }
                    d.withUnsafeBufferPointer { a.accumulateGrad($0) }
                } else {
                    a.accumulateGrad(g)
                }
            }
            if b.requiresGrad {
                var d = scratch(n)
                a.data.withUnsafeBufferPointer { x in
                    for i in 0..<n {
                        switch op {
                        case .add: d[i] = g[i]
                        case .sub: d[i] = -g[i]
                        case .mul: d[i] = g[i] * x[i]
                        }
                    }
                }
                if scalarB {
                    var s: Float = 0
                    for v in d { s += v }
                    [s].withUnsafeBufferPointer { b.accumulateGrad($0) }
                } else {
                    d.withUnsafeBufferPointer { b.accumulateGrad($0) }
                }
            }
        }
    }
}
