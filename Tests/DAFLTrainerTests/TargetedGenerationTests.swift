import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import DAFLTrainer

/// Targeted generation (`--targeted`): a class per image conditions the generator, the one-hot term is
/// the cross-entropy against it, and the run logs, resumes and saves like any other.
@Suite struct TargetedGenerationTests {
    static func config(iterations: Int = 4) -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: iterations)
        c.targeted = true
        return c
    }

    @Test func theOneHotTermIsTheCrossEntropyAgainstTheTargets() {
        var rng = RNG(seed: 3)
        let conditional = ConditionalGenerator(classes: 10, latent: 8, width: 8, rng: &rng)
        let teacher = TrainerTests.tinyTeacher(), student = LeNet5(.half, rng: &rng)
        let z = Tensor(shape: [4, 8], data: rng.normal(count: 32)), targets = [3, 1, 4, 1]
        // What the iteration should compute, before it steps anything.
        let logits = GradMode.noGrad { teacher(conditional.generator(z * conditional.labelEmbedding(targets))) }
        let expected = GradMode.noGrad { Tensor.crossEntropy(logits, targets: targets) }.item
        let hits = Float(zip(logits.argmaxRows(), targets).filter { $0 == $1 }.count) / 4
        let (r, _) = DAFLIteration.run(generator: conditional.generator, teacher: teacher, student: student,
                                       generatorOptimizer: Adam(conditional.parameters, lr: 0.01), studentOptimizer: Adam(student.parameters, lr: 0.01),
                                       noise: z, weights: LossWeights(), targets: targets, conditional: conditional)
        #expect(abs(r.oneHot - expected) < 1e-5 && r.onTarget == hits)
        // The embedding learns: the generator's optimizer moved it.
        #expect(conditional.labelEmbedding.weight.grad != nil)
    }

    @Test func runsLogsTargetsAndSavesAConditionalGenerator() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box)
        #expect(t.run() == .completed)
        #expect(box.steps.count == 4 && box.steps.allSatisfy { ($0.onTarget ?? -1) >= 0 && $0.onTarget! <= 100 })
        #expect(box.all.contains { if case .samples(let s) = $0 { s.images.allSatisfy { $0.conditioning != nil } } else { false } })
        #expect(box.all.contains { if case .config(let c) = $0 { c.settings["targeted"] == "true" } else { false } })
        let (g, _) = try ModelFile.loadConditionalGenerator(dir.appendingPathComponent("generator.safetensors"))
        #expect(g.classes == 10 && g.conditioning == .noise && g.labelEmbedding.weight.data == t.labelEmbedding!.weight.data)
    }

    @Test func resumeContinuesExactly() throws {
        let (a, b2) = try straightAndResumed(Self.config())
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.config.targeted == true && b2.step == 2)
        #expect(b2.run() == .completed)
        for ((k, x), (_, y)) in zip(a.student.stateDict + a.generator.stateDict, b2.student.stateDict + b2.generator.stateDict) {
            #expect(x.data == y.data, "\(k)")
        }
        #expect(a.labelEmbedding!.weight.data == b2.labelEmbedding!.weight.data)
    }

    /// `--conditioning batchnorm`: the target picks a γ and β per class in the generator's first three batch norms;
    /// only the rows of the classes drawn learn, and the one-hot term is the cross-entropy against the targets.
    @Test func batchNormConditioningTrainsTheTargetsRows() {
        var rng = RNG(seed: 5)
        let conditional = ConditionalGenerator(classes: 10, latent: 8, width: 8, conditioning: .batchNorm, rng: &rng)
        let teacher = TrainerTests.tinyTeacher(), student = LeNet5(.half, rng: &rng)
        let z = Tensor(shape: [4, 8], data: rng.normal(count: 32)), targets = [2, 7, 7, 2]
        let logits = GradMode.noGrad { teacher(conditional(z, labels: targets)) }
        let expected = GradMode.noGrad { Tensor.crossEntropy(logits, targets: targets) }.item
        // At the start every class's norm is the plain one: the labels do not change the images yet.
        let same = GradMode.noGrad { conditional(z, labels: [0, 1, 3, 4]) }.data == GradMode.noGrad { conditional(z, labels: targets) }.data
        #expect(same)
        let (r, _) = DAFLIteration.run(generator: conditional.generator, teacher: teacher, student: student,
                                       generatorOptimizer: Adam(conditional.parameters, lr: 0.01), studentOptimizer: Adam(student.parameters, lr: 0.01),
                                       noise: z, weights: LossWeights(), targets: targets, conditional: conditional)
        #expect(abs(r.oneHot - expected) < 1e-5)
        let gamma = conditional.conditionalNorms[0].gamma, width = gamma.shape[1]
        let moved = (0..<10).map { c in (0..<width).contains { gamma.data[c * width + $0] != 1 } }
        #expect(moved == (0..<10).map { [2, 7].contains($0) })
        // After the step the targets' norms differ: the conditioning reaches the pixels.
        let differ = GradMode.noGrad { conditional(z, labels: [0, 1, 3, 4]) }.data != GradMode.noGrad { conditional(z, labels: targets) }.data
        #expect(differ)
        // A collapse reset starts the norms as plain ones again, drawing nothing from the run's stream.
        var before = RNG(seed: 9), after = before
        conditional.resetConditioning(rng: &after)
        #expect(gamma.data.allSatisfy { $0 == 1 } && conditional.conditionalNorms[0].beta.data.allSatisfy { $0 == 0 })
        #expect(before.next() == after.next())
    }

    @Test func batchNormConditioningIsLoggedResumedAndSaved() throws {
        var c = Self.config()
        c.conditioning = "batchnorm"
        try expectLoggedAndResumedExactly(c, key: "conditioning", value: "batchnorm", off: "noise")
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(c, dir: dir, box: EventBox())
        #expect(t.run() == .completed && t.labelEmbedding == nil)
        let (g, _) = try ModelFile.loadConditionalGenerator(dir.appendingPathComponent("generator.safetensors"))
        #expect(g.conditioning == .batchNorm)
        #expect(g.stateDict.map(\.1.data) == t.conditional!.stateDict.map(\.1.data))
    }

    @Test func badConditioningIsNamed() {
        var c = Self.config()
        c.conditioning = "embedding"
        #expect(c.problems().contains { $0.contains("--conditioning must be noise or batchnorm") })
        var untargeted = TrainerTests.tinyConfig()
        untargeted.conditioning = "batchnorm"
        #expect(untargeted.problems().contains { $0.contains("--conditioning needs --targeted") })
        c.conditioning = "batchnorm"
        #expect(c.problems().isEmpty)
    }

    /// `--balanced-one-hot`: logged, resumed exactly, another student than the argmax's, and refused with `--targeted`.
    @Test func balancedOneHotIsLoggedResumedAndExcludesTargets() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.balancedOneHot = true
        try expectLoggedResumedAndAnotherStudent(c, key: "balanced_one_hot", value: "true", off: "false")
        var both = Self.config(); both.balancedOneHot = true
        #expect(both.problems().contains { $0.contains("--balanced-one-hot cannot be combined with --targeted") })
    }
}

/// The student's weight average (`--student-ema`): evaluated and saved in place of the trained student,
/// and restored exactly on resume.
@Suite struct StudentAverageTests {
    static func config(iterations: Int = 4) -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: iterations)
        c.studentEMA = 0.5
        return c
    }

    @Test func theAverageIsWhatTheRunDelivers() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box)
        #expect(t.run() == .completed)
        let avg = t.studentAverage!.average.namedParameters.map(\.1.data), trained = t.student.namedParameters.map(\.1.data)
        #expect(avg != trained && t.studentAverage!.updates == 4)
        let (saved, _, _) = try ModelFile.loadClassifier(dir.appendingPathComponent("student.safetensors"))
        #expect(saved.namedParameters.map(\.1.data) == avg)
        #expect(box.all.contains { if case .config(let c) = $0 { c.settings["student_ema"] == "0.5" } else { false } })
        #expect(DistillConfig.preset(.cpu).problems().isEmpty)
        var bad = Self.config(); bad.studentEMA = 1
        #expect(bad.problems().contains { $0.contains("--student-ema") })
    }

    @Test func resumeRestoresTheAverage() throws {
        let (a, b2) = try straightAndResumed(Self.config())
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.studentAverage?.updates == 2)
        #expect(b2.run() == .completed)
        #expect(a.studentAverage!.average.namedParameters.map(\.1.data) == b2.studentAverage!.average.namedParameters.map(\.1.data))
    }
}

/// `--student-swa N`: the plain mean of the student's weights from iteration N on is what the run
/// evaluates and saves, logged in the config, restored exactly on resume, and refused with --student-ema.
@Suite struct StudentSWATests {
    static func config(iterations: Int = 4) -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: iterations)
        c.studentSWA = 1
        return c
    }

    @Test func theMeanIsWhatTheRunDelivers() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box)
        #expect(t.run() == .completed)
        let avg = t.studentAverage!.average.namedParameters.map(\.1.data), trained = t.student.namedParameters.map(\.1.data)
        #expect(avg != trained && t.studentAverage!.uniform && t.studentAverage!.updates == 4)
        let (saved, _, _) = try ModelFile.loadClassifier(dir.appendingPathComponent("student.safetensors"))
        #expect(saved.namedParameters.map(\.1.data) == avg)
        #expect(box.all.contains { if case .config(let c) = $0 { c.settings["student_swa"] == "1" } else { false } })
        #expect(DistillConfig.preset(.cpu).settings["student_swa"] == "off")
    }

    @Test func badValuesAreNamed() {
        var late = Self.config(); late.studentSWA = 4
        #expect(late.problems().contains { $0.contains("--student-swa") })
        var both = Self.config(); both.studentEMA = 0.9
        #expect(both.problems().contains { $0.contains("--student-swa and --student-ema") })
        #expect(Self.config().problems().isEmpty)
    }

    @Test func resumeRestoresTheMean() throws {
        let (a, b2) = try straightAndResumed(Self.config())
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.studentAverage?.updates == 2)
        #expect(b2.run() == .completed)
        #expect(a.studentAverage!.average.namedParameters.map(\.1.data) == b2.studentAverage!.average.namedParameters.map(\.1.data))
    }
}

/// A run of `config` straight through, and the same run stopped after two steps and resumed (not yet run on).
func straightAndResumed(_ config: DistillConfig) throws -> (straight: DAFLTrainer, resumed: DAFLTrainer) {
    let dirA = try TrainerTests.tempDir(), dirB = try TrainerTests.tempDir()
    let a = try TrainerTests.trainer(config, dir: dirA, box: EventBox())
    #expect(a.run() == .completed)
    let b1 = try TrainerTests.trainer(config, dir: dirB, box: EventBox())
    b1.send(.stepOnce); b1.send(.stepOnce); b1.send(.stop(reason: "stopped"))
    #expect(b1.run(startPaused: true) == .stopped)
    return (a, try DAFLTrainer.resume(runDir: dirB, teacher: TrainerTests.tinyTeacher(), preprocessing: .fashionMNIST, test: nil, sink: { _ in }))
}

/// A flag's settings key is logged as `value` (and as `off` in a run without it), kept by a resume, and the resumed run
/// ends with exactly the student of the run straight through.
/// Runs `config` and `base` straight through, each in a temporary run directory removed afterwards, and returns both
/// trainers and `config`'s events: for tests that an option trains another generator or student than the run without it.
func runBoth(_ config: DistillConfig, _ base: DistillConfig) throws -> (DAFLTrainer, DAFLTrainer, EventBox) {
    let dirs = try (0..<2).map { _ in try TrainerTests.tempDir() }
    defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
    let box = EventBox()
    let a = try TrainerTests.trainer(config, dir: dirs[0], box: box), b = try TrainerTests.trainer(base, dir: dirs[1], box: EventBox())
    #expect(a.run() == .completed && b.run() == .completed)
    return (a, b, box)
}

/// A student-side option: logged and resumed exactly (`expectLoggedAndResumedExactly`), and it trains another student
/// than the same run without it (`tinyConfig` of as many iterations).
func expectLoggedResumedAndAnotherStudent(_ config: DistillConfig, key: String, value: String, off: String) throws {
    try expectLoggedAndResumedExactly(config, key: key, value: value, off: off)
    let (with, without, _) = try runBoth(config, TrainerTests.tinyConfig(iterations: config.iterations))
    #expect(with.student.namedParameters.map(\.1.data) != without.student.namedParameters.map(\.1.data))
}

func expectLoggedAndResumedExactly(_ config: DistillConfig, key: String, value: String, off: String) throws {
    let (a, b) = try straightAndResumed(config)
    defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
    #expect(b.config.settings[key] == value && b.run() == .completed)
    let same = a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data)
    #expect(same)
    #expect(config.settings[key] == value && TrainerTests.tinyConfig().settings[key] == off)
}

/// `--adversarial X --discrepancy kl`: logged in the config, kept in checkpoints, and a resumed run
/// continues exactly as one run straight through.
@Suite struct KLDiscrepancyRunTests {
    static func config() -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.weights.adversarial = 1
        c.weights.discrepancy = .kl
        return c
    }

    @Test func resumesExactlyAndIsLogged() throws {
        let (a, b2) = try straightAndResumed(Self.config())
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.weights.discrepancy == .kl && b2.weights.adversarial == 1)
        #expect(b2.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        #expect(a.generator.namedParameters.map(\.1.data) == b2.generator.namedParameters.map(\.1.data))
        #expect(Self.config().settings["discrepancy"] == "kl")
    }

    /// `--discrepancy zkl` (with `--kd-standardize`): logged, resumed exactly, and another generator than `kl`'s.
    /// `--adversarial-sure P`: logged, resumed exactly, another student; refused outside [0, 1] or without the KL term.
    @Test func sureImagesOnlyIsLoggedResumedAndNeedsTheKL() throws {
        var c = Self.config()
        c.adversarialSure = 0.5
        #expect(c.problems().isEmpty)
        try expectLoggedAndResumedExactly(c, key: "adversarial_sure", value: "0.5", off: "0.0")
        let (with, without, _) = try runBoth(c, Self.config())
        #expect(with.student.namedParameters.map(\.1.data) != without.student.namedParameters.map(\.1.data))
        for bad: Float in [-0.1, 1.5, .nan] {
            var d = c; d.adversarialSure = bad
            #expect(d.problems().contains { $0.contains("--adversarial-sure must be a probability") })
        }
        var l1 = c; l1.weights.discrepancy = .l1
        #expect(l1.problems().contains { $0.contains("--adversarial-sure needs --adversarial above 0 with --discrepancy kl") })
    }

    @Test func zScoredDiscrepancyResumesExactly() throws {
        var c = Self.config()
        c.weights.discrepancy = .zkl; c.kdStandardize = true
        let (a, b2) = try straightAndResumed(c)
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.weights.discrepancy == .zkl && b2.run() == .completed)
        #expect(a.generator.namedParameters.map(\.1.data) == b2.generator.namedParameters.map(\.1.data))
        #expect(c.settings["discrepancy"] == "zkl")
        var k = c; k.weights.discrepancy = .kl
        let d = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        let plain = try TrainerTests.trainer(k, dir: d, box: EventBox())
        #expect(plain.run() == .completed)
        #expect(plain.generator.namedParameters.map(\.1.data) != a.generator.namedParameters.map(\.1.data))
    }
}

/// The student-side options and the image priors (`--kd-temperature`, `--hard-samples`, `--augment contrast`,
/// `--tv`, `--border`, `--jitter`, `--kd-standardize`): logged in the config, kept in checkpoints, and a resumed run continues exactly.
@Suite struct StudentSideOptionTests {
    static func config() -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.kdTemperature = 4; c.hardSamples = 0.25; c.studentAugment = "shift,contrast,mixup"; c.weights.tv = 0.5
        c.balancedReplay = true; c.generatorOutput = "grey"; c.studentAugment = "shift,contrast,levels,mixup"
        c.studentInit = "teacher"; c.studentFreeze = "conv1"; c.weights.diversity = 0.5; c.weights.border = 0.5
        c.weights.borderBand = 3; c.jitter = 2; c.weights.symmetry = 0.25; c.kdStandardize = true
        return c
    }

    @Test func resumesExactlyAndIsLogged() throws {
        let (a, b2) = try straightAndResumed(Self.config())
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.config.kdTemperature == 4 && b2.config.hardSamples == 0.25 && b2.weights.tv == 0.5 && b2.weights.diversity == 0.5)
        #expect(b2.weights.border == 0.5 && b2.weights.borderBand == 3 && b2.config.jitter == 2 && b2.weights.symmetry == 0.25)
        #expect(b2.config.augmentation.contrast && b2.config.kdStandardize == true)
        #expect(b2.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        #expect(a.generator.namedParameters.map(\.1.data) == b2.generator.namedParameters.map(\.1.data))
        let s = Self.config().settings
        #expect(s["kd_temperature"] == "4.0" && s["hard_samples"] == "0.25" && s["tv"] == "0.5" && s["augment"] == "shift,contrast,levels,mixup")
        #expect(s["diversity"] == "0.5" && s["border"] == "0.5" && s["border_band"] == "3" && s["jitter"] == "2" && s["symmetry"] == "0.25")
        #expect(s["generator_output"] == "grey" && b2.generator.output == a.generator.output)
        guard case let .grey(black, white) = b2.generator.output else { Issue.record("the resumed generator lost its grey output"); return }
        #expect(black == b2.preprocessing.blackAndWhite.black && white == b2.preprocessing.blackAndWhite.white && white > black)
        #expect(s["balanced_replay"] == "true" && b2.config.balancedReplay == true)
        #expect(s["student_init"] == "teacher" && b2.config.studentInit == "teacher")
        #expect(s["student_freeze"] == "conv1" && b2.config.frozenStudentLayers == ["conv1"])
        #expect(s["kd_standardize"] == "true" && TrainerTests.tinyConfig().settings["kd_standardize"] == "true" && DistillConfig.preset(.paper).settings["kd_standardize"] == "false")
    }

    /// `--kd-standardize` trains another student than the plain logits (the run's random stream is the same).
    @Test func standardizedLogitsTrainAnotherStudent() throws {
        let students = try [false, true].map { on -> [[Float]] in
            var c = TrainerTests.tinyConfig(iterations: 3); c.kdStandardize = on
            let d = try TrainerTests.tempDir()
            defer { try? FileManager.default.removeItem(at: d) }
            let t = try TrainerTests.trainer(c, dir: d, box: EventBox())
            #expect(t.run() == .completed)
            return t.student.namedParameters.map(\.1.data)
        }
        #expect(students[0] != students[1])
    }

    /// `--kd-intra-class W`: logged, kept in checkpoints and resumed exactly, and another student than KL alone.
    @Test func intraClassRelationIsLoggedResumedAndTrains() throws {
        var c = TrainerTests.tinyConfig(iterations: 4); c.kdIntraClass = 0.5
        let (a, b2) = try straightAndResumed(c)
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.config.kdIntraClass == 0.5 && b2.run() == .completed)
        let same = a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data)
        #expect(same)
        #expect(c.settings["kd_intra_class"] == "0.5" && TrainerTests.tinyConfig().settings["kd_intra_class"] == "0.0")
        var off = c; off.kdIntraClass = 0
        let d = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: d) }
        let plain = try TrainerTests.trainer(off, dir: d, box: EventBox())
        #expect(plain.run() == .completed)
        let differs = plain.student.namedParameters.map(\.1.data) != a.student.namedParameters.map(\.1.data)
        #expect(differs)
        var bad = c; bad.kdIntraClass = -1
        #expect(bad.problems().contains { $0.contains("--kd-intra-class") })
    }

    /// `--replay-class-cap F`: logged, resumed exactly; bad values and the clash with --balanced-replay are named.
    @Test func replayClassCapIsLoggedAndResumed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4); c.replayClassCap = 0.3
        try expectLoggedAndResumedExactly(c, key: "replay_class_cap", value: "0.3", off: "1.0")
        var bad = c; bad.replayClassCap = 0
        #expect(bad.problems().contains { $0.contains("--replay-class-cap must be in (0, 1]") })
        bad.replayClassCap = 0.2; bad.balancedReplay = true
        #expect(bad.problems().contains { $0.contains("pick one") })
    }

    /// `--replay-keep-rare F`: logged, resumed exactly (the traded memory is in the checkpoint); bad values are named.
    @Test func replayKeepRareIsLoggedAndResumed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4); c.replayKeepRare = 0.3; c.replayBatches = 2
        try expectLoggedAndResumedExactly(c, key: "replay_keep_rare", value: "0.3", off: "1.0")
        var bad = c; bad.replayKeepRare = 1.5
        #expect(bad.problems().contains { $0.contains("--replay-keep-rare must be in (0, 1]") })
    }

    /// `--ie-temperature τ`: the entropy term of a colder softmax; logged, resumed exactly, another generator.
    @Test func ieTemperatureIsLoggedResumedAndTrains() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.weights.ieTemperature = 0.5
        try expectLoggedAndResumedExactly(c, key: "ie_temperature", value: "0.5", off: "1.0")
        let (a, b, _) = try runBoth(c, TrainerTests.tinyConfig(iterations: 4))
        #expect(a.generator.namedParameters.map(\.1.data) != b.generator.namedParameters.map(\.1.data))
        var bad = c; bad.weights.ieTemperature = 0
        #expect(bad.problems().contains { $0.contains("--ie-temperature must be positive") })
    }

    /// `--ie-memory S`: the entropy term of the batch mixed with the memory's classes; logged, resumed exactly, another
    /// generator from the second iteration on (the first finds the memory empty); refused out of (0, 1] or without a memory.
    @Test func ieMemoryIsLoggedResumedAndTrains() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.weights.ieMemory = 0.25
        try expectLoggedAndResumedExactly(c, key: "ie_memory", value: "0.25", off: "1.0")
        let (a, b, box) = try runBoth(c, TrainerTests.tinyConfig(iterations: 4))
        #expect(a.generator.namedParameters.map(\.1.data) != b.generator.namedParameters.map(\.1.data))
        #expect(box.steps.count == 4 && box.steps.allSatisfy { $0.ie.isFinite })
        var bad = c; bad.weights.ieMemory = 0
        #expect(bad.problems().contains { $0.contains("--ie-memory must be in (0, 1]") })
        bad.weights.ieMemory = 1.5
        #expect(bad.problems().contains { $0.contains("--ie-memory must be in (0, 1]") })
        bad = c; bad.replayBatches = 0; bad.studentSteps = 1
        #expect(bad.problems() == ["--ie-memory needs --replay of at least 1 (the memory whose class mix it reads)"])
    }

    /// `--saturation W`: the generator is pushed off two-level pictures; logged per step, resumed exactly, refused without a tanh.
    @Test func saturationPriorIsLoggedResumedAndTrains() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.weights.saturation = 2
        try expectLoggedAndResumedExactly(c, key: "saturation", value: "2.0", off: "0.0")
        let (a, b, box) = try runBoth(c, TrainerTests.tinyConfig(iterations: 4))
        #expect(a.generator.namedParameters.map(\.1.data) != b.generator.namedParameters.map(\.1.data))
        #expect(box.steps.allSatisfy { ($0.sat ?? -1) > 0 && $0.satWeight == 2 })
        // The drive is what the tanh made the images from: the generator's own forward gives the images it returns.
        var rng = RNG(seed: 2)
        let g = Generator(latent: 8, width: 8, channels: 1, imageSize: 32, rng: &rng)
        let z = Tensor(shape: [4, 8], data: rng.normal(count: 32))
        let (images, drive) = GradMode.noGrad { g.forward(z) }
        #expect(images.data == GradMode.noGrad { g(z) }.data && drive!.shape == images.shape)
        var bad = c; bad.generatorOutput = "linear"
        #expect(bad.problems().contains { $0.contains("--saturation needs a tanh output") })
    }

    /// `--kd-hint W`: logged, resumed exactly, a different student than without; the targets are the teacher's features
    /// at the pruning's conv3 units; refused with gradual pruning, and named when the models are not LeNet-5s.
    @Test func kdHintIsLoggedResumedAndTargetsTheKeptUnits() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.kdHint = 0.5
        try expectLoggedResumedAndAnotherStudent(c, key: "kd_hint", value: "0.5", off: "0.0")
        let x = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(DAFLTrainer.columns(x, [2, 0]) == [3, 1, 6, 4])
        var bad = c; bad.studentInit = "gradual"
        #expect(bad.problems().contains { $0.contains("--kd-hint") })
        bad = c; bad.kdHint = -1
        #expect(bad.problems().contains { $0.contains("--kd-hint") })
    }

    /// `--generator-project28`: every image the generator makes lies where a resized 28×28 picture can (projecting
    /// it again changes nothing); logged, resumed exactly, another generator than the plain one; refused for CIFAR.
    @Test func generatorProject28IsLoggedResumedAndProjects() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.generatorProject28 = true
        try expectLoggedAndResumedExactly(c, key: "generator_project28", value: "true", off: "false")
        let (a, b, _) = try runBoth(c, TrainerTests.tinyConfig(iterations: 4))
        #expect(a.generator.namedParameters.map(\.1.data) != b.generator.namedParameters.map(\.1.data))
        #expect(a.generator.projection != nil && b.generator.projection == nil)
        var rng = RNG(seed: 3)
        let z = Tensor(shape: [4, 8], data: rng.normal(count: 32))
        let images = GradMode.noGrad { a.generator(z) }
        var again = images.data
        UpsampledImages(from: 28, to: 32).project(&again, count: 4)
        #expect(zip(again, images.data).map { Swift.abs($0 - $1) }.max()! < 1e-4)
        var bad = c; bad.student = "resnet18"
        #expect(bad.problems().contains { $0.contains("--generator-project28") })
        var replayed = TrainerTests.tinyConfig(iterations: 4); replayed.student = "resnet18"; replayed.studentAugment = "shift,project28"
        #expect(replayed.problems().contains { $0.contains("--augment project28") })
    }

    /// `--replay-batch N`: each replayed student step takes N images from the memory; logged, resumed exactly.
    @Test func replayBatchIsLoggedResumedAndDrawn() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.replayBatches = 4; c.studentSteps = 3; c.replayBatch = 24
        try expectLoggedAndResumedExactly(c, key: "replay_batch", value: "24", off: "\(TrainerTests.tinyConfig().batch)")
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(c, dir: dir, box: EventBox())
        #expect(t.run() == .completed)
        let (x, logits) = t.replayBatch()
        #expect(x.shape[0] == 24 && logits.shape[0] == 24)
        var bad = c; bad.replayBatch = 1
        #expect(bad.problems().contains { $0.contains("--replay-batch") })
    }

    /// `--lr-g-final F`: the generator's rate falls on a cosine from --lr-g to F; logged per step, resumed exactly.
    @Test func generatorRateScheduleIsLoggedResumedAndFollowed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.lrG = 0.2; c.lrGFinal = 0.02
        try expectLoggedAndResumedExactly(c, key: "lr_g_final", value: "0.02", off: "constant")
        #expect(DAFLTrainer.generatorRate(c, done: 0) == 0.2 && Swift.abs(DAFLTrainer.generatorRate(c, done: 4)! - 0.02) < 1e-7)
        #expect(Swift.abs(DAFLTrainer.generatorRate(c, done: 2)! - 0.11) < 1e-6)
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try TrainerTests.trainer(c, dir: dir, box: box).run() == .completed)
        // Each step event reports the rate the next iteration runs at, as `lr_s` does: the cosine after `step` iterations.
        let rates = box.steps.map(\.lrG), expected = (1...4).map { Double(DAFLTrainer.generatorRate(c, done: $0)!) }
        #expect(zip(rates, expected).allSatisfy { Swift.abs($0 - $1) < 1e-6 }, "\(rates) vs \(expected)")
        #expect(DAFLTrainer.generatorRate(TrainerTests.tinyConfig(), done: 3) == nil)
        var bad = c; bad.lrGFinal = -0.1
        #expect(bad.problems().contains { $0.contains("--lr-g-final") })
    }

    /// `--kd-decoupled B`: DKD in place of the KL on fresh and replayed batches; logged, resumed exactly, another student.
    @Test func decoupledDistillationIsLoggedResumedAndTrains() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.kdStandardize = true; c.replayBatches = 4; c.studentSteps = 3
        c.kdDecoupled = 8
        try expectLoggedAndResumedExactly(c, key: "kd_decoupled", value: "8.0", off: "0.0")
        var kl = c; kl.kdDecoupled = nil
        let (a, b, _) = try runBoth(c, kl)
        #expect(a.student.namedParameters.map(\.1.data) != b.student.namedParameters.map(\.1.data))
        var bad = c; bad.kdDecoupled = -1
        #expect(bad.problems().contains { $0.contains("--kd-decoupled") })
    }

    /// `--kd-hard W`: logged in the config, resumed exactly, a different student than the KL alone, bad values named.
    @Test func kdHardIsLoggedAndResumed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.kdHard = 0.5
        try expectLoggedResumedAndAnotherStudent(c, key: "kd_hard", value: "0.5", off: "0.0")
        var bad = c; bad.kdHard = .nan
        #expect(bad.problems().contains { $0.contains("--kd-hard") })
    }


    /// `--student-warmup N`: the student's rate (as each step event reports it, for the next iteration) is the cosine
    /// schedule's times min(done + 1, N) / N; logged, resumed exactly; bad values are named.
    @Test func studentWarmupRampsTheRateAndResumes() throws {
        var c = TrainerTests.tinyConfig(iterations: 6); c.studentWarmup = 4
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try TrainerTests.trainer(c, dir: dir, box: box).run() == .completed)
        for e in box.steps {
            let cosine = Double(c.lrS) * 0.5 * (1 + cos(Double.pi * Double(e.step) / 6))
            #expect(abs(e.lrS - cosine * Double(min(e.step + 1, 4)) / 4) < 1e-7, "step \(e.step): \(e.lrS)")
        }
        #expect(box.steps.count == 6)
        try expectLoggedAndResumedExactly(c, key: "student_warmup", value: "4", off: "0")
        var bad = c; bad.studentWarmup = 6
        #expect(bad.problems().contains { $0.contains("--student-warmup must be") })
    }

    /// `--student-freeze conv1`: the first layer keeps its first weights through a run, the others train.
    @Test func aFrozenLayerKeepsItsWeights() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box)
        let before = t.student.namedParameters.map { ($0.0, $0.1.data) }
        #expect(t.run() == .completed)
        for ((name, old), (_, now)) in zip(before, t.student.namedParameters) {
            if name.hasPrefix("conv1.") { #expect(now.data == old, "\(name) was trained") } else { #expect(now.data != old, "\(name) was not trained") }
        }
        var typo = Self.config(); typo.studentFreeze = "conv9"
        #expect { _ = try TrainerTests.trainer(typo, dir: dir, box: EventBox()) } throws: { "\($0)".contains("no layer 'conv9'") && "\($0)".contains("conv1, conv2") }
    }

    /// `--student-init teacher`: before its first step the student is the teacher pruned to its width;
    /// the run's random stream is the same as with a random start (the student is drawn, then overwritten).
    @Test func theStudentStartsFromTheTeachersUnits() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box)
        var rng = RNG(seed: 0)
        let pruned = LeNet5(.half, rng: &rng)
        try pruned.inheritUnits(of: TrainerTests.tinyTeacher())
        #expect(t.student.namedParameters.map(\.1.data) == pruned.namedParameters.map(\.1.data))
        var random = Self.config(); random.studentInit = nil
        let r = try TrainerTests.trainer(random, dir: try TrainerTests.tempDir(), box: EventBox())
        defer { try? FileManager.default.removeItem(at: r.runDir) }
        #expect(r.generator.namedParameters.map(\.1.data) == t.generator.namedParameters.map(\.1.data))
        #expect(r.student.namedParameters.map(\.1.data) != t.student.namedParameters.map(\.1.data))
        var resnet = Self.config(); resnet.student = "resnet18"
        #expect(resnet.problems().contains { $0.contains("--student-init") })
        var typo = Self.config(); typo.studentInit = "teachr"
        #expect(typo.problems().contains { $0.contains("--student-init must be random, teacher or gradual") })
    }

    @Test func theImagePriorIsLoggedPerStep() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box)
        #expect(t.run() == .completed)
        #expect(box.steps.count == 4 && box.steps.allSatisfy { ($0.tv ?? -1) > 0 && $0.tvWeight == 0.5 })
        #expect(box.steps.allSatisfy { ($0.div ?? -1) > 0 && ($0.div ?? 2) <= 1 && $0.divWeight == 0.5 })
        #expect(box.steps.allSatisfy { ($0.border ?? -1) > 0 && $0.borderWeight == 0.5 })
        #expect(box.steps.allSatisfy { ($0.sym ?? -1) > 0 && $0.symWeight == 0.25 })
    }

    @Test func badValuesAreNamed() {
        var c = Self.config(); c.kdTemperature = 0
        #expect(c.problems().contains { $0.contains("--kd-temperature") })
        c = Self.config(); c.hardSamples = -1
        #expect(c.problems().contains { $0.contains("--hard-samples") })
        c = Self.config(); c.weights.tv = .nan
        #expect(c.problems().contains { $0.contains("--tv") })
        c = Self.config(); c.weights.diversity = -1
        #expect(c.problems().contains { $0.contains("--diversity") })
        c = Self.config(); c.weights.border = .infinity
        #expect(c.problems().contains { $0.contains("--border") })
        c = Self.config(); c.weights.symmetry = -0.5
        #expect(c.problems().contains { $0.contains("--symmetry") })
        c = Self.config(); c.jitter = 9
        #expect(c.problems().contains { $0.contains("--jitter must be between 0 and 8") })
        for band in [0, 9] {
            c = Self.config(); c.weights.borderBand = band
            #expect(c.problems().contains { $0.contains("--border-band must be between 1 and 8") })
        }
        c = Self.config(); c.generatorOutput = "sigmoid"
        #expect(c.problems().contains { $0.contains("--generator-output") })
    }

    /// One signed step of size ε on the first half only, and it raises the student's loss there.
    @Test func hardSamplesClimbTheStudentsLoss() {
        var rng = RNG(seed: 5)
        let student = LeNet5(.half, rng: &rng), teacher = TrainerTests.tinyTeacher()
        let x0 = Tensor(shape: [4, 1, 32, 32], data: rng.normal(count: 4 * 1024))
        let t = GradMode.noGrad { teacher(x0) }
        var x = Tensor(shape: x0.shape, data: x0.data)
        HardSamples.climb(&x, targets: t, student: student, epsilon: 0.01, count: 2)
        let moved = zip(x.data, x0.data).map { abs($0 - $1) }
        #expect(moved[0..<2048].allSatisfy { $0 == 0 || abs($0 - 0.01) < 1e-6 } && moved[0..<2048].contains { $0 > 0 })
        #expect(moved[2048...].allSatisfy { $0 == 0 })
        func loss(_ x: Tensor, _ i: Int) -> Float {
            let xi = Tensor(shape: [1, 1, 32, 32], data: Array(x.data[i * 1024..<(i + 1) * 1024]))
            let ti = Tensor(shape: [1, 10], data: Array(t.data[i * 10..<(i + 1) * 10]))
            return GradMode.noGrad { DAFLLoss.distillation(student: student(xi), teacher: ti) }.item
        }
        for i in 0..<2 { #expect(loss(x, i) > loss(x0, i)) }
    }
}
