import Testing
@testable import DAFLEngine

/// Winograd F(2×2, 3×3): finite differences, agreement with the GEMM path on shapes the PyTorch
/// fixtures do not cover (padding 2, partial tiles, several chunks), and which geometries it takes.
@Suite struct WinogradTests {
    @Test func takesOnlyThreeByThreeStrideOneWithChannels() {
        func geometry(c: Int, f: Int, k: Int = 3, stride: Int = 1) -> ConvGeometry {
            ConvGeometry(n: 1, c: c, h: 8, w: 8, f: f, kh: k, kw: k, stride: stride, pad: 1, ho: 8, wo: 8)
        }
        #expect(Winograd.suits(geometry(c: 16, f: 16)))
        #expect(!Winograd.suits(geometry(c: 3, f: 64)))
        #expect(!Winograd.suits(geometry(c: 64, f: 8)))
        #expect(!Winograd.suits(geometry(c: 64, f: 64, k: 5)))
        #expect(!Winograd.suits(geometry(c: 64, f: 64, stride: 2)))
    }

    /// Both tile sizes: F(2×2, 3×3) on 5×6 maps, F(4×4, 3×3) on 16×17 (outputs 16×17 with padding 1).
    @Test(arguments: [(0, 5, 6), (1, 5, 6), (2, 5, 6), (1, 16, 17)])
    func finiteDifferences(padding: Int, h: Int, w: Int) {
        let n = h > 8 ? 1 : 2
        // The convolution is linear in each input, so a wide step is exact and keeps float32's
        // rounding of the loss (thousands of outputs) small against the difference.
        gradCheck([randn([n, 16, h, w], seed: 60), randn([16, 16, 3, 3], seed: 61, scale: 0.2), randn([16], seed: 62)], h: 0.5) {
            .conv2d($0[0], weight: $0[1], bias: $0[2], padding: padding, algorithm: .winograd)
        }
    }

    @Test func tileSizeFollowsTheMap() {
        func geometry(_ side: Int) -> ConvGeometry {
            ConvGeometry(n: 1, c: 16, h: side, w: side, f: 16, kh: 3, kw: 3, stride: 1, pad: 1, ho: side, wo: side)
        }
        #expect(Winograd.largeTiles(geometry(32)) && Winograd.largeTiles(geometry(16)))
        #expect(!Winograd.largeTiles(geometry(8)) && !Winograd.largeTiles(geometry(15)))
    }

    /// Same outputs and gradients as `.gemm` (itself checked against PyTorch), batch 5 so that the
    /// workers take uneven chunks, odd and even sizes, every padding the path takes, both tile sizes
    /// (F(4×4, 3×3) from 16×16 outputs, with partial tiles at 17×19).
    @Test(arguments: [(0, 7, 7), (1, 8, 8), (1, 9, 4), (2, 5, 8), (1, 4, 4), (1, 16, 16), (1, 17, 19), (0, 18, 21), (2, 15, 14)])
    func agreesWithGEMM(padding: Int, h: Int, w: Int) {
        let x = randn([5, 24, h, w], seed: 63), wt = randn([32, 24, 3, 3], seed: 64, scale: 0.2), b = randn([32], seed: 65)
        let gy = randn([5, 32, h + 2 * padding - 2, w + 2 * padding - 2], seed: 66)
        var results: [[[Float]]] = []
        for algorithm in ConvAlgorithm.allCases {
            let inputs = [x, wt, b].map { Tensor(shape: $0.shape, data: $0.data, requiresGrad: true) }
            let y = Tensor.conv2d(inputs[0], weight: inputs[1], bias: inputs[2], padding: padding, algorithm: algorithm)
            y.backward(seed: gy.data)
            results.append([y.data] + inputs.map { $0.grad ?? [] })
        }
        for (k, what) in ["y", "dx", "dw", "db"].enumerated() {
            expectCloseToScale(results[1][k], results[0][k], rtol: 1e-5, "\(what), padding \(padding), \(h)×\(w)")
        }
    }

    /// Gradients for only some inputs: x frozen (a generator's first layer), or only x wanted
    /// (a frozen teacher).
    @Test func partialGradients() {
        let x = randn([2, 16, 6, 6], seed: 67), wt = randn([16, 16, 3, 3], seed: 68, scale: 0.2)
        let gy = randn([2, 16, 6, 6], seed: 69)
        let ref = [x, wt].map { Tensor(shape: $0.shape, data: $0.data, requiresGrad: true) }
        Tensor.conv2d(ref[0], weight: ref[1], bias: nil, padding: 1).backward(seed: gy.data)

        let frozenX = Tensor(shape: x.shape, data: x.data), w1 = Tensor(shape: wt.shape, data: wt.data, requiresGrad: true)
        Tensor.conv2d(frozenX, weight: w1, bias: nil, padding: 1, algorithm: .winograd).backward(seed: gy.data)
        #expect(frozenX.grad == nil)
        expectCloseToScale(w1.grad ?? [], ref[1].grad!, rtol: 1e-5, "dw with x frozen")

        let x2 = Tensor(shape: x.shape, data: x.data, requiresGrad: true), frozenW = Tensor(shape: wt.shape, data: wt.data)
        Tensor.conv2d(x2, weight: frozenW, bias: nil, padding: 1, algorithm: .winograd).backward(seed: gy.data)
        #expect(frozenW.grad == nil)
        expectCloseToScale(x2.grad ?? [], ref[0].grad!, rtol: 1e-5, "dx with w frozen")
    }

    /// An input read by two convolutions: the second backward adds to the gradient the first wrote,
    /// and one weight used twice accumulates both uses.
    @Test func gradientsAccumulate() {
        let x = randn([3, 16, 6, 5], seed: 75), wt = randn([16, 16, 3, 3], seed: 76, scale: 0.2)
        let gy = randn([3, 16, 6, 5], seed: 77)
        var grads: [[[Float]]] = []
        for algorithm in ConvAlgorithm.allCases {
            let xi = Tensor(shape: x.shape, data: x.data, requiresGrad: true), wi = Tensor(shape: wt.shape, data: wt.data, requiresGrad: true)
            let y = Tensor.conv2d(xi, weight: wi, bias: nil, padding: 1, algorithm: algorithm)
                + Tensor.conv2d(xi * xi, weight: wi, bias: nil, padding: 1, algorithm: algorithm)
            y.backward(seed: gy.data)
            grads.append([xi.grad ?? [], wi.grad ?? []])
        }
        expectCloseToScale(grads[1][0], grads[0][0], rtol: 1e-5, "dx")
        expectCloseToScale(grads[1][1], grads[0][1], rtol: 1e-5, "dw")
    }
}
