/// A colour as red, green and blue; the backend maps it to what the terminal has.
public struct RGB: Hashable, Sendable {
    public var r, g, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    /// A grey level.
    public static func grey(_ v: UInt8) -> RGB { RGB(v, v, v) }
}

/// One character cell: a Unicode scalar, colours (nil = the terminal's default) and emphasis.
public struct Cell: Equatable, Sendable {
    public var char: Unicode.Scalar = " "
    public var fg: RGB?
    public var bg: RGB?
    public var bold = false
    public var dim = false
    public init(char: Unicode.Scalar = " ", fg: RGB? = nil, bg: RGB? = nil, bold: Bool = false, dim: Bool = false) {
        self.char = char; self.fg = fg; self.bg = bg; self.bold = bold; self.dim = dim
    }
}

/// A rectangle of cells: what widgets draw into.
public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = Swift.max(0, width); self.height = Swift.max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    /// Shrunk by `n` on every side.
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
    public func contains(_ px: Int, _ py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}

/// A screen's worth of cells, testable without a terminal. Drawing is clipped to a rectangle,
/// so a widget can never write outside its box.
///
/// ```swift
/// var buf = CellBuffer(width: 80, height: 24)
/// buf.text("hello", x: 0, y: 0, fg: theme.title)
/// print(buf.plainText())
/// ```
public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Drawing outside this rectangle is ignored.
    public var clip: Rect

    public init(width: Int, height: Int, fill: Cell = Cell()) {
        self.width = Swift.max(0, width)
        self.height = Swift.max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
        clip = Rect(x: 0, y: 0, width: self.width, height: self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
    }

    /// Sets one cell if it lies inside the clip rectangle and the buffer.
    public mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < width, y < height, clip.contains(x, y) else { return }
        cells[y * width + x] = cell
    }

    /// Writes a string from (x, y), one scalar a cell, cut at `maxWidth` cells (or the clip).
    /// Returns the column after the last character written.
    @discardableResult
    public mutating func text(_ s: String, x: Int, y: Int, fg: RGB? = nil, bg: RGB? = nil, bold: Bool = false,
                              dim: Bool = false, maxWidth: Int? = nil) -> Int {
        var cx = x
        let limit = maxWidth.map { x + $0 } ?? Int.max
        for ch in s.unicodeScalars where cx < limit {
            set(cx, y, Cell(char: ch, fg: fg, bg: bg, bold: bold, dim: dim))
            cx += 1
        }
        return cx
    }

    /// Fills a rectangle with one cell.
    public mutating func fill(_ r: Rect, with cell: Cell) {
        for yy in r.y..<r.maxY { for xx in r.x..<r.maxX { set(xx, yy, cell) } }
    }

    /// Runs `body` with drawing clipped to `r` (intersected with the current clip).
    public mutating func clipped(to r: Rect, _ body: (inout CellBuffer) -> Void) {
        let old = clip
        let x0 = Swift.max(old.x, r.x), y0 = Swift.max(old.y, r.y)
        clip = Rect(x: x0, y: y0, width: Swift.min(old.maxX, r.maxX) - x0, height: Swift.min(old.maxY, r.maxY) - y0)
        body(&self)
        clip = old
    }

    /// The characters as lines of text (trailing spaces trimmed): what a user would read.
    public func plainText() -> String {
        (0..<height).map { row in
            var s = String.UnicodeScalarView()
            for x in 0..<width { s.append(cells[row * width + x].char) }
            var line = String(s)
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// One line's text.
    public func line(_ y: Int) -> String {
        var s = String.UnicodeScalarView()
        for x in 0..<width { s.append(cells[y * width + x].char) }
        return String(s)
    }
}
