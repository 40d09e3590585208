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

/// A ResNet's weights cross between PyTorch and dafl both ways: a plain PyTorch `state_dict` file
/// loads here and gives PyTorch's logits; a file saved here loads in PyTorch (strict) and gives them too.
@Suite struct ResNetInteropTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func pyTorchStateDictLoadsAndGoesBack() throws {
        let f = try Fixture("resnet34_w2")
        var rng = RNG(seed: 3)
        let names = Set(ResNet(.resnet34, width: 2, rng: &rng).stateDict.map(\.0))
        // The fixture's weights as PyTorch's save_file(state_dict) would write them: no metadata.
        let entries = f.file.tensors.filter { names.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value.shape, $0.value.values) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("plain.safetensors")
        try writeAtomically(try Safetensors.encode(entries, metadata: [:]), to: plain)
        let (net, _) = try ModelFile.loadResNet(plain)
        #expect(net.depth == .resnet34 && net.width == 2 && net.classes == 10)
        expectCloseToScale(net(f.tensor("x")).data, f.values("logits"), "logits of the loaded PyTorch weights")

        // Back: saved here, loaded by PyTorch (strict), the same logits there.
        let ours = dir.appendingPathComponent("ours.safetensors")
        try ModelFile.save(net, preprocessing: nil, to: ours)
        let check = """
            import sys; sys.path.insert(0, sys.argv[1])
            import torch, dafl_torch as D
            sd, meta = D.load_safetensors(sys.argv[2]); ref, _ = D.load_safetensors(sys.argv[3])
            m = D.resnet34(10, int(meta["width"])); m.load_state_dict(sd, strict=True); m.train()
            d = (m(ref["x"]) - ref["logits"]).abs().max().item()
            print("maxdiff", d, meta["arch"]); sys.exit(0 if d < 1e-4 else 1)
            """
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", check, Self.repo.appendingPathComponent("scripts").path, ours.path,
                       Bundle.module.url(forResource: "resnet34_w2", withExtension: "safetensors", subdirectory: "Fixtures")!.path]
        p.standardOutput = out
        p.standardError = out
        guard (try? p.run()) != nil else { Issue.record("cannot run /usr/bin/python3"); return }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if text.contains("No module named") {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must have torch and safetensors for /usr/bin/python3: \(text)")
            return
        }
        #expect(p.terminationStatus == 0 && text.contains("maxdiff") && text.contains("resnet34"), "\(text)")
    }
}
