/// LeNet-5 as in the DAFL reference, for 1×32×32 inputs: the teacher (61,706 parameters),
/// or at half width the student (15,738).
///
/// `forwardWithFeatures` also returns the 120-d (60-d) feature after conv3's ReLU, which the
/// DAFL activation loss reads.
/// ```swift
/// var rng = RNG(seed: 0)
/// let teacher = LeNet5(.full, rng: &rng)
/// let (logits, features) = teacher.forwardWithFeatures(images)   // [N, 10], [N, 120]
/// ```
public final class LeNet5: Model {
    public enum Width: String, Sendable, CaseIterable {
        case full = "lenet5", half = "lenet5-half"
        var channels: (Int, Int, Int, Int) { self == .full ? (6, 16, 120, 84) : (3, 8, 60, 42) }
    }

    public let width: Width
    public let classes: Int
    public let conv1, conv2, conv3: Conv2d
    public let fc1, fc2: Linear
    /// Constant multipliers of the hidden units' outputs after their ReLU, one list per layer (conv1,
    /// conv2, conv3, fc1); nil: all 1. A gradually pruned student fades its dropped units out with them.
    public var unitScales: [[Float]]? = nil {
        didSet { precondition(unitScales.map { zip($0, hiddenWidths).allSatisfy { $0.count == $1 } && $0.count == 4 } ?? true) }
    }
    /// Units of conv1, conv2, conv3 and fc1.
    public var hiddenWidths: [Int] { [conv1.weight, conv2.weight, conv3.weight, fc1.weight].map { $0.shape[0] } }

    public init(_ width: Width, classes: Int = 10, inChannels: Int = 1, rng: inout RNG) {
        let (c1, c2, c3, f1) = width.channels
        self.width = width
        self.classes = classes
        conv1 = Conv2d(inChannels, c1, kernel: 5, rng: &rng)
        conv2 = Conv2d(c1, c2, kernel: 5, rng: &rng)
        conv3 = Conv2d(c2, c3, kernel: 5, rng: &rng)
        fc1 = Linear(c3, f1, rng: &rng)
        fc2 = Linear(f1, classes, rng: &rng)
    }

    public var layers: [(String, Layer)] {
        [("conv1", conv1), ("conv2", conv2), ("conv3", conv3), ("fc1", fc1), ("fc2", fc2)]
    }

    public var metadata: [String: String] {
        ["arch": width.rawValue, "num_classes": String(classes), "in_channels": String(conv1.weight.shape[1])]
    }

    /// Logits [N, classes] and the feature after conv3's ReLU [N, 120 or 60].
    public func forwardWithFeatures(_ x: Tensor) -> (logits: Tensor, features: Tensor) {
        // Scaling by s ≥ 0 commutes with max pooling; it comes after the ReLU as in the PyTorch screen.
        func scaled(_ h: Tensor, _ layer: Int) -> Tensor { unitScales.map { h.scalingUnits(by: $0[layer]) } ?? h }
        var h = scaled(conv1(x).relu(), 0).maxPool2d(2)
        h = scaled(conv2(h).relu(), 1).maxPool2d(2)
        let features = scaled(conv3(h).relu(), 2).flattened()
        let logits = fc2(scaled(fc1(features).relu(), 3))
        return (logits, features)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forwardWithFeatures(x).logits }
}
