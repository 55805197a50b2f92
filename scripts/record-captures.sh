#!/usr/bin/env bash
# Records the bundled captures: for each worked deployment it builds the topology in
# Linux network namespaces (one bridge, a namespace per host; managed-branch routes
# between three bridges through a branch router and a gateway), runs real servers and
# clients there (OpenSSL, curl, Python's http.server and ssl, sshd, dnsmasq, WireGuard)
# with certificates made here for a customer CA and a provider CA, and records with
# tcpdump.
#
#   sudo scripts/record-captures.sh [overlay-network|iaas-vms|data-platform|credentials-at-the-edge|managed-branch]...
#
# Writes captures/<deployment>.pcap (managed-branch also captures/managed-branch-wan.pcap,
# its router's WAN side). Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

[ "$(id -u)" -eq 0 ] || { echo "record-captures.sh: needs root (network namespaces)" >&2; exit 2; }
scripts/deps.sh tcpdump:tcpdump openssl:openssl curl:curl ip:iproute2 sshd:openssh-server ssh:openssh-client \
  vsftpd:vsftpd nginx:nginx htpasswd:apache2-utils dovecot:dovecot-submissiond swaks:swaks snmpd:snmpd snmpget:snmp \
  dnsmasq:dnsmasq-base udhcpc:udhcpc wireguard-go:wireguard-go wg:wireguard-tools nft:nftables \
  avahi-daemon:avahi-daemon upnpc:miniupnpc wakeonlan:wakeonlan

work=$(mktemp -d)
P=dm   # namespace prefix
hosts=()

# stop_namespaces: end what runs in this run's namespaces, then delete them. A server
# started through on() in the background is a child of a subshell, so killing the jobs
# alone leaves it running; `ip netns pids` names every process inside a namespace.
stop_namespaces() {
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  for h in "${hosts[@]}" core; do
    for pid in $(ip netns pids "$P-$h" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  for h in "${hosts[@]}" core; do ip netns del "$P-$h" 2>/dev/null || true; rm -rf "/etc/netns/$P-$h"; done
  rmdir /etc/netns 2>/dev/null || true
  hosts=()
}

cleanup() {
  stop_namespaces
  rm -rf "$work"
}
trap cleanup EXIT

on() { local h=$1; shift; ip netns exec "$P-$h" "$@"; }

core() {
  ip netns add "$P-core"
  ip -n "$P-core" link set lo up
  ip -n "$P-core" link add br0 type bridge
  ip -n "$P-core" link set br0 up
  on core sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# host NAME IP... : a namespace on the bridge owning these addresses (the first is its
# source address); every destination is on-link, so no routers are needed.
host() {
  local name=$1; shift
  hosts+=("$name")
  ip netns add "$P-$name"
  on "$name" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip link add "c-$name" netns "$P-core" type veth peer name eth0 netns "$P-$name"
  ip -n "$P-core" link set "c-$name" master br0 up
  for ip in "$@"; do ip -n "$P-$name" addr add "$ip/32" dev eth0; done
  ip -n "$P-$name" link set lo up
  ip -n "$P-$name" link set eth0 up
  ip -n "$P-$name" route add default dev eth0 src "$1"
}

# listening HOST PORT: wait until something listens there (without connecting to it).
# Up to 10 s: an interpreter starts slowly while the CPU is busy.
listening() {
  for _ in $(seq 100); do
    on "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
}

teardown() { stop_namespaces; }

ca() { # ca NAME "SUBJECT"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$work/$1.key" -out "$work/$1.pem" -subj "$2" 2>/dev/null
}
cert() { # cert NAME DNSNAME CA
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$1.key" \
    -out "$work/$1.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$2" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$work/$3.pem" -CAkey "$work/$3.key" -CAcreateserial \
    -days 825 -extfile "$work/$1.ext" -out "$work/$1.pem" 2>/dev/null
}

tls_server() { # tls_server HOST IP PORT CERT [openssl options]  (serves one connection)
  local h=$1 ip=$2 port=$3 c=$4; shift 4
  OPENSSL_CONF=/dev/null on "$h" openssl s_server -accept "$ip:$port" -cert "$work/$c.pem" -key "$work/$c.key" \
    -www -naccept 1 -quiet "$@" >/dev/null 2>&1 &
  listening "$h" "$port"
}
https_get() { # https_get HOST NAME IP PORT CA [curl options]
  local h=$1 name=$2 ip=$3 port=$4 ca=$5; shift 5
  OPENSSL_CONF=/dev/null on "$h" curl -sS --max-time 5 --cacert "$work/$ca.pem" --resolve "$name:$port:$ip" \
    -o /dev/null "https://$name:$port/" "$@" || true
  sleep 0.3
}
http_server() { # http_server HOST IP PORT
  on "$1" python3 -m http.server "$3" --bind "$2" --directory "$work" >/dev/null 2>&1 &
  listening "$1" "$3"
}
http_get() { # http_get HOST URL
  on "$1" curl -sS --max-time 5 -o /dev/null "$2" || true
  sleep 0.3
}

record_start() {
  # Not through on(): $! must be tcpdump itself (ip netns exec execs it) to stop it.
  ip netns exec "$P-core" tcpdump -i br0 -s 0 -U -w "$work/$1.pcap" 2>/dev/null &
  recorder=$!
  sleep 1.5
}
record_stop() {
  sleep 1
  kill -INT "$recorder"; wait "$recorder" 2>/dev/null || true
  mkdir -p captures
  cp "$work/$1.pcap" "captures/$1.pcap"
  echo "recorded captures/$1.pcap"
}

ca customer-ca "/O=Acme Corp/CN=Acme Data Plane CA"
ca provider-ca "/O=Example Networks/CN=Example Networks Provider CA"
ca public-ca "/O=Public Trust Services/CN=Public Trust Root R1"

overlay_network() {
  core
  host edge-1 203.0.113.10 10.10.0.2
  host edge-2 203.0.113.11
  host gw-1 198.51.100.20
  host branch-router 203.0.113.50
  host app 172.16.5.20
  host dns 172.16.5.53
  host portal 35.171.100.10
  host outsider 192.0.2.66
  host smb-host 192.0.2.80
  cert gw1-customer gw-1.dataplane.example customer-ca
  cert gw1-provider gw-1.provider.example provider-ca
  cert portal portal.example.net provider-ca
  cert app app.acme.example customer-ca
  cert gw1-ingress gw-1.example.net public-ca
  on dns python3 "$root/scripts/netsim.py" dns-server 172.16.5.53 &
  http_server app 172.16.5.20 80
  http_server gw-1 198.51.100.20 8080
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey"
  on gw-1 /usr/sbin/sshd -D -f /dev/null -h "$work/hostkey" -o ListenAddress=198.51.100.20 -o PidFile=none \
    -o UsePAM=no -o StrictModes=no 2>/dev/null &
  sleep 0.5
  record_start overlay-network

  # Data plane, edge-1 -> gw-1: TLS 1.2 with the customer's certificate (as required).
  tls_server gw-1 198.51.100.20 8443 gw1-customer -tls1_2
  https_get edge-1 gw-1.dataplane.example 198.51.100.20 8443 customer-ca --tls-max 1.2
  # Data plane, edge-2 -> gw-1: TLS 1.2 with the provider's certificate instead.
  tls_server gw-1 198.51.100.20 9443 gw1-provider -tls1_2
  https_get edge-2 gw-1.provider.example 198.51.100.20 9443 provider-ca --tls-max 1.2
  # Data plane, edge-1 -> gw-1: TLS 1.3 hides the certificate.
  tls_server gw-1 198.51.100.20 7443 gw1-customer -tls1_3
  https_get edge-1 gw-1.dataplane.example 198.51.100.20 7443 customer-ca --tlsv1.3
  # Data plane, edge-2 -> gw-1: a health check in cleartext HTTP.
  http_get edge-2 http://198.51.100.20:8080/
  # Management: edge-1 -> gw-1 over SSH (the handshake; authentication is refused).
  on edge-1 ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -o ConnectTimeout=3 probe@198.51.100.20 true 2>/dev/null || true
  # Node -> provider portal with TLS 1.0 (weak).
  tls_server portal 35.171.100.10 443 portal -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
  https_get edge-1 portal.example.net 35.171.100.10 443 provider-ca --tlsv1.0 --tls-max 1.0 --ciphers 'DEFAULT:@SECLEVEL=0'
  # Egress gw-1 -> app-subnet: HTTPS (allowed), HTTP (cleartext, no rule), DNS (accepted).
  tls_server app 172.16.5.20 443 app
  https_get gw-1 app.acme.example 172.16.5.20 443 customer-ca
  http_get gw-1 http://172.16.5.20/
  on gw-1 python3 "$root/scripts/netsim.py" dns-query 172.16.5.53 app.acme.example
  sleep 0.3
  # Egress gw-1 -> app-subnet: a connection that carries nothing (encryption unverified).
  on app python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('172.16.5.20',8443)); s.listen(1); c,_=s.accept(); time.sleep(0.3); c.close()" &
  sleep 0.3
  on gw-1 python3 "$root/scripts/netsim.py" tcp-probe 172.16.5.20 8443
  sleep 0.5
  # Egress gw-1 -> internet on SMB, which the customer's rules deny.
  on smb-host python3 -c "import socket,time; s=socket.socket(); s.bind(('192.0.2.80',445)); s.listen(1); c,_=s.accept(); c.recv(100); time.sleep(0.2); c.close()" &
  sleep 0.3
  on gw-1 python3 "$root/scripts/netsim.py" tcp-probe 192.0.2.80 445 \
    --payload 00000054ff534d4272000000001843c800000000000000000000000000000000fffe00000000003100024c414e4d414e312e3000024c4d312e325830303200024e54204c414e4d414e20312e3000024e54204c4d20302e313200
  # Ingress to gw-1 from a branch router (allowed) and from the internet (no rule).
  tls_server gw-1 198.51.100.20 8443 gw1-ingress
  https_get branch-router gw-1.example.net 198.51.100.20 8443 public-ca
  tls_server gw-1 198.51.100.20 8443 gw1-ingress
  https_get outsider gw-1.example.net 198.51.100.20 8443 public-ca
  record_stop overlay-network
  teardown
}

iaas_vms() {
  core
  host vm-web 10.20.1.10
  host vm-db 10.20.2.20
  host nat-gw 198.51.100.1 100.64.0.1
  host metadata 169.254.169.254
  host mirror 203.0.113.80
  host outsider 192.0.2.66
  host resolver 192.0.2.53
  cert mirror updates.example.org public-ca
  on resolver python3 "$root/scripts/netsim.py" dns-server 192.0.2.53 &
  http_server outsider 192.0.2.66 80
  http_server nat-gw 198.51.100.1 80
  http_server metadata 169.254.169.254 80
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$work/vmkey"
  on vm-web /usr/sbin/sshd -D -f /dev/null -h "$work/vmkey" -o ListenAddress=10.20.1.10 -o PidFile=none \
    -o UsePAM=no -o StrictModes=no 2>/dev/null &
  sleep 0.5
  record_start iaas-vms

  # What the default allows: updates over HTTPS.
  tls_server mirror 203.0.113.80 443 mirror
  https_get vm-web updates.example.org 203.0.113.80 443 public-ca
  # What the customer opened: plain HTTP out, SSH in from anywhere.
  http_get vm-web http://192.0.2.66/
  on outsider ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -o ConnectTimeout=3 admin@10.20.1.10 true 2>/dev/null || true
  # What nobody opened: DNS to an outside resolver.
  on vm-db python3 "$root/scripts/netsim.py" dns-query 192.0.2.53 repo.example.org
  sleep 0.3
  # Instance metadata over HTTP (an accepted risk), and the NAT gateway's own web port
  # reached from the internet.
  http_get vm-web http://169.254.169.254/
  http_get outsider http://198.51.100.1/
  record_stop iaas-vms
  teardown
}

data_platform() {
  core
  host dp-worker-1 10.50.0.11
  host dp-worker-2 10.50.0.12
  host control 10.50.1.5
  host orders-db 10.60.0.5
  host legacy-db 10.60.0.6
  host objects 10.60.1.10
  cert orders-db orders-db.acme.internal customer-ca
  cert legacy-db legacy-db.acme.internal customer-ca
  cert objects objects.acme.internal customer-ca
  cert worker-2 dp-worker-2.platform.example provider-ca
  cert control control.platform.example provider-ca
  on orders-db python3 "$root/scripts/netsim.py" pg-server 10.60.0.5 5432 "$work/orders-db.pem" "$work/orders-db.key" &
  on legacy-db python3 "$root/scripts/netsim.py" pg-server 10.60.0.6 5432 "$work/legacy-db.pem" "$work/legacy-db.key" &
  sleep 0.5
  record_start data-platform

  # Workers read the customer's databases: one with TLS (SSLRequest), one without.
  on dp-worker-1 python3 "$root/scripts/netsim.py" pg-client 10.60.0.5 5432 --tls --cafile "$work/customer-ca.pem"
  on dp-worker-2 python3 "$root/scripts/netsim.py" pg-client 10.60.0.6 5432 --plain
  sleep 0.3
  # Object storage over HTTPS.
  tls_server objects 10.60.1.10 443 objects
  https_get dp-worker-1 objects.acme.internal 10.60.1.10 443 customer-ca
  # Worker to worker (shuffle) and worker to control plane: the provider's own TLS.
  tls_server dp-worker-2 10.50.0.12 7077 worker-2
  https_get dp-worker-1 dp-worker-2.platform.example 10.50.0.12 7077 provider-ca
  tls_server control 10.50.1.5 8443 control
  https_get dp-worker-2 control.platform.example 10.50.1.5 8443 provider-ca
  record_stop data-platform
  teardown
}

credentials_at_the_edge() {
  # A branch's devices reach the customer's services through the provider: the branch
  # edge carries their traffic over the data plane to gw-east, which sends it on from its
  # own address (source NAT). Four services are reached with reusable secrets in clear;
  # the servers are real (vsftpd, nginx auth_basic, Dovecot submission, snmpd), configured
  # by scripts/fixtures/credential_servers.py.
  local serve="python3 $root/scripts/fixtures/credential_servers.py serve"
  core
  host branch-edge 203.0.113.30
  host gw-east 198.51.100.40 172.20.255.1
  host files 172.20.0.10
  host mail 172.20.0.25
  host intranet 172.20.0.80
  host nms 172.20.0.161
  host updates 203.0.113.90
  cert gw-east gw-east.dataplane.example provider-ca
  cert intranet intranet.acme.example customer-ca
  cert updates firmware.example.org public-ca
  on files $serve ftp 172.20.0.10 21 >/dev/null 2>&1 &
  on mail $serve submission 172.20.0.25 587 >/dev/null 2>&1 &
  on intranet $serve http-basic 172.20.0.80 80 >/dev/null 2>&1 &
  on gw-east $serve snmp 172.20.255.1 161 >/dev/null 2>&1 &
  listening files 21; listening mail 587; listening intranet 80
  sleep 2   # Dovecot and snmpd settle (Dovecot starts its login process on first use)
  record_start credentials-at-the-edge

  # The data plane, branch-edge -> gw-east: TLS 1.3 with the provider's certificate.
  tls_server gw-east 198.51.100.40 8443 gw-east -tls1_3
  https_get branch-edge gw-east.dataplane.example 198.51.100.40 8443 provider-ca
  # The branch scanner files a scan by FTP (refused: the file server has no such account).
  on gw-east curl -sS --max-time 5 --interface 172.20.255.1 -u scanner:secret ftp://172.20.0.10/ -o /dev/null 2>/dev/null || true
  sleep 0.3
  # The scanner mails a scan: SMTP submission with AUTH PLAIN.
  on gw-east swaks --server 172.20.0.25:587 --local-interface 172.20.255.1 --helo scanner.branch.acme.example \
    --auth PLAIN --auth-user scanner --auth-password secret --quit-after AUTH >/dev/null 2>&1 || true
  sleep 0.3
  # The door camera posts to the intranet with HTTP Basic, and fetches the same page over
  # HTTPS (a clean flow beside it).
  on gw-east curl -sS --max-time 5 --interface 172.20.255.1 -u camera:secret -o /dev/null http://172.20.0.80/index.html || true
  sleep 0.3
  tls_server intranet 172.20.0.80 443 intranet
  on gw-east curl -sS --max-time 5 --interface 172.20.255.1 --cacert "$work/customer-ca.pem" \
    --resolve intranet.acme.example:443:172.20.0.80 -o /dev/null https://intranet.acme.example/ || true
  sleep 0.3
  # The camera checks for firmware on the internet, over HTTPS.
  tls_server updates 203.0.113.90 443 updates
  on gw-east curl -sS --max-time 5 --interface 198.51.100.40 --cacert "$work/public-ca.pem" \
    --resolve firmware.example.org:443:203.0.113.90 -o /dev/null https://firmware.example.org/ || true
  sleep 0.3
  # The customer's monitoring polls the gateway's counters with an SNMP v2c community.
  on nms snmpget -v2c -c secret -t 2 -r 0 172.20.255.1 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1 || true
  record_stop credentials-at-the-edge
  teardown
}

# switch NAME: a namespace holding bridge br0 (a LAN switch, a WAN, a server subnet). The
# bridge does not snoop multicast, so it sends no IGMP of its own into the captures.
switch() {
  hosts+=("$1"); ip netns add "$P-$1"
  on "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$P-$1" link set lo up
  ip -n "$P-$1" link add br0 type bridge mcast_snooping 0
  ip -n "$P-$1" link set br0 up
}
# station NAME: an empty namespace, IPv6 off unless plug turns it on for an interface. Its
# resolver is itself (nothing listens there): `ip netns exec` shows /etc/netns/NS/resolv.conf
# as /etc/resolv.conf, so a lookup a program makes on its own (http.server looks up its
# address's name) fails at once instead of leaving through the router.
station() {
  hosts+=("$1"); ip netns add "$P-$1"
  mkdir -p "/etc/netns/$P-$1"; echo "nameserver 127.0.0.1" > "/etc/netns/$P-$1/resolv.conf"
  on "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$P-$1" link set lo up
}
# plug NAME IFNAME SWITCH MAC [v6] [down]: a veth from NAME's IFNAME to SWITCH's bridge,
# with a fixed MAC (so frames and link-local addresses repeat from one recording to the
# next). v6 turns IPv6 on for it, link-local only (duplicate address detection, MLD,
# three router solicitations); down leaves it down, for the station to join later.
plug() {
  local ns=$1 ifname=$2 sw=$3 mac=$4 opt up=1; shift 4
  ip link add "p-$ns" netns "$P-$sw" type veth peer name "$ifname" netns "$P-$ns"
  ip -n "$P-$sw" link set "p-$ns" master br0 up
  ip -n "$P-$ns" link set "$ifname" address "$mac"
  for opt in "$@"; do
    case "$opt" in
      v6) on "$ns" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=0" "net.ipv6.conf.$ifname.router_solicitations=3" ;;
      down) up= ;;
    esac
  done
  if [ -n "$up" ]; then ip -n "$P-$ns" link set "$ifname" up; fi
}
# daemon_dnsmasq HOST OPTION...: dnsmasq in the foreground with no configuration file.
daemon_dnsmasq() {
  local h=$1; shift
  on "$h" dnsmasq -k -C /dev/null --user=root --pid-file= --no-resolv --no-hosts "$@" >/dev/null 2>&1 &
}

managed_branch() {
  # A provider-managed branch router (branch-router) serves a customer LAN: DHCP and a DNS
  # forwarder (dnsmasq) on its LAN side, and source NAT of the LAN into a WireGuard tunnel
  # to the provider's central gateway (gw-central) on its WAN side. The gateway routes the
  # tunnel's traffic to the customer's application subnet and breaks out to the internet
  # from its own address. On the LAN: a laptop that takes its address by DHCP, a printer
  # that announces itself by mDNS (avahi-daemon), a TV with a resolver of its own. Two
  # captures: the LAN switch (captures/managed-branch.pcap), and the router's WAN side, its
  # uplink and its tunnel interface (captures/managed-branch-wan.pcap). Every address is
  # inside the namespaces: 10.40.0.0/24 the LAN, 192.0.2.10 the router's uplink,
  # 100.96.0.0/24 the tunnel, 198.51.100.70 the gateway, 172.22.0.0/24 the application
  # subnet, 203.0.113.0/24 "the internet" (documentation ranges).
  local lan=10.40.0 wg_port=51820 wan_recorder wan_if tun_if avahi dhcp
  # lan_host NAME MACBYTE [IP]: a LAN station with IPv6 link-local and a static IP, or none
  # (the laptop's comes by DHCP). Its link is down until it joins the LAN.
  lan_host() {
    station "$1"; plug "$1" eth0 lan "02:40:00:00:00:$2" v6 down
    if [ -n "${3:-}" ]; then ip -n "$P-$1" addr add "$3/24" dev eth0; fi
  }
  # join NAME [static]: NAME's link comes up; a static station routes by the router.
  join() {
    ip -n "$P-$1" link set eth0 up
    if [ -n "${2:-}" ]; then ip -n "$P-$1" route add default via "$lan.1"; fi
  }
  # app_host NAME IP: a server on the application subnet, routed by the gateway.
  app_host() {
    station "$1"; plug "$1" eth0 app "02:22:00:00:00:$(printf %02x "${2##*.}")"
    ip -n "$P-$1" addr add "$2/24" dev eth0
    ip -n "$P-$1" route add default via 172.22.0.1
  }
  # inet_host NAME IP: a server on "the internet" (the WAN switch), every address on-link.
  inet_host() {
    station "$1"; plug "$1" eth0 wan "02:03:00:00:00:$(printf %02x "${2##*.}")"
    ip -n "$P-$1" addr add "$2/32" dev eth0
    ip -n "$P-$1" route add default dev eth0
  }

  switch lan; switch wan; switch app
  # Record the LAN switch from before anything joins it: each station's link chatter, from
  # its link coming up, is in the capture whole, however long the setup takes.
  ip netns exec "$P-lan" tcpdump -i br0 -s 0 -U -w "$work/managed-branch.pcap" 2>/dev/null &
  recorder=$!
  sleep 1.5
  # The branch router: LAN side, WAN side (its uplink), and the tunnel, added below.
  station branch-router
  plug branch-router lan0 lan 02:40:00:00:00:01 v6
  plug branch-router wan0 wan 02:00:00:00:00:0a
  ip -n "$P-branch-router" addr add "$lan.1/24" dev lan0
  ip -n "$P-branch-router" addr add 192.0.2.10/32 dev wan0
  ip -n "$P-branch-router" route add 198.51.100.70/32 dev wan0
  on branch-router sysctl -qw net.ipv4.ip_forward=1
  # The central gateway: WAN side, application side, and the tunnel.
  station gw-central
  plug gw-central wan0 wan 02:00:00:00:00:46
  plug gw-central app0 app 02:22:00:00:00:01
  ip -n "$P-gw-central" addr add 198.51.100.70/32 dev wan0
  ip -n "$P-gw-central" route add default dev wan0
  ip -n "$P-gw-central" addr add 172.22.0.1/24 dev app0
  on gw-central sysctl -qw net.ipv4.ip_forward=1

  # The data plane: WireGuard from the router's uplink to the gateway (wireguard-go, as
  # the kernel module is not in every sandbox). The two interface names differ because
  # wireguard-go's control socket, /var/run/wireguard/NAME.sock, is shared by namespaces.
  (umask 077; wg genkey > "$work/router.wgkey"; wg genkey > "$work/gw.wgkey")
  on branch-router wireguard-go -f wgbr0 >/dev/null 2>&1 &
  on gw-central wireguard-go -f wggw0 >/dev/null 2>&1 &
  for _ in $(seq 50); do
    [ -S /var/run/wireguard/wgbr0.sock ] && [ -S /var/run/wireguard/wggw0.sock ] && break
    sleep 0.1
  done
  # Record the router's WAN side from here (the tunnel's handshake included): its uplink
  # and its tunnel interface, in a Linux cooked capture (v2) that keeps each packet's
  # interface.
  wan_if=$(ip -n "$P-branch-router" -o link show wan0 | cut -d: -f1)
  tun_if=$(ip -n "$P-branch-router" -o link show wgbr0 | cut -d: -f1)
  ip netns exec "$P-branch-router" tcpdump -i any -y LINUX_SLL2 -s 0 -U -w "$work/managed-branch-wan.pcap" \
    "ifindex $wan_if or ifindex $tun_if" 2>/dev/null &
  wan_recorder=$!
  sleep 1.5
  on gw-central wg set wggw0 listen-port "$wg_port" private-key "$work/gw.wgkey" \
    peer "$(wg pubkey < "$work/router.wgkey")" allowed-ips 100.96.0.2/32
  on branch-router wg set wgbr0 listen-port "$wg_port" private-key "$work/router.wgkey" \
    peer "$(wg pubkey < "$work/gw.wgkey")" endpoint "198.51.100.70:$wg_port" allowed-ips 0.0.0.0/0
  ip -n "$P-gw-central" addr add 100.96.0.1/24 dev wggw0
  ip -n "$P-gw-central" link set wggw0 up
  ip -n "$P-branch-router" addr add 100.96.0.2/24 dev wgbr0
  ip -n "$P-branch-router" link set wgbr0 up
  ip -n "$P-branch-router" route add default dev wgbr0
  # The router NATs the LAN into the tunnel; the gateway NATs the tunnel to the internet.
  on branch-router nft add table ip branch
  on branch-router nft add chain ip branch post '{ type nat hook postrouting priority srcnat; }'
  on branch-router nft add rule ip branch post oifname wgbr0 ip saddr 10.40.0.0/24 masquerade
  on gw-central nft add table ip central
  on gw-central nft add chain ip central post '{ type nat hook postrouting priority srcnat; }'
  on gw-central nft add rule ip central post oifname wan0 ip saddr 100.96.0.0/24 masquerade

  # The customer's application subnet (the intranet, a time clock, its resolver), and on
  # "the internet" a public site and the resolver the TV is set to.
  app_host intranet 172.22.0.10
  app_host timeclock 172.22.0.30
  app_host corp-dns 172.22.0.53
  inet_host www 203.0.113.80
  inet_host public-dns 203.0.113.53
  cert intranet intranet.acme.example customer-ca
  cert www www.example.org public-ca
  # shellcheck disable=SC2054  # the commas are dnsmasq's, inside one option
  local names=(--host-record=intranet.acme.example,172.22.0.10 --host-record=timeclock.acme.example,172.22.0.30
               --host-record=www.example.org,203.0.113.80 --local=/acme.example/example.org/)
  daemon_dnsmasq corp-dns --bind-interfaces --listen-address=172.22.0.53 "${names[@]}"
  daemon_dnsmasq public-dns --bind-interfaces --listen-address=203.0.113.53 "${names[@]}"
  http_server timeclock 172.22.0.30 80
  # The router's own services on the LAN: DHCP (the laptop's address is fixed by its MAC)
  # and a DNS forwarder to the customer's resolver, through the tunnel.
  daemon_dnsmasq branch-router --interface=lan0 --bind-interfaces --server=172.22.0.53 \
    --domain=branch.acme.example --dhcp-range="$lan.100,$lan.149,255.255.255.0,12h" \
    --dhcp-host="02:40:00:00:00:64,$lan.100,laptop" --dhcp-option=option:router,"$lan.1" \
    --dhcp-option=option:dns-server,"$lan.1" --dhcp-authoritative --no-ping --dhcp-leasefile="$work/leases"

  # The LAN: the laptop (by DHCP), the printer (mDNS, a status page on IPP's port), the TV.
  lan_host laptop 64
  lan_host printer 14 "$lan.20"
  lan_host tv 1e "$lan.30"
  # The printer's status page: IPP's port, plain HTTP.
  on printer python3 -m http.server 631 --bind "$lan.20" --directory "$work" >/dev/null 2>&1 &
  listening printer 631
  cat > "$work/udhcpc.script" <<EOF
#!/bin/sh
# udhcpc's hook: the lease's address and router on \$interface, and its resolver (the
# namespace's resolv.conf, see station).
case "\$1" in
  deconfig) ip -4 addr flush dev "\$interface" ;;
  bound|renew)
    ip -4 addr replace "\$ip/\$mask" dev "\$interface"
    ip -4 route replace default via "\${router%% *}" dev "\$interface"
    echo "nameserver \${dns%% *}" > "/etc/netns/$P-laptop/resolv.conf" ;;
esac
EOF
  chmod +x "$work/udhcpc.script"
  printf '%s\n' '[server]' host-name=printer use-ipv4=yes use-ipv6=yes allow-interfaces=eth0 enable-dbus=no \
    '[wide-area]' enable-wide-area=no '[publish]' publish-hinfo=no publish-workstation=no > "$work/avahi.conf"

  # The printer and the TV join the LAN. The printer's avahi-daemon probes for
  # printer.local and announces it. (Not through on(): $! must be the daemon itself, to
  # stop it, as for udhcpc below.)
  mkdir -p /run/avahi-daemon
  join printer static
  join tv static
  sleep 1
  ip netns exec "$P-printer" avahi-daemon -f "$work/avahi.conf" --no-drop-root --no-chroot --no-rlimits >/dev/null 2>&1 &
  avahi=$!
  # The laptop joins the LAN: IPv6 duplicate address detection and MLD from ::, a router
  # solicitation; then it takes its address: DISCOVER and REQUEST broadcast, OFFER and ACK
  # unicast.
  join laptop
  sleep 1
  ip netns exec "$P-laptop" udhcpc -f -R -i eth0 -s "$work/udhcpc.script" -x hostname:laptop >/dev/null 2>&1 &
  dhcp=$!
  for _ in $(seq 100); do
    ip -n "$P-laptop" -4 -o addr show dev eth0 | grep -q "$lan.100" && break
    sleep 0.1
  done
  sleep 1
  # Its browser, each name resolved by the router's forwarder: the intranet over HTTPS and
  # the time clock over plain HTTP (through the tunnel to the application subnet), and a
  # public site (broken out to the internet at the gateway).
  tls_server intranet 172.22.0.10 443 intranet
  on laptop curl -sS --max-time 5 --cacert "$work/customer-ca.pem" -o /dev/null https://intranet.acme.example/ || true
  sleep 0.3
  http_get laptop http://timeclock.acme.example/
  tls_server www 203.0.113.80 443 www
  on laptop curl -sS --max-time 5 --cacert "$work/public-ca.pem" -o /dev/null https://www.example.org/ || true
  sleep 0.3
  # It looks for the printer (an mDNS query from port 5353, answered by multicast) and
  # reads its status page (on the LAN: the provider never carries it).
  on laptop python3 "$root/scripts/netsim.py" mdns-query printer.local
  http_get laptop "http://$lan.20:631/"
  # It wakes a desktop: Wake-on-LAN to the LAN's directed broadcast.
  on laptop wakeonlan -i "$lan.255" 02:40:00:00:00:32 >/dev/null
  sleep 0.3
  # The TV looks for UPnP devices (SSDP) and resolves by a public resolver of its own.
  on tv upnpc -m eth0 -l >/dev/null 2>&1 || true
  on tv python3 "$root/scripts/netsim.py" dns-query 203.0.113.53 www.example.org
  sleep 0.3
  # The laptop renews its lease (unicast REQUEST and ACK), then releases it as it leaves.
  kill -USR1 "$dhcp"; sleep 1
  kill -TERM "$dhcp"; wait "$dhcp" 2>/dev/null || true
  kill -TERM "$avahi"; wait "$avahi" 2>/dev/null || true
  sleep 1
  kill -INT "$recorder" "$wan_recorder"; wait "$recorder" "$wan_recorder" 2>/dev/null || true
  mkdir -p captures
  cp "$work/managed-branch.pcap" "$work/managed-branch-wan.pcap" captures/
  echo "recorded captures/managed-branch.pcap and captures/managed-branch-wan.pcap"
  teardown
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(overlay-network iaas-vms data-platform credentials-at-the-edge managed-branch)
for t in "${targets[@]}"; do
  case "$t" in
    overlay-network) overlay_network ;;
    iaas-vms) iaas_vms ;;
    data-platform) data_platform ;;
    credentials-at-the-edge) credentials_at_the_edge ;;
    managed-branch) managed_branch ;;
    *) echo "unknown deployment: $t" >&2; exit 2 ;;
  esac
done
