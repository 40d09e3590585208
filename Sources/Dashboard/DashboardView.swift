/// What the user has chosen to look at (not part of the run): focus, preview mode, overlays.
public struct ViewState: Sendable {
    public enum Panel: Int, CaseIterable, Sendable { case losses, balance, previews, accuracy }
    public var focus: Panel = .losses
    /// When set, one loss chart fills the loss panel (Enter or its number choose, Esc returns to the grid).
    public var expandedLoss: Int?
    public var preview: PreviewMode = .ascii
    /// Previews in raw grey levels instead of the batch's contrast stretch (the c key).
    public var rawPreview = false
    public var showHelp = false
    public var confirmQuit = false
    /// Where the events come from, shown in the header: `live`, `replay x10 ▶`, `watch`.
    public var source = "live"
    public var smoothing = 0.6
    /// A message that replaces the screen (e.g. the end of a replay).
    public var banner: String?
    public init() {}
}

/// Lays out and draws the whole dashboard into a cell buffer.
///
/// ```swift
/// let buf = DashboardView.render(model, view: ViewState(), width: 120, height: 40, theme: .dark)
/// print(buf.plainText())
/// ```
public enum DashboardView {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public static let liveHints = "space pause  a/A α  b/B β  o/O oh  n step  s save  ? help  q quit"
    public static let cganTrainHints = "space pause  g/G lr G  d/D lr D  n step  s save  ? help  q quit"
    public static let cganDistillHints = "space pause  s save  ? help  q quit"
    /// The live key hints for a kind of run.
    public static func liveHints(for kind: RunKind) -> String {
        switch kind {
        case .dafl: liveHints
        case .cganTrain, .ccganTrain: cganTrainHints
        case .cganDistill, .ccganDistill: cganDistillHints
        }
    }
    public static let replayHints = "space play  ←/→ seek  +/- speed  Home/End  p preview  t theme  ? help  q quit"

    public static let helpLines = [
        "space      pause / resume training (replay: play / pause)",
        "a / A      lower / raise α, the activation-loss weight (×0.8 / ×1.25)",
        "b / B      lower / raise β, the information-entropy weight",
        "o / O      lower / raise the one-hot weight",
        "g/G d/D    cGAN: lower / raise the generator's / discriminator's learning rate",
        "n          one step while paused",
        "s          save a checkpoint now",
        "p          cycle preview: ascii / half-block grey",
        "c          preview contrast: stretched over the batch / raw grey",
        "t          cycle themes",
        "Tab ←→     move focus between panels (replay: ←/→ seek)",
        "1-9 Enter  expand a loss chart (its number); Esc back to the grid",
        "+ / -      replay speed; Home / End jump to start / end",
        "?          this help        q  quit (asks; saves first)",
        "",
        "Every action is recorded in the run log.",
    ]

    public static func render(_ model: DashboardModel, view: ViewState, width: Int, height: Int, theme: Theme,
                              hints: String = liveHints) -> CellBuffer {
        var buf = CellBuffer(width: width, height: height, fill: Cell(fg: theme.color("main_fg"), bg: theme.color("main_bg")))
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        guard width >= minimumWidth, height >= minimumHeight else {
            let lines = ["terminal too small: \(width)×\(height)", "dafl needs at least \(minimumWidth)×\(minimumHeight)",
                         "enlarge the window (q quits)"]
            for (i, l) in lines.enumerated() where i < height {
                buf.text(String(l.prefix(width)), x: Swift.max(0, (width - l.count) / 2), y: Swift.max(0, height / 2 - 1) + i,
                         fg: i == 0 ? theme.color("warning") : theme.color("main_fg"), bg: theme.color("main_bg"), bold: i == 0)
            }
            return buf
        }
        HeaderView.draw(&buf, Rect(x: 0, y: 0, width: width, height: 1), model: model, theme: theme, source: view.source)
        StatusLine.draw(&buf, Rect(x: 0, y: height - 1, width: width, height: 1), model: model, hints: hints, theme: theme)
        let body = Rect(x: 0, y: 1, width: width, height: height - 2)
        // Top: loss charts (left, wide) and class balance (right). Bottom: previews and accuracy.
        let topH = Swift.max(12, body.height * 3 / 5)
        let bottomH = body.height - topH
        let rightW = Swift.max(34, width * 3 / 10)
        let losses = Rect(x: body.x, y: body.y, width: width - rightW, height: topH)
        let balance = Rect(x: width - rightW, y: body.y, width: rightW, height: topH)
        let accW = Swift.max(34, width * 2 / 5)
        let previews = Rect(x: body.x, y: body.y + topH, width: width - accW, height: bottomH)
        let accuracy = Rect(x: width - accW, y: body.y + topH, width: accW, height: bottomH)

        buf.clipped(to: losses) { b in drawLosses(&b, losses, model: model, view: view, theme: theme) }
        buf.clipped(to: balance) { b in
            switch model.kind {
            case .dafl: ClassBalanceView.draw(&b, balance, model: model, theme: theme, focused: view.focus == .balance)
            case .cganTrain: PerClassView.drawDistances(&b, balance, model: model, theme: theme, focused: view.focus == .balance)
            case .cganDistill: PerClassView.drawFakeSet(&b, balance, model: model, theme: theme, focused: view.focus == .balance)
            case .ccganTrain: LabelPanels.drawSweep(&b, balance, model: model, theme: theme, focused: view.focus == .balance)
            case .ccganDistill: LabelPanels.drawLabelHistogram(&b, balance, model: model, theme: theme, focused: view.focus == .balance)
            }
        }
        buf.clipped(to: previews) { b in
            SamplePreview.draw(&b, previews, model: model, mode: view.preview, theme: theme, focused: view.focus == .previews, raw: view.rawPreview)
        }
        buf.clipped(to: accuracy) { b in drawAccuracy(&b, accuracy, model: model, view: view, theme: theme) }

        if view.showHelp { Overlay.draw(&buf, screen: screen, title: "keys", lines: helpLines, theme: theme) }
        if view.confirmQuit {
            Overlay.draw(&buf, screen: screen, title: "quit?", lines: ["Save a checkpoint and quit?", "", "y  yes, save and quit     n  no, keep going"],
                         theme: theme)
        }
        if let banner = view.banner { Overlay.draw(&buf, screen: screen, title: "dafl", lines: banner.split(separator: "\n").map(String.init), theme: theme) }
        return buf
    }

    /// The loss panel: a grid of the run's series (two per row, three when two would be too short; a
    /// short last row shares the width), or one expanded; sparkline rows when no grid fits.
    static func drawLosses(_ buf: inout CellBuffer, _ r: Rect, model: DashboardModel, view: ViewState, theme: Theme) {
        let all = model.chartSeries
        var options = LineChart.Options()
        options.smoothing = view.smoothing
        options.markers = model.markers
        options.keepsTitle = false
        func chart(_ i: Int, _ rect: Rect, focused: Bool) {
            let (key, label) = all[i]
            let s = model.series[key] ?? DashboardModel.Series()
            var o = options
            o.focused = focused
            // Colours by position, so every kind of run uses the themes' five series colours.
            let role = DashboardModel.lossSeries[i % DashboardModel.lossSeries.count].key
            LineChart.draw(&buf, rect, title: "\(i + 1) \(label)", steps: s.steps, values: s.values, color: theme.color(role), theme: theme, options: o)
        }
        if let e = view.expandedLoss, e < all.count {
            chart(e, r, focused: view.focus == .losses)
            return
        }
        guard let columns = gridColumns(count: all.count, in: r) else {
            Sparklines.draw(&buf, r, model: model, smoothing: view.smoothing, theme: theme, focused: view.focus == .losses)
            return
        }
        let rows = (all.count + columns - 1) / columns, rowH = r.height / rows
        for row in 0..<rows {
            let first = row * columns, n = Swift.min(columns, all.count - first)
            let y = r.y + row * rowH, h = row == rows - 1 ? r.height - row * rowH : rowH
            let colW = r.width / n
            for c in 0..<n {
                let w = c == n - 1 ? r.width - c * colW : colW
                chart(first + c, Rect(x: r.x + c * colW, y: y, width: w, height: h), focused: first + c == 0 && view.focus == .losses)
            }
        }
    }

    /// Charts per row for `count` loss series in `r`: two, or three when two would leave each chart
    /// under six rows (seven or eight terms at 120×40); nil when neither fits, for sparklines.
    static func gridColumns(count: Int, in r: Rect) -> Int? {
        for columns in [2, 3] {
            let rows = (Swift.max(count, 1) + columns - 1) / columns
            if r.height >= 6 * rows && (columns == 2 || r.width / columns >= 26) { return columns }
        }
        return nil
    }

    static func drawAccuracy(_ buf: inout CellBuffer, _ r: Rect, model: DashboardModel, view: ViewState, theme: Theme) {
        var o = LineChart.Options()
        o.smoothing = 0
        o.valueFormat = "%.2f%%"
        o.focused = view.focus == .accuracy
        if model.kind == .ccganTrain || model.kind == .ccganDistill {
            LabelPanels.drawErrorChart(&buf, r, model: model, theme: theme, focused: view.focus == .accuracy)
            return
        }
        if model.kind == .cganTrain {
            // A conditional generator is only useful if the teacher sees the class it was asked for.
            let s = model.series["agreement"] ?? DashboardModel.Series()
            LineChart.draw(&buf, r, title: "teacher agrees with the conditioning class", steps: s.steps, values: s.values,
                           color: theme.color("student"), theme: theme, options: o)
            return
        }
        if let t = model.teacherAccuracy { o.reference = (t, String(format: "teacher %.2f%%", t), theme.color("teacher")) }
        let best = model.bestStudentAccuracy.map { String(format: "  best %.2f%%", $0) } ?? ""
        // With --student-ema or --student-swa the curve is the weight average's; the trained student's latest value beside it.
        // A student pruned from the teacher, or started from a weights file, says so (short enough for 120 columns):
        // its curve starts high for that reason.
        // A gradually pruned one shows how far its dropped units have faded, live.
        // Student-side options beyond the KL ("SAM 0.05, CE×0.1") follow; the title then says "pruned" alone to fit.
        let extras = model.studentExtras.map { ", " + $0 } ?? ""
        let frozen = (model.frozenStudentLayers.map { ", \($0) frozen" } ?? "") + extras
        let plain = switch model.studentStart {
        case "teacher": extras.isEmpty ? "student acc. (pruned teacher\(frozen))" : "student (pruned\(frozen))"
        case "file": extras.isEmpty ? "student acc. (from a weights file\(frozen))" : "student (from file\(frozen))"
        case "gradual": model.fadingUnitsScale.map { String(format: "student acc. (fading ×%.2f", $0) + frozen + ")" }
            ?? "student acc. (gradual pruning\(frozen))"
        default: model.studentExtras.map { "student (\($0))" } ?? "student test accuracy"
        }
        let title = model.evals.last?.trainedStudentAccuracy.map { String(format: "%@ student%@  trained %.2f%%", model.weightAverage, best, $0) }
            ?? plain + best
        LineChart.draw(&buf, r, title: title, steps: model.evals.map(\.step),
                       values: model.evals.map(\.studentAccuracy), color: theme.color("student"), theme: theme, options: o)
    }
}
