import Foundation
import RunEvents

/// Per-class panels of cGAN-KD runs: the generator's Fréchet distance per class while the GAN
/// trains, and the processed fake set's class balance with its acceptance and filter rates.
public enum PerClassView {
    /// One bar per class of the latest per-class Fréchet distance (shorter is closer to the real class).
    public static func drawDistances(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, theme: Theme, focused: Bool = false) {
        let fd = model.perClass["fd"] ?? []
        let worst = fd.filter(\.isFinite).max() ?? 0
        let title = fd.isEmpty || rect.width < 44 ? "Fréchet distance per class" : String(format: "Fréchet distance per class (worst %.0f)", worst)
        let inner = Box.draw(&buf, rect, title: title, theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        guard !fd.isEmpty, inner.width >= 16, inner.height >= 1 else {
            if inner.width > 0 && inner.height > 0 {
                buf.text("waiting for a measurement (needs --teacher)…", x: inner.x, y: inner.y, fg: theme.color("inactive_fg"), bg: bg,
                         maxWidth: inner.width)
            }
            return
        }
        let nameW = nameWidth(model), valueW = 7
        let barW = inner.width - nameW - valueW - 2
        guard barW >= 4 else { return }
        for c in 0..<Swift.min(fd.count, inner.height) {
            let y = inner.y + c
            name(&buf, model, c, x: inner.x, y: y, width: nameW, theme: theme)
            let v = fd[c]
            ClassBalanceView.drawBar(&buf, x: inner.x + nameW + 1, y: y, width: barW, fraction: worst > 0 && v.isFinite ? v / worst : 0,
                                     char: nil, color: theme.color("bar"), bg: bg)
            buf.text(v.isFinite ? String(format: "%7.1f", v) : "    n/a", x: inner.x + nameW + barW + 2, y: y, fg: theme.color("main_fg"), bg: bg)
        }
        if inner.height > fd.count {
            buf.text("lower is closer to the real images of the class", x: inner.x, y: inner.y + fd.count, fg: theme.color("inactive_fg"),
                     bg: bg, maxWidth: inner.width)
        }
    }

    /// The fake set's kept samples per class as bars, with cDR-RS acceptance and filter keep rates.
    public static func drawFakeSet(_ buf: inout CellBuffer, _ rect: Rect, model: DashboardModel, theme: Theme, focused: Bool = false) {
        let inner = Box.draw(&buf, rect, title: "fake set per class", theme: theme, focused: focused)
        let bg = theme.color("main_bg")
        guard let f = model.fakeSet, !f.kept.isEmpty, inner.width >= 24, inner.height >= 2 else {
            if inner.width > 0 && inner.height > 0 {
                let note = model.kind == .cganDistill && model.fakeSet == nil && model.stage == "student"
                    ? "no fake images (real data only)" : "waiting for the fake set…"
                buf.text(note, x: inner.x, y: inner.y, fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
            }
            return
        }
        let nameW = nameWidth(model), statsW = 15
        let barW = inner.width - nameW - statsW - 2
        buf.text(String(repeating: " ", count: nameW + barW + 2) + "accept  keep", x: inner.x, y: inner.y, fg: theme.color("graph_text"), bg: bg,
                 maxWidth: inner.width)
        let most = Swift.max(1, f.kept.max() ?? 1)
        let groups = Swift.min(f.kept.count, f.generated.count, f.accepted.count)   // equal in any valid event
        for c in 0..<Swift.max(0, Swift.min(groups, inner.height - 1)) {
            let y = inner.y + 1 + c
            name(&buf, model, c, x: inner.x, y: y, width: nameW, theme: theme)
            if barW >= 4 {
                ClassBalanceView.drawBar(&buf, x: inner.x + nameW + 1, y: y, width: barW, fraction: Double(f.kept[c]) / Double(most),
                                         char: nil, color: theme.color("bar"), bg: bg)
            }
            let accept = f.generated[c] > 0 ? Double(f.accepted[c]) / Double(f.generated[c]) * 100 : 0
            let keep = f.accepted[c] > 0 ? Double(f.kept[c]) / Double(f.accepted[c]) * 100 : 0
            buf.text(String(format: " %5.1f%% %5.1f%%", accept, keep), x: inner.x + nameW + Swift.max(0, barW) + 1, y: y,
                     fg: theme.color("main_fg"), bg: bg)
        }
        let footer = inner.y + 1 + f.kept.count
        if footer < inner.maxY {
            let dis = f.disagreements.reduce(0, +), kept = f.kept.reduce(0, +)
            buf.text("\(kept) kept; \(dis) \(f.relabelled ? "relabelled" : "labelled otherwise by the teacher")", x: inner.x, y: footer,
                     fg: theme.color("inactive_fg"), bg: bg, maxWidth: inner.width)
        }
    }

    static func nameWidth(_ model: DashboardModel) -> Int {
        Swift.min(10, Swift.max(2, model.classNames.map(\.count).max() ?? 1))
    }

    static func name(_ buf: inout CellBuffer, _ model: DashboardModel, _ c: Int, x: Int, y: Int, width: Int, theme: Theme) {
        let n = c < model.classNames.count ? model.classNames[c] : "\(c)"
        buf.text(String(n.prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0), x: x, y: y,
                 fg: theme.color("graph_text"), bg: theme.color("main_bg"))
    }
}
