import ArgumentParser
import CGANKD
import DAFLEngine
import Foundation
import RunEvents

extension CGANDistill {
    /// The regression student stage's settings as the flags give them (defaults: the paper's full pipeline
    /// only with --subsample and --relabel, as for classification; ρ 0.7).
    var regressionConfig: RegressionDistillConfig {
        var c = RegressionDistillConfig()
        (c.fakeCount, c.bins, c.rho, c.relabel, c.subsample) = (fake, bins, nil, fakes.relabel, fakes.subsample)
        let rho = fakes.rho ?? 0.7
        c.rho = rho < 1 ? rho : nil
        (c.drEpochs, c.drBurnIn, c.seed) = (fakes.drEpochs, fakes.drBurnIn, fakes.seed)
        (c.epochs, c.batch, c.lr, c.loss, c.arch) = (epochs, batch, lr, loss, arch)
        return c
    }

    /// `cgan distill --task rotation`: a regression student on the rotated labelled images plus processed CcGAN images.
    func runRegression() throws {
        let start = Date()
        let (t, prep, meta) = try ModelFile.loadClassifier(URL(fileURLWithPath: fakes.teacher))
        guard t.classes == 1, meta["task"] == "regression" else {
            throw WeightsError(file: fakes.teacher, problem: "not a regressor (train one with `dafl teacher --task rotation`)")
        }
        let real: RegressionSet, test: RegressionSet
        if task == "files" {
            // The labels keep the range the teacher was trained on, so normalised labels mean the same to both.
            let given = meta["label_min"].flatMap(Float.init).flatMap { lo in meta["label_max"].flatMap(Float.init).map { lo...$0 } }
            let sets = try files.load(preprocessing: prep, first: fakes.perClass, range: given)
            (real, test) = (sets.train, sets.test!)
        } else {
            let range = RotationRange.parse(degrees)!
            if let lo = meta["label_min"].flatMap(Float.init), let hi = meta["label_max"].flatMap(Float.init), lo...hi != range {
                throw WeightsError(file: fakes.teacher, problem: "was trained on angles \(lo)…\(hi)°, not --degrees \(degrees)")
            }
            let info = RegressionTaskInfo.rotation(degrees: range, labelled: fakes.perClass, seed: fakes.seed &+ 1)
            (real, test) = (try info.load(directory: fakes.data, preprocessing: prep), try info.test(directory: fakes.data, preprocessing: prep))
        }
        let range = real.range
        var g: ContinuousConditionalGenerator? = nil
        if let path = fakes.generator, fake > 0 {
            let (loaded, gprep, labels) = try ModelFile.loadContinuousGenerator(URL(fileURLWithPath: path))
            guard gprep == prep, loaded.imageSide == real.side, loaded.generator.channels == real.channels else {
                throw WeightsError(file: path, problem: "makes \(loaded.imageSide)×\(loaded.imageSide) images normalised with mean \(gprep.mean); the teacher takes \(real.side)×\(real.side), mean \(prep.mean)")
            }
            if let labels, labels != range { throw WeightsError(file: path, problem: "was trained on labels \(labels.lowerBound)…\(labels.upperBound), the data's are \(range.lowerBound)…\(range.upperBound)") }
            g = loaded
        }
        let dir = URL(fileURLWithPath: runDir ?? DefaultRunDir.make(preset: "ccgan-distill"))
        try RunDirectory.prepare(dir, resuming: false)
        let reporter = CGANReporter(every: 1, json: json)
        let output = try RunOutput(runDir: dir, headless: headless || json, theme: theme, report: reporter.handle)
        let config = regressionConfig
        let run = RegressionDistillRun(config: config, teacher: t, generator: g, real: real, test: test, preprocessing: prep,
                                       runDir: dir, runName: dir.lastPathComponent, sink: output.sink)
        run.describe = ["teacher": fakes.teacher, "generator": fakes.generator ?? "none", "per_class": fakes.perClass.map(String.init) ?? "all",
                        "task": task, "label": task == "files" ? "value" : "rotation-degrees"]
        if !json {
            print("dafl cgan distill (regression): run \(dir.path): student \(arch) on \(real.count) real images"
                  + (g != nil ? " + \(config.fakeCount) processed CcGAN images" : " only"))
        }
        run.listen(toCommandFile: dir.appendingPathComponent(ControlFile.name).path)
        let signals = SignalHandler(quiet: output.useDashboard) { run.send(.stop(reason: "interrupted"), source: "signal") }
        let final = output.useDashboard ? try LiveDashboard.run(trainer: run, inbox: output.inbox, themes: output.themes) : run.run(startPaused: false)
        signals.cancel()
        if let out { try FileManager.default.removeItemIfPresent(atPath: out); try FileManager.default.copyItem(atPath: run.studentURL.path, toPath: out) }
        let wall = Date().timeIntervalSince(start), last = run.errors.last ?? .nan
        if json {
            var line: [String: Any] = ["event": "done", "test_mae": last, "best_mae": run.errors.min() ?? .nan, "teacher_mae": run.teacherError,
                                       "wall_s": wall, "state": final.rawValue, "run_dir": dir.path]
            if let s = run.fakeStats { line["fake_images"] = s.kept.reduce(0, +) }
            printJSON(line)
        } else {
            print(String(format: "done: student MAE %.3f%@ (teacher %.3f), %.0f s; wrote %@", last, real.unit, run.teacherError, wall, run.studentURL.path))
        }
        if final == .stopped { throw ExitCode(130) }
    }
}
