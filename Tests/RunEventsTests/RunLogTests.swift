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
        .metrics(MetricsEvent(step: 3, time: 1, stage: "gan", values: ["d_loss": 1.5, "fd": 40], perClass: ["fd": [30, 50]])),
        .fakeSet(FakeSetEvent(step: 0, time: 2, generated: [10, 12], accepted: [9, 8], kept: [8, 7], disagreements: [1, 0],
                              thresholds: [0.7, nil], maxRatios: [2.5, 0], relabelled: true, path: "/r/fake-set.safetensors")),
        .samples(SamplesEvent(step: 2, time: 1, width: 1, height: 1, images: [.init(pixels: Data([9]).base64EncodedString(), label: 1,
                                                                                   confidence: 0.8, conditioning: 0)])),
    ]

    @Test func everyEventRoundTrips() throws {
        for e in Self.samples {
            let line = try e.jsonLine()
            #expect(line.hasPrefix("{\"v\":2,\"type\":\"\(e.type)\""))
            #expect(!line.contains("\n"))
            #expect(try RunEvent.decode(line: line) == e)
        }
    }

    /// Logs written before version 2 (no `metrics`, `fake_set`, or `conditioning` on samples) read unchanged.
    @Test func versionOneLinesStillRead() throws {
        let line = #"{"v":1,"type":"samples","height":1,"images":[{"confidence":0.9,"label":3,"pixels":"AP8="}],"step":1,"time":0.5,"width":2}"#
        guard case .samples(let s) = try RunEvent.decode(line: line) else { Issue.record("not samples"); return }
        #expect(s.images[0].conditioning == nil && s.images[0].label == 3)
        let future = #"{"v":3,"type":"step","step":1}"#
        #expect(throws: RunLogError.self) { try RunEvent.decode(line: future) }
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

    /// A fake-set line whose per-class lists disagree in length (found by the smoke fuzzer: the dashboard
    /// indexed past the shorter list) is refused with a message naming the list.
    @Test func fakeSetWithListsOfDifferentLengthsIsAClearError() throws {
        let line = #"{"v":2,"type":"fake_set","accepted":[3,3],"disagreements":[0,0,0],"generated":[3,3,3],"kept":[3,3,3],"max_ratios":[0,0,0],"relabelled":true,"step":0,"thresholds":[1,1,1],"time":0.5}"#
        #expect(throws: RunLogError.self) { try RunEvent.decode(line: line) }
        do { _ = try RunEvent.decode(line: line, file: "run.jsonl", lineNumber: 2) } catch let e as RunLogError {
            #expect(e.description == "run.jsonl:2: fake_set event: 'accepted' has 2 groups, 'kept' 3")
        }
        let badRange = #"{"v":2,"type":"fake_set","accepted":[3],"disagreements":[0],"generated":[3],"kept":[3],"max_ratios":[0],"relabelled":true,"step":0,"thresholds":[1],"time":0.5,"label_range":[1]}"#
        #expect(throws: RunLogError.self) { try RunEvent.decode(line: badRange) }
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
