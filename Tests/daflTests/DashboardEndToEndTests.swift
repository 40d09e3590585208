import Foundation
import RunEvents
import Testing

/// The dashboard as a person uses it, in a real terminal (tmux): pause, raise β twice, resume,
/// quit; then the log replayed headless shows those actions.
@Suite(.serialized) struct DashboardEndToEndTests {
    @Test(.enabled(if: Tmux.available && CLI.hasData, "needs tmux and dataset-fashion-mnist"))
    func pauseTuneResumeQuitThenReplay() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cmd = "\(CLI.binary.path) distill --iterations 5000 --batch 8 --generator-width 8 --student-steps 2 --replay 2 "
            + "--eval-every 100000 --checkpoint-every 100000 --samples-every 5 --run-dir \(dir.path)"
        let t = Tmux(command: cmd, env: ["TERM": "xterm-256color"])
        defer { t.kill() }

        let running = t.waitForScreen(limit: 120) { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > 0 }
        try #require(running != nil, "dashboard never showed a running step:\n\(t.screen)")

        t.keys(" ")
        let paused = try #require(t.waitForScreen { $0.contains("PAUSED") }, "no PAUSED after space:\n\(t.screen)")
        let stepAtPause = try #require(Tmux.step(in: paused))
        // The counter must stay put while paused: watch it for a second.
        var moved = false
        _ = CLI.waitUntil(limit: 1.0) { moved = Tmux.step(in: t.screen) != stepAtPause; return moved }
        #expect(!moved, "step counter moved while paused")

        t.keys("B")
        #expect(t.waitForScreen { $0.contains("β 6.25") } != nil, "header did not show β 6.25")
        t.keys("B")
        #expect(t.waitForScreen { $0.contains("β 7.812") } != nil, "header did not show β 7.812")

        t.keys(" ")
        #expect(t.waitForScreen { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > stepAtPause } != nil, "did not resume")

        t.keys("q")
        #expect(t.waitForScreen { $0.contains("quit?") } != nil, "no quit confirmation")
        t.keys("y")
        let log = dir.appendingPathComponent("events.jsonl").path
        #expect(CLI.waitUntil(limit: 60) { !t.alive }, "dafl did not exit after q, y")
        let events = try RunLogReader.read(path: log).events
        // The user's actions; the trainer's own notices (a generator reset after a collapse, which a
        // tiny generator may hit depending on how many steps run) are not what this test is about.
        let controls = events.compactMap { if case .control(let c) = $0, c.source != "trainer" { c } else { nil } }
        #expect(controls.map(\.action) == ["pause", "set", "set", "resume", "stop"], "\(controls.map(\.action))")
        #expect(controls.filter { $0.action == "set" }.map(\.new) == [6.25, 7.8125])
        guard case .end(let end) = events.last else { Issue.record("log has no end event"); return }
        #expect(end.reason == "stopped")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("student.safetensors").path))

        let (status, summary) = try CLI.run(["replay", log, "--headless", "--size", "100x30"])
        #expect(status == 0)
        for line in ["pause by keyboard", "β 5 → 6.25 (keyboard)", "β 6.25 → 7.812 (keyboard)", "resume by keyboard", "stop (stopped) by keyboard"] {
            #expect(summary.contains(line), "summary lacks '\(line)'")
        }
    }

    /// The conditional GAN on the dashboard: its panels, pause, the generator's learning rate raised
    /// live, quit; the log then holds those actions and the run resumes from its checkpoint.
    @Test(.enabled(if: Tmux.available && CLI.hasData, "needs tmux and dataset-fashion-mnist"))
    func cganTrainingIsSteeredFromTheDashboard() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = dir.path + "-t.safetensors"
        defer { try? FileManager.default.removeItem(atPath: teacher) }
        let (status, out) = try CLI.run(["teacher", "--per-class", "20", "--epochs", "1", "--out", teacher])
        try #require(status == 0, "\(out)")
        let cmd = "\(CLI.binary.path) cgan train --per-class 20 --iterations 100000 --batch 8 --generator-width 8 --discriminator-width 4 "
            + "--teacher \(teacher) --fd-every 20 --fd-samples 4 --samples-every 5 --out \(dir.path)"
        let t = Tmux(command: cmd, width: 100, height: 30, env: ["TERM": "xterm"])
        defer { t.kill() }
        let shown = t.waitForScreen(limit: 120) {
            $0.contains("RUNNING") && $0.contains("D loss") && $0.contains("Fréchet distance per class") && $0.contains("Boot")
                && $0.contains("teacher agrees") && (Tmux.step(in: $0) ?? 0) > 20
        }
        try #require(shown != nil, "the cGAN dashboard never showed its panels:\n\(t.screen)")
        t.keys(" ")
        try #require(t.waitForScreen { $0.contains("PAUSED") } != nil, "no PAUSED after space:\n\(t.screen)")
        t.keys("G")
        #expect(t.waitForScreen { $0.contains("lr G 0.00025") } != nil, "header did not show the raised rate:\n\(t.screen)")
        t.keys("q")
        #expect(t.waitForScreen { $0.contains("quit?") } != nil, "no quit confirmation")
        t.keys("y")
        #expect(CLI.waitUntil(limit: 60) { !t.alive }, "dafl did not exit after q, y")
        let events = try RunLogReader.read(path: dir.appendingPathComponent("events.jsonl").path).events
        let controls = events.compactMap { if case .control(let c) = $0, c.source != "trainer" { c } else { nil } }
        #expect(controls.map(\.action) == ["pause", "set", "stop"], "\(controls.map(\.action))")
        #expect(controls.first { $0.action == "set" }?.key == "lr_g")
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("checkpoint.json"))) as? [String: Any]
        #expect((info?["lrG"] as? Double).map { abs($0 - 2.5e-4) < 1e-9 } == true, "the checkpoint keeps the tuned rate")
    }

    /// A resize storm while training, down to 20×10 and back: no crash, the dashboard redraws at the
    /// full size, training goes on, and q leaves the terminal restored (issue 13).
    @Test(.enabled(if: Tmux.available && CLI.hasData, "needs tmux and dataset-fashion-mnist"))
    func resizeStormLeavesARunningDashboardAndARestoredTerminal() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cmd = "\(CLI.binary.path) distill --iterations 100000 --batch 8 --generator-width 8 --student-steps 2 --replay 2 "
            + "--eval-every 100000 --checkpoint-every 100000 --samples-every 5 --run-dir \(dir.path); echo EXIT=$?; sleep 30"
        let t = Tmux(command: cmd, env: ["TERM": "xterm-256color"])
        defer { t.kill() }
        try #require(t.waitForScreen(limit: 120) { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > 0 } != nil, "\(t.screen)")
        let sizes = [(20, 10), (80, 24), (200, 60), (33, 11), (120, 40), (81, 25), (20, 10), (150, 45)]
        for i in 0..<120 {
            let (w, h) = sizes[i % sizes.count]
            t.resize(width: w, height: h)
        }
        t.resize(width: 20, height: 10)
        #expect(t.waitForScreen(limit: 20) { $0.contains("too small") } != nil, "20×10 did not say it is too small:\n\(t.screen)")
        t.resize(width: 120, height: 40)
        let back = t.waitForScreen { $0.contains("RUNNING") && $0.contains("class balance")
            && ($0.contains("student test accuracy") || $0.contains("student acc. (")) }
        try #require(back != nil, "the dashboard did not come back at 120×40:\n\(t.screen)")
        let stepAfter = Tmux.step(in: back!) ?? 0
        #expect(t.waitForScreen { (Tmux.step(in: $0) ?? 0) > stepAfter } != nil, "training stopped after the storm")
        t.keys("q")
        #expect(t.waitForScreen { $0.contains("quit?") } != nil)
        t.keys("y")
        let after = t.waitForScreen { $0.contains("EXIT=") }
        #expect(after?.contains("EXIT=130") == true, "dafl did not end as a stopped run:\n\(t.screen)")
        // The shell's output is visible again: the dashboard left the alternate screen and restored the terminal.
        #expect(after.map { !$0.contains("RUNNING") && !$0.contains("╭─") } == true, "the terminal was not restored:\n\(after ?? "")")
    }

    @Test(.enabled(if: Tmux.available, "needs tmux"))
    func tooSmallTerminalSaysSoAndQuits() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // A finished log to replay interactively in a 60x20 terminal.
        let log = dir.appendingPathComponent("events.jsonl")
        let line = try RunEvent.config(ConfigEvent(step: 0, time: 0, run: "x", preset: "cpu", settings: ["iterations": "1"],
                                                   classNames: [], resumed: false, teacherAccuracy: nil)).jsonLine()
        try (line + "\n").write(to: log, atomically: true, encoding: .utf8)
        let t = Tmux(command: "\(CLI.binary.path) replay \(log.path)", width: 60, height: 20, env: ["TERM": "xterm-256color"])
        defer { t.kill() }
        #expect(t.waitForScreen { $0.contains("terminal too small") && $0.contains("80×24") } != nil, "\(t.screen)")
        t.keys("q")
        #expect(CLI.waitUntil(limit: 10) { !t.alive })
    }
}
