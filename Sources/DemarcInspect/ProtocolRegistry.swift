import DemarcBase
import DemarcDecode
/// The protocol registry: one line per protocol, the way nDPI keeps a protocol's defaults
/// in one call. Each line holds the report's name for it (an `AppProtocol` case), the name
/// messages use, what the protocol implies for encryption, the registered ports above 1023
/// that name its service (every port below 1024 does already: `ServicePorts`), and the
/// inspector that recognises it.
///
/// The order is the inspectors' precedence: each flow is offered to them in the order of
/// their first line, most specific first (TLS before the protocols it may carry; GTP-C
/// before the overlays, so that GTP's path messages on its port are the control plane's).
///
/// Adding a protocol: its inspector in Protocols/<Family>/<Name>.swift, its case in
/// `AppProtocol` and its line here, and a fixture in Tests/DemarcCoreTests/Fixtures. A test
/// checks that every reported name has exactly one line.
public enum ProtocolRegistry {
    public struct Entry: Sendable {
        public let app: AppProtocol
        public let displayName: String
        /// What the protocol itself says of encryption (an inspector may still decide
        /// otherwise for a flow: a STARTTLS upgrade, RPCSEC_GSS privacy).
        public let inherent: EncryptionState
        public let ports: [UInt16]
        public let inspector: any ProtocolInspector.Type

        init(_ app: AppProtocol, _ displayName: String, _ inherent: EncryptionState, ports: [UInt16],
             _ inspector: any ProtocolInspector.Type) {
            self.app = app; self.displayName = displayName; self.inherent = inherent
            self.ports = ports; self.inspector = inspector
        }
    }

    public static let entries: [Entry] = [
        .init(.tls,        "TLS", .encrypted, ports: [4433, 6443, 8443, 9443], TLSInspector.self),
        .init(.dtls,       "DTLS", .encrypted, ports: [], DTLSInspector.self),
        .init(.quic,       "QUIC", .encrypted, ports: [], QUICInspector.self),
        .init(.ssh,        "SSH", .encrypted, ports: [], SSHInspector.self),
        .init(.http,       "HTTP", .cleartext, ports: [3128, 8000, 8008, 8080, 8081, 8088, 8888], HTTPInspector.self),
        .init(.ssdp,       "SSDP", .cleartext, ports: [1900], HTTPInspector.self),
        .init(.whatsapp,   "whatsapp", .encrypted, ports: [], WhatsAppInspector.self),
        .init(.wireguard,  "WireGuard", .encrypted, ports: [51820], WireGuardInspector.self),
        .init(.openvpn,    "OpenVPN", .encrypted, ports: [1194], OpenVPNInspector.self),
        .init(.ike,        "IKE", .encrypted, ports: [4500], IKEInspector.self),
        .init(.esp,        "ESP", .encrypted, ports: [], IKEInspector.self),
        // NetBIOS before DNS: its name service speaks DNS's format on UDP 137.
        .init(.netbios,    "NetBIOS", .cleartext, ports: [], NetBIOSInspector.self),
        .init(.dns,        "DNS", .cleartext, ports: [], DNSInspector.self),
        .init(.mdns,       "MDNS", .cleartext, ports: [5353], DNSInspector.self),
        .init(.llmnr,      "LLMNR", .cleartext, ports: [5355], DNSInspector.self),
        .init(.dnscrypt,   "DNSCrypt", .encrypted, ports: [], DNSInspector.self),
        // VMware's daemon before SMTP: both greet with "220 ", and its greeting names it.
        .init(.vmware,     "VMware authentication daemon", .cleartext, ports: [], VMwareAuthdInspector.self),
        .init(.smtp,       "SMTP", .cleartext, ports: [], MailInspector.self),
        .init(.pop3,       "POP3", .cleartext, ports: [], MailInspector.self),
        .init(.imap,       "IMAP", .cleartext, ports: [], MailInspector.self),
        .init(.ftp,        "FTP", .cleartext, ports: [], FTPInspector.self),
        // Data connections are named by their control connection's announcement
        // (`AnnouncedEndpoints`), never by their own bytes.
        .init(.ftpdata,    "FTP data", .cleartext, ports: [], FTPInspector.self),
        .init(.xmpp,       "XMPP", .cleartext, ports: [5222, 5223], XMPPInspector.self),
        .init(.ldap,       "LDAP", .cleartext, ports: [3268, 3269], LDAPInspector.self),
        .init(.telnet,     "Telnet", .cleartext, ports: [], TelnetInspector.self),
        .init(.smb,        "SMB", .cleartext, ports: [], SMBInspector.self),
        // ISO transport before RDP: both speak X.224 in TPKT, and ISO-TSAP's port or S7's
        // protocol id is what tells S7 and MMS apart from RDP's connection request.
        .init(.s7comm,     "S7comm", .cleartext, ports: [], ISOTransportInspector.self),
        .init(.isotsap,    "ISO transport (TPKT/COTP)", .cleartext, ports: [], ISOTransportInspector.self),
        .init(.rdp,        "RDP", .cleartext, ports: [3389], RDPInspector.self),
        .init(.postgresql, "PostgreSQL", .cleartext, ports: [5432], PostgreSQLInspector.self),
        .init(.mysql,      "MySQL", .cleartext, ports: [3306], MySQLInspector.self),
        .init(.mssql,      "SQL Server (TDS)", .cleartext, ports: [1433, 1434], TDSInspector.self),
        .init(.redis,      "Redis", .cleartext, ports: [6379], RedisInspector.self),
        .init(.mongodb,    "mongodb", .cleartext, ports: [27017, 27018], MongoDBInspector.self),
        .init(.sip,        "SIP", .cleartext, ports: [5060, 5061], SIPInspector.self),
        .init(.rtsp,       "RTSP", .cleartext, ports: [], RTSPInspector.self),
        .init(.mqtt,       "MQTT", .cleartext, ports: [1883, 8883], MQTTInspector.self),
        .init(.snmp,       "SNMP", .cleartext, ports: [], SNMPInspector.self),
        .init(.syslog,     "syslog", .cleartext, ports: [6514], SyslogInspector.self),
        .init(.ntp,        "NTP", .cleartext, ports: [], NTPInspector.self),
        .init(.dhcp,       "DHCP", .cleartext, ports: [], DHCPInspector.self),
        .init(.dhcpv6,     "DHCPv6", .cleartext, ports: [], DHCPInspector.self),
        .init(.slp,        "SLP", .cleartext, ports: [], SLPInspector.self),
        .init(.stun,       "STUN", .cleartext, ports: [3478, 3479, 5349, 19302], STUNInspector.self),
        .init(.kerberos,   "kerberos", .cleartext, ports: [], KerberosInspector.self),
        .init(.bgp,        "BGP", .cleartext, ports: [], BGPInspector.self),
        .init(.nfs,        "NFS", .cleartext, ports: [2049], RPCInspector.self),
        .init(.vnc,        "VNC", .cleartext, ports: [5900], VNCInspector.self),
        .init(.socks,      "socks", .cleartext, ports: [1080], SOCKSInspector.self),
        .init(.bitcoin,    "bitcoin", .cleartext, ports: [8333], BitcoinInspector.self),
        .init(.zabbix,     "zabbix", .cleartext, ports: [10050, 10051], ZabbixInspector.self),
        .init(.ethereum,   "ethereum", .cleartext, ports: [30303], EthereumInspector.self),
        .init(.git,        "Git", .cleartext, ports: [9418], GitInspector.self),
        .init(.fix,        "FIX", .cleartext, ports: [], FIXInspector.self),
        .init(.giop,       "GIOP", .cleartext, ports: [], GIOPInspector.self),
        .init(.gearman,    "Gearman", .cleartext, ports: [4730], GearmanInspector.self),
        .init(.modbus,     "Modbus", .cleartext, ports: [], ModbusInspector.self),
        .init(.coap,       "COAP", .cleartext, ports: [5683, 5684], CoAPInspector.self),
        .init(.someip,     "SOME/IP", .cleartext, ports: [30490], SOMEIPInspector.self),
        .init(.websocket,  "WebSocket", .cleartext, ports: [], WebSocketInspector.self),
        .init(.discord,    "Discord voice", .cleartext, ports: [], DiscordVoiceInspector.self),
        .init(.tinc,       "tinc", .encrypted, ports: [], TincInspector.self),
        .init(.kafka,      "kafka", .cleartext, ports: [9092, 9093], KafkaInspector.self),
        .init(.cassandra,  "cassandra", .cleartext, ports: [7000, 7001, 9042], CassandraInspector.self),
        .init(.amqp,       "AMQP", .cleartext, ports: [5671, 5672], AMQPInspector.self),
        .init(.memcached,  "memcached", .cleartext, ports: [11211], MemcachedInspector.self),
        .init(.dnp3,       "dnp3", .cleartext, ports: [20000], DNP3Inspector.self),
        .init(.irc,        "IRC", .cleartext, ports: [6660, 6665, 6666, 6667, 6668, 6669, 6697], IRCInspector.self),
        .init(.whois,      "whois", .cleartext, ports: [], WhoisInspector.self),
        .init(.rsync,      "rsync", .cleartext, ports: [], RsyncInspector.self),
        .init(.bittorrent, "bittorrent", .cleartext, ports: [6881], BitTorrentInspector.self),
        .init(.tftp,       "TFTP", .cleartext, ports: [], TFTPInspector.self),
        .init(.radius,     "radius", .cleartext, ports: [1645, 1646, 1812, 1813, 3799], RADIUSInspector.self),
        .init(.nano,       "nano", .cleartext, ports: [7075], NanoInspector.self),
        .init(.gtpc,       "GTP-C", .cleartext, ports: [2123], GTPControlInspector.self),
        .init(.vxlan,      "VXLAN", .cleartext, ports: [4789, 4790], OverlayInspector.self),
        .init(.geneve,     "Geneve", .cleartext, ports: [6081], OverlayInspector.self),
        .init(.gre,        "GRE", .cleartext, ports: [], OverlayInspector.self),
        .init(.gtpu,       "GTP-U", .cleartext, ports: [2152], OverlayInspector.self),
        .init(.nats,       "NATS", .cleartext, ports: [4222], NATSInspector.self),
        .init(.netflow,    "NetFlow", .cleartext, ports: [2055], FlowExportInspector.self),
        .init(.ipfix,      "IPFIX", .cleartext, ports: [4739], FlowExportInspector.self),
        .init(.sflow,      "sFlow", .cleartext, ports: [6343], FlowExportInspector.self),
        .init(.rlogin,     "rlogin", .cleartext, ports: [], RemoteShellInspector.self),
        .init(.rsh,        "rsh", .cleartext, ports: [], RemoteShellInspector.self),
        .init(.zoom,       "Zoom", .encrypted, ports: [], ZoomInspector.self),
        .init(.netcode,    "netcode.io", .encrypted, ports: [], NetcodeInspector.self),
        .init(.rtp,        "RTP", .cleartext, ports: [5004, 5005], RTCPInspector.self),
        .init(.srtp,       "SRTP", .encrypted, ports: [], RTCPInspector.self),
        .init(.iscsi,      "iSCSI", .cleartext, ports: [3260], ISCSIInspector.self),
        .init(.openflow,   "OpenFlow", .cleartext, ports: [6633, 6653], OpenFlowInspector.self),
        .init(.ovsdb,      "OVSDB", .cleartext, ports: [6640], OVSDBInspector.self),
        .init(.pptp,       "PPTP", .cleartext, ports: [1723], PPTPInspector.self),
        .init(.l2tp,       "L2TP", .cleartext, ports: [1701], L2TPInspector.self),
        .init(.dcerpc,     "DCE/RPC", .cleartext, ports: [], DCERPCInspector.self),
        .init(.ubiquiti,   "Ubiquiti discovery", .cleartext, ports: [10001], UbiquitiDiscoveryInspector.self),
        .init(.roughtime,  "Roughtime", .cleartext, ports: [2002], RoughtimeInspector.self),
        .init(.fins,       "FINS", .cleartext, ports: [9600], FINSInspector.self),
        .init(.capwap,     "CAPWAP", .cleartext, ports: [5246, 5247], CAPWAPInspector.self),
        .init(.elasticsearch, "Elasticsearch transport", .cleartext, ports: [9300], ElasticsearchTransportInspector.self),
        .init(.avast,      "Avast NOSA", .encrypted, ports: [], AvastNOSAInspector.self),
        .init(.gnutella,   "Gnutella", .cleartext, ports: [], GnutellaInspector.self),
        .init(.edonkey,    "eDonkey", .cleartext, ports: [], EDonkeyInspector.self),
        .init(.iec104,     "IEC 60870-5-104", .cleartext, ports: [], IEC104Inspector.self),
        .init(.bacnet,     "BACnet/IP", .cleartext, ports: [], BACnetInspector.self),
        .init(.knxnetip,   "KNXnet/IP", .cleartext, ports: [], KNXnetIPInspector.self),
        .init(.ethernetip, "EtherNet/IP", .cleartext, ports: [], EtherNetIPInspector.self),
        .init(.quake,      "Quake", .cleartext, ports: [], QuakeEngineInspector.self),
        .init(.sourceengine, "Source engine", .cleartext, ports: [], QuakeEngineInspector.self),
        .init(.raknet,     "RakNet", .cleartext, ports: [], RakNetInspector.self),
        .init(.teamspeak,  "TeamSpeak", .cleartext, ports: [], TeamSpeakInspector.self),
        .init(.hsrp,       "HSRP", .cleartext, ports: [], HSRPInspector.self),
        .init(.ptp,        "PTP", .cleartext, ports: [], PTPInspector.self),
        .init(.collectd,   "collectd", .cleartext, ports: [], CollectdInspector.self),
        .init(.ajp,        "AJP", .cleartext, ports: [], AJPInspector.self),
        .init(.fastcgi,    "FastCGI", .cleartext, ports: [], FastCGIInspector.self),
        .init(.rtmp,       "RTMP", .cleartext, ports: [], RTMPInspector.self),
        .init(.bfd,        "BFD", .cleartext, ports: [], BFDInspector.self),
        .init(.ldp,        "LDP", .cleartext, ports: [], LDPInspector.self),
        .init(.diameter,   "Diameter", .cleartext, ports: [], DiameterInspector.self),
        .init(.natpmp,     "NAT-PMP", .cleartext, ports: [], NATPMPInspector.self),
        .init(.bjnp,       "BJNP", .cleartext, ports: [], BJNPInspector.self),
        .init(.rmcp,       "RMCP", .cleartext, ports: [], RMCPInspector.self),
        .init(.iax2,       "IAX2", .cleartext, ports: [], IAX2Inspector.self),
        .init(.opcua,      "OPC UA", .cleartext, ports: [], OPCUAInspector.self),
        .init(.hartip,     "HART-IP", .cleartext, ports: [], HARTIPInspector.self),
        .init(.hislip,     "HiSLIP", .cleartext, ports: [], HiSLIPInspector.self),
        .init(.ads,        "Beckhoff ADS", .cleartext, ports: [], BeckhoffADSInspector.self),
        .init(.battlenet,  "Battle.net", .cleartext, ports: [], BattleNetInspector.self),
        .init(.teredo,     "Teredo", .cleartext, ports: [], TeredoInspector.self),
        .init(.pfcp,       "PFCP", .cleartext, ports: [], PFCPInspector.self),
        .init(.lisp,       "LISP", .cleartext, ports: [], LISPInspector.self),
        .init(.miio,       "Xiaomi miIO", .encrypted, ports: [], MiIOInspector.self),
        .init(.profinet,   "PROFINET IO", .cleartext, ports: [], DCERPCDatagramInspector.self),
        .init(.dlep,       "DLEP", .cleartext, ports: [], DLEPInspector.self),
        .init(.afp,        "AFP", .cleartext, ports: [], AFPInspector.self),
        .init(.gtpprime,   "GTP'", .cleartext, ports: [], GTPPrimeInspector.self),
        .init(.cipio,      "CIP I/O", .cleartext, ports: [2222], CIPIOInspector.self),
        .init(.c1222,      "ANSI C12.22", .cleartext, ports: [1153], ANSIC1222Inspector.self),
        .init(.atg,        "Tank gauge (ATG)", .cleartext, ports: [], TankGaugeInspector.self),
        .init(.c37118,     "IEEE C37.118", .cleartext, ports: [4712, 4713], SynchrophasorInspector.self),
        .init(.trdp,       "TRDP", .cleartext, ports: [17224, 17225], TRDPInspector.self),
        .init(.dlms,       "DLMS/COSEM", .cleartext, ports: [4059], DLMSInspector.self),
        .init(.haproxy,    "PROXY protocol", .cleartext, ports: [], ProxyProtocolInspector.self),
        .init(.xdmcp,      "XDMCP", .cleartext, ports: [], XDMCPInspector.self),
        .init(.wsd,        "WS-Discovery", .cleartext, ports: [3702], WSDiscoveryInspector.self),
        .init(.tivoconnect, "TiVoConnect", .cleartext, ports: [2190], TiVoConnectInspector.self),
        .init(.citrix,     "Citrix ICA", .encrypted, ports: [1494, 2598], CitrixICAInspector.self),
        .init(.munin,      "Munin", .cleartext, ports: [4949], MuninInspector.self),
        .init(.checkmk,    "Checkmk agent", .cleartext, ports: [6556], CheckMKInspector.self),
        .init(.kismet,     "Kismet", .cleartext, ports: [2501], KismetInspector.self),
        .init(.stomp,      "STOMP", .cleartext, ports: [61613], STOMPInspector.self),
        .init(.hl7,        "HL7 (MLLP)", .cleartext, ports: [2575], HL7Inspector.self),
        .init(.jrmi,       "Java RMI", .cleartext, ports: [1099], JavaRMIInspector.self),
        .init(.rtps,       "RTPS (DDS)", .cleartext, ports: [7400, 7401], RTPSInspector.self),
        .init(.mgcp,       "MGCP", .cleartext, ports: [2427, 2727], MGCPInspector.self),
        .init(.h323,       "H.323 (H.225.0)", .cleartext, ports: [1720], H323Inspector.self),
        .init(.mpegts,     "MPEG-TS", .cleartext, ports: [], MPEGTSInspector.self),
        .init(.oracle,     "Oracle TNS", .cleartext, ports: [], OracleTNSInspector.self),
        .init(.ceph,       "Ceph", .cleartext, ports: [3300, 6789], CephInspector.self),
        .init(.dropbox,    "Dropbox LAN sync", .cleartext, ports: [17500], DropboxLANSyncInspector.self),
        .init(.caneth,     "CAN-ETH", .cleartext, ports: [11898], CANEthernetInspector.self),
        .init(.nntp,       "NNTP", .cleartext, ports: [], NNTPInspector.self),
        .init(.thrift,     "Thrift", .cleartext, ports: [], ThriftInspector.self),
        // Stratum before JSON-RPC: its Ethereum pools' messages carry "jsonrpc" too.
        .init(.mining,     "Stratum (mining)", .cleartext, ports: [], StratumInspector.self),
        .init(.jsonrpc,    "JSON-RPC", .cleartext, ports: [], JSONRPCInspector.self),
        .init(.bfcp,       "BFCP", .cleartext, ports: [], BFCPInspector.self),
        .init(.cnpip,      "CNP/IP (LonWorks)", .cleartext, ports: [1628, 1629], CNPIPInspector.self),
        .init(.lustre,     "Lustre LNet", .cleartext, ports: [], LustreInspector.self),
        .init(.flute,      "FLUTE", .cleartext, ports: [], FLUTEInspector.self),
        .init(.icecast,    "Icecast", .cleartext, ports: [], IceCastInspector.self),
        .init(.skinny,     "Cisco Skinny (SCCP)", .cleartext, ports: [], SkinnyInspector.self),
        .init(.monero,     "Monero (levin)", .cleartext, ports: [18080], MoneroInspector.self),
        .init(.clickhouse, "ClickHouse", .cleartext, ports: [], ClickHouseInspector.self),
        .init(.z3950,      "Z39.50", .cleartext, ports: [], Z3950Inspector.self),
        .init(.iec6205621, "IEC 62056-21", .cleartext, ports: [], IEC62056ReadoutInspector.self),
        .init(.openwire,   "OpenWire (ActiveMQ)", .cleartext, ports: [61616], OpenWireInspector.self),
        .init(.smpp,       "SMPP", .cleartext, ports: [2775], SMPPInspector.self),
        .init(.drda,       "DRDA", .cleartext, ports: [], DRDAInspector.self),
        .init(.megaco,     "Megaco (H.248)", .cleartext, ports: [2944, 2945], MegacoInspector.self),
        .init(.dicom,      "DICOM", .cleartext, ports: [11112], DICOMInspector.self),
        .init(.zeromq,     "ZeroMQ (ZMTP)", .cleartext, ports: [], ZeroMQInspector.self),
        .init(.tailscale,  "Tailscale disco", .encrypted, ports: [41641], TailscaleDiscoInspector.self),
        .init(.melsec,     "MELSEC (MC protocol)", .cleartext, ports: [], MELSECInspector.self),
        .init(.oscar,      "OSCAR (AIM, ICQ)", .cleartext, ports: [5190], OSCARInspector.self),
        .init(.directconnect, "Direct Connect", .cleartext, ports: [], DirectConnectInspector.self),
        .init(.rx,         "AFS Rx", .cleartext, ports: [7002, 7003, 7004, 7005, 7006, 7007, 7008, 7009], AFSRxInspector.self),
        .init(.steam,      "Steam (UDP)", .encrypted, ports: [], SteamUDPInspector.self),
        // Last: a framing any UDP payload is offered to, checked only when nothing else spoke.
        .init(.kcp,        "KCP", .cleartext, ports: [], KCPInspector.self),
    ]

    /// Each protocol's line, by `AppProtocol.rawValue` (nil for `unknown`).
    static let byApp: [Entry?] = {
        var table = [Entry?](repeating: nil, count: AppProtocol.allCases.count)
        for e in entries { table[Int(e.app.rawValue)] = e }
        return table
    }()

    /// The inspectors in precedence order, each once.
    static let inspectors: [any ProtocolInspector.Type] = {
        var seen = Set<ObjectIdentifier>()
        return entries.compactMap { seen.insert(ObjectIdentifier($0.inspector)).inserted ? $0.inspector : nil }
    }()

    /// Registered ports of recognised services.
    package static var servicePorts: [UInt16] { entries.flatMap(\.ports) }
}
