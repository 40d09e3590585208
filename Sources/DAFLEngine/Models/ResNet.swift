/// The CIFAR ResNets of the DAFL reference (kuangliu style): a 3×3 stem without max-pool, four
/// stages of basic blocks at widths w, 2w, 4w, 8w (strides 1, 2, 2, 2), the mean over the final 4×4
/// maps as the feature (512-d at w = 64), and a linear classifier. [2,2,2,2] blocks make ResNet-18,
/// [3,4,6,3] ResNet-34. Names are PyTorch's (`layer2.0.shortcut.1.running_mean`, `linear.weight`), so
/// a `state_dict` saved there loads here.
/// ```swift
/// var rng = RNG(seed: 0)
/// let teacher = ResNet(.resnet34, rng: &rng)
/// let (logits, features) = teacher.forwardWithFeatures(images)   // [N, 3, 32, 32] → [N, 10], [N, 512]
/// ```
public final class ResNet: Model {
    public enum Depth: String, Sendable, CaseIterable {
        case resnet18, resnet34
        public var blocks: [Int] { self == .resnet18 ? [2, 2, 2, 2] : [3, 4, 6, 3] }
    }

    /// 3×3 conv (stride s) → BN → ReLU → 3×3 conv → BN, plus the shortcut (identity, or a 1×1 conv
    /// of stride s → BN when the shape changes), then ReLU.
    public final class BasicBlock {
        public let conv1, conv2: Conv2d
        public let bn1, bn2: BatchNorm
        public let shortcut: (conv: Conv2d, bn: BatchNorm)?

        init(_ inPlanes: Int, _ planes: Int, stride: Int, rng: inout RNG) {
            conv1 = Conv2d(inPlanes, planes, kernel: 3, stride: stride, padding: 1, bias: false, rng: &rng)
            bn1 = BatchNorm(planes)
            conv2 = Conv2d(planes, planes, kernel: 3, padding: 1, bias: false, rng: &rng)
            // 3×3 at stride 1 with 64+ channels: Winograd does 2.25× fewer multiply-adds.
            conv2.algorithm = .winograd
            if stride == 1 { conv1.algorithm = .winograd }
            bn2 = BatchNorm(planes)
            shortcut = stride != 1 || inPlanes != planes
                ? (Conv2d(inPlanes, planes, kernel: 1, stride: stride, bias: false, rng: &rng), BatchNorm(planes)) : nil
        }

        func layers(_ prefix: String) -> [(String, Layer)] {
            [("\(prefix).conv1", conv1), ("\(prefix).bn1", bn1), ("\(prefix).conv2", conv2), ("\(prefix).bn2", bn2)]
                + (shortcut.map { [("\(prefix).shortcut.0", $0.conv), ("\(prefix).shortcut.1", $0.bn)] } ?? [])
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            // relu(bn1(conv1 x)), then relu(bn2(conv2 ·) + shortcut): fused batch-norm nodes keep only
            // what the backward needs (PyTorch's peak memory, not twice it).
            let h = bn1(conv1(x), adding: nil, relu: true)
            return bn2(conv2(h), adding: shortcut.map { $0.bn($0.conv(x)) } ?? x, relu: true)
        }
    }

    public let depth: Depth
    public let classes: Int
    public let width: Int
    public let conv1: Conv2d
    public let bn1: BatchNorm
    /// `layer1` … `layer4`.
    public let stages: [[BasicBlock]]
    public let linear: Linear

    public init(_ depth: Depth, classes: Int = 10, width: Int = 64, inChannels: Int = 3, rng: inout RNG) {
        (self.depth, self.classes, self.width) = (depth, classes, width)
        conv1 = Conv2d(inChannels, width, kernel: 3, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm(width)
        var inPlanes = width
        var stages: [[BasicBlock]] = []
        for (i, n) in depth.blocks.enumerated() {
            let planes = width << i
            stages.append((0..<n).map { j in
                defer { inPlanes = planes }
                return BasicBlock(inPlanes, planes, stride: i > 0 && j == 0 ? 2 : 1, rng: &rng)
            })
        }
        self.stages = stages
        linear = Linear(8 * width, classes, rng: &rng)
    }

    public var layers: [(String, Layer)] {
        [("conv1", conv1), ("bn1", bn1)]
            + stages.enumerated().flatMap { i, blocks in blocks.enumerated().flatMap { j, b in b.layers("layer\(i + 1).\(j)") } }
            + [("linear", linear)]
    }

    public var metadata: [String: String] {
        ["arch": depth.rawValue, "num_classes": String(classes), "width": String(width), "in_channels": String(conv1.weight.shape[1])]
    }

    /// Logits [N, classes] and the pooled feature [N, 8·width] (what the DAFL activation loss reads).
    public func forwardWithFeatures(_ x: Tensor) -> (logits: Tensor, features: Tensor) {
        var h = bn1(conv1(x), adding: nil, relu: true)
        for blocks in stages { for b in blocks { h = b(h) } }
        // The reference pools with avg_pool2d(out, 4): the mean over the maps only for 32×32 inputs.
        precondition(h.shape[2] == 4 && h.shape[3] == 4, "ResNet takes 32×32 inputs, got \(x.shape)")
        let features = h.meanOverSpace()
        return (linear(features), features)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forwardWithFeatures(x).logits }
}
