import Foundation
import Testing
@testable import DAFLEngine

@Suite struct SafetensorsTests {
    func tempURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dafl-test-\(UUID().uuidString)-\(name)")
    }

    func lenet(_ width: LeNet5.Width = .full, seed: UInt64 = 3) -> LeNet5 {
        var rng = RNG(seed: seed)
        return LeNet5(width, rng: &rng)
    }

    /// Builds a file by hand: header JSON and raw data bytes.
    func rawFile(header: String, data: [UInt8]) -> Data {
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: data)
        return d
    }

    func expectProblem(_ data: Data, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Safetensors.parse(data, source: "bad.safetensors")
            Issue.record("accepted a bad file", sourceLocation: sourceLocation)
        } catch let e as WeightsError {
            #expect(e.file == "bad.safetensors", sourceLocation: sourceLocation)
            #expect(e.problem.contains(text), "message was: \(e.problem)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func roundTripKeepsEveryTensorAndMetadata() throws {
        let a = lenet(), b = lenet(seed: 4)
        let url = tempURL("rt.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelFile.save(a, preprocessing: .fashionMNIST, extra: ["dataset": "x"], to: url)
        let (loaded, prep, meta) = try ModelFile.loadClassifier(url)
        #expect(prep == .fashionMNIST && meta["arch"] == "lenet5" && meta["dataset"] == "x")
        for ((n1, t1), (n2, t2)) in zip(a.stateDict, loaded.stateDict) { #expect(n1 == n2 && t1.data == t2.data) }
        #expect(a.stateDict.map { $0.1.data } != b.stateDict.map { $0.1.data })
    }

    @Test func batchCountIsWrittenAsInt64() throws {
        var rng = RNG(seed: 0)
        let g = Generator(latent: 4, width: 8, rng: &rng)
        _ = g(Tensor(shape: [2, 4], data: rng.normal(count: 8)))
        let data = try Safetensors.encode(g.stateDict.map { ($0.0, $0.1.shape, $0.1.data) }, metadata: [:])
        let header = String(decoding: data[8..<(8 + Int(data.prefix(8).withUnsafeBytes { $0.load(as: UInt64.self) }))], as: UTF8.self)
        #expect(header.contains(#""conv_blocks0.0.num_batches_tracked":{"data_offsets""#))
        let back = try Safetensors.parse(data, source: "g")
        #expect(back.tensors["conv_blocks0.0.num_batches_tracked"]?.values == [1])
        #expect(back.tensors["conv_blocks0.0.num_batches_tracked"]?.shape == [])
    }

    @Test func truncatedFile() throws {
        let url = tempURL("t.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelFile.save(lenet(), preprocessing: nil, to: url)
        let full = try Data(contentsOf: url)
        expectProblem(full.prefix(full.count - 100), contains: "outside")
        expectProblem(full.prefix(20), contains: "runs past the end")
        expectProblem(full.prefix(5), contains: "too short")
    }

    @Test func headerThatLiesAboutOffsets() {
        expectProblem(rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 16)),
                      contains: "needs 8 bytes")
        expectProblem(rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: Array(repeating: 0, count: 8)),
                      contains: "outside")
        expectProblem(rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}}"#, data: Array(repeating: 0, count: 8)),
                      contains: "outside")
    }

    /// A fuzz-target regression seed: a shape whose element count overflows Int.
    @Test func shapeWhoseSizeOverflows() {
        expectProblem(rawFile(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#, data: []),
                      contains: "needs more bytes")
        expectProblem(rawFile(header: #"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}"#, data: []),
                      contains: "needs more bytes")
    }

    @Test func wrongDtypeAndGarbage() {
        expectProblem(rawFile(header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: [1, 2]), contains: "dtype U8")
        expectProblem(rawFile(header: #"{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}}"#, data: [1, 2]), contains: "unsupported dtype")
        expectProblem(rawFile(header: "not json at all", data: []), contains: "not a JSON object")
    }

    @Test func readsOtherFloatTypes() throws {
        // F64 1.5 and F16 -2.0 (0xC000).
        let f64 = rawFile(header: #"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}}"#,
                          data: Array(withUnsafeBytes(of: (1.5 as Double).bitPattern.littleEndian) { Array($0) }) + [0x00, 0xC0])
        let f = try Safetensors.parse(f64, source: "x")
        #expect(f.tensors["a"]?.values == [1.5] && f.tensors["b"]?.values == [-2])
    }

    @Test func shapeMismatchNamesTensorAndBothShapes() throws {
        let url = tempURL("half.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelFile.save(lenet(.half), preprocessing: nil, to: url)
        let file = try Safetensors.read(url)
        do {
            try lenet(.full).load(stateDict: file.tensors, source: url.path)
            Issue.record("loaded half weights into the full model")
        } catch let e as WeightsError {
            #expect(e.problem.contains("conv1.weight") || e.problem.contains("has shape"), "\(e.problem)")
            #expect(e.problem.contains("[3, 1, 5, 5]") && e.problem.contains("[6, 1, 5, 5]"), "\(e.problem)")
        }
    }

    @Test func missingAndUnexpectedTensors() throws {
        var t = lenet().stateDict.reduce(into: [String: (shape: [Int], values: [Float])]()) { $0[$1.0] = ($1.1.shape, $1.1.data) }
        t["extra.weight"] = ([1], [0])
        #expect(throws: WeightsError.self) { try lenet().load(stateDict: t, source: "x") }
        t["extra.weight"] = nil
        t["fc2.bias"] = nil
        do { try lenet().load(stateDict: t, source: "x") } catch let e as WeightsError { #expect(e.problem.contains("'fc2.bias' is missing")) }
    }
}

@Suite struct AtomicWriteTests {
    @Test func replacesAnExistingFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-atomic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try writeAtomically(Data("one".utf8), to: url)
        try writeAtomically(Data("two".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "two")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.contains(url.lastPathComponent) && $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func unwritableDirectoryIsAClearError() {
        #expect { try writeAtomically(Data("x".utf8), to: URL(fileURLWithPath: "/nonexistent-dir/file")) } throws: { e in
            (e as? WeightsError)?.file == "/nonexistent-dir/file"
        }
    }
}
