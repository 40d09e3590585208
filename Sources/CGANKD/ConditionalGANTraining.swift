import DAFLEngine

/// What a conditional-GAN run (`CGANRun`) steps, steers and checkpoints: the class-conditional
/// trainer (`CGANTrainer`) and the continuous-label one (`CcGANTrainer`) alike.
/// ```swift
/// let trainer: any ConditionalGANTraining = CcGANTrainer(config: c, vicinity: v, data: set, embedding: y2h)
/// while trainer.step < trainer.config.iterations { trainer.trainStep() }
/// ```
public protocol ConditionalGANTraining: AnyObject {
    var config: CGANConfig { get }
    var step: Int { get }
    var optimizerG: Adam { get }
    var optimizerD: Adam { get }
    /// The generator being trained.
    var trainedGenerator: Model { get }
    /// The generator users get: the weight average when there is one.
    var sampledGenerator: Model { get }
    var average: WeightAverage? { get }
    var discriminator: ProjectionDiscriminator { get }
    /// Real images it learns from.
    var trainCount: Int { get }
    /// The training random stream's state, for checkpoints.
    var rngState: [UInt64] { get }
    @discardableResult func trainStep() -> CGANStep
    func restore(step: Int, rngState: [UInt64], emaUpdates: Int)
}

extension CGANTrainer: ConditionalGANTraining {
    public var trainedGenerator: Model { generator }
    public var sampledGenerator: Model { sampler }
    public var trainCount: Int { data.count }
    public var rngState: [UInt64] { rng.state }
}
