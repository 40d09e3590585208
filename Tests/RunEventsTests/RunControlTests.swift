import Testing
@testable import RunEvents

@Suite struct RunControlTests {
    @Test func appliesCommandsInOrderAndLogsEach() {
        let c = RunControl(state: .running)
        var logged: [ControlEvent] = [], value: Float = 2, saves = 0
        c.send(.pause, source: "keyboard")
        c.send(.scale("lr_g", 0.5), source: "keyboard")
        c.send(.set("unknown", 3), source: "keyboard")      // not the trainer's: ignored, not logged
        c.send(.checkpoint, source: "cli")
        c.send(.stepOnce, source: "keyboard")
        c.send(.resume, source: "keyboard")                 // waits behind the step-once
        let tune: (TunableKey, Float, Bool) -> (old: Float, new: Float)? = { key, v, scale in
            guard key == .lrG else { return nil }
            let old = value
            value = scale ? old * v : v
            return (old, value)
        }
        let first = c.apply(step: 7, time: { 1.5 }, sink: { if case .control(let e) = $0 { logged.append(e) } }, tune: tune, checkpoint: { saves += 1 })
        #expect(first.stepOnce && first.stopReason == nil && c.state == .paused)
        #expect(logged.map(\.action) == ["pause", "set", "checkpoint", "step-once"])
        #expect(logged[1].key == "lr_g" && logged[1].old == 2 && logged[1].new == 1 && value == 1 && saves == 1)
        #expect(logged.allSatisfy { $0.step == 7 && $0.time == 1.5 })
        c.send(.stop(reason: "interrupted"), source: "signal")
        let second = c.apply(step: 8, time: { 2 }, sink: { if case .control(let e) = $0 { logged.append(e) } }, tune: tune, checkpoint: {})
        #expect(logged.suffix(2).map(\.action) == ["resume", "stop"] && second.stopReason == "interrupted" && c.state == .stopped)
        // Stopped is final.
        c.setState(.running)
        #expect(c.state == .stopped)
    }
}
