import DAFLEngine

/// What cGAN-KD's sample path needs from a task, so classification and regression share one
/// pipeline (draw → subsample → filter → relabel, in `FakeSet.process`): conditioned samples from a
/// generator, and a teacher's score of each one against the label it was drawn for.
///
/// Labels are `Float`: a class index for classification, a label normalised to [0, 1] for
/// regression. Statistics and the filter's cut-offs are kept per group: a class, or a label bin.
/// ```swift
/// let source = ClassSampleSource(generator: g, teacher: t)
/// let (x, y) = source.draw(250, rng: &rng)
/// let (scores, predictions) = source.score(x, labels: y)
/// ```
public protocol SampleSource {
    /// Classes, or label bins.
    var groups: Int { get }
    /// The group a label counts in.
    func group(of label: Float) -> Int
    /// A batch of generated images and the labels they were generated for.
    func draw(_ count: Int, rng: inout RNG) -> (images: Tensor, labels: [Float])
    /// The teacher's disagreement with each label (lower is better: cross-entropy, absolute error) and its own label.
    func score(_ images: Tensor, labels: [Float]) -> (scores: [Float], predictions: [Float])
}

/// Class-conditional samples scored by a classifier's cross-entropy against the class asked for.
/// Labels are drawn uniformly, mixed in each batch (the generator's batch norms use batch statistics).
public struct ClassSampleSource: SampleSource {
    public let generator: ConditionalGenerator
    public let teacher: LeNet5

    public init(generator: ConditionalGenerator, teacher: LeNet5) { (self.generator, self.teacher) = (generator, teacher) }

    public var groups: Int { generator.classes }
    public func group(of label: Float) -> Int { Int(label) }

    public func draw(_ count: Int, rng: inout RNG) -> (images: Tensor, labels: [Float]) {
        let labels = (0..<count).map { _ in Int(rng.next() % UInt64(generator.classes)) }
        return (generator.sample(labels: labels, rng: &rng), labels.map(Float.init))
    }

    public func score(_ images: Tensor, labels: [Float]) -> (scores: [Float], predictions: [Float]) {
        let (s, p) = TeacherFilter.score(teacher: teacher, images: images, labels: labels.map { Int($0) })
        return (s, p.map(Float.init))
    }
}
