/// Application protocols demarc recognises, each with what it implies for encryption.
public enum AppProtocol: UInt8, Sendable, CaseIterable {
    case unknown
    // Encrypted by design.
    case tls, dtls, quic, ssh, esp, ike, wireguard, openvpn, dnscrypt, whatsapp, tinc, srtp, zoom, netcode
    // Cleartext.
    case http, dns, mdns, llmnr, netbios, ftp, telnet, smtp, pop3, imap, ldap, xmpp
    case snmp, syslog, ntp, dhcp, sip, rtsp, mqtt, redis, mysql, postgresql, smb, rdp
    case ssdp, slp, stun, rtp, nfs, kerberos, bgp, irc, nntp, vnc, socks, memcached
    case dhcpv6, tftp, radius, coap, amqp, kafka, cassandra, mongodb, elasticsearch, zabbix
    case bittorrent, git, whois, modbus, dnp3, ethereum, bitcoin, rsync, cups
    case fix, giop, gearman, someip, websocket, discord, nano, mssql
    case vxlan, geneve, gre, nats, netflow, ipfix, sflow, rlogin, rsh, gtpu, gtpc, iscsi, openflow, ovsdb, pptp, l2tp, dcerpc

    /// The report's name for the protocol (the case name), looked up, not reflected.
    public var name: String { AppProtocol.names[Int(rawValue)] }

    private static let names: [String] = allCases.map { String(describing: $0) }

    /// What the protocol itself says of encryption; nil where it depends on the flow.
    public var inherent: EncryptionState {
        switch self {
        case .unknown: return .unknown
        case .tls, .dtls, .quic, .ssh, .esp, .ike, .wireguard, .openvpn, .dnscrypt, .whatsapp, .tinc, .srtp, .zoom, .netcode:
            return .encrypted
        default: return .cleartext
        }
    }
}
