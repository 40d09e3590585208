import Foundation
import Testing
@testable import DAFLEngine

@Suite struct IDXTests {
    /// Found by fuzzing: a header claiming 4 GB in a file of a few bytes allocated the 4 GB before
    /// finding the data missing. Now it reads what is there and fails as truncated.
    @Test func hugeClaimInAShortFileIsTruncatedNotAllocated() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        var d = Data([0, 0, 8, 3])
        for v: UInt32 in [65535, 256, 255] { withUnsafeBytes(of: v.bigEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: [1, 2, 3])
        try d.write(to: url)
        let before = peakResidentKiB()
        do { _ = try IDX.read(path: url.path); Issue.record("read a truncated file") } catch let e as WeightsError {
            #expect(e.file == url.path && e.problem.contains("truncated: expected 4278124800 bytes of data, got 3"), "\(e.problem)")
        }
        // The old reader filled a 4 GB buffer first; the peak must not have grown by anything like that.
        #expect(peakResidentKiB() - before < 1 << 20, "peak memory grew by \(peakResidentKiB() - before) KiB")
    }

    @Test func readsDataLargerThanTheFirstChunk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let n = 3 << 20 + 5  // past the 1 MiB and 2 MiB steps of the growing buffer
        var d = Data([0, 0, 8, 1])
        withUnsafeBytes(of: UInt32(n).bigEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: (0..<n).map { UInt8($0 % 251) })
        try d.write(to: url)
        let a = try IDX.read(path: url.path)
        #expect(a.dims == [n] && a.bytes.count == n && a.bytes[n - 1] == UInt8((n - 1) % 251) && a.bytes[1 << 20] == UInt8((1 << 20) % 251))
    }
}

/// This process's peak resident memory so far, in KiB.
func peakResidentKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}
