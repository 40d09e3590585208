import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import CGANKD

/// CcGAN as a steerable run: its events (the teacher's reading of generated labels, label-sweep
/// samples), checkpoints that resume exactly, and the regression student stage.
@Suite struct CcGANRunTests {
    /// 40 rotated 32×32 images of a bar, labelled by the angle.
    static let data: RegressionSet = {
        var bar = [Float](repeating: -0.8, count: 32 * 32)
        for r in 8..<24 { for c in 14..<18 { bar[r * 32 + c] = 2 } }
        let base = Dataset(images: (0..<40).flatMap { _ in bar }, labels: [Int](repeating: 0, count: 40), side: 32, classes: 1)
        return Rotation.task(base, degrees: -45...45, seed: 3, fill: -0.8)
    }()

    static func config(iterations: Int = 6) -> CGANConfig {
        var c = CGANConfig()
        (c.iterations, c.batch, c.latent, c.generatorWidth, c.discriminatorWidth) = (iterations, 8, 8, 8, 4)
        return c
    }

    static var settings: CGANRunSettings {
        var s = CGANRunSettings()
        (s.fdEvery, s.fdSamples, s.samplesEvery, s.checkpointEvery, s.samplesPerClass) = (3, 4, 2, 100, 1)
        return s
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-ccgan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    final class Events: @unchecked Sendable {
        var all: [RunEvent] = []
        var onEvent: (RunEvent) -> Void = { _ in }
        func put(_ e: RunEvent) { all.append(e); onEvent(e) }
    }

    func makeRun(_ dir: URL, _ events: Events, config: CGANConfig = config(), resume: CGANCheckpointInfo? = nil) throws -> CGANRun {
        var rng = RNG(seed: 1)
        let y2h = LabelEmbedding(dimension: 16, rng: &rng)
        var teacherRng = RNG(seed: 5)
        let teacher = LeNet5(.half, classes: 1, rng: &teacherRng)
        return try CGANRun(trainer: CcGANTrainer(config: config, settings: CcGANSettings(), data: Self.data, embedding: y2h), teacher: teacher,
                           settings: Self.settings, preprocessing: .fashionMNIST, runDir: dir, runName: "cc", dataDir: "toy", perClass: nil,
                           teacherPath: "t.safetensors", resume: resume, task: .rotation(degrees: -45...45, labelled: nil, seed: 3), sink: events.put)
    }

    @Test func emitsRegressionEventsAndSavesALoadableGenerator() throws {
        let dir = try tempDir(), events = Events()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try makeRun(dir, events)
        #expect(run.run() == .completed)
        guard case .config(let c) = events.all.first else { Issue.record("no config first"); return }
        #expect(c.preset == "ccgan-train" && c.settings["vicinity"] == "soft" && c.settings["task"] == "rotation" && c.settings["kappa"] != nil)
        let quality = events.all.compactMap { e -> MetricsEvent? in if case .metrics(let m) = e, m.values["label_mae"] != nil { m } else { nil } }
        #expect(quality.map(\.step) == [3, 6] && quality.allSatisfy { (0...90).contains($0.values["label_mae"]!) })
        let samples = events.all.compactMap { e -> SamplesEvent? in if case .samples(let s) = e { s } else { nil } }
        #expect(samples.map(\.step) == [0, 2, 4, 6])
        #expect(samples.allSatisfy { $0.images.map(\.target) == [-45, -22.5, 0, 22.5, 45] && $0.images.allSatisfy { $0.value != nil && $0.unit == "°" } })
        let (g, _, labels) = try ModelFile.loadContinuousGenerator(dir.appendingPathComponent("generator.safetensors"))
        #expect(labels == -45...45)
        #expect(g.namedParameters.map(\.1.data) == run.trainer.sampledGenerator.namedParameters.map(\.1.data))
    }

    @Test func aStoppedRunResumesExactly() throws {
        let straightDir = try tempDir(), splitDir = try tempDir()
        defer { for d in [straightDir, splitDir] { try? FileManager.default.removeItem(at: d) } }
        let straight = try makeRun(straightDir, Events())
        straight.run()
        let events = Events()
        let first = try makeRun(splitDir, events)
        events.onEvent = { e in if case .metrics(let m) = e, m.step == 3, m.values["d_loss"] != nil { first.send(.stop(reason: "stopped"), source: "test") } }
        #expect(first.run() == .stopped)
        let info = try CGANCheckpointInfo.load(runDir: splitDir)
        #expect(info.step == 3 && info.task?.kind == "rotation" && info.ccgan == CcGANSettings())
        let second = try makeRun(splitDir, Events(), config: info.config, resume: info)
        #expect(second.run() == .completed)
        for (a, b) in zip(straight.trainer.trainedGenerator.stateDict + straight.trainer.discriminator.stateDict,
                          second.trainer.trainedGenerator.stateDict + second.trainer.discriminator.stateDict) {
            #expect(a.1.data == b.1.data, "\(a.0) differs after resume")
        }
    }

    @Test func studentStageTrainsOnRealAndProcessedFakes() throws {
        let dir = try tempDir(), events = Events()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = RNG(seed: 2)
        let g = ContinuousConditionalGenerator(embedding: LabelEmbedding(dimension: 16, rng: &rng), latent: 8, width: 8, rng: &rng)
        let teacher = LeNet5(.half, classes: 1, rng: &rng)
        var c = RegressionDistillConfig()
        (c.fakeCount, c.bins, c.subsample, c.epochs, c.batch) = (16, 4, false, 2, 16)   // subsampling: RegressionFakeSetTests
        let run = RegressionDistillRun(config: c, teacher: teacher, generator: g, real: Self.data, test: Self.data.prefix(10),
                                       preprocessing: .fashionMNIST, runDir: dir, runName: "s", sink: events.put)
        #expect(run.run() == .completed)
        #expect(run.fakeStats?.kept == [4, 4, 4, 4] && run.errors.count == 2)
        let student = events.all.compactMap { e -> MetricsEvent? in if case .metrics(let m) = e, m.stage == "student" { m } else { nil } }
        #expect(student.map(\.step) == [1, 2] && student.allSatisfy { $0.values["test_mae"] != nil && $0.values["teacher_mae"] == run.teacherError })
        guard let fakeSet = events.all.compactMap({ e -> FakeSetEvent? in if case .fakeSet(let f) = e { f } else { nil } }).first else {
            Issue.record("no fake_set event"); return
        }
        #expect(fakeSet.labelRange == [-45, 45] && fakeSet.predicted?.reduce(0, +) == 16 && fakeSet.relabelled)
        let strip = events.all.compactMap { e -> SamplesEvent? in if case .samples(let s) = e { s } else { nil } }.first
        #expect(strip?.images.count == 16 && strip?.images.map { $0.target! } == strip?.images.map { $0.target! }.sorted())
        let (saved, _, meta) = try ModelFile.loadClassifier(run.studentURL)
        #expect(saved.classes == 1 && meta["task"] == "regression")
    }
}
