import DAFLEngine

/// The most recent generated batches with the teacher's logits, for extra student updates.
///
/// Generating a batch costs ~100× a student step, so the student also learns from recent images
/// again (the teacher's answers are stored; the teacher is frozen, so they stay right).
struct ReplayBuffer {
    let capacity: Int
    private(set) var images: [[Float]] = []
    private(set) var logits: [[Float]] = []
    private var next = 0
    let imageSize: Int, classes: Int

    init(capacity: Int, imageSize: Int, classes: Int) {
        self.capacity = capacity; self.imageSize = imageSize; self.classes = classes
    }

    var sampleCount: Int { images.isEmpty ? 0 : images.count * (images[0].count / imageSize) }

    /// Named tensors for a checkpoint: the batches in slot order and the write position.
    func stateTensors() -> [(String, [Int], [Float])] {
        var out: [(String, [Int], [Float])] = [("replay.next", [1], [Float(next)])]
        for i in images.indices {
            out.append(("replay.images.\(i)", [images[i].count], images[i]))
            out.append(("replay.logits.\(i)", [logits[i].count], logits[i]))
        }
        return out
    }

    mutating func restore(_ t: [String: (shape: [Int], values: [Float])]) {
        images = []; logits = []
        var i = 0
        while let x = t["replay.images.\(i)"], let l = t["replay.logits.\(i)"], i < capacity {
            images.append(x.values); logits.append(l.values); i += 1
        }
        next = Int(t["replay.next"]?.values.first ?? 0) % Swift.max(capacity, 1)
    }

    mutating func add(images x: [Float], logits l: [Float]) {
        guard capacity > 0 else { return }
        if images.count < capacity { images.append(x); logits.append(l) } else { images[next] = x; logits[next] = l }
        next = (next + 1) % capacity
    }

    /// Forgets the `n` most recently added batches (a collapsed generator's output).
    mutating func dropNewest(_ n: Int) {
        guard n > 0, !images.isEmpty else { return }
        // Oldest first, then drop the tail; the next write goes after the survivors.
        let order = images.count < capacity ? Array(images.indices) : Array(next..<images.count) + Array(0..<next)
        let keep = order.dropLast(Swift.min(n, order.count))
        images = keep.map { images[$0] }
        logits = keep.map { logits[$0] }
        next = images.count % capacity
    }

    /// A batch of `size` samples drawn uniformly from everything held: images [B, 1, S, S] and logits [B, K].
    /// Every stored batch has the same size, so a uniform batch index then image index is uniform.
    func sample(size: Int, side: Int, rng: inout RNG) -> (Tensor, Tensor) {
        var x = [Float](repeating: 0, count: size * imageSize), t = [Float](repeating: 0, count: size * classes)
        let (per, k) = (imageSize, classes)
        x.withUnsafeMutableBufferPointer { xp in
            t.withUnsafeMutableBufferPointer { tp in
                for i in 0..<size {
                    let b = Int(rng.next() % UInt64(images.count))
                    let j = Int(rng.next() % UInt64(images[b].count / per))
                    images[b].withUnsafeBufferPointer { src in
                        (xp.baseAddress! + i &* per).update(from: src.baseAddress! + j &* per, count: per)
                    }
                    logits[b].withUnsafeBufferPointer { src in
                        (tp.baseAddress! + i &* k).update(from: src.baseAddress! + j &* k, count: k)
                    }
                }
            }
        }
        return (Tensor(shape: [size, imageSize / (side * side), side, side], data: x), Tensor(shape: [size, classes], data: t))
    }
}
