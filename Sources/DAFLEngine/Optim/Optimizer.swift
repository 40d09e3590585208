/// Updates parameters from their gradients. The learning rate may change between steps.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    var parameters: [Tensor] { get }
    /// One update from the current gradients; parameters without a gradient are skipped (as PyTorch).
    func step()
    /// Named state tensors for checkpoints, and their restoration.
    func stateTensors() -> [(String, [Float])]
    func loadState(_ state: [String: [Float]]) throws
}

extension Optimizer {
    public func zeroGrad() { for p in parameters { p.grad = nil } }
}
