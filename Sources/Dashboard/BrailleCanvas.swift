/// A dot canvas of 2×4 dots per cell, drawn with Unicode braille (U+2800 + dot bits).
///
/// Two layers: a faint one (raw values) and a bright one (smoothed). A cell shows the union of
/// their dots in the bright colour when it has any bright dot.
struct BrailleCanvas {
    let cols: Int, rows: Int
    var faint: [UInt8]
    var bright: [UInt8]
    var dotWidth: Int { cols * 2 }
    var dotHeight: Int { rows * 4 }

    init(cols: Int, rows: Int) {
        self.cols = Swift.max(0, cols); self.rows = Swift.max(0, rows)
        faint = [UInt8](repeating: 0, count: self.cols * self.rows)
        bright = faint
    }

    /// Braille bit for dot (dx, dy) inside a cell: columns 0/1, rows 0…3.
    static let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    mutating func dot(_ x: Int, _ y: Int, bright isBright: Bool) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let i = (y / 4) * cols + x / 2
        let b = Self.bits[x % 2][y % 4]
        if isBright { bright[i] |= b } else { faint[i] |= b }
    }

    /// A straight line between two dots (Bresenham).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, bright: Bool) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            dot(x, y, bright: bright)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Paints the canvas at (x, y) of the buffer.
    func draw(into buf: inout CellBuffer, x: Int, y: Int, brightColor: RGB?, faintColor: RGB?, bg: RGB?) {
        for r in 0..<rows {
            for c in 0..<cols {
                let i = r * cols + c
                let bits = faint[i] | bright[i]
                guard bits != 0 else { continue }
                let useBright = bright[i] != 0
                buf.set(x + c, y + r, Cell(char: Unicode.Scalar(0x2800 + UInt32(bits))!, fg: useBright ? brightColor : faintColor,
                                           bg: bg, dim: !useBright))
            }
        }
    }
}
