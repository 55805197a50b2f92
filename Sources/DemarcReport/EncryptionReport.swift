import DemarcBase
import DemarcDecode
import DemarcInspect
import DemarcFlows
import DemarcScenario
/// Turns a flow's inspection state into what reports show of it.
public struct EncryptionReport {
    public var application: String?
    public var encryption: FlowRecord.Encryption
    /// How messages name the protocol ("HTTP", "TLS"…).
    public var displayName: String?
    public var isTLS: Bool
    public var certificateHidden: Bool
    /// TLS whose handshake was given up before the server's certificate could be read.
    public var certificateUnread = false

    public static func describe(_ s: InspectState, _ d: FlowDetails?) -> EncryptionReport { describe(s, d?.reported) }

    public static func describe(_ s: InspectState, _ d: FlowDetails.Reported?) -> EncryptionReport {
        let p = parts(s, d)
        return EncryptionReport(application: p.application, encryption: p.encryption, displayName: p.displayName,
                                isTLS: p.isTLS, certificateHidden: p.certificateHidden,
                                certificateUnread: p.certificateUnread)
    }

    /// `describe`'s fields as separate values: a record takes its encryption from them
    /// by moving it, where a field of a struct would be copied.
    @inline(__always)
    static func parts(_ s: InspectState, _ d: FlowDetails.Reported?)
        -> (application: String?, encryption: FlowRecord.Encryption, displayName: String?, isTLS: Bool,
            certificateHidden: Bool, certificateUnread: Bool) {
        let app: String? = s.app == .unknown ? nil : s.app.name
        var proto: String? = app
        // An upgraded flow's encryption is the TLS it upgraded to.
        if s.upgraded { proto = "tls" }
        let version = versionName(s)
        let isTLS = s.app == .tls || s.upgraded
        let hidden = isTLS && s.versionKind == .tls && s.version >= 0x0304 && d?.certificate == nil
        var weak: String?
        if s.weak { weak = d?.note ?? (version.map { "\($0)" } ?? "weak encryption") }
        let enc = FlowRecord.Encryption(
            state: s.state, protocolName: s.state == .unknown && s.app == .unknown ? nil : proto,
            version: version, basis: s.state == .unknown ? .none : s.basis,
            sni: d?.sni, certificate: d?.certificate, upgraded: s.upgraded, weak: weak, negotiated: d?.negotiated,
            confidence: Heuristic.confidence(s))
        return (app, enc, displayName(s), isTLS, hidden, isTLS && d?.certificate == nil && (d?.tlsIncomplete ?? false))
    }

    static func displayName(_ s: InspectState) -> String? {
        if s.app == .unknown { return s.basis == .heuristic ? "traffic" : nil }
        return s.app.displayName
    }

    /// REPORT.md's version names: `SSL 3.0`, `TLS 1.0` … `TLS 1.3`, `DTLS 1.2`, `SSH 2.0`, `QUIC v1`.
    public static func versionName(_ s: InspectState) -> String? {
        switch s.versionKind {
        case .none: return nil
        case .tls:
            switch s.version {
            case 0x0300: return "SSL 3.0"
            case 0x0301: return "TLS 1.0"
            case 0x0302: return "TLS 1.1"
            case 0x0303: return "TLS 1.2"
            case 0x0304: return "TLS 1.3"
            case 0x0200, 0x0002: return "SSL 2.0"
            default: return nil
            }
        case .dtls:
            switch s.version {
            case 0xfeff: return "DTLS 1.0"
            case 0xfefd: return "DTLS 1.2"
            case 0xfefc: return "DTLS 1.3"
            default: return nil
            }
        case .ssh:
            return s.version == 1 ? "SSH 1.x" : "SSH 2.0"
        case .quic:
            switch s.version {
            case 1: return "QUIC v1"
            case 0x6b33_43cf: return "QUIC v2"
            default:
                if s.version & 0xffff_ff00 == 0xff00_0000 { return "QUIC draft-\(s.version & 0xff)" }
                let b0 = s.version >> 24
                if b0 == 0x51 || b0 == 0x54 {
                    // Google QUIC: the version is four ASCII characters (Q046, T051…).
                    let chars = [24, 16, 8, 0].map { Character(Unicode.Scalar(UInt8((s.version >> UInt32($0)) & 0xff))) }
                    return "gQUIC " + String(chars)
                }
                var hex = String(s.version, radix: 16)
                while hex.count < 8 { hex = "0" + hex }
                return "QUIC 0x" + hex
            }
        }
    }
}

