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
        var h = conv1(x).relu().maxPool2d(2)
        h = conv2(h).relu().maxPool2d(2)
        let features = conv3(h).relu().flattened()
        let logits = fc2(fc1(features).relu())
        return (logits, features)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forwardWithFeatures(x).logits }
}
