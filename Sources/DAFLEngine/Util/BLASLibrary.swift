import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS, loaded at run time with kernels chosen for this processor.
///
/// OpenBLAS picks its kernels (its "core type") once, when the library loads, from a table of the
/// processors it knew when it was built. Debian's 0.3.21 falls back to its slowest, SSE3-only kernels
/// (Prescott) on processors newer than that table, such as recent Intel Xeons with AVX-512: three
/// times slower. So the engine does not link OpenBLAS; on first use it reads what the processor
/// supports, sets `OPENBLAS_CORETYPE` to the matching core unless the user already set it, and only
/// then loads the library.
/// ```swift
/// let blas = BLASLibrary.shared       // loads on first use
/// print(blas.core, blas.coreSource)   // "SkylakeX", "chosen for this CPU (avx512f avx512dq …)"
/// ```
public final class BLASLibrary: @unchecked Sendable {
    typealias SgemmFunction = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
                                              UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
                                              Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreadsFunction = @convention(c) (Int32) -> Void
    typealias StringFunction = @convention(c) () -> UnsafePointer<CChar>?

    /// The file that was loaded, as it was named to the dynamic loader.
    public let path: String
    /// OpenBLAS's own description, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64`.
    public let config: String
    /// The core whose kernels run, as OpenBLAS names it (`SkylakeX`, `Haswell`, `Zen`, `Prescott`, …).
    public let core: String
    /// Why that core: the user's `OPENBLAS_CORETYPE`, the engine's choice for this CPU, or OpenBLAS's own detection.
    public let coreSource: String
    /// `OPENBLAS_CORETYPE` as the user set it before loading (the engine sets it otherwise).
    public let userCore: String?

    let sgemm: SgemmFunction
    let setThreads: SetThreadsFunction

    /// The process's OpenBLAS; a missing library ends the process with a message saying what to install.
    public static let shared: BLASLibrary = {
        do { return try load() } catch {
            FileHandle.standardError.write(Data("dafl: \(error)\n".utf8))
            exit(1)
        }
    }()

    /// Names the dynamic loader is asked for, in order; `DAFL_OPENBLAS` (a path) comes first when set.
    static var candidates: [String] {
        let own = ProcessInfo.processInfo.environment["DAFL_OPENBLAS"].map { [$0] } ?? []
        return own + ["libopenblas.so.0", "libopenblas.so", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"]
    }

    init(path: String, config: String, core: String, coreSource: String, userCore: String?,
         sgemm: @escaping SgemmFunction, setThreads: @escaping SetThreadsFunction) {
        self.path = path; self.config = config; self.core = core; self.coreSource = coreSource; self.userCore = userCore
        self.sgemm = sgemm; self.setThreads = setThreads
    }

    /// The OpenBLAS core type for a processor: the fastest kernels it can run. nil leaves the choice
    /// to OpenBLAS, whose table knows every processor without AVX2 (they all predate it).
    ///
    /// AVX-512 (F, DQ, CD, BW, VL) gets SkylakeX on Intel and AMD alike (newer OpenBLAS releases use it
    /// for Zen 4 too). Cooperlake, OpenBLAS's core for AVX-512 BF16, adds only bf16 GEMM to SkylakeX's
    /// kernels, so SkylakeX loses nothing for single precision. AVX2 with FMA gets Haswell, or Zen
    /// (the same kernels, blocked for AMD's caches) on AMD and Hygon.
    public static func chooseCore(for cpu: CPUInfo) -> String? {
        if cpu.has("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl") { return "SkylakeX" }
        if cpu.has("avx2", "fma") { return ["AuthenticAMD", "HygonGenuine"].contains(cpu.vendor) ? "Zen" : "Haswell" }
        return nil
    }

    /// Loads the first of `candidates` that exists; `shared` is the one the engine uses.
    static func load(candidates: [String] = candidates) throws -> BLASLibrary {
        let user = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        var source: String
        var handle: UnsafeMutableRawPointer? = nil
        var path = ""
        // Already in the process (a host program linked it): its core is fixed, so only report it.
        for name in candidates {
            if let h = dlopen(name, RTLD_NOW | RTLD_NOLOAD) { handle = h; path = name; break }
        }
        if handle != nil {
            source = "loaded before dafl could choose"
        } else if let user {
            source = "OPENBLAS_CORETYPE=\(user) set by the user"
        } else if let core = chooseCore(for: .current) {
            setenv("OPENBLAS_CORETYPE", core, 0)
            source = "chosen for this CPU"
        } else {
            source = "OpenBLAS's own detection"
        }
        var errors: [String] = []
        if handle == nil {
            for name in candidates {
                if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) { handle = h; path = name; break }
                errors.append(dlerror().map { String(cString: $0) } ?? name)
            }
        }
        guard let handle else {
            throw BLASLoadError(message: """
                cannot load OpenBLAS, which the engine needs for matrix products (\(errors.joined(separator: "; "))). \
                Install it with `sudo apt-get install libopenblas0`, or name the library file in DAFL_OPENBLAS.
                """)
        }
        func symbol<T>(_ name: String, as: T.Type) throws -> T {
            guard let p = dlsym(handle, name) else {
                throw BLASLoadError(message: "\(path) is not OpenBLAS: it has no \(name)")
            }
            return unsafeBitCast(p, to: T.self)
        }
        let sgemm = try symbol("cblas_sgemm", as: SgemmFunction.self)
        let setThreads = try symbol("openblas_set_num_threads", as: SetThreadsFunction.self)
        func string(_ name: String) -> String {
            guard let p = dlsym(handle, name), let s = unsafeBitCast(p, to: StringFunction.self)() else { return "unknown" }
            return String(cString: s)
        }
        let config = string("openblas_get_config")
        // openblas_get_corename answers in lower case; the config string carries the proper name last but one.
        let lower = string("openblas_get_corename")
        let core = config.split(separator: " ").first { $0.lowercased() == lower }.map(String.init) ?? lower
        return BLASLibrary(path: path, config: config, core: core, coreSource: source, userCore: user, sgemm: sgemm, setThreads: setThreads)
    }
}

/// Why OpenBLAS could not be loaded.
public struct BLASLoadError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
