/// A 2-D convolution layer with square kernel, stride and zero padding (PyTorch's `nn.Conv2d`).
///
/// ```swift
/// let conv = Conv2d(128, 64, kernel: 3, padding: 1, rng: &rng)
/// let y = conv(x)          // [N, 128, H, W] → [N, 64, H, W]
/// ```
public final class Conv2d: Layer {
    public let weight: Tensor
    /// Absent with `bias: false` (ResNet's convolutions, each followed by a batch norm).
    public let biasIfAny: Tensor?
    public let stride: Int
    public let padding: Int
    /// How the convolution is computed (`.gemm` unless a model asks for another).
    public var algorithm: ConvAlgorithm = .gemm

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true, rng: inout RNG) {
        let fanIn = inChannels * kernel * kernel
        weight = .parameter(shape: [outChannels, inChannels, kernel, kernel],
                            data: defaultInit(&rng, count: outChannels * fanIn, fanIn: fanIn))
        biasIfAny = bias ? .parameter(shape: [outChannels], data: defaultInit(&rng, count: outChannels, fanIn: fanIn)) : nil
        self.stride = stride
        self.padding = padding
    }

    /// The bias of a layer made with one (every layer but ResNet's).
    public var bias: Tensor { biasIfAny! }

    public var parameters: [(String, Tensor)] { [("weight", weight)] + (biasIfAny.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        .conv2d(x, weight: weight, bias: biasIfAny, stride: stride, padding: padding, algorithm: algorithm)
    }
}
