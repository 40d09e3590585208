import Foundation
import RunEvents
import Testing
@testable import TensorBoard

/// Exports a made run log (with a resume that redoes steps) and reads it back with TensorBoard's own
/// EventAccumulator (scripts/tensorboard_dump.py): every scalar series must have the log's points and
/// values, images must decode to the grid's size, histograms must hold the class counts.
@Suite struct TensorBoardExportTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// TensorBoard's Python package is needed (pip install tensorboard); CI installs it, so there its absence fails the test.
    static let hasTensorBoard: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import tensorboard"]
        p.standardError = FileHandle.nullDevice
        do { try p.run(); p.waitUntilExit(); return p.terminationStatus == 0 } catch { return false }
    }()

    static func step(_ s: Int, beta: Double = 5) -> RunEvent {
        .step(StepEvent(step: s, time: Double(s) / 10, oh: 1 / Double(s), a: -Double(s) / 7, ie: -0.9, kd: 0.5 + Double(s) / 100,
                        total: 2, alpha: 0.1, beta: beta, ohWeight: 1, lrG: 0.2, lrS: 2e-3,
                        hist: [s, 0, 3, 1], histEntropy: 1.5, stepsPerSecond: 10))
    }

    static func log() -> [RunEvent] {
        let pixels = Data((0..<(5 * 4)).map { UInt8($0 * 12) }).base64EncodedString()
        var events: [RunEvent] = [
            .config(ConfigEvent(step: 0, time: 0, run: "r", preset: "cpu", settings: ["batch": "64"], classNames: ["a", "b", "c", "d"],
                                resumed: false, teacherAccuracy: 90)),
        ]
        events += (1...6).map { step($0) }
        events.append(.samples(SamplesEvent(step: 4, time: 0.4, width: 5, height: 4,
                                            images: Array(repeating: .init(pixels: pixels, label: 1, confidence: 0.9), count: 10))))
        events.append(.eval(EvalEvent(step: 4, time: 0.4, studentAccuracy: 50, teacherAccuracy: 90, agreement: 52, bestStudentAccuracy: 50)))
        events.append(.control(ControlEvent(step: 5, time: 0.5, action: "set", key: "beta", old: 5, new: 6, source: "keyboard")))
        // Killed after step 6; resumed from the step-4 checkpoint: steps 5 and 6 are redone with β 6.
        events.append(.control(ControlEvent(step: 4, time: 0.6, action: "resume-run", source: "cli")))
        events += (5...7).map { step($0, beta: 6) }
        events.append(.metrics(MetricsEvent(step: 7, time: 0.8, stage: "gan", values: ["fd": 12.5], perClass: ["fd": [1, 2, 3, 4]])))
        // Colour samples (planes R, G, B) become an RGB grid.
        let colour = Data((0..<(3 * 5 * 4)).map { UInt8($0 * 4) }).base64EncodedString()
        events.append(.samples(SamplesEvent(step: 7, time: 0.85, width: 5, height: 4,
                                            images: Array(repeating: .init(pixels: colour, label: 2, confidence: 0.8), count: 3), channels: 3)))
        events.append(.end(EndEvent(step: 7, time: 0.9, reason: "completed", bestStudentAccuracy: 50, lastStudentAccuracy: 50)))
        return events
    }

    struct Dump: Decodable {
        var scalars: [String: [[Double]]]
        var images: [String: [[Int]]]
        var histograms: [String: [[Histogram]]]
        var text: [String: [[TextEntry]]]
        enum Histogram: Decodable {
            case number(Double), list([Double])
            init(from d: Decoder) throws {
                let c = try d.singleValueContainer()
                if let x = try? c.decode(Double.self) { self = .number(x) } else { self = .list(try c.decode([Double].self)) }
            }
            var list: [Double] { if case .list(let l) = self { l } else { [] } }
            var number: Double { if case .number(let x) = self { x } else { .nan } }
        }
        enum TextEntry: Decodable {
            case step(Int), strings([String])
            init(from d: Decoder) throws {
                let c = try d.singleValueContainer()
                if let x = try? c.decode(Int.self) { self = .step(x) } else { self = .strings(try c.decode([String].self)) }
            }
        }
    }

    static func dump(_ dir: URL) throws -> Dump {
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repo.appendingPathComponent("scripts/tensorboard_dump.py").path, dir.path]
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return try JSONDecoder().decode(Dump.self, from: data)
    }

    @Test func tensorBoardReadsBackWhatTheLogHolds() throws {
        guard Self.hasTensorBoard else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must have TensorBoard's Python package (pip install tensorboard)")
            print("skipped: TensorBoard's Python package is not installed (pip install tensorboard)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logFile = dir.appendingPathComponent("events.jsonl")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let writer = try RunLogWriter(path: logFile.path)
        for e in Self.log() { try writer.append(e) }
        let file = try TensorBoardExport.export(log: logFile.path, to: dir.appendingPathComponent("tb"))
        #expect(file.lastPathComponent.hasPrefix("events.out.tfevents."))
        let d = try Self.dump(dir.appendingPathComponent("tb"))

        // Scalars: steps 1–7 once each (5 and 6 as redone, with β 6), values as logged (to float precision).
        let steps = RunHistory.effective(Self.log()).compactMap { if case .step(let s) = $0 { s } else { nil } }
        #expect(steps.map(\.step) == [1, 2, 3, 4, 5, 6, 7])
        for (tag, value) in [("loss/one_hot", \StepEvent.oh), ("loss/activation", \.a), ("loss/kd", \.kd), ("weights/beta", \.beta),
                             ("lr/student", \.lrS), ("balance/entropy_bits", \.histEntropy)] as [(String, KeyPath<StepEvent, Double>)] {
            let series = d.scalars[tag] ?? []
            #expect(series.map { Int($0[0]) } == steps.map(\.step), "\(tag)")
            #expect(zip(series, steps).allSatisfy { Float($0.0[1]) == Float($0.1[keyPath: value]) }, "\(tag): \(series)")
        }
        #expect(d.scalars["weights/beta"]?.map { $0[1] } == [5, 5, 5, 5, 6, 6, 6])
        #expect(d.scalars["eval/student_accuracy"]?.map { $0[1] } == [50])
        #expect(d.scalars["gan/fd"]?.first?[1] == 12.5 && d.scalars["gan/fd/class_3"]?.first?[1] == 4)
        // Histograms: one per step, class i in bucket i.
        let hist = d.histograms[RunEventExport.balanceTag] ?? []
        #expect(hist.count == 7)
        #expect(hist.first?[1].list == [0.5, 1.5, 2.5, 3.5] && hist.first?[2].list == [1, 0, 3, 1] && hist.first?[3].number == 5)
        // Images: ten 5×4 images in a grid of 8 columns and 2 rows with 1-pixel gaps, as decoded from the PNG.
        #expect(d.images[RunEventExport.samplesTag]?.first == [4, 47, 9, 47, 9])
        // Three colour images in one row: 3·6−1 wide, 4 high, decoded (as RGB) to that size.
        #expect(d.images[RunEventExport.samplesTag]?.last == [7, 17, 4, 17, 4])
        // Text: the control actions, in order.
        #expect(d.text["control"]?.count == 2 && d.text["config"]?.count == 1 && d.text["events"]?.count == 1)
    }
}
