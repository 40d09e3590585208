import Foundation

/// A tmux session running a command in a terminal of a given size: keys in, screen text out.
struct Tmux {
    let name: String

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Runs a tmux command. Output goes through a file, not a pipe: the first command starts the
    /// tmux server, which would inherit a pipe's write end and keep it open forever.
    @discardableResult
    static func run(_ args: [String]) -> (Int32, String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-tmux-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        p.arguments = args
        guard let h = try? FileHandle(forWritingTo: out) else { return (-1, "") }
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (-1, "\(error)") }
        p.waitUntilExit()
        try? h.close()
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    /// Starts `command` (a shell command line) in a new detached session.
    init(command: String, width: Int = 120, height: Int = 40, env: [String: String] = [:]) {
        name = "dafl-test-\(UUID().uuidString.prefix(8))"
        let exports = env.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        Self.run(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "env \(exports) \(command)"])
    }

    func keys(_ k: String...) { Self.run(["send-keys", "-t", name] + k) }
    var screen: String { Self.run(["capture-pane", "-p", "-t", name]).1 }
    var alive: Bool { Self.run(["has-session", "-t", name]).0 == 0 }
    func kill() { Self.run(["kill-session", "-t", name]) }

    /// Waits until the screen satisfies `condition`; returns the screen that did (or nil).
    func waitForScreen(limit: Double = 60, _ condition: (String) -> Bool) -> String? {
        var found: String?
        _ = CLI.waitUntil(limit: limit) {
            let s = screen
            if condition(s) { found = s; return true }
            return false
        }
        return found
    }

    /// The step number shown in the header ("step 12/400").
    static func step(in screen: String) -> Int? {
        guard let r = screen.range(of: #"step (\d+)/"#, options: .regularExpression) else { return nil }
        return Int(screen[r].dropFirst(5).dropLast())
    }
}
