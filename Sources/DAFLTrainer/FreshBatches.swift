import DAFLEngine

/// Fresh batches for the replay memory: images the generator draws after its step, that no loss trains on this
/// iteration, kept with the teacher's logits.
///
/// Each image in the `cpu` default's memory is replayed about 32 times (31 replayed steps of 128 images an
/// iteration, a memory of 256 batches refreshed by one batch an iteration), so the student can learn the images
/// as much as the teacher's function. A generator forward and a teacher forward are cheap beside those steps:
/// extra batches from the current generator make the memory turn over faster, so each image is replayed less often
/// and is more recent, at the same memory size and student work.
/// ```swift
/// let (images, logits) = FreshBatches.draw(from: g, conditional: nil, teacher: t, latent: 100, batch: 128, rng: &rng)
/// replay.add(images: images, logits: logits)
/// ```
enum FreshBatches {
    /// One batch from `generator` (or from `conditional`, each image for a class drawn uniformly), without gradients,
    /// and the teacher's logits for it. The generator's batch-norm running statistics are restored, so drawing
    /// leaves the trained generator as it was.
    static func draw(from generator: Generator, conditional: ConditionalGenerator?, teacher: any Classifier,
                     latent: Int, batch: Int, rng: inout RNG) -> (images: [Float], logits: [Float]) {
        GradMode.noGrad {
            let state = (conditional as Model?)?.stateDict ?? generator.stateDict, buffers = state.map { $0.1.data }
            let z = Tensor(shape: [batch, latent], data: rng.normal(count: batch &* latent))
            let images = conditional.map { c in c(z, labels: (0..<batch).map { _ in Int(rng.next() % UInt64(teacher.classes)) }) } ?? generator(z)
            for ((_, t), saved) in zip(state, buffers) { t.data = saved }
            return (images.data, teacher(images).data)
        }
    }

    /// `size` images of `images` (rows of `imageSize` floats, with `logits` rows of `classes`) chosen one at a time,
    /// each from the class the memory (`counts`, by the teacher's class) and the picks so far hold least among the
    /// classes left in the pool, in pool order within a class (`--replay-pick rare`). The generator draws some
    /// classes rarely (Sneaker, Coat and Pullover are a few percent of its images); replaying their few images more
    /// often did not help the student, so this keeps more distinct ones instead.
    ///
    /// With `surestFirst`, each class gives its images the teacher is surest of first (by the margin of its top
    /// logit over the runner-up's), so that balancing the classes does not fill the memory with the teacher's doubts.
    static func pickRare(images: [Float], logits: [Float], imageSize: Int, classes k: Int, counts: [Int], size: Int,
                         surestFirst: Bool = false) -> (images: [Float], logits: [Float]) {
        let answers = ReplayBuffer.teacherClasses(logits, classes: k)
        var queues = [[Int]](repeating: [], count: k)
        for (i, c) in answers.enumerated() { queues[c].append(i) }
        if surestFirst {
            let margins = logits.withUnsafeBufferPointer { lp in
                answers.enumerated().map { i, c -> Float in
                    var runnerUp = -Float.infinity
                    for j in 0..<k where j != c { runnerUp = Swift.max(runnerUp, lp[i &* k &+ j]) }
                    return lp[i &* k &+ c] - runnerUp
                }
            }
            // Stable: equal margins keep pool order.
            for c in 0..<k { queues[c] = queues[c].enumerated().sorted { (margins[$0.element], -$0.offset) > (margins[$1.element], -$1.offset) }.map(\.element) }
        }
        var held = counts.count == k ? counts : [Int](repeating: 0, count: k), taken = [Int](repeating: 0, count: k)
        var outImages: [Float] = [], outLogits: [Float] = []
        outImages.reserveCapacity(size &* imageSize); outLogits.reserveCapacity(size &* k)
        for _ in 0..<Swift.min(size, answers.count) {
            var best = -1
            for c in 0..<k where taken[c] < queues[c].count && (best < 0 || held[c] < held[best]) { best = c }
            let i = queues[best][taken[best]]
            taken[best] &+= 1; held[best] &+= 1
            outImages += images[(i &* imageSize)..<((i &+ 1) &* imageSize)]
            outLogits += logits[(i &* k)..<((i &+ 1) &* k)]
        }
        return (outImages, outLogits)
    }
}
