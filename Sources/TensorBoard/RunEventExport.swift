import Foundation
import RunEvents

/// Maps run events to TensorBoard summaries: every loss term, weight, learning rate, accuracy and
/// stage metric as a scalar; the teacher's class balance (and a fake set's kept samples) as a
/// histogram over class indices; generated images as one PNG grid; control actions, checkpoints,
/// halts and the configuration as text.
///
/// ```swift
/// let writer = try EventFileWriter(directory: dir)
/// for e in RunHistory.effective(log.events) { try writer.write(RunEventExport.values(e), step: e.step, wallTime: start + e.time) }
/// ```
public enum RunEventExport {
    /// Tag of the class-balance histogram.
    public static let balanceTag = "balance/teacher_classes"
    /// Tag of the image grid.
    public static let samplesTag = "samples/generated"
    /// Images per row of the grid.
    public static let gridColumns = 8

    public static func values(_ event: RunEvent) -> [Tensorboard_Summary.Value] {
        switch event {
        case .step(let s):
            var v = scalars([
                ("loss/one_hot", s.oh), ("loss/activation", s.a), ("loss/info_entropy", s.ie), ("loss/kd", s.kd),
                ("loss/total", s.total), ("weights/alpha", s.alpha), ("weights/beta", s.beta), ("weights/one_hot", s.ohWeight),
                ("lr/generator", s.lrG), ("lr/student", s.lrS), ("balance/entropy_bits", s.histEntropy),
                ("speed/steps_per_second", s.stepsPerSecond),
            ])
            if let adv = s.adv { v += scalars([("loss/adversarial", adv)]) }
            if let w = s.advWeight { v += scalars([("weights/adversarial", w)]) }
            if let tv = s.tv { v += scalars([("loss/total_variation", tv)]) }
            if let w = s.tvWeight { v += scalars([("weights/tv", w)]) }
            if let d = s.div { v += scalars([("loss/feature_similarity", d)]) }
            if let w = s.divWeight { v += scalars([("weights/diversity", w)]) }
            if let b = s.border { v += scalars([("loss/border", b)]) }
            if let w = s.borderWeight { v += scalars([("weights/border", w)]) }
            if let a = s.sym { v += scalars([("loss/symmetry", a)]) }
            if let w = s.symWeight { v += scalars([("weights/symmetry", w)]) }
            if let a = s.sat { v += scalars([("loss/saturation", a)]) }
            if let w = s.satWeight { v += scalars([("weights/saturation", w)]) }
            if let m = s.memory { v += scalars([("memory/images", Double(m))]) }
            if let h = s.boundaryHits { v += scalars([("boundary/reach_target_percent", h)]) }
            if let k = s.viewsKept { v += scalars([("replay/views_kept_percent", k)]) }
            if let k = s.memoryKept { v += scalars([("replay/rare_images_kept", Double(k))]) }
            return v + [histogram(balanceTag, counts: s.hist)]
        case .eval(let e):
            return scalars([("eval/student_accuracy", e.studentAccuracy), ("eval/teacher_accuracy", e.teacherAccuracy),
                            ("eval/agreement", e.agreement)] + (e.bestStudentAccuracy.map { [("eval/best_student_accuracy", $0)] } ?? []))
        case .metrics(let m):
            var v = scalars(m.values.sorted { $0.key < $1.key }.map { ("\(m.stage)/\($0.key)", $0.value) })
            for (name, perClass) in (m.perClass ?? [:]).sorted(by: { $0.key < $1.key }) {
                v += scalars(perClass.enumerated().map { ("\(m.stage)/\(name)/class_\($0.offset)", $0.element) })
            }
            return v
        case .samples(let s):
            return grid(s).map { [$0] } ?? []
        case .fakeSet(let f):
            return [histogram("fake_set/kept", counts: f.kept),
                    text("events", "fake set: generated \(f.generated.reduce(0, +)), accepted \(f.accepted.reduce(0, +)), kept \(f.kept.reduce(0, +))")]
        case .control(let c):
            var line = "step \(c.step): \(c.action)"
            if let key = c.key { line += " \(key)" }
            if let old = c.old, let new = c.new { line += " \(old) → \(new)" }
            return [text("control", line + " (\(c.source))")]
        case .checkpoint(let c):
            return [text("events", "checkpoint (\(c.reason)): \(c.path)")]
        case .halt(let h):
            return [text("events", "halted: \(h.reason): \(h.detail)")]
        case .end(let e):
            return [text("events", "ended: \(e.reason)")]
        case .config(let c):
            let rows = c.settings.sorted { $0.key < $1.key }.map { "| \($0.key) | \($0.value) |" }
            return [text("config", (["run \(c.run), preset \(c.preset)\(c.resumed ? " (resumed)" : "")", "", "| setting | value |", "|---|---|"] + rows)
                .joined(separator: "\n"))]
        }
    }

    static func scalars(_ pairs: [(String, Double)]) -> [Tensorboard_Summary.Value] {
        pairs.filter { $0.1.isFinite }.map { tag, x in Tensorboard_Summary.Value.with { $0.tag = tag; $0.simpleValue = Float(x) } }
    }

    /// Counts per class index as a histogram: bucket i holds class i (limits at i + ½).
    static func histogram(_ tag: String, counts: [Int]) -> Tensorboard_Summary.Value {
        var h = Tensorboard_HistogramProto()
        let present = counts.indices.filter { counts[$0] > 0 }
        h.min = Double(present.first ?? 0)
        h.max = Double(present.last ?? 0)
        h.num = Double(counts.reduce(0, +))
        h.sum = counts.indices.reduce(0) { $0 + Double($1 * counts[$1]) }
        h.sumSquares = counts.indices.reduce(0) { $0 + Double($1 * $1 * counts[$1]) }
        h.bucketLimit = counts.indices.map { Double($0) + 0.5 }
        h.bucket = counts.map(Double.init)
        return .with { $0.tag = tag; $0.histo = h }
    }

    /// The images as one grid, `gridColumns` wide, with a one-pixel black gap: grey, or RGB for colour samples.
    static func grid(_ s: SamplesEvent) -> Tensorboard_Summary.Value? {
        let (w, h, ch) = (s.width, s.height, s.channels == 3 ? 3 : 1)
        let images = s.images.map(\.bytes).filter { $0.count == w * h * ch }
        guard w > 0, h > 0, !images.isEmpty else { return nil }
        let cols = Swift.min(gridColumns, images.count), rows = (images.count + cols - 1) / cols
        let (gw, gh) = (cols * (w + 1) - 1, rows * (h + 1) - 1)
        var px = [UInt8](repeating: 0, count: gw * gh * ch)
        for (i, img) in images.enumerated() {
            let (ox, oy) = (i % cols * (w + 1), i / cols * (h + 1))
            // Planar in the event, interleaved in the PNG.
            for y in 0..<h { for x in 0..<w { for c in 0..<ch { px[((oy + y) * gw + ox + x) * ch + c] = img[c * w * h + y * w + x] } } }
        }
        guard let png = try? (ch == 3 ? PNG.rgb(px, width: gw, height: gh) : PNG.grey(px, width: gw, height: gh)) else { return nil }
        let image = Tensorboard_Summary.Image.with { $0.width = Int32(gw); $0.height = Int32(gh); $0.colorspace = Int32(ch); $0.encodedImageString = png }
        return .with { $0.tag = samplesTag; $0.image = image }
    }

    /// A text summary: a string tensor the text plugin shows.
    static func text(_ tag: String, _ s: String) -> Tensorboard_Summary.Value {
        .with {
            $0.tag = tag
            $0.metadata = .with { $0.pluginData = .with { $0.pluginName = "text" } }
            $0.tensor = .with { $0.dtype = 7; $0.stringVal = [Data(s.utf8)]; $0.tensorShape = .with { $0.dim = [.with { $0.size = 1 }] } }
        }
    }
}
