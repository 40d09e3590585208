import DAFLEngine

/// One conditional-GAN update's numbers: the hinge losses and the discriminator's mean scores.
public struct CGANStep: Equatable, Sendable {
    public var step: Int
    public var dLoss: Float, gLoss: Float
    /// Mean discriminator score on the real and the generated batch of the last discriminator step.
    public var realScore: Float, fakeScore: Float
}

/// Trains a class-conditional GAN on labelled images, one step at a time, so a caller can pause,
/// retune, checkpoint and watch it (the same shape as the DAFL trainer).
///
/// Each step: `dSteps` discriminator updates on a random real batch and a generated batch with
/// uniformly drawn labels (hinge loss), then one generator update through the discriminator.
/// ```swift
/// let trainer = CGANTrainer(config: config, data: try train.firstPerClass(1000))
/// while trainer.step < config.iterations { let s = trainer.trainStep(); print(s.dLoss, s.gLoss) }
/// ```
public final class CGANTrainer {
    public let config: CGANConfig
    public let data: Dataset
    public let generator: ConditionalGenerator
    public let discriminator: ProjectionDiscriminator
    public let optimizerG: Adam, optimizerD: Adam
    public private(set) var step = 0
    var rng: RNG

    public init(config: CGANConfig, data: Dataset) {
        self.config = config
        self.data = data
        var rng = RNG(seed: config.seed)
        generator = ConditionalGenerator(classes: data.classes, latent: config.latent, width: config.generatorWidth,
                                         imageSize: data.side,
                                         conditioning: ConditionalGenerator.Conditioning(rawValue: config.conditioning) ?? .noise, rng: &rng)
        discriminator = ProjectionDiscriminator(classes: data.classes, width: config.discriminatorWidth, rng: &rng)
        optimizerG = Adam(generator.parameters, lr: config.lrG, betas: (config.beta1, config.beta2))
        optimizerD = Adam(discriminator.parameters, lr: config.lrD, betas: (config.beta1, config.beta2))
        self.rng = rng
    }

    /// `count` uniformly drawn class labels.
    func randomLabels(_ count: Int) -> [Int] {
        (0..<count).map { _ in Int(rng.next() % UInt64(data.classes)) }
    }

    func noise(_ count: Int) -> Tensor {
        Tensor(shape: [count, config.latent], data: rng.normal(count: count * config.latent))
    }

    /// Generated images for `labels` (no graph recorded), in the data's normalised pixel space.
    public func sample(labels: [Int]) -> Tensor { generator.sample(labels: labels, rng: &rng) }

    /// One generator update after `dSteps` discriminator updates.
    @discardableResult
    public func trainStep() -> CGANStep {
        let b = config.batch
        var dLoss: Float = 0, real: Float = 0, fake: Float = 0
        for _ in 0..<Swift.max(config.dSteps, 1) {
            let picks = (0..<b).map { _ in Int(rng.next() % UInt64(data.count)) }
            let (xr, yr) = data.batch(picks[...])
            let yf = randomLabels(b)
            let xf = sample(labels: yf)
            optimizerD.zeroGrad()
            let sr = discriminator(xr, labels: yr), sf = discriminator(xf, labels: yf)
            let loss = GANLoss.discriminatorHinge(real: sr, fake: sf)
            loss.backward()
            optimizerD.step()
            (dLoss, real, fake) = (loss.item, sr.data.reduce(0, +) / Float(b), sf.data.reduce(0, +) / Float(b))
        }
        optimizerG.zeroGrad()
        let yf = randomLabels(b)
        let gLoss = GANLoss.generatorHinge(fake: discriminator(generator(noise(b), labels: yf), labels: yf))
        gLoss.backward()
        optimizerG.step()
        discriminator.zeroGrad()   // the generator's backward passed through it
        step += 1
        return CGANStep(step: step, dLoss: dLoss, gLoss: gLoss.item, realScore: real, fakeScore: fake)
    }
}
