/// Supervised training and evaluation of a classifier on a labelled dataset (the teacher's recipe).
public enum Classification {
    /// Accuracy (0…1) of `model` on `data`, in evaluation mode and without gradients.
    public static func accuracy(_ model: any Classifier, on data: Dataset, batchSize: Int = 1000) -> Double {
        predictions(model, on: data, batchSize: batchSize).accuracy
    }

    /// Predicted classes for every image and the accuracy against the labels.
    public static func predictions(_ model: any Classifier, on data: Dataset, batchSize: Int = 1000) -> (classes: [Int], accuracy: Double) {
        model.setTraining(false)
        var rng = RNG(seed: 0)
        var preds: [Int] = []
        preds.reserveCapacity(data.count)
        var correct = 0
        GradMode.noGrad {
            for idx in data.batches(size: batchSize, rng: &rng, shuffle: false) {
                let (x, y) = data.batch(idx)
                let p = model(x).argmaxRows()
                preds += p
                correct += zip(p, y).filter { $0 == $1 }.count
            }
        }
        return (preds, data.count == 0 ? 0 : Double(correct) / Double(data.count))
    }

    /// One epoch of cross-entropy training over shuffled mini-batches, each changed by `augment` if given
    /// (CIFAR's crop and flip). `onBatch(done, total, loss)` is called after each batch (for progress display).
    @discardableResult
    public static func trainEpoch(_ model: any Classifier, optimizer: Optimizer, data: Dataset, batchSize: Int,
                                  rng: inout RNG, augment: ((Tensor, inout RNG) -> Tensor)? = nil,
                                  onBatch: (Int, Int, Float) -> Void = { _, _, _ in }) -> Float {
        model.setTraining(true)
        let batches = data.batches(size: batchSize, rng: &rng)
        var total: Double = 0
        for (i, idx) in batches.enumerated() {
            var (x, y) = data.batch(idx)
            if let augment { x = augment(x, &rng) }
            let loss = Tensor.crossEntropy(model(x), targets: y)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            total += Double(loss.item)
            onBatch(i + 1, batches.count, loss.item)
        }
        return Float(total / Double(Swift.max(batches.count, 1)))
    }
}
