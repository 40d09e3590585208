import Foundation
import RunEvents
import Testing
@testable import Dashboard

@Suite struct WidgetTests {
    let sentinel: Unicode.Scalar = "·"

    func canvas(_ w: Int, _ h: Int) -> CellBuffer { CellBuffer(width: w, height: h, fill: Cell(char: sentinel)) }

    @Test func smoothingIsTensorBoardsDebiasedEMA() {
        let s = smoothed([1, 2, 3], weight: 0.5)
        // last = 0.5, 1.25, 2.125; debias by 1 − 0.5ⁿ: 1, 1.6667, 2.4286
        #expect(abs(s[0] - 1) < 1e-9 && abs(s[1] - 1.25 / 0.75) < 1e-9 && abs(s[2] - 2.125 / 0.875) < 1e-9)
        #expect(smoothed([1, .nan, 1], weight: 0.9)[1].isNaN)
        #expect(smoothed([4, 4, 4], weight: 0.99).allSatisfy { abs($0 - 4) < 1e-9 })
    }

    @Test func risingCurveGoesUpAndStaysInItsBox() {
        var b = canvas(60, 14)
        let rect = Rect(x: 5, y: 2, width: 50, height: 10)
        b.clipped(to: rect) { buf in
            LineChart.draw(&buf, rect, title: "rising", steps: Array(1...100), values: (1...100).map(Double.init), color: nil, theme: .dark)
        }
        #expect(b.untouched(outside: rect, sentinel: sentinel))
        #expect(b.line(2).contains("rising") && b.line(2).contains("(raw 100.0000)"))
        // The curve's topmost braille cell on the right is higher than on the left.
        func topRow(inColumns xs: Range<Int>) -> Int? {
            (rect.y + 1..<rect.maxY - 2).first { y in xs.contains { x in (0x2800...0x28FF).contains(b[x, y].char.value) } }
        }
        let left = topRow(inColumns: 14..<18), right = topRow(inColumns: 50..<54)
        #expect(left != nil && right != nil && right! < left!, "left \(String(describing: left)) right \(String(describing: right))")
        // Axis labels: maximum on top, minimum at the bottom, step range below.
        #expect(b.line(3).contains("104.9") || b.line(3).contains("105"))
        #expect(b.line(rect.maxY - 2).contains("step 100"))
    }

    @Test func fallingCurveGoesDown() {
        var b = CellBuffer(width: 40, height: 10)
        LineChart.draw(&b, Rect(x: 0, y: 0, width: 40, height: 10), title: "f", steps: Array(1...50), values: (1...50).map { -Double($0) },
                       color: nil, theme: .dark)
        let braille = { (x: Int) in (1..<8).first { (0x2800...0x28FF).contains(b[x, $0].char.value) } }
        #expect(braille(10)! < braille(36)!)
    }

    @Test func markersAndReferenceLineAreDrawn() {
        var b = CellBuffer(width: 60, height: 12)
        var o = LineChart.Options()
        o.markers = [.init(step: 50, label: "β")]
        o.reference = (90, "teacher 90%", nil)
        LineChart.draw(&b, Rect(x: 0, y: 0, width: 60, height: 12), title: "acc", steps: Array(1...100),
                       values: (1...100).map { 50 + Double($0) / 5 }, color: nil, theme: .dark, options: o)
        #expect(b.text.contains("β") && b.text.contains("┊") && b.text.contains("teacher 90%") && b.text.contains("╌"))
    }

    /// In a chart three to a row (28 cells), a long title gives way to the value: "4 distillation L_kd  0." lost
    /// the value's digits before.
    @Test func aNarrowChartShortensItsTitleNotItsValue() {
        var o = LineChart.Options()
        o.keepsTitle = false
        var b = CellBuffer(width: 28, height: 7)
        LineChart.draw(&b, Rect(x: 0, y: 0, width: 28, height: 7), title: "4 distillation L_kd", steps: [1, 2],
                       values: [0.0512, 0.0512], color: nil, theme: .dark, options: o)
        #expect(b.line(0).contains("4 distillatio…  0.0512"), "\(b.line(0))")
        var wide = CellBuffer(width: 60, height: 7)
        LineChart.draw(&wide, Rect(x: 0, y: 0, width: 60, height: 7), title: "4 distillation L_kd", steps: [1, 2],
                       values: [0.0512, 0.0512], color: nil, theme: .dark)
        #expect(wide.line(0).contains("4 distillation L_kd  0.0512"))
    }

    @Test func emptyChartSaysItIsWaiting() {
        var b = CellBuffer(width: 40, height: 6)
        LineChart.draw(&b, Rect(x: 0, y: 0, width: 40, height: 6), title: "kd", steps: [], values: [], color: nil, theme: .dark)
        #expect(b.text.contains("waiting for data"))
    }

    @Test func classBarsMatchCounts() {
        var m = DashboardModel()
        m.apply(Events.config(names: (0..<10).map { "c\($0)" }))
        m.apply(Events.step(1, hist: [8, 4, 2, 1, 1, 0, 0, 0, 0, 0]))
        var b = canvas(50, 14)
        let rect = Rect(x: 1, y: 1, width: 48, height: 12)
        b.clipped(to: rect) { ClassBalanceView.draw(&$0, rect, model: m, theme: .dark) }
        #expect(b.untouched(outside: rect, sentinel: sentinel))
        func barLength(_ row: Int) -> Int { b.line(row).filter { $0 == "█" }.count }
        // Rows 2… hold classes 0…: the bar for 8 is twice that for 4, the empty class has none.
        #expect(barLength(2) > barLength(3) && barLength(3) > barLength(4) && barLength(7) == 0)
        #expect(abs(Double(barLength(2)) / Double(barLength(3)) - 2) < 0.35)
        #expect(b.line(2).contains("c0") && b.line(2).replacingOccurrences(of: " ", with: "").hasSuffix("8│·"))
        #expect(b.line(1).contains("H 0.81/3.32 bits"))
        #expect(b.text.contains("┆"))   // the uniform line
    }

    @Test func previewsShowLabelsInBothModes() {
        let m = Events.model()
        for mode in PreviewMode.allCases {
            var b = canvas(80, 14)
            let rect = Rect(x: 0, y: 0, width: 78, height: 14)
            b.clipped(to: rect) { SamplePreview.draw(&$0, rect, model: m, mode: mode, theme: .dark) }
            #expect(b.untouched(outside: rect, sentinel: sentinel))
            #expect(b.text.contains("Sneak") && b.text.contains(" 93%"), "\(mode)")   // names shorten to fit the tile
            if mode == .halfBlock {
                #expect(b.text.contains("▀"))
            } else {
                #expect(b.text.contains("@") && !b.text.contains("▀"))
            }
        }
    }

    /// Colour samples (CIFAR): half blocks carry the image's colours; ASCII shows its luminance.
    @Test func colourSamplesAreDrawnInColour() {
        var m = Events.model()
        // Red top half, blue bottom half; planes R, G, B.
        let plane = 32 * 32
        let r = (0..<plane).map { $0 < plane / 2 ? UInt8(255) : 0 }, g = [UInt8](repeating: 0, count: plane)
        let bl = (0..<plane).map { $0 < plane / 2 ? UInt8(0) : 255 }
        let img = SamplesEvent.Image(pixels: Data(r + g + bl).base64EncodedString(), label: 3, confidence: 0.5)
        m.apply(.samples(SamplesEvent(step: 60, time: 2, width: 32, height: 32, images: [img], greyRange: [0, 1], channels: 3)))
        var b = canvas(80, 14)
        let rect = Rect(x: 0, y: 0, width: 78, height: 14)
        b.clipped(to: rect) { SamplePreview.draw(&$0, rect, model: m, mode: .halfBlock, theme: .dark) }
        let inner = (1..<13).flatMap { y in (1..<77).map { b[$0, y] } }.filter { $0.char == "▀" }
        #expect(inner.contains { $0.fg == RGB(255, 0, 0) } && inner.contains { $0.bg == RGB(0, 0, 255) }, "no red top or blue bottom")
        var a = canvas(80, 14)
        a.clipped(to: rect) { SamplePreview.draw(&$0, rect, model: m, mode: .ascii, theme: .dark) }
        // Luminance: red 76 of 255 (":"), blue 29 ("."), and no half blocks.
        #expect(!a.text.contains("▀") && a.text.contains(":::") && a.text.contains("..."), "\(a.text)")
    }

    @Test func headerShowsProgressStateAndWeights() {
        var m = Events.model()
        m.apply(.control(ControlEvent(step: 50, time: 30, action: "pause", source: "keyboard")))
        var b = CellBuffer(width: 130, height: 1)
        HeaderView.draw(&b, Rect(x: 0, y: 0, width: 130, height: 1), model: m, theme: .dark, source: "live")
        let line = b.line(0)
        #expect(line.contains("PAUSED") && line.contains("step 50/100") && line.contains("α 0.1") && line.contains("β 5") && line.contains("ETA"))
    }
}
