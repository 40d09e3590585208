import Foundation

/// How many colours the terminal can show, and how an RGB maps onto them.
public enum ColorDepth: String, Sendable {
    case none, eight = "8", full256 = "256"

    /// From the environment: NO_COLOR (any value) or TERM=dumb → none; else what ncurses reports.
    public static func detect(reportedColors: Int, environment: [String: String] = ProcessInfo.processInfo.environment) -> ColorDepth {
        if environment["NO_COLOR"] != nil || environment["TERM"] == "dumb" || environment["TERM"] == nil { return .none }
        if reportedColors >= 256 { return .full256 }
        if reportedColors >= 8 { return .eight }
        return .none
    }

    /// The xterm-256 index nearest an RGB: the 6×6×6 cube or the 24-step grey ramp.
    public static func index256(_ c: RGB) -> Int {
        func cube(_ v: UInt8) -> Int { v < 48 ? 0 : v < 115 ? 1 : (Int(v) - 35) / 40 }
        let levels = [0, 95, 135, 175, 215, 255]
        let (ri, gi, bi) = (cube(c.r), cube(c.g), cube(c.b))
        let cubeColor = (levels[ri], levels[gi], levels[bi])
        let avg = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        let greyIndex = avg > 238 ? 23 : Swift.max(0, (avg - 3) / 10)
        let grey = 8 + greyIndex * 10
        func dist(_ a: (Int, Int, Int)) -> Int {
            let dr = a.0 - Int(c.r), dg = a.1 - Int(c.g), db = a.2 - Int(c.b)
            return dr * dr + dg * dg + db * db
        }
        return dist((grey, grey, grey)) < dist(cubeColor) ? 232 + greyIndex : 16 + 36 * ri + 6 * gi + bi
    }

    /// The nearest of the 8 ANSI colours (black, red, green, yellow, blue, magenta, cyan, white).
    public static func index8(_ c: RGB) -> Int {
        let (r, g, b) = (Int(c.r), Int(c.g), Int(c.b))
        let mx = Swift.max(r, g, b), mn = Swift.min(r, g, b)
        if mx - mn < 40 { return mx < 100 ? 0 : 7 }   // greys: black or white
        let t = (mx + mn) / 2
        return (r >= t ? 1 : 0) | (g >= t ? 2 : 0) | (b >= t ? 4 : 0)
    }
}
