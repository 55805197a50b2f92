#!/usr/bin/python3
"""Writes the link-layer test captures (Tests/DemarcCLITests/LinkLayers/*.pcap) that the
kernels here cannot record (no macsec or mpls devices): each a DNS query from 10.1.0.1
port 5000 to 10.1.0.2 port 53, framed by one link layer, built with Debian's scapy
(python3-scapy; its MACsec layer authenticates and encrypts with GCM-AES-128 under a
real key). Run with Debian's python3: scripts/link-layers.py
"""
import os, struct

from scapy.all import Ether, IP, UDP, DNS, DNSQR, PPP, HDLC, RadioTap, Dot11, Dot11QoS, LLC, SNAP, Raw, wrpcap
from scapy.contrib.macsec import MACsecSA
from scapy.contrib.mpls import MPLS
from scapy.contrib.nsh import NSH

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "DemarcCLITests", "LinkLayers")
query = IP(src="10.1.0.1", dst="10.1.0.2", id=1) / UDP(sport=5000, dport=53) / DNS(rd=1, qd=DNSQR(qname="demarc.test"))
mac = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def write(name, packets, linktype):
    path = os.path.join(OUT, name + ".pcap")
    wrpcap(path, packets, linktype=linktype)
    print(f"{name}: {len(packets)} frames")


def macsec(encrypt):
    sa = MACsecSA(sci=b"\x02\x00\x00\x00\x00\x01\x00\x01", an=0, pn=100, key=b"demarc-test-key!", icvlen=16,
                  encrypt=encrypt, send_sci=1)
    return sa.encrypt(sa.encap(Ether(**mac) / query))


write("macsec-integrity", [macsec(0)], 1)
write("macsec-encrypted", [macsec(1)], 1)
write("mpls-ppp", [HDLC(address=0xff, control=0x03) / PPP(proto=0x0281) / MPLS(label=16, s=1, ttl=64) / query], 9)
write("nsh", [Ether(**mac, type=0x894f) / NSH(mdtype=2, nextproto=1, spi=42, si=255) / query], 1)
wifi = RadioTap() / Dot11(type=2, subtype=8, FCfield="to-DS", addr1="02:00:00:00:00:02", addr2="02:00:00:00:00:01",
                          addr3="02:00:00:00:00:03") / Dot11QoS()
write("wifi-radiotap", [wifi / LLC() / SNAP() / query], 127)
protected = RadioTap() / Dot11(type=2, subtype=8, FCfield="to-DS+protected", addr1="02:00:00:00:00:02",
                               addr2="02:00:00:00:00:01", addr3="02:00:00:00:00:03") / Dot11QoS() / Raw(os.urandom(64))
write("wifi-protected", [protected], 127)
# IP over InfiniBand (LINKTYPE_IPOIB): two 20-byte hardware addresses, then RFC 4391's
# encapsulation header (ethertype, two reserved bytes).
ipoib = bytes(range(20)) + bytes(range(20, 40)) + struct.pack(">HH", 0x0800, 0) + bytes(query)
write("ipoib", [Raw(ipoib)], 242)
# PKTAP (macOS): a 108-byte little-endian header naming the inner DLT (1, Ethernet).
pktap = struct.pack("<III", 108, 1, 1) + b"en0".ljust(24, b"\0") + bytes(108 - 36)
write("pktap", [Raw(pktap + bytes(Ether(**mac) / query))], 258)
# ARCNET as Linux captures it: source, destination, a 2-byte offset, then RFC 1201's
# protocol id (212, IP), split flag and sequence number.
arcnet = bytes([0x01, 0x02, 0x00, 0x00, 212, 0x00, 0x00, 0x01]) + bytes(query)
write("arcnet-linux", [Raw(arcnet)], 129)
