import DemarcBase
import DemarcDecode
/// The application protocols demarc reports, by the name reports give them (the case
/// name). Each has exactly one line in `ProtocolRegistry`, which says what it implies for
/// encryption, how messages name it, its service ports and its inspector; the cases are
/// listed in the registry's order.
public enum AppProtocol: UInt8, Sendable, CaseIterable {
    case unknown
    case tls, dtls, quic, ssh, http, ssdp, whatsapp, wireguard, openvpn, ike, esp, netbios, dns, mdns, llmnr
    case dnscrypt, vmware, smtp, pop3, imap, ftp, ftpdata, xmpp, ldap, telnet, smb, s7comm, isotsap, rdp, postgresql, mysql, mssql
    case redis, mongodb, sip, rtsp, mqtt, snmp, syslog, ntp, dhcp, dhcpv6, slp, stun, kerberos, bgp, nfs
    case vnc, socks, bitcoin, zabbix, ethereum, git, fix, giop, gearman, modbus, coap, someip, websocket
    case discord, tinc, kafka, cassandra, amqp, memcached, dnp3, irc, whois, rsync, bittorrent, tftp, radius
    case nano, gtpc, vxlan, geneve, gre, gtpu, nats, netflow, ipfix, sflow, rlogin, rsh, zoom, netcode, rtp
    case srtp, iscsi, openflow, ovsdb, pptp, l2tp, dcerpc, ubiquiti, roughtime, fins, capwap, elasticsearch, avast
    case gnutella, edonkey, iec104, bacnet, knxnetip, ethernetip, quake, sourceengine, raknet
    case teamspeak, hsrp, ptp, collectd, ajp, fastcgi, rtmp
    case bfd, ldp, diameter, natpmp, bjnp, rmcp, iax2, opcua, hartip, hislip, ads, battlenet, teredo, pfcp, lisp, miio, profinet, dlep, afp, gtpprime
    case cipio, c1222, atg, c37118, trdp, dlms, haproxy, xdmcp, wsd, tivoconnect, citrix, munin, checkmk, kismet
    case stomp, hl7, jrmi, rtps, mgcp, h323, mpegts, oracle, ceph, dropbox
    case caneth, nntp, thrift, mining, jsonrpc, bfcp, cnpip, lustre, flute, icecast, skinny, monero, clickhouse, z3950, iec6205621
    case openwire, smpp, drda, megaco, dicom, zeromq, tailscale, melsec, oscar, directconnect, rx, steam
    case kcp

    /// The report's name for the protocol (the case name), looked up, not reflected.
    public var name: String { AppProtocol.names[Int(rawValue)] }

    /// The case names in declaration order, split from one literal: reflecting each case
    /// (`String(describing:)`) cost more than all the report's other set-up.
    /// `AppProtocolNameTests` checks them against the cases.
    private static let names: [String] = """
        unknown tls dtls quic ssh http ssdp whatsapp wireguard openvpn ike esp netbios dns mdns llmnr
        dnscrypt vmware smtp pop3 imap ftp ftpdata xmpp ldap telnet smb s7comm isotsap rdp postgresql mysql
        mssql redis mongodb sip rtsp mqtt snmp syslog ntp dhcp dhcpv6 slp stun kerberos bgp nfs vnc
        socks bitcoin zabbix ethereum git fix giop gearman modbus coap someip websocket discord tinc
        kafka cassandra amqp memcached dnp3 irc whois rsync bittorrent tftp radius nano gtpc vxlan
        geneve gre gtpu nats netflow ipfix sflow rlogin rsh zoom netcode rtp srtp iscsi openflow ovsdb
        pptp l2tp dcerpc ubiquiti roughtime fins capwap elasticsearch avast gnutella edonkey iec104
        bacnet knxnetip ethernetip quake sourceengine raknet teamspeak hsrp ptp collectd ajp fastcgi
        rtmp bfd ldp diameter natpmp bjnp rmcp iax2 opcua hartip hislip ads battlenet teredo pfcp lisp
        miio profinet dlep afp gtpprime cipio c1222 atg c37118 trdp dlms haproxy xdmcp wsd tivoconnect
        citrix munin checkmk kismet stomp hl7 jrmi rtps mgcp h323 mpegts oracle ceph dropbox caneth nntp
        thrift mining jsonrpc bfcp cnpip lustre flute icecast skinny monero clickhouse z3950 iec6205621 openwire
        smpp drda megaco dicom zeromq tailscale melsec oscar directconnect rx steam kcp
        """.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x0a }).map { String(decoding: $0, as: UTF8.self) }

    /// What the protocol itself says of encryption (its registry line); `unknown` for none.
    public var inherent: EncryptionState { ProtocolRegistry.byApp[Int(rawValue)]?.inherent ?? .unknown }

    /// How messages name the protocol ("HTTP", "SQL Server (TDS)").
    public var displayName: String? { ProtocolRegistry.byApp[Int(rawValue)]?.displayName }
}
