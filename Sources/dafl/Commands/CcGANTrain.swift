import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation
import RunEvents

/// The options of `cgan train` for regression: the task, CcGAN's vicinity and its label embedding.
struct RegressionGANOptions: ParsableArguments {
    @Option(help: "classification (a class-conditional GAN), or rotation: CcGAN on images labelled by the angle they are rotated by (cGAN-KD's regression setting), or files: CcGAN on --images with --labels.")
    var task = "classification"
    @Option(help: "Rotation task: the range the angles are drawn from, in degrees, as LO,HI.") var degrees = "-45,45"
    @Option(help: "files task: IDX images (raw or gzip).") var images: String?
    @Option(help: "files task: labels, one number per line or the last column of CSV, in the images' order.") var labels: String?
    @Option(help: "CcGAN vicinity: soft (SVDL, the reference's setting) or hard (HVDL).") var vicinity = "soft"
    @Option(name: .customLong("kappa-base"), help: "κ = this × the largest gap between neighbouring distinct labels (the reference: 2).")
    var kappaBase: Float = 2
    @Option(help: "σ of the target labels' noise, on labels normalised to [0, 1] (default: Silverman's rule).") var sigma: Float?
    @Option(name: .customLong("embed-dim"), help: "Label embedding dimension (the reference: 128).") var embedDim = LabelEmbeddingTraining.Settings().dimension
    @Option(name: .customLong("embed-epochs"), help: "Epochs of the image → embedding → label network.") var embedEpochs = LabelEmbeddingTraining.Settings().embedEpochs
    @Option(name: .customLong("y2h-epochs"), help: "Epochs of the label → embedding network.") var y2hEpochs = LabelEmbeddingTraining.Settings().y2hEpochs

    func check() throws {
        guard ["classification", "rotation", "files"].contains(task) else { throw ValidationError("--task must be classification, rotation or files") }
        guard Vicinity.Kind(rawValue: vicinity) != nil else { throw ValidationError("--vicinity must be soft or hard") }
        if task == "rotation", RotationRange.parse(degrees) == nil { throw ValidationError("--degrees must be LO,HI with LO < HI") }
        if task == "files", images == nil || labels == nil { throw ValidationError("--task files needs --images and --labels") }
        if let p = settings.problems().first { throw ValidationError(p) }
    }

    var settings: CcGANSettings {
        var s = CcGANSettings()
        s.vicinity = Vicinity.Kind(rawValue: vicinity) ?? .soft
        (s.kappaBase, s.sigma) = (kappaBase, sigma)
        (s.embedding.dimension, s.embedding.embedEpochs, s.embedding.y2hEpochs) = (embedDim, embedEpochs, y2hEpochs)
        return s
    }

    func taskInfo(perClass: Int?, seed: UInt64) -> RegressionTaskInfo {
        if task == "files" {
            return RegressionTaskInfo(kind: "files", labelMin: 0, labelMax: 0, labelled: perClass, seed: seed, images: images, labels: labels)
        }
        return .rotation(degrees: RotationRange.parse(degrees) ?? -45...45, labelled: perClass, seed: seed &+ 1)
    }
}

extension CGANTrain {
    /// CcGAN for a regression task: learns the label embedding, then trains generator and discriminator as a run.
    func runCcGAN(resuming info: CGANCheckpointInfo?) throws {
        let prep = Preprocessing.fashionMNIST
        let dataDir = info?.dataDir ?? data
        var task = info?.task ?? regression.taskInfo(perClass: perClass, seed: seed)
        let train = try task.load(directory: dataDir, preprocessing: prep)
        if task.kind == "files" { (task.labelMin, task.labelMax) = (train.range.lowerBound, train.range.upperBound) }
        let (config, settings) = try configured(resuming: info)
        var cc = info?.ccgan ?? regression.settings
        let teacherPath = info?.teacherPath ?? teacher
        var teacherNet: LeNet5? = nil
        if let teacherPath {
            let (t, tprep, meta) = try ModelFile.loadClassifier(URL(fileURLWithPath: teacherPath))
            guard tprep == prep, t.classes == 1, meta["task"] == "regression" else {
                throw WeightsError(file: teacherPath, problem: "not a regressor for these images (a CcGAN run measures with `dafl teacher --task rotation` weights)")
            }
            teacherNet = t
        }
        let dir = URL(fileURLWithPath: resume ?? out ?? DefaultRunDir.make(preset: "ccgan"))
        try RunDirectory.prepare(dir, resuming: info != nil)
        // The label embedding: learned now for a fresh run; a resumed one reads it back with the generator.
        var embedRng = RNG(seed: config.seed &+ 11)
        let embedding: LabelEmbedding
        if info == nil {
            if !json { print("learning the label embedding: \(cc.embedding.embedEpochs) epochs image → h → label, then \(cc.embedding.y2hEpochs) of label → h") }
            let start = Date()
            let (y2h, _, fit) = LabelEmbeddingTraining.train(on: train, settings: cc.embedding, rng: &embedRng)
            embedding = y2h
            cc.embedding.fit = fit
            if !json {
                print(String(format: "label embedding: image → label MAE %.4f, label → h → label round trip MAE %.4f (normalised units), %.1f s",
                             fit.embedMAE, fit.roundTripMAE, Date().timeIntervalSince(start)))
            }
        } else {
            embedding = LabelEmbedding(dimension: cc.embedding.dimension, rng: &embedRng)
        }
        let reporter = CGANReporter(every: every, json: json)
        let output = try RunOutput(runDir: dir, headless: headless || json, theme: theme, report: reporter.handle)
        let trainer = CcGANTrainer(config: config, settings: cc, data: train, embedding: embedding)
        let run = try CGANRun(trainer: trainer, teacher: teacherNet, settings: settings, preprocessing: prep, runDir: dir,
                              runName: info?.runName ?? dir.lastPathComponent, dataDir: dataDir, perClass: perClass,
                              teacherPath: teacherPath, resume: info, task: task, sink: output.sink)
        if !json {
            print(String(format: "dafl cgan train (CcGAN, %@ vicinity κ %.5f σ %.5f): run %@: %d images labelled %g…%g%@; %d steps of batch %d%@",
                         cc.vicinity.rawValue, trainer.vicinity.kappa, trainer.vicinity.sigma, dir.path, train.count, task.labelMin, task.labelMax,
                         task.unit, config.iterations, config.batch, info.map { "; resuming at step \($0.step)" } ?? ""))
        }
        try drive(run, output: output, dir: dir)
    }
}
