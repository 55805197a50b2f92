import DemarcBase
/// IP protocol numbers demarc decodes or names.
public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let igmp: UInt8 = 2
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let dccp: UInt8 = 33
    public static let gre: UInt8 = 47
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let sctp: UInt8 = 132
    public static let udplite: UInt8 = 136

    /// The transport's name as reports use it.
    public static func name(_ p: UInt8) -> String {
        switch p {
        case icmp: return "icmp"
        case igmp: return "igmp"
        case tcp: return "tcp"
        case udp: return "udp"
        case dccp: return "dccp"
        case gre: return "gre"
        case esp: return "esp"
        case ah: return "ah"
        case icmpv6: return "icmpv6"
        case sctp: return "sctp"
        case udplite: return "udplite"
        case 4: return "ipip"
        case 41: return "ipv6-in-ip"
        case 88: return "eigrp"
        case 89: return "ospf"
        case 103: return "pim"
        case 112: return "vrrp"
        case 115: return "l2tp"
        default: return "ip-\(p)"
        }
    }

    /// Transports whose header starts with a 16-bit source and destination port.
    @inlinable public static func hasPorts(_ p: UInt8) -> Bool {
        p == tcp || p == udp || p == sctp || p == dccp || p == udplite
    }
}

/// TCP flag bits as they sit in the header's 13th byte.
public enum TCPFlags {
    public static let fin: UInt8 = 0x01
    public static let syn: UInt8 = 0x02
    public static let rst: UInt8 = 0x04
    public static let psh: UInt8 = 0x08
    public static let ack: UInt8 = 0x10
}

/// What the decoder learned from one frame. A plain value, filled in place for every
/// packet: nothing in it owns memory, and `payload` borrows the frame's bytes.
public struct DecodedPacket {
    public var ipVersion: UInt8 = 0
    public var proto: UInt8 = 0
    public var src = IPAddress(hi: 0, lo: 0)
    public var dst = IPAddress(hi: 0, lo: 0)
    public var srcPort: UInt16 = 0
    public var dstPort: UInt16 = 0
    /// The transport header (and so the ports) is present in this packet.
    public var hasPorts = false
    public var tcpFlags: UInt8 = 0
    public var tcpSeq: UInt32 = 0
    /// A fragment of a datagram: `fragmentID` names it, `laterFragment` means it carries
    /// no transport header (offset above zero).
    public var isFragment = false
    public var laterFragment = false
    /// The datagram's last fragment (a later fragment with no more after it).
    public var lastFragment = false
    /// The frame went to a link-layer group address (broadcast or multicast), where the
    /// link type records a destination: Ethernet's outermost header, 802.11's
    /// destination address, a Linux cooked capture's broadcast and multicast packet
    /// types. False where the link layer has none (raw IP, PPP, NULL/LOOP, NFLOG…). Kept
    /// beside the other flags, in what was padding: the value is copied for every packet.
    public var linkGroup = false
    public var fragmentID: UInt32 = 0
    /// Transport payload offset and length within the frame (captured bytes only).
    public var payloadOffset = 0
    public var payloadLength = 0

    public init() {}
}

public enum DecodeOutcome: Equatable {
    /// An IP packet, described by the DecodedPacket.
    case ip
    /// A well-formed frame that carries no IP (ARP, LLDP, STP…).
    case notIP
    /// Too short, malformed, or of a link type demarc does not decode.
    case undecodable
    /// Encrypted at the link layer (MACsec with E set, a protected 802.11 frame): no flow
    /// inside it can be seen.
    case linkEncrypted
}
