import CGANKD
import CZlib
import DAFLEngine
import DAFLTrainer
import Dashboard
import Foundation
import RunEvents

/// Every parser that reads a file a user can hand us, as a fuzz target. Each must return or throw
/// for any input: a trap, a sanitizer report, a hang or a runaway allocation is a bug.
enum FuzzTarget: String, CaseIterable {
    /// A whole safetensors file (header and data): `Safetensors.parse`.
    case safetensors
    /// A safetensors JSON header, then optionally a NUL byte and a pattern: the file gets a data section
    /// as long as the header's offsets ask, filled with the pattern repeated (zeros without one). For
    /// the model loaders (classifier, conditional generator, CIFAR ResNet) and the fake-set reader behind them.
    case model
    /// An IDX file, raw and gzip-compressed; when it parses as images, a whole data-set directory.
    case idx
    /// A run log: JSON Lines parsing (whole and in two pieces, as `watch` reads), resume folding, and
    /// the dashboard rendering the result at two sizes, in both preview modes.
    case runlog
    /// A `checkpoint.json` sidecar, as DAFL's and the conditional GAN's `--resume` read it.
    case checkpoint
    /// A theme file.
    case theme
    /// A command file (`control.jsonl`), read as a run polls it, and its commands applied to a RunControl.
    case controlfile
    /// A CIFAR batch file, as a Python pickle (CIFAR-10 and -100) and as the binary format.
    case cifar

    func run(_ data: Data) {
        switch self {
        case .safetensors: _ = try? Safetensors.parse(data, source: "fuzz")
        case .model: model(data)
        case .idx: idx(data)
        case .runlog: runLog(data)
        case .checkpoint: checkpoint(data)
        case .theme: _ = try? Theme.parse(String(decoding: data, as: UTF8.self), name: "fuzz")
        case .controlfile: controlFile(data)
        case .cifar:
            let url = Self.file("cifar-batch", data)
            _ = try? CIFAR.readPickle(url.path, classes: 10)
            _ = try? CIFAR.readPickle(url.path, classes: 100)
            _ = try? CIFAR.readBinary(url.path, classes: 10)
            _ = try? CIFAR.readBinary(url.path, classes: 100)
        }
    }

    private func model(_ input: Data) {
        let nul = input.firstIndex(of: 0) ?? input.endIndex
        let header = input[..<nul], pattern = input[nul...].dropFirst()
        // The data section the header's offsets reach, capped so that one input cannot ask for gigabytes.
        var dataLength = 0
        if let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] {
            for case let entry as [String: Any] in json.values {
                if let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 { dataLength = max(dataLength, offsets[1]) }
            }
        }
        dataLength = min(max(dataLength, 0), 1 << 22)
        var file = Data(count: 8)
        file.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self) }
        file.append(header)
        if pattern.isEmpty { file.append(Data(count: dataLength)) } else {
            let p = Array(pattern)
            file.append(contentsOf: (0..<dataLength).lazy.map { p[$0 % p.count] })
        }
        let url = Self.file("model.safetensors", file)
        _ = try? ModelFile.loadClassifier(url)
        _ = try? ModelFile.loadConditionalGenerator(url)
        _ = try? ModelFile.loadContinuousGenerator(url)
        _ = try? ModelFile.loadResNet(url)
        _ = try? FakeSetFile.read(url, preprocessing: .fashionMNIST)
    }

    private func idx(_ data: Data) {
        _ = try? IDX.read(path: Self.file("raw-idx", data).path)
        // The same bytes gzip-compressed: zlib's reading path with a valid stream.
        let gz = Self.scratch.appendingPathComponent("idx.gz").path
        if let f = gzopen(gz, "wb") {
            data.withUnsafeBytes { _ = gzwrite(f, $0.baseAddress, UInt32($0.count)) }
            gzclose(f)
            _ = try? IDX.read(path: gz)
        }
        // As a data set's images, with labels made to match their count.
        guard let images = try? IDX.read(path: Self.scratch.appendingPathComponent("raw-idx").path),
              images.dims.count == 3, images.dims[0] <= 1 << 16 else { return }
        let dir = Self.scratch.appendingPathComponent("dataset")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? data.write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        var labels = Data([0, 0, 8, 1])
        withUnsafeBytes(of: UInt32(images.dims[0]).bigEndian) { labels.append(contentsOf: $0) }
        labels.append(contentsOf: (0..<images.dims[0]).map { UInt8($0 % 10) })
        try? labels.write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        _ = try? Dataset.load(directory: dir.path, split: .test, preprocessing: .fashionMNIST)
        // As a regression set's images, with a label file of the right length (and the bytes themselves as one).
        let labelFile = Self.file("labels.csv", Data((0..<images.dims[0]).map { "\($0 % 7)\n" }.joined().utf8))
        _ = try? RegressionSet.load(images: dir.appendingPathComponent("t10k-images-idx3-ubyte").path, labels: labelFile.path,
                                    preprocessing: .fashionMNIST)
        _ = try? RegressionSet.parseLabels(path: Self.file("labels.txt", data).path)
    }

    private func runLog(_ data: Data) {
        guard let whole = try? RunLogReader.parse(data, file: "fuzz", firstLine: 1) else { return }
        // As `dafl watch` reads a growing file: what was consumed, then the rest.
        let cut = data.isEmpty ? 0 : Int(data[data.startIndex]) % (data.count + 1)
        if let first = try? RunLogReader.parse(data.prefix(cut), file: "fuzz", firstLine: 1) {
            _ = try? RunLogReader.parse(data.dropFirst(first.consumed), file: "fuzz", firstLine: 2)
        }
        for (w, h, preview) in [(120, 40, PreviewMode.halfBlock), (80, 24, .ascii)] {
            _ = HeadlessReplay.render(events: whole.events, width: w, height: h, every: nil, theme: .dark, preview: preview)
        }
    }

    private func checkpoint(_ data: Data) {
        let dir = Self.scratch.appendingPathComponent("run")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        _ = Self.file("run/checkpoint.json", data)
        if (try? CheckpointInfo.load(runDir: dir)) != nil {
            // What `--resume` builds from it before reading any tensor (the tensor file is absent here).
            var rng = RNG(seed: 0)
            let teacher = LeNet5(.half, classes: 10, rng: &rng)
            _ = try? DAFLTrainer.resume(runDir: dir, teacher: teacher, preprocessing: .fashionMNIST, test: nil,
                                        iterations: nil, sink: { _ in })
        }
        _ = try? CGANCheckpointInfo.load(runDir: dir)
    }

    private func controlFile(_ data: Data) {
        let url = Self.file("control.jsonl", data)
        let control = RunControl(state: .running)
        control.listen(toCommandFile: url.path)
        // Listening starts at the end; the reader from the start sees the lines as a run would after them.
        let reader = ControlFile.Reader(path: url.path, fromStart: true)
        for entry in reader.poll() { if case .command(let c, let source, let id) = entry { control.send(c, source: source, id: id) } }
        var weight: Float = 1
        _ = control.apply(step: 1, time: { 0 }, sink: { _ in }, tune: { _, v, scale in
            let old = weight; weight = scale ? weight * v : v; return (old, weight)
        }, checkpoint: {})
    }
}
