import Foundation
import SwiftProtobuf

/// Writes a TensorBoard event file: TFRecord framing (length, masked CRC-32C of the length, the
/// serialized `Event`, masked CRC-32C of it) in a file named `events.out.tfevents.<time>.<host>`,
/// which TensorBoard finds in a log directory. The first record names the format version.
///
/// ```swift
/// let w = try EventFileWriter(directory: URL(fileURLWithPath: "tb/run1"))
/// try w.write([.with { $0.tag = "loss/total"; $0.simpleValue = 0.5 }], step: 10, wallTime: Date().timeIntervalSince1970)
/// ```
public final class EventFileWriter {
    public let url: URL
    private let handle: FileHandle

    public init(directory: URL, wallTime: Double = Date().timeIntervalSince1970) throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw TensorBoardError(file: directory.path, problem: "cannot create the directory: \(error.localizedDescription)")
        }
        let host = ProcessInfo.processInfo.hostName
        url = directory.appendingPathComponent("events.out.tfevents.\(Int(wallTime)).\(host).\(getpid()).dafl")
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let h = FileHandle(forWritingAtPath: url.path) else {
            throw TensorBoardError(file: url.path, problem: "cannot create the event file")
        }
        handle = h
        var first = Tensorboard_Event()
        first.wallTime = wallTime
        first.fileVersion = "brain.Event:2"
        try write(first)
    }

    deinit { try? handle.close() }

    /// Appends one record.
    public func write(_ event: Tensorboard_Event) throws {
        let body = try event.serializedData()
        var length = Data(); Swift.withUnsafeBytes(of: UInt64(body.count).littleEndian) { length.append(contentsOf: $0) }
        var record = length
        Swift.withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { record.append(contentsOf: $0) }
        record.append(body)
        Swift.withUnsafeBytes(of: CRC32C.masked(body).littleEndian) { record.append(contentsOf: $0) }
        do { try handle.write(contentsOf: record) } catch {
            throw TensorBoardError(file: url.path, problem: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Appends a summary of `values` at `step`.
    public func write(_ values: [Tensorboard_Summary.Value], step: Int, wallTime: Double) throws {
        guard !values.isEmpty else { return }
        var e = Tensorboard_Event()
        e.wallTime = wallTime
        e.step = Int64(step)
        e.summary = Tensorboard_Summary.with { $0.value = values }
        try write(e)
    }

    public func flush() { try? handle.synchronize() }
}

/// A TensorBoard file that cannot be written or read, naming the file.
public struct TensorBoardError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}
