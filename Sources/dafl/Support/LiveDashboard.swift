import CGANKD
import DAFLTrainer
import Dashboard
import Foundation
import RunEvents

/// A run the dashboard can drive: commands in, a blocking `run` on a worker thread, its state.
protocol SteerableRun: AnyObject {
    func send(_ command: TrainerCommand, source: String)
    func listen(toCommandFile path: String)
    func run(startPaused: Bool) -> TrainerState
    var state: TrainerState { get }
}

extension DAFLTrainer: SteerableRun {}
extension CGANRun: SteerableRun {}
extension CGANDistillRun: SteerableRun {}
extension RegressionDistillRun: SteerableRun {}

/// Runs the trainer on its own thread and the dashboard on this one; returns the trainer's final state.
enum LiveDashboard {
    static func run(trainer: some SteerableRun, inbox: EventInbox, themes: [Theme], startPaused: Bool = false) throws -> TrainerState {
        let term = try Terminal.open()
        defer { term.close() }
        let session = DashboardSession(terminal: term, themes: themes)
        let done = DispatchSemaphore(value: 0)
        let box = TrainerBox(trainer)
        let thread = Thread {
            _ = box.trainer.run(startPaused: startPaused)
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        var finished = false
        session.runLive(inbox: inbox, send: { cmd in trainer.send(cmd.trainerCommand, source: "keyboard") }, finished: {
            if !finished { finished = done.wait(timeout: .now()) == .success }
            return finished
        })
        // The user left while training goes on (q on the banner is only offered at the end): stop and save.
        if !finished {
            trainer.send(.stop(reason: "stopped"), source: "keyboard")
            done.wait()
        }
        return trainer.state
    }
}

final class TrainerBox: @unchecked Sendable {
    let trainer: any SteerableRun
    init(_ t: any SteerableRun) { trainer = t }
}
