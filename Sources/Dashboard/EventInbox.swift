import Foundation
import RunEvents

/// A thread-safe queue of events: the trainer's thread puts, the screen's thread takes.
public final class EventInbox: @unchecked Sendable {
    private var events: [RunEvent] = []
    private let lock = NSLock()
    public init() {}
    public func put(_ e: RunEvent) { lock.lock(); events.append(e); lock.unlock() }
    public func takeAll() -> [RunEvent] {
        lock.lock(); defer { lock.unlock() }
        let out = events
        events.removeAll(keepingCapacity: true)
        return out
    }
}

/// What a key asks of a live run; the caller forwards it to the trainer.
public enum DashboardCommand: Equatable, Sendable {
    case pause, resume, stepOnce, checkpoint
    /// Multiply a loss weight (`alpha`, `beta`, `oh`) by a factor.
    case scale(String, Double)
    /// Save and end the run.
    case quit

    /// The trainer's command for it.
    public var trainerCommand: TrainerCommand {
        switch self {
        case .pause: .pause
        case .resume: .resume
        case .stepOnce: .stepOnce
        case .checkpoint: .checkpoint
        case .quit: .stop(reason: "stopped")
        case .scale(let key, let f): .scale(TunableKey(rawValue: key), Float(f))
        }
    }
}

/// Follows a run log that another process is still writing: each call returns the complete lines
/// added since the last.
public final class LogFollower {
    public let path: String
    private var offset: UInt64 = 0
    private var lineNumber = 1

    public init(path: String) { self.path = path }

    public func poll() throws -> [RunEvent] {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw RunLogError(file: path, line: nil, problem: FileManager.default.fileExists(atPath: path)
                              ? "cannot open" : "waiting for the file to appear…")
        }
        defer { h.closeFile() }
        let size = h.seekToEndOfFile()
        if size < offset { offset = 0; lineNumber = 1 }   // truncated or replaced: start again
        h.seek(toFileOffset: offset)
        let data = h.readDataToEndOfFile()
        guard !data.isEmpty else { return [] }
        let r = try RunLogReader.parse(data, file: path, firstLine: lineNumber)
        offset += UInt64(r.consumed)
        lineNumber += data.prefix(r.consumed).filter { $0 == 0x0A }.count
        return r.events
    }
}
