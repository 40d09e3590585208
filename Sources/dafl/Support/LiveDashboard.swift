import DAFLTrainer
import Dashboard
import Foundation
import RunEvents

/// Runs the trainer on its own thread and the dashboard on this one; returns the trainer's final state.
enum LiveDashboard {
    static func run(trainer: DAFLTrainer, inbox: EventInbox, themes: [Theme]) throws -> TrainerState {
        let term = try Terminal.open()
        defer { term.close() }
        let session = DashboardSession(terminal: term, themes: themes)
        let done = DispatchSemaphore(value: 0)
        let box = TrainerBox(trainer)
        let thread = Thread {
            _ = box.trainer.run()
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        var finished = false
        session.runLive(inbox: inbox, send: { cmd in
            switch cmd {
            case .pause: trainer.send(.pause)
            case .resume: trainer.send(.resume)
            case .stepOnce: trainer.send(.stepOnce)
            case .checkpoint: trainer.send(.checkpoint)
            case .quit: trainer.send(.stop(reason: "stopped"))
            case .scale(let key, let f):
                if let k = LossWeightKey(rawValue: key) { trainer.send(.scale(k, Float(f))) }
            }
        }, finished: {
            if !finished { finished = done.wait(timeout: .now()) == .success }
            return finished
        })
        // The user left while training goes on (q on the banner is only offered at the end): stop and save.
        if !finished {
            trainer.send(.stop(reason: "stopped"))
            done.wait()
        }
        return trainer.state
    }
}

final class TrainerBox: @unchecked Sendable {
    let trainer: DAFLTrainer
    init(_ t: DAFLTrainer) { trainer = t }
}
