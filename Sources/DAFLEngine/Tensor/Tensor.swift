import Foundation

/// A dense, row-major Float32 tensor that records the operations applied to it
/// so that gradients can flow back through them.
///
/// Images are NCHW. A tensor made by an op keeps a `backward` closure that
/// receives the gradient of its output and adds into its inputs' `grad`.
/// The closure captures its inputs (never the output), so graphs are freed as
/// soon as the last tensor of a step goes out of scope.
///
/// ```swift
/// let w = Tensor.parameter(shape: [3], data: [1, 2, 3])
/// let loss = (w * w).sum()
/// loss.backward()          // w.grad == [2, 4, 6]
/// ```
public final class Tensor {
    /// The extents of each dimension; `[]` is a scalar.
    public internal(set) var shape: [Int]
    /// The values, contiguous and row-major.
    public var data: [Float]
    /// The accumulated gradient, same layout as `data`; `nil` until a backward pass reaches it.
    public var grad: [Float]?
    /// Whether gradients are wanted for this tensor. Freeze a parameter by setting it to false;
    /// gradients still flow *through* ops that use it to other inputs that want them.
    public var requiresGrad: Bool

    /// Inputs of the op that made this tensor (empty for leaves).
    var parents: [Tensor] = []
    /// Adds the gradient of this tensor, passed in, into the parents' gradients.
    var backwardFn: ((UnsafeBufferPointer<Float>) -> Void)?

    public init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
        self.requiresGrad = requiresGrad
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)),
                  requiresGrad: requiresGrad)
    }

    /// A trainable leaf tensor.
    public static func parameter(shape: [Int], data: [Float]) -> Tensor {
        Tensor(shape: shape, data: data, requiresGrad: true)
    }

    /// A scalar tensor.
    public convenience init(scalar: Float) { self.init(shape: [], data: [scalar]) }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    /// The single value of a one-element tensor.
    public var item: Float { precondition(data.count == 1); return data[0] }

    /// Makes an op's output; it joins the graph only if grad mode is on and an input wants gradients.
    static func result(shape: [Int], data: [Float], parents: [Tensor],
                       backward: @escaping (UnsafeBufferPointer<Float>) -> Void) -> Tensor {
        let t = Tensor(shape: shape, data: data)
        if GradMode.isEnabled && parents.contains(where: { $0.requiresGrad }) {
            t.requiresGrad = true
            t.parents = parents
            t.backwardFn = backward
        }
        return t
    }

    /// Adds `g` into this tensor's gradient, allocating it on first use.
    func accumulateGrad(_ g: UnsafeBufferPointer<Float>) {
        precondition(g.count == data.count)
        if grad == nil {
            grad = Array(g)
            return
        }
        grad!.withUnsafeMutableBufferPointer { dst in
            for i in 0..<dst.count { dst[i] += g[i] }
        }
    }

    /// Adds into this tensor's gradient through a closure that writes into a zeroed-or-existing buffer.
    /// Saves a temporary when the op can accumulate in place (GEMM with beta = 1).
    func withGradBuffer(_ body: (UnsafeMutableBufferPointer<Float>, _ fresh: Bool) -> Void) {
        var fresh = false
        if grad == nil { grad = [Float](repeating: 0, count: data.count); fresh = true }
        grad!.withUnsafeMutableBufferPointer { body($0, fresh) }
    }

    /// Clears this tensor's gradient.
    public func zeroGrad() { grad = nil }

    /// Back-propagates from this tensor (a scalar unless `seed` is given) to every leaf that wants gradients.
    public func backward(seed: [Float]? = nil) {
        precondition(seed != nil || data.count == 1, "backward() without a seed needs a scalar, got shape \(shape)")
        // Iterative topological order: recursion would overflow on long graphs.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if !visited.insert(ObjectIdentifier(node)).inserted { continue }
            stack.append((node, true))
            for p in node.parents where p.requiresGrad {
                stack.append((p, false))
            }
        }
        let s = seed ?? [1]
        s.withUnsafeBufferPointer { accumulateGrad($0) }
        for node in order.reversed() {
            guard let fn = node.backwardFn, let g = node.grad else { continue }
            g.withUnsafeBufferPointer { fn($0) }
            // Intermediate gradients are not needed once passed on.
            if !node.parents.isEmpty { node.grad = nil }
        }
    }

    /// A copy of the values with no history.
    public func detached() -> Tensor { Tensor(shape: shape, data: data) }
}

/// Whether ops record history. Turn it off for evaluation and for optimizer updates.
///
/// Task-local (thread-local outside tasks), so an evaluation on one thread never disables
/// recording for training on another.
public enum GradMode {
    @TaskLocal static var enabledFlag = true
    public static var isEnabled: Bool { enabledFlag }

    /// Runs `body` with history recording off (PyTorch's `torch.no_grad()`).
    public static func noGrad<T>(_ body: () throws -> T) rethrows -> T {
        try $enabledFlag.withValue(false) { try body() }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = data.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(data.count > 8 ? ", …" : "")])"
    }
}
