import Foundation
import RunEvents

/// Runs the `dafl` binary built beside the test bundle, and waits on what it writes, not on clocks.
enum CLI {
    /// `.build/<triple>/<config>/dafl`, next to the test runner.
    static var binary: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // The runner may sit inside a .xctest bundle directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("dafl").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("dafl")
    }

    static let dataDir = "/usr/share/datasets/fashion-mnist"
    static var hasData: Bool { FileManager.default.fileExists(atPath: dataDir + "/t10k-images-idx3-ubyte.gz") }

    static func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("dafl-e2e-\(UUID().uuidString)")
    }

    /// Starts `dafl args…` (or another program) with output captured to a file.
    static func start(_ args: [String], output: URL, program: URL? = nil) throws -> Process {
        let p = Process()
        p.executableURL = program ?? binary
        p.arguments = args
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let h = try FileHandle(forWritingTo: output)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs `dafl args…` to completion; returns exit status and output.
    static func run(_ args: [String]) throws -> (Int32, String) { try runTool(nil, args) }

    /// Runs `program args…` (dafl when nil) to completion; returns exit status and output.
    static func runTool(_ program: String?, _ args: [String]) throws -> (Int32, String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = try start(args, output: out, program: program.map { URL(fileURLWithPath: $0) })
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    /// Polls `condition` every 50 ms until it holds or `limit` seconds pass.
    static func waitUntil(limit: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(limit)
        while Date() < end {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// The complete events of a log, or [] while it does not exist yet.
    static func events(_ path: String) -> [RunEvent] {
        guard let d = FileManager.default.contents(atPath: path),
              let r = try? RunLogReader.parse(d, file: path, firstLine: 1) else { return [] }
        return r.events
    }
}
