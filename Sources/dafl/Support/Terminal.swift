import Foundation

/// Progress display: a redrawn bar on a terminal, nothing in between on a pipe.
///
/// ```swift
/// let bar = ProgressBar(label: "epoch 1/10")
/// bar.update(done: 5, total: 235, suffix: "loss 0.41")
/// bar.finish()
/// ```
final class ProgressBar {
    let label: String
    let enabled: Bool
    let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String, enabled: Bool = isatty(STDOUT_FILENO) == 1) {
        self.label = label
        self.enabled = enabled
    }

    func update(done: Int, total: Int, suffix: String = "") {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = Date()
        let width = 30, filled = total > 0 ? width * done / total : 0
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\r\(label) \(bar) \(done)/\(total) \(String(format: "%.1f it/s ETA %@", rate, formatDuration(eta))) \(suffix)"
        FileHandle.standardOutput.write(Data((line + "\u{1B}[K").utf8))
    }

    func finish() {
        if enabled { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
    }
}

func formatDuration(_ s: Double) -> String {
    guard s.isFinite, s >= 0 else { return "--:--" }
    let t = Int(s.rounded())
    return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
}

/// Prints one JSON object as a line (for `--json` output).
func printJSON(_ object: [String: Any]) {
    if let d = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
       let s = String(data: d, encoding: .utf8) {
        print(s)
    }
}


/// A runtime failure (a file, a device): one line, no usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
