import ArgumentParser

/// The `dafl` command: data-free knowledge distillation on the CPU.
@main
struct DAFLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dafl",
        abstract: "Data-free knowledge distillation (DAFL) in Swift: train teachers, distill students, benchmark.",
        subcommands: [Distill.self, Replay.self, Watch.self, Teacher.self, Eval.self, Bench.self, CGAN.self, Export.self]
    )
}
