/// Group normalisation of feature vectors [N, C] with a learned per-feature affine (PyTorch's
/// `nn.GroupNorm(groups, C)` on 2-D input; weight 1 and bias 0 at the start).
/// ```swift
/// let gn = GroupNorm(groups: 8, channels: 256)
/// let y = gn(x)            // x: [N, 256]
/// ```
public final class GroupNorm: Layer {
    public let groups: Int
    public let weight: Tensor, bias: Tensor

    public init(groups: Int, channels: Int) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.groups = groups
        weight = .parameter(shape: [channels], data: [Float](repeating: 1, count: channels))
        bias = .parameter(shape: [channels], data: [Float](repeating: 0, count: channels))
    }

    public var parameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { .groupNorm(x, groups: groups, weight: weight, bias: bias) }
}
