import Testing
@testable import Dashboard

@Suite struct CellBufferTests {
    @Test func textIsClippedToItsRectangle() {
        var b = CellBuffer(width: 10, height: 3)
        b.clipped(to: Rect(x: 2, y: 1, width: 4, height: 1)) { $0.text("abcdefgh", x: 0, y: 1) }
        #expect(b.line(1) == "  cdef    ")
        #expect(b.line(0).allSatisfy { $0 == " " } && b.line(2).allSatisfy { $0 == " " })
    }

    @Test func writesOutsideTheBufferAreIgnored() {
        var b = CellBuffer(width: 4, height: 2)
        b.text("toolong", x: -2, y: 0)
        b.set(10, 10, Cell(char: "x"))
        b.set(-1, 1, Cell(char: "x"))
        #expect(b.plainText() == "olon\n")
    }

    @Test func boxDrawsItsTitleAndReturnsTheInside() {
        var b = CellBuffer(width: 20, height: 5)
        let inner = Box.draw(&b, Rect(x: 0, y: 0, width: 20, height: 5), title: "losses", theme: .dark)
        #expect(inner == Rect(x: 1, y: 1, width: 18, height: 3))
        #expect(b.line(0).hasPrefix("╭─ losses ─") && b.line(4).hasPrefix("╰──"))
    }
}

@Suite struct ThemeTests {
    @Test func parsesBothForms() throws {
        let t = try Theme.parse("""
        # comment
        theme[oh]="#ff0000"
        a = 0 255 0   # green
        theme[main_bg]=""
        ie = #80
        """, name: "x")
        #expect(t.color("oh") == RGB(255, 0, 0) && t.color("a") == RGB(0, 255, 0))
        #expect(t.color("main_bg") == nil && t.color("ie") == .grey(0x80))
        #expect(t.color("kd") == Theme.dark.color("kd"))   // missing keys fall back
    }

    @Test func badValuesNameFileLineAndKey() {
        #expect { try Theme.parse("oh = #12\nkd = red\n", name: "bad.theme") } throws: { e in
            guard let e = e as? ThemeError else { return false }
            return e.file == "bad.theme" && e.line == 2 && e.problem.hasPrefix("kd:")
        }
        #expect(throws: ThemeError.self) { try Theme.parse("theme[oh]", name: "x") }
    }

    @Test func shippedThemesAllLoad() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("themes").path
        let names = Theme.available([dir])
        #expect(Set(["dark", "light", "high-contrast", "mono"]).isSubset(of: Set(names)))
        for n in names { _ = try Theme.load(n, directories: [dir]) }
        let mono = try Theme.load("mono", directories: [dir])
        #expect(mono.color("oh") == nil && mono.color("main_fg") == nil)
        #expect { try Theme.load("nope", directories: [dir]) } throws: { ($0 as? ThemeError)?.problem.contains("available: ") == true }
    }
}

import Foundation

@Suite struct ColorDepthTests {
    @Test func environmentDecides() {
        #expect(ColorDepth.detect(reportedColors: 256, environment: ["TERM": "xterm-256color"]) == .full256)
        #expect(ColorDepth.detect(reportedColors: 8, environment: ["TERM": "xterm"]) == .eight)
        #expect(ColorDepth.detect(reportedColors: 256, environment: ["TERM": "xterm-256color", "NO_COLOR": ""]) == ColorDepth.none)
        #expect(ColorDepth.detect(reportedColors: 8, environment: ["TERM": "dumb"]) == ColorDepth.none)
    }

    @Test func mapsToNearestColours() {
        #expect(ColorDepth.index256(RGB(255, 0, 0)) == 196)
        #expect(ColorDepth.index256(.grey(128)) == 244)
        #expect(ColorDepth.index256(RGB(0, 0, 0)) == 16 || ColorDepth.index256(RGB(0, 0, 0)) == 232)
        #expect(ColorDepth.index8(RGB(250, 30, 30)) == 1 && ColorDepth.index8(RGB(30, 220, 30)) == 2)
        #expect(ColorDepth.index8(.grey(20)) == 0 && ColorDepth.index8(.grey(230)) == 7)
    }
}
