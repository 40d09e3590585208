import Foundation

/// Compact loss view for short terminals: per term, its name, smoothed value, and a sparkline of
/// the smoothed curve in eighth blocks (▁…█), min and max at the ends.
public enum Sparklines {
    static let blocks: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public static func draw(_ buf: inout CellBuffer, _ r: Rect, model: DashboardModel, smoothing: Double, theme: Theme, focused: Bool) {
        // The keys 1…9 expand a chart; the title names the ones this run has.
        let inner = Box.draw(&buf, r, title: "losses (smoothed; 1-\(Swift.min(Swift.max(model.chartSeries.count, 1), 9)) expands one)", theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        let nameW = 20, valueW = 10
        // The min…max range label only where there is room for it and a useful sparkline.
        let avail = inner.width - nameW - valueW
        let rangeW = avail >= 40 ? 18 : 0
        let sparkW = avail - rangeW - 1
        for (row, (key, label)) in model.chartSeries.enumerated() where row < inner.height {
            let y = inner.y + row
            let values = smoothed(model.series[key]?.values ?? [], weight: smoothing).filter(\.isFinite)
            buf.text("\(row + 1) \(label)", x: inner.x, y: y, fg: theme.color(DashboardModel.lossSeries[row % DashboardModel.lossSeries.count].key), bg: bg, bold: true, maxWidth: nameW - 1)
            guard let last = values.last else {
                buf.text("waiting for data…", x: inner.x + nameW, y: y, fg: theme.color("inactive_fg"), bg: bg)
                continue
            }
            buf.text(String(format: "%9.4f", last), x: inner.x + nameW, y: y, fg: theme.color("main_fg"), bg: bg)
            guard sparkW >= 4 else { continue }
            // Average the curve into sparkW buckets.
            let n = values.count, cols = Swift.min(sparkW, n)
            var buckets: [Double] = []
            for c in 0..<cols {
                let a = c * n / cols, b = Swift.max(a + 1, (c + 1) * n / cols)
                buckets.append(values[a..<b].reduce(0, +) / Double(b - a))
            }
            let lo = buckets.min()!, hi = buckets.max()!
            for (i, v) in buckets.enumerated() {
                let level = hi - lo < 1e-12 ? 3 : Int(((v - lo) / (hi - lo) * 7).rounded())
                buf.set(inner.x + nameW + valueW + i, y, Cell(char: blocks[level], fg: theme.color(DashboardModel.lossSeries[row % DashboardModel.lossSeries.count].key), bg: bg))
            }
            if rangeW > 0 {
                buf.text(String(format: " %.3g…%.3g", lo, hi), x: inner.x + nameW + valueW + cols, y: y,
                         fg: theme.color("graph_text"), bg: bg, maxWidth: rangeW)
            }
        }
    }
}
