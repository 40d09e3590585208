import ArgumentParser
import DAFLEngine
import DAFLTrainer
import Foundation

/// `dafl bench`: times the pieces that dominate DAFL, with the same shapes as scripts/bench_torch.py.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time generator, teacher, student and full DAFL iterations (median of --repeat runs).",
        discussion: """
        Run in a release build: swift run -c release dafl bench
        Compare with PyTorch in the same session: scripts/bench_side_by_side.sh
        """)

    @Option(name: .customLong("repeat"), help: "Timed runs per benchmark, after one warm-up.") var repeats = 3
    @Option(help: "Comma-separated benchmarks: generator_fwd_bwd, teacher_fwd_bwd_input, teacher_fwd, student_step, dafl_iteration, teacher_epoch, resnet18_step, augment.")
    var only = "generator_fwd_bwd,teacher_fwd_bwd_input,student_step,dafl_iteration,teacher_epoch"
    @Option(help: "Batches for dafl_iteration.") var batches = "64,256,512"
    @Option(name: .customLong("resnet-batches"), help: "Batches for resnet18_step.") var resnetBatches = "64,128"
    @Option(help: "Generator width (128 is the reference).") var width = 128
    @Option(help: "Engine worker threads (default: DAFL_THREADS, else every core).") var threads: Int?
    @Option(help: "Dataset directory for teacher_epoch.") var data = Dataset.defaultDirectory
    @Flag(help: "One JSON object per line.") var json = false
    @Flag(help: "Print the CPU, its instruction sets and the BLAS core in use, then stop.") var machine = false

    func run() throws {
        if let threads { Parallel.workers = threads }
        let names = only.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let cpu = CPUInfo.current, blas = BLASLibrary.shared
        if !json {
            print("cpu: \(cpu.modelName) (\(cpu.vendor), family \(cpu.family) model \(cpu.model))")
            print("instruction sets: \(cpu.instructionSets.joined(separator: " "))")
            print("blas: \(blas.config); core \(blas.core), \(blas.coreSource)")
            if machine { return }
            print("dafl bench: \(Parallel.workers) worker threads, repeat \(repeats) (median seconds)")
        }
        if json && machine {
            printJSON(["cpu": cpu.modelName, "vendor": cpu.vendor, "isa": cpu.instructionSets.joined(separator: " "),
                       "blas_config": blas.config, "blas_core": blas.core, "blas_core_source": blas.coreSource])
            return
        }
        var rng = RNG(seed: 0)
        func report(_ name: String, _ batch: Int, _ seconds: Double) {
            if json {
                printJSON(["name": name, "batch": batch, "seconds": (seconds * 1e6).rounded() / 1e6, "threads": Parallel.workers, "impl": "dafl",
                           "cpu": cpu.modelName, "isa": cpu.instructionSets.joined(separator: " "), "blas_core": blas.core,
                           "blas_core_source": blas.coreSource])
            } else {
                print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: " %6d %10.4f", batch, seconds))
            }
        }
        for name in names {
            switch name {
            case "generator_fwd_bwd":
                let g = Generator(latent: 100, width: width, rng: &rng)
                report(name, 256, timed { g(Tensor(shape: [256, 100], data: rng.normal(count: 25600))).mean().backward(); g.zeroGrad() })
            case "generator_fwd":
                let g = Generator(latent: 100, width: width, rng: &rng)
                report(name, 256, timed { _ = GradMode.noGrad { g(Tensor(shape: [256, 100], data: rng.normal(count: 25600))) } })
            case "teacher_fwd_bwd_input":
                let t = LeNet5(.full, rng: &rng)
                t.setTraining(false); t.freeze()
                report(name, 256, timed {
                    let x = Tensor(shape: [256, 1, 32, 32], data: rng.normal(count: 256 * 1024), requiresGrad: true)
                    let (l, f) = t.forwardWithFeatures(x)
                    (l.sum() + f.sum()).backward()
                })
            case "teacher_fwd":
                let t = LeNet5(.full, rng: &rng)
                t.setTraining(false); t.freeze()
                let x = Tensor(shape: [256, 1, 32, 32], data: rng.normal(count: 256 * 1024))
                report(name, 256, timed { _ = GradMode.noGrad { t(x) } })
            case "student_step":
                let s = LeNet5(.half, rng: &rng)
                let opt = Adam(s.parameters, lr: 2e-3)
                let x = Tensor(shape: [256, 1, 32, 32], data: rng.normal(count: 256 * 1024))
                let tl = Tensor(shape: [256, 10], data: rng.normal(count: 2560))
                report(name, 256, timed {
                    opt.zeroGrad()
                    DAFLLoss.distillation(student: s(x), teacher: tl).backward()
                    opt.step()
                })
            case "dafl_iteration":
                for b in batches.split(separator: ",").compactMap({ Int($0) }) {
                    let g = Generator(latent: 100, width: width, rng: &rng)
                    let t = LeNet5(.full, rng: &rng), s = LeNet5(.half, rng: &rng)
                    t.setTraining(false); t.freeze()
                    let og = Adam(g.parameters, lr: 0.2), os = Adam(s.parameters, lr: 2e-3)
                    report(name, b, timed {
                        _ = DAFLIteration.run(generator: g, teacher: t, student: s, generatorOptimizer: og, studentOptimizer: os,
                                              noise: Tensor(shape: [b, 100], data: rng.normal(count: b * 100)), weights: LossWeights())
                    })
                }
            case "resnet18_step":
                // One SGD training step of a full-width CIFAR ResNet-18 (cross-entropy on random labels), per batch.
                for b in resnetBatches.split(separator: ",").compactMap({ Int($0) }) {
                    let net = ResNet(.resnet18, rng: &rng)
                    let opt = SGD(net.parameters, lr: 0.1, momentum: 0.9, weightDecay: 5e-4)
                    let x = Tensor(shape: [b, 3, 32, 32], data: rng.normal(count: b * 3072))
                    let y = (0..<b).map { $0 % 10 }
                    report(name, b, timed {
                        opt.zeroGrad()
                        Tensor.crossEntropy(net(x), targets: y).backward()
                        opt.step()
                    })
                }
            case "augment":
                // Each replay augmentation on its own, on one batch of 128 generated-like images (the cpu
                // preset applies them 31 times an iteration, on the training thread).
                let b = 128, images = rng.normal(count: b * 1024), (black, white) = Preprocessing.fashionMNIST.blackAndWhite
                for word in ["shift,flip", "mixup", "cutmix", "contrast", "blur", "levels", "gamma"] {
                    let aug = StudentAugmentation(parse: word)!
                    var x = images, r = RNG(seed: 1)
                    report("augment_" + word.replacingOccurrences(of: ",", with: "_"), b, timed {
                        x = images
                        aug.apply(&x, count: b, side: 32, channels: 1, black: black, white: white, rng: &r)
                    })
                }
            case "teacher_epoch":
                let train = try Dataset.load(directory: data, split: .train, preprocessing: .fashionMNIST)
                let m = LeNet5(.full, rng: &rng)
                let opt = Adam(m.parameters, lr: 1e-3)
                let start = Date()
                Classification.trainEpoch(m, optimizer: opt, data: train, batchSize: 256, rng: &rng)
                report(name, 256, Date().timeIntervalSince(start))
            default:
                throw ValidationError("unknown benchmark '\(name)'")
            }
        }
    }

    /// Median wall time of `repeats` runs after one warm-up.
    func timed(_ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<Swift.max(repeats, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
