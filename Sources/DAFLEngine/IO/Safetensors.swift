import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}, "__metadata__": {…}}`, then raw little-endian data.
///
/// Names and layouts are PyTorch's `state_dict`, so `safetensors.torch.load_file` reads our files
/// and we read theirs. Every offset and size is checked before any byte is used.
/// ```swift
/// try Safetensors.write(model.stateDict, metadata: model.metadata, to: url)
/// let file = try Safetensors.read(url)
/// try model.load(stateDict: file.tensors, source: url.path)
/// ```
public enum Safetensors {
    /// The tensors of a file, converted to Float32, and its metadata.
    public struct File {
        public var tensors: [String: (shape: [Int], values: [Float])]
        public var metadata: [String: String]
    }

    static let elementSizes: [String: Int] = ["F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4,
                                              "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    public static func read(_ url: URL) throws -> File {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw WeightsError(file: url.path, problem: "cannot read: \(error.localizedDescription)")
        }
        return try parse(data, source: url.path)
    }

    public static func parse(_ data: Data, source: String) throws -> File {
        func fail(_ p: String) -> WeightsError { WeightsError(file: source, problem: p) }
        guard data.count >= 8 else { throw fail("too short to be a safetensors file (\(data.count) bytes)") }
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard n <= UInt64(data.count - 8), n <= 100_000_000 else {
            throw fail("header length \(n) runs past the end of the file (\(data.count) bytes): truncated or not safetensors")
        }
        let headerEnd = 8 + Int(n)
        guard let json = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)),
              let header = json as? [String: Any] else {
            throw fail("header is not a JSON object: not a safetensors file")
        }
        let dataLen = data.count - headerEnd
        var file = File(tensors: [:], metadata: [:])
        if let meta = header["__metadata__"] {
            guard let m = meta as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            file.metadata = m
        }
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shape = e["shape"] as? [Int], let offs = e["data_offsets"] as? [Int], offs.count == 2 else {
                throw fail("tensor '\(name)': header entry needs dtype, shape and data_offsets")
            }
            guard let size = elementSizes[dtype] else { throw fail("tensor '\(name)': unsupported dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)': negative dimension in \(shape)") }
            // A product that overflows cannot match the data section's length (a fuzz-target regression seed).
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: size)
            let (b, e2) = (offs[0], offs[1])
            guard b >= 0, e2 >= b, e2 <= dataLen else {
                throw fail("tensor '\(name)': data_offsets [\(b), \(e2)] lie outside the \(dataLen)-byte data section (truncated?)")
            }
            guard !overflow, !bytesOverflow, e2 - b == bytes else {
                throw fail("tensor '\(name)': \(dtype) \(shape) needs \(overflow || bytesOverflow ? "more" : "\(bytes)") bytes, offsets give \(e2 - b)")
            }
            guard ["F32", "F64", "F16", "BF16", "I64", "I32"].contains(dtype) else {
                throw fail("tensor '\(name)': dtype \(dtype) cannot be used as weights (want F32)")
            }
            let start = headerEnd + b
            var values = [Float](repeating: 0, count: count)
            data.withUnsafeBytes { raw in
                let p = raw.baseAddress! + start
                for i in 0..<count {
                    switch dtype {
                    case "F32": values[i] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    case "F64": values[i] = Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    case "BF16": values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
                    case "F16": values[i] = halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                    case "I64": values[i] = Float(Int64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
                    default: values[i] = Float(Int32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                    }
                }
            }
            file.tensors[name] = (shape, values)
        }
        return file
    }

    /// IEEE half → Float, without relying on the platform's Float16.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let exp = Int((h >> 10) & 0x1F), frac = Float(h & 0x3FF)
        if exp == 0 { return sign * frac * 0x1p-24 }
        if exp == 31 { return frac == 0 ? sign * .infinity : .nan }
        return sign * (1 + frac / 1024) * Float(sign: .plus, exponent: exp - 15, significand: 1)
    }

    /// Encodes tensors as F32, except names ending in `num_batches_tracked`, which PyTorch keeps as I64,
    /// and the names in `integers` (labels, indices), also written as I64.
    public static func encode(_ tensors: [(String, [Int], [Float])], metadata: [String: String], integers: Set<String> = []) throws -> Data {
        var entries: [String: Any] = [:]
        var offset = 0
        let sorted = tensors.sorted { $0.0 < $1.0 }
        var layout: [(Bool, [Float])] = []
        for (name, shape, values) in sorted {
            let isInt = name.hasSuffix("num_batches_tracked") || integers.contains(name)
            let bytes = values.count * (isInt ? 8 : 4)
            entries[name] = ["dtype": isInt ? "I64" : "F32", "shape": shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
            layout.append((isInt, values))
        }
        if !metadata.isEmpty { entries["__metadata__"] = metadata }
        var header = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])
        // Pad the header with spaces so the data section starts 8-byte aligned (as the Python writer does).
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(header)
        for (isInt, values) in layout {
            if isInt {
                for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) } }
            } else {
                values.withUnsafeBufferPointer { p in
                    // x86-64 and arm64 are little-endian: the Float bytes are already in file order.
                    out.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                   count: p.count * 4))
                }
            }
        }
        return out
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves half a file.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String], to url: URL) throws {
        let data = try encode(tensors.map { ($0.0, $0.1.shape, $0.1.data) }, metadata: metadata)
        try writeAtomically(data, to: url)
    }
}

/// Writes `data` to a temporary file beside `url`, flushes it to the disk, then renames it over `url`:
/// a kill or a power cut leaves either the old file or the new one, never a part.
///
/// Plain system calls, so that a failure reads as the system says it ("No space left on device").
/// ```swift
/// try writeAtomically(Data("{}".utf8), to: runDir.appendingPathComponent("checkpoint.json"))
/// ```
public func writeAtomically(_ data: Data, to url: URL) throws {
    let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    func fail(_ what: String) -> WeightsError {
        let reason = String(cString: strerror(errno))
        unlink(tmp.path)
        return WeightsError(file: url.path, problem: "cannot write (\(what)): \(reason)")
    }
    let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw fail("create") }
    let written = data.withUnsafeBytes { raw -> Bool in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
    guard written, fsync(fd) == 0 else { let e = errno; close(fd); errno = e; throw fail("write") }
    guard close(fd) == 0 else { throw fail("close") }
    // rename(2) replaces atomically on one filesystem (Foundation's replaceItemAt fails on Linux).
    guard rename(tmp.path, url.path) == 0 else { throw fail("rename") }
}
