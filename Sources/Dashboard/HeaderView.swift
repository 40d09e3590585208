import Foundation

/// The top line: run, preset, progress, speed, ETA, state and the loss weights in force.
public enum HeaderView {
    public static func draw(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, theme: Theme, source: String) {
        let bg = theme.color("selected_bg")
        buf.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), with: Cell(fg: theme.color("main_fg"), bg: bg))
        var x = buf.text(" dafl ", x: rect.x, y: rect.y, fg: theme.color("title"), bg: bg, bold: true)
        let stateColor = model.state == "running" || model.state == "completed" ? theme.color("running")
            : model.state == "halted" ? theme.color("warning") : theme.color("paused")
        let icon = model.state == "running" ? "▶" : model.state == "paused" ? "⏸" : model.state == "halted" ? "✖" : "■"
        x = buf.text("\(icon) \(model.state.uppercased()) ", x: x, y: rect.y, fg: stateColor, bg: bg, bold: true)
        let eta = model.stepsPerSecond > 0 && model.totalSteps > model.step
            ? Self.duration(Double(model.totalSteps - model.step) / model.stepsPerSecond) : "--:--"
        let pct = model.totalSteps > 0 ? Double(model.step) / Double(model.totalSteps) * 100 : 0
        let parts = [
            "step \(model.step)/\(model.totalSteps) (\(String(format: "%.0f", pct))%)",
            String(format: "%.2f it/s", model.stepsPerSecond), "ETA \(eta)",
            Self.tunables(model),
            "\(model.preset)", model.runName, source,
        ]
        for p in parts where x < rect.maxX {
            x = buf.text("│ ", x: x, y: rect.y, fg: theme.color("div_line"), bg: bg)
            x = buf.text(p + " ", x: x, y: rect.y, fg: theme.color("main_fg"), bg: bg, bold: p == parts[3], maxWidth: rect.maxX - x)
        }
    }

    /// The values a user tunes in this kind of run, as they stand.
    static func tunables(_ model: DashboardModel) -> String {
        switch model.kind {
        case .dafl: String(format: "α %.4g  β %.4g  oh %.4g", model.alpha, model.beta, model.ohWeight)
            + (model.generatorScheduled ? String(format: "  lrG %.3g", model.generatorRate) : "")
        case .cganTrain, .ccganTrain: String(format: "lr G %.3g  lr D %.3g", model.tunables["lr_g"] ?? 0, model.tunables["lr_d"] ?? 0)
        case .cganDistill, .ccganDistill: "stage \(model.stage.isEmpty ? "starting" : model.stage)"
        }
    }

    public static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "--:--" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

/// The bottom line: the latest notice (warnings in their colour) and the key hints.
public enum StatusLine {
    public static func draw(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, hints: String, theme: Theme) {
        let bg = theme.color("selected_bg")
        buf.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), with: Cell(bg: bg))
        let shown = fit(hints: hints, width: Swift.max(16, rect.width / 2))
        let statusWidth = rect.width - shown.count - 2
        buf.text(" " + model.status, x: rect.x, y: rect.y, fg: model.statusIsWarning ? theme.color("warning") : theme.color("main_fg"),
                 bg: bg, bold: model.statusIsWarning, maxWidth: statusWidth)
        buf.text(shown, x: rect.maxX - shown.count - 1, y: rect.y, fg: theme.color("hi_fg"), bg: bg)
    }

    /// As many hints (separated by two spaces) as fit in `width`, always keeping the last two
    /// ("? help", "q quit"): dropping from the middle, never cutting one in half.
    static func fit(hints: String, width: Int) -> String {
        let items = hints.components(separatedBy: "  ").filter { !$0.isEmpty }
        guard items.count > 2 else { return String(hints.prefix(width)) }
        let tail = Array(items.suffix(2))
        var head: [String] = []
        for item in items.dropLast(2) {
            let candidate = (head + [item] + tail).joined(separator: "  ")
            if candidate.count > width { break }
            head.append(item)
        }
        return String((head + tail).joined(separator: "  ").prefix(width))
    }
}

/// A centred box over the screen: help, a question, or a message.
public enum Overlay {
    public static func draw(_ buf: inout CellBuffer, screen: Rect, title: String, lines: [String], theme: Theme) {
        let w = Swift.min(screen.width - 2, (lines.map(\.count).max() ?? 0) + 4)
        let h = Swift.min(screen.height - 2, lines.count + 2)
        guard w > 4, h > 2 else { return }
        let r = Rect(x: screen.x + (screen.width - w) / 2, y: screen.y + (screen.height - h) / 2, width: w, height: h)
        buf.fill(r, with: Cell(bg: theme.color("selected_bg")))
        let inner = Box.draw(&buf, r, title: title, theme: theme, focused: true)
        for (i, l) in lines.prefix(inner.height).enumerated() {
            buf.text(l, x: inner.x + 1, y: inner.y + i, fg: theme.color("selected_fg") ?? theme.color("main_fg"),
                     bg: theme.color("selected_bg"), maxWidth: inner.width - 1)
        }
    }
}
