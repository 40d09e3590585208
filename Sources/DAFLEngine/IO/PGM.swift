import Foundation

/// Binary greyscale images (PGM, "P5"), which any image viewer opens: how generated samples are saved
/// for a person to look at.
/// ```swift
/// try PGM.write(images, columns: 10, preprocessing: .fashionMNIST, to: URL(fileURLWithPath: "samples.pgm"))
/// ```
public enum PGM {
    /// Writes images [N, 1, S, S] as one binary PGM, `columns` per row, undoing the normalisation.
    public static func write(_ images: Tensor, columns: Int, preprocessing p: Preprocessing, to url: URL) throws {
        let n = images.shape[0], s = images.shape[2], rows = (n + columns - 1) / columns
        let w = columns * (s + 1), h = rows * (s + 1)
        var pixels = [UInt8](repeating: 0, count: w * h)
        for i in 0..<n {
            let (r, c) = (i / columns, i % columns)
            let grey = p.greyLevels(images.data[(i * s * s)..<((i + 1) * s * s)])
            for y in 0..<s {
                for x in 0..<s { pixels[(r * (s + 1) + y) * w + c * (s + 1) + x] = grey[y * s + x] }
            }
        }
        var file = Data("P5\n\(w) \(h)\n255\n".utf8)
        file.append(contentsOf: pixels)
        try file.write(to: url)
    }
}
