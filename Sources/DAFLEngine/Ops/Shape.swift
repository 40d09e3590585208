// Views: a new shape over the same values. Arrays are copy-on-write, so no copy is made.

extension Tensor {
    /// The same values with a new shape; one dimension may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = count / Swift.max(known, 1)
        }
        precondition(s.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        let input = self
        return .result(shape: s, data: data, parents: [self]) { g in input.accumulateGrad(g) }
    }

    /// [N, ...] → [N, product of the rest].
    public func flattened() -> Tensor { reshaped([shape[0], -1]) }
}
