/// The DAFL generator: noise → 32×32 images, exactly as the reference (with `width` 128).
///
/// Linear → view [N, w, 8, 8] → BN(w) → up×2 → conv3x3(w→w) → BN(eps 0.8) → LeakyReLU(0.2)
/// → up×2 → conv3x3(w→w/2) → BN(eps 0.8) → LeakyReLU(0.2) → conv3x3(w/2→C) → tanh → BN(C, not affine).
/// Its batch norms always use batch statistics: the reference never puts it in eval mode.
/// ```swift
/// let g = Generator(latent: 100, width: 128, channels: 1, rng: &rng)
/// let images = g(Tensor(shape: [64, 100], data: rng.normal(count: 6400)))   // [64, 1, 32, 32]
/// ```
public final class Generator: Model {
    public let latent, width, channels: Int
    /// Side of the first feature map: a quarter of the image side.
    public let initSize: Int
    public let l1: Linear
    public let bn0: BatchNorm
    public let conv1: Conv2d
    public let bn1: BatchNorm
    public let conv2: Conv2d
    public let bn2: BatchNorm
    public let conv3: Conv2d
    public let bn3: BatchNorm
    /// What the last layer does with the tanh's output (the reference: `.batchNorm`).
    public var output: Output = .batchNorm
    /// Projects every image, after `output`, onto those a smaller picture resized to this side can be
    /// (`Tensor.projectingPlanes`, beyond the paper; nil: the reference). Not a weight: set by whoever runs it.
    public var projection: UpsampledImages? = nil

    /// The generator's last step.
    public enum Output: Equatable, Sendable {
        /// The reference: a batch norm without affine terms standardises every channel over the batch.
        /// Its images then sit where the batch puts them, not where real pictures are: a DAFL generator's
        /// run mostly between grey levels −0.6 and 0.5, below black and never near white.
        case batchNorm
        /// tanh mapped onto the grey levels 0…1 that an image can hold, in the teacher's normalised units
        /// (`black` and `white` are grey levels 0 and 1 after normalisation). `bn3` stays, unused, so the
        /// state dict keeps the reference's names.
        case grey(black: Float, white: Float)
        /// No tanh: the batch norm standardises the last convolution's output itself. tanh saturates (Adam at
        /// lr_G 0.2 drives it there), which leaves the reference's images two-tone; without it grey levels remain.
        case linear
    }

    public init(latent: Int = 100, width: Int = 128, channels: Int = 1, imageSize: Int = 32, rng: inout RNG) {
        self.latent = latent
        self.width = width
        self.channels = channels
        initSize = imageSize / 4
        l1 = Linear(latent, width * initSize * initSize, rng: &rng)
        bn0 = BatchNorm(width)
        conv1 = Conv2d(width, width, kernel: 3, padding: 1, rng: &rng)
        bn1 = BatchNorm(width, eps: 0.8)
        conv2 = Conv2d(width, width / 2, kernel: 3, padding: 1, rng: &rng)
        bn2 = BatchNorm(width / 2, eps: 0.8)
        conv3 = Conv2d(width / 2, channels, kernel: 3, padding: 1, rng: &rng)
        bn3 = BatchNorm(channels, affine: false)
    }

    /// Module paths follow the reference's nn.Sequential indices (LeakyReLU and Tanh hold no tensors).
    public var layers: [(String, Layer)] {
        [("l1.0", l1), ("conv_blocks0.0", bn0), ("conv_blocks1.0", conv1), ("conv_blocks1.1", bn1),
         ("conv_blocks2.0", conv2), ("conv_blocks2.1", bn2), ("conv_blocks2.3", conv3), ("conv_blocks2.5", bn3)]
    }

    public var metadata: [String: String] {
        var m = ["arch": "dafl-generator", "latent": String(latent), "width": String(width),
                 "channels": String(channels), "image_size": String(initSize * 4)]
        if case let .grey(black, white) = output { (m["output"], m["output_black"], m["output_white"]) = ("grey", "\(black)", "\(white)") }
        if output == .linear { m["output"] = "linear" }
        return m
    }

    /// The output the metadata of a saved generator names (`batchNorm` when it names none); nil if damaged.
    public static func output(metadata m: [String: String]) -> Output? {
        switch m["output"] ?? "batchnorm" {
        case "batchnorm": return .batchNorm
        case "linear": return .linear
        case "grey":
            guard let b = m["output_black"].flatMap(Float.init), let w = m["output_white"].flatMap(Float.init),
                  b.isFinite, w.isFinite, w > b else { return nil }
            return .grey(black: b, white: w)
        default: return nil
        }
    }

    /// The last step on the last convolution's output: tanh, then `output` (`.linear`: the batch norm alone).
    public func finish(_ h: Tensor) -> Tensor { finishWithDrive(h).images }

    /// `finish`, and the drive: the last convolution's output that the tanh saturates (nil for `.linear`, which has
    /// no tanh). What the saturation prior (`DAFLLoss.saturation`) judges: the batch norm after the tanh hides it.
    public func finishWithDrive(_ h: Tensor) -> (images: Tensor, drive: Tensor?) {
        let (images, drive): (Tensor, Tensor?)
        switch output {
        case .batchNorm: (images, drive) = (bn3(h.tanh()), h)
        case let .grey(black, white): (images, drive) = ((h.tanh() + 1) * ((white - black) / 2) + black, h)
        case .linear: (images, drive) = (bn3(h), nil)
        }
        return (projection.map { images.projectingPlanes($0) } ?? images, drive)
    }

    public func callAsFunction(_ z: Tensor) -> Tensor { forward(z).images }

    /// Images from noise, with their drive (`finishWithDrive`).
    public func forward(_ z: Tensor) -> (images: Tensor, drive: Tensor?) {
        let n = z.shape[0]
        var h = l1(z).reshaped([n, width, initSize, initSize])
        // Each upsample feeds a 3×3 conv: computed fused, 2.25× fewer multiply-adds (UpsampleConv.swift).
        h = Tensor.upsampleConv3x3(bn0(h), weight: conv1.weight, bias: conv1.bias)
        h = bn1(h).leakyRelu(slope: 0.2)
        h = Tensor.upsampleConv3x3(h, weight: conv2.weight, bias: conv2.bias)
        h = bn2(h).leakyRelu(slope: 0.2)
        return finishWithDrive(conv3(h))
    }
}
