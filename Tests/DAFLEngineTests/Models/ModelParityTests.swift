import Testing
@testable import DAFLEngine

/// Whole-model forward and backward against PyTorch on shared weights and inputs.
@Suite struct ModelParityTests {
    @Test(arguments: [("lenet5", LeNet5.Width.full), ("lenet5_half", LeNet5.Width.half)])
    func lenet(_ name: String, _ width: LeNet5.Width) throws {
        let f = try Fixture(name)
        var rng = RNG(seed: 1)
        let net = LeNet5(width, rng: &rng)
        try net.load(stateDict: f.file.tensors.filter { k, _ in net.stateDict.contains { $0.0 == k } }, source: name)
        let x = f.tensor("x", grad: true)
        let (logits, features) = net.forwardWithFeatures(x)
        expectClose(logits.data, f.values("logits"), "logits")
        expectClose(features.data, f.values("features"), "features")
        let loss = (logits * f.tensor("glogits")).sum() + (features * f.tensor("gfeatures")).sum()
        loss.backward()
        expectClose(x.grad ?? [], f.values("dx"), "dx")
        for (k, p) in net.namedParameters { expectClose(p.grad ?? [], f.values("grad.\(k)"), "grad.\(k)") }
    }

    /// ResNet-18 and -34 at small widths, training mode: logits, feature, every gradient and the
    /// batch norms' running statistics against PyTorch's (scripts/dafl_torch.py ResNet, kuangliu style).
    @Test(arguments: [("resnet18_w4", ResNet.Depth.resnet18), ("resnet34_w2", ResNet.Depth.resnet34)])
    func resnet(_ name: String, _ depth: ResNet.Depth) throws {
        let f = try Fixture(name)
        var rng = RNG(seed: 1)
        let net = ResNet(depth, width: Int(f.meta("width"))!, rng: &rng)
        let names = Set(net.stateDict.map(\.0))
        #expect(names == Set(f.file.tensors.keys.filter { !$0.contains(".") || !["grad", "after"].contains(String($0.split(separator: ".")[0])) }
            .filter { !["x", "dx", "logits", "features", "glogits", "gfeatures"].contains($0) }), "state_dict names differ from PyTorch's")
        try net.load(stateDict: f.file.tensors.filter { names.contains($0.key) }, source: name)
        let x = f.tensor("x", grad: true)
        let (logits, features) = net.forwardWithFeatures(x)
        expectCloseToScale(logits.data, f.values("logits"), "logits")
        expectCloseToScale(features.data, f.values("features"), "features")
        ((logits * f.tensor("glogits")).sum() + (features * f.tensor("gfeatures")).sum()).backward()
        expectCloseToScale(x.grad ?? [], f.values("dx"), "dx")
        for (k, p) in net.namedParameters { expectCloseToScale(p.grad ?? [], f.values("grad.\(k)"), "grad.\(k)") }
        for (k, b) in net.stateDict where k.hasSuffix("running_mean") || k.hasSuffix("running_var") {
            expectClose(b.data, f.values("after.\(k)"), "after.\(k)")
        }
    }

    @Test func frozenTeacherPassesGradientToInput() throws {
        let f = try Fixture("lenet5")
        var rng = RNG(seed: 1)
        let net = LeNet5(.full, rng: &rng)
        try net.load(stateDict: f.file.tensors.filter { k, _ in net.stateDict.contains { $0.0 == k } }, source: "lenet5")
        net.freeze()
        let x = f.tensor("x", grad: true)
        let (logits, features) = net.forwardWithFeatures(x)
        ((logits * f.tensor("glogits")).sum() + (features * f.tensor("gfeatures")).sum()).backward()
        expectClose(x.grad ?? [], f.values("dx"), "dx through a frozen net")
        #expect(net.parameters.allSatisfy { $0.grad == nil })
    }

    @Test func generator() throws {
        let f = try Fixture("generator")
        var rng = RNG(seed: 1)
        let g = Generator(latent: Int(f.meta("latent"))!, width: f.shape("conv_blocks1.0.weight")[0], channels: 1, rng: &rng)
        try g.load(stateDict: f.file.tensors.filter { k, _ in g.stateDict.contains { $0.0 == k } }, source: "generator")
        let z = f.tensor("z", grad: true)
        let img = g(z)
        expectCloseToScale(img.data, f.values("img"), "img")
        (img * f.tensor("gimg")).sum().backward()
        expectCloseToScale(z.grad ?? [], f.values("dz"), "dz")
        for (k, p) in g.namedParameters {
            var ref = f.values("grad.\(k)")
            if k == "conv_blocks1.0.bias" || k == "conv_blocks2.0.bias" {
                // Feeds a training-mode batch norm: the true gradient is 0 and what float32 leaves is
                // the rounding of thousands of cancelling terms. Judge it against the layer's scale.
                let w = f.values("grad.\(k.replacingOccurrences(of: "bias", with: "weight"))")
                expectClose(p.grad ?? [], ref, rtol: 0, atol: 1e-4 * w.map { Swift.abs($0) }.max()!, "grad.\(k) ≈ 0")
                ref = []
            }
            if !ref.isEmpty { expectCloseToScale(p.grad ?? [], ref, "grad.\(k)") }
        }
        for (k, b) in g.stateDict where k.hasSuffix("running_mean") || k.hasSuffix("running_var") {
            expectClose(b.data, f.values("after.\(k)"), "after.\(k)")
        }
    }

    @Test func parameterCountsMatchThePaper() {
        var rng = RNG(seed: 0)
        #expect(LeNet5(.full, rng: &rng).parameterCount == 61_706)
        #expect(LeNet5(.half, rng: &rng).parameterCount == 15_738)
    }

    @Test func stateDictNamesArePyTorchs() throws {
        let f = try Fixture("generator")
        var rng = RNG(seed: 1)
        let g = Generator(latent: 100, width: 16, channels: 1, rng: &rng)
        let expected = Set(f.file.tensors.keys.filter { !$0.hasPrefix("after.") && !$0.hasPrefix("grad.") && !["z", "img", "gimg", "dz"].contains($0) })
        #expect(Set(g.stateDict.map(\.0)) == expected)
    }
}
