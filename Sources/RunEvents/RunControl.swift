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
    private var inbox: [(TrainerCommand, String)] = []
    private var _state: TrainerState

    public init(state: TrainerState = .paused) { _state = state }

    /// Queues a command for the next step boundary.
    public func send(_ command: TrainerCommand, source: String) {
        lock.lock()
        inbox.append((command, source))
        lock.signal()
        lock.unlock()
    }

    /// The oldest queued command, if any.
    public func next() -> (TrainerCommand, String)? {
        lock.lock(); defer { lock.unlock() }
        return inbox.isEmpty ? nil : inbox.removeFirst()
    }

    /// Blocks until a command is queued (while paused).
    public func waitForCommand() {
        lock.lock()
        while inbox.isEmpty { lock.wait() }
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
