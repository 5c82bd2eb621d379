#!/usr/bin/env bash
# Makes the operator's PKI for pathpair agents and controllers: a CA, an agent certificate and
# a client (controller) certificate, all PEM, with openssl.
#
#   deploy/make-certs.sh DIR [--name NAME] [--role agent|controller] [SAN]...
#
# Roles (docs/SECURITY.md): every certificate carries its role in a SPIFFE ID, a URI subject
# alternative name: spiffe://pathpair/agent/NAME (may call only Reflect on other agents) or
# spiffe://pathpair/controller/NAME (may call everything). NAME.pem gets the --role (default
# agent); client.pem is always a controller (spiffe://pathpair/controller/client). An agent's IP
# SANs are the addresses it vouches for: a peer may probe it there in a paired test.
#
# SAN: extra DNS names or IP addresses the agent is reached by (localhost, 127.0.0.1 and ::1 are
# always included). The agent certificate is valid for both server and client authentication,
# because an agent also calls its peer's Reflect (ReflectPeer). If DIR already holds a CA
# (ca.pem, ca.key) it is reused, so running the script again adds certificates under the same CA;
# give each agent its own --name (default "agent") so that earlier ones are kept:
#   deploy/make-certs.sh pki --name server-agent 203.0.113.2 server.example
#   deploy/make-certs.sh pki --name client-agent 198.51.100.1
#
# Files: ca.pem ca.key NAME.pem NAME.key client.pem client.key (client.* only made once)
#   pathpair-agent --listen 0.0.0.0:8620 --tls-cert DIR/agent.pem --tls-key DIR/agent.key \
#                  --tls-ca DIR/ca.pem
set -euo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
dir=$1
shift
name=agent
role=agent
while [[ ${1:-} == --name || ${1:-} == --role ]]; do
  if [[ $1 == --name ]]; then
    [[ $# -ge 2 && $2 =~ ^[A-Za-z0-9_-]+$ && $2 != ca && $2 != client ]] || {
      echo "make-certs: --name needs a plain name other than ca and client" >&2
      exit 2
    }
    name=$2
  else
    [[ $# -ge 2 && ($2 == agent || $2 == controller) ]] || {
      echo "make-certs: --role is agent or controller" >&2
      exit 2
    }
    role=$2
  fi
  shift 2
done
command -v openssl >/dev/null || { echo "make-certs: openssl is not installed" >&2; exit 1; }
mkdir -p "$dir"
umask 077
days=825

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for host in "$@"; do
  if [[ $host =~ ^[0-9.]+$ || ($host == *:* && $host =~ ^[0-9A-Fa-f:.]+$) ]]; then
    san+=",IP:$host"
  elif [[ $host =~ ^[A-Za-z0-9.-]+$ ]]; then
    san+=",DNS:$host"
  else
    echo "make-certs: not a host name or address: $host" >&2
    exit 2
  fi
done

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f $dir/ca.pem || ! -f $dir/ca.key ]]; then
  newkey "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=pathpair operator CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem"
fi

# sign FILE CN EXTENSIONS
sign() {
  local file=$1 cn=$2 ext=$3
  newkey "$dir/$file.key"
  openssl req -new -key "$dir/$file.key" -subj "/CN=$cn" -out "$dir/$file.csr"
  printf '%b' "$ext" >"$dir/$file.ext"
  openssl x509 -req -in "$dir/$file.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days "$days" -sha256 -extfile "$dir/$file.ext" -out "$dir/$file.pem" \
    2>/dev/null
  rm -f "$dir/$file.csr" "$dir/$file.ext"
}

sign "$name" "pathpair $name" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=URI:spiffe://pathpair/$role/$name,$san\n"
if [[ ! -f $dir/client.pem || ! -f $dir/client.key ]]; then
  sign client "pathpair controller" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://pathpair/controller/client,DNS:pathpair-controller\n"
fi
rm -f "$dir/ca.srl"
chmod 644 "$dir/ca.pem" "$dir/$name.pem" "$dir/client.pem"
echo "make-certs: CA, $name ($role) and client (controller) certificates in $dir ($name SAN: $san)"
