import Foundation
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

    /// The teacher's mean softmax over every held image (from the stored logits), or nil while the memory is empty:
    /// the class mix `--ie-memory` judges each new batch with.
    func meanProbabilities() -> [Float]? {
        guard !logits.isEmpty, classes > 0 else { return nil }
        let k = classes
        var sum = [Double](repeating: 0, count: k), rows = 0
        var e = [Double](repeating: 0, count: k)
        for batch in logits {
            batch.withUnsafeBufferPointer { lp in
                for r in 0..<(lp.count / k) {
                    let row = lp.baseAddress! + r &* k
                    var top = row[0]
                    for c in 1..<k where row[c] > top { top = row[c] }
                    var z = 0.0
                    for c in 0..<k { e[c] = Foundation.exp(Double(row[c] - top)); z += e[c] }
                    for c in 0..<k { sum[c] += e[c] / z }
                    rows &+= 1
                }
            }
        }
        return rows == 0 ? nil : sum.map { Float($0 / Double(rows)) }
    }

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
        version &+= 1
        var i = 0
        while let x = t["replay.images.\(i)"], let l = t["replay.logits.\(i)"], i < capacity {
            images.append(x.values); logits.append(l.values); i += 1
        }
        next = Int(t["replay.next"]?.values.first ?? 0) % Swift.max(capacity, 1)
    }

    /// Stores a batch in place of the oldest once full. With `keepRare` F, the batch first trades places with the
    /// one it evicts (`carryRare`): the FIFO memory keeps only the last `capacity` batches' few Coats and Sneakers,
    /// this keeps them as long as an over-produced class has fresh images to give up.
    /// Returns how many images of the evicted batch it kept.
    @discardableResult
    mutating func add(images x: [Float], logits l: [Float], keepRare: Double? = nil) -> Int {
        guard capacity > 0 else { return 0 }
        version &+= 1
        var kept = 0
        if images.count < capacity { images.append(x); logits.append(l) } else {
            var (x, l) = (x, l)
            if let cap = keepRare, cap < 1 { kept = carryRare(into: &x, logits: &l, from: next, cap: cap) }
            images[next] = x; logits[next] = l
        }
        next = (next + 1) % capacity
        return kept
    }

    /// Rare-class carry-over for a full memory about to overwrite `slot`: while some class holds more than `cap`
    /// of the memory as it will be, the new batch's image of the most over-held such class is replaced by the
    /// evicted batch's image of the class held least, as long as that class holds under an equal share (1/K).
    /// Each trade moves one image from an over-held class to an under-held one, so the memory's class counts
    /// approach the cap from both sides; the images carried are whole (pixels and the teacher's logits).
    private func carryRare(into x: inout [Float], logits l: inout [Float], from slot: Int, cap: Double) -> Int {
        let k = classes, per = l.count / k
        guard per > 0, images[slot].count == x.count else { return 0 }
        let newClass = Self.teacherClasses(l, classes: k)
        let old = logits[slot], oldClass = Self.teacherClasses(old, classes: k)
        // Counts of the memory as it will be: every other slot, plus the new batch.
        var counts = [Int](repeating: 0, count: k)
        for (s, sl) in logits.enumerated() where s != slot {
            for c in Self.teacherClasses(sl, classes: k) { counts[c] &+= 1 }
        }
        for c in newClass { counts[c] &+= 1 }
        let total = Double(logits.count &* per), fair = total / Double(k)
        var givers = (0..<k).map { c in newClass.indices.filter { newClass[$0] == c } }
        var keepers = (0..<k).map { c in oldClass.indices.filter { oldClass[$0] == c } }
        var kept = 0
        while true {
            guard let over = (0..<k).filter({ Double(counts[$0]) > cap * total && !givers[$0].isEmpty }).max(by: { counts[$0] < counts[$1] }),
                  let under = (0..<k).filter({ Double(counts[$0]) < fair - 1 && !keepers[$0].isEmpty }).min(by: { counts[$0] < counts[$1] })
            else { return kept }
            kept &+= 1
            let to = givers[over].removeLast(), from = keepers[under].removeLast()
            x.replaceSubrange((to &* imageSize)..<(to &* imageSize &+ imageSize), with: images[slot][(from &* imageSize)..<(from &* imageSize &+ imageSize)])
            l.replaceSubrange((to &* k)..<(to &* k &+ k), with: old[(from &* k)..<(from &* k &+ k)])
            counts[over] &-= 1; counts[under] &+= 1
        }
    }

    /// Forgets `n` recently added batches, every `stride`-th from the newest back (a collapsed generator's
    /// output: with generators taking turns, its batches are every `stride`-th).
    mutating func dropNewest(_ n: Int, stride: Int = 1, skipping newer: Int = 0) {
        guard n > 0, !images.isEmpty else { return }
        version &+= 1
        // Oldest first, then drop from the tail; the next write goes after the survivors.
        let order = images.count < capacity ? Array(images.indices) : Array(next..<images.count) + Array(0..<next)
        let last = order.count - 1, step = Swift.max(stride, 1)
        let dropped = Set((0..<n).map { last - newer - $0 * step }.filter { $0 >= 0 })
        let keep = order.indices.filter { !dropped.contains($0) }.map { order[$0] }
        images = keep.map { images[$0] }
        logits = keep.map { logits[$0] }
        next = images.count % capacity
    }

    /// Held images by the teacher's class (argmax of the stored logits), as slot·perBatch + index; rebuilt
    /// when the memory changed since the last balanced draw.
    private var byClass: [[Int]] = []
    private var byClassVersion = -1
    /// Counts changes to what is held (adds, drops, restores), so the class index knows when it is stale.
    private var version = 0

    /// A batch of `size` samples, each from a class drawn uniformly among the classes held, then an image of
    /// it uniformly: the student sees every class the generator produced equally often, however rarely it did.
    mutating func sampleBalanced(size: Int, side: Int, rng: inout RNG) -> (Tensor, Tensor) {
        let per = images.first.map { $0.count / imageSize } ?? 0
        refreshClassIndex()
        let held = byClass.indices.filter { !byClass[$0].isEmpty }
        let picks = (0..<size).map { _ -> (Int, Int) in
            let c = held[Int(rng.next() % UInt64(held.count))]
            let at = byClass[c][Int(rng.next() % UInt64(byClass[c].count))]
            return (at / per, at % per)
        }
        return gather(picks, side: side)
    }

    /// A batch of `size` samples in which no teacher class has more than `cap` of the draws: a class holding more
    /// of the memory is drawn less often, the others in proportion to what the memory holds (`cappedShares`);
    /// then an image of the drawn class uniformly.
    mutating func sampleCapped(size: Int, side: Int, cap: Double, rng: inout RNG) -> (Tensor, Tensor) {
        let per = images.first.map { $0.count / imageSize } ?? 0
        refreshClassIndex()
        var cumulative: [Double] = [], total = 0.0
        for q in Self.cappedShares(counts: byClass.map(\.count), cap: cap) { total += q; cumulative.append(total) }
        let picks = (0..<size).map { _ -> (Int, Int) in
            let u = Double(rng.next() >> 11) * 0x1p-53 * total
            let c = cumulative.firstIndex { u < $0 && $0 > 0 } ?? cumulative.lastIndex { $0 > 0 }!
            let at = byClass[c][Int(rng.next() % UInt64(byClass[c].count))]
            return (at / per, at % per)
        }
        return gather(picks, side: side)
    }

    /// Each class's share of the draws: its share of `counts`, scaled up so that the shares sum to 1 once the
    /// classes above `cap` are held at `cap` (water-filling). When the held classes are too few for `cap`
    /// (fewer than 1 / cap of them), each held class gets an equal share.
    static func cappedShares(counts: [Int], cap: Double) -> [Double] {
        let held = counts.indices.filter { counts[$0] > 0 }
        guard !held.isEmpty else { return counts.map { _ in 0 } }
        if Double(held.count) * cap <= 1 { return counts.map { $0 > 0 ? 1 / Double(held.count) : 0 } }
        var capped = Set<Int>()
        while true {
            let free = held.filter { !capped.contains($0) }
            let scale = (1 - Double(capped.count) * cap) / Double(free.map { counts[$0] }.reduce(0, +))
            let over = free.filter { Double(counts[$0]) * scale > cap }
            if over.isEmpty {
                return counts.indices.map { capped.contains($0) ? cap : Double(counts[$0]) * scale }
            }
            capped.formUnion(over)
        }
    }

    /// How many held images the teacher puts in each class.
    mutating func classCounts() -> [Int] {
        refreshClassIndex()
        return byClass.map(\.count)
    }

    /// Rebuilds the class index when the memory changed since it was built.
    private mutating func refreshClassIndex() {
        let per = images.first.map { $0.count / imageSize } ?? 0
        if byClassVersion != version {
            byClass = Array(repeating: [], count: classes)
            for (slot, l) in logits.enumerated() {
                for (j, c) in Self.teacherClasses(l, classes: classes).enumerated() { byClass[c].append(slot &* per &+ j) }
            }
            byClassVersion = version
        }
    }

    /// The teacher's class of each image of a stored batch: the argmax of its logits row (ties keep the lower class).
    static func teacherClasses(_ l: [Float], classes k: Int) -> [Int] {
        l.withUnsafeBufferPointer { lp in
            (0..<(l.count / k)).map { j in
                let row = lp.baseAddress! + j &* k
                var best = 0
                for c in 1..<k where row[c] > row[best] { best = c }
                return best
            }
        }
    }

    /// A batch of `size` samples drawn uniformly from everything held: images [B, 1, S, S] and logits [B, K].
    /// Every stored batch has the same size, so a uniform batch index then image index is uniform.
    func sample(size: Int, side: Int, rng: inout RNG) -> (Tensor, Tensor) {
        let picks = (0..<size).map { _ -> (Int, Int) in
            let b = Int(rng.next() % UInt64(images.count))
            return (b, Int(rng.next() % UInt64(images[b].count / imageSize)))
        }
        return gather(picks, side: side)
    }

    /// Images [B, C, S, S] and logits [B, K] of the (slot, index) picks, in order.
    private func gather(_ picks: [(Int, Int)], side: Int) -> (Tensor, Tensor) {
        let size = picks.count
        var x = [Float](repeating: 0, count: size * imageSize), t = [Float](repeating: 0, count: size * classes)
        let (per, k) = (imageSize, classes)
        x.withUnsafeMutableBufferPointer { xp in
            t.withUnsafeMutableBufferPointer { tp in
                for (i, (b, j)) in picks.enumerated() {
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
