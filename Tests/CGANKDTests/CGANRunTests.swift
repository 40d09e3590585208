import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import CGANKD

/// The steerable conditional-GAN run: its events, live tuning, checkpoints that resume exactly, and the halt on a NaN.
@Suite struct CGANRunTests {
    /// Two classes of 32×32 images (bright top or bottom half), so a LeNet teacher can look at them.
    static let data: Dataset = {
        var images: [Float] = [], labels: [Int] = []
        for i in 0..<48 {
            labels.append(i % 2)
            for r in 0..<32 { for _ in 0..<32 { images.append((r < 16) == (i % 2 == 0) ? 1.5 : -0.7) } }
        }
        return Dataset(images: images, labels: labels, side: 32, classes: 2)
    }()

    static func config(iterations: Int = 6) -> CGANConfig {
        var c = CGANConfig()
        (c.iterations, c.batch, c.latent, c.generatorWidth, c.discriminatorWidth) = (iterations, 8, 8, 8, 4)
        (c.emaDecay, c.emaStart) = (0.9, 2)
        return c
    }

    static func settings() -> CGANRunSettings {
        var s = CGANRunSettings()
        (s.fdEvery, s.fdSamples, s.samplesEvery, s.checkpointEvery, s.samplesPerClass) = (3, 4, 2, 100, 1)
        return s
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-cganrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    func teacher() -> LeNet5 { var r = RNG(seed: 5); return LeNet5(.half, classes: 2, rng: &r) }

    final class Events: @unchecked Sendable {
        var all: [RunEvent] = []
        var onEvent: (RunEvent) -> Void = { _ in }
        func put(_ e: RunEvent) { all.append(e); onEvent(e) }
    }

    func makeRun(_ dir: URL, _ events: Events, config: CGANConfig = config(), resume: CGANCheckpointInfo? = nil) throws -> CGANRun {
        try CGANRun(trainer: CGANTrainer(config: config, data: Self.data), teacher: teacher(), settings: Self.settings(),
                    preprocessing: .fashionMNIST, runDir: dir, runName: "t", dataDir: "toy", perClass: nil, teacherPath: "t.safetensors",
                    resume: resume, sink: events.put)
    }

    @Test func emitsTheEventsTheDashboardDraws() throws {
        let dir = try tempDir(), events = Events()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try makeRun(dir, events)
        #expect(run.run() == .completed)
        guard case .config(let c) = events.all.first else { Issue.record("no config first"); return }
        #expect(c.preset == "cgan-train" && c.settings["iterations"] == "6")
        let gan = events.all.compactMap { e -> MetricsEvent? in if case .metrics(let m) = e, m.values["d_loss"] != nil { m } else { nil } }
        #expect(gan.map(\.step) == [1, 2, 3, 4, 5, 6])
        #expect(gan.allSatisfy { ["g_loss", "real_score", "fake_score", "lr_g", "lr_d"].allSatisfy($0.values.keys.contains) })
        let quality = events.all.compactMap { e -> MetricsEvent? in if case .metrics(let m) = e, m.values["fd"] != nil { m } else { nil } }
        #expect(quality.map(\.step) == [3, 6])
        #expect(quality.allSatisfy { $0.perClass?["fd"]?.count == 2 && $0.values["fd_trained"] != nil && $0.values["agreement"] != nil })
        let samples = events.all.compactMap { e -> SamplesEvent? in if case .samples(let s) = e { s } else { nil } }
        #expect(samples.map(\.step) == [0, 2, 4, 6])
        #expect(samples.allSatisfy { $0.images.map(\.conditioning) == [0, 1] && $0.width == 32 })
        guard case .end(let end) = events.all.last else { Issue.record("no end last"); return }
        #expect(end.reason == "completed" && end.step == 6)
        for f in ["generator.safetensors", "discriminator.safetensors", "samples.pgm", "checkpoint.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(f)")
        }
        // The saved generator is the weight average, not the trained one.
        let (saved, _) = try ModelFile.loadConditionalGenerator(dir.appendingPathComponent("generator.safetensors"))
        let avg = run.trainer.sampledGenerator.namedParameters.map(\.1.data), trained = run.trainer.trainedGenerator.namedParameters.map(\.1.data)
        #expect(saved.namedParameters.map(\.1.data) == avg && avg != trained)
    }

    @Test func learningRatesAreTunedLiveAndOtherKeysIgnored() throws {
        let dir = try tempDir(), events = Events()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try makeRun(dir, events, config: Self.config(iterations: 2))
        run.send(.scale(.lrG, 0.5), source: "test")
        run.send(.set(.lrD, 1e-3), source: "test")
        run.send(.scale(.alpha, 2), source: "test")   // a DAFL weight: not this run's
        run.run()
        let sets = events.all.compactMap { e -> ControlEvent? in if case .control(let c) = e, c.action == "set" { c } else { nil } }
        #expect(sets.map { $0.key } == ["lr_g", "lr_d"])
        #expect(run.trainer.optimizerG.learningRate == 1e-4 && run.trainer.optimizerD.learningRate == 1e-3)
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
        #expect(first.step == 3)
        let info = try CGANCheckpointInfo.load(runDir: splitDir)
        #expect(info.step == 3 && info.emaUpdates == 3)
        let second = try makeRun(splitDir, Events(), config: info.config, resume: info)
        #expect(second.step == 3)
        #expect(second.run() == .completed)
        for (a, b) in zip(straight.trainer.trainedGenerator.stateDict + straight.trainer.discriminator.stateDict + straight.trainer.sampledGenerator.stateDict,
                          second.trainer.trainedGenerator.stateDict + second.trainer.discriminator.stateDict + second.trainer.sampledGenerator.stateDict) {
            #expect(a.1.data == b.1.data, "\(a.0) differs after resume")
        }
    }

    @Test func aNonFiniteLossHaltsWithoutWritingModels() throws {
        let dir = try tempDir(), events = Events()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try makeRun(dir, events)
        run.trainer.discriminator.parameters[0].data[0] = .nan
        #expect(run.run() == .halted)
        #expect(events.all.contains { if case .halt(let h) = $0 { h.reason == "non-finite-loss" } else { false } })
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("generator.safetensors").path))
    }

    /// A checkpoint that cannot be written stops the run (a directory where its temporary goes makes the
    /// write fail, even for root); the one before stays and resumes.
    @Test func anUnwritableCheckpointHaltsAndKeepsThePreviousOne() throws {
        let dir = try tempDir(), events = Events()
        defer { try? FileManager.default.removeItem(at: dir) }
        var settings = Self.settings()
        settings.checkpointEvery = 2
        let run = try CGANRun(trainer: CGANTrainer(config: Self.config(), data: Self.data), teacher: teacher(), settings: settings,
                              preprocessing: .fashionMNIST, runDir: dir, runName: "t", dataDir: "toy", perClass: nil,
                              teacherPath: "t.safetensors", sink: events.put)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".checkpoint-00000004.safetensors.tmp-\(getpid())/x"),
                                                withIntermediateDirectories: true)
        #expect(run.run() == .halted)
        #expect(run.step == 4)
        #expect(events.all.contains { if case .halt(let h) = $0 { h.reason == "write-failed" && h.safeCheckpoint?.hasSuffix("checkpoint-00000002.safetensors") == true } else { false } })
        #expect(try CGANCheckpointInfo.load(runDir: dir).step == 2)
    }

    @Test func damagedCheckpointsAreNamed() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: WeightsError.self) { try CGANCheckpointInfo.load(runDir: dir) }
        try Data("{\"step\": 3".utf8).write(to: dir.appendingPathComponent("checkpoint.json"))
        do { _ = try CGANCheckpointInfo.load(runDir: dir); Issue.record("a truncated sidecar loaded") } catch let e as WeightsError {
            #expect(e.file.hasSuffix("checkpoint.json"))
        }
    }
}
