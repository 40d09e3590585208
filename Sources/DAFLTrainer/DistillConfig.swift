import DAFLEngine

/// Every setting of a distillation run. Presets fill it; command-line flags override any field.
///
/// ```swift
/// var c = DistillConfig.preset(.cpu)
/// c.weights.beta = 10
/// ```
public struct DistillConfig: Codable, Equatable, Sendable {
    public enum Preset: String, Codable, CaseIterable, Sendable {
        /// Tuned for a 2-core CPU: a good student in minutes (see docs/PRESETS.md).
        case cpu
        /// The reference MNIST recipe of the DAFL paper and code.
        case paper
        /// The reference CIFAR-10 recipe: a ResNet-34 teacher, a ResNet-18 student, CIFAR-10's test split.
        case cifar10
        /// The same for CIFAR-100, with the reference's heavier loss weights (oh 0.5, β 20, α 0.1).
        case cifar100
    }

    public var preset: String
    public var batch: Int
    /// Total DAFL iterations.
    public var iterations: Int
    public var latent: Int
    /// Generator channels (128 in the reference).
    public var generatorWidth: Int
    public var lrG: Float
    /// The generator's learning rate at the last iteration, reached from `lrG` on a cosine (`DAFLTrainer.generatorRate`):
    /// the generator settles as the student's cosine schedule does. Nil: `lrG` throughout, as the reference.
    public var lrGFinal: Float? = nil
    /// The adversarial term's weight at the last iteration: the weight follows a cosine from `weights.adversarial`
    /// (at the first) to this (nil: constant). A student near its teacher gains less from images made to
    /// split them than a student that is far.
    public var adversarialFinal: Float? = nil
    /// The information-entropy weight β follows a cosine from `weights.beta` (first iteration) to this (last), nil: constant.
    /// Late in a run the adversary outweighs the entropy term and the generator's batches lose classes; a growing β was
    /// meant to hold them (on one seed it barely evened them: docs/PRESETS.md, twenty-third session).
    public var betaFinal: Float? = nil
    public var lrS: Float
    public var weights: LossWeights
    /// `adam` or `sgd` for the student.
    public var studentOptimizer: String
    public var studentMomentum: Float
    public var studentWeightDecay: Float
    /// `constant`, or `cosine`: the student's rate decays as lr·½(1 + cos(π·step/iterations)).
    public var studentLRSchedule: String
    /// Iterations at which the student's learning rate is multiplied by `lrStepFactor`.
    public var studentLRSteps: [Int]
    public var lrStepFactor: Float
    /// Student updates per iteration: the first on the fresh batch, the rest on batches drawn
    /// from the replay buffer of recent generated images (with their teacher logits).
    public var studentSteps: Int
    /// Generated batches kept for replay (0: none).
    public var replayBatches: Int
    /// Images per replayed student step, drawn from the whole memory (nil: `batch`, the generator's).
    public var replayBatch: Int? = nil
    /// Changes to replayed images before the extra student steps, relabelled by the teacher
    /// (`StudentAugmentation(parse:)` spelling; nil or `none`: replay as generated).
    public var studentAugment: String? = nil
    /// Steps of a single teacher class in a row after which the generator is re-initialised
    /// (nil or 0: never, as in the reference).
    public var collapseReset: Int? = nil
    /// Re-initialise the generator every this many iterations, keeping the replay memory (nil or 0: never).
    public var generatorRestart: Int? = nil
    /// Generators that take turns, one iteration each, with their own weights and Adam state, filling one
    /// replay memory (nil or 1: the reference's single generator). Each finds its own images; the student learns
    /// from all of them.
    public var generators: Int? = nil
    /// `generators`, at least 1.
    public var generatorCount: Int { Swift.max(generators ?? 1, 1) }
    /// With `generators` above 1, every generator generates, is judged and steps in every iteration, instead of
    /// one per iteration in turn: the memory gets K batches an iteration from K places, at K times the generator's cost.
    public var generatorsTogether: Bool? = nil
    /// The generators' Adam β1 (nil: 0.9, the reference's; GANs commonly use 0.5, a shorter memory of past gradients).
    public var generatorBeta1: Float? = nil
    /// The teacher judges each generated batch rolled by up to this many pixels each way and mirrored
    /// with probability ½ (DeepInversion's jitter; nil or 0: off, as in the reference).
    public var jitter: Int? = nil
    /// Targeted generation: a target class per image, uniform, conditions the generator (noise × class
    /// embedding) and replaces the one-hot term by the cross-entropy against it. Nil or false: DAFL's generator.
    public var targeted: Bool? = nil
    /// The one-hot term's target for each generated image is a class-balanced assignment (`DAFLLoss.balancedOneHot`:
    /// at most ⌈batch / classes⌉ images per class, each keeping its argmax while that class has room) instead of its argmax.
    /// Nil or false: the paper's argmax.
    public var balancedOneHot: Bool? = nil
    /// Each generated image is cut to a procedural shape drawn fresh (`ProceduralImages.masks`): the generator's pixels
    /// inside, black outside, so that the teacher and the student see one filled shape near the middle of the frame, as in
    /// a photograph, whose inside the generator still learns. Nil or false: the generator's images as they come.
    public var generatorMask: Bool? = nil
    /// The adversarial KL counts only images whose teacher top probability is at least this (`DAFLLoss.discrepancyKL(sure:)`):
    /// the generator pushes toward disagreement only what the teacher is sure of. Nil or 0: every image.
    public var adversarialSure: Float? = nil
    /// How `targeted` conditions the generator: `noise` (nil: the noise times a learned class embedding) or
    /// `batchnorm` (each of the generator's first three batch norms takes a γ and β per class, as SNGAN's).
    public var conditioning: String? = nil
    /// `conditioning`, parsed (`noise` when unset or invalid; `problems()` reports the latter).
    public var conditioningMode: ConditionalGenerator.Conditioning { ConditionalGenerator.Conditioning(rawValue: conditioning ?? "noise") ?? .noise }
    /// Decay of an exponential moving average of the student's weights, updated once per iteration after
    /// its steps; the average is evaluated and saved as the student. Nil or 0: the trained student itself.
    public var studentEMA: Float? = nil
    /// Stochastic weight averaging: from this iteration on, the student evaluated and saved is the plain mean
    /// of the trained student's weights after every iteration (nil: off). Excludes `studentEMA`.
    public var studentSWA: Int? = nil
    /// Sharpness-aware steps (`SharpnessAware`): each replayed student step uses the gradient at the weights moved by
    /// this radius ρ up the gradient (one more student forward and backward per step). Nil or 0: plain steps.
    public var studentSAM: Float? = nil
    /// The student's learning rate climbs linearly from 1/N of its value to all of it over the first N iterations
    /// (nil or 0: none). The generator's first images are noise; a pruned-teacher student learns less from them.
    public var studentWarmup: Int? = nil
    /// Temperature T of the student's distillation loss, T² · KL(softmax(t/T) ‖ softmax(s/T)), on fresh and
    /// replayed batches. Nil or 1: the reference's KL of the plain softmaxes.
    public var kdTemperature: Float? = nil
    /// Logit-standardised distillation (Sun et al. 2024): the student's loss compares both logits z-scored per row
    /// (`Tensor.standardizedRows`), at `kdTemperature`, so the student matches the shape of the teacher's logits and
    /// not their range. Nil or false: the plain logits.
    public var kdStandardize: Bool? = nil
    /// Weight of DIST's intra-class relation in the student's loss (`DAFLLoss.intraClassRelation`, of the
    /// z-scored logits under `kdStandardize`), on fresh and replayed batches. Nil or 0: KL alone.
    public var kdIntraClass: Float? = nil
    /// Decoupled distillation (`Tensor.decoupledKD`, Zhao et al. 2022): β, the weight of the classes below the teacher's
    /// answer, in place of the KL's 1 − p_g (of the z-scored logits under `kdStandardize`). Nil or 0: the KL.
    public var kdDecoupled: Float? = nil
    /// Weight of a hint on replayed batches: the mean squared difference between the student's conv3 features and the
    /// teacher's at the units the student stands for (the pruning's; FitNets without a regressor, since the student's
    /// units are the teacher's). It holds the features the teacher learnt on photographs while the student fits
    /// generated images. Nil or 0: off.
    public var kdHint: Float? = nil
    /// The generator's images projected onto those a 28×28 picture resized to the input side can be (`UpsampledImages`):
    /// the only images the teacher was ever trained or tested on. Nil or false: the reference's 32×32 images.
    public var generatorProject28: Bool? = nil
    /// Weight of the cross-entropy of the student's logits against the teacher's argmax, beside the distillation loss,
    /// on replayed batches (`DAFLLoss.distillation(hard:)`). Nil or 0: the distillation loss alone.
    public var kdHard: Float? = nil
    /// Extra batches the generator draws after its step each iteration, without gradients, added to the replay memory
    /// with the teacher's logits (`FreshBatches`): the memory turns over faster at the same size. Nil or 0: none.
    public var replayFresh: Int? = nil
    /// The share of each replayed batch replaced by procedural pictures drawn fresh (`ProceduralImages`: smooth random
    /// shapes with grey textures on black), labelled by the teacher like the rest (nil: 0, none).
    public var procedural: Float? = nil
    /// Class impressions (`ClassImpressions`): this many procedural pictures walked until the teacher is sure of a class
    /// (the classes in turn), built once, a share `impressionShare` of every replayed batch (nil or 0: none).
    public var impressions: Int? = nil
    /// The share of each replayed batch that is class impressions (nil: 0.25).
    public var impressionShare: Float? = nil
    /// Signed-gradient steps each impression walks (nil: 40).
    public var impressionSteps: Int? = nil
    /// The batches that walk under `boundarySamples` are procedural pictures, drawn fresh, instead of replayed ones (nil: false).
    public var boundaryProcedural: Bool? = nil
    /// What goes into the memory under `replayFresh`: `all` (nil), every batch; `rare`, one batch chosen from the
    /// iteration's and the fresh ones, class by class, the classes the memory holds least first (`FreshBatches.pickRare`);
    /// `rare-sure`, the same with each class's images the teacher is surest of first.
    public var replayPick: String? = nil
    /// Which student the run delivers: `last` (nil) or `agreement`, the copy kept at an evaluation that agrees most with
    /// the teacher on generated images the run never trains on (`StudentSelection`).
    public var select: String? = nil
    /// Hard samples: half of each replayed batch takes one signed-gradient step of this size (FGSM) up the
    /// student's distillation loss, then the teacher labels the moved images. Nil or 0: off.
    public var hardSamples: Float? = nil
    /// Boundary samples: the last `boundaryBatches` replayed batches of each iteration walk signed-gradient steps of
    /// this size (`boundarySteps` of them) toward a class (`boundaryToward`; drawn uniformly per image by default), down
    /// the teacher's cross-entropy, then the teacher labels them. Nil or 0: off.
    public var boundarySamples: Float? = nil
    /// How many of an iteration's replayed batches walk under `boundarySamples` (nil: 1).
    public var boundaryBatches: Int? = nil
    /// Where boundary samples walk (`BoundarySamples.Toward`): `uniform` (nil), a class drawn per image; `runner-up`,
    /// the teacher's second class for the image; `student`, the student's likeliest class other than the teacher's;
    /// `rare`, a class drawn with odds ∝ 1 / (its count in the replay memory + the mean count).
    public var boundaryToward: String? = nil
    /// Signed-gradient steps per boundary walk (nil: `BoundarySamples.steps`, 5).
    public var boundarySteps: Int? = nil
    /// Each boundary walk stops, image by image, where the teacher first gives the image its target class (nil: false).
    public var boundaryStop: Bool? = nil
    /// Draw replayed images class-balanced (by the teacher's class) instead of uniformly. Nil or false: uniform.
    public var balancedReplay: Bool? = nil
    /// No teacher class makes up more than this share of the replayed images (`ReplayBuffer.sampleCapped`): a class the
    /// generator over-produces (Bag, 37–40 % of the memory) is drawn less, the others as held. Nil or 1: uniform.
    public var replayClassCap: Float? = nil
    /// When the full memory evicts a batch, the new batch's images of classes holding more than this share of the memory
    /// give their places to the evicted batch's images of classes under an equal share (`ReplayBuffer.carryRare`): the
    /// memory keeps the rare classes' images of the whole run, not only of its last 256 iterations. Nil or 1: plain FIFO.
    public var replayKeepRare: Float? = nil
    /// Stable views: a replayed image keeps its shift or mirror (`--augment shift`, `flip`) only where the teacher
    /// gives the moved image the class it gave the stored one; elsewhere it goes on unmoved to the other changes
    /// (mixup …). Costs one more teacher forward per replayed batch. Nil or false: every view is kept.
    public var stableViews: Bool? = nil
    /// Who labels a shifted, mirrored or mixed replay image (`ViewLabels`): `teacher` (nil), asked again, or `stored`,
    /// the teacher's answer for the image as generated, mixed as mixup mixes the pixels.
    public var viewLabels: String? = nil
    /// The generator's last step: `batchnorm` (nil, the reference), `grey` (tanh onto grey levels 0…1 in the
    /// teacher's normalised units) or `linear` (the batch norm without the tanh); `Generator.Output`.
    public var generatorOutput: String? = nil
    /// The student's first weights: `random` (nil, the reference); `teacher`, the teacher's largest units
    /// pruned to the student's width (`LeNet5.inheritUnits(of:)`); or `gradual`, the whole teacher, whose
    /// units outside that set fade out over `pruneFade` iterations before it becomes the pruned student.
    public var studentInit: String? = nil
    /// A LeNet-5 weights file (safetensors, PyTorch `state_dict` names: a student trained in PyTorch, or a start
    /// computed by a script) the student starts from in place of `studentInit`'s start (nil: none). Read once,
    /// when the run starts; a resume continues from its checkpoint.
    public var studentWeights: String? = nil
    /// With `studentInit` `gradual`: iterations over which the dropped units' outputs fall from 1 to 0
    /// (nil: half the run, pinned when the run starts so that a longer resume keeps it).
    public var pruneFade: Int? = nil
    /// Student layers never trained, comma-separated (`conv1`): they keep their first weights. Nil or empty: none.
    public var studentFreeze: String? = nil
    /// `studentFreeze` as a list of layer names.
    public var frozenStudentLayers: [String] {
        (studentFreeze ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "none" }
    }
    public var seed: UInt64
    public var evalEvery: Int
    public var checkpointEvery: Int
    public var samplesEvery: Int
    public var samplesCount: Int
    /// The student's architecture: `lenet5-half` (nil, the default), `resnet18` (CIFAR).
    public var student: String? = nil
    /// ResNet student width (64 in the reference; smaller only for tests).
    public var studentWidth: Int? = nil

    /// A fresh student of the configured architecture.
    public func makeStudent(classes: Int, inChannels: Int, rng: inout RNG) -> any Classifier {
        switch student ?? "lenet5-half" {
        case "resnet18": ResNet(.resnet18, classes: classes, width: studentWidth ?? 64, inChannels: inChannels, rng: &rng)
        case "resnet34": ResNet(.resnet34, classes: classes, width: studentWidth ?? 64, inChannels: inChannels, rng: &rng)
        default: LeNet5(.half, classes: classes, inChannels: inChannels, rng: &rng)
        }
    }

    public static func preset(_ p: Preset) -> DistillConfig {
        switch p {
        case .paper:
            return DistillConfig(preset: "paper", batch: 512, iterations: 200 * 120, latent: 100, generatorWidth: 128,
                                 lrG: 0.2, lrS: 2e-3, weights: LossWeights(oneHot: 1, alpha: 0.1, beta: 5),
                                 studentOptimizer: "adam", studentMomentum: 0, studentWeightDecay: 0, studentLRSchedule: "constant",
                                 studentLRSteps: [], lrStepFactor: 0.1, studentSteps: 1, replayBatches: 0,
                                 seed: 0, evalEvery: 120, checkpointEvery: 120, samplesEvery: 10, samplesCount: 16)
        case .cpu:
            // The generator also climbs 3 · KL(teacher ‖ student) (`--adversarial 3 --discrepancy kl`): it raised the
            // final accuracy on each of five seeds. The replay memory holds the last 256 batches: keeping all
            // 1,000 (`--replay 1000`) gained 0.7 points on the mean of six paired runs, but lost on 2 cores
            // (docs/PRESETS.md), for 2.6× the memory. The student starts as the teacher pruned to half width
            // (`--student-init teacher`): +3.3 points on the mean of seeds 0–2, every seed higher (docs/PRESETS.md).
            // The generator holds its images' edges at black (`--border 3`): centred shapes on black, as the pictures
            // are; +1.9 points on the mean of seeds 0–4, higher on four of them, the lowest 4.1 higher (docs/PRESETS.md).
            // The last replayed batch of each iteration walks toward a class drawn per image (`--boundary-samples 0.02`):
            // images near the teacher's boundaries, the rare classes' among them; higher on each of seeds 0–2 (docs/PRESETS.md).
            // The student distils z-scored logits (`--kd-standardize`): it matches the shape of the teacher's logits, not
            // their range; higher on each of seeds 0–2, +1.0 points on their mean (docs/PRESETS.md).
            return DistillConfig(preset: "cpu", batch: 128, iterations: 1000, latent: 100, generatorWidth: 64,
                                 lrG: 0.2, lrS: 2e-3, weights: LossWeights(oneHot: 1, alpha: 0.1, beta: 5, adversarial: 3, discrepancy: .kl, border: 3),
                                 studentOptimizer: "adam", studentMomentum: 0, studentWeightDecay: 0, studentLRSchedule: "cosine",
                                 studentLRSteps: [], lrStepFactor: 0.1, studentSteps: 32, replayBatches: 256,
                                 studentAugment: "shift,flip,mixup", collapseReset: 50, kdStandardize: true, boundarySamples: 0.02, studentInit: "teacher",
                                 seed: 0, evalEvery: 120, checkpointEvery: 120, samplesEvery: 10, samplesCount: 16)
        case .cifar10:
            return DistillConfig(preset: "cifar10", batch: 1024, iterations: 2000 * 120, latent: 1000, generatorWidth: 128,
                                 lrG: 0.02, lrS: 0.1, weights: LossWeights(oneHot: 0.05, alpha: 0.01, beta: 5),
                                 studentOptimizer: "sgd", studentMomentum: 0.9, studentWeightDecay: 5e-4, studentLRSchedule: "constant",
                                 studentLRSteps: [800 * 120, 1600 * 120], lrStepFactor: 0.1, studentSteps: 1, replayBatches: 0,
                                 seed: 0, evalEvery: 120, checkpointEvery: 120, samplesEvery: 10, samplesCount: 16, student: "resnet18")
        case .cifar100:
            // CIFAR-10's recipe with the reference's heavier loss weights for 100 classes.
            var c = preset(.cifar10)
            c.preset = "cifar100"
            c.weights = LossWeights(oneHot: 0.5, alpha: 0.1, beta: 20)
            return c
        }
    }

    /// Problems with the settings, as messages naming the flag; empty when valid.
    public func problems() -> [String] {
        var p: [String] = []
        if batch < 2 { p.append("--batch must be at least 2 (batch norm and the entropy loss need a batch)") }
        if iterations < 1 { p.append("--iterations must be positive") }
        if latent < 1 { p.append("--latent must be positive") }
        if generatorWidth < 2 || generatorWidth % 2 != 0 { p.append("--generator-width must be even and at least 2") }
        for (name, v) in [("--lr-g", lrG), ("--lr-s", lrS)] where !(v > 0 && v.isFinite) { p.append("\(name) must be positive") }
        for (name, v) in [("--oh", weights.oneHot), ("--alpha", weights.alpha), ("--beta", weights.beta), ("--adversarial", weights.adversarial), ("--tv", weights.tv), ("--diversity", weights.diversity), ("--border", weights.border), ("--symmetry", weights.symmetry), ("--ie-temperature", weights.ieTemperature), ("--saturation", weights.saturation)] where !(v >= 0 && v.isFinite) {
            p.append("\(name) must be a finite number ≥ 0")
        }
        if weights.saturation > 0 && generatorOutput == "linear" { p.append("--saturation needs a tanh output (--generator-output batchnorm or grey): linear has no tanh to saturate") }
        if let r = replayBatch, !(2...65_536).contains(r) { p.append("--replay-batch must be between 2 and 65536 images") }
        if weights.ieTemperature == 0 { p.append("--ie-temperature must be positive") }
        if !(weights.ieMemory > 0 && weights.ieMemory <= 1) { p.append("--ie-memory must be in (0, 1] (the batch's share of the class mix; 1: the batch alone)") }
        if weights.ieMemory < 1 && replayBatches < 1 { p.append("--ie-memory needs --replay of at least 1 (the memory whose class mix it reads)") }
        if !(1...8).contains(weights.borderBand) { p.append("--border-band must be between 1 and 8 pixels") }
        if !["adam", "sgd"].contains(studentOptimizer) { p.append("--student-optimizer must be adam or sgd") }
        if !["constant", "cosine"].contains(studentLRSchedule) { p.append("--lr-s-schedule must be constant or cosine") }
        if let e = studentEMA, !(e >= 0 && e < 1) { p.append("--student-ema must be in [0, 1)") }
        if let n = studentSWA, !(0..<Swift.max(iterations, 1)).contains(n) { p.append("--student-swa must be an iteration from 0 to --iterations − 1 (\(iterations - 1))") }
        if let n = studentWarmup, !(0..<Swift.max(iterations, 1)).contains(n) { p.append("--student-warmup must be an iteration count from 0 to --iterations − 1 (\(iterations - 1))") }
        if studentSWA != nil && (studentEMA ?? 0) > 0 { p.append("--student-swa and --student-ema cannot be combined (one weight average)") }
        if studentInit == "gradual" && studentSWA != nil { p.append("--student-init gradual and --student-swa cannot be combined (the average would span two widths)") }
        if let e = hardSamples, !(e >= 0 && e <= 10) { p.append("--hard-samples must be in [0, 10]") }
        if let e = boundarySamples, !(e >= 0 && e <= 10) { p.append("--boundary-samples must be in [0, 10]") }
        if let n = boundaryBatches, !(1...Swift.max(studentSteps - 1, 1)).contains(n) {
            p.append("--boundary-batches must be between 1 and the replayed batches per iteration (--student-steps − 1 = \(studentSteps - 1))")
        }
        if let t = boundaryToward, BoundarySamples.Toward(rawValue: t) == nil {
            p.append("--boundary-toward must be uniform, runner-up, student or rare")
        }
        if let n = boundarySteps, !(1...50).contains(n) { p.append("--boundary-steps must be between 1 and 50") }
        if boundaryStop == true && !((boundarySamples ?? 0) > 0) { p.append("--boundary-stop needs --boundary-samples above 0 (the walks it stops)") }
        if let r = studentSAM, !(r >= 0 && r <= 10) { p.append("--student-sam must be in [0, 10] (0: plain steps)") }
        if let t = kdTemperature, !(t > 0 && t <= 100) { p.append("--kd-temperature must be in (0, 100]") }
        if let w = kdIntraClass, !(w >= 0 && w <= 100) { p.append("--kd-intra-class must be in [0, 100]") }
        if let f = lrGFinal, !(f >= 0 && f.isFinite) { p.append("--lr-g-final must be 0 or more") }
        if let f = adversarialFinal {
            if !(f >= 0 && f.isFinite) { p.append("--adversarial-final must be 0 or more") }
            else if !(weights.adversarial > 0) { p.append("--adversarial-final needs --adversarial above 0 (the weight it ends at starts there)") }
        }
        if let f = betaFinal, !(f >= 0 && f.isFinite) { p.append("--beta-final must be 0 or more") }
        if generatorProject28 == true && (student ?? "lenet5-half") != "lenet5-half" { p.append("--generator-project28 is for 28×28 picture sets (MNIST, Fashion-MNIST), not CIFAR's 32×32") }
        if augmentation.project28 && (student ?? "lenet5-half") != "lenet5-half" { p.append("--augment project28 is for 28×28 picture sets (MNIST, Fashion-MNIST), not CIFAR's 32×32") }
        if let w = kdHint, !(w >= 0 && w <= 100) { p.append("--kd-hint must be in [0, 100] (0: off)") }
        if (kdHint ?? 0) > 0 && studentInit == "gradual" { p.append("--kd-hint and --student-init gradual cannot be combined (the student is wide while its units fade)") }
        if let w = kdHard, !(w >= 0 && w <= 100) { p.append("--kd-hard must be in [0, 100] (0: off)") }
        if let n = impressions, !(0...1_000_000).contains(n) { p.append("--impressions must be a count from 0 to 1000000") }
        if let f = impressionShare, !(f > 0 && f <= 1) { p.append("--impression-share must be a share in (0, 1] of each replayed batch") }
        if let n = impressionSteps, !(1...1000).contains(n) { p.append("--impression-steps must be from 1 to 1000") }
        if (impressions ?? 0) > 0 && (replayBatches < 1 || studentSteps < 2) {
            p.append("--impressions needs replayed student steps (--replay and --student-steps above 1): impressions join the replayed batches")
        }
        if let f = procedural, !(f >= 0 && f <= 1) { p.append("--procedural must be a share in [0, 1] of each replayed batch") }
        if (procedural ?? 0) > 0 && (replayBatches < 1 || studentSteps < 2) {
            p.append("--procedural needs replayed student steps (--replay and --student-steps above 1): it changes the replayed batches")
        }
        if boundaryProcedural == true && !((boundarySamples ?? 0) > 0) {
            p.append("--boundary-procedural needs --boundary-samples above 0 (the walks whose pictures it draws)")
        }
        if let n = replayFresh, !(0...16).contains(n) { p.append("--replay-fresh must be between 0 and 16 batches") }
        if let k = replayPick, !["all", "rare", "rare-sure"].contains(k) { p.append("--replay-pick must be all, rare or rare-sure") }
        if let k = replayPick, k != "all", (replayFresh ?? 0) < 1 { p.append("--replay-pick \(k) needs --replay-fresh of at least 1 (the batches it picks from)") }
        if (replayFresh ?? 0) > 0 && replayBatches < 1 { p.append("--replay-fresh needs --replay of at least 1 (the memory it fills)") }
        if let w = kdDecoupled, !(w >= 0 && w <= 100) { p.append("--kd-decoupled must be in [0, 100] (0: the KL)") }
        if let s = select, s != "last" && s != "agreement" { p.append("--select must be last or agreement") }
        if let c = replayClassCap, !(c > 0 && c <= 1) { p.append("--replay-class-cap must be in (0, 1]") }
        if let c = replayKeepRare, !(c > 0 && c <= 1) { p.append("--replay-keep-rare must be in (0, 1]") }
        if replayClassCap.map({ $0 < 1 }) == true && balancedReplay == true { p.append("--replay-class-cap and --balanced-replay draw the memory two ways: pick one") }
        if let v = viewLabels, ViewLabels(rawValue: v) == nil { p.append("--view-labels must be teacher or stored") }
        if viewLabels == "stored" {
            let a = augmentation
            if a.isNone || a.rotate || a.zoom || a.blur || a.contrast || a.levels || a.gamma || a.cutmix || a.mix3 {
                p.append("--view-labels stored needs --augment of shift, flip and mixup only (the changes whose labels it can carry over)")
            }
            if stableViews == true { p.append("--view-labels stored and --stable-views cannot be combined (stable views ask the teacher)") }
        }
        if stableViews == true && !augmentation.moves { p.append("--stable-views needs --augment with shift or flip (the views it keeps or drops)") }
        if studentSteps < 1 { p.append("--student-steps must be at least 1") }
        if studentSteps > 1 && replayBatches < 1 { p.append("--student-steps above 1 needs --replay of at least 1") }
        if StudentAugmentation(parse: studentAugment ?? "none") == nil {
            p.append("--augment must be none or a comma-separated list of shift, shiftN (N ≤ 8), flip, rotate, zoom, squeeze, squeezeN, squash, squashN (N ≤ 90), blur, lines, contrast, levels, gamma, cutmix, mixup, mixupN, mixnear, mix3, project28")
        }
        if !["batchnorm", "grey", "linear"].contains(generatorOutput ?? "batchnorm") { p.append("--generator-output must be batchnorm, grey or linear") }
        if !["random", "teacher", "gradual"].contains(studentInit ?? "random") { p.append("--student-init must be random, teacher or gradual") }
        if let i = studentInit, i != "random", (student ?? "lenet5-half") != "lenet5-half" { p.append("--student-init \(i) needs a LeNet-5 student (lenet5-half)") }
        if let f = pruneFade, !(1...Swift.max(iterations, 1)).contains(f) { p.append("--prune-fade must be between 1 and --iterations (\(iterations))") }
        if studentWeights != nil && studentInit == "gradual" { p.append("--student-weights and --student-init gradual cannot be combined (the fading student is the whole teacher)") }
        if studentWeights != nil, (student ?? "lenet5-half") != "lenet5-half" { p.append("--student-weights needs a LeNet-5 student (lenet5-half)") }
        if pruneFade != nil && studentInit != "gradual" { p.append("--prune-fade needs --student-init gradual") }
        if studentInit == "gradual" && (studentEMA ?? 0) > 0 { p.append("--student-init gradual and --student-ema cannot be combined (the average would span two widths)") }
        if let r = generatorRestart, r < 0 { p.append("--generator-restart must be 0 (never) or a number of iterations") }
        if let g = generators, !(1...8).contains(g) { p.append("--generators must be between 1 and 8") }
        if let b = generatorBeta1, !(b >= 0 && b < 1) { p.append("--generator-beta1 must be at least 0 and below 1") }
        if generatorsTogether == true && generatorCount < 2 { p.append("--generators-together needs --generators 2 or more") }
        if generatorCount > 1 && targeted == true { p.append("--generators above 1 cannot be combined with --targeted (one label embedding)") }
        if let c = conditioning, ConditionalGenerator.Conditioning(rawValue: c) == nil { p.append("--conditioning must be noise or batchnorm") }
        if let v = adversarialSure {
            if !(v >= 0 && v <= 1) { p.append("--adversarial-sure must be a probability in [0, 1], not \(v)") }
            else if v > 0 && !(weights.adversarial > 0 && weights.discrepancy == .kl) { p.append("--adversarial-sure needs --adversarial above 0 with --discrepancy kl (the term it bounds)") }
        }
        if balancedOneHot == true && targeted == true { p.append("--balanced-one-hot cannot be combined with --targeted (whose one-hot term has its own targets)") }
        if conditioning != nil && targeted != true { p.append("--conditioning needs --targeted (it says how the target class conditions the generator)") }
        if let j = jitter, !(0...8).contains(j) { p.append("--jitter must be between 0 and 8 pixels") }
        if let r = collapseReset, r < 0 { p.append("--collapse-reset must be 0 (never) or a number of steps") }
        if evalEvery < 1 || checkpointEvery < 1 || samplesEvery < 1 { p.append("--eval-every, --checkpoint-every and --samples-every must be positive") }
        // Sizes a two-core engine can hold: a flag typo or a damaged checkpoint sidecar must get a message,
        // not an allocation of terabytes (the generator's first layer is latent × width × 64 floats).
        if latent > 100_000 || generatorWidth > 4096 || batch > 65_536 || replayBatches > 100_000 || samplesCount > 1024
            || (latent >= 1 && generatorWidth >= 2 && latent * generatorWidth > 1 << 22) {
            p.append("--latent \(latent), --generator-width \(generatorWidth), --batch \(batch), --replay \(replayBatches) or the sample count \(samplesCount) is implausibly large")
        }
        if replayBatches < 0 || samplesCount < 0 { p.append("--replay and the sample count must not be negative") }
        if !["lenet5-half", "resnet18", "resnet34"].contains(student ?? "lenet5-half") { p.append("--student must be lenet5-half, resnet18 or resnet34") }
        if let w = studentWidth, !(1...1024).contains(w) { p.append("--student-width must be between 1 and 1024") }
        return p
    }

    /// The settings as strings, for the run log's config event.
    public var settings: [String: String] {
        [
            "batch": "\(batch)", "iterations": "\(iterations)", "latent": "\(latent)", "generator_width": "\(generatorWidth)",
            "lr_g": "\(lrG)", "lr_g_final": lrGFinal.map { "\($0)" } ?? "constant", "lr_s": "\(lrS)", "oh": "\(weights.oneHot)", "alpha": "\(weights.alpha)", "beta": "\(weights.beta)", "adversarial": "\(weights.adversarial)", "adversarial_final": adversarialFinal.map { "\($0)" } ?? "constant", "beta_final": betaFinal.map { "\($0)" } ?? "constant", "discrepancy": weights.discrepancy.rawValue, "tv": "\(weights.tv)", "diversity": "\(weights.diversity)", "border": "\(weights.border)", "border_band": "\(weights.borderBand)", "symmetry": "\(weights.symmetry)", "ie_temperature": "\(weights.ieTemperature)", "ie_memory": "\(weights.ieMemory)", "saturation": "\(weights.saturation)",
            "student_optimizer": studentOptimizer, "student_momentum": "\(studentMomentum)", "student_weight_decay": "\(studentWeightDecay)",
            "student_lr_schedule": studentLRSchedule, "student_lr_steps": studentLRSteps.map(String.init).joined(separator: ","), "lr_step_factor": "\(lrStepFactor)",
            "student_steps": "\(studentSteps)", "replay_batches": "\(replayBatches)", "replay_batch": "\(replayBatch ?? batch)", "replay_fresh": "\(replayFresh ?? 0)", "procedural": "\(procedural ?? 0)", "impressions": "\(impressions ?? 0)", "impression_share": "\(impressionShare ?? 0.25)", "impression_steps": "\(impressionSteps ?? 40)", "boundary_procedural": "\(boundaryProcedural ?? false)", "replay_pick": replayPick ?? "all",
            "augment": augmentation.description, "collapse_reset": "\(collapseReset ?? 0)",
            "generator_restart": "\(generatorRestart ?? 0)", "generators": "\(generatorCount)", "generators_together": "\(generatorsTogether ?? false)", "generator_beta1": "\(generatorBeta1 ?? 0.9)", "jitter": "\(jitter ?? 0)", "targeted": "\(targeted ?? false)", "balanced_one_hot": "\(balancedOneHot ?? false)", "generator_mask": "\(generatorMask ?? false)", "adversarial_sure": "\(adversarialSure ?? 0)", "conditioning": conditioning ?? "noise", "student_ema": "\(studentEMA ?? 0)", "student_swa": studentSWA.map { "\($0)" } ?? "off", "student_warmup": "\(studentWarmup ?? 0)", "student_sam": "\(studentSAM ?? 0)",
            "kd_temperature": "\(kdTemperature ?? 1)", "kd_standardize": "\(kdStandardize ?? false)", "kd_intra_class": "\(kdIntraClass ?? 0)", "kd_decoupled": "\(kdDecoupled ?? 0)", "kd_hard": "\(kdHard ?? 0)", "kd_hint": "\(kdHint ?? 0)", "generator_project28": "\(generatorProject28 ?? false)", "select": select ?? "last", "hard_samples": "\(hardSamples ?? 0)", "boundary_samples": "\(boundarySamples ?? 0)", "boundary_batches": "\(boundaryBatches ?? 1)", "boundary_toward": boundaryToward ?? "uniform", "boundary_steps": "\(boundarySteps ?? BoundarySamples.steps)", "boundary_stop": "\(boundaryStop ?? false)", "balanced_replay": "\(balancedReplay ?? false)", "replay_class_cap": "\(replayClassCap ?? 1)", "replay_keep_rare": "\(replayKeepRare ?? 1)", "stable_views": "\(stableViews ?? false)", "view_labels": viewLabels ?? "teacher",
            "generator_output": generatorOutput ?? "batchnorm", "student_init": studentInit ?? "random", "student_weights": studentWeights ?? "none",
            "prune_fade": "\(pruneFade ?? 0)",
            "student_freeze": frozenStudentLayers.isEmpty ? "none" : frozenStudentLayers.joined(separator: ","), "seed": "\(seed)",
            "eval_every": "\(evalEvery)", "checkpoint_every": "\(checkpointEvery)", "samples_every": "\(samplesEvery)",
            "student": student ?? "lenet5-half", "student_width": studentWidth.map(String.init) ?? "64",
        ]
    }

    /// The parsed `studentAugment` (none when invalid; `problems()` reports that).
    public var augmentation: StudentAugmentation { StudentAugmentation(parse: studentAugment ?? "none") ?? StudentAugmentation() }
}
