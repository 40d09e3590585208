import Testing
@testable import DAFLEngine

/// Every op's backward against central finite differences on small shapes.
@Suite struct FiniteDifferenceTests {
    @Test func linear() {
        gradCheck([randn([4, 5], seed: 1), randn([3, 5], seed: 2), randn([3], seed: 3)]) {
            .linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    @Test(arguments: [(1, 0, 3), (2, 1, 3), (1, 1, 3), (1, 0, 5), (2, 0, 2)])
    func conv2d(stride: Int, padding: Int, kernel: Int) {
        gradCheck([randn([2, 3, 7, 7], seed: 4), randn([4, 3, kernel, kernel], seed: 5, scale: 0.5), randn([4], seed: 6)]) {
            .conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding)
        }
    }

    @Test func conv2dWithoutBias() {
        gradCheck([randn([1, 2, 5, 5], seed: 7), randn([3, 2, 3, 3], seed: 8)]) {
            .conv2d($0[0], weight: $0[1], bias: nil, padding: 1)
        }
    }

    @Test(arguments: [(true, true, Float(1e-5)), (true, true, 0.8), (true, false, 1e-5), (false, true, 1e-5)])
    func batchNorm2d(training: Bool, affine: Bool, eps: Float) {
        let c = 3
        var inputs = [randn([4, c, 3, 3], seed: 9, scale: 2) + 0.5]
        if affine { inputs += [randn([c], seed: 10) + 1, randn([c], seed: 11)] }
        let rv = Tensor(shape: [c], data: [0.5, 1.5, 2])
        gradCheck(inputs) {
            .batchNorm($0[0], gamma: affine ? $0[1] : nil, beta: affine ? $0[2] : nil,
                       runningMean: Tensor(shape: [c], data: [0.1, -0.2, 0.3]), runningVar: rv,
                       training: training, momentum: 0.1, eps: eps)
        }
    }

    /// relu(bn(x) + residual) fused, in training and evaluation mode, with and without the residual.
    @Test(arguments: [(true, true), (true, false), (false, true)])
    func batchNormAddRelu(training: Bool, residual: Bool) {
        let c = 3
        // Away from the ReLU's kink: shift x so few pre-activations sit near 0.
        var inputs = [randn([4, c, 3, 3], seed: 70, scale: 2) + 0.5, randn([c], seed: 71) + 1, randn([c], seed: 72)]
        if residual { inputs.append(randn([4, c, 3, 3], seed: 73)) }
        let rv = Tensor(shape: [c], data: [0.5, 1.5, 2])
        gradCheck(inputs, h: 1e-3) {
            .batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: Tensor(shape: [c], data: [0.1, -0.2, 0.3]), runningVar: rv,
                       training: training, momentum: 0.1, eps: 1e-5, adding: residual ? $0[3] : nil, relu: true)
        }
    }

    /// NaN passes through the fused ReLU, as through `relu()`, so a diverging run shows NaN losses.
    @Test func fusedReluKeepsNaN() {
        let x = Tensor(shape: [2, 1, 1, 2], data: [1, .nan, -1, 2])
        let y = Tensor.batchNorm(x, gamma: nil, beta: nil, runningMean: Tensor(zeros: [1]),
                                 runningVar: Tensor(shape: [1], data: [1]), training: false, momentum: 0.1, eps: 0, relu: true)
        #expect(y.data[0] == 1 && y.data[1].isNaN && y.data[2] == 0 && y.data[3] == 2)
    }

    @Test func batchNorm1d() {
        gradCheck([randn([6, 4], seed: 12), randn([4], seed: 13), randn([4], seed: 14)]) {
            .batchNorm($0[0], gamma: $0[1], beta: $0[2], runningMean: Tensor(zeros: [4]),
                       runningVar: Tensor(shape: [4], data: [1, 1, 1, 1]), training: true, momentum: 0.1, eps: 1e-5)
        }
    }

    /// Shifts past the image size wrap round, with and without the mirror.
    @Test func jitter() {
        gradCheck([randn([2, 2, 5, 4], seed: 41)]) { $0[0].jittered(dy: -7, dx: 1, mirrored: false).tanh() }
        gradCheck([randn([1, 3, 4, 6], seed: 42)]) { $0[0].jittered(dy: 2, dx: 9, mirrored: true).tanh() }
    }

    @Test func projectPlanes() {
        gradCheck([randn([2, 1, 6, 6], seed: 43)]) { $0[0].projectingPlanes(UpsampledImages(from: 4, to: 6)).tanh() }
    }

    /// Logit standardisation: each row's mean off, over its unbiased std; a constant row stays 0.
    @Test func standardizedRows() {
        gradCheck([randn([4, 10], seed: 43, scale: 3)]) { $0[0].standardizedRows().tanh() }
        gradCheck([randn([3, 2], seed: 44)]) { $0[0].standardizedRows().tanh() }
        let z = Tensor(shape: [2, 3], data: [1, 2, 6, 5, 5, 5]).standardizedRows()
        #expect(abs(z.data[0] + 0.7559) < 1e-4 && abs(z.data[2] - 1.1339) < 1e-4 && z.data[3...].allSatisfy { $0 == 0 })
    }

    @Test func transposed() {
        gradCheck([randn([3, 5], seed: 45)]) { $0[0].transposed().tanh() * Tensor(shape: [5, 3], data: (0..<15).map { Float($0) / 7 }) }
        #expect(Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]).transposed().data == [1, 4, 2, 5, 3, 6])
    }

    @Test func activations() {
        // Keep away from the kinks of relu/abs, where finite differences are undefined.
        let x = randn([3, 4, 5], seed: 15).map({ $0 + ($0 >= 0 ? 0.1 : -0.1) }, derivative: { _, _ in 1 }).detached()
        gradCheck([x]) { $0[0].relu() }
        gradCheck([x]) { $0[0].leakyRelu(slope: 0.2) }
        gradCheck([x]) { $0[0].tanh() }
        gradCheck([x]) { $0[0].abs() }
        gradCheck([x]) { -$0[0] * 3 + 1 }
    }

    @Test func logarithms() {
        let x = Tensor(shape: [3, 4], data: (0..<12).map { 0.5 + Float($0) * 0.3 })
        gradCheck([x]) { $0[0].log() }
        gradCheck([x]) { $0[0].log10() }
    }

    @Test func binaryOps() {
        let a = randn([3, 4], seed: 16), b = randn([3, 4], seed: 17), s = Tensor(scalar: 1.7)
        gradCheck([a, b]) { $0[0] + $0[1] }
        gradCheck([a, b]) { $0[0] - $0[1] }
        gradCheck([a, b]) { $0[0] * $0[1] }
        gradCheck([a, s]) { $0[0] * $0[1] }
        gradCheck([a, s]) { $0[0] - $0[1] }
    }

    @Test func poolingAndUpsampling() {
        // A permutation: no ties for max-pool to break.
        var rng = RNG(seed: 18)
        let x = Tensor(shape: [2, 3, 6, 6], data: rng.permutation(216).map { Float($0) * 0.05 })
        gradCheck([x]) { $0[0].maxPool2d(2) }
        gradCheck([randn([2, 3, 3, 4], seed: 19)]) { $0[0].upsampleNearest2x() }
        gradCheck([randn([2, 3, 4, 4], seed: 23)]) { $0[0].meanOverSpace() }
    }

    @Test func reductionsAndShapes() {
        let x = randn([5, 7], seed: 20)
        gradCheck([x]) { $0[0].sum() }
        gradCheck([x]) { $0[0].mean() }
        gradCheck([x]) { $0[0].meanOverBatch() }
        gradCheck([x]) { $0[0].reshaped([7, 5]) * 2 }
        gradCheck([randn([2, 3, 2, 2], seed: 21)]) { $0[0].flattened() }
    }

    @Test func softmaxes() {
        let x = randn([4, 10], seed: 22, scale: 2)
        gradCheck([x]) { $0[0].softmax() }
        gradCheck([x]) { $0[0].logSoftmax() }
    }
}

@Suite struct UpsampleConvTests {
    @Test func matchesUpsampleThenConv() {
        let x = randn([2, 3, 4, 5], seed: 40), w = randn([4, 3, 3, 3], seed: 41), b = randn([4], seed: 42)
        let fused = [x, w, b].map { $0.detached() }, plain = [x, w, b].map { $0.detached() }
        for t in fused + plain { t.requiresGrad = true }
        let y1 = Tensor.upsampleConv3x3(fused[0], weight: fused[1], bias: fused[2])
        let y2 = Tensor.conv2d(plain[0].upsampleNearest2x(), weight: plain[1], bias: plain[2], padding: 1)
        #expect(y1.shape == y2.shape)
        expectClose(y1.data, y2.data, "forward")
        let r = randn(y1.shape, seed: 43)
        (y1 * r).sum().backward()
        (y2 * r).sum().backward()
        for (i, name) in ["dx", "dw", "db"].enumerated() { expectClose(fused[i].grad ?? [], plain[i].grad ?? [], name) }
    }

    @Test func finiteDifferences() {
        gradCheck([randn([2, 2, 3, 3], seed: 44), randn([3, 2, 3, 3], seed: 45, scale: 0.5), randn([3], seed: 46)]) {
            .upsampleConv3x3($0[0], weight: $0[1], bias: $0[2])
        }
    }
}

/// The direct convolution path (one input or one output channel, stride 1), with padding.
@Suite struct DirectConvTests {
    @Test func oneOutputChannelWithPadding() {
        let g = ConvGeometry(n: 2, c: 3, h: 9, w: 9, f: 1, kh: 3, kw: 3, stride: 1, pad: 1, ho: 9, wo: 9)
        #expect(DirectConv.suits(g))
        gradCheck([randn([2, 3, 9, 9], seed: 50), randn([1, 3, 3, 3], seed: 51, scale: 0.5), randn([1], seed: 52)]) {
            .conv2d($0[0], weight: $0[1], bias: $0[2], padding: 1)
        }
    }

    @Test func oneInputChannelWidePadding() {
        let g = ConvGeometry(n: 2, c: 1, h: 8, w: 10, f: 2, kh: 5, kw: 5, stride: 1, pad: 2, ho: 8, wo: 10)
        #expect(DirectConv.suits(g))
        gradCheck([randn([2, 1, 8, 10], seed: 53), randn([2, 1, 5, 5], seed: 54, scale: 0.5), randn([2], seed: 55)]) {
            .conv2d($0[0], weight: $0[1], bias: $0[2], padding: 2)
        }
    }
}
