import Foundation
import RunEvents
import Testing
@testable import Dashboard

@Suite struct LayoutTests {
    @Test(arguments: [(80, 24), (120, 40), (200, 60), (100, 30)])
    func everyPanelIsVisible(width: Int, height: Int) {
        let b = DashboardView.render(Events.model(), view: ViewState(), width: width, height: height, theme: .dark)
        let t = b.text
        for title in ["one-hot", "activation", "info entropy", "distillation", "total", "class balance", "generated images",
                      "student test accuracy", "step 50/100"] {
            #expect(t.contains(title), "\(width)x\(height) lacks '\(title)'")
        }
        #expect(b.line(height - 1).contains("q quit"))
        #expect(t.contains("teacher 90.50%"))
    }

    /// A student pruned from the teacher is named in the accuracy panel's title; a random start is not.
    @Test func aStudentPrunedFromTheTeacherSaysSo() {
        var m = Events.model()
        #expect(!DashboardView.render(m, view: ViewState(), width: 200, height: 60, theme: .dark).text.contains("pruned teacher"))
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                                    settings: ["iterations": "100", "student_init": "teacher", "student_freeze": "conv1"],
                                    classNames: [], resumed: false, teacherAccuracy: 90.5)))
        m.apply(Events.eval(60, 80))
        let t = DashboardView.render(m, view: ViewState(), width: 200, height: 60, theme: .dark).text
        #expect(t.contains("student acc. (pruned teacher, conv1 frozen)  best 80.00%"))
        // The student-side options beyond the distillation loss follow, short.
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                                    settings: ["iterations": "100", "student_init": "teacher", "student_sam": "0.05", "kd_hard": "0.1", "kd_hint": "0.0"],
                                    classNames: [], resumed: false, teacherAccuracy: 90.5)))
        let e = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(e.contains("student (pruned, SAM 0.05, CE×0.1)") && !e.contains("hint"), "\(e)")
        // Procedural pictures among the replayed images, as a share.
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                                    settings: ["iterations": "100", "student_init": "teacher", "procedural": "0.5"],
                                    classNames: [], resumed: false, teacherAccuracy: 90.5)))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("student (pruned, proc 50%)"))
        // Class impressions among the replayed images, as a share (0.25 when the share is not logged).
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                                    settings: ["iterations": "100", "student_init": "teacher", "impressions": "8192"],
                                    classNames: [], resumed: false, teacherAccuracy: 90.5)))
        #expect(DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText().contains("student (pruned, impr 25%)"))
        // A student started from a weights file (`--student-weights`) says that instead of the pruned teacher.
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                                    settings: ["iterations": "100", "student_init": "teacher", "student_weights": "lsq.safetensors"],
                                    classNames: [], resumed: false, teacherAccuracy: 90.5)))
        let f = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).plainText()
        #expect(f.contains("student acc. (from a weights file)") && !f.contains("pruned teacher"), "\(f)")
    }

    /// A gradually pruned student shows its dropped units' multiplier while they fade, then that it is pruned.
    @Test func aGraduallyPrunedStudentShowsItsFade() {
        var m = Events.model()
        m.apply(.config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                                    settings: ["iterations": "100", "student_init": "gradual", "prune_fade": "80"],
                                    classNames: [], resumed: false, teacherAccuracy: 90.5)))
        m.apply(Events.eval(60, 80))
        var fading = EvalEvent(step: 40, time: 40, studentAccuracy: 89.5, teacherAccuracy: 90.5, agreement: 95, bestStudentAccuracy: nil)
        fading.fading = 0.5
        m.apply(.eval(fading))   // the wide net's 89.5 % is not the student's best
        m.step = 60
        var t = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).text
        #expect(t.contains("student acc. (fading ×0.25)  best 80.00%"))
        m.step = 80
        t = DashboardView.render(m, view: ViewState(), width: 120, height: 40, theme: .dark).text
        #expect(t.contains("student acc. (gradual pruning)  best 80.00%"))
    }

    @Test(arguments: [(79, 24), (80, 23), (40, 10), (10, 3)])
    func belowTheMinimumSaysSo(width: Int, height: Int) {
        let t = DashboardView.render(Events.model(), view: ViewState(), width: width, height: height, theme: .dark).text
        #expect(t.contains("too small") || width < 20)
        #expect(!t.contains("class balance"))
    }

    @Test func helpAndQuitOverlays() {
        var v = ViewState()
        v.showHelp = true
        #expect(DashboardView.render(Events.model(), view: v, width: 100, height: 30, theme: .dark).text.contains("pause / resume training"))
        v = ViewState()
        v.confirmQuit = true
        #expect(DashboardView.render(Events.model(), view: v, width: 100, height: 30, theme: .dark).text.contains("Save a checkpoint and quit?"))
    }

    @Test func expandedLossFillsThePanel() {
        var v = ViewState()
        v.expandedLoss = 3
        let t = DashboardView.render(Events.model(), view: v, width: 120, height: 40, theme: .dark).text
        #expect(t.contains("4 distillation") && !t.contains("1 one-hot"))
    }
}

@Suite struct ModelTests {
    @Test func controlEventsUpdateWeightsMarkersAndState() {
        var m = Events.model()
        m.apply(.control(ControlEvent(step: 50, time: 1, action: "set", key: "beta", old: 5, new: 6.25, source: "keyboard")))
        #expect(m.status.contains("β 5 → 6.25"))
        m.apply(.control(ControlEvent(step: 50, time: 1, action: "pause", source: "keyboard")))
        #expect(m.beta == 6.25 && m.markers == [.init(step: 50, label: "β")] && m.state == "paused")
        m.apply(.halt(HaltEvent(step: 51, time: 2, reason: "non-finite-loss", detail: "kd = nan", safeCheckpoint: "/r/c.safetensors")))
        #expect(m.state == "halted" && m.statusIsWarning && m.status.contains("/r/c.safetensors"))
    }

    @Test func generatorResetIsAWarningWithAMarker() {
        var m = Events.model()
        m.apply(.control(ControlEvent(step: 70, time: 1, action: "generator-reset", key: "generator collapsed (one class for 50 steps)",
                                      source: "trainer")))
        #expect(m.statusIsWarning && m.status.contains("step 70: generator collapsed"))
        #expect(m.markers == [.init(step: 70, label: "G")])
        m.apply(.control(ControlEvent(step: 90, time: 2, action: "generator-restart", source: "trainer")))
        #expect(!m.statusIsWarning && m.status.contains("generator restarted") && m.markers.last == .init(step: 90, label: "G"))
    }

    @Test func resumeDropsRedoneSteps() {
        var m = Events.model(steps: 30)
        m.apply(.control(ControlEvent(step: 20, time: 1, action: "resume-run", source: "cli")))
        #expect(m.series["oh"]?.steps.last == 20)
        m.apply(Events.step(21))
        #expect(m.series["oh"]?.steps.suffix(2) == [20, 21])
    }

    @Test func windowHistogramSumsRecentSteps() {
        var m = DashboardModel()
        for i in 1...60 { m.apply(Events.step(i, hist: [1, 0, 0, 0, 0, 0, 0, 0, 0, 1])) }
        #expect(m.windowHist[0] == 50 && m.windowHist[9] == 50 && m.latestHist[0] == 1)
    }

    @Test func headlessReplaySummaryListsActions() {
        var events: [RunEvent] = [Events.config()]
        for i in 1...20 { events.append(Events.step(i)) }
        events.append(.control(ControlEvent(step: 10, time: 5, action: "set", key: "beta", old: 5, new: 6.25, source: "keyboard")))
        events.append(Events.eval(20, 71.5))
        events.append(.end(EndEvent(step: 20, time: 10, reason: "completed", bestStudentAccuracy: 71.5, lastStudentAccuracy: 71.5)))
        let out = HeadlessReplay.render(events: events, width: 100, height: 30, every: 10, theme: .dark, preview: .ascii)
        #expect(out.components(separatedBy: "── frame at step").count - 1 == 3)   // steps 10, 20 and the final frame
        #expect(out.contains("final 71.50%") && out.contains("β 5 → 6.25 (keyboard)") && out.contains("ended: completed"))
    }
}

@Suite struct StatusLineTests {
    @Test func hintsKeepHelpAndQuitWhenShort() {
        let hints = DashboardView.liveHints
        #expect(StatusLine.fit(hints: hints, width: 200) == hints)
        let short = StatusLine.fit(hints: hints, width: 30)
        #expect(short.hasSuffix("? help  q quit") && short.count <= 30 && short.hasPrefix("space pause"))
        #expect(StatusLine.fit(hints: hints, width: 14) == "? help  q quit")
    }
}
