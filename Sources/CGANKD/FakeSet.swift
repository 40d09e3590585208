import DAFLEngine

/// What building a processed fake set did, per class: for the run log, the dashboard and the docs.
public struct FakeSetStats: Codable, Equatable, Sendable {
    /// Samples generated for each conditioning class after the burn-in, kept ones and the threshold used.
    public var generated: [Int], kept: [Int]
    public var thresholds: [Float]
    /// How many kept samples the teacher labels differently from their conditioning class (relabelled when asked).
    public var disagreements: [Int]
    public var relabelled: Bool

    /// Fraction of generated samples that passed the filter, per class.
    public var keepRates: [Double] { zip(kept, generated).map { $1 == 0 ? 0 : Double($0) / Double($1) } }
}

/// Generated training images for the student: drawn from the conditional generator with uniformly
/// mixed labels (its batch norms see batches like its training ones), filtered by the teacher and
/// optionally relabelled, until every class has `perClass` samples.
/// ```swift
/// let (fake, stats) = FakeSet.build(generator: g, teacher: t, perClass: 1000, rho: 0.9, relabel: false, rng: &rng)
/// ```
public enum FakeSet {
    public static func build(generator: ConditionalGenerator, teacher: LeNet5, perClass: Int, rho: Float?, relabel: Bool,
                             burnIn: Int = 500, batch: Int = 250, maxTries: Int = 50, rng: inout RNG) -> (Dataset, FakeSetStats) {
        let classes = generator.classes, latent = generator.latent
        func draw(_ n: Int) -> (Tensor, [Int]) {
            let labels = (0..<n).map { _ in Int(rng.next() % UInt64(classes)) }
            let z = Tensor(shape: [n, latent], data: rng.normal(count: n * latent))
            return (GradMode.noGrad { generator(z, labels: labels) }, labels)
        }
        var filter: TeacherFilter? = nil
        if let rho {
            var scores: [Float] = [], labels: [Int] = []
            while labels.count < burnIn * classes {
                let (x, y) = draw(batch)
                scores += TeacherFilter.score(teacher: teacher, images: x, labels: y).scores
                labels += y
            }
            filter = TeacherFilter(rho: rho, burnIn: scores, labels: labels, classes: classes)
        }
        var stats = FakeSetStats(generated: .init(repeating: 0, count: classes), kept: .init(repeating: 0, count: classes),
                                 thresholds: filter?.thresholds ?? .init(repeating: .infinity, count: classes),
                                 disagreements: .init(repeating: 0, count: classes), relabelled: relabel)
        var images: [Float] = [], labels: [Int] = []
        let plane = generator.generator.initSize * 4 * generator.generator.initSize * 4
        var rounds = 0
        while stats.kept.contains(where: { $0 < perClass }) && rounds < maxTries * Swift.max(1, perClass * classes / batch) {
            rounds += 1
            let (x, y) = draw(batch)
            let (scores, predicted) = TeacherFilter.score(teacher: teacher, images: x, labels: y)
            for i in 0..<batch where stats.kept[y[i]] < perClass {
                stats.generated[y[i]] += 1
                guard filter?.keeps(score: scores[i], label: y[i]) ?? true else { continue }
                stats.kept[y[i]] += 1
                if predicted[i] != y[i] { stats.disagreements[y[i]] += 1 }
                images += x.data[(i * plane)..<((i + 1) * plane)]
                labels.append(relabel ? predicted[i] : y[i])
            }
        }
        let side = generator.generator.initSize * 4
        return (Dataset(images: images, labels: labels, side: side, classes: classes), stats)
    }
}
