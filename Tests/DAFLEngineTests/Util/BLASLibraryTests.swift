import Foundation
import Testing
@testable import DAFLEngine

@Suite struct BLASLibraryTests {
    func cpu(_ vendor: String, _ features: String) -> CPUInfo {
        CPUInfo(vendor: vendor, features: Set(features.split(separator: " ").map(String.init)))
    }
    let sse = "sse2 sse3 ssse3 sse4_1 sse4_2"
    var avx2: String { sse + " avx fma avx2" }
    var avx512: String { avx2 + " avx512f avx512dq avx512cd avx512bw avx512vl" }

    @Test func choosesTheFastestCoreEachProcessorCanRun() {
        // Sapphire Rapids and later Xeons: unknown to Debian's OpenBLAS 0.3.21, which falls back to Prescott.
        #expect(BLASLibrary.chooseCore(for: cpu("GenuineIntel", avx512 + " avx512_vnni avx512_bf16 avx512_fp16")) == "SkylakeX")
        #expect(BLASLibrary.chooseCore(for: cpu("AuthenticAMD", avx512 + " avx512_bf16")) == "SkylakeX")   // Zen 4
        #expect(BLASLibrary.chooseCore(for: cpu("GenuineIntel", avx2)) == "Haswell")
        #expect(BLASLibrary.chooseCore(for: cpu("AuthenticAMD", avx2)) == "Zen")
        #expect(BLASLibrary.chooseCore(for: cpu("HygonGenuine", avx2)) == "Zen")
        // Knights Landing: AVX-512F and CD without BW/VL/DQ runs the AVX2 kernels.
        #expect(BLASLibrary.chooseCore(for: cpu("GenuineIntel", avx2 + " avx512f avx512cd")) == "Haswell")
        // AVX2 without FMA does not exist in practice, but must not get FMA kernels.
        #expect(BLASLibrary.chooseCore(for: cpu("GenuineIntel", sse + " avx avx2")) == nil)
        #expect(BLASLibrary.chooseCore(for: cpu("GenuineIntel", sse + " avx")) == nil)
        #expect(BLASLibrary.chooseCore(for: cpu("", "")) == nil)
    }

    @Test func cpuidAgreesWithTheKernel() throws {
        // /proc/cpuinfo lists what the kernel found usable; our CPUID reading must find the same sets.
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let flags = Set(line.split(separator: ":")[1].split(separator: " ").map { $0 == "pni" ? "sse3" : String($0) })
        let ours = Set(CPUInfo.reportOrder)
        #expect(CPUInfo.current.features == flags.intersection(ours))
        #expect(!CPUInfo.current.modelName.isEmpty)
        if text.contains("GenuineIntel") { #expect(CPUInfo.current.vendor == "GenuineIntel") }
        if text.contains("AuthenticAMD") { #expect(CPUInfo.current.vendor == "AuthenticAMD") }
    }

    @Test func loadedCoreIsTheUsersOrTheChosenOne() {
        let blas = BLASLibrary.shared
        if let user = blas.userCore {
            #expect(blas.core.lowercased() == user.lowercased(), "\(blas.config)")
            #expect(blas.coreSource.contains("set by the user"))
        } else if let chosen = BLASLibrary.chooseCore(for: .current) {
            #expect(blas.core == chosen, "\(blas.config)")
            #expect(blas.coreSource == "chosen for this CPU")
        }
        #expect(blas.config.hasPrefix("OpenBLAS"))
    }

    @Test func missingOrWrongLibraryIsAClearError() {
        #expect { try BLASLibrary.load(candidates: ["/nonexistent/libopenblas.so.0"]) } throws: { error in
            "\(error)".contains("cannot load OpenBLAS") && "\(error)".contains("apt-get install libopenblas0")
        }
        #expect { try BLASLibrary.load(candidates: ["libz.so.1"]) } throws: { error in
            "\(error)".contains("libz.so.1 is not OpenBLAS: it has no cblas_sgemm")
        }
    }

    @Test func gemmMatchesNaiveProductsForEveryTransposition() {
        var rng = RNG(seed: 11)
        let m = 7, n = 5, k = 9
        let a = rng.normal(count: m * k), b = rng.normal(count: k * n), c0 = rng.normal(count: m * n)
        for transA in [false, true] {
            for transB in [false, true] {
                // Stored transposed when asked, so op(A) is always the same m×k matrix.
                let aStore = transA ? (0..<(k * m)).map { a[($0 % m) * k + $0 / m] } : a
                let bStore = transB ? (0..<(n * k)).map { b[($0 % k) * n + $0 / k] } : b
                var c = c0
                aStore.withUnsafeBufferPointer { pa in
                    bStore.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                      a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
                                      beta: 2, c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        let dot = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[$1 * n + j] }
                        #expect(abs(c[i * n + j] - (0.5 * dot + 2 * c0[i * n + j])) < 1e-4, "transA \(transA) transB \(transB)")
                    }
                }
            }
        }
    }
}
