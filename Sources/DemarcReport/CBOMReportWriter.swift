import DemarcBase
import DemarcInspect
import DemarcScenario

/// `--format cbom` (replay): a CycloneDX 1.6 cryptography bill of materials of what the
/// traffic used (docs/crypto.md). Flows whose handshake showed something are gathered
/// per service (segment, party, application, transport and server port); the document
/// lists protocol assets (version and cipher suites), algorithm assets (key exchanges,
/// signatures, ciphers with their security levels), certificates with their public
/// keys, and each service with the assets it depends on. Memory grows with the distinct
/// services and assets, not with the flows.
public final class CBOMReportWriter: ReportWriter {
    private let output: Output

    private struct Service {
        var segment: String, party: String, application: String, transport: String, port: UInt16?
        var flows = 0
        var classical = 0
        var postQuantum = 0
        var refs: Set<String> = []
    }
    private struct ProtocolAsset {
        var type: String, name: String, version: String
        /// Cipher suite name → the algorithm refs it uses.
        var suites: [String: Set<String>] = [:]
    }
    private var services: [String: Service] = [:]
    private var protocols: [String: ProtocolAsset] = [:]
    private var algorithms: [String: CryptoAsset] = [:]
    private var certificates: [String: (CertificateInfo, keyRef: String?, sigRef: String?)] = [:]
    private var keys: [String: (CertificateKey, algorithm: String)] = [:]
    private var lastSeen: Int64 = 0

    public init(output: Output) { self.output = output }

    public func begin(_ header: ReportHeader) {}

    public func flow(_ r: FlowRecord) {
        let e = r.encryption, n = e.negotiated
        guard n?.keyExchange != nil || n?.cipher != nil || e.certificate != nil else { return }
        lastSeen = max(lastSeen, r.lastSeen)
        let app = r.application ?? e.protocolName ?? "unknown"
        let port = r.server.port
        let sref = "service:\(r.segment.rawValue):\(r.responsible.rawValue):\(app):\(r.transport)/\(port.map(String.init) ?? "-")"
        var service = services[sref] ?? Service(segment: r.segment.rawValue, party: r.responsible.rawValue, application: app,
                                                 transport: r.transport, port: port)
        service.flows += 1
        if n?.postQuantum == true { service.postQuantum += 1 } else if n?.postQuantum == false { service.classical += 1 }
        var suiteRefs: Set<String> = []
        if let kx = n?.keyExchange { suiteRefs.insert(algorithm(CryptoAsset.keyExchange(kx, postQuantum: n?.postQuantum))) }
        if let c = n?.cipher {
            for part in c.split(separator: "/") { if let a = CryptoAsset.cipher(String(part)) { suiteRefs.insert(algorithm(a)) } }
        }
        if let h = n?.hostKey { suiteRefs.insert(algorithm(CryptoAsset.signature(h))) }
        if let m = n?.mac { suiteRefs.insert(algorithm(CryptoAsset(name: m, primitive: "mac", curve: nil, classicalSecurityLevel: nil, nistQuantumSecurityLevel: nil))) }
        service.refs.formUnion(suiteRefs)
        if let version = e.version ?? (r.application == "ike" ? "IKEv2" : nil) {
            let (type, number) = Self.protocolType(version)
            let pref = "protocol:\(version)"
            var p = protocols[pref] ?? ProtocolAsset(type: type, name: version, version: number)
            if let suite = n?.cipher { p.suites[suite, default: []].formUnion(suiteRefs) }
            protocols[pref] = p
            service.refs.insert(pref)
        }
        if let cert = e.certificate {
            let cref = "certificate:\(cert.sha256)"
            if certificates[cref] == nil {
                var keyRef: String?
                if let k = cert.key {
                    let kref = "key:\(cert.sha256)"
                    let alg = algorithm(CryptoAsset(name: k.curve.map { "\(k.type) \($0)" } ?? k.type, primitive: k.type == "RSA" ? "pke" : "signature",
                                                    curve: k.curve, classicalSecurityLevel: nil,
                                                    nistQuantumSecurityLevel: k.type.hasPrefix("ML-DSA") ? nil : 0))
                    keys[kref] = (k, alg)
                    keyRef = kref
                }
                certificates[cref] = (cert, keyRef, cert.signature.map { algorithm(CryptoAsset.signature($0)) })
            }
            service.refs.insert(cref)
        }
        services[sref] = service
    }

    /// The algorithm's bom-ref, registering it on first use.
    private func algorithm(_ a: CryptoAsset) -> String {
        let ref = "algorithm:\(a.name)"
        if algorithms[ref] == nil { algorithms[ref] = a }
        return ref
    }

    /// CycloneDX's protocol type and the version number of a report's version name.
    static func protocolType(_ version: String) -> (String, String) {
        let parts = version.split(separator: " ", maxSplits: 1).map(String.init)
        let number = parts.count > 1 ? parts[1] : version
        switch parts.first {
        case "TLS", "SSL", "DTLS", "QUIC": return ("tls", number)
        case "SSH": return ("ssh", number)
        case "IKEv2": return ("ike", "2")
        default: return ("other", number)
        }
    }

    public func finish(_ header: ReportHeader) {
        let w = JSONWriter(capacity: 1 << 16)
        w.beginObject()
        w.field("bomFormat", "CycloneDX")
        w.field("specVersion", "1.6")
        w.field("version", 1)
        w.beginObject("metadata")
        if lastSeen > 0 { w.key("timestamp"); w.string(String(Timestamps.iso8601(micros: lastSeen).prefix(19)) + "Z") }
        w.beginObject("tools"); w.beginArray("components")
        w.beginObject(); w.field("type", "application"); w.field("name", header.toolName); w.field("version", header.toolVersion); w.endObject()
        w.endArray(); w.endObject()
        w.beginArray("properties")
        property(w, "demarc:scenario", header.scenarioName)
        for input in header.inputs { property(w, "demarc:input", input.name) }
        w.endArray()
        w.endObject()

        w.beginArray("components")
        for (ref, p) in protocols.sorted(by: { $0.key < $1.key }) {
            component(w, ref, p.name) {
                w.field("assetType", "protocol")
                w.beginObject("protocolProperties")
                w.field("type", p.type)
                w.field("version", p.version)
                w.beginArray("cipherSuites")
                for (suite, refs) in p.suites.sorted(by: { $0.key < $1.key }) {
                    w.beginObject(); w.field("name", suite)
                    w.beginArray("algorithms"); for r in refs.sorted() { w.string(r) }; w.endArray()
                    w.endObject()
                }
                w.endArray()
                w.endObject()
            }
        }
        for (ref, a) in algorithms.sorted(by: { $0.key < $1.key }) {
            component(w, ref, a.name) {
                w.field("assetType", "algorithm")
                w.beginObject("algorithmProperties")
                w.field("primitive", a.primitive)
                if let c = a.curve { w.field("curve", c) }
                if let l = a.classicalSecurityLevel { w.field("classicalSecurityLevel", l) }
                if let l = a.nistQuantumSecurityLevel { w.field("nistQuantumSecurityLevel", l) }
                w.endObject()
            }
        }
        for (ref, (cert, keyRef, sigRef)) in certificates.sorted(by: { $0.key < $1.key }) {
            component(w, ref, cert.subject.isEmpty ? cert.sha256 : cert.subject) {
                w.field("assetType", "certificate")
                w.beginObject("certificateProperties")
                if !cert.subject.isEmpty { w.field("subjectName", cert.subject) }
                if !cert.issuer.isEmpty { w.field("issuerName", cert.issuer) }
                if !cert.notBefore.isEmpty { w.field("notValidBefore", cert.notBefore) }
                if !cert.notAfter.isEmpty { w.field("notValidAfter", cert.notAfter) }
                if let s = sigRef { w.field("signatureAlgorithmRef", s) }
                if let k = keyRef { w.field("subjectPublicKeyRef", k) }
                w.field("certificateFormat", "X.509")
                w.endObject()
            } extra: {
                w.beginArray("hashes"); w.beginObject(); w.field("alg", "SHA-256"); w.field("content", cert.sha256); w.endObject(); w.endArray()
            }
        }
        for (ref, (key, alg)) in keys.sorted(by: { $0.key < $1.key }) {
            component(w, ref, "\(key.type) public key") {
                w.field("assetType", "related-crypto-material")
                w.beginObject("relatedCryptoMaterialProperties")
                w.field("type", "public-key")
                w.field("algorithmRef", alg)
                if let b = key.bits { w.field("size", b) }
                w.endObject()
            }
        }
        w.endArray()

        w.beginArray("services")
        for (ref, s) in services.sorted(by: { $0.key < $1.key }) {
            w.beginObject()
            w.field("bom-ref", ref)
            w.field("name", "\(s.application) \(s.transport)/\(s.port.map(String.init) ?? "-")")
            w.key("x-trust-boundary"); w.bool(s.segment != "internal" && s.segment != "link")
            w.field("trustZone", s.segment)
            w.beginArray("properties")
            property(w, "demarc:segment", s.segment)
            property(w, "demarc:responsible", s.party)
            property(w, "demarc:flows", String(s.flows))
            property(w, "demarc:post_quantum_flows", String(s.postQuantum))
            property(w, "demarc:classical_flows", String(s.classical))
            w.endArray()
            w.endObject()
        }
        w.endArray()

        w.beginArray("dependencies")
        for (ref, s) in services.sorted(by: { $0.key < $1.key }) {
            w.beginObject(); w.field("ref", ref)
            w.beginArray("dependsOn"); for r in s.refs.sorted() { w.string(r) }; w.endArray()
            w.endObject()
        }
        for (ref, (_, keyRef, sigRef)) in certificates.sorted(by: { $0.key < $1.key }) {
            let deps = [keyRef, sigRef].compactMap { $0 }
            guard !deps.isEmpty else { continue }
            w.beginObject(); w.field("ref", ref)
            w.beginArray("dependsOn"); for r in deps { w.string(r) }; w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        output.write(w.bytes)
        output.write("\n")
        output.flush()
    }

    private func property(_ w: JSONWriter, _ name: String, _ value: String) {
        w.beginObject(); w.field("name", name); w.field("value", value); w.endObject()
    }

    private func component(_ w: JSONWriter, _ ref: String, _ name: String, _ crypto: () -> Void, extra: () -> Void = {}) {
        w.beginObject()
        w.field("type", "cryptographic-asset")
        w.field("bom-ref", ref)
        w.field("name", name)
        extra()
        w.beginObject("cryptoProperties")
        crypto()
        w.endObject()
        w.endObject()
    }
}
