import Foundation
import RunEvents

/// Renders a run log as plain-text dashboard frames and a summary, with no terminal:
/// for CI logs, SSH sessions without a TTY, and reports.
public enum HeadlessReplay {
    public static func render(events: [RunEvent], width: Int, height: Int, every: Int?, theme: Theme, preview: PreviewMode) -> String {
        let history = RunHistory.effective(events)
        var model = DashboardModel()
        var view = ViewState()
        view.source = "replay"
        view.preview = preview
        var out = ""
        func frame() {
            out += "── frame at step \(model.step) " + String(repeating: "─", count: Swift.max(0, width - 20 - "\(model.step)".count)) + "\n"
            out += DashboardView.render(model, view: view, width: width, height: height, theme: theme, hints: "").plainText() + "\n"
        }
        var nextFrame = every.map { Swift.max(1, $0) } ?? Int.max
        for e in history {
            model.apply(e)
            // Frames at DAFL steps, and at the conditional GAN's steps (its `metrics` events).
            var at: Int? = nil
            if case .step(let s) = e { at = s.step }
            if case .metrics(let m) = e, m.stage == "gan", m.values["d_loss"] != nil { at = m.step }
            if let at, at >= nextFrame {
                frame()
                nextFrame = (at / every! + 1) * every!
            }
        }
        frame()
        return out + summary(model)
    }

    /// Final and best accuracy, time, control actions, checkpoints, how it ended.
    public static func summary(_ m: DashboardModel) -> String {
        var s = "── summary " + String(repeating: "─", count: 40) + "\n"
        s += "run: \(m.runName)  preset: \(m.preset)\n"
        s += "steps: \(m.step) of \(m.totalSteps)  time: \(HeaderView.duration(m.elapsed))  ended: \(m.endReason ?? "no end event (running, or cut off)")\n"
        if let last = m.evals.last {
            s += String(format: "student accuracy: final %.2f%%  best %.2f%%  teacher %.2f%%  agreement %.2f%%\n",
                        last.studentAccuracy, m.bestStudentAccuracy ?? last.studentAccuracy, last.teacherAccuracy, last.agreement)
            if let per = last.classAgreement, per.count == m.classNames.count {
                // Where the student still differs from its teacher: the three classes it agrees on least.
                let worst = per.indices.sorted { per[$0] < per[$1] }.prefix(3)
                s += "student agrees least on (test): " + worst.map { String(format: "%@ %.1f%%", m.classNames[$0], per[$0]) }.joined(separator: ", ") + "\n"
            }
            if let sel = m.selectedEval, let at = sel.selectedStep {
                s += String(format: "delivered (--select agreement, no test label used): the student of iteration %d, %.2f%%  agreement %.2f%%\n",
                            at, sel.studentAccuracy, sel.agreement)
            }
        } else if m.kind == .ccganDistill, let mae = m.series["test_mae"] {
            s += String(format: "student test MAE: final %.3f  best %.3f  teacher %.3f\n", mae.last ?? .nan, mae.values.min() ?? .nan,
                        m.series["teacher_mae"]?.last ?? .nan)
        } else if m.kind == .ccganTrain {
            if let e = m.series["label_mae"]?.last { s += String(format: "teacher's reading of generated images vs the label asked for: MAE %.3f\n", e) }
        } else if m.kind == .cganTrain {
            if let a = m.series["agreement"]?.last { s += String(format: "teacher agrees with the class asked for: %.1f%%\n", a) }
        } else {
            s += "student accuracy: no evaluation in the log\n"
        }
        for (key, _) in m.chartSeries {
            if let v = m.series[key]?.last { s += String(format: "  last %@ %.4f", key, v) }
        }
        if let f = m.fakeSet {
            s += "\nfake set: \(f.kept.reduce(0, +)) kept of \(f.generated.reduce(0, +)) generated, \(f.accepted.reduce(0, +)) accepted by subsampling; "
                + "teacher disagrees on \(f.disagreements.reduce(0, +))\(f.relabelled ? " (relabelled)" : "")"
        }
        if let fd = m.series["fd"]?.last { s += String(format: "\nFréchet distance (teacher features): %.2f", fd) }
        s += "\ncheckpoints: \(m.checkpoints)\n"
        let actions = m.controls.filter { $0.action != "checkpoint-failed" }
        s += "control actions: \(actions.count)\n"
        for c in actions { s += "  " + DashboardModel.describe(c) + "\n" }
        return s
    }
}
