import Foundation
import Testing
@testable import RunEvents

@Suite struct RunLogTests {
    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dafl-log-\(UUID().uuidString)-\(name)").path
    }

    static let samples: [RunEvent] = [
        .config(ConfigEvent(step: 0, time: 0, run: "r", preset: "cpu", settings: ["batch": "128"], classNames: ["a"],
                            resumed: false, teacherAccuracy: 90.5)),
        .step(StepEvent(step: 1, time: 0.5, oh: 0.2, a: -1.5, ie: -0.9, kd: 1.6, total: -3.2, alpha: 0.1, beta: 5, ohWeight: 1,
                        lrG: 0.2, lrS: 0.002, hist: [1, 2, 3], histEntropy: 1.46, stepsPerSecond: 3)),
        .samples(SamplesEvent(step: 1, time: 0.5, width: 2, height: 1, images: [.init(pixels: Data([0, 255]).base64EncodedString(), label: 3, confidence: 0.9)])),
        .eval(EvalEvent(step: 120, time: 40, studentAccuracy: 70, teacherAccuracy: 90, agreement: 72, bestStudentAccuracy: 71)),
        .control(ControlEvent(step: 5, time: 2, action: "set", key: "beta", old: 5, new: 7.5, source: "keyboard")),
        .checkpoint(CheckpointEvent(step: 120, time: 41, path: "/r/checkpoint-00000120.safetensors", reason: "periodic")),
        .halt(HaltEvent(step: 7, time: 3, reason: "non-finite-loss", detail: "kd = nan", safeCheckpoint: nil)),
        .end(EndEvent(step: 7, time: 3, reason: "halted", bestStudentAccuracy: nil, lastStudentAccuracy: nil)),
    ]

    @Test func everyEventRoundTrips() throws {
        for e in Self.samples {
            let line = try e.jsonLine()
            #expect(line.hasPrefix("{\"v\":1,\"type\":\"\(e.type)\""))
            #expect(!line.contains("\n"))
            #expect(try RunEvent.decode(line: line) == e)
        }
    }

    @Test func fieldNamesAreSnakeCase() throws {
        let line = try Self.samples[1].jsonLine()
        #expect(line.contains("\"steps_per_second\":3") && line.contains("\"hist_entropy\""))
    }

    @Test func samplesDecodeToBytes() {
        guard case .samples(let s) = Self.samples[2] else { return }
        #expect(s.images[0].bytes == [0, 255])
    }

    @Test func writerAppendsAndReaderReadsBack() throws {
        let path = temp("a.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try RunLogWriter(path: path)
        for e in Self.samples { try w.append(e) }
        let r = try RunLogReader.read(path: path)
        #expect(r.events == Self.samples && !r.partialTail && r.warnings.isEmpty)
    }

    @Test func truncatedMidLineKeepsCompleteLines() throws {
        let path = temp("t.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = try Self.samples[0...1].map { try $0.jsonLine() + "\n" }.joined()
        text += String(try Self.samples[3].jsonLine().prefix(25))
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try RunLogReader.read(path: path)
        #expect(r.events.count == 2 && r.partialTail)
        #expect(r.warnings.first?.contains("incomplete last line") == true)
        // A writer reopening the file ends the partial line first, so new events parse.
        let w = try RunLogWriter(path: path)
        try w.append(Self.samples[4])
        let r2 = try RunLogReader.read(path: path)
        #expect(r2.events.last == Self.samples[4] && r2.events.count == 3 && !r2.partialTail)
    }

    @Test func emptyLogIsAClearError() throws {
        let path = temp("e.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try RunLogReader.read(path: path) } throws: { ($0 as? RunLogError)?.problem.contains("empty") == true }
    }

    @Test func futureSchemaVersionIsAClearError() throws {
        let path = temp("f.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "{\"v\":99,\"type\":\"step\",\"step\":1}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try RunLogReader.read(path: path) } throws: { e in
            let p = (e as? RunLogError)?.problem ?? ""
            return p.contains("version 99") && p.contains("upgrade")
        }
    }

    @Test func aFileThatIsNotALog() throws {
        let path = temp("n.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "hello world\nsecond line\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try RunLogReader.read(path: path) } throws: { e in
            guard let e = e as? RunLogError else { return false }
            return e.line == 1 && e.problem.contains("does not look like a dafl run log")
        }
        #expect(throws: RunLogError.self) { try RunLogReader.read(path: path + ".missing") }
    }

    @Test func aDamagedMiddleLineIsSkippedWithAWarning() throws {
        let path = temp("d.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try Self.samples[0].jsonLine() + "\n{garbage\n" + Self.samples[1].jsonLine() + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try RunLogReader.read(path: path)
        #expect(r.events.count == 2 && r.warnings.count == 1 && r.warnings[0].hasPrefix("line 2"))
    }
}
