/// A request to a running trainer, applied at the next step boundary and recorded in the run log.
public enum TrainerCommand: Sendable, Equatable {
    case pause
    case resume
    /// One step while paused.
    case stepOnce
    /// Sets a loss weight to a value.
    case set(LossWeightKey, Float)
    /// Multiplies a loss weight by a factor (the dashboard's a/A, b/B, o/O keys).
    case scale(LossWeightKey, Float)
    case checkpoint
    /// Saves and ends the run; `reason` goes to the end event (`stopped`, `interrupted`).
    case stop(reason: String)
}

/// The weights a user can tune: α (activation), β (information entropy) and the one-hot weight.
public enum LossWeightKey: String, Sendable, CaseIterable {
    case alpha, beta, oh
}

/// Where a trainer is in its life.
public enum TrainerState: String, Sendable {
    case running, paused, stopped, halted, completed
}
