import Testing
@testable import RunEvents

@Suite struct RunHistoryTests {
    func step(_ n: Int) -> RunEvent {
        .step(StepEvent(step: n, time: Double(n), oh: 0, a: 0, ie: 0, kd: 0, total: 0, alpha: 0.1, beta: 5, ohWeight: 1,
                        lrG: 0.2, lrS: 0.002, hist: [], histEntropy: 0, stepsPerSecond: 1))
    }

    @Test func resumeDropsRedoneSteps() {
        let resume = RunEvent.control(ControlEvent(step: 2, time: 9, action: "resume-run", source: "cli"))
        let pause = RunEvent.control(ControlEvent(step: 3, time: 3, action: "pause", source: "keyboard"))
        let events = [step(1), step(2), step(3), pause, step(4), resume, step(3), step(4), step(5)]
        let h = RunHistory.effective(events)
        #expect(h.compactMap { if case .step(let s) = $0 { s.step } else { nil } } == [1, 2, 3, 4, 5])
        #expect(h.contains(pause) && h.contains(resume))
    }
}
