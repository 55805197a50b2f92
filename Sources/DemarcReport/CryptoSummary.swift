import DemarcInspect
import DemarcScenario

/// The html report's "Cryptography" section: the key exchanges seen by segment and party
/// (with whether each resists a quantum computer), and the flows that block post-quantum
/// readiness (a classical exchange), those the scenario requires first. Bounded: counts
/// by distinct exchange, and at most `listed` flows named one by one.
struct CryptoSummary {
    struct Key: Hashable, Comparable {
        var segment: String, party: String, exchange: String
        static func < (l: Key, r: Key) -> Bool { (l.segment, l.party, l.exchange) < (r.segment, r.party, r.exchange) }
    }
    private(set) var exchanges: [Key: (flows: Int, postQuantum: Bool?)] = [:]
    private(set) var blocking: [(id: UInt64, required: Bool, text: String)] = []
    private(set) var blockingCount = 0
    private(set) var notSeen = 0
    static let listed = 100

    mutating func add(_ r: FlowRecord) {
        guard let n = r.encryption.negotiated, let kx = n.keyExchange else {
            if r.encryption.state == .encrypted && r.encryption.protocolName != nil { notSeen += 1 }
            return
        }
        let key = Key(segment: r.segment.rawValue, party: r.responsible.rawValue, exchange: kx)
        exchanges[key, default: (0, n.postQuantum)].flows += 1
        guard n.postQuantum == false else { return }
        blockingCount += 1
        let required = r.findings.contains { $0.code == "quantum-vulnerable-key-exchange" }
        if blocking.count < CryptoSummary.listed || required {
            blocking.append((r.id, required, "\(r.application ?? "?") \(r.client.zone) → \(r.server.zone) (\(r.segment.rawValue), \(r.responsible.rawValue)): \(kx)"))
            if blocking.count > CryptoSummary.listed, let i = blocking.firstIndex(where: { !$0.required }) { blocking.remove(at: i) }
        }
    }

    func html(_ esc: (String) -> String) -> String {
        var o = "<h2>Cryptography</h2>\n"
        if exchanges.isEmpty {
            o += "<p>No key exchange was seen in a handshake.</p>\n"
        } else {
            o += "<p class=\"meta\">Key exchanges negotiated, by segment and party; post-quantum: an exchange that includes ML-KEM or sntrup761 (docs/crypto.md).</p>\n"
            // Rows without thead/tbody: the page's flow table is its first tbody.
            o += "<table id=\"key-exchanges\"><tr><th>segment</th><th>party</th><th>key exchange</th><th>post-quantum</th><th>flows</th></tr>\n"
            for (k, v) in exchanges.sorted(by: { $0.key < $1.key }) {
                let pq = v.postQuantum.map { $0 ? "yes" : "no" } ?? "-"
                o += "<tr><td>\(k.segment)</td><td>\(k.party)</td><td>\(esc(k.exchange))</td><td>\(pq)</td><td class=\"n\">\(v.flows)</td></tr>\n"
            }
            o += "</table>\n"
        }
        if notSeen > 0 { o += "<p class=\"meta\">\(notSeen) encrypted flows showed no key exchange (the handshake was not captured, or is encrypted).</p>\n" }
        o += "<h3>Flows that block post-quantum readiness</h3>\n"
        if blockingCount == 0 {
            o += "<p>None: every key exchange seen is post-quantum.</p>\n"
        } else {
            let shown = blocking.sorted { ($0.required ? 0 : 1, $0.id) < ($1.required ? 0 : 1, $1.id) }
            o += "<p>\(blockingCount) flows negotiated a classical key exchange\(blockingCount > shown.count ? " (the first \(shown.count) listed, those the scenario requires post-quantum of first)" : "").</p>\n<ul>\n"
            for b in shown {
                o += "<li><a href=\"#flow-\(b.id)\">flow \(b.id)</a>: \(esc(b.text))\(b.required ? " — <b>post-quantum required</b>" : "")</li>\n"
            }
            o += "</ul>\n"
        }
        return o
    }
}
