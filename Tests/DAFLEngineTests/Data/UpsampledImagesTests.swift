import Foundation
import Testing
@testable import DAFLEngine

@Suite struct UpsampledImagesTests {
    /// A 28×28 picture resized as the data loader does is left as it is; any 32×32 image is moved into that set
    /// once (projecting twice changes nothing), and what it removes is orthogonal to every resized picture.
    @Test func keepsResizedPicturesAndProjectsTheRest() {
        let p = UpsampledImages(from: 28, to: 32)
        var rng = RNG(seed: 4)
        let bytes = (0..<(28 * 28)).map { _ in UInt8(rng.next() % 256) }
        var resized = [Float](repeating: 0, count: 32 * 32)
        bytes.withUnsafeBufferPointer { b in resized.withUnsafeMutableBufferPointer { Preprocessing.fashionMNIST.apply(b, h: 28, w: 28, into: $0) } }
        var kept = resized
        p.project(&kept, count: 1)
        #expect(zip(kept, resized).map { abs($0 - $1) }.max()! < 1e-4)

        let raw = rng.normal(count: 2 * 32 * 32)
        var once = raw
        p.project(&once, count: 2)
        var twice = once
        p.project(&twice, count: 2)
        #expect(zip(once, twice).map { abs($0 - $1) }.max()! < 1e-4)
        #expect(zip(once, raw).map { abs($0 - $1) }.max()! > 0.1)
        let removed = zip(raw[0..<1024], once[0..<1024]).map { $0 - $1 }
        let dot = zip(removed, resized).map { Double($0) * Double($1) }.reduce(0, +)
        #expect(abs(dot) < 1e-2)
        // The 1-D resize rows sum to 1 (a flat picture stays flat).
        let u = UpsampledImages.resizeMatrix(from: 28, to: 32)
        for o in 0..<32 { #expect(abs(u[o * 28 ..< o * 28 + 28].reduce(0, +) - 1) < 1e-12) }
        // Same sides: nothing to remove.
        var same = raw
        UpsampledImages(from: 32, to: 32).project(&same, count: 2)
        #expect(zip(same, raw).map { abs($0 - $1) }.max()! < 1e-4)
    }
}
