import Foundation

/// A braille line chart: the raw series faint underneath its smoothed curve, autoscaled y axis
/// with labels, step labels, the current value, vertical markers, and an optional reference line.
///
/// ```swift
/// LineChart.draw(&buf, rect, title: "one-hot", steps: s, values: v, color: theme.color("oh"), theme: theme)
/// ```
public enum LineChart {
    public struct Options {
        public var smoothing = 0.6
        public var markers: [DashboardModel.Marker] = []
        /// A horizontal line (e.g. the teacher's accuracy) and its label.
        public var reference: (value: Double, label: String, color: RGB?)?
        public var focused = false
        /// Fixed y range (else autoscaled).
        public var yRange: ClosedRange<Double>?
        public var valueFormat = "%.4f"
        public var xRange: ClosedRange<Int>?
        /// When the header does not fit: true keeps the whole title and drops the value, false (the loss
        /// grid) shortens the title to keep the value.
        public var keepsTitle = true
        public init() {}
    }

    public static func draw(_ buf: inout CellBuffer, _ rect: Rect, title: String, steps: [Int], values: [Double],
                            color: RGB?, theme: Theme, options: Options = Options()) {
        let sm = smoothed(values, weight: options.smoothing)
        var header = title
        if let last = values.last {
            let value = String(format: options.valueFormat, sm.last ?? last)
            // A narrow chart shortens its title rather than cut its value (the box's edge takes 6 cells).
            let room = rect.width - 6 - value.count - 2
            if title.count > room && room >= 4 && !options.keepsTitle { header = String(title.prefix(room - 1)) + "…" }
            if header.count <= room || !options.keepsTitle { header += "  " + value }
            let raw = " (raw " + String(format: options.valueFormat, last) + ")"
            if options.smoothing > 0 && header.count + raw.count + 6 <= rect.width { header += raw }
        }
        let inner = Box.draw(&buf, rect, title: header, theme: theme, focused: options.focused)
        guard inner.width >= 12, inner.height >= 3 else { return }
        let bg = theme.color("main_bg"), text = theme.color("graph_text")
        // y labels on the left, a row of step labels at the bottom.
        let labelWidth = 8
        let plot = Rect(x: inner.x + labelWidth, y: inner.y, width: inner.width - labelWidth, height: inner.height - 1)
        guard !steps.isEmpty, plot.width > 1, plot.height > 0 else {
            buf.text("waiting for data…", x: inner.x + 1, y: inner.y, fg: theme.color("inactive_fg"), bg: bg)
            return
        }
        let finite = values.filter(\.isFinite) + sm.filter(\.isFinite)
        var lo = options.yRange?.lowerBound ?? finite.min() ?? 0
        var hi = options.yRange?.upperBound ?? finite.max() ?? 1
        if let r = options.reference, options.yRange == nil { lo = Swift.min(lo, r.value); hi = Swift.max(hi, r.value) }
        if hi - lo < 1e-9 { let pad = Swift.max(abs(hi) * 0.05, 1e-3); lo -= pad; hi += pad }
        let pad = (hi - lo) * 0.05
        if options.yRange == nil { lo -= pad; hi += pad }
        let x0 = options.xRange?.lowerBound ?? steps.first!, x1 = Swift.max(options.xRange?.upperBound ?? steps.last!, x0 + 1)
        var canvas = BrailleCanvas(cols: plot.width, rows: plot.height)
        func px(_ s: Int) -> Int { Int((Double(s - x0) / Double(x1 - x0) * Double(canvas.dotWidth - 1)).rounded()) }
        func py(_ v: Double) -> Int {
            let f = (v - lo) / (hi - lo)
            return Int(((1 - f) * Double(canvas.dotHeight - 1)).rounded())
        }
        // Raw: per dot column, the span from min to max (faint). Smoothed: a line through the column means.
        var colMin = [Double](repeating: .infinity, count: canvas.dotWidth), colMax = colMin.map { -$0 }
        var colSmooth = [Double?](repeating: nil, count: canvas.dotWidth)
        for (i, s) in steps.enumerated() where s >= x0 && s <= x1 {
            let c = px(s)
            guard c >= 0, c < canvas.dotWidth else { continue }
            if values[i].isFinite { colMin[c] = Swift.min(colMin[c], values[i]); colMax[c] = Swift.max(colMax[c], values[i]) }
            if sm[i].isFinite { colSmooth[c] = sm[i] }
        }
        for c in 0..<canvas.dotWidth where colMin[c] <= colMax[c] {
            canvas.line(c, py(colMin[c]), c, py(colMax[c]), bright: false)
        }
        var prev: (Int, Int)?
        for c in 0..<canvas.dotWidth {
            guard let v = colSmooth[c] else { continue }
            let p = (c, py(v))
            if let q = prev { canvas.line(q.0, q.1, p.0, p.1, bright: true) } else { canvas.dot(p.0, p.1, bright: true) }
            prev = p
        }
        canvas.draw(into: &buf, x: plot.x, y: plot.y, brightColor: color, faintColor: theme.color("inactive_fg"), bg: bg)
        // Reference line (dashed) and its label.
        if let r = options.reference {
            let row = plot.y + Swift.min(plot.height - 1, Swift.max(0, py(r.value) / 4))
            for x in stride(from: plot.x, to: plot.maxX, by: 2) where buf[x, row].char == " " {
                buf.set(x, row, Cell(char: "╌", fg: r.color, bg: bg))
            }
            buf.text(r.label, x: plot.maxX - r.label.unicodeScalars.count, y: row, fg: r.color, bg: bg)
        }
        // Markers: a glyph on the top row and a faint vertical tick.
        for m in options.markers where m.step >= x0 && m.step <= x1 {
            let col = plot.x + px(m.step) / 2
            for y in plot.y..<plot.maxY where buf[col, y].char == " " { buf.set(col, y, Cell(char: "┊", fg: theme.color("marker"), bg: bg)) }
            buf.text(m.label, x: col, y: plot.y, fg: theme.color("marker"), bg: bg, bold: true)
        }
        // Axis labels.
        buf.text(label(hi, width: labelWidth - 1), x: inner.x, y: plot.y, fg: text, bg: bg)
        buf.text(label(lo, width: labelWidth - 1), x: inner.x, y: plot.maxY - 1, fg: text, bg: bg)
        if plot.height >= 5 { buf.text(label((hi + lo) / 2, width: labelWidth - 1), x: inner.x, y: plot.y + plot.height / 2, fg: text, bg: bg) }
        let left = "\(x0)", right = "step \(x1)"
        buf.text(left, x: plot.x, y: inner.maxY - 1, fg: text, bg: bg)
        buf.text(right, x: plot.maxX - right.count, y: inner.maxY - 1, fg: text, bg: bg)
    }

    /// A number in at most `width` characters.
    static func label(_ v: Double, width: Int) -> String {
        for f in ["%.4g", "%.3g", "%.2g", "%.1g"] {
            let s = String(format: f, v)
            if s.count <= width { return String(repeating: " ", count: width - s.count) + s }
        }
        return String(String(format: "%.0e", v).prefix(width))
    }
}
