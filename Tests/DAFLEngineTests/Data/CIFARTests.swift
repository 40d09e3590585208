import Foundation
import Testing
@testable import DAFLEngine

/// CIFAR in both distributed formats, from made files (scripts/make_cifar_fixtures.py): the binary
/// version, the Python version as Python 2 wrote it and as Python 3 writes it, and CIFAR-100.
@Suite struct CIFARTests {
    static let root = Bundle.module.url(forResource: "cifar", withExtension: nil, subdirectory: "Fixtures")!
    let expected = try! Safetensors.read(CIFARTests.root.appendingPathComponent("expected.safetensors"))

    func expect(_ images: CIFAR.Images, _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let pixels = expected.tensors["\(prefix)_pixels"]!, labels = expected.tensors["\(prefix)_labels"]!
        #expect(images.pixels == pixels.values.map { UInt8($0) }, "\(prefix) pixels", sourceLocation: sourceLocation)
        #expect(images.labels == labels.values.map { Int($0) }, "\(prefix) labels", sourceLocation: sourceLocation)
        #expect(images.count == pixels.shape[0] && images.pixels.count == images.count * 3072, sourceLocation: sourceLocation)
    }

    @Test(arguments: ["bin", "py2", "py3"])
    func cifar10ReadsTheSameFromEveryFormat(_ variant: String) throws {
        let dir = Self.root.appendingPathComponent(variant).path
        let train = try CIFAR.read(directory: dir, split: .train)
        expect(train, "train")
        #expect(train.files.count == 5 && train.classes == 10)
        expect(try CIFAR.read(directory: dir, split: .test), "test")
    }

    @Test func cifar100FineLabelsFromBothFormats() throws {
        for variant in ["c100", "c100bin"] {
            let dir = Self.root.appendingPathComponent(variant).path
            expect(try CIFAR.read(directory: dir, split: .train, classes: 100), "c100_train")
            expect(try CIFAR.read(directory: dir, split: .test, classes: 100), "c100_test")
        }
    }

    /// Normalisation is torchvision's to the bit; crop and flip match its padded crop at the same offsets.
    @Test func preprocessingIsPyTorchsBitForBit() throws {
        let test = try CIFAR.read(directory: Self.root.appendingPathComponent("bin").path, split: .test).dataset(.cifar10)
        #expect(test.channels == 3 && test.imageSize == 3072)
        let want = expected.tensors["test_normalized"]!.values
        #expect(test.images.map(\.bitPattern) == want.map(\.bitPattern), "normalised values differ from torchvision's")
        let (x, _) = test.batch([0, 1])
        #expect(x.shape == [2, 3, 32, 32])
        let n = CIFAR.Normalization.cifar10
        let crops = (Self.expectedMeta["crops"] ?? "").split(separator: ";").map { $0.split(separator: ",").compactMap { Int($0) } }
        try #require(crops.count == 2)
        var out = [Float](repeating: 0, count: 2 * 3072)
        out.withUnsafeMutableBufferPointer { dst in
            for (i, c) in crops.enumerated() {
                CIFARAugmentation.cropFlip(x.data[(i * 3072)..<((i + 1) * 3072)], channels: 3, side: 32, dx: c[0], dy: c[1], flip: c[2] == 1,
                                           padValues: (0..<3).map { (0 - n.mean[$0]) / n.std[$0] },
                                           into: UnsafeMutableBufferPointer(rebasing: dst[(i * 3072)..<((i + 1) * 3072)]))
            }
        }
        #expect(out.map(\.bitPattern) == expected.tensors["test_augmented"]!.values.map(\.bitPattern), "crop/flip differs from torchvision's")
        var rng = RNG(seed: 5)
        let a = CIFARAugmentation.apply(x, normalization: n, rng: &rng)
        #expect(a.shape == x.shape && a.data != x.data)
    }

    static var expectedMeta: [String: String] {
        (try? Safetensors.read(root.appendingPathComponent("expected.safetensors")).metadata) ?? [:]
    }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("cifar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    func expectProblem(_ dir: URL, _ text: String, classes: Int = 10, sourceLocation: SourceLocation = #_sourceLocation) {
        do { _ = try CIFAR.read(directory: dir.path, split: .test, classes: classes); Issue.record("read a bad set", sourceLocation: sourceLocation) }
        catch let e as WeightsError { #expect(e.problem.contains(text), "\(e.problem)", sourceLocation: sourceLocation) }
        catch { Issue.record("unexpected \(error)", sourceLocation: sourceLocation) }
    }

    @Test func badFilesGetClearErrors() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        expectProblem(dir, "no CIFAR-10 test files")
        let good = try Data(contentsOf: Self.root.appendingPathComponent("bin/test_batch.bin"))
        try good.prefix(good.count - 100).write(to: dir.appendingPathComponent("test_batch.bin"))
        expectProblem(dir, "not a whole number of 3073-byte CIFAR-10 records")
        var wrongLabel = good
        wrongLabel[0] = 42
        try wrongLabel.write(to: dir.appendingPathComponent("test_batch.bin"))
        expectProblem(dir, "label 42, outside 0..<10")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("test_batch.bin"))
        let pickle = try Data(contentsOf: Self.root.appendingPathComponent("py2/test_batch"))
        try pickle.prefix(pickle.count / 2).write(to: dir.appendingPathComponent("test_batch"))
        expectProblem(dir, "not a readable pickle: truncated")
        try Data("not a pickle".utf8).write(to: dir.appendingPathComponent("test_batch"))
        expectProblem(dir, "not a readable pickle")
        // A valid pickle of something else: a dict without 'data'.
        try Data([0x80, 0x02, 0x7D, 0x71, 0x00, 0x2E]).write(to: dir.appendingPathComponent("test_batch"))
        expectProblem(dir, "needs 'data'")
        expectProblem(try tempDir(), "no CIFAR-100 test files", classes: 100)
    }
}
