#!/usr/bin/env bash
# Records the bundled captures: for each worked deployment it builds the topology in
# Linux network namespaces (one bridge, a namespace per host), runs real servers and
# clients there (OpenSSL, curl, Python's http.server and ssl, sshd) with certificates
# made here for a customer CA and a provider CA, and records the bridge with tcpdump.
#
#   sudo scripts/record-captures.sh [overlay-network|iaas-vms|data-platform|credentials-at-the-edge]...
#
# Writes captures/<deployment>.pcap. Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

[ "$(id -u)" -eq 0 ] || { echo "record-captures.sh: needs root (network namespaces)" >&2; exit 2; }
scripts/deps.sh tcpdump:tcpdump openssl:openssl curl:curl ip:iproute2 sshd:openssh-server ssh:openssh-client \
  vsftpd:vsftpd nginx:nginx htpasswd:apache2-utils dovecot:dovecot-submissiond swaks:swaks snmpd:snmpd snmpget:snmp

work=$(mktemp -d)
P=dm   # namespace prefix
hosts=()

cleanup() {
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  for h in "${hosts[@]}" core; do ip netns del "$P-$h" 2>/dev/null || true; done
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
listening() {
  for _ in $(seq 50); do
    on "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
}

teardown() {
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for h in "${hosts[@]}" core; do ip netns del "$P-$h" 2>/dev/null || true; done
  hosts=()
}

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

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(overlay-network iaas-vms data-platform credentials-at-the-edge)
for t in "${targets[@]}"; do
  case "$t" in
    overlay-network) overlay_network ;;
    iaas-vms) iaas_vms ;;
    data-platform) data_platform ;;
    credentials-at-the-edge) credentials_at_the_edge ;;
    *) echo "unknown deployment: $t" >&2; exit 2 ;;
  esac
done
