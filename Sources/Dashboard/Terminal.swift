import CNcurses
import Foundation

/// The ncurses screen: paints a `CellBuffer`, reads keys, and always gives the terminal back.
///
/// Restoration covers a normal end, Ctrl-C and SIGTERM (the caller stops and then calls `close()`),
/// and crash signals (a handler ends curses before the default action runs).
/// ```swift
/// let term = try Terminal.open()
/// defer { term.close() }
/// term.paint(buffer)
/// let key = term.readKey()     // waits up to the tick
/// ```
public final class Terminal {
    public private(set) var depth: ColorDepth = .none
    private var pairs: [Int: Int16] = [:]
    private var nextPair: Int16 = 1
    private var closed = false
    public var utf8 = true

    public struct OpenError: Error, CustomStringConvertible { public let description: String }

    public static func open(tickMilliseconds: Int32 = 100) throws -> Terminal {
        // Wide characters (braille, blocks) need a UTF-8 locale; fall back to C.UTF-8.
        setlocale(LC_ALL, "")
        if dafl_codeset_is_utf8() == 0 { setlocale(LC_CTYPE, "C.UTF-8") }
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw OpenError(description: "the dashboard needs a terminal; use --headless (or `dafl replay --headless`)")
        }
        guard initscr() != nil else { throw OpenError(description: "cannot start the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset"))") }
        let t = Terminal()
        t.utf8 = dafl_codeset_is_utf8() != 0
        Terminal.installCrashRestore()
        cbreak()          // keys at once; Ctrl-C still raises SIGINT
        noecho()
        _ = dafl_keypad()
        curs_set(0)
        dafl_timeout(tickMilliseconds)
        if has_colors() {
            start_color()
            use_default_colors()
            t.depth = ColorDepth.detect(reportedColors: Int(dafl_colors()))
        }
        return t
    }

    /// Terminal size in cells.
    public var size: (width: Int, height: Int) { (Int(dafl_cols()), Int(dafl_lines())) }

    /// Waits up to the tick for a key; nil on timeout. Arrow and function keys come as ncurses codes.
    /// A size change that ncurses missed is reported as a resize key too (see `followSize`).
    public func readKey() -> Int32? {
        if followSize() { return Self.resizeKey }
        let start = DispatchTime.now().uptimeNanoseconds
        let k = dafl_getch()
        if k == ERR {
            // A timeout takes the whole tick; an instant error means the terminal is gone
            // (tmux killed, SSH dropped). Many in a row: stop waiting for keys that cannot come.
            let waitedMs = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
            instantErrors = waitedMs < 5 ? instantErrors + 1 : 0
            return nil
        }
        instantErrors = 0
        return k
    }

    private var instantErrors = 0
    /// Whether the terminal has gone away (input fails without waiting).
    public var lost: Bool { instantErrors >= 50 || isatty(STDIN_FILENO) == 0 }

    public static var resizeKey: Int32 { dafl_key_resize() }

    /// Asks the terminal its size each tick and, when ncurses holds another, resizes and repaints
    /// everything. ncurses learns of resizes from SIGWINCH alone, which a parent may have blocked
    /// (a process spawned with a blocked signal mask) or which a storm of resizes can leave behind.
    /// Returns whether the size changed.
    func followSize() -> Bool {
        var ws = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return false }
        let (w, h) = size
        guard Int(ws.ws_col) != w || Int(ws.ws_row) != h else { return false }
        _ = dafl_resize_term(Int32(ws.ws_row), Int32(ws.ws_col))
        invalidate()
        return true
    }

    /// Forces a full repaint next time (after a resize or a theme change).
    public func invalidate() { _ = dafl_clearok() }

    public func paint(_ buf: CellBuffer) {
        let (w, h) = size
        _ = dafl_erase()
        for y in 0..<Swift.min(h, buf.height) {
            var x = 0
            let limit = Swift.min(w, buf.width)
            // Runs of cells with the same attributes go out in one call.
            while x < limit {
                let first = buf[x, y]
                let attr = attributes(first)
                var run: [wchar_t] = []
                var x2 = x
                while x2 < limit {
                    let c = buf[x2, y]
                    if x2 > x && attributes(c) != attr { break }
                    run.append(wchar_t(bitPattern: utf8 || c.char.isASCII ? c.char.value : 0x3F))
                    x2 += 1
                }
                // The bottom-right cell would scroll the screen: leave it.
                if y == h - 1 && x2 == w { run.removeLast() }
                if !run.isEmpty {
                    _ = dafl_attr_set(attr.0, attr.1)
                    run.append(0)
                    _ = run.withUnsafeBufferPointer { dafl_mvaddnwstr(Int32(y), Int32(x), $0.baseAddress, Int32(run.count - 1)) }
                }
                x = x2
            }
        }
        _ = dafl_attr_set(dafl_a_normal(), 0)
        _ = dafl_refresh()
    }

    /// ncurses attributes and colour pair for a cell at this terminal's colour depth.
    private func attributes(_ c: Cell) -> (attr_t, Int16) {
        var a = dafl_a_normal()
        if c.bold { a |= dafl_a_bold() }
        if c.dim && depth != .full256 { a |= dafl_a_dim() }
        switch depth {
        case .none:
            // Without colour, a background colour (selection, header) shows as reverse video.
            if c.bg != nil && c.char != "▀" { a |= dafl_a_reverse() }
            return (a, 0)
        case .eight:
            return (a, pair(c.fg.map(ColorDepth.index8) ?? -1, c.bg.map(ColorDepth.index8) ?? -1))
        case .full256:
            return (a, pair(c.fg.map(ColorDepth.index256) ?? -1, c.bg.map(ColorDepth.index256) ?? -1))
        }
    }

    private func pair(_ fg: Int, _ bg: Int) -> Int16 {
        if fg == -1 && bg == -1 { return 0 }
        let key = (fg + 1) << 16 | (bg + 1)
        if let p = pairs[key] { return p }
        // COLOR_PAIR holds 8 bits and attr_set takes a short: stay within both and the terminal's limit.
        guard Int(nextPair) < Swift.min(Int(dafl_color_pairs()), 32767) else { return 0 }
        let p = nextPair
        nextPair += 1
        init_pair(p, Int16(fg), Int16(bg))
        pairs[key] = p
        return p
    }

    /// Ends curses and restores the terminal; safe to call twice.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = dafl_attr_set(dafl_a_normal(), 0)
        curs_set(1)
        endwin()
    }

    deinit { close() }

    /// On a crash signal, give the terminal back before the process dies.
    private static func installCrashRestore() {
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(sig) { s in
                endwin()
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }
}
