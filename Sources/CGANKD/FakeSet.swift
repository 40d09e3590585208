import DAFLEngine
import RunEvents

/// What building a processed fake set did, per class: for the run log, the dashboard and the docs.
public struct FakeSetStats: Codable, Equatable, Sendable {
    /// Samples generated for each conditioning class after the burn-ins, accepted by subsampling, kept by the filter.
    public var generated: [Int], accepted: [Int], kept: [Int]
    /// The filter's cross-entropy cut-off per class (infinity: no filter).
    public var thresholds: [Float]
    /// The subsampling bound M̄ per class at the end (0: no subsampling).
    public var maxRatios: [Float]
    /// How many kept samples the teacher labels differently from their conditioning class (relabelled when asked).
    public var disagreements: [Int]
    public var relabelled: Bool

    /// Fraction of generated samples that subsampling accepted, per class.
    public var acceptanceRates: [Double] { zip(accepted, generated).map { $1 == 0 ? 0 : Double($0) / Double($1) } }
    /// Fraction of accepted samples that the filter kept, per class.
    public var keepRates: [Double] { zip(kept, accepted).map { $1 == 0 ? 0 : Double($0) / Double($1) } }

    /// The run-log event for these statistics (no filter: null cut-offs).
    public func event(time: Double, path: String?) -> FakeSetEvent {
        FakeSetEvent(step: 0, time: time, generated: generated, accepted: accepted, kept: kept, disagreements: disagreements,
                     thresholds: thresholds.map { $0.isFinite ? Double($0) : nil }, maxRatios: maxRatios.map(Double.init),
                     relabelled: relabelled, path: path)
    }
}

/// Generated training images for the student, processed as cGAN-KD does: drawn from the conditional
/// generator, subsampled by cDR-RS when a density ratio is given (accept when u ≤ r/M̄, M̄ per class from
/// a burn-in and raised online), filtered by the teacher (the ρ-quantile of a burn-in of subsampled
/// samples) and optionally relabelled, until every class has `perClass`. Batches mix labels uniformly,
/// as in training, because the generator's batch norms use batch statistics; per-class acceptance is the
/// same as drawing each class alone.
/// ```swift
/// let (fake, stats, asked) = FakeSet.build(generator: g, teacher: t, perClass: 1000, rho: 0.9, relabel: false, rng: &rng)
/// ```
public enum FakeSet {
    public static func build(generator: ConditionalGenerator, teacher: LeNet5, perClass: Int, rho: Float?, relabel: Bool,
                             ratio: ((Tensor, [Int]) -> [Float])? = nil, subsampleBurnIn: Int = 5000,
                             burnIn: Int = 500, batch: Int = 250, maxTries: Int = 50,
                             rng: inout RNG) -> (set: Dataset, stats: FakeSetStats, conditioning: [Int]) {
        let classes = generator.classes
        let side = generator.generator.initSize * 4, plane = side * side
        var maxRatio = [Float](repeating: 0, count: classes)
        func draw() -> (Tensor, [Int]) {
            let labels = (0..<batch).map { _ in Int(rng.next() % UInt64(classes)) }
            return (generator.sample(labels: labels, rng: &rng), labels)
        }
        /// Which samples of a batch subsampling accepts (all without a density ratio); raises M̄ first, as the reference.
        func accept(_ x: Tensor, _ y: [Int]) -> [Bool] {
            guard let ratio else { return [Bool](repeating: true, count: y.count) }
            let r = ratio(x, y)
            for i in y.indices { maxRatio[y[i]] = Swift.max(maxRatio[y[i]], r[i]) }
            return y.indices.map { rng.uniform() * maxRatio[y[$0]] <= r[$0] }
        }
        if ratio != nil {
            var seen = [Int](repeating: 0, count: classes)
            while seen.min()! < subsampleBurnIn {
                let (x, y) = draw()
                for (i, r) in ratio!(x, y).enumerated() { maxRatio[y[i]] = Swift.max(maxRatio[y[i]], r); seen[y[i]] += 1 }
            }
        }
        var filter: TeacherFilter? = nil
        if let rho {
            var scores: [Float] = [], labels: [Int] = []
            var seen = [Int](repeating: 0, count: classes), rounds = 0
            while seen.min()! < burnIn && rounds < maxTries * Swift.max(1, burnIn * classes / batch) {
                rounds += 1
                let (x, y) = draw()
                let ok = accept(x, y), s = TeacherFilter.score(teacher: teacher, images: x, labels: y).scores
                for i in y.indices where ok[i] { scores.append(s[i]); labels.append(y[i]); seen[y[i]] += 1 }
            }
            filter = TeacherFilter(rho: rho, burnIn: scores, labels: labels, classes: classes)
        }
        let zeros = [Int](repeating: 0, count: classes)
        var stats = FakeSetStats(generated: zeros, accepted: zeros, kept: zeros,
                                 thresholds: filter?.thresholds ?? .init(repeating: .infinity, count: classes),
                                 maxRatios: maxRatio, disagreements: zeros, relabelled: relabel)
        var images: [Float] = [], labels: [Int] = [], asked: [Int] = []
        var rounds = 0
        while stats.kept.contains(where: { $0 < perClass }) && rounds < maxTries * Swift.max(1, perClass * classes / batch) {
            rounds += 1
            let (x, y) = draw()
            let ok = accept(x, y)
            let (scores, predicted) = TeacherFilter.score(teacher: teacher, images: x, labels: y)
            for i in 0..<batch where stats.kept[y[i]] < perClass {
                stats.generated[y[i]] += 1
                guard ok[i] else { continue }
                stats.accepted[y[i]] += 1
                guard filter?.keeps(score: scores[i], label: y[i]) ?? true else { continue }
                stats.kept[y[i]] += 1
                if predicted[i] != y[i] { stats.disagreements[y[i]] += 1 }
                images += x.data[(i * plane)..<((i + 1) * plane)]
                labels.append(relabel ? predicted[i] : y[i])
                asked.append(y[i])
            }
        }
        stats.maxRatios = maxRatio
        return (Dataset(images: images, labels: labels, side: side, classes: classes), stats, asked)
    }
}
