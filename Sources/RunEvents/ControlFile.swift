import Foundation

/// The command file: an append-only JSON Lines file (`control.jsonl`) beside a run log through which
/// any process steers a run: `dafl watch`, a script, or the Python adapter's user. Each line is one
/// command; the run polls the file at step boundaries (and while paused), applies each command as if
/// typed on its dashboard, and acknowledges it with a `control` event carrying the line's `id`. A line
/// it cannot use is logged as a `rejected` control event with the reason, and ignored.
///
/// Version 1, one object per line: `{"v":1,"id":"…","command":"pause"}`; `command` is `pause`,
/// `resume`, `step`, `checkpoint`, `stop`, `set` (with `key` and `value`) or `scale` (with `key` and
/// `value`, a factor); `source` (optional) says who wrote it. Appends are single `write(2)` calls with
/// `O_APPEND`, so writers on one machine never interleave.
/// ```swift
/// try ControlFile.append(.scale(.beta, 1.25), source: "watch", to: "runs/x/control.jsonl")
/// ```
public enum ControlFile {
    public static let name = "control.jsonl"
    public static let version = 1

    /// One line of the file.
    public struct Line: Codable, Equatable, Sendable {
        public var v: Int
        public var id: String
        public var command: String
        public var key: String?
        public var value: Double?
        public var source: String?
    }

    /// The file beside a run log (`runs/x/events.jsonl` → `runs/x/control.jsonl`).
    public static func path(besideLog log: String) -> String {
        ((log as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }

    public static func line(_ command: TrainerCommand, source: String, id: String = String(UUID().uuidString.prefix(8)).lowercased()) -> Line {
        var l = Line(v: version, id: id, command: "", key: nil, value: nil, source: source)
        switch command {
        case .pause: l.command = "pause"
        case .resume: l.command = "resume"
        case .stepOnce: l.command = "step"
        case .checkpoint: l.command = "checkpoint"
        case .stop: l.command = "stop"
        case .set(let k, let v): (l.command, l.key, l.value) = ("set", k.rawValue, Double(v))
        case .scale(let k, let v): (l.command, l.key, l.value) = ("scale", k.rawValue, Double(v))
        }
        return l
    }

    /// Appends a command; returns its id.
    @discardableResult
    public static func append(_ command: TrainerCommand, source: String, to path: String) throws -> String {
        let l = line(command, source: source)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(l)) + [0x0A]
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunLogError(file: path, line: nil, problem: "cannot open the command file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw RunLogError(file: path, line: nil, problem: "cannot write the command file: \(String(cString: strerror(errno)))") }
        return l.id
    }

    /// What a line asked for, or why it is ignored.
    public enum Entry: Equatable, Sendable {
        case command(TrainerCommand, source: String, id: String)
        case rejected(line: Int, id: String?, reason: String)
    }

    /// Parses one line.
    public static func decode(_ text: String, lineNumber: Int) -> Entry {
        guard let data = text.data(using: .utf8), let l = try? JSONDecoder().decode(Line.self, from: data) else {
            let id = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["id"] as? String
            return .rejected(line: lineNumber, id: id, reason: "not a command (want {\"v\":1,\"id\":…,\"command\":…})")
        }
        func reject(_ reason: String) -> Entry { .rejected(line: lineNumber, id: l.id, reason: reason) }
        guard l.v == version else { return reject("version \(l.v); this dafl reads version \(version)") }
        let source = "file:\(l.source ?? "unknown")"
        switch l.command {
        case "pause": return .command(.pause, source: source, id: l.id)
        case "resume": return .command(.resume, source: source, id: l.id)
        case "step": return .command(.stepOnce, source: source, id: l.id)
        case "checkpoint", "save": return .command(.checkpoint, source: source, id: l.id)
        case "stop": return .command(.stop(reason: "stopped"), source: source, id: l.id)
        case "set", "scale":
            guard let key = l.key, !key.isEmpty else { return reject("\(l.command) needs a key") }
            guard let value = l.value, value.isFinite, l.command == "set" ? value >= 0 : value > 0 else {
                return reject("\(l.command) \(key) needs a finite value\(l.command == "set" ? " ≥ 0" : " > 0")")
            }
            let k = TunableKey(rawValue: key)
            return .command(l.command == "set" ? .set(k, Float(value)) : .scale(k, Float(value)), source: source, id: l.id)
        default:
            return reject("unknown command '\(l.command)'")
        }
    }

    /// Reads the lines appended since the last poll. Starts at the file's end when it is created:
    /// commands written before a run (re)started were for an earlier process.
    public final class Reader: @unchecked Sendable {
        public let path: String
        private var offset: UInt64
        private var lineNumber = 0
        /// A final line without its newline is left for the next poll, unless it stays torn this long.
        private var tornSince: Date?
        public static let tornLineTimeout: TimeInterval = 2

        public init(path: String, fromStart: Bool = false) {
            self.path = path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
            offset = fromStart ? 0 : size
            if !fromStart, size > 0, let d = FileManager.default.contents(atPath: path) { lineNumber = d.filter { $0 == 0x0A }.count }
        }

        public func poll() -> [Entry] {
            guard let h = FileHandle(forReadingAtPath: path) else { return [] }
            defer { try? h.close() }
            guard (try? h.seek(toOffset: offset)) != nil, let data = try? h.readToEnd(), !data.isEmpty else { return [] }
            var out: [Entry] = []
            var start = data.startIndex
            while let nl = data[start...].firstIndex(of: 0x0A) {
                lineNumber += 1
                let text = String(decoding: data[start..<nl], as: UTF8.self)
                if !text.trimmingCharacters(in: .whitespaces).isEmpty { out.append(ControlFile.decode(text, lineNumber: lineNumber)) }
                start = data.index(after: nl)
            }
            offset += UInt64(start - data.startIndex)
            if start < data.endIndex {
                // A torn last line (a writer killed mid-line): skip it once it has stayed torn for a while.
                let since = tornSince ?? Date()
                tornSince = since
                if Date().timeIntervalSince(since) > Self.tornLineTimeout {
                    lineNumber += 1
                    out.append(.rejected(line: lineNumber, id: nil, reason: "a torn line without its newline (\(data.endIndex - start) bytes)"))
                    offset += UInt64(data.endIndex - start)
                    tornSince = nil
                }
            } else {
                tornSince = nil
            }
            return out
        }
    }
}
