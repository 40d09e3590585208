/// The hinge adversarial losses of SNGAN/BigGAN, which cGAN-KD's conditional GANs train with.
///
/// The discriminator pushes its score above 1 on real images and below −1 on generated ones; the
/// generator raises the score of its images.
/// ```swift
/// let dLoss = GANLoss.discriminatorHinge(real: d(xReal, yReal), fake: d(xFake.detached(), yFake))
/// let gLoss = GANLoss.generatorHinge(fake: d(xFake, yFake))
/// ```
public enum GANLoss {
    /// mean(relu(1 − D(real))) + mean(relu(1 + D(fake))).
    public static func discriminatorHinge(real: Tensor, fake: Tensor) -> Tensor {
        (-real + 1).relu().mean() + (fake + 1).relu().mean()
    }

    /// −mean(D(fake)).
    public static func generatorHinge(fake: Tensor) -> Tensor { -fake.mean() }
}

extension GANLoss {
    /// CcGAN's vicinal discriminator loss (HVDL with weights 1, SVDL with exp(−ν(y − y_t)²)), in hinge form
    /// as cGAN-KD trains it: mean(w_r·relu(1 − D(real))) + mean(w_f·relu(1 + D(fake))).
    public static func discriminatorHinge(real: Tensor, fake: Tensor, realWeights: [Float], fakeWeights: [Float]) -> Tensor {
        let wr = Tensor(shape: real.shape, data: realWeights), wf = Tensor(shape: fake.shape, data: fakeWeights)
        return ((-real + 1).relu() * wr).mean() + ((fake + 1).relu() * wf).mean()
    }
}
