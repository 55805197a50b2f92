import DemarcBase
import DemarcDecode
/// The check values binary protocols put after their frames, computed over a range of a
/// payload: a frame whose check value holds is the protocol's, not random bytes.
enum Checksums {
    /// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection and no
    /// final XOR (IEEE C37.118).
    static func crcCCITT(_ p: Bytes, _ from: Int, _ length: Int) -> UInt16 {
        var crc: UInt16 = 0xffff
        for i in from..<(from + length) {
            crc ^= UInt16(p.base[i]) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }

    /// CRC-16/X.25: reflected polynomial 0x8408, initial value and final XOR 0xFFFF
    /// (HDLC's frame check sequence).
    static func crcX25(_ p: Bytes, _ from: Int, _ length: Int) -> UInt16 {
        reflectedCRC16(p, from, length, polynomial: 0x8408, initial: 0xffff) ^ 0xffff
    }

    /// CRC-16/DNP: reflected polynomial 0xA6BC (0x3D65), initial value 0, final XOR 0xFFFF
    /// (IEEE 1815's link layer; "123456789" gives 0xEA82).
    static func crcDNP(_ p: Bytes, _ from: Int, _ length: Int) -> UInt16 {
        reflectedCRC16(p, from, length, polynomial: 0xa6bc, initial: 0) ^ 0xffff
    }

    /// A CRC-16 computed least significant bit first, before its final XOR.
    @inline(__always)
    static func reflectedCRC16(_ p: Bytes, _ from: Int, _ length: Int, polynomial: UInt16, initial: UInt16) -> UInt16 {
        var crc = initial
        for i in from..<(from + length) {
            crc ^= UInt16(p.base[i])
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
        }
        return crc
    }
}
