import DemarcInspect

/// What a negotiated algorithm is, for the crypto inventory (CBOM) and the html report:
/// its CycloneDX primitive and its security levels. Levels are set only where the
/// algorithm's family names one: the NIST post-quantum category of ML-KEM and ML-DSA
/// (0 for RSA, elliptic curves and finite-field DH, which a quantum computer breaks), an
/// AES key's category, and the classical strength of well-known groups.
public struct CryptoAsset: Sendable, Equatable {
    public var name: String
    /// CycloneDX `algorithmProperties.primitive`: `key-agree`, `kem`, `pke`, `ae`,
    /// `block-cipher`, `stream-cipher`, `signature`, `other`.
    public var primitive: String
    public var curve: String?
    public var classicalSecurityLevel: Int?
    public var nistQuantumSecurityLevel: Int?

    /// A key exchange as negotiated (TLS group, `RSA`, `DHE-2048`, SSH KEX, IKEv2 groups).
    public static func keyExchange(_ name: String, postQuantum: Bool?) -> CryptoAsset {
        let n = name.lowercased()
        if postQuantum == true {
            var level: Int?
            if n.contains("mlkem") || n.contains("ml-kem") || n.contains("kyber") {
                if n.contains("1024") { level = 5 } else if n.contains("768") { level = 3 } else if n.contains("512") { level = 1 }
            }
            // sntrup761 has no NIST category: its level is left out.
            return CryptoAsset(name: name, primitive: "kem", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: level)
        }
        if name == "RSA" { return CryptoAsset(name: "RSA key transport", primitive: "pke", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: 0) }
        if name == "PSK" { return CryptoAsset(name: "PSK", primitive: "other", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: nil) }
        var curve: String?, classical: Int?
        for (key, c, level) in curves where n.contains(key) { curve = c; classical = level; break }
        if curve == nil {
            for (key, level) in finiteFields where n.contains(key) { classical = level; break }
        }
        return CryptoAsset(name: name, primitive: "key-agree", curve: curve, classicalSecurityLevel: classical, nistQuantumSecurityLevel: 0)
    }

    static let curves: [(String, String, Int)] = [
        ("25519", "Curve25519", 128), ("448", "Curve448", 224), ("secp256r1", "secp256r1", 128), ("nistp256", "secp256r1", 128),
        ("256-bit random ecp", "secp256r1", 128), ("secp384r1", "secp384r1", 192), ("nistp384", "secp384r1", 192),
        ("384-bit random ecp", "secp384r1", 192), ("secp521r1", "secp521r1", 256), ("nistp521", "secp521r1", 256),
        ("521-bit random ecp", "secp521r1", 256), ("brainpoolp256", "brainpoolP256r1", 128), ("brainpoolp384", "brainpoolP384r1", 192),
        ("brainpoolp512", "brainpoolP512r1", 256),
    ]
    static let finiteFields: [(String, Int)] = [
        ("group14", 112), ("2048", 112), ("group15", 128), ("3072", 128), ("group16", 152), ("4096", 152),
        ("group17", 176), ("6144", 176), ("group18", 200), ("8192", 200), ("group1-", 80), ("1024", 80),
    ]

    /// The bulk cipher of a TLS suite, an SSH cipher or an IKEv2 encryption transform:
    /// `AES-128-GCM`, `ChaCha20-Poly1305`…; nil for NULL or a name not recognised.
    public static func cipher(_ name: String) -> CryptoAsset? {
        var n = name.lowercased()
        // A TLS suite's bulk cipher follows `_with_` (TLS 1.3 suites name it alone).
        if let with = n.split(separator: "_with_", maxSplits: 1).dropFirst().first { n = String(with) }
        if n.contains("null") { return nil }
        if n.contains("chacha20") {
            return CryptoAsset(name: "ChaCha20-Poly1305", primitive: "ae", curve: nil, classicalSecurityLevel: 256, nistQuantumSecurityLevel: 5)
        }
        if n.contains("aes") {
            // The key size is the first 128, 192 or 256 after "aes" (a suite's SHA256 comes later).
            let after = Array((n.split(separator: "aes", maxSplits: 1, omittingEmptySubsequences: false).last ?? "").utf8)
            var bits = 128
            search: for i in after.indices {
                for size in [128, 192, 256] where Array(String(size).utf8) == Array(after[i..<min(after.count, i + 3)]) {
                    bits = size
                    break search
                }
            }
            let mode = ["gcm", "ccm", "cbc", "ctr"].first { n.contains($0) } ?? "cbc"
            return CryptoAsset(name: "AES-\(bits)-\(mode.uppercased())", primitive: mode == "gcm" || mode == "ccm" ? "ae" : "block-cipher",
                               curve: nil, classicalSecurityLevel: bits, nistQuantumSecurityLevel: bits == 256 ? 5 : bits == 192 ? 3 : 1)
        }
        if n.contains("3des") || n.contains("des_ede") || n.contains("3des-cbc") {
            return CryptoAsset(name: "3DES-CBC", primitive: "block-cipher", curve: nil, classicalSecurityLevel: 112, nistQuantumSecurityLevel: 0)
        }
        if n.contains("rc4") || n.contains("arcfour") {
            return CryptoAsset(name: "RC4", primitive: "stream-cipher", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: 0)
        }
        return CryptoAsset(name: name, primitive: "other", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: nil)
    }

    /// A signature algorithm: a certificate's (`sha256WithRSAEncryption`…) or an SSH
    /// host key's (`ssh-ed25519`…).
    public static func signature(_ name: String) -> CryptoAsset {
        let n = name.lowercased()
        var level: Int? = 0
        if n.contains("ml-dsa-44") { level = 2 } else if n.contains("ml-dsa-65") { level = 3 } else if n.contains("ml-dsa-87") { level = 5 }
        return CryptoAsset(name: name, primitive: "signature", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: level)
    }
}
