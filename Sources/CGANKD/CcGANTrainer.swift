import DAFLEngine

/// CcGAN's own settings on top of `CGANConfig`: the vicinity and the label embedding.
public struct CcGANSettings: Codable, Equatable, Sendable {
    /// `soft` (SVDL, the reference's RC-49 and UTKFace scripts) or `hard` (HVDL).
    public var vicinity = Vicinity.Kind.soft
    /// κ = kappaBase × the largest gap between neighbouring distinct labels (the reference: 2).
    public var kappaBase: Float = 2
    /// σ of the target labels' noise; nil: Silverman's rule.
    public var sigma: Float? = nil
    public var embedding = LabelEmbeddingTraining.Settings()
    public init() {}

    public func problems() -> [String] {
        var p: [String] = []
        if !(kappaBase > 0 && kappaBase.isFinite) { p.append("--kappa-base must be positive") }
        if let sigma, !(sigma >= 0 && sigma.isFinite) { p.append("--sigma must not be negative") }
        let e = embedding
        if e.dimension < 16 || e.dimension % 8 != 0 || e.dimension > 4096 { p.append("--embed-dim must be a multiple of 8 (16…4096)") }
        if e.embedEpochs < 1 || e.y2hEpochs < 1 || e.embedEpochs > 10_000 || e.y2hEpochs > 100_000 { p.append("--embed-epochs and --y2h-epochs must be positive") }
        return p
    }
}

/// Trains CcGAN (continuous conditional GAN) on images with scalar labels normalised to [0, 1], one
/// step at a time, as `CGANTrainer` does for classes.
///
/// Each discriminator step draws a vicinal batch (`Vicinity`): target labels y_t, one real image
/// from each target's vicinity and a fake image generated for a label in it; D scores both at
/// h(y_t) with the weighted hinge loss (SVDL or HVDL). The generator step reuses the last targets
/// (as the reference's RC-49 code): −mean D(G(z, h(y_t)), h(y_t)). The label embedding h is learned
/// beforehand (`LabelEmbeddingTraining`) and frozen.
/// ```swift
/// let trainer = CcGANTrainer(config: c, settings: s, data: rotated, embedding: y2h)
/// trainer.trainStep()
/// ```
public final class CcGANTrainer: ConditionalGANTraining {
    public let config: CGANConfig
    public let settings: CcGANSettings
    public let data: RegressionSet
    public let vicinity: Vicinity
    public let generator: ContinuousConditionalGenerator
    public let average: WeightAverage?
    public let discriminator: ProjectionDiscriminator
    public let optimizerG: Adam, optimizerD: Adam
    public private(set) var step = 0
    var rng: RNG

    public init(config: CGANConfig, settings: CcGANSettings, data: RegressionSet, embedding: LabelEmbedding) {
        (self.config, self.settings, self.data) = (config, settings, data)
        vicinity = Vicinity(labels: data.normalisedTargets, kind: settings.vicinity, kappaBase: settings.kappaBase, sigma: settings.sigma)
        var rng = RNG(seed: config.seed)
        generator = ContinuousConditionalGenerator(embedding: embedding, latent: config.latent, width: config.generatorWidth,
                                                   channels: data.channels, imageSize: data.side, rng: &rng)
        discriminator = ProjectionDiscriminator(embedding: embedding.dimension, width: config.discriminatorWidth, channels: data.channels, rng: &rng)
        if config.emaDecay > 0 {
            var scratch = RNG(seed: 0)
            let shadow = ContinuousConditionalGenerator(embedding: embedding, latent: config.latent, width: config.generatorWidth,
                                                        channels: data.channels, imageSize: data.side, rng: &scratch)
            average = WeightAverage(of: generator, into: shadow, decay: config.emaDecay, start: config.emaStart)
        } else {
            average = nil
        }
        optimizerG = Adam(generator.trainableParameters, lr: config.lrG, betas: (config.beta1, config.beta2))
        optimizerD = Adam(discriminator.parameters, lr: config.lrD, betas: (config.beta1, config.beta2))
        self.rng = rng
    }

    public var sampler: ContinuousConditionalGenerator { (average?.average as? ContinuousConditionalGenerator) ?? generator }
    public var trainedGenerator: Model { generator }
    public var sampledGenerator: Model { sampler }
    public var trainCount: Int { data.count }
    public var rngState: [UInt64] { rng.state }

    public func restore(step: Int, rngState: [UInt64], emaUpdates: Int) {
        self.step = step
        rng.state = rngState
        average?.restore(updates: emaUpdates)
    }

    @discardableResult
    public func trainStep() -> CGANStep {
        let b = config.batch
        var dLoss: Float = 0, real: Float = 0, fake: Float = 0
        var targets: [Float] = []
        for _ in 0..<Swift.max(config.dSteps, 1) {
            let v = vicinity.draw(b, rng: &rng)
            targets = v.targets
            let (xr, _) = data.batch(v.realIndices[...])
            let xf = generator.sample(labels: v.fakeLabels, rng: &rng)
            let h = generator.embedding(v.targets)
            optimizerD.zeroGrad()
            let sr = discriminator(xr, embedded: h), sf = discriminator(xf, embedded: h)
            let loss = GANLoss.discriminatorHinge(real: sr, fake: sf, realWeights: v.realWeights, fakeWeights: v.fakeWeights)
            loss.backward()
            optimizerD.step()
            (dLoss, real, fake) = (loss.item, sr.data.reduce(0, +) / Float(b), sf.data.reduce(0, +) / Float(b))
        }
        optimizerG.zeroGrad()
        let h = generator.embedding(targets)
        let z = Tensor(shape: [b, config.latent], data: rng.normal(count: b * config.latent))
        let gLoss = GANLoss.generatorHinge(fake: discriminator(generator(z, embedded: h), embedded: h))
        gLoss.backward()
        optimizerG.step()
        average?.update()
        discriminator.zeroGrad()
        step += 1
        return CGANStep(step: step, dLoss: dLoss, gLoss: gLoss.item, realScore: real, fakeScore: fake)
    }
}
