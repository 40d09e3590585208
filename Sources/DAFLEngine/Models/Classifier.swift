/// An image classifier that DAFL can use as teacher or student: logits and the feature before the
/// classifier (what the activation loss reads). LeNet-5 for the grey sets, the CIFAR ResNets.
/// ```swift
/// let teacher: any Classifier = try ModelFile.loadResNet(url).model
/// let (logits, features) = teacher.forwardWithFeatures(images)
/// ```
public protocol Classifier: Model {
    var classes: Int { get }
    /// Image channels it takes (1 grey, 3 colour).
    var inChannels: Int { get }
    func forwardWithFeatures(_ x: Tensor) -> (logits: Tensor, features: Tensor)
    /// The logits.
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension LeNet5: Classifier {
    public var inChannels: Int { conv1.weight.shape[1] }
}

extension ResNet: Classifier {
    public var inChannels: Int { conv1.weight.shape[1] }
}
