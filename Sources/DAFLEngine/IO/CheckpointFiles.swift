import Foundation

/// How every trainer writes a resumable checkpoint into its run directory: the tensors under a
/// step-numbered safetensors name first, then the JSON sidecar that names them, renamed into place,
/// so whatever moment a crash hits, the sidecar names a complete file; older tensor files go last.
/// ```swift
/// var t = CheckpointFiles.Tensors()
/// t.add(model: generator, prefix: "generator."); t.add(optimizer: adam, prefix: "opt_g.")
/// let url = try CheckpointFiles.write(t, kind: "dafl-checkpoint", step: 120, file: name, sidecar: info, runDir: dir)
/// ```
public enum CheckpointFiles {
    public static let sidecarName = "checkpoint.json"

    /// Named tensors gathered for one file.
    public struct Tensors {
        public var all: [(String, [Int], [Float])] = []
        public init() {}
        public mutating func add(model: Model, prefix: String) {
            for (k, t) in model.stateDict { all.append((prefix + k, t.shape, t.data)) }
        }
        public mutating func add(optimizer: Optimizer, prefix: String) {
            for (k, v) in optimizer.stateTensors() { all.append((prefix + k, [v.count], v)) }
        }
    }

    /// Writes `tensors` as `file`, then the sidecar; removes older `checkpoint-*.safetensors`. Returns the tensor file's URL.
    /// A failed write leaves the previous checkpoint (sidecar and tensors) as it was.
    public static func write<Sidecar: Encodable>(_ tensors: Tensors, kind: String, step: Int, file: String, sidecar: Sidecar,
                                                 runDir: URL) throws -> URL {
        let url = runDir.appendingPathComponent(file)
        let existed = FileManager.default.fileExists(atPath: url.path)
        try writeAtomically(try Safetensors.encode(tensors.all, metadata: ["kind": kind, "step": "\(step)"]), to: url)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try writeAtomically(try enc.encode(sidecar), to: runDir.appendingPathComponent(sidecarName))
        } catch {
            // Nothing names the new tensors: give their space back (a full disk is the usual cause), unless
            // the file was there before, when it may be the one the old sidecar names (same step saved twice).
            if !existed { try? FileManager.default.removeItem(at: url) }
            throw error
        }
        if let files = try? FileManager.default.contentsOfDirectory(atPath: runDir.path) {
            for f in files where f.hasPrefix("checkpoint-") && f.hasSuffix(".safetensors") && f != file {
                try? FileManager.default.removeItem(at: runDir.appendingPathComponent(f))
            }
        }
        return url
    }

    /// Removes what a killed process left in `runDir`, before a resume: temporaries (`.NAME.tmp-PID`, see
    /// `writeAtomically`) of processes no longer running, which nothing else would ever remove (each kill
    /// during a write leaves one under its own id), and tensor files the sidecar does not name: a newer one
    /// whose sidecar was never written, older ones a kill kept `write` from removing. Those would
    /// otherwise wait for the next complete checkpoint, and pile up while kills keep coming first.
    /// Without a readable sidecar no tensor file is touched. Returns the names removed.
    @discardableResult
    public static func removeLeftovers(in runDir: URL) -> [String] {
        let fm = FileManager.default
        guard let files = try? fm.contentsOfDirectory(atPath: runDir.path) else { return [] }
        struct Named: Decodable { var file: String }
        let named = fm.contents(atPath: runDir.appendingPathComponent(sidecarName).path)
            .flatMap { try? JSONDecoder().decode(Named.self, from: $0) }?.file
        var removed: [String] = []
        for f in files {
            if f.hasPrefix(".") {
                guard let r = f.range(of: ".tmp-", options: .backwards), let pid = pid_t(f[r.upperBound...]), pid > 0,
                      kill(pid, 0) != 0 && errno == ESRCH else { continue }
            } else {
                guard let named, files.contains(named), f != named, f.hasPrefix("checkpoint-"), f.hasSuffix(".safetensors") else { continue }
            }
            if (try? fm.removeItem(at: runDir.appendingPathComponent(f))) != nil { removed.append(f) }
        }
        return removed.sorted()
    }
}

extension Safetensors.File {
    /// The tensors whose names start with `prefix`, with the prefix removed: one model's state dict
    /// out of a checkpoint that holds several.
    public func part(_ prefix: String) -> [String: (shape: [Int], values: [Float])] {
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for (k, v) in tensors where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
        return out
    }
}
