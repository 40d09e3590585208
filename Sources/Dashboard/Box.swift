/// A rounded box with a title on its top edge; returns the inside rectangle.
///
/// ```swift
/// let inner = Box.draw(&buf, rect, title: "losses", theme: theme, focused: true)
/// ```
public enum Box {
    @discardableResult
    public static func draw(_ buf: inout CellBuffer, _ r: Rect, title: String, theme: Theme, focused: Bool = false) -> Rect {
        guard r.width >= 2, r.height >= 2 else { return Rect(x: r.x, y: r.y, width: 0, height: 0) }
        let line = focused ? theme.color("hi_fg") : theme.color("div_line")
        let bg = theme.color("main_bg")
        // A box owns its inside: clear it so nothing underneath shows through.
        buf.fill(r.inset(1), with: Cell(fg: theme.color("main_fg"), bg: bg))
        func put(_ x: Int, _ y: Int, _ c: Unicode.Scalar) { buf.set(x, y, Cell(char: c, fg: line, bg: bg, bold: focused)) }
        put(r.x, r.y, "╭"); put(r.maxX - 1, r.y, "╮"); put(r.x, r.maxY - 1, "╰"); put(r.maxX - 1, r.maxY - 1, "╯")
        for x in (r.x + 1)..<(r.maxX - 1) { put(x, r.y, "─"); put(x, r.maxY - 1, "─") }
        for y in (r.y + 1)..<(r.maxY - 1) { put(r.x, y, "│"); put(r.maxX - 1, y, "│") }
        if r.width > 6 {
            buf.text(" \(title) ", x: r.x + 2, y: r.y, fg: theme.color("title"), bg: bg, bold: true, maxWidth: r.width - 4)
        }
        return r.inset(1)
    }
}
