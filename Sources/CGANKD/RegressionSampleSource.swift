import DAFLEngine

/// CcGAN samples scored by a regression teacher: the absolute error between the teacher's reading
/// and the label asked for (normalised units), grouped in `bins` equal label bins for the filter's
/// cut-offs and the statistics. Labels to generate are drawn uniformly in [0, 1] (the test labels
/// lie anywhere in the range; the reference likewise generates at labels unseen in training).
/// Relabelling takes the teacher's reading, clamped to [0, 1].
/// ```swift
/// let source = RegressionSampleSource(generator: g, teacher: t, bins: 10)
/// let fake = FakeSet.process(source, perGroup: 1000, rho: 0.7, relabel: true, rng: &rng)
/// ```
public struct RegressionSampleSource: SampleSource {
    public let generator: ContinuousConditionalGenerator
    public let teacher: LeNet5
    public let bins: Int

    public init(generator: ContinuousConditionalGenerator, teacher: LeNet5, bins: Int) {
        precondition(bins >= 1 && teacher.classes == 1)
        (self.generator, self.teacher, self.bins) = (generator, teacher, bins)
    }

    public var groups: Int { bins }
    public func group(of label: Float) -> Int { Swift.min(bins - 1, Swift.max(0, Int(label * Float(bins)))) }

    public func draw(_ count: Int, rng: inout RNG) -> (images: Tensor, labels: [Float]) {
        let labels = (0..<count).map { _ in rng.uniform() }
        return (generator.sample(labels: labels, rng: &rng), labels)
    }

    public func score(_ images: Tensor, labels: [Float]) -> (scores: [Float], predictions: [Float]) {
        let p = Self.predict(teacher, images)
        return (zip(p, labels).map { Swift.abs($0 - $1) }, p.map { Swift.min(1, Swift.max(0, $0)) })
    }

    /// A regressor's readings (normalised labels) of `images`, in evaluation mode without a graph.
    public static func predict(_ model: LeNet5, _ images: Tensor) -> [Float] {
        model.setTraining(false)
        return GradMode.noGrad { model(images) }.data
    }
}
