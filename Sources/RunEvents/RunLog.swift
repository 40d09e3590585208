import Foundation

/// Appends events to a JSON Lines file, one `write(2)` per line, so a killed process leaves a log
/// that is readable up to its last complete line.
///
/// ```swift
/// let log = try RunLogWriter(path: "runs/x/events.jsonl")
/// try log.append(.control(ControlEvent(step: 3, time: 1.2, action: "pause", source: "keyboard")))
/// ```
public final class RunLogWriter: @unchecked Sendable {
    public let path: String
    private let handle: FileHandle
    private let lock = NSLock()

    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw RunLogError(file: path, line: nil, problem: "cannot create the run log (directory missing or not writable)")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw RunLogError(file: path, line: nil, problem: "cannot open the run log for writing")
        }
        handle = h
        self.path = path
        // A previous run killed mid-line leaves a partial last line: end it so ours start clean. The
        // throwing calls: the older seekToEndOfFile/write(_:) raise an exception, a crash, on a full disk.
        do {
            let end = try h.seekToEnd()
            if end > 0, let r = FileHandle(forReadingAtPath: path) {
                defer { try? r.close() }
                try r.seek(toOffset: end - 1)
                if try r.read(upToCount: 1) != Data([0x0A]) { try h.write(contentsOf: Data([0x0A])) }
            }
        } catch {
            throw RunLogError(file: path, line: nil, problem: "cannot append to the run log: \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    public func append(_ event: RunEvent) throws {
        let line = try event.jsonLine() + "\n"
        lock.lock(); defer { lock.unlock() }
        // write(2) itself, so that a failure reads as the system says it ("No space left on device").
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw RunLogError(file: path, line: nil, problem: "cannot write: \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Forces the log to disk (at checkpoints).
    public func sync() { lock.lock(); try? handle.synchronize(); lock.unlock() }
}

/// Reads a run log. Complete lines are events; a final line without its newline is a write in progress
/// (or cut off by a kill) and is reported, not fatal.
///
/// ```swift
/// let log = try RunLogReader.read(path: "events.jsonl")
/// for e in log.events { … }
/// ```
public enum RunLogReader {
    public struct Result {
        public var events: [RunEvent]
        /// Bytes consumed: the offset after the last complete line (where a follower resumes).
        public var consumed: Int
        /// A partial final line, if there was one.
        public var partialTail: Bool
        /// Non-fatal problems (line number and message), e.g. a line cut mid-write.
        public var warnings: [String]
    }

    public static func read(path: String) throws -> Result {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunLogError(file: path, line: nil, problem: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunLogError(file: path, line: nil, problem: "cannot read")
        }
        if data.isEmpty { throw RunLogError(file: path, line: nil, problem: "empty log: no events yet") }
        let r = try parse(data, file: path, firstLine: 1)
        if r.events.isEmpty { throw RunLogError(file: path, line: nil, problem: "no complete event in the log") }
        return r
    }

    /// Parses complete lines of `data`. A bad complete line is an error if it is the first one
    /// (this is not a run log), and a warning after that (one damaged line should not cost the run).
    public static func parse(_ data: Data, file: String, firstLine: Int) throws -> Result {
        var events: [RunEvent] = []
        var warnings: [String] = []
        var start = data.startIndex, lineNo = firstLine, consumed = 0
        while let nl = data[start...].firstIndex(of: 0x0A) {
            let bytes = data[start..<nl]
            defer { start = data.index(after: nl); lineNo += 1; consumed = start - data.startIndex }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
            do {
                events.append(try RunEvent.decode(line: String(decoding: bytes, as: UTF8.self), file: file, lineNumber: lineNo))
            } catch let e as RunLogError {
                if events.isEmpty && firstLine == 1 {
                    throw RunLogError(file: file, line: lineNo, problem: e.problem.hasPrefix("written with") ? e.problem
                                      : "\(e.problem): this does not look like a dafl run log")
                }
                if e.problem.hasPrefix("written with") { throw e }
                warnings.append("line \(lineNo): \(e.problem) (skipped)")
            }
        }
        let partial = start < data.endIndex
        if partial { warnings.append("line \(lineNo): incomplete last line (the run was cut off mid-write, or is still writing)") }
        return Result(events: events, consumed: consumed, partialTail: partial, warnings: warnings)
    }
}
