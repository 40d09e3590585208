import Foundation
import RunEvents
import Testing

/// `dafl replay` and `dafl watch` on logs that are damaged, empty, from the future, or not logs at all:
/// a clear message naming the file, never a crash.
@Suite struct ReplayInputTests {
    func file(_ text: String) throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-log-\(UUID().uuidString).jsonl")
        try text.write(to: u, atomically: true, encoding: .utf8)
        return u
    }

    static let config = #"{"v":1,"type":"config","step":0,"time":0,"run":"r","preset":"cpu","settings":{"iterations":"2"},"class_names":[],"resumed":false}"#
    static let step = #"{"v":1,"type":"step","step":1,"time":0.5,"oh":0.2,"a":-1.5,"ie":-0.9,"kd":1.6,"total":-3.2,"alpha":0.1,"beta":5,"oh_weight":1,"lr_g":0.2,"lr_s":0.002,"hist":[1,1],"hist_entropy":1,"steps_per_second":2}"#

    @Test func truncatedMidLineReplaysWithAWarning() throws {
        let u = try file(Self.config + "\n" + Self.step + "\n" + String(Self.step.prefix(40)))
        defer { try? FileManager.default.removeItem(at: u) }
        let (status, out) = try CLI.run(["replay", u.path, "--headless", "--size", "80x24"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("incomplete last line") && out.contains("steps: 1 of 2"), "\(out)")
    }

    @Test(arguments: [
        ("", "empty log"),
        ("{\"v\":7,\"type\":\"step\",\"step\":1}\n", "schema version 7"),
        ("PK\u{3}\u{4} this is a zip file\nmore\n", "does not look like a dafl run log"),
        ("{\"hello\": \"json, but not ours\"}\n", "does not look like a dafl run log"),
    ])
    func badLogsGetAClearMessage(_ text: String, _ expected: String) throws {
        let u = try file(text)
        defer { try? FileManager.default.removeItem(at: u) }
        for args in [["replay", u.path, "--headless"], ["watch", u.path]] {
            let (status, out) = try CLI.run(args)
            #expect(status != 0, "\(args[0]) accepted it: \(out)")
            if text.isEmpty && args[0] == "watch" { continue }   // watch waits for events in an empty log (needs a TTY: fails on that)
            #expect(out.contains(u.path) && out.contains(expected), "\(args[0]): \(out)")
            #expect(!out.contains("Fatal error") && !out.contains("Stack dump"))
        }
    }

    @Test func missingLog() throws {
        let (status, out) = try CLI.run(["replay", "/nonexistent/events.jsonl", "--headless"])
        #expect(status != 0 && out.contains("/nonexistent/events.jsonl") && out.contains("no such file"))
    }
}
