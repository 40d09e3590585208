import Foundation
import Testing
@testable import DAFLEngine

/// A user's regression data: IDX images with a text or CSV label file.
@Suite struct RegressionSetTests {
    func tempDir() -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("regset-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// A raw IDX file of `n` 4×4 images, image i filled with grey level 10·i.
    func writeImages(_ n: Int, to url: URL) throws {
        var bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, UInt8(n), 0, 0, 0, 4, 0, 0, 0, 4]
        for i in 0..<n { bytes += [UInt8](repeating: UInt8(10 * i), count: 16) }
        try Data(bytes).write(to: url)
    }

    @Test func loadsImagesWithCSVLabels() throws {
        let d = tempDir()
        try writeImages(3, to: d.appendingPathComponent("img.idx"))
        try "id,age\n0,20\n1, 35.5\n2,50\n".write(to: d.appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
        let set = try RegressionSet.load(images: d.appendingPathComponent("img.idx").path, labels: d.appendingPathComponent("labels.csv").path,
                                         preprocessing: Preprocessing(size: 4, mean: 0, std: 1))
        #expect(set.count == 3 && set.targets == [20, 35.5, 50] && set.range == 20...50 && set.side == 4)
        let (x, y) = set.batch([2, 0])
        #expect(x.shape == [2, 1, 4, 4] && y == [1, 0])
        #expect(abs(x.data[0] - 20 / 255) < 1e-6 && x.data[16] == 0)
        #expect(set.value(0.5) == 35 && set.appending(set).count == 6 && set.prefix(2).targets == [20, 35.5])
    }

    @Test func badLabelFilesNameTheProblem() throws {
        let d = tempDir()
        let img = d.appendingPathComponent("img.idx"), labels = d.appendingPathComponent("labels.txt")
        try writeImages(3, to: img)
        func message(_ text: String) -> String {
            try? text.write(to: labels, atomically: true, encoding: .utf8)
            do { _ = try RegressionSet.load(images: img.path, labels: labels.path, preprocessing: Preprocessing(size: 4, mean: 0, std: 1)); return "" }
            catch { return "\(error)" }
        }
        #expect(message("1\n2\n").contains("2 labels for 3 images"))
        #expect(message("1\nx\n3\n").contains("line 2"))
        #expect(message("1\nnan\n3\n").contains("not a finite number"))
        #expect(message("4\n4\n4\n").contains("nothing to regress"))
        #expect(message("").contains("no labels"))
        #expect(message("1\n2\n3\n") == "")
    }
}
