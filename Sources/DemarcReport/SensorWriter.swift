/// `--sensor NAME`: names where the traffic was seen in the header (`sensor`, each
/// input's `sensor`) and in every flow record, then hands everything to the report's
/// writer. Without --sensor it is not used, and nothing changes.
public final class SensorWriter: ReportWriter {
    private let inner: ReportWriter
    private let name: String

    public init(_ inner: ReportWriter, name: String) {
        self.inner = inner
        self.name = name
    }

    private func named(_ header: ReportHeader) -> ReportHeader {
        var h = header
        h.sensor = name
        for i in h.inputs.indices { h.inputs[i].sensor = name }
        return h
    }

    public func begin(_ header: ReportHeader) { inner.begin(named(header)) }

    public func flow(_ record: FlowRecord) {
        var r = record
        r.sensor = name
        inner.flow(r)
    }

    public func finish(_ header: ReportHeader) { inner.finish(named(header)) }
}

/// One report to several writers, in order: the report's format, then sinks such as
/// IPFIX export.
public final class FanOutWriter: ReportWriter {
    private let writers: [ReportWriter]

    public init(_ writers: [ReportWriter]) { self.writers = writers }

    public func begin(_ header: ReportHeader) { for w in writers { w.begin(header) } }
    public func flow(_ record: FlowRecord) { for w in writers { w.flow(record) } }
    public func finish(_ header: ReportHeader) { for w in writers { w.finish(header) } }
}
