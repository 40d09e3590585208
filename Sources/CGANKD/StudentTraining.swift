import DAFLEngine
import Foundation

/// The student's side of cGAN-KD: supervised training on real (+ processed fake) images, with
/// cross-entropy alone ("cGAN-KD only", or NOKD on real images alone) or plus the teacher's soft
/// labels (KL to the teacher's softmax, as BLKD). Adam with a cosine-decayed rate, as `dafl teacher`.
/// ```swift
/// let acc = StudentTraining.run(student, on: real.appending(fake), teacher: nil, epochs: 20, test: test, rng: &rng)
/// ```
public enum StudentTraining {
    public struct Settings: Sendable {
        public var epochs = 20
        public var batch = 128
        public var lr: Float = 3e-3
        /// Weight of the KL term to the teacher (0: cross-entropy only).
        public var kdWeight: Float = 0
        public init() {}
    }

    /// Trains `student` and returns its test accuracy (0…1) after each epoch.
    public static func run(_ student: LeNet5, on data: Dataset, teacher: LeNet5?, settings s: Settings, test: Dataset,
                           rng: inout RNG, onEpoch: (Int, Float, Double) -> Void = { _, _, _ in }) -> [Double] {
        let opt = Adam(student.parameters, lr: s.lr)
        let perEpoch = (data.count + s.batch - 1) / s.batch, total = perEpoch * s.epochs
        var accuracies: [Double] = []
        teacher?.setTraining(false)
        for epoch in 1...s.epochs {
            student.setTraining(true)
            var sum: Double = 0
            let batches = data.batches(size: s.batch, rng: &rng)
            for (i, idx) in batches.enumerated() {
                let t = Double((epoch - 1) * perEpoch + i)
                opt.learningRate = s.lr * Float(0.5 * (1 + cos(Double.pi * t / Double(total))))
                let (x, y) = data.batch(idx)
                let logits = student(x)
                var loss = Tensor.crossEntropy(logits, targets: y)
                if let teacher, s.kdWeight > 0 {
                    let target = GradMode.noGrad { teacher(x) }
                    loss = loss + Tensor.distillationKL(student: logits, teacher: target) * s.kdWeight
                }
                opt.zeroGrad()
                loss.backward()
                opt.step()
                sum += Double(loss.item)
            }
            let acc = Classification.accuracy(student, on: test)
            accuracies.append(acc)
            onEpoch(epoch, Float(sum / Double(Swift.max(batches.count, 1))), acc)
        }
        return accuracies
    }
}
