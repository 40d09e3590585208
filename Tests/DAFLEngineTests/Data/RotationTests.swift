import Testing
@testable import DAFLEngine

@Suite struct RotationTests {
    func image(_ side: Int) -> [Float] { (0..<(side * side)).map { Float(($0 * 7919) % 251) / 251 } }

    func rotated(_ img: [Float], side: Int, by degrees: Float, fill: Float = -1) -> [Float] {
        var out = [Float](repeating: 0, count: img.count)
        out.withUnsafeMutableBufferPointer { Rotation.rotate(img[...], channels: 1, side: side, degrees: degrees, fill: fill, into: $0) }
        return out
    }

    @Test func quarterTurnsMoveWholePixels() {
        let side = 8, img = image(side)
        #expect(rotated(img, side: side, by: 0) == img)
        // 90° counter-clockwise as seen: output (x, y) is input (S−1−y, x).
        let ccw = rotated(img, side: side, by: 90)
        for y in 0..<side { for x in 0..<side { #expect(Swift.abs(ccw[y * side + x] - img[x * side + (side - 1 - y)]) < 1e-4) } }
        expectClose(rotated(img, side: side, by: 360), img, rtol: 0, atol: 1e-4, "a full turn")
    }

    @Test func cornersFillAtFortyFiveDegrees() {
        let side = 8
        let r = rotated(image(side), side: side, by: 45, fill: -3)
        #expect(r[0] == -3 && r[side - 1] == -3 && r[side * side - 1] == -3)
        #expect(r[side / 2 * side + side / 2] != -3)
    }

    @Test func taskDrawsAnglesInRangeAndNormalisesLabels() {
        var rng = RNG(seed: 1)
        let data = Dataset(images: rng.normal(count: 5 * 64), labels: [0, 1, 2, 3, 4], side: 8, classes: 5)
        let task = Rotation.task(data, degrees: -45...45, seed: 9, fill: -1)
        #expect(task.count == 5 && task.targets.allSatisfy { (-45...45).contains($0) })
        #expect(Rotation.task(data, degrees: -45...45, seed: 9, fill: -1).targets == task.targets)
        let (x, y) = task.batch([4, 0])
        #expect(x.shape == [2, 1, 8, 8] && y == [task.normalised(task.targets[4]), task.normalised(task.targets[0])])
        #expect(y.allSatisfy { (0...1).contains($0) } && Swift.abs(task.value(y[0]) - task.targets[4]) < 1e-4)
        // Each image is its source rotated by its own angle.
        #expect(Array(task.images[0..<64]) == rotated(Array(data.images[0..<64]), side: 8, by: task.targets[0]))
    }
}
