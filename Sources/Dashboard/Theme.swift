import Foundation

/// The dashboard's colours by role, read from a theme file.
///
/// Files hold one setting a line, `theme[key]="value"` (btop's form) or `key = value`, with `#`
/// comments. A value is `#RRGGBB`, `#BW` (a two-digit hex grey), `R G B` (0–255 each), or empty for
/// the terminal's default. Unknown keys are ignored; missing keys keep the built-in dark value.
/// ```
/// # themes/dark.theme
/// theme[main_bg]=""
/// theme[oh]="#f5a97f"
/// ```
public struct Theme: Sendable, Equatable {
    public var name: String
    /// Every role's colour; nil means the terminal's default.
    public var colors: [String: RGB?]

    /// The roles a theme can set, with what they colour.
    public static let roles: [(String, String)] = [
        ("main_bg", "background"), ("main_fg", "ordinary text"), ("title", "box titles"), ("hi_fg", "key hints, highlights"),
        ("inactive_fg", "secondary text, raw curves"), ("div_line", "box borders"), ("graph_text", "axis labels"),
        ("selected_bg", "focused box border / selection"), ("selected_fg", "text on selection"),
        ("oh", "one-hot loss"), ("a", "activation loss"), ("ie", "information-entropy loss"), ("kd", "distillation loss"),
        ("total", "total loss"), ("student", "student accuracy"), ("teacher", "teacher accuracy line"),
        ("bar", "class-balance bars"), ("bar_window", "running-window bars"), ("ideal", "uniform-class line"),
        ("running", "running state"), ("paused", "paused state"), ("warning", "warnings, halts"), ("marker", "α/β change markers"),
    ]

    public func color(_ role: String) -> RGB? { colors[role] ?? Theme.dark.colors[role] ?? nil }

    /// The built-in default (also the fallback for keys a file leaves out).
    public static let dark = Theme(name: "dark", colors: [
        "main_bg": nil, "main_fg": RGB(0xcd, 0xd6, 0xf4), "title": RGB(0x89, 0xb4, 0xfa), "hi_fg": RGB(0xf9, 0xe2, 0xaf),
        "inactive_fg": RGB(0x6c, 0x70, 0x86), "div_line": RGB(0x58, 0x5b, 0x70), "graph_text": RGB(0xa6, 0xad, 0xc8),
        "selected_bg": RGB(0x31, 0x32, 0x44), "selected_fg": RGB(0xf5, 0xe0, 0xdc),
        "oh": RGB(0xf3, 0x8b, 0xa8), "a": RGB(0xa6, 0xe3, 0xa1), "ie": RGB(0x89, 0xdc, 0xeb), "kd": RGB(0xfa, 0xb3, 0x87),
        "total": RGB(0xcb, 0xa6, 0xf7), "student": RGB(0xa6, 0xe3, 0xa1), "teacher": RGB(0xf9, 0xe2, 0xaf),
        "bar": RGB(0x89, 0xb4, 0xfa), "bar_window": RGB(0x58, 0x5b, 0x70), "ideal": RGB(0xf9, 0xe2, 0xaf),
        "running": RGB(0xa6, 0xe3, 0xa1), "paused": RGB(0xf9, 0xe2, 0xaf), "warning": RGB(0xf3, 0x8b, 0xa8),
        "marker": RGB(0xf9, 0xe2, 0xaf),
    ])

    /// Parses a theme file's text; `name` labels it and its errors.
    public static func parse(_ text: String, name: String) throws -> Theme {
        var t = Theme(name: name, colors: [:])
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var key: String, value: String
            if line.hasPrefix("theme[") {
                guard let close = line.firstIndex(of: "]"), let eq = line[close...].firstIndex(of: "=") else {
                    throw ThemeError(file: name, line: i + 1, problem: "expected theme[key]=\"value\"")
                }
                key = String(line[line.index(line.startIndex, offsetBy: 6)..<close])
                value = String(line[line.index(after: eq)...])
            } else {
                // A comment after a value is " # …" (a hash followed by a space; "#80" is a colour).
                if let hash = line.range(of: " # ") ?? (line.hasSuffix(" #") ? line.range(of: " #", options: .backwards) : nil) {
                    line = String(line[..<hash.lowerBound])
                }
                guard let eq = line.firstIndex(of: "=") else {
                    throw ThemeError(file: name, line: i + 1, problem: "expected key = value")
                }
                key = String(line[..<eq])
                value = String(line[line.index(after: eq)...])
            }
            key = key.trimmingCharacters(in: .whitespaces)
            value = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            do { t.colors[key] = try parseColor(value) } catch let e as ThemeError {
                throw ThemeError(file: name, line: i + 1, problem: "\(key): \(e.problem)")
            }
        }
        return t
    }

    /// `#RRGGBB`, `#BW`, `R G B`, or empty (nil: terminal default).
    public static func parseColor(_ v: String) throws -> RGB? {
        if v.isEmpty { return nil }
        if v.hasPrefix("#") {
            let hex = v.dropFirst()
            guard let n = UInt32(hex, radix: 16) else { throw ThemeError(file: "", line: nil, problem: "'\(v)' is not hex") }
            if hex.count == 6 { return RGB(UInt8(n >> 16), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)) }
            if hex.count == 2 { return .grey(UInt8(n)) }
            throw ThemeError(file: "", line: nil, problem: "'\(v)' should be #RRGGBB or #BW")
        }
        let parts = v.split(separator: " ").compactMap { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ (0...255).contains($0) }) else {
            throw ThemeError(file: "", line: nil, problem: "'\(v)' should be #RRGGBB, #BW or three numbers 0-255")
        }
        return RGB(UInt8(parts[0]), UInt8(parts[1]), UInt8(parts[2]))
    }

    /// Loads `NAME` from the theme directories, or a path.
    public static func load(_ nameOrPath: String, directories: [String]) throws -> Theme {
        var candidates = [nameOrPath]
        for d in directories { candidates += ["\(d)/\(nameOrPath).theme", "\(d)/\(nameOrPath)"] }
        for c in candidates where FileManager.default.fileExists(atPath: c) {
            guard let text = try? String(contentsOfFile: c, encoding: .utf8) else {
                throw ThemeError(file: c, line: nil, problem: "cannot read")
            }
            return try parse(text, name: (c as NSString).lastPathComponent.replacingOccurrences(of: ".theme", with: ""))
        }
        throw ThemeError(file: nameOrPath, line: nil,
                         problem: "no such theme (looked in \(directories.joined(separator: ", "))); available: \(available(directories).joined(separator: ", "))")
    }

    /// Theme names found in the directories.
    public static func available(_ directories: [String]) -> [String] {
        var names: [String] = []
        for d in directories {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] where f.hasSuffix(".theme") {
                names.append(String(f.dropLast(6)))
            }
        }
        return Array(Set(names)).sorted()
    }
}

public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let problem: String
    public var description: String { line.map { "\(file):\($0): \(problem)" } ?? "\(file): \(problem)" }
}
