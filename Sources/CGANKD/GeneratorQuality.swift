import DAFLEngine

/// How far a conditional generator's images are from the real ones, in the teacher's feature space:
/// the Fréchet distance overall and per class (real statistics computed once).
/// ```swift
/// let quality = GeneratorQuality(teacher: t, real: subset)
/// let (overall, perClass) = quality.measure(generator, samplesPerClass: 500, rng: &rng)
/// ```
public struct GeneratorQuality {
    public let teacher: LeNet5
    let realOverall: FrechetDistance.Statistics
    let realPerClass: [FrechetDistance.Statistics?]

    public init(teacher: LeNet5, real: Dataset) {
        self.teacher = teacher
        let (f, d) = FrechetDistance.teacherFeatures(teacher, images: real)
        realOverall = .init(features: f, dimension: d)
        realPerClass = (0..<real.classes).map { c in
            let rows = real.labels.indices.filter { real.labels[$0] == c }
            guard rows.count >= 2 else { return nil }
            return .init(features: rows.flatMap { f[($0 * d)..<(($0 + 1) * d)] }, dimension: d)
        }
    }

    /// Fréchet distances of `samplesPerClass` generated images per class (drawn in mixed-label batches).
    public func measure(_ generator: ConditionalGenerator, samplesPerClass n: Int, batch: Int = 250,
                        rng: inout RNG) -> (overall: Double, perClass: [Double]) {
        let classes = generator.classes
        var labels = (0..<classes).flatMap { [Int](repeating: $0, count: n) }
        for i in stride(from: labels.count - 1, to: 0, by: -1) { labels.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        var images: [Float] = []
        for start in stride(from: 0, to: labels.count, by: batch) {
            let y = Array(labels[start..<Swift.min(start + batch, labels.count)])
            images += generator.sample(labels: y, rng: &rng).data
        }
        let side = generator.generator.initSize * 4
        let fake = Dataset(images: images, labels: labels, side: side, classes: classes)
        let (f, d) = FrechetDistance.teacherFeatures(teacher, images: fake)
        let overall = FrechetDistance.distance(realOverall, .init(features: f, dimension: d))
        let perClass = (0..<classes).map { c -> Double in
            guard let real = realPerClass[c] else { return .nan }
            let rows = labels.indices.filter { labels[$0] == c }
            return FrechetDistance.distance(real, .init(features: rows.flatMap { f[($0 * d)..<(($0 + 1) * d)] }, dimension: d))
        }
        return (overall, perClass)
    }
}
