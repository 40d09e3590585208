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
}
