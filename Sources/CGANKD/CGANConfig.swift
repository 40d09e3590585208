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

    /// Problems with the settings, as messages naming the flag; empty when valid. The flags' values
    /// and a checkpoint's sidecar (which a user may edit or damage) are both checked here.
    public func problems() -> [String] {
        var p: [String] = []
        if iterations < 1 || batch < 1 || dSteps < 1 { p.append("--iterations, --batch and --d-steps must be positive") }
        if generatorWidth < 2 || generatorWidth % 2 != 0 || discriminatorWidth < 1 {
            p.append("--generator-width must be even and positive, --discriminator-width positive")
        }
        // Sizes a two-core engine can hold: the generator's first layer is latent × width × 64 floats.
        if latent < 1 || generatorWidth < 1 || latent > 100_000 || generatorWidth > 4096 || discriminatorWidth > 4096 || batch > 65_536
            || latent * generatorWidth > 1 << 22 {
            p.append("latent \(latent), widths \(generatorWidth)/\(discriminatorWidth) or batch \(batch) are implausibly large")
        }
        for (name, v) in [("--lr-g", lrG), ("--lr-d", lrD)] where !(v > 0 && v.isFinite) { p.append("\(name) must be positive") }
        if !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) { p.append("Adam's betas must be in [0, 1)") }
        if !(emaDecay >= 0 && emaDecay < 1) || emaStart < 0 { p.append("--ema-decay must be in [0, 1), --ema-start not negative") }
        if ConditionalGenerator.Conditioning(rawValue: conditioning) == nil { p.append("--conditioning must be noise or batchnorm") }
        return p
    }
}
