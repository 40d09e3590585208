import Foundation
import RunEvents

/// Writes a run's events into a TensorBoard log directory, as a whole log or live from a trainer.
///
/// The effective history is exported: steps redone after a resume appear once, as they were redone.
/// Wall times are the run's start (the log's first event) plus each event's `time`.
/// ```swift
/// try TensorBoardExport.export(log: "runs/x/events.jsonl", to: URL(fileURLWithPath: "tb/x"))
/// ```
public final class TensorBoardExport: @unchecked Sendable {
    private let writer: EventFileWriter
    private let lock = NSLock()
    private let start: Double
    /// The first write failure, if any (a live sink must not stop training for it).
    public private(set) var failure: Error?

    public init(directory: URL, start: Double = Date().timeIntervalSince1970) throws {
        writer = try EventFileWriter(directory: directory, wallTime: start)
        self.start = start
    }

    public var file: URL { writer.url }

    /// Writes one event's summaries; remembers a failure and writes nothing more after it.
    public func write(_ event: RunEvent) {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil else { return }
        do { try writer.write(RunEventExport.values(event), step: event.step, wallTime: start + event.time) } catch { failure = error }
    }

    public func flush() { lock.lock(); writer.flush(); lock.unlock() }

    /// Exports a run log; returns the event file written.
    @discardableResult
    public static func export(log path: String, to directory: URL) throws -> URL {
        let log = try RunLogReader.read(path: path)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        // The log holds times since the run started; its file's creation is the nearest wall time we have.
        let created = (attributes?[.creationDate] as? Date ?? attributes?[.modificationDate] as? Date ?? Date()).timeIntervalSince1970
        let export = try TensorBoardExport(directory: directory, start: created)
        for e in RunHistory.effective(log.events) { export.write(e) }
        export.flush()
        if let failure = export.failure { throw failure }
        return export.file
    }
}
