import CZlib
import Foundation

/// A minimal PNG encoder for 8-bit grey and RGB images (TensorBoard's image summaries hold PNG bytes).
///
/// ```swift
/// let png = try PNG.grey(pixels, width: 32, height: 32)   // pixels.count == 1024
/// ```
public enum PNG {
    public struct EncodingError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func grey(_ pixels: [UInt8], width: Int, height: Int) throws -> Data {
        try encode(pixels, width: width, height: height, channels: 1)
    }

    /// Interleaved RGB bytes (3 × width × height).
    public static func rgb(_ pixels: [UInt8], width: Int, height: Int) throws -> Data {
        try encode(pixels, width: width, height: height, channels: 3)
    }

    static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> Data {
        guard width > 0, height > 0, pixels.count == width * height * channels else {
            throw EncodingError(description: "\(pixels.count) bytes do not make a \(width)×\(height) image of \(channels) channels")
        }
        // Each row starts with filter type 0 (none).
        let row = width * channels
        var raw = [UInt8](); raw.reserveCapacity((row + 1) * height)
        for y in 0..<height { raw.append(0); raw.append(contentsOf: pixels[(y * row)..<((y + 1) * row)]) }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        guard compress2(&compressed, &compressedLength, raw, uLong(raw.count), 6) == Z_OK else {
            throw EncodingError(description: "zlib could not compress the image")
        }
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.appendBigEndian(UInt32(width)); header.appendBigEndian(UInt32(height))
        header.append(contentsOf: [8, channels == 3 ? 2 : 0, 0, 0, 0])  // 8 bits, grey or RGB, deflate, adaptive filters, no interlace
        png.appendChunk("IHDR", header)
        png.appendChunk("IDAT", Data(compressed[0..<Int(compressedLength)]))
        png.appendChunk("IEND", Data())
        return png
    }
}

extension Data {
    mutating func appendBigEndian(_ v: UInt32) { Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) } }

    /// Length, type, data, and the CRC-32 (zlib's) of type and data.
    mutating func appendChunk(_ type: String, _ body: Data) {
        appendBigEndian(UInt32(body.count))
        let typed = Data(type.utf8) + body
        append(typed)
        let crc = typed.withUnsafeBytes { crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count)) }
        appendBigEndian(UInt32(crc))
    }
}
