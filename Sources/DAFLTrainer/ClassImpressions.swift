import DAFLEngine

/// Class impressions (`--impressions N`): procedural pictures walked until the teacher is sure of a class, a fixed
/// bank that makes up a share of every replayed batch (`--impression-share`).
///
/// The generator draws some classes almost never (Pullover, Coat, Dress and Sneaker make a few percent of its
/// memory), and the student agrees with the teacher least on them. Each impression starts as a procedural picture
/// (`ProceduralImages`: one filled shape with grey levels on black, what the generator's blobs lack) and takes
/// `steps` signed-gradient steps down the teacher's cross-entropy for its class, pixels held between black and white,
/// as ZSKD's data impressions and DeepInversion synthesise images from a classifier alone. The classes go round
/// (image i walks toward class i mod K), so the bank is balanced by construction; no data is involved.
///
/// The bank draws from its own generator seeded by the run's seed, so the run's random stream is untouched and a
/// resumed run builds the same bank again instead of storing it in every checkpoint.
/// ```swift
/// let bank = ClassImpressions.build(count: 8192, steps: 40, side: 32, channels: 1, black: -0.81, white: 2.02,
///                                   teacher: teacher, seed: 0)
/// ```
struct ClassImpressions {
    /// The images, `count` × channels × side × side, in the model's input units.
    let images: [Float]
    /// The teacher's logits for them, `count` × classes.
    let logits: [Float]
    let count: Int
    /// Percent of the images the teacher puts in the class they walked toward.
    let onTarget: Double

    /// Signed-gradient step per walk step, in input units (the boundary samples' `--boundary-samples` default).
    static let epsilon: Float = 0.02
    /// Images walked together.
    static let chunk = 256

    static func build(count: Int, steps: Int, side: Int, channels: Int, black: Float, white: Float,
                      teacher: any Classifier, seed: UInt64) -> ClassImpressions {
        // Its own stream: the run's draws stay as they are, and a resume rebuilds the same bank.
        var rng = RNG(seed: seed ^ 0x696D_7072_6573_7321)
        let per = channels &* side &* side, k = teacher.classes
        var images = [Float](), logits = [Float](), hits = 0
        images.reserveCapacity(count &* per); logits.reserveCapacity(count &* k)
        var start = 0
        while start < count {
            let n = Swift.min(chunk, count &- start)
            var x = Tensor(shape: [n, channels, side, side],
                           data: ProceduralImages.draw(count: n, side: side, channels: channels, black: black, white: white, rng: &rng))
            let targets = (start..<(start &+ n)).map { $0 % k }
            BoundarySamples.walk(&x, toward: targets, teacher: teacher, epsilon: epsilon, steps: steps, range: black...white)
            let answers = GradMode.noGrad { teacher(x) }
            hits &+= zip(answers.argmaxRows(), targets).filter { $0 == $1 }.count
            images += x.data; logits += answers.data
            start &+= n
        }
        return ClassImpressions(images: images, logits: logits, count: count,
                                onTarget: Double(hits) / Double(Swift.max(count, 1)) * 100)
    }

    /// Overwrites `rows` images of `x` from row `first` on (and their rows of `t`, the teacher's answers) with
    /// impressions drawn uniformly from the bank.
    func replace(rows: Int, from first: Int = 0, in x: inout Tensor, answers t: inout Tensor, rng: inout RNG) {
        let per = images.count / Swift.max(count, 1), k = logits.count / Swift.max(count, 1)
        x.data.withUnsafeMutableBufferPointer { xp in
            t.data.withUnsafeMutableBufferPointer { tp in
                images.withUnsafeBufferPointer { ip in
                    logits.withUnsafeBufferPointer { lp in
                        for r in first..<(first &+ rows) {
                            let pick = Int(rng.next() % UInt64(count))
                            (xp.baseAddress! + r &* per).update(from: ip.baseAddress! + pick &* per, count: per)
                            (tp.baseAddress! + r &* k).update(from: lp.baseAddress! + pick &* k, count: k)
                        }
                    }
                }
            }
        }
    }
}
