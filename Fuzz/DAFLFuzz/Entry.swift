import Foundation

/// libFuzzer's entry point. One binary holds every target; `DAFL_FUZZ_TARGET` picks the one this
/// process runs (scripts/fuzz.sh sets it), so all of them share one instrumented build.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.selected.run(Data(bytes: bytes, count: size))
    return 0
}

extension FuzzTarget {
    /// The target named by `DAFL_FUZZ_TARGET`; the process stops with the list when it is missing or unknown.
    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["DAFL_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("DAFL_FUZZ_TARGET must be one of: \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return t
    }()

    /// A private scratch directory (in memory where /dev/shm exists): the parsers under test read files.
    static let scratch: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("dafl-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzTarget.scratch) }
        return url
    }()

    /// Writes `data` to `name` in the scratch directory (a fresh file each time) and returns its URL.
    static func file(_ name: String, _ data: Data) -> URL {
        let url = scratch.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        _ = FileManager.default.createFile(atPath: url.path, contents: data)
        return url
    }
}
