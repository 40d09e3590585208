import Foundation
import RunEvents
import Testing

/// `dafl distill` as a user runs it: killed with SIGKILL mid-run, resumed, and its log read back.
@Suite(.serialized) struct DistillEndToEndTests {
    /// A small, quick run of the real command.
    static func args(_ dir: URL) -> [String] {
        ["distill", "--iterations", "24", "--batch", "8", "--generator-width", "8", "--student-steps", "2", "--replay", "2",
         "--checkpoint-every", "5", "--eval-every", "1000", "--samples-every", "5", "--run-dir", dir.path, "--headless"]
    }

    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func sigkillThenResumeLosesAtMostOneCheckpointInterval() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("events.jsonl").path
        let p = try CLI.start(Self.args(dir), output: dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + ".out"))
        // Kill once a checkpoint at step ≥ 10 is logged.
        let reached = CLI.waitUntil(limit: 300) {
            CLI.events(log).contains { if case .checkpoint(let c) = $0 { c.step >= 10 } else { false } }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(reached, "no checkpoint at step ≥ 10 within the time limit")
        let before = CLI.events(log)
        let lastStep = before.compactMap { if case .step(let s) = $0 { s.step } else { nil } }.max() ?? 0
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("checkpoint.json"))) as? [String: Any]
        let saved = info?["step"] as? Int ?? -1
        #expect(saved >= 10 && lastStep - saved <= 5, "checkpoint at \(saved), killed after step \(lastStep)")

        let (status, output) = try CLI.run(["distill", "--resume", dir.path, "--headless"])
        #expect(status == 0, "resume failed: \(output)")
        #expect(output.contains("resuming at step \(saved)"))

        let read = try RunLogReader.read(path: log)
        #expect(!read.partialTail)
        let history = RunHistory.effective(read.events)
        let steps = history.compactMap { if case .step(let s) = $0 { s.step } else { nil } }
        #expect(steps == Array(1...24), "effective steps: \(steps)")
        #expect(history.contains { if case .control(let c) = $0 { c.action == "resume-run" && c.step == saved } else { false } })
        guard case .end(let end) = history.last else { Issue.record("no end event"); return }
        #expect(end.reason == "completed" && end.step == 24)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("student.safetensors").path))

        // A finished run is extended by resuming it with a larger total (logged as a `set` of iterations).
        let (extendedStatus, extendedOutput) = try CLI.run(["distill", "--resume", dir.path, "--iterations", "28", "--headless"])
        #expect(extendedStatus == 0 && extendedOutput.contains("resuming at step 24 of 28"), "\(extendedOutput)")
        let after = RunHistory.effective(try RunLogReader.read(path: log).events)
        #expect(after.contains { if case .control(let c) = $0 { c.action == "set" && c.key == "iterations" && c.old == 24 && c.new == 28 } else { false } })
        guard case .end(let extendedEnd) = after.last else { Issue.record("no end event after extending"); return }
        #expect(extendedEnd.reason == "completed" && extendedEnd.step == 28)
    }

    /// The cpu preset distils z-scored logits; `--no-kd-standardize` turns that off, and the run log says which.
    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func standardisedLogitsAreTheDefaultAndCanBeTurnedOff() throws {
        for (extra, logged) in [([String](), "true"), (["--no-kd-standardize"], "false")] {
            let dir = CLI.tempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            var args = Self.args(dir)
            args[args.firstIndex(of: "24")!] = "2"
            let (status, output) = try CLI.run(args + extra)
            #expect(status == 0, "\(output)")
            let settings = CLI.events(dir.appendingPathComponent("events.jsonl").path).compactMap { if case .config(let c) = $0 { c.settings } else { nil } }.first
            #expect(settings?["kd_standardize"] == logged, "\(extra)")
        }
    }

    /// `--select agreement` on the real test split: the delivered student is measured after the last evaluation, marked
    /// with the iteration it was kept at, and named in the headless output.
    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func aSelectedStudentIsMeasuredAndNamed() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var args = Self.args(dir)
        args[args.firstIndex(of: "24")!] = "4"
        args[args.firstIndex(of: "1000")!] = "2"
        let (status, output) = try CLI.run(args + ["--select", "agreement"])
        #expect(status == 0, "\(output)")
        let events = CLI.events(dir.appendingPathComponent("events.jsonl").path)
        let evals = events.compactMap { if case .eval(let e) = $0 { e } else { nil } }
        #expect(evals.map(\.step) == [2, 4, 4] && evals.dropLast().allSatisfy { $0.selectedStep == nil })
        let chosen = try #require(evals.last?.selectedStep)
        #expect([2, 4].contains(chosen) && evals.last?.classAgreement?.count == 10)
        #expect(events.contains { if case .control(let c) = $0 { c.action == "select-student" && c.new == Double(chosen) } else { false } })
        #expect(output.contains("delivered student (iteration \(chosen)'s)"), "\(output)")
    }

    /// `timeout` and batch schedulers signal the process and its group at once: two SIGTERMs a
    /// moment apart are one request, so the run saves once and stops cleanly.
    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func twoSignalsAtOnceSaveOnce() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("events.jsonl").path, out = dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + ".out")
        defer { try? FileManager.default.removeItem(at: out) }
        var args = Self.args(dir)
        args[2] = "100000"   // --iterations: long enough to be stopped
        let p = try CLI.start(args, output: out)
        let started = CLI.waitUntil(limit: 120) { CLI.events(log).contains { if case .step = $0 { true } else { false } } }
        kill(p.processIdentifier, SIGTERM)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(started)
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(p.terminationStatus == 130 && !text.contains("without saving"), "\(text)")
        let events = CLI.events(log)
        let stops = events.filter { if case .control(let c) = $0 { c.action == "stop" } else { false } }
        #expect(stops.count == 1)
        guard case .end(let end) = events.last else { Issue.record("no end event: \(text)"); return }
        #expect(end.reason == "interrupted")
        #expect(events.contains { if case .checkpoint(let c) = $0 { c.reason == "interrupted" } else { false } })
    }

    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func badInputsGetOneLineErrors() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.safetensors")
        try Data("definitely not weights".utf8).write(to: junk)
        var (status, out) = try CLI.run(["distill", "--teacher", junk.path, "--run-dir", dir.appendingPathComponent("r").path])
        #expect(status != 0 && out.contains(junk.path) && !out.contains("Fatal error"), "\(out)")
        (status, out) = try CLI.run(["distill", "--data", "/nonexistent", "--run-dir", dir.appendingPathComponent("r2").path])
        #expect(status != 0 && out.contains("/nonexistent") && out.contains("not found"), "\(out)")
        (status, out) = try CLI.run(["distill", "--resume", dir.path])
        #expect(status != 0 && out.contains("nothing to resume"), "\(out)")
        (status, out) = try CLI.run(["distill", "--batch", "1"])
        #expect(status != 0 && out.contains("--batch"), "\(out)")
        (status, out) = try CLI.run(["eval", "--weights", junk.path])
        #expect(status != 0 && out.contains(junk.path), "\(out)")
    }
}
