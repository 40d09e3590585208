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
