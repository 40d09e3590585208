import Foundation

/// One thing that happened in a distillation run: the unit of the run log, of replay and of the dashboard.
///
/// Serialised as one JSON object per line with `"v"` (schema version) and `"type"` keys next to the
/// payload's own fields (see docs/RUN_LOG.md). A dashboard renders these whether they come from a live
/// trainer or from a file.
/// ```swift
/// let line = try RunEvent.step(StepEvent(step: 1, time: 0.5, ...)).jsonLine()
/// let back = try RunEvent.decode(line: line)
/// ```
public enum RunEvent: Equatable, Sendable {
    case config(ConfigEvent)
    case step(StepEvent)
    case samples(SamplesEvent)
    case eval(EvalEvent)
    case control(ControlEvent)
    case checkpoint(CheckpointEvent)
    case halt(HaltEvent)
    case end(EndEvent)
    /// Named numbers of a stage that has no event of its own (the conditional GAN, the density ratio, the student epochs of cGAN-KD).
    case metrics(MetricsEvent)
    /// What building cGAN-KD's processed fake set did, per class.
    case fakeSet(FakeSetEvent)

    /// The schema version this build writes and the newest it reads. Version 2 added `metrics`,
    /// `fake_set` and the samples' `conditioning`; version 1 logs read unchanged.
    public static let schemaVersion = 2

    public var type: String {
        switch self {
        case .config: "config"
        case .step: "step"
        case .samples: "samples"
        case .eval: "eval"
        case .control: "control"
        case .checkpoint: "checkpoint"
        case .halt: "halt"
        case .end: "end"
        case .metrics: "metrics"
        case .fakeSet: "fake_set"
        }
    }

    /// The event's own fields.
    public var payload: any EventPayload {
        switch self {
        case .config(let e): e
        case .step(let e): e
        case .samples(let e): e
        case .eval(let e): e
        case .control(let e): e
        case .checkpoint(let e): e
        case .halt(let e): e
        case .end(let e): e
        case .metrics(let e): e
        case .fakeSet(let e): e
        }
    }

    /// Seconds of wall clock since the run began (continuing across resumes).
    public var time: Double { payload.time }

    /// The training step the event belongs to (the number of iterations completed).
    public var step: Int { payload.step }
}

/// What every event carries: its step and its time.
public protocol EventPayload: Codable, Sendable {
    var step: Int { get }
    var time: Double { get }
}

extension ConfigEvent: EventPayload {}
extension StepEvent: EventPayload {}
extension SamplesEvent: EventPayload {}
extension EvalEvent: EventPayload {}
extension ControlEvent: EventPayload {}
extension CheckpointEvent: EventPayload {}
extension HaltEvent: EventPayload {}
extension EndEvent: EventPayload {}
extension MetricsEvent: EventPayload {}
extension FakeSetEvent: EventPayload {}

/// The run's configuration, written first (and again on resume).
public struct ConfigEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    public var run: String
    public var preset: String
    /// Every setting, as strings: readable by any later version.
    public var settings: [String: String]
    /// Class names, when the dataset has them.
    public var classNames: [String]
    /// Whether this config starts a resumed run (the log continues from `step`).
    public var resumed: Bool
    /// The teacher's test accuracy (percent), measured before training.
    public var teacherAccuracy: Double?

    public init(step: Int, time: Double, run: String, preset: String, settings: [String: String],
                classNames: [String], resumed: Bool, teacherAccuracy: Double?) {
        self.step = step; self.time = time; self.run = run; self.preset = preset; self.settings = settings
        self.classNames = classNames; self.resumed = resumed; self.teacherAccuracy = teacherAccuracy
    }
}

/// One DAFL iteration: every loss term, the weights in force, and the teacher's view of the batch.
public struct StepEvent: Codable, Equatable, Sendable {
    public var step: Int
    /// Seconds since the run started (wall clock, continuing across resumes).
    public var time: Double
    /// One-hot, activation, information-entropy, distillation and the total.
    public var oh, a, ie, kd, total: Double
    /// The weights in force for this step: α (activation), β (information entropy), one-hot.
    public var alpha, beta, ohWeight: Double
    public var lrG, lrS: Double
    /// Count of the teacher's predicted classes on the generated batch.
    public var hist: [Int]
    /// Entropy of `hist` in bits (its maximum is log2 of the class count).
    public var histEntropy: Double
    public var stepsPerSecond: Double
    /// The teacher–student discrepancy the generator maximised, and its weight; absent (nil) when
    /// that optional term is off, as in plain DAFL.
    public var adv: Double? = nil
    public var advWeight: Double? = nil
    /// The squared total variation of the generated images and its weight (`--tv`); nil when off.
    public var tv: Double? = nil
    public var tvWeight: Double? = nil
    /// The border prior's value (mean squared distance of the images' edge band from black) and weight, when on.
    public var border: Double? = nil
    public var borderWeight: Double? = nil
    /// The symmetry prior's value (mean squared difference of the images from their mirror images) and weight, when on.
    public var sym: Double? = nil
    public var symWeight: Double? = nil
    /// The saturation prior's value (the mean log cosh of the generator's drive before its tanh) and weight, when on.
    public var sat: Double? = nil
    public var satWeight: Double? = nil
    /// The mean cosine similarity of the batch's teacher features and its weight (`--diversity`); nil when off.
    public var div: Double? = nil
    public var divWeight: Double? = nil
    /// Generated images held in the replay memory after this step, and how many it can hold; nil without replay.
    public var memory: Int? = nil
    public var memoryCapacity: Int? = nil
    /// `--replay-keep-rare`: images of rare classes this step's eviction kept in place of new ones of an over-held class.
    public var memoryKept: Int? = nil
    /// The replay memory's images by the teacher's class after this step: what the student learns from, where `hist`
    /// is the generator's newest batch. Nil without replay (and in logs written before it).
    public var memoryClasses: [Int]? = nil
    /// Targeted generation (`--targeted`): percent of the batch the teacher assigns to the class each image was generated for.
    public var onTarget: Double? = nil
    /// With generators taking turns (`--generators`): which one made this step's batch (from 1), of how many; nil with one.
    public var generator: Int? = nil
    public var generators: Int? = nil
    /// `--boundary-samples`: percent of this step's walked batch the teacher puts in the class each image walked toward.
    public var boundaryHits: Double? = nil
    /// `--stable-views`: percent of this step's shifted or mirrored replay images whose view was kept (the teacher's
    /// class unchanged by the move); the rest were replayed unmoved.
    public var viewsKept: Double? = nil

    public init(step: Int, time: Double, oh: Double, a: Double, ie: Double, kd: Double, total: Double,
                alpha: Double, beta: Double, ohWeight: Double, lrG: Double, lrS: Double,
                hist: [Int], histEntropy: Double, stepsPerSecond: Double) {
        self.step = step; self.time = time; self.oh = oh; self.a = a; self.ie = ie; self.kd = kd; self.total = total
        self.alpha = alpha; self.beta = beta; self.ohWeight = ohWeight; self.lrG = lrG; self.lrS = lrS
        self.hist = hist; self.histEntropy = histEntropy; self.stepsPerSecond = stepsPerSecond
    }
}

/// A few generated images, quantised to bytes (contrast-stretched over the batch, see `greyRange`),
/// each with the teacher's label and confidence.
public struct SamplesEvent: Codable, Equatable, Sendable {
    public struct Image: Codable, Equatable, Sendable {
        /// Row-major grey levels 0…255, base64.
        public var pixels: String
        public var label: Int
        public var confidence: Double
        /// The class a conditional generator was asked for (cGAN-KD); nil for DAFL's unconditional images.
        public var conditioning: Int?
        /// Regression (CcGAN): the label the image was generated for and the teacher's reading of it, in
        /// the task's units (`unit`, e.g. "°"); `label` and `confidence` then carry nothing.
        public var target: Double?
        public var value: Double?
        public var unit: String?
        public init(pixels: String, label: Int, confidence: Double, conditioning: Int? = nil, target: Double? = nil, value: Double? = nil,
                    unit: String? = nil) {
            self.pixels = pixels; self.label = label; self.confidence = confidence; self.conditioning = conditioning
            self.target = target; self.value = value; self.unit = unit
        }
        /// The decoded grey levels.
        public var bytes: [UInt8] { Data(base64Encoded: pixels).map { [UInt8]($0) } ?? [] }
    }
    public var step: Int
    public var time: Double
    public var width: Int
    public var height: Int
    public var images: [Image]
    /// The grey levels (0 black … 1 white, as the teacher reads its input; may lie outside 0…1) that
    /// pixel bytes 0 and 255 stand for: the batch's contrast stretch. Nil (version 1): bytes are grey levels.
    public var greyRange: [Double]?
    /// 3 for colour images: `pixels` then holds three planes, R, G and B (each width × height bytes,
    /// stretched together). Nil or 1: grey.
    public var channels: Int?
    public init(step: Int, time: Double, width: Int, height: Int, images: [Image], greyRange: [Double]? = nil, channels: Int? = nil) {
        self.step = step; self.time = time; self.width = width; self.height = height; self.images = images; self.greyRange = greyRange
        self.channels = channels
    }
}

/// The student measured on the real test split (percentages).
public struct EvalEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    public var studentAccuracy: Double
    public var teacherAccuracy: Double
    /// How often the student predicts the teacher's class.
    public var agreement: Double
    /// The best `studentAccuracy` so far of the student the run delivers; nil while there is none yet
    /// (a gradually pruned student is still the fading teacher).
    public var bestStudentAccuracy: Double?
    /// With `--student-init gradual`, while the evaluated student is still the wide one: the multiplier of
    /// its dropped units (1 → 0). Such evaluations are not the delivered student's and do not count as best.
    public var fading: Double? = nil
    /// With `--student-ema`: `studentAccuracy` is the weight average's (the student the run delivers) and
    /// this the trained student's own. Nil otherwise.
    public var trainedStudentAccuracy: Double? = nil
    /// Per class, in percent: of the test images the teacher puts in that class, how many the student puts there too
    /// (where the student still differs from its teacher). Measured only; nil in older logs.
    public var classAgreement: [Double]? = nil
    /// With `--select agreement`, on the evaluation after the last: the student delivered is the copy kept at this
    /// iteration (chosen by agreement with the teacher on held-out generated images, never by test labels). Nil otherwise.
    public var selectedStep: Int? = nil
    public init(step: Int, time: Double, studentAccuracy: Double, teacherAccuracy: Double, agreement: Double, bestStudentAccuracy: Double?) {
        self.step = step; self.time = time; self.studentAccuracy = studentAccuracy; self.teacherAccuracy = teacherAccuracy
        self.agreement = agreement; self.bestStudentAccuracy = bestStudentAccuracy
    }
}

/// A user's or the system's action: pause, resume, a weight change, a checkpoint request, a stop.
public struct ControlEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    /// `pause`, `resume`, `set`, `step-once`, `checkpoint`, `stop`, `resume-run`.
    public var action: String
    /// For `set`: `alpha`, `beta` or `oh`.
    public var key: String?
    public var old: Double?
    public var new: Double?
    /// Who asked: `keyboard`, `signal`, `cli`, `trainer`, or `file:<source>` for a line of the command file.
    public var source: String
    /// The command file line's `id`, acknowledging it (also on `rejected`).
    public var id: String? = nil
    /// For `rejected`: why the command-file line was ignored.
    public var detail: String? = nil
    public init(step: Int, time: Double, action: String, key: String? = nil, old: Double? = nil, new: Double? = nil, source: String,
                id: String? = nil, detail: String? = nil) {
        self.step = step; self.time = time; self.action = action; self.key = key; self.old = old; self.new = new; self.source = source
        self.id = id; self.detail = detail
    }
}

public struct CheckpointEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    public var path: String
    public var reason: String
    public init(step: Int, time: Double, path: String, reason: String) {
        self.step = step; self.time = time; self.path = path; self.reason = reason
    }
}

/// Training stopped itself: a NaN or Inf loss, or an error. The weights were not touched.
public struct HaltEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    public var reason: String
    public var detail: String
    /// The last checkpoint known to be good, if any.
    public var safeCheckpoint: String?
    public init(step: Int, time: Double, reason: String, detail: String, safeCheckpoint: String?) {
        self.step = step; self.time = time; self.reason = reason; self.detail = detail; self.safeCheckpoint = safeCheckpoint
    }
}

public struct EndEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    /// `completed`, `stopped`, `interrupted`, `halted`.
    public var reason: String
    public var bestStudentAccuracy: Double?
    public var lastStudentAccuracy: Double?
    public init(step: Int, time: Double, reason: String, bestStudentAccuracy: Double?, lastStudentAccuracy: Double?) {
        self.step = step; self.time = time; self.reason = reason
        self.bestStudentAccuracy = bestStudentAccuracy; self.lastStudentAccuracy = lastStudentAccuracy
    }
}

/// Named numbers from one stage of a run, for stages without an event of their own: the conditional
/// GAN's losses and scores each step, its Fréchet distance now and then, the density-ratio model's
/// loss per epoch, the student's loss per epoch. The dashboard draws each key as a curve.
/// ```swift
/// .metrics(MetricsEvent(step: 10, time: 3.2, stage: "gan", values: ["d_loss": 1.7, "g_loss": 0.4]))
/// ```
public struct MetricsEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    /// `gan`, `density-ratio`, `student`.
    public var stage: String
    public var values: [String: Double]
    /// Per-class numbers, e.g. `fd` → one Fréchet distance per class.
    public var perClass: [String: [Double]]?
    public init(step: Int, time: Double, stage: String, values: [String: Double], perClass: [String: [Double]]? = nil) {
        self.step = step; self.time = time; self.stage = stage; self.values = values; self.perClass = perClass
    }
}

/// A processed fake set was built (cGAN-KD): per class, how many samples were generated, accepted by
/// cDR-RS subsampling and kept by the teacher's filter, with the filter's cut-offs.
public struct FakeSetEvent: Codable, Equatable, Sendable {
    public var step: Int
    public var time: Double
    public var generated: [Int]
    public var accepted: [Int]
    public var kept: [Int]
    /// Kept samples whose teacher label differs from the conditioning label.
    public var disagreements: [Int]
    /// The filter's cross-entropy cut-off per class; nil entries mean no filter.
    public var thresholds: [Double?]
    /// The subsampling bound M̄ per class (0: no subsampling).
    public var maxRatios: [Double]
    public var relabelled: Bool
    /// Where the set was written, if it was.
    public var path: String?
    /// Kept samples per group by the teacher's reading (its class, or the bin of its predicted label), beside
    /// `kept`, which counts them by the label asked for. Nil in logs before it was added.
    public var predicted: [Int]?
    /// Regression: the label range the groups split evenly (bins), in the task's units; nil for classes.
    public var labelRange: [Double]?
    public init(step: Int, time: Double, generated: [Int], accepted: [Int], kept: [Int], disagreements: [Int],
                thresholds: [Double?], maxRatios: [Double], relabelled: Bool, path: String? = nil, predicted: [Int]? = nil,
                labelRange: [Double]? = nil) {
        self.step = step; self.time = time; self.generated = generated; self.accepted = accepted; self.kept = kept
        self.disagreements = disagreements; self.thresholds = thresholds; self.maxRatios = maxRatios
        self.relabelled = relabelled; self.path = path; self.predicted = predicted; self.labelRange = labelRange
    }

    /// What makes the event unusable (per-group lists of different lengths, a label range that is not
    /// two finite numbers), or nil: a damaged log line must get a message, not a dashboard that indexes past a list.
    public var problem: String? {
        let counts = [("generated", generated.count), ("accepted", accepted.count), ("kept", kept.count),
                      ("disagreements", disagreements.count), ("thresholds", thresholds.count), ("maxRatios", maxRatios.count)]
            + (predicted.map { [("predicted", $0.count)] } ?? [])
        if let odd = counts.first(where: { $0.1 != kept.count }) {
            return "'\(odd.0)' has \(odd.1) groups, 'kept' \(kept.count)"
        }
        if let r = labelRange, r.count != 2 || !r.allSatisfy(\.isFinite) { return "'labelRange' must be two finite numbers" }
        return nil
    }
}
