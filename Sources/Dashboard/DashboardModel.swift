import Foundation
import RunEvents

/// Everything the dashboard shows, folded from run events. Live training, replay and watch all
/// feed it the same events, so the screen cannot tell where they came from.
///
/// ```swift
/// var model = DashboardModel()
/// for e in events { model.apply(e) }
/// let screen = DashboardView.render(model, width: 120, height: 40, theme: .dark)
/// ```
public struct DashboardModel: Sendable {
    /// One curve: (step, value) points in step order.
    public struct Series: Sendable {
        public var steps: [Int] = []
        public var values: [Double] = []
        public var last: Double? { values.last }
    }

    /// A loss-weight change drawn on the curves.
    public struct Marker: Sendable, Equatable {
        public var step: Int
        public var label: String
    }

    public var runName = ""
    public var preset = ""
    /// What kind of run the events describe, from its config: it picks the charts and panels.
    public var kind: RunKind = .dafl
    public var totalSteps = 0
    public var step = 0
    public var stepsPerSecond = 0.0
    public var elapsed = 0.0
    /// `running`, `paused`, `stopped`, `halted`, `completed`; replay and watch set their own.
    public var state = "starting"
    public var alpha = 0.0, beta = 0.0, ohWeight = 0.0
    public var series: [String: Series] = [:]
    public var markers: [Marker] = []
    public var latestHist: [Int] = []
    /// Class counts summed over the last `histWindow` steps.
    public var windowHist: [Int] = []
    public let histWindow = 50
    /// The replay memory's images by the teacher's class (the latest step's), when the run replays; empty otherwise.
    public var memoryHist: [Int] = []
    private var recentHists: [[Int]] = []
    public var histEntropy = 0.0
    public var samples: SamplesEvent?
    public var evals: [EvalEvent] = []
    /// With `--select agreement`: the measurement of the student the run delivers, a copy kept at an earlier evaluation.
    public var selectedEval: EvalEvent?
    public var teacherAccuracy: Double?
    public var classNames: [String] = []
    /// The latest notice for the status line, and whether it is a warning.
    public var status = ""
    public var statusIsWarning = false
    /// Control actions in order (for the replay summary).
    public var controls: [ControlEvent] = []
    public var checkpoints = 0
    public var endReason: String?
    /// The latest per-class numbers of `metrics` events (cGAN-KD: `fd`, the Fréchet distance per class).
    public var perClass: [String: [Double]] = [:]
    /// The latest processed fake set (cGAN-KD distillation).
    public var fakeSet: FakeSetEvent?
    /// The stage the latest `metrics` event came from (`gan`, `density-ratio`, `student`).
    public var stage = ""
    /// The adversarial term, when on: how it measures disagreement (`l1`, `kl`) and its weight.
    public var discrepancyMeasure = "l1"
    public var adversarialWeight: Double?
    /// How the student started, when not from random weights: `teacher` (`--student-init teacher`), with
    /// the layers kept as they started (`--student-freeze`).
    public var studentStart: String?
    /// Where boundary samples walk, when not to a uniformly drawn class (`runner-up`, `student`).
    public var boundaryToward: String?
    /// Boundary walks stop where the teacher first gives an image its target class (`--boundary-stop`).
    public var boundaryStop = false
    /// `--kd-standardize`: the student distils z-scored logits, so its loss chart says so.
    public var kdStandardized = false
    /// The weight of the intra-class relation in the student's loss (`kd_intra_class`); nil when off.
    public var kdIntraClass: Double?
    /// DKD's β (`--kd-decoupled`) when the student distils by DKD; nil for the KL.
    public var kdDecoupled: Double?
    /// The student-side options beyond the distillation loss, short (`--student-sam`, `--kd-hard`, `--kd-hint`, `--procedural`, `--impressions`):
    /// "SAM 0.05, CE×0.1, proc 50%"; nil when none.
    public var studentExtras: String?
    /// Whether the generator's learning rate follows a schedule (`--lr-g-final`); the header then shows it.
    public var generatorScheduled = false
    /// The information-entropy term's softmax temperature (`--ie-temperature`) when it is not 1.
    public var ieTemperature: Double?
    /// The batch's share of the class mix the information-entropy term balances, the rest the memory's (`--ie-memory`), when
    /// below 1; the chart's title gives the memory's share ("entropy +mem 75% L_ie").
    public var ieMemory: Double?
    /// The one-hot term pulls toward a class-balanced assignment, not each image's argmax (`--balanced-one-hot`).
    public var balancedOneHot = false
    /// The adversarial term counts only images the teacher is at least this sure of (`--adversarial-sure`).
    public var adversarialSure: Double?
    /// The generator's learning rate, as the last step reported it.
    public var generatorRate: Double = 0
    /// Which weight average the run delivers, when it evaluates one: `EMA` (`--student-ema`) or `SWA` (`--student-swa`).
    public var weightAverage = "EMA"
    public var frozenStudentLayers: String?
    /// With `--student-init gradual`: the iterations over which the dropped units fade out.
    public var pruneFade: Int?
    /// The multiplier of the dropped units at the current step while they fade (`gradual` runs), else nil.
    public var fadingUnitsScale: Double? {
        guard studentStart == "gradual", let f = pruneFade, f > 0, step < f else { return nil }
        return 1 - Double(step) / Double(f)
    }
    /// The image prior's weight when on (`--tv`).
    public var tvWeight: Double?
    /// The diversity term's weight when on (`--diversity`).
    public var divWeight: Double?
    /// The border prior's weight when on (`--border`).
    public var borderWeight: Double?
    public var symWeight: Double?
    public var satWeight: Double?
    /// Images in the student's replay memory and its capacity, as last reported (nil: no replay).
    public var memory: Int?
    public var memoryCapacity: Int?
    /// With generators taking turns (`--generators`): whose batch the latest step was (from 1), and how many.
    public var generatorTurn: (generator: Int, of: Int)?
    /// Values a user tunes live that are not DAFL's loss weights (`lr_g`, `lr_d`), as last reported.
    public var tunables: [String: Double] = [:]

    /// The loss series names, in display order, with their labels.
    public static let lossSeries: [(key: String, label: String)] = [
        ("oh", "one-hot L_oh"), ("a", "activation L_a"), ("ie", "info entropy L_ie"), ("kd", "distillation L_kd"), ("total", "total"),
    ]

    /// The student's loss chart: what it distils, and the intra-class relation's weight when it is on.
    var kdLabel: String {
        let dkd = kdDecoupled.map { "DKD β\(String(format: "%.3g", $0))" }
        let kd = kdStandardized ? "z-scored " + (dkd ?? "KD") : (dkd ?? "distillation")
        return kdIntraClass.map { "\(kd)+intra×\(String(format: "%.3g", $0)) L_kd" } ?? "\(kd) L_kd"
    }

    /// The adversarial chart: how the discrepancy is measured and its weight; under `--adversarial-sure`, the teacher
    /// probability an image needs to count (the word "discrepancy" gives way: the chart's title is short).
    var adversarialLabel: String {
        let term = "\(discrepancyMeasure.uppercased())×\(String(format: "%.3g", adversarialWeight ?? 0))"
        return adversarialSure.map { "\(term) on sure≥\(String(format: "%.2g", $0)) (G ↑)" } ?? "discrepancy \(term) (G ↑)"
    }

    /// The one-hot chart: "balanced" when its targets are the class-balanced assignment.
    var ohLabel: String { balancedOneHot ? "balanced L_oh" : "one-hot L_oh" }

    /// The information-entropy chart: its softmax temperature when it is not the paper's 1.
    var ieLabel: String {
        // With the memory's share the title drops "info" to fit a third of 120 columns.
        (ieMemory == nil ? "info entropy" : "entropy") + (ieTemperature.map { " τ" + String(format: "%.3g", $0) } ?? "")
            + (ieMemory.map { " +mem " + String(format: "%.0f", (1 - $0) * 100) + "%" } ?? "") + " L_ie"
    }

    /// The charts of the loss panel for this kind of run, in display order.
    public var chartSeries: [(key: String, label: String)] {
        switch kind {
        case .dafl: Self.lossSeries.map { $0.key == "kd" ? ("kd", kdLabel) : $0.key == "ie" ? ("ie", ieLabel) : $0.key == "oh" ? ("oh", ohLabel) : $0 } + (series["adv"] == nil ? [] : [("adv", adversarialLabel)])
            + (series["tv"] == nil ? [] : [("tv", "image prior TV×\(String(format: "%.3g", tvWeight ?? 0))")])
            + (series["div"] == nil ? [] : [("div", "feature cos×\(String(format: "%.3g", divWeight ?? 0))")])
            + (series["border"] == nil ? [] : [("border", "border prior×\(String(format: "%.3g", borderWeight ?? 0))")])
            + (series["sym"] == nil ? [] : [("sym", "symmetry prior×\(String(format: "%.3g", symWeight ?? 0))")])
            + (series["sat"] == nil ? [] : [("sat", "saturation×\(String(format: "%.3g", satWeight ?? 0))")])
        case .cganTrain: [("d_loss", "D loss (hinge)"), ("g_loss", "G loss (hinge)"), ("real_score", "D(real)"),
                          ("fake_score", "D(fake)"), ("fd", "Fréchet distance, teacher features")]
        case .cganDistill, .ccganDistill: [("dr_loss", "density-ratio loss (penalised SP)"), ("student_loss", "student training loss")]
        case .ccganTrain: [("d_loss", "D loss (vicinal hinge)"), ("g_loss", "G loss (hinge)"), ("real_score", "D(real)"), ("fake_score", "D(fake)")]
        }
    }

    public init() {}

    /// The best accuracy of the student the run delivers (not of a gradually pruned student's fading teacher).
    public var bestStudentAccuracy: Double? { evals.filter { $0.fading == nil }.map(\.studentAccuracy).max() }

    public mutating func apply(_ event: RunEvent) {
        switch event {
        case .config(let c):
            runName = c.run
            preset = c.preset
            kind = RunKind(preset: c.preset)
            totalSteps = Int(c.settings["iterations"] ?? "") ?? totalSteps
            alpha = Double(c.settings["alpha"] ?? "") ?? alpha
            beta = Double(c.settings["beta"] ?? "") ?? beta
            ohWeight = Double(c.settings["oh"] ?? "") ?? ohWeight
            discrepancyMeasure = c.settings["discrepancy"] ?? discrepancyMeasure
            // A weights file replaces --student-init's start (`--student-weights`).
            studentStart = c.settings["student_weights"].flatMap { $0 == "none" ? nil : "file" }
                ?? c.settings["student_init"].flatMap { $0 == "random" ? nil : $0 }
            boundaryToward = c.settings["boundary_toward"].flatMap { $0 == "uniform" ? nil : $0 }
            boundaryStop = c.settings["boundary_stop"] == "true"
            kdStandardized = c.settings["kd_standardize"] == "true"
            kdIntraClass = c.settings["kd_intra_class"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
            generatorScheduled = (c.settings["lr_g_final"] ?? "constant") != "constant"
            balancedOneHot = c.settings["balanced_one_hot"] == "true"
            adversarialSure = c.settings["adversarial_sure"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
            ieTemperature = c.settings["ie_temperature"].flatMap(Double.init).flatMap { $0 == 1 ? nil : $0 }
            ieMemory = c.settings["ie_memory"].flatMap(Double.init).flatMap { $0 < 1 ? $0 : nil }
            kdDecoupled = c.settings["kd_decoupled"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
            var extras = [("student_sam", "SAM "), ("kd_hard", "CE×"), ("kd_hint", "hint×")].compactMap { key, label in
                c.settings[key].flatMap(Double.init).flatMap { $0 > 0 ? label + String(format: "%.3g", $0) : nil }
            }
            // `--procedural F`: the share of replayed images that are procedural pictures.
            if let f = c.settings["procedural"].flatMap(Double.init), f > 0 { extras.append(String(format: "proc %.0f%%", f * 100)) }
            // `--impressions N`: the share of replayed images that are class impressions.
            if let n = c.settings["impressions"].flatMap(Int.init), n > 0 {
                extras.append(String(format: "impr %.0f%%", (c.settings["impression_share"].flatMap(Double.init) ?? 0.25) * 100))
            }
            studentExtras = extras.isEmpty ? nil : extras.joined(separator: ", ")
            weightAverage = (c.settings["student_swa"] ?? "off") == "off" ? "EMA" : "SWA"
            frozenStudentLayers = c.settings["student_freeze"].flatMap { $0 == "none" ? nil : $0 }
            pruneFade = c.settings["prune_fade"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            if !c.classNames.isEmpty { classNames = c.classNames }
            teacherAccuracy = c.teacherAccuracy ?? teacherAccuracy
            step = c.step
            if state == "starting" { state = "running" }
            status = c.resumed ? "resumed at step \(c.step)" : "run \(c.run) started (preset \(c.preset))"
            statusIsWarning = false
        case .step(let s):
            step = s.step
            elapsed = s.time
            stepsPerSecond = s.stepsPerSecond
            alpha = s.alpha; beta = s.beta; ohWeight = s.ohWeight
            generatorRate = s.lrG
            // The optional terms are charted only in runs that report them.
            let terms: [(String, Double?)] = [("oh", s.oh), ("a", s.a), ("ie", s.ie), ("kd", s.kd), ("total", s.total),
                                              ("tv", s.tv), ("border", s.border), ("sym", s.sym), ("sat", s.sat), ("div", s.div), ("adv", s.adv), ("on_target", s.onTarget), ("boundary_hits", s.boundaryHits), ("views_kept", s.viewsKept), ("memory_kept", s.memoryKept.map(Double.init))]
            for case let (key, v?) in terms {
                series[key, default: Series()].steps.append(s.step)
                series[key, default: Series()].values.append(v)
            }
            latestHist = s.hist
            histEntropy = s.histEntropy
            adversarialWeight = s.advWeight
            tvWeight = s.tvWeight
            divWeight = s.divWeight
            borderWeight = s.borderWeight
            symWeight = s.symWeight
            satWeight = s.satWeight
            memory = s.memory; memoryCapacity = s.memoryCapacity
            memoryHist = s.memoryClasses.flatMap { $0.count == s.hist.count ? $0 : nil } ?? []
            generatorTurn = s.generator.flatMap { g in s.generators.map { (g, $0) } }
            recentHists.append(s.hist)
            if recentHists.count > histWindow { recentHists.removeFirst() }
            windowHist = recentHists.reduce(into: [Int](repeating: 0, count: s.hist.count)) { acc, h in
                for i in 0..<Swift.min(acc.count, h.count) { acc[i] += h[i] }
            }
        case .samples(let s):
            samples = s
        case .eval(let e) where e.selectedStep != nil:
            selectedEval = e
            elapsed = Swift.max(elapsed, e.time)
        case .eval(let e):
            evals.append(e)
            teacherAccuracy = e.teacherAccuracy
            elapsed = Swift.max(elapsed, e.time)
        case .control(let c):
            controls.append(c)
            switch c.action {
            case "pause": state = "paused"
            case "resume": state = "running"
            case "resume-run":
                // Drop what the resumed process redoes (see RunHistory).
                for k in series.keys {
                    while let last = series[k]?.steps.last, last > c.step {
                        series[k]?.steps.removeLast(); series[k]?.values.removeLast()
                    }
                }
                evals.removeAll { $0.step > c.step }
                if let s = selectedEval, s.step > c.step { selectedEval = nil }
                state = "running"
            case "set":
                if let key = c.key, let new = c.new {
                    switch key {
                    case "alpha": alpha = new
                    case "beta": beta = new
                    case "oh": ohWeight = new
                    case "iterations": totalSteps = Int(new)
                    default: tunables[key] = new
                    }
                    let symbol = Self.symbol(key)
                    markers.append(Marker(step: c.step, label: symbol))
                }
            case "generator-reset", "generator-restart":
                markers.append(Marker(step: c.step, label: "G"))
            default: break
            }
            status = Self.describe(c)
            statusIsWarning = ["checkpoint-failed", "warning", "generator-reset", "rejected"].contains(c.action)
        case .checkpoint(let c):
            checkpoints += 1
            status = "checkpoint saved at step \(c.step) (\(c.reason)): \(c.path)"
            statusIsWarning = false
        case .halt(let h):
            state = "halted"
            status = "HALTED: \(h.detail)" + (h.safeCheckpoint.map { "; last good checkpoint \($0)" } ?? "")
            statusIsWarning = true
        case .metrics(let m):
            stage = m.stage
            step = Swift.max(step, m.step)
            elapsed = Swift.max(elapsed, m.time)
            for (key, v) in m.values.sorted(by: { $0.key < $1.key }) {
                switch key {
                case "steps_per_second": stepsPerSecond = v
                case "lr_g", "lr_d": tunables[key] = v
                default:
                    series[key, default: Series()].steps.append(m.step)
                    series[key, default: Series()].values.append(v)
                }
            }
            for (key, v) in m.perClass ?? [:] { perClass[key] = v }
        case .fakeSet(let f):
            fakeSet = f
            elapsed = Swift.max(elapsed, f.time)
            status = "fake set: \(f.kept.reduce(0, +)) kept of \(f.generated.reduce(0, +)) generated"
            statusIsWarning = false
        case .end(let e):
            endReason = e.reason
            if state != "halted" { state = e.reason == "completed" ? "completed" : "stopped" }
            step = Swift.max(step, e.step)
        }
    }

    /// A tunable's short name on chart markers.
    static func symbol(_ key: String) -> String {
        ["alpha": "α", "beta": "β", "oh": "oh", "lr_g": "lrG", "lr_d": "lrD", "iterations": "N"][key] ?? key
    }

    static func describe(_ c: ControlEvent) -> String {
        switch c.action {
        case "set":
            let name = ["alpha": "α", "beta": "β", "oh": "one-hot weight", "lr_g": "generator learning rate",
                        "lr_d": "discriminator learning rate", "iterations": "total steps"][c.key ?? ""] ?? (c.key ?? "value")
            return String(format: "step %d: %@ %.4g → %.4g (%@)", c.step, name, c.old ?? 0, c.new ?? 0, c.source)
        case "checkpoint-failed": return "checkpoint failed at step \(c.step): \(c.key ?? "")"
        case "warning": return "step \(c.step): \(c.key ?? "warning")"
        case "generator-reset": return "step \(c.step): \(c.key ?? "generator re-initialised")"
        case "generator-restart": return "step \(c.step): generator restarted (--generator-restart)"
        case "rejected": return "step \(c.step): command ignored: \(c.detail ?? "")"
        default: return "step \(c.step): \(c.action)\(c.key.map { " (\($0))" } ?? "") by \(c.source)"
        }
    }
}

/// TensorBoard's scalar smoothing: a debiased exponential moving average. Non-finite values pass
/// through without entering the average.
public func smoothed(_ values: [Double], weight s: Double) -> [Double] {
    var last = 0.0, n = 0
    var out = [Double]()
    out.reserveCapacity(values.count)
    for v in values {
        guard v.isFinite else { out.append(v); continue }
        last = last * s + (1 - s) * v
        n += 1
        let debias = s == 0 ? 1 : 1 - pow(s, Double(n))
        out.append(last / debias)
    }
    return out
}

/// The kinds of run the dashboard knows, told apart by the config event's preset.
public enum RunKind: String, Sendable {
    /// DAFL distillation (`dafl distill`).
    case dafl
    /// cGAN-KD's conditional GAN (`dafl cgan train`, preset `cgan-train`).
    case cganTrain = "cgan-train"
    /// cGAN-KD's student on real + processed fake images (`dafl cgan distill`, preset `cgan-distill`).
    case cganDistill = "cgan-distill"
    /// CcGAN, cGAN-KD's generator for regression (`dafl cgan train --task rotation|files`).
    case ccganTrain = "ccgan-train"
    /// cGAN-KD's regression student (`dafl cgan distill --task rotation`).
    case ccganDistill = "ccgan-distill"

    public init(preset: String) { self = RunKind(rawValue: preset) ?? .dafl }
}
