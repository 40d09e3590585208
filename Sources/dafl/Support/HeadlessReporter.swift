import DAFLTrainer
import Foundation
import RunEvents

/// Prints a run's progress as plain lines: every N steps, each evaluation, checkpoint, control
/// action and halt. For pipes, CI logs and SSH sessions without a terminal.
final class HeadlessReporter: @unchecked Sendable {
    let total: Int
    let every: Int
    private var lastEval: EvalEvent?
    private let lock = NSLock()

    init(total: Int, every: Int) { self.total = total; self.every = every }

    /// "84.11%", or "–" when there is no value yet.
    static func percent(_ v: Double?) -> String { v.map { String(format: "%.2f%%", $0) } ?? "–" }

    func handle(_ event: RunEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .step(let s) where s.step % every == 0 || s.step == total:
            let eta = s.stepsPerSecond > 0 ? Double(total - s.step) / s.stepsPerSecond : .nan
            var line = String(format: "step %6d/%d  oh %.4f  a %.4f  ie %.4f  kd %.4f  %.2f it/s  ETA %@",
                              s.step, total, s.oh, s.a, s.ie, s.kd, s.stepsPerSecond, formatDuration(eta))
            if let e = lastEval { line += String(format: "  student %.2f%% (best ", e.studentAccuracy) + Self.percent(e.bestStudentAccuracy) + ")" }
            emit(line)
        case .eval(let e):
            lastEval = e
            // While a gradually pruned student fades, the accuracy is the wide net's: say so.
            let who = e.fading.map { String(format: "fading ×%.2f", $0) } ?? e.selectedStep.map { "delivered student (iteration \($0)'s)" } ?? "student"
            emit(String(format: "eval  step %6d  %@ %.2f%%  best %@  teacher %.2f%%  agreement %.2f%%  (%@)",
                        e.step, who, e.studentAccuracy, Self.percent(e.bestStudentAccuracy), e.teacherAccuracy, e.agreement, formatDuration(e.time)))
        case .control(let c) where c.action == "warning" || c.action == "generator-reset":
            emit("WARNING at step \(c.step): \(c.key ?? "")")
        case .control(let c):
            var line = "control step \(c.step): \(c.action)"
            if let k = c.key { line += " \(k)" }
            if let o = c.old, let n = c.new { line += String(format: " %.4g → %.4g", o, n) }
            emit(line + " (\(c.source))")
        case .checkpoint(let c):
            emit("checkpoint step \(c.step): \(c.path) (\(c.reason))")
        case .halt(let h):
            emit("HALTED at step \(h.step): \(h.reason): \(h.detail)")
            emit(h.safeCheckpoint.map { "last good checkpoint: \($0)" } ?? "no checkpoint was saved before the halt")
            if h.reason == "write-failed", let safe = h.safeCheckpoint {
                emit("make room (or make the directory writable), then: dafl distill --resume \(URL(fileURLWithPath: safe).deletingLastPathComponent().path)")
            }
        default:
            break
        }
    }

    func summary(trainer: DAFLTrainer, runDir: URL) {
        let best = trainer.bestStudentAccuracy.map { String(format: "%.2f%%", $0) } ?? "n/a"
        let last = trainer.lastStudentAccuracy.map { String(format: "%.2f%%", $0) } ?? "n/a"
        emit("done: \(trainer.state.rawValue) at step \(trainer.step); student best \(best), last \(last); teacher \(String(format: "%.2f%%", trainer.teacherAccuracy ?? 0)); \(formatDuration(trainer.elapsed))")
        if trainer.state != .halted {
            emit("student: \(runDir.appendingPathComponent("student.safetensors").path)   log: \(runDir.appendingPathComponent("events.jsonl").path)")
        }
    }

    private func emit(_ s: String) {
        print(s)
        fflush(nil)
    }
}
