/// A network made of named layers, with PyTorch's `state_dict` naming (`prefix.weight`).
public protocol Model: AnyObject {
    /// The layers under their module paths (`conv1`, `conv_blocks1.0`), in registration order.
    var layers: [(String, Layer)] { get }
    /// The `__metadata__` that makes a saved file self-describing (architecture and its sizes).
    var metadata: [String: String] { get }
}

extension Model {
    /// Trainable tensors by full name.
    public var namedParameters: [(String, Tensor)] {
        layers.flatMap { path, layer in layer.parameters.map { ("\(path).\($0.0)", $0.1) } }
    }

    public var parameters: [Tensor] { namedParameters.map(\.1) }

    /// Parameters and buffers by full name: what `state_dict()` holds.
    public var stateDict: [(String, Tensor)] {
        layers.flatMap { path, layer in (layer.parameters + layer.buffers).map { ("\(path).\($0.0)", $0.1) } }
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Training mode (batch statistics) or evaluation mode (running statistics) for every batch norm.
    public func setTraining(_ on: Bool) {
        for case let (_, bn as BatchNorm) in layers { bn.training = on }
    }

    /// Stops gradients to the parameters; gradients still flow through the model to its input.
    public func freeze() { for p in parameters { p.requiresGrad = false } }

    public func zeroGrad() { for p in parameters { p.grad = nil } }

    /// Copies values in by name. Every tensor must be present with the model's shape, and no extras
    /// (PyTorch's strict `load_state_dict`); the error names the tensor and both shapes.
    public func load(stateDict given: [String: (shape: [Int], values: [Float])], source: String) throws {
        let mine = stateDict
        let names = Set(mine.map(\.0))
        for (name, tensor) in mine {
            guard let v = given[name] else {
                throw WeightsError(file: source, problem: "tensor '\(name)' is missing (the model \(metadata["arch"] ?? "") needs it)")
            }
            // PyTorch saves num_batches_tracked as a 0-d tensor; accept [1] too.
            let shapeOK = v.shape == tensor.shape || (tensor.shape.isEmpty && v.values.count == 1)
            guard shapeOK else {
                throw WeightsError(file: source, problem: "tensor '\(name)' has shape \(v.shape) in the file, the model expects \(tensor.shape)")
            }
        }
        if let extra = given.keys.filter({ !names.contains($0) }).sorted().first {
            throw WeightsError(file: source, problem: "unexpected tensor '\(extra)' (not part of \(metadata["arch"] ?? "the model"))")
        }
        for (name, tensor) in mine { tensor.data = given[name]!.values }
    }
}
