import ArgumentParser
import Dashboard
import Foundation
import RunEvents

/// `dafl replay`: shows a logged run in the dashboard, or renders it as text frames.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a run log (events.jsonl) in the dashboard, or as plain-text frames with --headless.",
        discussion: """
        Examples:
          dafl replay runs/x/events.jsonl                       # interactive: space, +/-, ←/→, Home/End, q
          dafl replay runs/x/events.jsonl --headless            # last frame and a summary, for CI logs and reports
          dafl replay runs/x/events.jsonl --headless --every 120 --size 100x30 --output frames.txt
        """)

    @Argument(help: "The run log (a run directory's events.jsonl).") var log: String
    @Flag(help: "Print frames as text instead of opening the dashboard.") var headless = false
    @Option(help: "Frame size for --headless, WIDTHxHEIGHT.") var size = "120x40"
    @Option(help: "With --headless: a frame every N steps (default: only the last frame).") var every: Int?
    @Option(help: "With --headless: write frames and summary to this file instead of stdout.") var output: String?
    @Option(help: "Theme name or file.") var theme = "dark"
    @Option(help: "Preview mode for frames: ascii or half-block.") var preview = "ascii"
    @Option(help: "Interactive: open paused at this step, or 'end' (default: play from the start).") var start: String?

    func run() throws {
        let read = try RunLogReader.read(path: log)
        for w in read.warnings { FileHandle.standardError.write(Data("\(log): \(w)\n".utf8)) }
        let themes = try ThemeLocator.load(theme)
        if headless || isatty(STDOUT_FILENO) == 0 {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("--size wants WIDTHxHEIGHT, e.g. 120x40") }
            guard let mode = PreviewMode(rawValue: preview) else { throw ValidationError("--preview must be ascii or half-block") }
            let text = HeadlessReplay.render(events: read.events, width: parts[0], height: parts[1], every: every, theme: themes[0], preview: mode)
            if let output {
                do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    throw CLIError("\(output): cannot write: \(error.localizedDescription)")
                }
                print("wrote \(output)")
            } else {
                print(text, terminator: "")
            }
            return
        }
        let term = try Terminal.open()
        defer { term.close() }
        let startStep: Int? = try start.map { s in
            if s == "end" { return Int.max }
            guard let n = Int(s), n >= 0 else { throw ValidationError("--start wants a step number or 'end'") }
            return n
        }
        DashboardSession(terminal: term, themes: themes).runReplay(events: read.events, startStep: startStep)
    }
}

/// `dafl watch`: follows a log that a running `dafl distill` is writing.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a run log that another process is writing, in the dashboard.",
        discussion: "Example: dafl watch runs/x/events.jsonl   (the live dashboard's keys steer the run through runs/x/control.jsonl; q asks whether to stop the run or only leave)")

    @Argument(help: "The run log to follow.") var log: String
    @Option(help: "Theme name or file.") var theme = "dark"

    func run() throws {
        // A log that does not exist yet is waited for (start watch before distill if you like);
        // one that is not a run log fails before the dashboard takes the screen.
        if let d = FileManager.default.contents(atPath: log), !d.isEmpty { _ = try RunLogReader.parse(d, file: log, firstLine: 1) }
        let themes = try ThemeLocator.load(theme)
        let term = try Terminal.open()
        defer { term.close() }
        // The keys steer the run through the command file beside its log (another process, even on
        // another machine sharing the directory, obeys it at its next step).
        let commands = ControlFile.path(besideLog: log)
        DashboardSession(terminal: term, themes: themes).runWatch(follower: LogFollower(path: log)) { command in
            do { try ControlFile.append(command.trainerCommand, source: "watch", to: commands) } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
            }
        }
    }
}
