/// Training and measuring a scalar regressor (a classifier network with one output) on a regression
/// task, the labels normalised to [0, 1]: the teacher (and students) of cGAN-KD's regression setting.
/// ```swift
/// let net = LeNet5(.full, classes: 1, rng: &rng)
/// Regression.trainEpoch(net, optimizer: Adam(net.parameters, lr: 1e-3), task: train, batchSize: 256, loss: .l1, rng: &rng)
/// let mae = Regression.meanAbsoluteError(net, on: test)    // in the task's units (degrees)
/// ```
public enum Regression {
    public enum Loss: String, Sendable, CaseIterable { case l1, mse }

    /// One epoch over shuffled mini-batches; returns the mean loss (on normalised labels).
    @discardableResult
    /// `proceed` is asked before every batch (it may block while a run is paused); false ends the epoch early.
    public static func trainEpoch(_ model: any Classifier, optimizer: Optimizer, task: RegressionSet, batchSize: Int, loss: Loss,
                                  rng: inout RNG, proceed: () -> Bool = { true }, onBatch: (Int, Int, Float) -> Void = { _, _, _ in }) -> Float {
        model.setTraining(true)
        let order = rng.permutation(task.count)
        let starts = Array(stride(from: 0, to: task.count, by: batchSize))
        var total: Double = 0
        for (i, s) in starts.enumerated() {
            guard proceed() else { break }
            let (x, y) = task.batch(order[s..<Swift.min(s + batchSize, task.count)])
            let l = loss == .l1 ? Tensor.l1Loss(model(x), targets: y) : Tensor.mseLoss(model(x), targets: y)
            optimizer.zeroGrad()
            l.backward()
            optimizer.step()
            total += Double(l.item)
            onBatch(i + 1, starts.count, l.item)
        }
        return Float(total / Double(Swift.max(starts.count, 1)))
    }

    /// Mean absolute error in the task's units (the predictions mapped back from [0, 1]).
    public static func meanAbsoluteError(_ model: any Classifier, on task: RegressionSet, batchSize: Int = 1000) -> Double {
        model.setTraining(false)
        defer { model.setTraining(true) }
        var sum: Double = 0
        GradMode.noGrad {
            for s in stride(from: 0, to: task.count, by: batchSize) {
                let idx = Array(s..<Swift.min(s + batchSize, task.count))
                let (x, _) = task.batch(idx[...])
                let p = model(x).data
                for (j, i) in idx.enumerated() { sum += Double(Swift.abs(task.value(p[j]) - task.targets[i])) }
            }
        }
        return sum / Double(Swift.max(task.count, 1))
    }
}
