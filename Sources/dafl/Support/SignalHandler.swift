import CNcurses
import Dispatch
import Foundation

/// Turns SIGINT, SIGTERM and SIGHUP (terminal closed) into a graceful stop (the trainer saves at the next step boundary);
/// a second signal exits at once. Signals within `sameRequest` seconds of the first count as that one request:
/// `timeout`, batch schedulers and a terminal closing signal the process and its group together.
final class SignalHandler {
    private var sources: [DispatchSourceSignal] = []
    static let sameRequest = 1.0

    /// `quiet`: say nothing on the terminal (the dashboard owns the screen and shows the stop itself).
    init(quiet: Bool = false, onStop: @escaping @Sendable () -> Void) {
        // A parent may have started us with these signals blocked (the mask is inherited through
        // fork and exec): then Ctrl-C, SIGTERM and resizes would never arrive.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGWINCH] { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        let count = Counter()
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                guard let n = count.record(window: Self.sameRequest) else { return }   // the same request again
                if n > 1 {
                    endwin()
                    FileHandle.standardError.write(Data("\nsecond interrupt: exiting without saving\n".utf8))
                    exit(130)
                }
                if !quiet {
                    FileHandle.standardError.write(Data("\ninterrupt: saving a checkpoint and stopping after this step (again to quit now)\n".utf8))
                }
                onStop()
            }
            src.resume()
            sources.append(src)
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }

    private final class Counter: @unchecked Sendable {
        private var n = 0
        private var first: Date?
        private let lock = NSLock()
        /// Counts a request; nil when it came within `window` seconds of the first (a duplicate).
        func record(window: Double) -> Int? {
            lock.lock(); defer { lock.unlock() }
            if let first, Date().timeIntervalSince(first) < window { return nil }
            if first == nil { first = Date() }
            n += 1
            return n
        }
    }
}
