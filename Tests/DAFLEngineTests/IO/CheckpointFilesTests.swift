import Foundation
import Testing
@testable import DAFLEngine

/// A failed checkpoint write (a full disk, a read-only directory, a kill) must leave the previous
/// checkpoint loadable. The failures are made with a directory in the way, which stops root too.
@Suite struct CheckpointFilesTests {
    struct Sidecar: Codable { var step: Int; var file: String }

    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Writes a checkpoint of one small tensor at `step`.
    @discardableResult
    static func save(step: Int, in dir: URL) throws -> URL {
        var t = CheckpointFiles.Tensors()
        t.all.append(("w", [3], [Float(step), 1, 2]))
        let file = String(format: "checkpoint-%08d.safetensors", step)
        return try CheckpointFiles.write(t, kind: "test", step: step, file: file, sidecar: Sidecar(step: step, file: file), runDir: dir)
    }

    /// The checkpoint the sidecar names, read back: its step and first value.
    static func loaded(_ dir: URL) throws -> (sidecar: Int, tensors: String?, value: Float?) {
        let side = try JSONDecoder().decode(Sidecar.self, from: Data(contentsOf: dir.appendingPathComponent(CheckpointFiles.sidecarName)))
        let file = try Safetensors.read(dir.appendingPathComponent(side.file))
        return (side.step, file.metadata["step"], file.tensors["w"]?.values.first)
    }

    static func names(_ dir: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    /// Puts a non-empty directory at `name`: writing or renaming onto it fails.
    static func block(_ name: String, in dir: URL) throws {
        let d = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: d.appendingPathComponent("x"))
    }

    @Test func failedTensorWriteLeavesThePreviousCheckpoint() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.save(step: 2, in: dir)
        try Self.block("checkpoint-00000004.safetensors", in: dir)
        #expect(throws: WeightsError.self) { try Self.save(step: 4, in: dir) }
        let r = try Self.loaded(dir)
        #expect(r.sidecar == 2 && r.tensors == "2" && r.value == 2)
        #expect(try Self.names(dir) == ["checkpoint-00000002.safetensors", "checkpoint-00000004.safetensors", "checkpoint.json"])
    }

    @Test func failedSidecarWriteLeavesThePreviousCheckpointAndFreesTheNewTensors() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.save(step: 2, in: dir)
        try Self.block(".checkpoint.json.tmp-\(getpid())", in: dir)
        #expect(throws: WeightsError.self) { try Self.save(step: 4, in: dir) }
        let r = try Self.loaded(dir)
        #expect(r.sidecar == 2 && r.tensors == "2" && r.value == 2)
        // The step-4 tensors, which nothing names, are gone: on a full disk they hold the space the log needs.
        // (The blocking directory stays: a failed write removes its own temporary file, nothing else.)
        #expect(try Self.names(dir) == [".checkpoint.json.tmp-\(getpid())", "checkpoint-00000002.safetensors", "checkpoint.json"])
    }

    @Test func sidecarFailureKeepsATensorFileTheOldSidecarMayName() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.save(step: 2, in: dir)
        try Self.block(".checkpoint.json.tmp-\(getpid())", in: dir)
        // The same step again (a periodic and then the final checkpoint): the file the sidecar names stays.
        #expect(throws: WeightsError.self) { try Self.save(step: 2, in: dir) }
        let r = try Self.loaded(dir)
        #expect(r.sidecar == 2 && r.value == 2)
    }

    @Test func leftoversOfAKilledRunAreRemoved() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.save(step: 4, in: dir)
        let dead = 2_147_483_646   // above any pid_max
        let names = [".checkpoint-00000006.safetensors.tmp-\(dead)", ".checkpoint.json.tmp-\(dead)",
                     ".student.safetensors.tmp-\(getpid())", "notes.tmp-\(dead)", ".hidden",
                     "checkpoint-00000002.safetensors", "checkpoint-00000006.safetensors", "student.safetensors"]
        for n in names { try Data("partial".utf8).write(to: dir.appendingPathComponent(n)) }
        #expect(CheckpointFiles.removeLeftovers(in: dir) == [".checkpoint-00000006.safetensors.tmp-\(dead)", ".checkpoint.json.tmp-\(dead)",
                                                             "checkpoint-00000002.safetensors", "checkpoint-00000006.safetensors"])
        // A live process's temporary, and files that are neither temporaries nor tensors, stay; the checkpoint still loads.
        #expect(try Self.names(dir) == [".hidden", ".student.safetensors.tmp-\(getpid())", "checkpoint-00000004.safetensors",
                                        "checkpoint.json", "notes.tmp-\(dead)", "student.safetensors"])
        #expect(try Self.loaded(dir).value == 4)
    }

    @Test func withoutASidecarNoTensorFileIsRemoved() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.save(step: 4, in: dir)
        try Data("{\"step\": 4".utf8).write(to: dir.appendingPathComponent(CheckpointFiles.sidecarName))   // damaged
        try Data().write(to: dir.appendingPathComponent("checkpoint-00000002.safetensors"))
        #expect(CheckpointFiles.removeLeftovers(in: dir).isEmpty)
        #expect(try Self.names(dir) == ["checkpoint-00000002.safetensors", "checkpoint-00000004.safetensors", "checkpoint.json"])
    }
}
