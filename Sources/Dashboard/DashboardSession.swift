import CNcurses
import Foundation
import RunEvents

/// The interactive loop: reads keys, folds events into the model, repaints on a tick.
///
/// ```swift
/// let session = DashboardSession(terminal: term, themes: themes)
/// session.runLive(inbox: inbox, send: { cmd in trainer.send(…) }, finished: { trainerDone })
/// ```
public final class DashboardSession {
    public var model = DashboardModel()
    public var view = ViewState()
    let terminal: Terminal
    var themes: [Theme]
    var themeIndex = 0
    public var theme: Theme { themes[themeIndex] }

    public init(terminal: Terminal, themes: [Theme], initial: Int = 0) {
        self.terminal = terminal
        self.themes = themes.isEmpty ? [.dark] : themes
        themeIndex = Swift.min(initial, self.themes.count - 1)
    }

    // MARK: Keys common to every mode

    static let keyTab: Int32 = 9, keyEnter: Int32 = 10, keyEsc: Int32 = 27

    /// Handles keys that only change the view; returns true if it used the key.
    func handleViewKey(_ k: Int32) -> Bool {
        switch k {
        case Int32(UInt8(ascii: "?")): view.showHelp.toggle()
        case Int32(UInt8(ascii: "p")):
            let all = PreviewMode.allCases
            view.preview = all[(all.firstIndex(of: view.preview)! + 1) % all.count]
            model.status = "preview: \(view.preview.rawValue)" + (view.preview == .halfBlock && terminal.depth != .full256
                ? " (needs 256 colours; this terminal shows it without grey levels)" : "")
            model.statusIsWarning = false
        case Int32(UInt8(ascii: "c")):
            view.rawPreview.toggle()
            model.status = view.rawPreview ? "previews: raw grey levels" : "previews: contrast stretched over the batch (1st–99th percentile)"
            model.statusIsWarning = false
        case Int32(UInt8(ascii: "t")):
            themeIndex = (themeIndex + 1) % themes.count
            model.status = "theme: \(theme.name)"
            model.statusIsWarning = false
            terminal.invalidate()
        case Self.keyTab:
            view.focus = ViewState.Panel(rawValue: (view.focus.rawValue + 1) % ViewState.Panel.allCases.count)!
        case KEY_BTAB:
            view.focus = ViewState.Panel(rawValue: (view.focus.rawValue + 3) % ViewState.Panel.allCases.count)!
        case Int32(UInt8(ascii: "1"))...Int32(UInt8(ascii: "9")):   // a chart's number (6 is the discrepancy, when on)
            view.expandedLoss = Int(k) - Int(UInt8(ascii: "1"))
            view.focus = .losses
        case Self.keyEnter:
            if view.focus == .losses { view.expandedLoss = view.expandedLoss == nil ? 0 : nil }
        case Self.keyEsc:
            view.showHelp = false
            view.expandedLoss = nil
        case Terminal.resizeKey:
            terminal.invalidate()
        default:
            return false
        }
        return true
    }

    /// Repaints every tick (10 a second); ncurses sends only the cells that changed.
    func repaint(hints: String) {
        let (w, h) = terminal.size
        terminal.paint(DashboardView.render(model, view: view, width: w, height: h, theme: theme, hints: hints))
    }

    // MARK: Live

    /// Runs until the user quits and `finished()` holds (the trainer has saved and ended).
    public func runLive(inbox: EventInbox, send: (DashboardCommand) -> Void, finished: () -> Bool) {
        view.source = "live"
        var quitting = false
        while true {
            for e in inbox.takeAll() { model.apply(e) }
            // After q/y, or an interrupt (Ctrl-C, SIGTERM) that already saved: leave at once.
            if finished() && (quitting || model.endReason == "interrupted") { break }
            if finished() && view.banner == nil && !quitting {
                view.banner = "training \(model.endReason ?? "ended") at step \(model.step)\n\npress q to leave the dashboard"
            }
            repaint(hints: DashboardView.liveHints(for: model.kind))
            if terminal.lost {
                // No one can see or steer the run any more: save and stop it, then leave.
                if !quitting { send(.quit); quitting = true }
                if finished() { break }
                usleep(100_000)
                continue
            }
            guard let k = terminal.readKey() else { continue }
            if view.banner != nil {
                if k == Int32(UInt8(ascii: "q")) || k == Self.keyEsc { break }
                continue
            }
            if view.confirmQuit {
                if k == Int32(UInt8(ascii: "y")) || k == Int32(UInt8(ascii: "Y")) {
                    view.confirmQuit = false
                    quitting = true
                    model.status = "saving a checkpoint and stopping after this step…"
                    send(.quit)
                } else if k == Int32(UInt8(ascii: "n")) || k == Self.keyEsc || k == Int32(UInt8(ascii: "q")) {
                    view.confirmQuit = false
                }
                continue
            }
            if quitting { continue }
            if k == Int32(UInt8(ascii: "q")) { view.confirmQuit = true; continue }
            if steer(k, send: send) { continue }
            switch k {
            case KEY_LEFT: view.focus = ViewState.Panel(rawValue: (view.focus.rawValue + 3) % 4)!
            case KEY_RIGHT: view.focus = ViewState.Panel(rawValue: (view.focus.rawValue + 1) % 4)!
            default: _ = handleViewKey(k)
            }
        }
    }

    /// The steering keys, the same on the live dashboard and on `watch`: returns whether `k` was one.
    func steer(_ k: Int32, send: (DashboardCommand) -> Void) -> Bool {
        let scales: [UInt8: (String, Double)] = [
            UInt8(ascii: "a"): ("alpha", 0.8), UInt8(ascii: "A"): ("alpha", 1.25), UInt8(ascii: "b"): ("beta", 0.8),
            UInt8(ascii: "B"): ("beta", 1.25), UInt8(ascii: "o"): ("oh", 0.8), UInt8(ascii: "O"): ("oh", 1.25),
            UInt8(ascii: "g"): ("lr_g", 0.8), UInt8(ascii: "G"): ("lr_g", 1.25), UInt8(ascii: "d"): ("lr_d", 0.8), UInt8(ascii: "D"): ("lr_d", 1.25),
        ]
        guard k >= 0 && k < 128 else { return false }
        let c = UInt8(k)
        if let (key, factor) = scales[c] { send(.scale(key, factor)); return true }
        switch c {
        case UInt8(ascii: " "):
            let pausing = model.state != "paused"
            send(pausing ? .pause : .resume)
            model.status = pausing ? "pausing after this step…" : "resuming…"
        case UInt8(ascii: "n"):
            if model.state == "paused" { send(.stepOnce) } else { model.status = "n steps once while paused (space pauses)" }
        case UInt8(ascii: "s"): send(.checkpoint)
        default: return false
        }
        return true
    }

    // MARK: Replay

    /// Plays recorded events: space play/pause, +/- speed (×1…×100 of the original pace),
    /// ←/→ seek 5 %, Home/End.
    /// `startStep`: open paused at that step (nil: play from the start; Int.max: the end).
    public func runReplay(events: [RunEvent], startStep: Int? = nil) {
        let history = RunHistory.effective(events)
        let speeds: [Double] = [1, 2, 5, 10, 20, 50, 100]
        var speedIndex = 3
        var playing = true
        var cursor = 0                    // events applied so far
        var clock = history.first.map(\.time) ?? 0
        let lastStep = history.map(\.step).max() ?? 0
        var lastTick = Date()
        func seek(toStep target: Int) {
            model = DashboardModel()
            cursor = 0
            while cursor < history.count && history[cursor].step <= target { model.apply(history[cursor]); cursor += 1 }
            clock = cursor > 0 ? history[cursor - 1].time : 0
        }
        if let start = startStep {
            seek(toStep: Swift.min(start, lastStep))
            playing = false
        }
        while true {
            let now = Date()
            if playing {
                clock += now.timeIntervalSince(lastTick) * speeds[speedIndex]
                while cursor < history.count && history[cursor].time <= clock { model.apply(history[cursor]); cursor += 1 }
                if cursor >= history.count { playing = false }
            }
            lastTick = now
            view.source = "replay ×\(Int(speeds[speedIndex])) \(playing ? "▶" : "⏸") \(cursor)/\(history.count)"
            repaint(hints: DashboardView.replayHints)
            if terminal.lost { return }
            guard let k = terminal.readKey() else { continue }
            switch k {
            case Int32(UInt8(ascii: "q")): return
            case Int32(UInt8(ascii: " ")):
                if cursor >= history.count { seek(toStep: -1) }
                playing.toggle()
            case Int32(UInt8(ascii: "+")), Int32(UInt8(ascii: "=")): speedIndex = Swift.min(speeds.count - 1, speedIndex + 1)
            case Int32(UInt8(ascii: "-")): speedIndex = Swift.max(0, speedIndex - 1)
            case KEY_RIGHT: seek(toStep: model.step + Swift.max(1, lastStep / 20))
            case KEY_LEFT: seek(toStep: model.step - Swift.max(1, lastStep / 20))
            case KEY_HOME: seek(toStep: -1); playing = false
            case KEY_END: seek(toStep: lastStep); playing = false
            default: _ = handleViewKey(k)
            }
        }
    }

    // MARK: Watch

    /// Follows a log another process is writing, until q. With `send`, the live dashboard's keys steer
    /// the run (through its command file); q then asks whether to stop the run or only leave.
    public func runWatch(follower: LogFollower, send: ((DashboardCommand) -> Void)? = nil) {
        view.source = "watch"
        var lastError: String?
        var askingQuit = false
        while true {
            do {
                let new = try follower.poll()
                for e in new { model.apply(e) }
                lastError = nil
            } catch {
                if lastError != "\(error)" { model.status = "\(error)"; model.statusIsWarning = true }
                lastError = "\(error)"
            }
            view.banner = askingQuit ? "Stop the run too?\n\ny  yes, save and stop it     n  no, leave it running     Esc  stay" : nil
            repaint(hints: send == nil ? "watching: p preview  t theme  ? help  q quit" : "watching: " + DashboardView.liveHints(for: model.kind))
            if terminal.lost { return }
            guard let k = terminal.readKey() else { continue }
            guard let send else {
                if k == Int32(UInt8(ascii: "q")) { return }
                _ = handleViewKey(k)
                continue
            }
            if askingQuit {
                if k == Int32(UInt8(ascii: "y")) || k == Int32(UInt8(ascii: "Y")) { send(.quit); return }
                if k == Int32(UInt8(ascii: "n")) || k == Int32(UInt8(ascii: "N")) { return }
                if k == Self.keyEsc { askingQuit = false }
                continue
            }
            if k == Int32(UInt8(ascii: "q")) { askingQuit = true; continue }
            if !steer(k, send: send) { _ = handleViewKey(k) }
        }
    }
}
