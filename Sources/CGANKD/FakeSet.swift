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
    /// Kept samples per group by the teacher's label (its class, or its reading's bin); nil in files written before it.
    public var predicted: [Int]? = nil

    /// Fraction of generated samples that subsampling accepted, per class.
    public var acceptanceRates: [Double] { zip(accepted, generated).map { $1 == 0 ? 0 : Double($0) / Double($1) } }
    /// Fraction of accepted samples that the filter kept, per class.
    public var keepRates: [Double] { zip(kept, accepted).map { $1 == 0 ? 0 : Double($0) / Double($1) } }

    /// The run-log event for these statistics (no filter: null cut-offs).
    public func event(time: Double, path: String?) -> FakeSetEvent {
        FakeSetEvent(step: 0, time: time, generated: generated, accepted: accepted, kept: kept, disagreements: disagreements,
                     thresholds: thresholds.map { $0.isFinite ? Double($0) : nil }, maxRatios: maxRatios.map(Double.init),
                     relabelled: relabelled, path: path, predicted: predicted)
    }
}

/// Generated training images for the student, processed as cGAN-KD does: drawn from a conditional
/// generator, subsampled by cDR-RS when a density ratio is given (accept when u ≤ r/M̄, M̄ per group from
/// a burn-in and raised online), filtered by the teacher (the ρ-quantile of a burn-in of subsampled
/// samples, per group) and optionally relabelled, until every group has `perGroup`. One path for
/// classification (groups are classes) and regression (groups are label bins).
/// ```swift
/// let (fake, stats, asked) = FakeSet.build(generator: g, teacher: t, perClass: 1000, rho: 0.9, relabel: false, rng: &rng)
/// ```
public enum FakeSet {
    /// The kept samples: images (flattened), the labels the student trains on, the labels asked for.
    public struct Samples {
        public var images: [Float], labels: [Float], conditioning: [Float]
        public var stats: FakeSetStats
    }

    /// Classification: `perClass` kept samples of every class.
    public static func build(generator: ConditionalGenerator, teacher: LeNet5, perClass: Int, rho: Float?, relabel: Bool,
                             ratio: ((Tensor, [Int]) -> [Float])? = nil, subsampleBurnIn: Int = 5000,
                             burnIn: Int = 500, batch: Int = 250, maxTries: Int = 50,
                             rng: inout RNG) -> (set: Dataset, stats: FakeSetStats, conditioning: [Int]) {
        let r = process(ClassSampleSource(generator: generator, teacher: teacher), perGroup: perClass, rho: rho, relabel: relabel,
                        ratio: ratio.map { f in { x, y in f(x, y.map { Int($0) }) } }, subsampleBurnIn: subsampleBurnIn,
                        burnIn: burnIn, batch: batch, maxTries: maxTries, rng: &rng)
        let side = generator.generator.initSize * 4
        return (Dataset(images: r.images, labels: r.labels.map { Int($0) }, side: side, classes: generator.classes), r.stats,
                r.conditioning.map { Int($0) })
    }

    /// The shared pipeline over any `SampleSource`. A sample "disagrees" when the teacher's label
    /// differs from the one asked for by more than `tolerance` (0 for classes).
    public static func process<S: SampleSource>(_ source: S, perGroup: Int, rho: Float?, relabel: Bool,
                                                ratio: ((Tensor, [Float]) -> [Float])? = nil, subsampleBurnIn: Int = 5000,
                                                burnIn: Int = 500, batch: Int = 250, maxTries: Int = 50, tolerance: Float = 0,
                                                rng: inout RNG) -> Samples {
        let groups = source.groups
        var maxRatio = [Float](repeating: 0, count: groups)
        /// Which samples of a batch subsampling accepts (all without a density ratio); raises M̄ first, as the reference.
        func accept(_ x: Tensor, _ y: [Float]) -> [Bool] {
            guard let ratio else { return [Bool](repeating: true, count: y.count) }
            let r = ratio(x, y)
            for i in y.indices { let g = source.group(of: y[i]); maxRatio[g] = Swift.max(maxRatio[g], r[i]) }
            return y.indices.map { rng.uniform() * maxRatio[source.group(of: y[$0])] <= r[$0] }
        }
        if let ratio {
            var seen = [Int](repeating: 0, count: groups)
            while seen.min()! < subsampleBurnIn {
                let (x, y) = source.draw(batch, rng: &rng)
                for (i, r) in ratio(x, y).enumerated() {
                    let g = source.group(of: y[i])
                    maxRatio[g] = Swift.max(maxRatio[g], r)
                    seen[g] += 1
                }
            }
        }
        var filter: TeacherFilter? = nil
        if let rho {
            var scores: [Float] = [], labels: [Int] = []
            var seen = [Int](repeating: 0, count: groups), rounds = 0
            while seen.min()! < burnIn && rounds < maxTries * Swift.max(1, burnIn * groups / batch) {
                rounds += 1
                let (x, y) = source.draw(batch, rng: &rng)
                let ok = accept(x, y), s = source.score(x, labels: y).scores
                for i in y.indices where ok[i] {
                    let g = source.group(of: y[i])
                    scores.append(s[i]); labels.append(g); seen[g] += 1
                }
            }
            filter = TeacherFilter(rho: rho, burnIn: scores, labels: labels, classes: groups)
        }
        let zeros = [Int](repeating: 0, count: groups)
        var stats = FakeSetStats(generated: zeros, accepted: zeros, kept: zeros,
                                 thresholds: filter?.thresholds ?? .init(repeating: .infinity, count: groups),
                                 maxRatios: maxRatio, disagreements: zeros, relabelled: relabel, predicted: zeros)
        var out = Samples(images: [], labels: [], conditioning: [], stats: stats)
        var rounds = 0
        while stats.kept.contains(where: { $0 < perGroup }) && rounds < maxTries * Swift.max(1, perGroup * groups / batch) {
            rounds += 1
            let (x, y) = source.draw(batch, rng: &rng)
            let ok = accept(x, y)
            let (scores, predicted) = source.score(x, labels: y)
            let plane = x.count / Swift.max(y.count, 1)
            for i in y.indices {
                let g = source.group(of: y[i])
                guard stats.kept[g] < perGroup else { continue }
                stats.generated[g] += 1
                guard ok[i] else { continue }
                stats.accepted[g] += 1
                guard filter?.keeps(score: scores[i], label: g) ?? true else { continue }
                stats.kept[g] += 1
                if Swift.abs(predicted[i] - y[i]) > tolerance { stats.disagreements[g] += 1 }
                stats.predicted?[source.group(of: predicted[i])] += 1
                out.images += x.data[(i * plane)..<((i + 1) * plane)]
                out.labels.append(relabel ? predicted[i] : y[i])
                out.conditioning.append(y[i])
            }
        }
        stats.maxRatios = maxRatio
        out.stats = stats
        return out
    }
}
