import Foundation
import RunEvents

/// Panels of cGAN-KD's regression runs (continuous labels): the generator's label sweep as the
/// teacher reads it, the fake set's labels asked for against the teacher's readings per label bin,
/// and the error curves (the generator's label error; the student's test MAE with the teacher's line).
public enum LabelPanels {
    /// The unit the run's labels are printed in ("°" for the rotation task).
    static func unit(_ model: DashboardModel) -> String {
        model.samples?.images.first?.unit ?? ""
    }

    static func label(_ v: Double, _ unit: String) -> String {
        Swift.abs(v) >= 100 ? String(format: "%.0f%@", v, unit) : String(format: "%.1f%@", v, unit)
    }

    /// The latest label sweep: each label asked for, the teacher's reading and a bar of the error.
    public static func drawSweep(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, theme: Theme, focused: Bool = false) {
        let inner = Box.draw(&buf, rect, title: "label asked → teacher reads", theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        let rows = (model.samples?.images ?? []).compactMap { img in img.target.map { ($0, img.value) } }
        guard !rows.isEmpty, inner.width >= 24, inner.height >= 2 else {
            if inner.width > 0 && inner.height > 0 {
                buf.text("waiting for samples…", x: inner.x, y: inner.y, fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
            }
            return
        }
        let u = unit(model)
        let worst = Swift.max(1e-9, rows.compactMap { r in r.1.map { Swift.abs($0 - r.0) } }.max() ?? 0)
        let textW = 17, barW = inner.width - textW - 1
        for (i, (asked, read)) in rows.prefix(inner.height - 1).enumerated() {
            let y = inner.y + i
            let text = label(asked, u).leftPadded(7) + " → " + (read.map { label($0, u) } ?? "?").leftPadded(7)
            buf.text(text, x: inner.x, y: y, fg: theme.color("main_fg"), bg: bg, maxWidth: textW)
            if let read, barW >= 4 {
                ClassBalanceView.drawBar(&buf, x: inner.x + textW + 1, y: y, width: barW, fraction: Swift.abs(read - asked) / worst,
                                         char: nil, color: theme.color("bar"), bg: bg)
            }
        }
        let footer = inner.y + Swift.min(rows.count, inner.height - 1)
        if footer < inner.maxY {
            let mae = model.series["label_mae"]?.last.map { "MAE " + label($0, u) + ", " } ?? ""
            buf.text("\(mae)bars |error|", x: inner.x, y: footer, fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
        }
    }

    /// The fake set per label bin: kept samples by the label asked for (bar) and by the teacher's reading (second bar).
    public static func drawLabelHistogram(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, theme: Theme, focused: Bool = false) {
        let inner = Box.draw(&buf, rect, title: "fake set by label", theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        guard let f = model.fakeSet, !f.kept.isEmpty, inner.width >= 24, inner.height >= 3 else {
            if inner.width > 0 && inner.height > 0 {
                let note = model.fakeSet == nil && model.stage == "student" ? "no fake images (real data only)" : "waiting for the fake set…"
                buf.text(note, x: inner.x, y: inner.y, fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
            }
            return
        }
        let bins = Swift.min(f.kept.count, f.accepted.count), u = unit(model)   // equal in any valid event
        let range = f.labelRange.flatMap { $0.count == 2 ? $0 : nil } ?? [0, 1]
        let predicted = f.predicted ?? []
        let most = Swift.max(1, (f.kept + predicted).max() ?? 1)
        let nameW = 8, statsW = 7
        let barW = (inner.width - nameW - statsW - 2) / 2
        buf.text("from".padding(toLength: nameW + 1, withPad: " ", startingAt: 0) + "asked".padding(toLength: barW, withPad: " ", startingAt: 0)
                 + "teacher".padding(toLength: barW + 1, withPad: " ", startingAt: 0) + " keep", x: inner.x, y: inner.y,
                 fg: theme.color("graph_text"), bg: bg, maxWidth: inner.width)
        for b in 0..<Swift.max(0, Swift.min(bins, inner.height - 2)) {
            let y = inner.y + 1 + b
            let lo = range[0] + (range[1] - range[0]) * Double(b) / Double(bins)
            buf.text(label(lo, u).leftPadded(nameW), x: inner.x, y: y, fg: theme.color("graph_text"), bg: bg)
            if barW >= 3 {
                ClassBalanceView.drawBar(&buf, x: inner.x + nameW + 1, y: y, width: barW - 1, fraction: Double(f.kept[b]) / Double(most),
                                         char: nil, color: theme.color("bar"), bg: bg)
                if b < predicted.count {
                    ClassBalanceView.drawBar(&buf, x: inner.x + nameW + 1 + barW, y: y, width: barW - 1, fraction: Double(predicted[b]) / Double(most),
                                             char: nil, color: theme.color("teacher"), bg: bg)
                }
            }
            let keep = f.accepted[b] > 0 ? Double(f.kept[b]) / Double(f.accepted[b]) * 100 : 0
            buf.text(String(format: "%5.1f%%", keep), x: inner.x + nameW + 1 + 2 * Swift.max(0, barW), y: y, fg: theme.color("main_fg"), bg: bg)
        }
        let footer = inner.y + 1 + Swift.min(bins, inner.height - 2)
        if footer < inner.maxY {
            let accepted = f.accepted.reduce(0, +), generated = f.generated.reduce(0, +)
            let sub = f.maxRatios.contains { $0 > 0 } ? String(format: ", %.0f%% accepted", Double(accepted) / Double(Swift.max(1, generated)) * 100) : ""
            buf.text("\(f.kept.reduce(0, +)) kept\(sub)\(f.relabelled ? ", relabelled" : "")", x: inner.x, y: footer,
                     fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
        }
    }

    /// CcGAN: the teacher's error reading generated images against the labels asked for. Student stage:
    /// the student's test MAE per epoch, with the teacher's as a line.
    public static func drawErrorChart(_ buf: inout CellBuffer, _ r: Rect, model: DashboardModel, theme: Theme, focused: Bool = false) {
        var o = LineChart.Options()
        o.smoothing = 0
        o.focused = focused
        let u = unit(model)
        o.valueFormat = "%.2f" + u.replacingOccurrences(of: "%", with: "%%")
        if model.kind == .ccganTrain {
            let s = model.series["label_mae"] ?? DashboardModel.Series()
            LineChart.draw(&buf, r, title: "teacher's reading vs label asked, MAE", steps: s.steps, values: s.values,
                           color: theme.color("student"), theme: theme, options: o)
            return
        }
        let s = model.series["test_mae"] ?? DashboardModel.Series()
        if let t = model.series["teacher_mae"]?.last { o.reference = (t, String(format: "teacher %.2f", t) + u, theme.color("teacher")) }
        let best = s.values.min().map { "  best " + String(format: "%.2f", $0) + u } ?? ""
        LineChart.draw(&buf, r, title: "student test MAE\(best)", steps: s.steps, values: s.values, color: theme.color("student"), theme: theme, options: o)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
