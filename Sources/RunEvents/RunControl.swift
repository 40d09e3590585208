import Foundation

/// The thread-safe side of a steerable trainer: commands queued by the dashboard, a signal handler
/// or the CLI, and the trainer's state, which the training thread reads at each step boundary.
///
/// ```swift
/// let control = RunControl()
/// control.send(.pause, source: "keyboard")            // any thread
/// while let (cmd, source) = control.next() { … }      // the training thread, between steps
/// ```
public final class RunControl: @unchecked Sendable {
    private let lock = NSCondition()
    private var inbox: [(TrainerCommand, String, String?)] = []
    private var _state: TrainerState
    /// The command file this run obeys, if any, and the lines of it waiting to be logged as rejected.
    private var commandFile: ControlFile.Reader?
    private var rejected: [(line: Int, id: String?, reason: String)] = []

    public init(state: TrainerState = .paused) { _state = state }

    /// Queues a command for the next step boundary; `id` acknowledges a command-file line.
    public func send(_ command: TrainerCommand, source: String, id: String? = nil) {
        lock.lock()
        inbox.append((command, source, id))
        lock.signal()
        lock.unlock()
    }

    /// Obeys the command file at `path` from now on (see `ControlFile`): polled at each step boundary
    /// and, while paused, every 200 ms.
    public func listen(toCommandFile path: String) {
        lock.lock(); commandFile = ControlFile.Reader(path: path); lock.unlock()
    }

    /// Queues what the command file gained since the last poll.
    private func pollCommandFile() {
        lock.lock(); let reader = commandFile; lock.unlock()
        guard let entries = reader?.poll(), !entries.isEmpty else { return }
        lock.lock()
        for e in entries {
            switch e {
            case .command(let c, let source, let id): inbox.append((c, source, id))
            case .rejected(let line, let id, let reason): rejected.append((line, id, reason))
            }
        }
        lock.signal()
        lock.unlock()
    }

    /// The oldest queued command, if any.
    public func next() -> (TrainerCommand, String)? {
        nextWithID().map { ($0.0, $0.1) }
    }

    private func nextWithID() -> (TrainerCommand, String, String?)? {
        lock.lock(); defer { lock.unlock() }
        return inbox.isEmpty ? nil : inbox.removeFirst()
    }

    /// Blocks until a command is queued (while paused), or a rejected command-file line waits to be logged.
    public func waitForCommand() {
        lock.lock()
        while inbox.isEmpty && rejected.isEmpty {
            guard commandFile != nil else { lock.wait(); continue }
            lock.unlock()
            pollCommandFile()
            lock.lock()
            if inbox.isEmpty && rejected.isEmpty { _ = lock.wait(until: Date().addingTimeInterval(0.2)) }
        }
        lock.unlock()
    }

    public var state: TrainerState { lock.lock(); defer { lock.unlock() }; return _state }

    /// Changes the state; stopped, halted and completed are final.
    public func setState(_ s: TrainerState) {
        lock.lock()
        if ![.stopped, .halted, .completed].contains(_state) { _state = s }
        lock.unlock()
    }

    /// Sets the state even from a final one (a fresh start).
    public func reset(to s: TrainerState) { lock.lock(); _state = s; lock.unlock() }
}

extension RunControl {
    /// What applying the queued commands asked of the training loop.
    public struct Applied: Sendable {
        /// One step was asked for while paused (later commands wait for it).
        public var stepOnce = false
        /// Set when a stop arrived: the end event's reason.
        public var stopReason: String?
    }

    /// For runs steered between batches with nothing tuned live (the student stages): applies queued
    /// commands, blocks while paused, and says whether to go on (false once stopped) and the stop's reason.
    public func proceed(step: Int, time: () -> Double, sink: (RunEvent) -> Void, checkpoint: () -> Void) -> (go: Bool, stopReason: String?) {
        var reason: String?
        while true {
            let applied = apply(step: step, time: time, sink: sink, tune: { _, _, _ in nil }, checkpoint: checkpoint)
            reason = applied.stopReason ?? reason
            if applied.stepOnce { return (true, reason) }
            switch state {
            case .stopped: return (false, reason)
            case .paused: waitForCommand()
            default: return (true, reason)
            }
        }
    }


    /// Applies the queued commands the same way in every trainer, logging each as a `control` event:
    /// pause, resume and stop change the state, a step-once ends the batch of commands, `set`/`scale`
    /// go to `tune` (key, value, whether it scales; it returns the old and new value, or nil when the
    /// key is not the trainer's or the value is not allowed: then nothing is logged), `checkpoint` to
    /// `checkpoint` after its event.
    public func apply(step: Int, time: () -> Double, sink: (RunEvent) -> Void,
                      tune: (TunableKey, Float, Bool) -> (old: Float, new: Float)?, checkpoint: () -> Void) -> Applied {
        var applied = Applied()
        pollCommandFile()
        lock.lock(); let bad = rejected; rejected = []; lock.unlock()
        for r in bad {
            sink(.control(ControlEvent(step: step, time: time(), action: "rejected", source: "file", id: r.id,
                                       detail: "\(ControlFile.name) line \(r.line): \(r.reason)")))
        }
        while !applied.stepOnce, let (cmd, source, id) = nextWithID() {
            let t = time()
            func log(_ action: String, key: String? = nil, old: Double? = nil, new: Double? = nil) {
                sink(.control(ControlEvent(step: step, time: t, action: action, key: key, old: old, new: new, source: source, id: id)))
            }
            switch cmd {
            case .pause:
                setState(.paused)
                log("pause")
            case .resume:
                setState(.running)
                log("resume")
            case .stepOnce:
                applied.stepOnce = true
                log("step-once")
            case .set(let key, let v), .scale(let key, let v):
                var scale = false
                if case .scale = cmd { scale = true }
                guard let (old, new) = tune(key, v, scale) else {
                    // Typed keys a trainer does not have are ignored quietly; a command file's are answered.
                    if id != nil {
                        sink(.control(ControlEvent(step: step, time: t, action: "rejected", key: key.rawValue, source: source, id: id,
                                                   detail: "\(key.rawValue) is not a live value of this run, or \(v) is not allowed")))
                    }
                    continue
                }
                log("set", key: key.rawValue, old: Double(old), new: Double(new))
            case .checkpoint:
                log("checkpoint")
                checkpoint()
            case .stop(let reason):
                log("stop", key: reason)
                setState(.stopped)
                applied.stopReason = reason
            }
        }
        return applied
    }
}
