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
}
