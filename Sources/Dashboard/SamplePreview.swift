import Foundation
import RunEvents

/// How generated images are drawn.
public enum PreviewMode: String, CaseIterable, Sendable {
    /// Characters from a density ramp, one cell per 2×4 pixels: works on any terminal.
    case ascii
    /// '▀' with the top pixel as foreground and the bottom as background: two pixels per cell, grey levels.
    case halfBlock = "half-block"
}

/// A grid of the latest generated images, each labelled with the teacher's class and confidence.
public enum SamplePreview {
    static let ramp: [Unicode.Scalar] = Array(" .:-=+*#%@".unicodeScalars)

    public static func draw(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, mode: PreviewMode,
                            theme: Theme, focused: Bool = false, raw: Bool = false) {
        let conditional = model.samples?.images.contains { $0.conditioning != nil } ?? false
        let regression = model.samples?.images.contains { $0.target != nil } ?? false
        let title = model.samples.map {
            (regression ? "label asked for → teacher reads" : conditional ? "samples by class asked for → teacher" : "generated images")
                + " (step \($0.step), \(mode.rawValue), \(contrast($0, raw: raw)))"
        } ?? "generated images"
        let inner = Box.draw(&buf, rect, title: title, theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        guard let s = model.samples, !s.images.isEmpty, inner.width >= 8, inner.height >= 3 else {
            if inner.width > 0 && inner.height > 0 { buf.text("waiting for samples…", x: inner.x, y: inner.y, fg: theme.color("inactive_fg"), bg: bg) }
            return
        }
        // Tiles of up to 16×8 cells (2×4 pixels a cell), smaller when the panel is short;
        // cells are about twice as tall as wide, so a tile is twice as wide as high.
        // Two rows of tiles when the panel is tall enough to keep them at least 5 rows high.
        let tileRows = inner.height >= 12 ? 2 : 1
        let tileH = Swift.max(3, Swift.min(s.height / 4, inner.height / tileRows - 1)), tileW = Swift.max(6, tileH * 2)
        let labelRows = 1
        let across = Swift.max(1, (inner.width + 1) / (tileW + 1))
        let down = Swift.max(0, (inner.height) / (tileH + labelRows))
        var i = 0
        for row in 0..<down {
            for col in 0..<across where i < s.images.count {
                let img = s.images[i]
                let ox = inner.x + col * (tileW + 1), oy = inner.y + row * (tileH + labelRows)
                let shown = display(img.bytes, range: s.greyRange, raw: raw), plane = s.width * s.height
                if s.channels == 3 && shown.count == 3 * plane {
                    // Colour: half blocks in RGB (the painter maps them to the terminal's colours); ASCII by luminance.
                    if mode == .halfBlock {
                        drawColorImage(&buf, shown, width: s.width, height: s.height, x: ox, y: oy, cols: tileW, rows: tileH)
                    } else {
                        let luma = (0..<plane).map { j -> UInt8 in
                            let (r, g, b) = (Double(shown[j]), Double(shown[plane + j]), Double(shown[2 * plane + j]))
                            let y: Double = 0.299 * r + 0.587 * g + 0.114 * b
                            return UInt8(y.rounded())
                        }
                        drawImage(&buf, luma, width: s.width, height: s.height, x: ox, y: oy, cols: tileW, rows: tileH, mode: mode, theme: theme)
                    }
                } else {
                    drawImage(&buf, shown, width: s.width, height: s.height, x: ox, y: oy, cols: tileW, rows: tileH, mode: mode, theme: theme)
                }
                let label = caption(img, model: model, width: tileW)
                buf.text(String(label.prefix(tileW)), x: ox, y: oy + tileH, fg: img.confidence >= 0.9 ? theme.color("main_fg") : theme.color("inactive_fg"),
                         bg: bg)
                i += 1
            }
        }
    }

    /// How the grey levels are mapped, for the panel title: the batch's stretch, or raw.
    static func contrast(_ s: SamplesEvent, raw: Bool) -> String {
        guard let r = s.greyRange, r.count == 2 else { return raw ? "raw" : "per-image stretch" }
        return raw ? "raw grey 0–1" : String(format: "grey %.2f–%.2f stretched", r[0], r[1])
    }

    /// The bytes to draw. Stretched events are shown as stored, or mapped back to raw grey levels
    /// (clipped to black and white); version-1 events (raw bytes) are stretched per image unless raw.
    static func display(_ px: [UInt8], range: [Double]?, raw: Bool) -> [UInt8] {
        guard let r = range, r.count == 2 else {
            guard !raw, let lo = px.min(), let hi = px.max() else { return px }
            let span = Swift.max(1, Int(hi) - Int(lo))
            return px.map { UInt8((Int($0) - Int(lo)) * 255 / span) }
        }
        guard raw else { return px }
        return px.map { b in UInt8(Swift.max(0, Swift.min(255, ((r[0] + Double(b) / 255 * (r[1] - r[0])) * 255).rounded()))) }
    }

    /// The teacher's class and confidence; for a conditional sample the class asked for first, and
    /// "→ teacher's class" only when the teacher disagrees.
    static func caption(_ img: SamplesEvent.Image, model: DashboardModel, width: Int) -> String {
        if let asked = img.target {
            // Regression: the label asked for and the teacher's reading.
            let u = img.unit ?? ""
            let read = img.value.map { String(format: "%.0f%@", $0, u) } ?? "?"
            return String((String(format: "%.0f%@", asked, u) + "→" + read).prefix(width))
        }
        func name(_ c: Int) -> String { c < model.classNames.count ? model.classNames[c] : "\(c)" }
        let pct = "\(Int((img.confidence * 100).rounded()))%"
        guard let asked = img.conditioning, asked != img.label else {
            return String("\(name(img.label).prefix(Swift.max(1, width - 4))) \(pct)".prefix(width))
        }
        let room = Swift.max(2, (width - 5) / 2)
        return String("\(name(asked).prefix(room))→\(name(img.label).prefix(room))".prefix(width))
    }

    /// Mean grey of a block of pixels.
    static func average(_ px: [UInt8], width: Int, height: Int, x0: Int, y0: Int, w: Int, h: Int) -> Double {
        var sum = 0, n = 0
        for y in y0..<Swift.min(height, y0 + h) { for x in x0..<Swift.min(width, x0 + w) { sum += Int(px[y * width + x]); n += 1 } }
        return n == 0 ? 0 : Double(sum) / Double(n) / 255
    }

    /// Planar RGB bytes as half blocks: the top half's mean colour as foreground, the bottom's as background.
    static func drawColorImage(_ buf: inout CellBuffer, _ px: [UInt8], width: Int, height: Int, x: Int, y: Int, cols: Int, rows: Int) {
        let plane = width * height
        guard px.count == 3 * plane, cols > 0, rows > 0 else { return }
        let bw = Double(width) / Double(cols), bh = Double(height) / Double(rows)
        let planes = (0..<3).map { Array(px[($0 * plane)..<(($0 + 1) * plane)]) }
        func color(_ x0: Int, _ y0: Int, _ w: Int, _ h: Int) -> RGB {
            let c = planes.map { UInt8(average($0, width: width, height: height, x0: x0, y0: y0, w: w, h: h) * 255) }
            return RGB(c[0], c[1], c[2])
        }
        for r in 0..<rows {
            for c in 0..<cols {
                let x0 = Int(Double(c) * bw), w = Swift.max(1, Int(Double(c + 1) * bw) - x0)
                let top = Int(Double(r) * bh), mid = top + Swift.max(1, Int(bh / 2))
                let h1 = Swift.max(1, mid - top), h2 = Swift.max(1, Int(Double(r + 1) * bh) - mid)
                buf.set(x + c, y + r, Cell(char: "▀", fg: color(x0, top, w, h1), bg: color(x0, mid, w, h2)))
            }
        }
    }

    static func drawImage(_ buf: inout CellBuffer, _ px: [UInt8], width: Int, height: Int, x: Int, y: Int, cols: Int, rows: Int,
                          mode: PreviewMode, theme: Theme) {
        guard px.count == width * height, cols > 0, rows > 0 else { return }
        let bw = Double(width) / Double(cols), bh = Double(height) / Double(rows)
        for r in 0..<rows {
            for c in 0..<cols {
                let x0 = Int(Double(c) * bw), w = Swift.max(1, Int(Double(c + 1) * bw) - x0)
                switch mode {
                case .ascii:
                    let y0 = Int(Double(r) * bh), h = Swift.max(1, Int(Double(r + 1) * bh) - y0)
                    let v = average(px, width: width, height: height, x0: x0, y0: y0, w: w, h: h)
                    let ch = ramp[Swift.min(ramp.count - 1, Int(v * Double(ramp.count)))]
                    buf.set(x + c, y + r, Cell(char: ch, fg: theme.color("main_fg"), bg: theme.color("main_bg")))
                case .halfBlock:
                    let top = Int(Double(r) * bh), mid = top + Swift.max(1, Int(bh / 2))
                    let h1 = Swift.max(1, mid - top), h2 = Swift.max(1, Int(Double(r + 1) * bh) - mid)
                    let vt = average(px, width: width, height: height, x0: x0, y0: top, w: w, h: h1)
                    let vb = average(px, width: width, height: height, x0: x0, y0: mid, w: w, h: h2)
                    buf.set(x + c, y + r, Cell(char: "▀", fg: .grey(UInt8(vt * 255)), bg: .grey(UInt8(vb * 255))))
                }
            }
        }
    }
}
