import Foundation
import DAFLEngine
import Testing
@testable import DAFLTrainer

@Suite struct ReplayBufferTests {
    @Test func dropNewestForgetsTheLatestBatchesInRingOrder() {
        var r = ReplayBuffer(capacity: 4, imageSize: 1, classes: 1)
        for i in 0..<6 { r.add(images: [Float(i)], logits: [Float(i)]) }   // holds 4, 5, 2, 3 (2 oldest)
        r.dropNewest(2)
        #expect(r.images == [[2], [3]] && r.logits == [[2], [3]])
        r.add(images: [6], logits: [6])
        #expect(r.images == [[2], [3], [6]])
        r.dropNewest(10)
        #expect(r.images.isEmpty)
        r.add(images: [7], logits: [7])
        #expect(r.images == [[7]])
    }

    /// `--ie-memory`'s class mix: the teacher's softmax averaged over every held image, none while empty.
    @Test func meanProbabilitiesAverageEveryHeldImagesSoftmax() {
        var r = ReplayBuffer(capacity: 2, imageSize: 1, classes: 2)
        #expect(r.meanProbabilities() == nil)
        r.add(images: [0, 0], logits: [0, 0, 100, 0])          // one image even, one sure of class 0
        r.add(images: [0], logits: [0, Float(log(3.0))])        // 1/4, 3/4
        let m = r.meanProbabilities()!
        #expect(Swift.abs(m[0] - (0.5 + 1 + 0.25) / 3) < 1e-6 && Swift.abs(m[0] + m[1] - 1) < 1e-6)
        r.add(images: [0], logits: [0, 0])                      // evicts the first batch
        #expect(Swift.abs(r.meanProbabilities()![0] - (0.25 + 0.5) / 2) < 1e-6)
    }

    /// With generators taking turns, a collapsed one's batches are every K-th from the newest: only those go.
    @Test func dropNewestWithAStrideForgetsOneGeneratorsBatches() {
        var r = ReplayBuffer(capacity: 8, imageSize: 1, classes: 1)
        for i in 0..<10 { r.add(images: [Float(i)], logits: [Float(i)]) }   // holds 2…9, ring order
        r.dropNewest(3, stride: 2)   // 9, 7, 5: the generator that made the newest batch
        #expect(r.images == [[2], [3], [4], [6], [8]] && r.logits == [[2], [3], [4], [6], [8]])
        r.add(images: [10], logits: [10])
        #expect(r.images.last == [10] && r.images.count == 6)
        r.dropNewest(10, stride: 3)   // 10, 4: fewer than asked are held that far back
        #expect(r.images == [[2], [3], [6], [8]])
    }

    /// With generators stepping together, a collapsed one's batches are every K-th, after the newer ones of its iteration.
    @Test func dropNewestSkippingLeavesTheNewerGeneratorsBatches() {
        var r = ReplayBuffer(capacity: 8, imageSize: 1, classes: 1)
        for i in 0..<8 { r.add(images: [Float(i)], logits: [Float(i)]) }   // iterations of generators A, B: 0A 1B 2A 3B …
        r.dropNewest(2, stride: 2, skipping: 1)   // A's last two: 6, 4
        #expect(r.images == [[0], [1], [2], [3], [5], [7]] && r.logits == [[0], [1], [2], [3], [5], [7]])
    }

    /// Balanced draws: every class held comes up about equally often, however rare, and the index
    /// follows ring overwrites (a class that left the memory is never drawn).
    @Test func balancedDrawsGiveEachHeldClassAnEqualShare() {
        var r = ReplayBuffer(capacity: 2, imageSize: 1, classes: 3)
        // Slot 0: nine images of class 0 and one of class 2; slot 1: ten of class 1.
        func logits(_ cs: [Int]) -> [Float] { cs.flatMap { c in (0..<3).map { $0 == c ? 1 : 0 } } }
        let a = [0, 0, 0, 0, 0, 0, 0, 0, 0, 2], b = [Int](repeating: 1, count: 10)
        r.add(images: a.map(Float.init), logits: logits(a))
        r.add(images: b.map(Float.init), logits: logits(b))
        var rng = RNG(seed: 4)
        let (x, t) = r.sampleBalanced(size: 3000, side: 1, rng: &rng)
        var counts = [0, 0, 0]
        for i in 0..<3000 {
            let c = Int(x.data[i])
            counts[c] += 1
            #expect(t.data[i * 3 + c] == 1, "images and logits stay paired")
        }
        #expect(counts.allSatisfy { $0 > 900 && $0 < 1100 }, "\(counts)")
        // Overwrite slot 0 with class 1 only: classes 0 and 2 are gone.
        r.add(images: b.map(Float.init), logits: logits(b))
        let (y, _) = r.sampleBalanced(size: 100, side: 1, rng: &rng)
        #expect(y.data.allSatisfy { $0 == 1 })
    }

    /// Capped shares: classes above the cap are held at it, the rest keep their proportions and take up the slack.
    @Test func cappedSharesHoldTheLargeClassesAtTheCap() {
        let s = ReplayBuffer.cappedShares(counts: [40, 20, 20, 10, 10, 0], cap: 0.3)
        #expect(Swift.abs(s[0] - 0.3) < 1e-12 && Swift.abs(s.reduce(0, +) - 1) < 1e-12 && s[5] == 0)
        #expect(Swift.abs(s[1] - 0.2333333) < 1e-6 && Swift.abs(s[1] / s[3] - 2) < 1e-9)
        // Scaling up can push another class over: it is capped too.
        let t = ReplayBuffer.cappedShares(counts: [50, 24, 16, 10], cap: 0.3)
        #expect(Swift.abs(t[0] - 0.3) < 1e-12 && Swift.abs(t[1] - 0.3) < 1e-12 && Swift.abs(t[2] / t[3] - 1.6) < 1e-9)
        // Under the cap everywhere: the memory's own shares; too few classes for the cap: equal shares.
        #expect(ReplayBuffer.cappedShares(counts: [3, 1], cap: 0.8) == [0.75, 0.25])
        #expect(ReplayBuffer.cappedShares(counts: [3, 1, 0], cap: 0.4) == [0.5, 0.5, 0])
    }

    /// `keepRare`: the evicted batch's images of a class under an equal share take the places of the new batch's
    /// images of the over-held class, whole (pixels with their logits), until the rare class reaches its share.
    @Test func aFullMemoryKeepsTheRareClassesImages() {
        func logits(_ cs: [Int]) -> [Float] { cs.flatMap { c in (0..<3).map { $0 == c ? 1 : 0 } } }
        func filled(_ keepRare: Double?) -> ReplayBuffer {
            var r = ReplayBuffer(capacity: 2, imageSize: 1, classes: 3)
            r.add(images: [20, 21, 22, 1, 2, 3], logits: logits([2, 2, 2, 0, 0, 0]))
            r.add(images: [4, 5, 6, 7, 8, 9], logits: logits([0, 0, 0, 0, 0, 1]))
            let kept = r.add(images: [30, 31, 32, 33, 34, 35], logits: logits([0, 0, 0, 0, 0, 0]), keepRare: keepRare)
            #expect(kept == (keepRare == 0.5 ? 3 : 0))
            return r
        }
        // Plain FIFO: the three class-2 images are gone.
        for fifo in [filled(nil), filled(1)] { #expect(fifo.images[0] == [30, 31, 32, 33, 34, 35]) }
        // Held as it will be: 11 of class 0, 1 of class 1, none of 2 (equal share 4, cap 6): class 2 comes back to 3,
        // the last places the new batch's class-0 images held; class 1 has nothing in the evicted batch to keep.
        let r = filled(0.5)
        #expect(r.images[0] == [30, 31, 32, 20, 21, 22])
        #expect(r.logits[0] == logits([0, 0, 0, 2, 2, 2]))
        // Nothing over the cap: nothing traded.
        #expect(filled(0.95).images[0] == [30, 31, 32, 33, 34, 35])
    }

    /// Capped draws follow those shares, and images stay paired with their logits.
    @Test func cappedDrawsFollowTheShares() {
        var r = ReplayBuffer(capacity: 2, imageSize: 1, classes: 3)
        func logits(_ cs: [Int]) -> [Float] { cs.flatMap { c in (0..<3).map { $0 == c ? 1 : 0 } } }
        let a = [0, 0, 0, 0, 0, 0, 0, 0, 0, 2], b = [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]
        r.add(images: a.map(Float.init), logits: logits(a))
        r.add(images: b.map(Float.init), logits: logits(b))   // held: 13 of class 0, 5 of 1, 2 of 2
        var rng = RNG(seed: 5)
        let (x, t) = r.sampleCapped(size: 4000, side: 1, cap: 0.5, rng: &rng)
        var counts = [0, 0, 0]
        for i in 0..<4000 {
            let c = Int(x.data[i])
            counts[c] += 1
            #expect(t.data[i * 3 + c] == 1, "images and logits stay paired")
        }
        // Shares 0.5, 5/14, 2/14.
        #expect(Swift.abs(Double(counts[0]) / 4000 - 0.5) < 0.03 && Swift.abs(Double(counts[1]) / 4000 - 5.0 / 14) < 0.03, "\(counts)")
    }
}
