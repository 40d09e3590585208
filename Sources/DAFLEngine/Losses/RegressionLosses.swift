// Losses for scalar regression (cGAN-KD's regression setting: angles, ages), on normalised labels.

extension Tensor {
    /// Mean absolute error of predictions [N, 1] (or [N]) against N targets (PyTorch's `F.l1_loss`;
    /// the derivative of |x| at 0 is 0, as there).
    /// ```swift
    /// let loss = Tensor.l1Loss(model(x), targets: y)    // y: [Float], labels normalised to [0, 1]
    /// ```
    public static func l1Loss(_ prediction: Tensor, targets: [Float]) -> Tensor {
        precondition(prediction.count == targets.count, "l1Loss: prediction \(prediction.shape) vs \(targets.count) targets")
        return (prediction.reshaped([targets.count]) - Tensor(shape: [targets.count], data: targets)).abs().mean()
    }

    /// Mean squared error of predictions [N, 1] (or [N]) against N targets (PyTorch's `F.mse_loss`).
    public static func mseLoss(_ prediction: Tensor, targets: [Float]) -> Tensor {
        precondition(prediction.count == targets.count, "mseLoss: prediction \(prediction.shape) vs \(targets.count) targets")
        let d = prediction.reshaped([targets.count]) - Tensor(shape: [targets.count], data: targets)
        return (d * d).mean()
    }
}
