import Foundation
import Testing
@testable import DAFLEngine

/// Model files whose metadata disagrees with their tensors: each case was a crash or a runaway
/// allocation, now a regression seed of the fuzz target `model` (Fuzz/README.md), and must now be a named error.
@Suite struct ModelFileTests {
    /// A saved model file with `edit` applied to its metadata; returns its URL.
    func file(_ model: Model, edit: (inout [String: String]) -> Void) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).safetensors")
        var meta = model.metadata
        meta.merge(Preprocessing.fashionMNIST.metadata) { $1 }
        edit(&meta)
        try Safetensors.write(model.stateDict, metadata: meta, to: url)
        return url
    }

    func expectProblem(_ load: () throws -> Void, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do { try load(); Issue.record("loaded a damaged file", sourceLocation: sourceLocation) } catch let e as WeightsError {
            #expect(e.problem.contains(text), "\(e.problem)", sourceLocation: sourceLocation)
        } catch { Issue.record("unexpected \(error)", sourceLocation: sourceLocation) }
    }

    @Test func classifierMetadataMustFitItsTensors() throws {
        var rng = RNG(seed: 1)
        let net = LeNet5(.half, rng: &rng)
        for (key, value) in [("num_classes", "4000000000"), ("num_classes", "-3"), ("in_channels", "0")] {
            let url = try file(net) { $0[key] = value }
            defer { try? FileManager.default.removeItem(at: url) }
            expectProblem({ _ = try ModelFile.loadClassifier(url) }, contains: "metadata \(key) gives \(value)")
        }
        let good = try file(net) { _ in }
        defer { try? FileManager.default.removeItem(at: good) }
        #expect(try ModelFile.loadClassifier(good).model.classes == 10)
    }

    @Test func conditionalGeneratorMetadataMustFitItsTensors() throws {
        for conditioning in ConditionalGenerator.Conditioning.allCases {
            var rng = RNG(seed: 2)
            let g = ConditionalGenerator(classes: 4, latent: 6, width: 8, conditioning: conditioning, rng: &rng)
            for (key, value, text) in [("latent", "100000000", "metadata latent"), ("width", "1000000", "metadata width and image_size"),
                                       ("image_size", "30", "multiple of 4"), ("num_classes", "99", "metadata num_classes"),
                                       ("channels", "3", "metadata channels")] {
                let url = try file(g) { $0[key] = value }
                defer { try? FileManager.default.removeItem(at: url) }
                expectProblem({ _ = try ModelFile.loadConditionalGenerator(url) }, contains: text)
            }
            let good = try file(g) { _ in }
            defer { try? FileManager.default.removeItem(at: good) }
            #expect(try ModelFile.loadConditionalGenerator(good).model.classes == 4, "\(conditioning)")
        }
    }
}
