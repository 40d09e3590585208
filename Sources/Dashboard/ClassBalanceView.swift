import Foundation

/// Bars of the teacher's predicted classes on the generated images: the latest batch (bright)
/// over the replay memory the student learns from (faint; without replay, the last `histWindow` batches),
/// the uniform ideal as a marker, and the entropy against its maximum.
public enum ClassBalanceView {
    public static func draw(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, theme: Theme, focused: Bool = false) {
        let k = model.latestHist.count
        let maxBits = k > 1 ? log2(Double(k)) : 0
        let title = k > 0 ? String(format: "class balance  H %.2f/%.2f bits", model.histEntropy, maxBits) : "class balance"
        let inner = Box.draw(&buf, rect, title: title, theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        guard k > 0, inner.width >= 12, inner.height >= 1 else {
            if inner.width > 0 && inner.height > 0 { buf.text("waiting for data…", x: inner.x, y: inner.y, fg: theme.color("inactive_fg"), bg: bg) }
            return
        }
        let batch = Swift.max(1, model.latestHist.reduce(0, +))
        // The faint bars: the replay memory's mix when the run has one (the student's diet), else the recent batches'.
        let faint = model.memoryHist.count == k ? model.memoryHist : model.windowHist
        let window = Swift.max(1, faint.reduce(0, +))
        let nameWidth = Swift.min(10, Swift.max(2, (model.classNames.map(\.count).max() ?? 1)))
        let countWidth = 5
        // The student's agreement with the teacher per class (last evaluation), where there is room for it.
        let agreement = model.evals.last?.classAgreement.flatMap { $0.count == k ? $0 : nil }
        let agreeWidth = agreement != nil && inner.width - nameWidth - countWidth - 2 >= 4 + 5 ? 5 : 0
        let barWidth = inner.width - nameWidth - countWidth - agreeWidth - 2
        guard barWidth >= 4 else { return }
        // Scale: the largest share shown fills the bar; the ideal 1/K is marked.
        let maxShare = Swift.max(model.latestHist.map { Double($0) / Double(batch) }.max() ?? 0,
                                 faint.map { Double($0) / Double(window) }.max() ?? 0, 1.5 / Double(k))
        let idealCol = Int((1 / Double(k)) / maxShare * Double(barWidth))
        let rows = Swift.min(k, inner.height)
        for c in 0..<rows {
            let y = inner.y + c
            let name = c < model.classNames.count ? model.classNames[c] : "\(c)"
            buf.text(String(name.prefix(nameWidth)).padding(toLength: nameWidth, withPad: " ", startingAt: 0), x: inner.x, y: y,
                     fg: theme.color("graph_text"), bg: bg)
            let bx = inner.x + nameWidth + 1
            let share = Double(model.latestHist[c]) / Double(batch)
            let wshare = c < faint.count ? Double(faint[c]) / Double(window) : 0
            drawBar(&buf, x: bx, y: y, width: barWidth, fraction: wshare / maxShare, char: "░", color: theme.color("bar_window"), bg: bg)
            drawBar(&buf, x: bx, y: y, width: barWidth, fraction: share / maxShare, char: nil, color: theme.color("bar"), bg: bg)
            if idealCol < barWidth {
                let cell = buf[bx + idealCol, y]
                buf.set(bx + idealCol, y, Cell(char: cell.char == " " || cell.char == "░" ? "┆" : cell.char,
                                               fg: theme.color("ideal"), bg: cell.bg ?? bg))
            }
            buf.text(String(format: "%4d", model.latestHist[c]), x: bx + barWidth + 1, y: y, fg: theme.color("main_fg"), bg: bg)
            if agreeWidth > 0, let a = agreement?[c] {
                // The classes where the student still differs from its teacher stand out.
                buf.text(String(format: "%4.0f%%", a), x: bx + barWidth + 1 + countWidth - 1, y: y,
                         fg: a < 80 ? theme.color("warning") : theme.color("graph_text"), bg: bg)
            }
        }
        if inner.height > k {
            buf.text("█ batch ░ " + (model.memoryHist.count == k ? "memory" : "last \(model.histWindow)") + " ┆ uniform", x: inner.x, y: inner.y + k, fg: theme.color("inactive_fg"), bg: bg,
                     maxWidth: inner.width)
        }
        // The student's replay memory: how much of the generator's history it still learns from.
        if inner.height > k + 2, let held = model.memory, let cap = model.memoryCapacity, cap > 0 {
            let full = held >= cap ? ", full" : ""
            // `--replay-keep-rare`: rare-class images each eviction kept, the mean of the last 20 steps (short: the panel is narrow).
            let line = model.series["memory_kept"].map { s -> String in
                let last = s.values.suffix(20)
                return "memory \(Self.compact(held))/\(Self.compact(cap)), " + String(format: "keeps %.0f rare", last.reduce(0, +) / Double(Swift.max(last.count, 1)))
            } ?? "replay memory \(Self.compact(held))/\(Self.compact(cap))\(full)"
            buf.text(line, x: inner.x, y: inner.y + k + 2,
                     fg: theme.color("main_fg"), bg: bg, maxWidth: inner.width)
        }
        // Generators taking turns: the bars above are the batch of the one whose turn it was.
        if inner.height > k + 3, let turn = model.generatorTurn {
            buf.text("batch from generator \(turn.generator) of \(turn.of)", x: inner.x, y: inner.y + k + 3,
                     fg: theme.color("main_fg"), bg: bg, maxWidth: inner.width)
        }
        // Stable views: the share of shifted or mirrored replay images that kept their view (the last 20 steps).
        if inner.height > k + 3, model.generatorTurn == nil, let kept = model.series["views_kept"]?.values.suffix(20), !kept.isEmpty {
            buf.text(String(format: "stable views kept: %.0f%%", kept.reduce(0, +) / Double(kept.count)), x: inner.x, y: inner.y + k + 3,
                     fg: theme.color("main_fg"), bg: bg, maxWidth: inner.width)
        }
        if agreeWidth > 0, inner.height > k + 4, let at = model.evals.last?.step {
            buf.text("% student agrees (test, step \(at))", x: inner.x, y: inner.y + k + 4,
                     fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
        }
        // Boundary samples: how far the walks get (the teacher's class is the one walked toward), the last 20 steps.
        if inner.height > k + 1, let hits = model.series["boundary_hits"]?.values.suffix(20), !hits.isEmpty, model.series["on_target"] == nil {
            // `--boundary-stop`: the walks that reach their class stop there (short: the panel is narrow).
            let walks = model.boundaryStop ? (model.boundaryToward.map { "walks to \($0) stop" } ?? "walks reach target, stop")
                : (model.boundaryToward.map { "walks to \($0) reach it" } ?? "boundary walks reach target")
            buf.text(walks + String(format: ": %.0f%%", hits.reduce(0, +) / Double(hits.count)), x: inner.x, y: inner.y + k + 1,
                     fg: theme.color("main_fg"), bg: bg, maxWidth: inner.width)
        }
        // Targeted generation: how much of the batch the teacher sees as the class asked for (the last 20 steps).
        if inner.height > k + 1, let hits = model.series["on_target"]?.values.suffix(20), !hits.isEmpty {
            buf.text(String(format: "teacher sees the target: %.0f%%", hits.reduce(0, +) / Double(hits.count)), x: inner.x, y: inner.y + k + 1,
                     fg: theme.color("main_fg"), bg: bg, maxWidth: inner.width)
        }
    }

    /// 950, 38.4k, 128k.
    static func compact(_ n: Int) -> String {
        n < 1000 ? "\(n)" : n < 100_000 ? String(format: "%.1fk", Double(n) / 1000) : "\(n / 1000)k"
    }

    /// A horizontal bar with eighth-block resolution (or a fill character).
    static func drawBar(_ buf: inout CellBuffer, x: Int, y: Int, width: Int, fraction: Double, char: Unicode.Scalar?, color: RGB?, bg: RGB?) {
        let eighths = Int((Swift.max(0, Swift.min(1, fraction)) * Double(width * 8)).rounded())
        let full = eighths / 8, rest = eighths % 8
        for i in 0..<full { buf.set(x + i, y, Cell(char: char ?? "█", fg: color, bg: bg)) }
        if rest > 0 && full < width && char == nil {
            let partial: [Unicode.Scalar] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
            buf.set(x + full, y, Cell(char: partial[rest - 1], fg: color, bg: bg))
        }
    }
}
