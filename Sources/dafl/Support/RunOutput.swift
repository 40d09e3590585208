import Dashboard
import Foundation
import RunEvents

/// Where a run's events go: always the run log, then either the live dashboard's inbox or a
/// plain-text reporter. A failing log write warns once and never stops training.
/// ```swift
/// let out = try RunOutput(runDir: dir, headless: headless, theme: theme) { CGANReporter(json: json).handle($0) }
/// let trainer = CGANRun(…, sink: out.sink)
/// ```
final class RunOutput: @unchecked Sendable {
    let log: RunLogWriter
    let useDashboard: Bool
    let themes: [Theme]
    let inbox = EventInbox()
    let sink: (RunEvent) -> Void

    init(runDir: URL, headless: Bool, theme: String, report: @escaping (RunEvent) -> Void) throws {
        let log = try RunLogWriter(path: runDir.appendingPathComponent("events.jsonl").path)
        let useDashboard = !headless && isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1
        themes = try useDashboard ? ThemeLocator.load(theme) : []
        let logFailure = OnceFlag(), inbox = inbox
        sink = { event in
            do { try log.append(event) } catch {
                if logFailure.firstTime() { FileHandle.standardError.write(Data("warning: \(error); training continues\n".utf8)) }
            }
            if case .checkpoint = event { log.sync() }
            if useDashboard { inbox.put(event) } else { report(event) }
        }
        (self.log, self.useDashboard) = (log, useDashboard)
    }
}
