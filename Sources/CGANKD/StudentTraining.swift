import DAFLEngine
import Foundation

/// The student's side of cGAN-KD: supervised training on real (+ processed fake) images, with
/// cross-entropy alone ("cGAN-KD only", or NOKD on real images alone) or mixed with the teacher's
/// soft labels: γ·CE + α·T²·KL(softmax(t/T) ‖ softmax(s/T)), Hinton's KD; the reference's BLKD is
/// γ = 0.1, α = 0.9, T = 4. Adam with a cosine-decayed rate, as `dafl teacher`.
/// ```swift
/// let accuracies = StudentTraining.run(student, on: real.appending(fake), teacher: nil, settings: .init(), test: test, rng: &rng)
/// ```
public enum StudentTraining {
    public struct Settings: Codable, Equatable, Sendable {
        public var epochs = 20
        public var batch = 128
        public var lr: Float = 3e-3
        /// Weight α of the KL term to the teacher (0: cross-entropy only).
        public var kdWeight: Float = 0
        /// Weight γ of the cross-entropy term.
        public var ceWeight: Float = 1
        /// Softmax temperature T of the KL term (scaled by T², so gradients keep their size).
        public var temperature: Float = 1
        public init() {}
    }

    /// γ·CE(logits, targets) + α·T²·KL(softmax(teacher/T) ‖ softmax(logits/T)); the KL term only with teacher logits.
    public static func loss(_ logits: Tensor, targets: [Int], teacher: Tensor?, settings s: Settings) -> Tensor {
        let ce = Tensor.crossEntropy(logits, targets: targets) * s.ceWeight
        guard let teacher, s.kdWeight > 0 else { return ce }
        let t = s.temperature
        return ce + Tensor.distillationKL(student: logits * (1 / t), teacher: teacher * (1 / t)) * (s.kdWeight * t * t)
    }

    /// Trains `student` and returns its test accuracy (0…1) after each epoch (`onEpoch` also gets the test predictions). `proceed` is asked before
    /// every batch (it may block while the run is paused); false ends training early.
    public static func run(_ student: LeNet5, on data: Dataset, teacher: LeNet5?, settings s: Settings, test: Dataset,
                           rng: inout RNG, proceed: () -> Bool = { true },
                           onEpoch: (_ epoch: Int, _ loss: Float, _ accuracy: Double, _ predictions: [Int]) -> Void = { _, _, _, _ in }) -> [Double] {
        let opt = Adam(student.parameters, lr: s.lr)
        let perEpoch = (data.count + s.batch - 1) / s.batch, total = perEpoch * s.epochs
        var accuracies: [Double] = []
        teacher?.setTraining(false)
        for epoch in 1...s.epochs {
            student.setTraining(true)
            var sum: Double = 0
            let batches = data.batches(size: s.batch, rng: &rng)
            for (i, idx) in batches.enumerated() {
                guard proceed() else { return accuracies }
                let t = Double((epoch - 1) * perEpoch + i)
                opt.learningRate = s.lr * Float(0.5 * (1 + cos(Double.pi * t / Double(total))))
                let (x, y) = data.batch(idx)
                let logits = student(x)
                let target = teacher.flatMap { t in s.kdWeight > 0 ? GradMode.noGrad { t(x) } : nil }
                let loss = Self.loss(logits, targets: y, teacher: target, settings: s)
                opt.zeroGrad()
                loss.backward()
                opt.step()
                sum += Double(loss.item)
            }
            let (predictions, acc) = Classification.predictions(student, on: test)
            accuracies.append(acc)
            onEpoch(epoch, Float(sum / Double(Swift.max(batches.count, 1))), acc, predictions)
        }
        return accuracies
    }
}
