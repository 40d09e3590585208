import CZlib
import Foundation

/// Reads IDX files (the MNIST format), gzip-compressed or raw: zlib's gzread passes raw files through.
///
/// ```swift
/// let images = try IDX.read(path: "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
/// // images.dims == [10000, 28, 28], images.bytes.count == 7_840_000
/// ```
public enum IDX {
    public struct Array {
        public var dims: [Int]
        public var bytes: [UInt8]
    }

    public static func read(path: String) throws -> Array {
        func fail(_ p: String) -> WeightsError { WeightsError(file: path, problem: p) }
        guard FileManager.default.fileExists(atPath: path) else { throw fail("no such file") }
        guard let f = gzopen(path, "rb") else { throw fail("cannot open") }
        defer { gzclose(f) }
        // Grows the buffer as bytes arrive (doubling from 1 MiB), so that a header claiming gigabytes
        // in a short or damaged file fails as truncated instead of allocating them first (found by fuzzing).
        func readExactly(_ n: Int) throws -> [UInt8] {
            var buf: [UInt8] = []
            while buf.count < n {
                let got = buf.count, chunk = Swift.min(n - got, Swift.max(got, 1 << 20), 1 << 30)
                buf.append(contentsOf: repeatElement(0, count: chunk))
                let r = buf.withUnsafeMutableBytes { gzread(f, $0.baseAddress! + got, UInt32(chunk)) }
                if r < 0 { throw fail("corrupt gzip data") }
                if r == 0 { throw fail("truncated: expected \(n) bytes of data, got \(got)") }
                buf.removeLast(chunk - Int(r))
            }
            return buf
        }
        let magic = try readExactly(4)
        // Magic: two zero bytes, a type code (0x08 = unsigned byte) and the number of dimensions.
        guard magic[0] == 0, magic[1] == 0, magic[2] == 0x08, (1...4).contains(magic[3]) else {
            throw fail(String(format: "not an IDX file of unsigned bytes (magic %02x %02x %02x %02x)",
                              magic[0], magic[1], magic[2], magic[3]))
        }
        let rank = Int(magic[3])
        let dimBytes = try readExactly(4 * rank)
        var dims: [Int] = []
        for i in 0..<rank {
            var d = 0
            for j in 0..<4 { d = d << 8 | Int(dimBytes[4 * i + j]) }  // big-endian
            dims.append(d)
        }
        let total = dims.reduce(1, *)
        guard total > 0, total < 1 << 32 else { throw fail("implausible dimensions \(dims)") }
        return Array(dims: dims, bytes: try readExactly(total))
    }
}
