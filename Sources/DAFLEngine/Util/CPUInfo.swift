import CCPUID
import Foundation

/// What the processor is and which vector instruction sets it and the operating system support.
///
/// Read once from CPUID (and XGETBV, for the register state the OS saves), so it is right inside
/// containers and virtual machines too. The engine uses it to pick BLAS kernels (`BLASLibrary`) and
/// `dafl bench` prints it.
/// ```swift
/// let cpu = CPUInfo.current
/// print(cpu.modelName, cpu.instructionSets)   // "Intel(R) Xeon(R) …", ["sse3", …, "avx512f", …]
/// ```
public struct CPUInfo: Sendable, Equatable {
    /// The vendor string: `GenuineIntel`, `AuthenticAMD`, `HygonGenuine`, … (empty off x86).
    public var vendor: String
    /// The brand string, e.g. `Intel(R) Xeon(R) Processor @ 2.80GHz`.
    public var modelName: String
    /// Display family and model, as the kernel's /proc/cpuinfo shows them.
    public var family: Int, model: Int
    /// Usable instruction sets, named as in /proc/cpuinfo (an AVX set counts only when the OS saves its registers).
    public var features: Set<String>

    public init(vendor: String, modelName: String = "", family: Int = 0, model: Int = 0, features: Set<String>) {
        self.vendor = vendor; self.modelName = modelName; self.family = family; self.model = model; self.features = features
    }

    /// This machine's processor.
    public static let current = CPUInfo.read()

    /// True when every named set is usable.
    public func has(_ names: String...) -> Bool { names.allSatisfy(features.contains) }

    /// The vector sets worth printing, oldest first.
    public var instructionSets: [String] { Self.reportOrder.filter(features.contains) }

    static let reportOrder = ["sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "fma", "avx2",
                              "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16"]

    static func read() -> CPUInfo {
        var r: [UInt32] = [0, 0, 0, 0]
        func cpuid(_ leaf: UInt32, _ sub: UInt32 = 0) -> [UInt32] {
            r.withUnsafeMutableBufferPointer { _ = dafl_cpuid(leaf, sub, $0.baseAddress) }
            return r
        }
        func text(_ regs: [UInt32]) -> String {
            String(decoding: regs.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }, as: UTF8.self)
        }
        let leaf0 = cpuid(0)
        guard leaf0[0] > 0 else { return CPUInfo(vendor: "", features: []) }
        let vendor = text([leaf0[1], leaf0[3], leaf0[2]])
        let l1 = cpuid(1), l7 = cpuid(7, 0), l71 = leaf0[0] >= 7 ? cpuid(7, 1) : [0, 0, 0, 0]
        let brand = [0x8000_0002, 0x8000_0003, 0x8000_0004].map { text(cpuid(UInt32($0))) }.joined()
        let name = String(brand.prefix { $0 != "\0" }).trimmingCharacters(in: .whitespaces)

        // Registers the OS saves on a context switch: without them the wide instructions fault.
        let xcr0 = dafl_xcr0()
        let avxState = xcr0 & 0x6 == 0x6, avx512State = xcr0 & 0xE6 == 0xE6
        func bit(_ reg: UInt32, _ n: UInt32) -> Bool { reg >> n & 1 == 1 }
        var f = Set<String>()
        let plain: [(String, Bool)] = [("sse2", bit(l1[3], 26)), ("sse3", bit(l1[2], 0)), ("ssse3", bit(l1[2], 9)),
                                       ("sse4_1", bit(l1[2], 19)), ("sse4_2", bit(l1[2], 20))]
        let avx: [(String, Bool)] = [("avx", bit(l1[2], 28)), ("fma", bit(l1[2], 12)), ("avx2", bit(l7[1], 5))]
        let avx512: [(String, Bool)] = [("avx512f", bit(l7[1], 16)), ("avx512dq", bit(l7[1], 17)), ("avx512cd", bit(l7[1], 28)),
                                        ("avx512bw", bit(l7[1], 30)), ("avx512vl", bit(l7[1], 31)), ("avx512_vnni", bit(l7[2], 11)),
                                        ("avx512_bf16", bit(l71[0], 5)), ("avx512_fp16", bit(l7[3], 23))]
        for (n, ok) in plain where ok { f.insert(n) }
        for (n, ok) in avx where ok && avxState { f.insert(n) }
        for (n, ok) in avx512 where ok && avxState && avx512State { f.insert(n) }

        let baseFamily = Int(l1[0] >> 8 & 0xF), baseModel = Int(l1[0] >> 4 & 0xF)
        let family = baseFamily == 0xF ? baseFamily + Int(l1[0] >> 20 & 0xFF) : baseFamily
        let model = baseFamily == 6 || baseFamily == 0xF ? Int(l1[0] >> 16 & 0xF) << 4 | baseModel : baseModel
        return CPUInfo(vendor: vendor, modelName: name, family: family, model: model, features: f)
    }
}
