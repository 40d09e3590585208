/// A request to a running trainer (DAFL or cGAN-KD), applied at the next step boundary and recorded
/// in the run log as a `control` event.
public enum TrainerCommand: Sendable, Equatable {
    case pause
    case resume
    /// One step while paused.
    case stepOnce
    /// Sets a live value to a value.
    case set(TunableKey, Float)
    /// Multiplies a live value by a factor (the dashboard's a/A, b/B, o/O, g/G, d/D keys).
    case scale(TunableKey, Float)
    case checkpoint
    /// Saves and ends the run; `reason` goes to the end event (`stopped`, `interrupted`).
    case stop(reason: String)
}

/// A value a user can change while a run trains; its raw value is the `key` of the `set` control event.
/// DAFL tunes α (activation), β (information entropy) and the one-hot weight; the conditional GAN its
/// two learning rates. A trainer ignores keys it does not have.
public struct TunableKey: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public static let alpha: TunableKey = "alpha"
    public static let beta: TunableKey = "beta"
    public static let oh: TunableKey = "oh"
    public static let lrG: TunableKey = "lr_g"
    public static let lrD: TunableKey = "lr_d"
}

/// DAFL's name for its tunable loss weights.
public typealias LossWeightKey = TunableKey

/// Where a trainer is in its life.
public enum TrainerState: String, Sendable {
    case running, paused, stopped, halted, completed
}
