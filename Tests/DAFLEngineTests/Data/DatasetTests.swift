import Foundation
import Testing
@testable import DAFLEngine

@Suite struct DatasetTests {
    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// A raw IDX file of unsigned bytes.
    func idx(_ dims: [Int], _ bytes: [UInt8]) -> Data {
        var d = Data([0, 0, 0x08, UInt8(dims.count)])
        for v in dims { d.append(contentsOf: [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]) }
        d.append(contentsOf: bytes)
        return d
    }

    @Test func loadsRawIDXAndPreprocesses() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Two 2×2 images: constant 255 and constant 0.
        try idx([2, 2, 2], [255, 255, 255, 255, 0, 0, 0, 0]).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([2], [7, 3]).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let set = try Dataset.load(directory: dir.path, split: .test, preprocessing: Preprocessing(size: 4, mean: 0.5, std: 0.5))
        #expect(set.count == 2 && set.labels == [7, 3] && set.side == 4)
        #expect(set.images[0..<16].allSatisfy { Swift.abs($0 - 1) < 1e-6 })
        #expect(set.images[16..<32].allSatisfy { Swift.abs($0 + 1) < 1e-6 })
        let (x, y) = set.batch([1, 0])
        #expect(x.shape == [2, 1, 4, 4] && y == [3, 7])
    }

    @Test func missingDirectory() {
        do {
            _ = try Dataset.load(directory: "/nonexistent/dafl", split: .train, preprocessing: .fashionMNIST)
            Issue.record("loaded a missing directory")
        } catch let e as WeightsError {
            #expect(e.file == "/nonexistent/dafl" && e.problem.contains("not found"))
        } catch { Issue.record("\(error)") }
    }

    @Test func gzipThatIsNotIDX() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("junk.gz").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo 'hello, not an IDX file' | gzip > '\(path)'"]
        try p.run(); p.waitUntilExit()
        do {
            _ = try IDX.read(path: path)
            Issue.record("accepted a gzip file that is not IDX")
        } catch let e as WeightsError {
            #expect(e.file == path && e.problem.contains("not an IDX file"), "\(e.problem)")
        }
    }

    @Test func truncatedIDX() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("short").path
        try idx([3, 2, 2], [1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: WeightsError.self) { try IDX.read(path: path) }
    }

    @Test func mismatchedLabelCount() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try idx([2, 1, 1], [0, 0]).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try idx([3], [0, 1, 2]).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
        #expect(throws: WeightsError.self) { try Dataset.load(directory: dir.path, split: .train, preprocessing: .fashionMNIST) }
    }

    @Test func firstPerClassKeepsFileOrderAndRefusesTooMany() throws {
        // 2×2 images whose pixels carry their index, labels 0 1 0 2 1 0 2.
        let labels = [0, 1, 0, 2, 1, 0, 2]
        let d = Dataset(images: labels.indices.flatMap { i in [Float](repeating: Float(i), count: 4) }, labels: labels, side: 2, classes: 3)
        let s = try d.firstPerClass(2)
        #expect(s.labels == [0, 1, 0, 2, 1, 2])
        #expect(stride(from: 0, to: s.images.count, by: 4).map { s.images[$0] } == [0, 1, 2, 3, 4, 6])
        #expect { try d.firstPerClass(3) } throws: { "\($0)".contains("class 1 has only 2") }
        #expect(throws: DatasetError.self) { try d.firstPerClass(0) }
    }

    @Test func rngIsReproducibleAndShuffles() {
        var a = RNG(seed: 5), b = RNG(seed: 5)
        #expect(a.normal(count: 10) == b.normal(count: 10))
        let p = a.permutation(100)
        #expect(Set(p) == Set(0..<100) && p != Array(0..<100))
        let z = RNG(seed: 1).normalSample(count: 20000)
        let mean = z.reduce(0, +) / Float(z.count), varc = z.map { $0 * $0 }.reduce(0, +) / Float(z.count)
        #expect(Swift.abs(mean) < 0.03 && Swift.abs(varc - 1) < 0.05)
    }
}

extension RNG {
    func normalSample(count: Int) -> [Float] { var r = self; return r.normal(count: count) }
}

@Suite struct StretchedGreyLevelsTests {
    @Test func batchPercentilesSpanTheBytes() {
        let p = Preprocessing.fashionMNIST
        // Two 10×10 images of normalised values -3…+3: raw grey levels clip at 0 and 1, the stretch does not.
        let values = (0..<200).map { Float($0 % 100) / 99 * 6 - 3 }
        let (images, range) = p.stretchedGreyLevels(values, count: 2, plane: 100)
        #expect(images.count == 2 && images.allSatisfy { $0.count == 100 })
        #expect(range.lo < 0 && range.hi > 1, "\(range)")
        #expect(images[0].first == 0 && images[0].last == 255)
        #expect(Set(images[0]).count > 90, "the stretch keeps the levels apart")
        // Bytes map back to grey levels through the range.
        let g50 = range.lo + Float(images[0][50]) / 255 * (range.hi - range.lo)
        #expect(abs(g50 - (values[50] * p.std + p.mean)) < (range.hi - range.lo) / 200)
        // A flat batch is shown mid-grey.
        let (flat, _) = p.stretchedGreyLevels([Float](repeating: 0.5, count: 100), count: 1, plane: 100)
        #expect(flat[0].allSatisfy { $0 == 128 })
    }
}
