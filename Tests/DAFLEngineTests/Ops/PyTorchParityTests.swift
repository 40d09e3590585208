import Testing
@testable import DAFLEngine

/// Forward and backward of every op against PyTorch (float64 references, relative error ≤ 1e-4).
@Suite struct PyTorchParityTests {
    /// Runs y = op(x…), then backward with the fixture's `gout`, and compares y and the named gradients.
    func check(_ name: String, inputs: [String], grads: [String], _ op: ([Tensor]) -> Tensor) throws {
        let f = try Fixture(name)
        let xs = inputs.map { f.tensor($0, grad: true) }
        let y = op(xs)
        expectClose(y.data, f.values("y"), "\(name) forward")
        y.backward(seed: f.file.tensors["gout"].map(\.values) ?? [1])
        for (x, g) in zip(xs, grads) { expectClose(x.grad ?? [], f.values(g), "\(name) \(g)") }
    }

    @Test func linear() throws {
        try check("linear", inputs: ["x", "w", "b"], grads: ["dx", "dw", "db"]) { .linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    /// Every fixture through both algorithms (`.winograd` falls back to `.gemm` where it does not suit;
    /// the `_c16` fixtures have the channels it needs).
    @Test(arguments: ["conv2d_k3s1p0", "conv2d_k3s2p1", "conv2d_k5", "conv2d_k3s1p1", "conv2d_k3s1p1_c16", "conv2d_k3s1p0_c16"],
          ConvAlgorithm.allCases)
    func conv2d(_ name: String, algorithm: ConvAlgorithm) throws {
        let f = try Fixture(name)
        let stride = Int(f.meta("stride"))!, pad = Int(f.meta("padding"))!
        try check(name, inputs: ["x", "w", "b"], grads: ["dx", "dw", "db"]) {
            .conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: pad, algorithm: algorithm)
        }
    }

    @Test(arguments: ["batchnorm2d_train", "batchnorm2d_train_eps08", "batchnorm2d_noaffine", "batchnorm2d_eval", "batchnorm1d_train"])
    func batchNorm(_ name: String) throws {
        let f = try Fixture(name)
        let affine = f.meta("affine") == "1", training = f.meta("training") == "1"
        let c = f.shape("x")[1]
        let rm = f.file.tensors["running_mean_in"] != nil ? f.tensor("running_mean_in") : Tensor(zeros: [c])
        let rv = f.file.tensors["running_var_in"] != nil ? f.tensor("running_var_in")
            : Tensor(shape: [c], data: [Float](repeating: 1, count: c))
        try check(name, inputs: affine ? ["x", "gamma", "beta"] : ["x"],
                  grads: affine ? ["dx", "dgamma", "dbeta"] : ["dx"]) {
            .batchNorm($0[0], gamma: affine ? $0[1] : nil, beta: affine ? $0[2] : nil, runningMean: rm, runningVar: rv,
                       training: training, momentum: f.float("momentum"), eps: f.float("eps"))
        }
        expectClose(rm.data, f.values("running_mean"), "\(name) running_mean")
        expectClose(rv.data, f.values("running_var"), "\(name) running_var")
    }

    /// The fused tail of a ResNet block, relu(bn(x) + residual), and relu(bn(x)).
    @Test(arguments: ["batchnorm2d_add_relu", "batchnorm2d_relu"])
    func batchNormFused(_ name: String) throws {
        let f = try Fixture(name)
        let withResidual = f.file.tensors["residual"] != nil
        let c = f.shape("x")[1]
        let rm = Tensor(zeros: [c]), rv = Tensor(shape: [c], data: [Float](repeating: 1, count: c))
        try check(name, inputs: ["x", "gamma", "beta"] + (withResidual ? ["residual"] : []),
                  grads: ["dx", "dgamma", "dbeta"] + (withResidual ? ["dresidual"] : [])) {
            .batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: rm, runningVar: rv, training: true,
                       momentum: f.float("momentum"), eps: f.float("eps"), adding: withResidual ? $0[3] : nil, relu: true)
        }
        expectClose(rm.data, f.values("running_mean"), "\(name) running_mean")
        expectClose(rv.data, f.values("running_var"), "\(name) running_var")
    }

    @Test func elementwise() throws {
        try check("relu", inputs: ["x"], grads: ["dx"]) { $0[0].relu() }
        try check("leaky_relu", inputs: ["x"], grads: ["dx"]) { $0[0].leakyRelu(slope: 0.2) }
        try check("tanh", inputs: ["x"], grads: ["dx"]) { $0[0].tanh() }
        try check("abs", inputs: ["x"], grads: ["dx"]) { $0[0].abs() }
        try check("log", inputs: ["x"], grads: ["dx"]) { $0[0].log() }
        try check("log10", inputs: ["x"], grads: ["dx"]) { $0[0].log10() }
    }

    @Test func shapes() throws {
        try check("upsample2x", inputs: ["x"], grads: ["dx"]) { $0[0].upsampleNearest2x() }
        try check("maxpool2d", inputs: ["x"], grads: ["dx"]) { $0[0].maxPool2d(2) }
        try check("softmax", inputs: ["x"], grads: ["dx"]) { $0[0].softmax() }
        try check("log_softmax", inputs: ["x"], grads: ["dx"]) { $0[0].logSoftmax() }
        try check("mean_dim0", inputs: ["x"], grads: ["dx"]) { $0[0].meanOverBatch() }
        try check("sum", inputs: ["x"], grads: ["dx"]) { $0[0].sum() }
        try check("mean", inputs: ["x"], grads: ["dx"]) { $0[0].mean() }
        try check("jitter", inputs: ["x"], grads: ["dx"]) { $0[0].jittered(dy: 1, dx: -2, mirrored: true) }
        try check("project_planes", inputs: ["x"], grads: ["dx"]) { $0[0].projectingPlanes(UpsampledImages(from: 28, to: 32)) }
        try check("standardize_rows", inputs: ["x"], grads: ["dx"]) { $0[0].standardizedRows() }
        try check("transpose", inputs: ["x"], grads: ["dx"]) { $0[0].transposed() }
    }

    @Test func crossEntropy() throws {
        let f = try Fixture("cross_entropy")
        let targets = f.values("t").map { Int($0) }
        try check("cross_entropy", inputs: ["x"], grads: ["dx"]) { .crossEntropy($0[0], targets: targets) }
    }
}
