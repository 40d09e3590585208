import Foundation
import RunEvents

/// Prints a cGAN-KD run's progress as plain lines (or JSON lines): the GAN's losses every N steps,
/// each Fréchet-distance measurement, density-ratio and student epochs, the fake set, checkpoints,
/// control actions and halts.
final class CGANReporter: @unchecked Sendable {
    let every: Int
    let json: Bool
    var total = 0
    var classNames: [String] = []
    private let lock = NSLock()

    init(every: Int, json: Bool) { (self.every, self.json) = (every, json) }

    func handle(_ event: RunEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .config(let c):
            total = Int(c.settings["iterations"] ?? "") ?? 0
            classNames = c.classNames
        case .metrics(let m) where m.stage == "gan" && m.values["d_loss"] != nil:
            guard m.step % every == 0 || m.step == total else { return }
            let v = m.values
            if json {
                emitJSON(["event": "gan_step", "step": m.step, "d_loss": v["d_loss"]!, "g_loss": v["g_loss"] ?? .nan,
                          "real_score": v["real_score"] ?? .nan, "fake_score": v["fake_score"] ?? .nan, "elapsed_s": m.time])
            } else {
                emit(String(format: "step %6d/%d  D %.4f  G %.4f  D(real) %+.3f  D(fake) %+.3f  %.2f it/s", m.step, total, v["d_loss"]!,
                            v["g_loss"] ?? .nan, v["real_score"] ?? .nan, v["fake_score"] ?? .nan, v["steps_per_second"] ?? 0))
            }
        case .metrics(let m) where m.values["fd"] != nil:
            let fd = m.values["fd"]!, per = m.perClass?["fd"] ?? []
            if json {
                var line: [String: Any] = ["event": "quality", "step": m.step, "fd": fd, "fd_per_class": per]
                for k in ["fd_trained", "agreement"] { if let v = m.values[k] { line[k] = v } }
                emitJSON(line)
            } else {
                var line = String(format: "step %6d  Fréchet distance (teacher features) %.3f", m.step, fd)
                if let raw = m.values["fd_trained"] { line += String(format: " (trained generator, not averaged: %.3f)", raw) }
                if let a = m.values["agreement"] { line += String(format: "; teacher agrees with the class asked for: %.1f%%", a) }
                emit(line + "; per class: " + per.map { String(format: "%.1f", $0) }.joined(separator: " "))
            }
        case .metrics(let m) where m.values["label_mae"] != nil:
            let mae = m.values["label_mae"]!
            if json { emitJSON(["event": "quality", "step": m.step, "label_mae": mae]) }
            else { emit(String(format: "step %6d  teacher's reading of generated images vs the label asked for: MAE %.3f", m.step, mae)) }
        case .metrics(let m) where m.stage == "student" && m.values["test_mae"] != nil:
            let v = m.values
            if json {
                emitJSON(["event": "epoch", "epoch": m.step, "train_loss": v["student_loss"] ?? .nan, "test_mae": v["test_mae"]!,
                          "teacher_mae": v["teacher_mae"] ?? .nan, "elapsed_s": m.time])
            } else {
                emit(String(format: "epoch %3d/%d  train loss %.4f  test MAE %.3f (teacher %.3f)", m.step, total, v["student_loss"] ?? .nan,
                            v["test_mae"]!, v["teacher_mae"] ?? .nan))
            }
        case .metrics(let m) where m.stage == "density-ratio":
            let loss = m.values["dr_loss"] ?? .nan
            if json { emitJSON(["event": "density_ratio_epoch", "epoch": m.step, "loss": loss]) }
            else if m.step % 5 == 0 { emit(String(format: "density ratio: epoch %3d  penalised SP loss %.4f", m.step, loss)) }
        case .metrics:
            break
        case .eval(let e):
            if json {
                emitJSON(["event": "epoch", "epoch": e.step, "test_accuracy": e.studentAccuracy, "agreement": e.agreement, "elapsed_s": e.time])
            } else {
                emit(String(format: "epoch %3d/%d  test accuracy %.2f%%  agreement with the teacher %.2f%%", e.step, total, e.studentAccuracy, e.agreement))
            }
        case .fakeSet(let f):
            if json {
                emitJSON(["event": "fake_set", "generated": f.generated, "accepted": f.accepted, "kept": f.kept, "disagreements": f.disagreements,
                          "thresholds": f.thresholds.map { $0 ?? .infinity }.map { $0.isFinite ? $0 as Any : NSNull() },
                          "max_ratios": f.maxRatios, "relabelled": f.relabelled, "path": f.path ?? NSNull()])
            } else {
                func rates(_ a: [Int], _ b: [Int]) -> String { zip(a, b).map { String(format: "%.2f", $1 == 0 ? 0 : Double($0) / Double($1)) }.joined(separator: " ") }
                let per = f.labelRange == nil ? "per class" : "per label bin"
                if f.maxRatios.contains(where: { $0 > 0 }) { emit("cDR-RS acceptance rate \(per): " + rates(f.accepted, f.generated)) }
                emit("fake set: \(f.kept.reduce(0, +)) images kept of \(f.generated.reduce(0, +)) generated; filter keep rate \(per): " + rates(f.kept, f.accepted))
                let far = f.labelRange == nil ? "" : " by more than a bin's width"
                emit("teacher disagrees with the conditioning label\(far) on \(f.disagreements.reduce(0, +)) kept samples\(f.relabelled ? " (relabelled)" : "")")
                if let p = f.path { emit("fake set written to \(p)") }
            }
        case .control(let c):
            guard !json else { return }
            var line = "control step \(c.step): \(c.action)"
            if let k = c.key { line += " \(k)" }
            if let o = c.old, let n = c.new { line += String(format: " %.4g → %.4g", o, n) }
            emit(line + " (\(c.source))")
        case .checkpoint(let c):
            if !json { emit("checkpoint step \(c.step): \(c.path) (\(c.reason))") }
        case .halt(let h):
            emit("HALTED at step \(h.step): \(h.reason): \(h.detail)")
            emit(h.safeCheckpoint.map { "last good checkpoint: \($0)" } ?? "no checkpoint was saved before the halt")
        default:
            break
        }
    }

    private func emit(_ s: String) { print(s); fflush(nil) }
    private func emitJSON(_ o: [String: Any]) { printJSON(o); fflush(nil) }
}
