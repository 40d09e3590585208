import Foundation
import Testing

/// A tmux session running a command in a terminal of a given size: keys in, screen text out.
/// Each session has its own tmux server (socket `-L`), so tests never touch a user's tmux.
struct Tmux {
    let name: String
    var socket: String { name }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Runs tmux with `posix_spawn` and reaps it with `waitpid`. Output goes through a file, not a
    /// pipe: a command that starts the server would leave it holding a pipe's write end forever.
    @discardableResult
    func run(_ args: [String]) -> (Int32, String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-tmux-\(UUID().uuidString)").path
        defer { unlink(out) }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ["/usr/bin/tmux", "-L", socket] + args
        var cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        // The tmux server (and the command it runs) inherits the signal mask; the test runner's thread
        // may block signals, and a user's shell never does: start with none blocked, default handlers.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/tmux", &actions, &attr, &cargs, environ) == 0 else { return (-1, "") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
        return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// Starts `command` (a shell command line) in a new detached session.
    init(command: String, width: Int = 120, height: Int = 40, env: [String: String] = [:]) {
        name = "dafl-test-\(UUID().uuidString.prefix(8))"
        // -u NO_COLOR: colour depends on TERM here, not on whatever the test runner inherited.
        let exports = ["-u", "NO_COLOR"] + env.map { "\($0.key)='\($0.value)'" }
        run(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "env \(exports.joined(separator: " ")) \(command)"])
    }

    func keys(_ k: String...) { run(["send-keys", "-t", name] + k) }
    /// Resizes the window, as a user dragging the terminal's corner.
    func resize(width: Int, height: Int) { run(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"]) }
    var screen: String { run(["capture-pane", "-p", "-t", name]).1 }
    var alive: Bool { run(["has-session", "-t", name]).0 == 0 }
    /// Ends the session and its private server.
    func kill() { run(["kill-server"]) }

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

extension Tmux {
    /// As a user at a `dafl watch` screen: waits for a running step, pauses, raises β twice (5 → 7.812),
    /// resumes, then q and y (stop the run too) and waits for the watcher to exit. `afterPause` and
    /// `afterBeta` check elsewhere (the run's own dashboard) between the steps.
    func steerPauseBetaResumeStop(afterPause: () -> Void = {}, afterBeta: () -> Void = {},
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(waitForScreen(limit: 60) { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > 0 } != nil,
                     "watch showed no running step:\n\(screen)", sourceLocation: sourceLocation)
        keys(" ")
        let paused = try #require(waitForScreen { $0.contains("PAUSED") }, "no PAUSED after space:\n\(screen)", sourceLocation: sourceLocation)
        let stepAtPause = try #require(Tmux.step(in: paused), sourceLocation: sourceLocation)
        afterPause()
        keys("B")
        #expect(waitForScreen { $0.contains("β 6.25") } != nil, "header did not show β 6.25:\n\(screen)", sourceLocation: sourceLocation)
        keys("B")
        #expect(waitForScreen { $0.contains("β 7.812") } != nil, "header did not show β 7.812:\n\(screen)", sourceLocation: sourceLocation)
        afterBeta()
        keys(" ")
        #expect(waitForScreen { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > stepAtPause } != nil, "did not resume:\n\(screen)",
                sourceLocation: sourceLocation)
        keys("q")
        #expect(waitForScreen { $0.contains("Stop the run too?") } != nil, "no stop question:\n\(screen)", sourceLocation: sourceLocation)
        keys("y")
        #expect(CLI.waitUntil(limit: 30) { !alive }, "watch did not exit after q, y", sourceLocation: sourceLocation)
    }
}
