import ArgumentParser
import Foundation
import TensorBoard

/// `dafl export`: a run log in another tool's format.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run log for other tools.",
        subcommands: [ExportTensorBoard.self])
}

/// `dafl export tensorboard LOG DIR`: the run as TensorBoard event files.
struct ExportTensorBoard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensorboard",
        abstract: "Write a run log as TensorBoard event files: scalars for every loss term, weight, learning rate and accuracy, the class-balance histogram, generated images, control actions as text.",
        discussion: "Example: dafl export tensorboard runs/x/events.jsonl tb/x && tensorboard --logdir tb")

    @Argument(help: "The run log (events.jsonl).") var log: String
    @Argument(help: "The TensorBoard log directory to write into (created if missing).") var directory: String

    func run() throws {
        let file = try TensorBoardExport.export(log: log, to: URL(fileURLWithPath: directory))
        print("wrote \(file.path)")
    }
}
