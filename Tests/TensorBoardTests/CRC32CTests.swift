import Testing
@testable import TensorBoard

@Suite struct CRC32CTests {
    /// The check values of CRC-32C (RFC 3720, appendix B.4, and the usual "123456789").
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func maskIsTensorFlows() {
        // mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8, on the CRC of "123456789".
        let c: UInt32 = 0xE306_9283
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }
}
