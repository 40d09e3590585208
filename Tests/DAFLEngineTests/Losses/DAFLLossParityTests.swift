import Testing
@testable import DAFLEngine

/// The DAFL loss terms against the PyTorch reference, each on its own.
@Suite struct DAFLLossParityTests {
    @Test func generatorTerms() throws {
        let f = try Fixture("dafl_losses")
        let cases: [(String, String, String, (Tensor, Tensor) -> Tensor)] = [
            ("l_oh", "logits", "dlogits_oh", { l, _ in DAFLLoss.oneHot(l) }),
            ("l_ie", "logits", "dlogits_ie", { l, _ in DAFLLoss.informationEntropy(l) }),
            ("l_a", "features", "dfeatures_a", { _, feat in DAFLLoss.activation(feat) }),
        ]
        for (name, input, grad, term) in cases {
            let logits = f.tensor("logits", grad: true), features = f.tensor("features", grad: true)
            let loss = term(logits, features)
            expectClose([loss.item], f.values(name), name)
            loss.backward()
            expectClose((input == "logits" ? logits : features).grad ?? [], f.values(grad), grad)
        }
    }

    @Test func distillation() throws {
        let f = try Fixture("kd")
        let s = f.tensor("s", grad: true), t = f.tensor("t")
        let loss = DAFLLoss.distillation(student: s, teacher: t)
        expectClose([loss.item], f.values("y"), "kd")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "kd ds")
    }

    /// The image priors, each a scalar of images `x` whose fixture holds `y` and `dx`: the squared total variation
    /// (`--tv`), the border prior (`--border`: the outer two rows and columns held at black) and the symmetry prior
    /// (`--symmetry`: the images' mean squared difference from their mirror images).
    @Test(arguments: ["total_variation", "border_prior", "symmetry_prior"])
    func imagePrior(_ name: String) throws {
        let prior: (Tensor) -> Tensor = switch name {
        case "total_variation": { $0.totalVariation() }
        case "border_prior": { $0.borderDeviation(from: -0.8102, width: 2) }
        default: { $0.mirrorAsymmetry() }
        }
        let f = try Fixture(name)
        let x = f.tensor("x", grad: true)
        let loss = prior(x)
        expectClose([loss.item], f.values("y"), name)
        loss.backward()
        expectClose(x.grad ?? [], f.values("dx"), "\(name) dx")
    }

    /// T² · KL at temperature 4 (Hinton's scaling), the student's loss under `--kd-temperature 4`.
    @Test func distillationAtTemperature() throws {
        let f = try Fixture("kd_t4")
        let s = f.tensor("s", grad: true), t = f.tensor("t")
        let loss = DAFLLoss.distillation(student: s, teacher: t, temperature: 4)
        expectClose([loss.item], f.values("y"), "kd T=4")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "kd T=4 ds")
    }

    /// Logit-standardised distillation at T = 2 (`--kd-standardize --kd-temperature 2`): both logits z-scored per row.
    @Test func standardizedDistillation() throws {
        let f = try Fixture("kd_standardized")
        let s = f.tensor("s", grad: true), t = f.tensor("t")
        let loss = DAFLLoss.distillation(student: s, teacher: t, temperature: 2, standardized: true)
        expectClose([loss.item], f.values("y"), "kd standardized")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "kd standardized ds")
        // Shifting or scaling the student's logits changes nothing: only their shape counts.
        let moved = DAFLLoss.distillation(student: f.tensor("s") * 3 + 1.5, teacher: t, temperature: 2, standardized: true)
        #expect(abs(moved.item - loss.item) < 1e-5)
    }

    /// The saturation prior on the generator's drive: mean log cosh.
    @Test func saturationPrior() throws {
        let f = try Fixture("saturation_prior")
        let h = f.tensor("h", grad: true)
        let loss = DAFLLoss.saturation(h)
        expectClose([loss.item], f.values("y"), "saturation")
        loss.backward()
        expectClose(h.grad ?? [], f.values("dh"), "saturation dh")
        // Far out it grows as |h| − log 2 with a pull of ±1, where cosh itself would overflow a float.
        let far = Tensor(shape: [2], data: [300, -500], requiresGrad: true)
        let l = DAFLLoss.saturation(far)
        l.backward()
        #expect(Swift.abs(l.item - (400 - 0.6931472)) < 1e-3 && far.grad == [0.5, -0.5])
    }

    /// The information-entropy term at softmax temperature 0.5 (`--ie-temperature 0.5`); at 1 it is the paper's term.
    @Test func informationEntropyAtATemperature() throws {
        let f = try Fixture("ie_temperature")
        let l = f.tensor("logits", grad: true)
        let loss = DAFLLoss.informationEntropy(l, temperature: 0.5)
        expectClose([loss.item], f.values("y"), "ie τ=0.5")
        loss.backward()
        expectClose(l.grad ?? [], f.values("dlogits"), "ie τ=0.5 dlogits")
        #expect(DAFLLoss.informationEntropy(f.tensor("logits"), temperature: 1).item == DAFLLoss.informationEntropy(f.tensor("logits")).item)
        // Colder, the term sees the class counts: 16 images, all but one of class 0 yet unsure, score nearer to one class.
        var rows = [Float]()
        for i in 0..<16 { rows += (0..<10).map { j in j == (i == 0 ? 1 : 0) ? 1 : 0 } }
        let unsure = Tensor(shape: [16, 10], data: rows)
        #expect(DAFLLoss.informationEntropy(unsure, temperature: 0.1).item > DAFLLoss.informationEntropy(unsure).item + 0.5)
    }

    /// `--ie-memory`: the batch's mean softmax mixed with a constant class mix, against PyTorch.
    @Test func informationEntropyWithMemoryMatchesTorch() throws {
        let f = try Fixture("ie_memory")
        let l = f.tensor("logits", grad: true), memory = f.values("memory")
        let loss = DAFLLoss.informationEntropy(l, memory: memory, share: 0.25)
        expectClose([loss.item], f.values("y"), "ie memory")
        loss.backward()
        expectClose(l.grad ?? [], f.values("dlogits"), "ie memory dlogits")
        // Share 1 is the batch alone; a batch of the class the memory lacks scores lower than one of the class it holds most.
        #expect(Swift.abs(DAFLLoss.informationEntropy(f.tensor("logits"), memory: memory, share: 1).item - DAFLLoss.informationEntropy(f.tensor("logits")).item) < 1e-6)
        let rare = memory.indices.min { memory[$0] < memory[$1] }!, common = memory.indices.max { memory[$0] < memory[$1] }!
        func allOf(_ c: Int) -> Tensor { Tensor(shape: [4, 10], data: (0..<40).map { $0 % 10 == c ? 20 : 0 }) }
        #expect(DAFLLoss.informationEntropy(allOf(rare), memory: memory, share: 0.25).item
                < DAFLLoss.informationEntropy(allOf(common), memory: memory, share: 0.25).item - 0.05)
    }

    /// Decoupled distillation (DKD), the teacher's argmax as the target: β = 8 on raw logits, and β = 4 on z-scored
    /// logits at T = 2 (`--kd-standardize --kd-temperature 2 --kd-decoupled 4`).
    @Test func decoupledDistillation() throws {
        let f = try Fixture("kd_decoupled")
        let s = f.tensor("s", grad: true), t = f.tensor("t")
        let loss = Tensor.decoupledKD(student: s, teacher: t, alpha: 1, beta: 8)
        expectClose([loss.item], f.values("y"), "DKD")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "DKD ds")
        let s2 = f.tensor("s", grad: true)
        let std = DAFLLoss.distillation(student: s2, teacher: t, temperature: 2, standardized: true, decoupled: 4)
        expectClose([std.item], f.values("y_std"), "z-scored DKD at T = 2")
        std.backward()
        expectClose(s2.grad ?? [], f.values("ds_std"), "z-scored DKD at T = 2 ds")
        // The teacher's own logits score 0 at any β; and, row by row, KL = TCKD + (1 − q_g) · NCKD (the decoupling).
        #expect(Tensor.decoupledKD(student: t, teacher: t, alpha: 1, beta: 8).item < 1e-6)
        for r in 0..<8 {
            let sr = Tensor(shape: [1, 10], data: Array(f.values("s")[r * 10 ..< r * 10 + 10]))
            let tr = Tensor(shape: [1, 10], data: Array(f.values("t")[r * 10 ..< r * 10 + 10]))
            let qg = tr.softmax().data.max()!
            let tckd = Tensor.decoupledKD(student: sr, teacher: tr, alpha: 1, beta: 0).item
            let nckd = Tensor.decoupledKD(student: sr, teacher: tr, alpha: 0, beta: 1).item
            let kl = Tensor.distillationKL(student: sr, teacher: tr).item
            #expect(Swift.abs(tckd + (1 - qg) * nckd - kl) < 1e-4 * Swift.max(1, kl), "row \(r)")
        }
    }

    /// `--balanced-one-hot`: the greedy balanced targets and the cross-entropy against them, as PyTorch computes them.
    @Test func balancedOneHot() throws {
        let f = try Fixture("balanced_one_hot")
        let x = f.tensor("x", grad: true)
        let targets = DAFLLoss.balancedTargets(x)
        #expect(targets == f.values("targets").map { Int($0) })
        let loss = DAFLLoss.balancedOneHot(x)
        expectClose([loss.item], f.values("y"), "balanced one-hot")
        loss.backward()
        expectClose(x.grad ?? [], f.values("dx"), "balanced one-hot dx")
        // At most ⌈40/10⌉ = 4 targets per class; the favoured class fills, and every image whose argmax is a class
        // that 4 or fewer images choose keeps it.
        let argmax = f.values("argmax").map { Int($0) }
        #expect((0..<10).allSatisfy { c in targets.filter { $0 == c }.count <= 4 })
        #expect(targets.filter { $0 == 8 }.count == 4 && argmax.filter { $0 == 8 }.count > 4)
        for (t, a) in zip(targets, argmax) where argmax.filter({ $0 == a }).count <= 4 { #expect(t == a) }
        // A batch that is balanced already keeps every argmax: the paper's term.
        let balanced = Tensor(shape: [10, 10], data: (0..<100).map { $0 / 10 == $0 % 10 ? 3 : 0 })
        #expect(DAFLLoss.balancedTargets(balanced) == balanced.argmaxRows())
        #expect(DAFLLoss.balancedOneHot(balanced).item == DAFLLoss.oneHot(balanced).item)
    }

    /// `--kd-standardize --kd-hard 0.5`: the z-scored KL plus half the cross-entropy against the teacher's argmax.
    @Test func distillationWithTheTeachersArgmax() throws {
        let f = try Fixture("kd_hard")
        let s = f.tensor("s", grad: true), t = f.tensor("t")
        let loss = DAFLLoss.distillation(student: s, teacher: t, standardized: true, hard: 0.5)
        expectClose([loss.item], f.values("y"), "z-scored KL + argmax CE")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "z-scored KL + argmax CE ds")
        // Without the weight it is the plain z-scored KL, bit for bit.
        let s2 = f.tensor("s")
        #expect(DAFLLoss.distillation(student: s2, teacher: t, standardized: true, hard: 0).item
                == DAFLLoss.distillation(student: s2, teacher: t, standardized: true).item)
    }

    /// `--kd-standardize --kd-hint 0.5`: the z-scored KL plus half the MSE between the student's features and the
    /// teacher's kept units (the trainer gathers the kept columns with `DAFLTrainer.columns`; here by hand).
    @Test func distillationWithAFeatureHint() throws {
        let f = try Fixture("kd_hint")
        let s = f.tensor("s", grad: true), t = f.tensor("t"), fs = f.tensor("fs", grad: true), ft = f.values("ft")
        let kept = [1, 2, 4, 7, 8]
        let target = (0..<6).flatMap { i in kept.map { ft[i * 9 + $0] } }
        let loss = DAFLLoss.distillation(student: s, teacher: t, standardized: true) + Tensor.mseLoss(fs, targets: target) * 0.5
        expectClose([loss.item], f.values("y"), "z-scored KL + hint")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "z-scored KL + hint ds")
        expectClose(fs.grad ?? [], f.values("dfs"), "z-scored KL + hint dfs")
    }

    /// DIST's intra-class relation, alone and beside the z-scored KL (`--kd-standardize --kd-intra-class 0.5`).
    @Test func intraClassRelation() throws {
        let f = try Fixture("kd_intra_class")
        let s = f.tensor("s", grad: true), t = f.tensor("t")
        let loss = DAFLLoss.intraClassRelation(student: s, teacher: t)
        expectClose([loss.item], f.values("y"), "intra-class")
        loss.backward()
        expectClose(s.grad ?? [], f.values("ds"), "intra-class ds")
        let s2 = f.tensor("s", grad: true)
        let both = DAFLLoss.distillation(student: s2, teacher: t, standardized: true, intraClass: 0.5)
        expectClose([both.item], f.values("y_std"), "z-scored KD + intra-class")
        both.backward()
        expectClose(s2.grad ?? [], f.values("ds_std"), "z-scored KD + intra-class ds")
        // The teacher's own logits score 0; negated, every class's ranking of the batch is reversed.
        #expect(DAFLLoss.intraClassRelation(student: t, teacher: t).item < 1e-5)
        #expect(DAFLLoss.intraClassRelation(student: t * -1, teacher: t).item > 0.5)
        // A collapsed generator's batch (one image, rounding noise apart) gives no push: its columns count as flat.
        let row = (0..<10).map { Float($0) / 3 }
        let one = Tensor(shape: [8, 10], data: (0..<8).flatMap { i in row.map { $0 + Float(i) * 1e-6 } }, requiresGrad: true)
        let flat = DAFLLoss.intraClassRelation(student: one, teacher: Tensor(shape: [8, 10], data: (0..<8).flatMap { _ in row.reversed() }))
        flat.backward()
        #expect(flat.item < 1e-6 && (one.grad ?? []).allSatisfy { Swift.abs($0) < 1e-4 })
    }

    /// KL(teacher ‖ student), with gradients to both logits (the generator moves both); `zkl` the same KL on z-scored
    /// logits (`--discrepancy zkl`).
    @Test(arguments: [Discrepancy.kl, .zkl])
    func discrepancyKL(_ measure: Discrepancy) throws {
        let name = "discrepancy_\(measure.rawValue)"
        let f = try Fixture(name)
        let t = f.tensor("t", grad: true), s = f.tensor("s", grad: true)
        let loss = DAFLLoss.discrepancy(teacher: t, student: s, measure: measure)
        expectClose([loss.item], f.values("y"), name)
        loss.backward()
        expectClose(t.grad ?? [], f.values("dt"), "\(name) dt")
        expectClose(s.grad ?? [], f.values("ds"), "\(name) ds")
    }

    /// `--adversarial-sure 0.8`: the KL of the rows whose teacher is sure, over the whole batch; at 0 it is the plain KL,
    /// and above every row's top probability it is 0 with no gradient.
    @Test func discrepancyKLOnSureImages() throws {
        let f = try Fixture("discrepancy_kl_sure")
        let t = f.tensor("t", grad: true), s = f.tensor("s", grad: true)
        let loss = DAFLLoss.discrepancyKL(teacher: t, student: s, sure: 0.8)
        expectClose([loss.item], f.values("y"), "sure KL")
        loss.backward()
        expectClose(t.grad ?? [], f.values("dt"), "sure KL dt")
        expectClose(s.grad ?? [], f.values("ds"), "sure KL ds")
        let sure = f.values("sure")
        #expect(sure.contains(0) && sure.contains(1))
        let t0 = f.tensor("t"), s0 = f.tensor("s")
        #expect(abs(DAFLLoss.discrepancyKL(teacher: t0, student: s0, sure: 0).item - DAFLLoss.discrepancyKL(teacher: t0, student: s0).item) < 1e-6)
        #expect(DAFLLoss.discrepancyKL(teacher: t0, student: s0, sure: 1.01).item == 0)
    }

    /// The diversity term, checked against PyTorch's N×N cosine matrix (the Swift code never forms it).
    @Test func featureSimilarity() throws {
        let f = try Fixture("feature_similarity")
        let x = f.tensor("features", grad: true)
        let loss = DAFLLoss.featureSimilarity(x)
        expectClose([loss.item], f.values("y"), "feature similarity")
        loss.backward()
        expectClose(x.grad ?? [], f.values("dfeatures"), "feature similarity dfeatures")
        // Identical rows are as alike as can be: 1.
        let same = Tensor(shape: [3, 2], data: [1, 2, 1, 2, 1, 2])
        expectClose([DAFLLoss.featureSimilarity(same).item], [1], "identical rows")
    }

    @Test func discrepancy() throws {
        let f = try Fixture("discrepancy")
        let t = f.tensor("t", grad: true), s = f.tensor("s", grad: true)
        let loss = DAFLLoss.discrepancy(teacher: t, student: s)
        expectClose([loss.item], f.values("y"), "discrepancy")
        loss.backward()
        expectClose(t.grad ?? [], f.values("dt"), "discrepancy dt")
        expectClose(s.grad ?? [], f.values("ds"), "discrepancy ds")
    }
}
