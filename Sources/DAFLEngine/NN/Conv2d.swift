/// A 2-D convolution layer with square kernel, stride and zero padding (PyTorch's `nn.Conv2d`).
///
/// ```swift
/// let conv = Conv2d(128, 64, kernel: 3, padding: 1, rng: &rng)
/// let y = conv(x)          // [N, 128, H, W] → [N, 64, H, W]
/// ```
public final class Conv2d: Layer {
    public let weight: Tensor
    public let bias: Tensor
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, rng: inout RNG) {
        let fanIn = inChannels * kernel * kernel
        weight = .parameter(shape: [outChannels, inChannels, kernel, kernel],
                            data: defaultInit(&rng, count: outChannels * fanIn, fanIn: fanIn))
        bias = .parameter(shape: [outChannels], data: defaultInit(&rng, count: outChannels, fanIn: fanIn))
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        .conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
