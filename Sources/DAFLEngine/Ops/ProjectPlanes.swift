extension Tensor {
    /// Images [N, C, S, S] with every plane X replaced by P·X·P (`UpsampledImages`, S its side): the nearest
    /// images a smaller picture resized to S × S can be. Linear and self-adjoint (P is a symmetric projection),
    /// so the backward is the same map applied to the gradient.
    /// ```swift
    /// let pictures = generator(z).projectingPlanes(UpsampledImages(from: 28, to: 32))
    /// ```
    public func projectingPlanes(_ p: UpsampledImages) -> Tensor {
        precondition(rank == 4 && shape[2] == p.side && shape[3] == p.side,
                     "projectingPlanes: images [N, C, \(p.side), \(p.side)], not \(shape)")
        let planes = shape[0] &* shape[1]
        var out = data
        p.project(&out, count: planes)
        let input = self
        return .result(shape: shape, data: out, parents: [self]) { g in
            var dx = Array(g)
            p.project(&dx, count: planes)
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
