import DAFLEngine

/// Settings of the conditional GAN whose samples cGAN-KD distils through.
///
/// Defaults are a small SNGAN-style setup that trains on two CPU cores in minutes: the DAFL generator
/// (conditioned by a label embedding), a projection discriminator, hinge losses, Adam at 2e-4 with
/// β = (0.5, 0.999) on both sides, one discriminator step per generator step; optionally an exponential moving average of the
/// generator's weights as the generator that is sampled.
/// ```swift
/// var config = CGANConfig()
/// config.iterations = 3000
/// ```
public struct CGANConfig: Codable, Equatable, Sendable {
    public var iterations = 2000
    /// Real and generated images per discriminator step.
    public var batch = 64
    public var latent = 100
    public var generatorWidth = 64
    public var discriminatorWidth = 32
    public var lrG: Float = 2e-4
    public var lrD: Float = 2e-4
    public var beta1: Float = 0.5
    public var beta2: Float = 0.999
    /// Discriminator steps per generator step.
    public var dSteps = 1
    public var seed: UInt64 = 0
    /// How the generator takes the label: `noise` (embedding × noise) or `batchnorm` (class-conditional norms).
    public var conditioning = ConditionalGenerator.Conditioning.noise.rawValue
    /// Decay of the exponential moving average of the generator's weights that is sampled and saved
    /// (BigGAN's EMA of G); 0, the default, uses the trained generator itself. Measured at 10k images
    /// (docs/CGANKD.md), 0.999 lagged the trained generator at every checkpoint up to 5,000 steps.
    public var emaDecay: Float = 0
    /// Generator steps before the average starts (until then it copies the generator).
    public var emaStart = 500

    public init() {}
}
