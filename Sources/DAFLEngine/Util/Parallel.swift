import Dispatch
import Foundation
import CMalloc

/// How the engine uses the cores: OpenBLAS runs single-threaded and the engine splits work into
/// per-core chunks, so im2col, GEMM and scatter all run on every core instead of only the GEMM
/// (with OpenBLAS's idle threads spinning in between).
///
/// ```swift
/// Parallel.workers = 2                       // or DAFL_THREADS=2; default: all cores
/// Parallel.forEachChunk(count: n, chunk: 8) { worker, range in … }
/// ```
public enum Parallel {
    nonisolated(unsafe) private static var configuredWorkers: Int? = nil

    /// Worker threads for the engine's parallel loops.
    public static var workers: Int {
        get { _ = setup; return configuredWorkers ?? defaultWorkers }
        set { _ = setup; configuredWorkers = Swift.max(1, newValue) }
    }

    static let defaultWorkers: Int = {
        if let s = ProcessInfo.processInfo.environment["DAFL_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// One-time process setup, run on first use.
    static let setup: Void = {
        BLAS.setThreads(1)
        // glibc would otherwise mmap each multi-MB tensor afresh, and the kernel fault in and zero every page.
        dafl_keep_large_buffers()
    }()

    /// Splits 0..<count into chunks of at most `chunk` and runs them on the workers; each worker
    /// gets a stable index (for its own scratch space and accumulators) and takes chunks in turn.
    public static func forEachChunk(count: Int, chunk: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        let chunks = (count + chunk - 1) / Swift.max(chunk, 1)
        let w = Swift.min(workers, chunks)
        if w <= 1 {
            for c in 0..<chunks { body(0, (c * chunk)..<Swift.min(count, (c + 1) * chunk)) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: w) { worker in
                for c in stride(from: worker, to: chunks, by: w) {
                    job.value(worker, (c * chunk)..<Swift.min(count, (c + 1) * chunk))
                }
            }
        }
    }

    /// Runs `body` over 0..<count split evenly across the workers (for elementwise loops).
    public static func forRange(_ count: Int, minPerWorker: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        let w = Swift.min(workers, Swift.max(1, count / minPerWorker))
        if w <= 1 { body(0..<count); return }
        let per = (count + w - 1) / w
        forEachChunk(count: count, chunk: per) { _, r in body(r) }
    }
}
