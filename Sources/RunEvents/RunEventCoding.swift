import Foundation

/// Why a run-log line could not be read.
public struct RunLogError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let problem: String
    public init(file: String, line: Int?, problem: String) { self.file = file; self.line = line; self.problem = problem }
    public var description: String { line.map { "\(file):\($0): \(problem)" } ?? "\(file): \(problem)" }
}

extension RunEvent {
    private struct Header: Codable { var v: Int; var type: String }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()

    /// The event as one line of JSON (no newline).
    public func jsonLine() throws -> String {
        let payload = try Self.encoder.encode(self.payload)
        // Prefix the payload object with the version and type: {"v":1,"type":"step", …}.
        var s = String(decoding: payload, as: UTF8.self)
        s.removeFirst()
        let head = "{\"v\":\(Self.schemaVersion),\"type\":\"\(type)\""
        return s == "}" ? head + "}" : head + "," + s
    }

    /// Parses one line; `file`/`line` only label the error.
    public static func decode(line: String, file: String = "<line>", lineNumber: Int? = nil) throws -> RunEvent {
        func fail(_ p: String) -> RunLogError { RunLogError(file: file, line: lineNumber, problem: p) }
        let data = Data(line.utf8)
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw fail("not a run-log event (expected a JSON object with \"v\" and \"type\")")
        }
        guard header.v <= schemaVersion else {
            throw fail("written with run-log schema version \(header.v); this dafl reads up to version \(schemaVersion): upgrade dafl")
        }
        do {
            switch header.type {
            case "config": return .config(try decoder.decode(ConfigEvent.self, from: data))
            case "step": return .step(try decoder.decode(StepEvent.self, from: data))
            case "samples": return .samples(try decoder.decode(SamplesEvent.self, from: data))
            case "eval": return .eval(try decoder.decode(EvalEvent.self, from: data))
            case "control": return .control(try decoder.decode(ControlEvent.self, from: data))
            case "checkpoint": return .checkpoint(try decoder.decode(CheckpointEvent.self, from: data))
            case "halt": return .halt(try decoder.decode(HaltEvent.self, from: data))
            case "end": return .end(try decoder.decode(EndEvent.self, from: data))
            case "metrics": return .metrics(try decoder.decode(MetricsEvent.self, from: data))
            case "fake_set":
                let f = try decoder.decode(FakeSetEvent.self, from: data)
                if let p = f.problem { throw fail("fake_set event: \(p)") }
                return .fakeSet(f)
            default: throw fail("unknown event type '\(header.type)'")
            }
        } catch let e as RunLogError {
            throw e
        } catch let DecodingError.keyNotFound(key, _) {
            throw fail("\(header.type) event lacks field '\(key.stringValue)'")
        } catch {
            throw fail("malformed \(header.type) event")
        }
    }
}
