/// What a flow's handshake showed of the cryptography that protects it: the key exchange,
/// the cipher (and SSH's MAC and host key), and the client's JA4 fingerprint. Each is
/// set only from a handshake message that was read; nothing is inferred.
public final class Negotiated: Sendable {
    /// The key exchange as negotiated: a TLS group, `RSA` for TLS 1.2 RSA key transport,
    /// `DHE-2048` for finite-field DH by its prime's size, an SSH KEX method, IKEv2 groups.
    public let keyExchange: String?
    /// Whether `keyExchange` resists a quantum computer (includes ML-KEM or sntrup761);
    /// nil where no exchange was seen or it is a pre-shared key alone.
    public let postQuantum: Bool?
    /// The TLS cipher suite's IANA name, or the SSH cipher (client to server, then server
    /// to client after `/` where they differ).
    public let cipher: String?
    /// SSH's MAC (nil for AEAD ciphers, whose tag is their own) and host key algorithm.
    public let mac: String?
    public let hostKey: String?
    /// The client's JA4 fingerprint (TLS and QUIC).
    public let ja4: String?

    public init(keyExchange: String? = nil, postQuantum: Bool? = nil, cipher: String? = nil, mac: String? = nil,
                hostKey: String? = nil, ja4: String? = nil) {
        self.keyExchange = keyExchange; self.postQuantum = postQuantum; self.cipher = cipher
        self.mac = mac; self.hostKey = hostKey; self.ja4 = ja4
    }
}

extension FlowDetails {
    /// Records what a handshake message showed, keeping what earlier ones did.
    func negotiated(_ n: Negotiated) {
        if negotiated == nil {
            negotiated = n
        } else {
            negotiate(keyExchange: n.keyExchange, postQuantum: n.postQuantum, cipher: n.cipher, mac: n.mac,
                      hostKey: n.hostKey, ja4: n.ja4)
        }
    }

    /// Records the fields a handshake message showed, keeping those of earlier ones it
    /// does not set: one object is made, with no intermediate one for the message. The
    /// post-quantum mark goes with the key exchange it describes.
    func negotiate(keyExchange: String? = nil, postQuantum: Bool? = nil, cipher: String? = nil, mac: String? = nil,
                   hostKey: String? = nil, ja4: String? = nil) {
        guard let o = negotiated else {
            negotiated = Negotiated(keyExchange: keyExchange, postQuantum: postQuantum, cipher: cipher, mac: mac,
                                    hostKey: hostKey, ja4: ja4)
            return
        }
        negotiated = Negotiated(keyExchange: keyExchange ?? o.keyExchange,
                                postQuantum: keyExchange != nil ? postQuantum : o.postQuantum,
                                cipher: cipher ?? o.cipher, mac: mac ?? o.mac, hostKey: hostKey ?? o.hostKey, ja4: ja4 ?? o.ja4)
    }
}
