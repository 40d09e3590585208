import Foundation

/// Self-describing model files: safetensors with PyTorch names plus metadata that says which
/// network it is and how its inputs are preprocessed, so `dafl eval --weights FILE` needs nothing else.
///
/// ```swift
/// try ModelFile.save(teacher, preprocessing: .fashionMNIST, extra: ["dataset": "fashion-mnist"], to: url)
/// let (net, prep, meta) = try ModelFile.loadClassifier(url)
/// ```
public enum ModelFile {
    public static func save(_ model: Model, preprocessing: Preprocessing?, extra: [String: String] = [:], to url: URL) throws {
        var meta = model.metadata
        if let p = preprocessing { meta.merge(p.metadata) { $1 } }
        meta.merge(extra) { $1 }
        try Safetensors.write(model.stateDict, metadata: meta, to: url)
    }

    /// Loads a LeNet-5 or LeNet-5-half. Files without metadata (plain `save_file(state_dict)`)
    /// are recognised by conv1's shape and get Fashion-MNIST preprocessing.
    public static func loadClassifier(_ url: URL) throws -> (model: LeNet5, preprocessing: Preprocessing, metadata: [String: String]) {
        let file = try Safetensors.read(url)
        let meta = file.metadata
        let width: LeNet5.Width
        if let arch = meta["arch"] {
            guard let w = LeNet5.Width(rawValue: arch) else {
                throw WeightsError(file: url.path, problem: "architecture '\(arch)' is not a classifier this version knows (lenet5, lenet5-half)")
            }
            width = w
        } else if let conv1 = file.tensors["conv1.weight"] {
            width = conv1.shape.first == 3 ? .half : .full
        } else {
            throw WeightsError(file: url.path, problem: "no 'arch' metadata and no 'conv1.weight' tensor: not a LeNet-5 weights file")
        }
        let classes = meta["num_classes"].flatMap(Int.init) ?? file.tensors["fc2.weight"]?.shape.first ?? 10
        let inCh = meta["in_channels"].flatMap(Int.init) ?? file.tensors["conv1.weight"]?.shape.dropFirst().first ?? 1
        // The sizes the metadata gives must be the tensors' before a network of that size is built:
        // a damaged number would otherwise ask for gigabytes or a negative count (fuzz-target regression seeds).
        try fits(file, url, "fc2.weight", dim: 0, is: classes, key: "num_classes")
        try fits(file, url, "conv1.weight", dim: 1, is: inCh, key: "in_channels")
        var rng = RNG(seed: 0)
        let model = LeNet5(width, classes: classes, inChannels: inCh, rng: &rng)
        try model.load(stateDict: file.tensors, source: url.path)
        return (model, Preprocessing(metadata: meta) ?? .fashionMNIST, meta)
    }

    /// Loads a CIFAR ResNet-18 or -34 (metadata `arch` `resnet18`/`resnet34`, or a plain PyTorch
    /// `state_dict` recognised by its `layer3.5` blocks), its width and classes read from the tensors.
    /// Preprocessing is not part of the answer: the CIFAR statistics are not the grey-image kind.
    public static func loadResNet(_ url: URL) throws -> (model: ResNet, metadata: [String: String]) {
        let file = try Safetensors.read(url)
        let meta = file.metadata
        let depth: ResNet.Depth
        if let arch = meta["arch"] {
            guard let d = ResNet.Depth(rawValue: arch) else {
                throw WeightsError(file: url.path, problem: "architecture '\(arch)' is not a ResNet this version knows (resnet18, resnet34)")
            }
            depth = d
        } else {
            guard file.tensors["layer1.0.conv1.weight"] != nil else {
                throw WeightsError(file: url.path, problem: "no 'arch' metadata and no 'layer1.0.conv1.weight': not a CIFAR ResNet weights file")
            }
            depth = file.tensors["layer3.5.conv1.weight"] != nil ? .resnet34 : .resnet18
        }
        guard let stem = file.tensors["conv1.weight"], stem.shape.count == 4, let head = file.tensors["linear.weight"], head.shape.count == 2 else {
            throw WeightsError(file: url.path, problem: "missing tensor 'conv1.weight' or 'linear.weight'")
        }
        let (width, inChannels, classes) = (stem.shape[0], stem.shape[1], head.shape[0])
        // Sizes from the tensors, checked before a network of that size is built.
        guard (1...1024).contains(width), (1...16).contains(inChannels), (1...100_000).contains(classes), head.shape[1] == 8 * width else {
            throw WeightsError(file: url.path, problem: "conv1.weight \(stem.shape) and linear.weight \(head.shape) do not make a CIFAR ResNet")
        }
        var rng = RNG(seed: 0)
        let model = ResNet(depth, classes: classes, width: width, inChannels: inChannels, rng: &rng)
        try model.load(stateDict: file.tensors, source: url.path)
        return (model, meta)
    }

    /// A conditional generator saved by `dafl cgan train` (metadata `arch` = `dafl-cgenerator`).
    public static func loadConditionalGenerator(_ url: URL) throws -> (model: ConditionalGenerator, preprocessing: Preprocessing) {
        let file = try Safetensors.read(url)
        let meta = file.metadata
        guard meta["arch"] == "dafl-cgenerator" else {
            throw WeightsError(file: url.path, problem: "not a conditional generator (arch '\(meta["arch"] ?? "none")', expected dafl-cgenerator)")
        }
        func int(_ key: String) throws -> Int { try positiveInt(meta, key, url) }
        guard let conditioning = ConditionalGenerator.Conditioning(rawValue: meta["conditioning"] ?? "noise") else {
            throw WeightsError(file: url.path, problem: "unknown conditioning '\(meta["conditioning"] ?? "")' (noise or batchnorm)")
        }
        let (classes, latent, width, channels, size) = (try int("num_classes"), try int("latent"), try int("width"),
                                                        try int("channels"), try int("image_size"))
        guard size % 4 == 0, width % 2 == 0 else {
            throw WeightsError(file: url.path, problem: "metadata image_size \(size) must be a multiple of 4 and width \(width) even")
        }
        // Checked against the tensors before anything of that size is allocated (see loadClassifier).
        let (l1Out, l1Overflow) = width.multipliedReportingOverflow(by: (size / 4) * (size / 4))
        guard !l1Overflow else { throw WeightsError(file: url.path, problem: "metadata width \(width) and image_size \(size) are implausible") }
        try fits(file, url, "l1.0.weight", dim: 0, is: l1Out, key: "width and image_size")
        try fits(file, url, "l1.0.weight", dim: 1, is: latent, key: "latent")
        try fits(file, url, "conv_blocks2.3.weight", dim: 0, is: channels, key: "channels")
        try fits(file, url, conditioning == .noise ? "label_emb.weight" : "conv_blocks0.0.gamma.weight", dim: 0, is: classes, key: "num_classes")
        var rng = RNG(seed: 0)
        let model = ConditionalGenerator(classes: classes, latent: latent, width: width, channels: channels, imageSize: size,
                                         conditioning: conditioning, rng: &rng)
        guard let output = Generator.output(metadata: meta) else {
            throw WeightsError(file: url.path, problem: "metadata output '\(meta["output"] ?? "")' is not batchnorm, or grey with output_black < output_white")
        }
        model.generator.output = output
        try model.load(stateDict: file.tensors, source: url.path)
        return (model, Preprocessing(metadata: meta) ?? .fashionMNIST)
    }

    /// Reads a CcGAN generator (`dafl-ccgenerator`, written by `dafl cgan train --task rotation|files`) with
    /// its label embedding, and the label range its [0, 1] labels stand for (metadata `label_min`, `label_max`).
    public static func loadContinuousGenerator(_ url: URL) throws
        -> (model: ContinuousConditionalGenerator, preprocessing: Preprocessing, labels: ClosedRange<Float>?) {
        let file = try Safetensors.read(url)
        let meta = file.metadata
        guard meta["arch"] == "dafl-ccgenerator" else {
            throw WeightsError(file: url.path, problem: "not a continuous-label (CcGAN) generator (arch '\(meta["arch"] ?? "none")', expected dafl-ccgenerator)")
        }
        func int(_ key: String) throws -> Int { try positiveInt(meta, key, url) }
        let (latent, width, channels, size, dim) = (try int("latent"), try int("width"), try int("channels"), try int("image_size"), try int("dim_embed"))
        guard size % 4 == 0, width % 2 == 0, dim % 8 == 0, dim >= 16 else {
            throw WeightsError(file: url.path, problem: "metadata image_size \(size) must be a multiple of 4, width \(width) even and dim_embed \(dim) a multiple of 8 from 16")
        }
        let (l1Out, l1Overflow) = width.multipliedReportingOverflow(by: (size / 4) * (size / 4))
        guard !l1Overflow else { throw WeightsError(file: url.path, problem: "metadata width \(width) and image_size \(size) are implausible") }
        try fits(file, url, "l1.0.weight", dim: 0, is: l1Out, key: "width and image_size")
        try fits(file, url, "l1.0.weight", dim: 1, is: latent, key: "latent")
        try fits(file, url, "conv_blocks2.3.weight", dim: 0, is: channels, key: "channels")
        try fits(file, url, "y2h.main.0.weight", dim: 0, is: dim, key: "dim_embed")
        try fits(file, url, "conv_blocks0.0.embed_gamma.weight", dim: 1, is: dim, key: "dim_embed")
        var rng = RNG(seed: 0)
        let model = ContinuousConditionalGenerator(embedding: LabelEmbedding(dimension: dim, rng: &rng), latent: latent, width: width,
                                                   channels: channels, imageSize: size, rng: &rng)
        try model.load(stateDict: file.tensors, source: url.path)
        var labels: ClosedRange<Float>? = nil
        if let lo = meta["label_min"].flatMap(Float.init), let hi = meta["label_max"].flatMap(Float.init), lo < hi { labels = lo...hi }
        return (model, Preprocessing(metadata: meta) ?? .fashionMNIST, labels)
    }

    /// Metadata `key` as a positive integer, or an error naming the file and the key.
    private static func positiveInt(_ meta: [String: String], _ key: String, _ url: URL) throws -> Int {
        guard let v = meta[key].flatMap(Int.init), v > 0 else {
            throw WeightsError(file: url.path, problem: "metadata '\(key)' is missing or not a positive integer")
        }
        return v
    }

    /// Throws unless `name` exists and its dimension `dim` equals `value`, the size metadata `key` implies.
    private static func fits(_ file: Safetensors.File, _ url: URL, _ name: String, dim: Int, is value: Int, key: String) throws {
        guard let t = file.tensors[name] else { throw WeightsError(file: url.path, problem: "missing tensor '\(name)'") }
        guard t.shape.count > dim, t.shape[dim] == value else {
            throw WeightsError(file: url.path, problem: "metadata \(key) gives \(value), but '\(name)' has shape \(t.shape)")
        }
    }
}
