import Dashboard
import Foundation

/// Where theme files are looked up: ./themes, the checkout's themes/, then ~/.config/dafl/themes.
enum ThemeLocator {
    static var directories: [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let home = ProcessInfo.processInfo.environment["HOME"].map { "\($0)/.config/dafl/themes" }
        return ["themes", root.appendingPathComponent("themes").path] + (home.map { [$0] } ?? [])
    }

    /// The chosen theme first, then every other one found (the `t` key cycles through them).
    static func load(_ choice: String) throws -> [Theme] {
        let first = try Theme.load(choice, directories: directories)
        let others = Theme.available(directories).filter { $0 != first.name }.compactMap { try? Theme.load($0, directories: directories) }
        return [first] + others
    }
}
