import DemarcBase
/// `--ipfix HOST:PORT`: every flow record as an IPFIX biflow data record, packed into
/// messages of at most `maxMessage` octets and handed to `send` (one UDP datagram each).
/// The templates go first, then again whenever `templateInterval` seconds of wall-clock
/// time have passed since they were last sent, as collectors over UDP expect (RFC 7011
/// section 8.4). Live monitoring sends each flow as it ends; replay fills messages.
public final class IPFIXWriter: ReportWriter {
    public static let defaultTemplateInterval: Int64 = 60
    /// Fits one Ethernet frame with IPv6 and UDP headers (1500 − 40 − 8) with room to spare.
    public static let maxMessage = 1400

    private let template: IPFIXTemplate
    private let templateSet: [UInt8]
    private var builder: IPFIXMessageBuilder
    private let send: ([UInt8]) -> Void
    private let live: Bool
    private let templateInterval: Int64
    private let clock: () -> Int64
    /// When the templates were last sent (seconds), nil before the first time.
    private var templatesSentAt: Int64?
    /// The data set being filled: its template and records (set header added on send).
    private var pendingID: UInt16 = 0
    private var pending: [UInt8] = []
    private var pendingRecords = 0
    private var record: [UInt8] = []

    /// - Parameters:
    ///   - domain: the observation domain id of every message.
    ///   - clock: wall-clock seconds since the epoch (export time, template timer).
    public init(template: IPFIXTemplate, domain: UInt32, live: Bool,
                templateInterval: Int64 = IPFIXWriter.defaultTemplateInterval,
                clock: @escaping () -> Int64 = { Timestamps.nowMicros() / 1_000_000 },
                send: @escaping ([UInt8]) -> Void) {
        self.template = template
        self.templateSet = template.templateSet()
        self.builder = IPFIXMessageBuilder(domain: domain)
        self.live = live
        self.templateInterval = templateInterval
        self.clock = clock
        self.send = send
    }

    public func begin(_ header: ReportHeader) {}

    public func flow(_ r: FlowRecord) {
        record.removeAll(keepingCapacity: true)
        template.record(r, into: &record)
        let id = IPFIXTemplate.templateID(r)
        let room = IPFIXWriter.maxMessage - IPFIX.headerLength - IPFIX.setHeaderLength - templateSet.count
        if pendingRecords > 0 && (id != pendingID || pending.count + record.count > room) { flush() }
        pendingID = id
        pending += record
        pendingRecords += 1
        if live { flush() }
    }

    public func finish(_ header: ReportHeader) { flush() }

    /// Sends the pending records, with the templates first when they are due.
    private func flush() {
        let now = clock()
        var sets: [[UInt8]] = []
        if templatesSentAt.map({ now - $0 >= templateInterval }) ?? true {
            sets.append(templateSet)
            templatesSentAt = now
        }
        if pendingRecords > 0 {
            var set: [UInt8] = []
            set.appendBE(pendingID)
            set.appendBE(UInt16(IPFIX.setHeaderLength + pending.count))
            set += pending
            sets.append(set)
        }
        guard !sets.isEmpty else { return }
        send(builder.message(sets: sets, records: pendingRecords, exportTime: UInt32(truncatingIfNeeded: now)))
        pending.removeAll(keepingCapacity: true)
        pendingRecords = 0
    }
}
