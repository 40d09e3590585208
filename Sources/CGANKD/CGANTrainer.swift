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
    /// The generator being trained.
    public let generator: ConditionalGenerator
    /// The moving average of `generator`'s weights (nil when `emaDecay` is 0).
    public let average: WeightAverage?
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
        if config.emaDecay > 0 {
            var scratch = RNG(seed: 0)   // overwritten by the copy; keeps the main stream as without EMA
            let shadow = ConditionalGenerator(classes: data.classes, latent: config.latent, width: config.generatorWidth,
                                              imageSize: data.side, conditioning: generator.conditioning, rng: &scratch)
            average = WeightAverage(of: generator, into: shadow, decay: config.emaDecay, start: config.emaStart)
        } else {
            average = nil
        }
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

    /// The generator users get: the weight average when there is one, else the trained generator.
    public var sampler: ConditionalGenerator { (average?.average as? ConditionalGenerator) ?? generator }

    /// Generated images for `labels` from the trained generator (no graph recorded), in the data's normalised pixel space.
    public func sample(labels: [Int]) -> Tensor { generator.sample(labels: labels, rng: &rng) }

    /// Continues from a checkpoint: its step count, random stream and averaging count (weights and
    /// optimizer states are loaded separately).
    public func restore(step: Int, rngState: [UInt64], emaUpdates: Int) {
        self.step = step
        rng.state = rngState
        average?.restore(updates: emaUpdates)
    }

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
        average?.update()
        discriminator.zeroGrad()   // the generator's backward passed through it
        step += 1
        return CGANStep(step: step, dLoss: dLoss, gLoss: gLoss.item, realScore: real, fakeScore: fake)
    }
}
