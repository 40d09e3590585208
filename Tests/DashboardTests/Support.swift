import Foundation
import RunEvents
@testable import Dashboard

/// Builds plausible events for a run of `steps` iterations.
enum Events {
    static func config(iterations: Int = 100, names: [String] = []) -> RunEvent {
        .config(ConfigEvent(step: 0, time: 0, run: "testrun", preset: "cpu",
                            settings: ["iterations": "\(iterations)", "alpha": "0.1", "beta": "5", "oh": "1"],
                            classNames: names, resumed: false, teacherAccuracy: 90.5))
    }

    static func step(_ n: Int, oh: Double = 0.2, hist: [Int] = [3, 1, 0, 0, 0, 0, 0, 0, 0, 0]) -> RunEvent {
        .step(StepEvent(step: n, time: Double(n) * 0.5, oh: oh, a: -1.5, ie: -0.9, kd: 1 / Double(n), total: -3,
                        alpha: 0.1, beta: 5, ohWeight: 1, lrG: 0.2, lrS: 0.002, hist: hist, histEntropy: 0.81, stepsPerSecond: 2))
    }

    static func eval(_ n: Int, _ acc: Double) -> RunEvent {
        .eval(EvalEvent(step: n, time: Double(n), studentAccuracy: acc, teacherAccuracy: 90.5, agreement: acc + 1, bestStudentAccuracy: acc))
    }

    static func samples(_ n: Int, count: Int = 4) -> RunEvent {
        let px = (0..<1024).map { UInt8(($0 % 32) * 8) }
        let img = SamplesEvent.Image(pixels: Data(px).base64EncodedString(), label: 7, confidence: 0.93)
        return .samples(SamplesEvent(step: n, time: 1, width: 32, height: 32, images: Array(repeating: img, count: count)))
    }

    static func model(steps: Int = 50) -> DashboardModel {
        var m = DashboardModel()
        m.apply(config(iterations: 100, names: ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]))
        for i in 1...steps { m.apply(step(i, oh: Double(i) / Double(steps))) }
        m.apply(samples(steps))
        m.apply(eval(20, 60)); m.apply(eval(40, 70))
        return m
    }
}

extension CellBuffer {
    /// Every cell outside `r` equals `sentinel`'s character.
    func untouched(outside r: Rect, sentinel: Unicode.Scalar) -> Bool {
        for y in 0..<height { for x in 0..<width where !r.contains(x, y) && self[x, y].char != sentinel { return false } }
        return true
    }

    var text: String { plainText() }
}
