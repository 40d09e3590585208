/// The effective history of a run whose log spans resumes.
///
/// After a kill, the steps between the last checkpoint and the kill are in the log but were redone
/// by the resumed process. At each `resume-run` control event at step S, earlier `step`, `metrics`, `samples`
/// and `eval` events with a step above S are dropped; control, checkpoint and config events stay
/// (they happened).
/// ```swift
/// let history = RunHistory.effective(try RunLogReader.read(path: p).events)
/// ```
public enum RunHistory {
    public static func effective(_ events: [RunEvent]) -> [RunEvent] {
        var out: [RunEvent] = []
        out.reserveCapacity(events.count)
        for e in events {
            if case .control(let c) = e, c.action == "resume-run" {
                out.removeAll { old in
                    switch old {
                    case .step, .samples, .eval, .metrics: old.step > c.step
                    default: false
                    }
                }
            }
            out.append(e)
        }
        return out
    }
}
