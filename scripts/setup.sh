#!/usr/bin/env bash
# Sets up a fresh Debian machine for Gatehouse: the apt packages the end-to-end
# suite and benchmarks use, Bun at the version pinned in package.json (through
# npm), and the workspace's dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  iproute2 nftables            # network namespaces, veth, masquerade
  iputils-ping iputils-tracepath curl iperf3   # applications in the end-to-end suite
  dnsutils dnsmasq-base dnsperf # dig, the site's DNS server, DNS load
  wireguard-go wireguard-tools  # the reference WireGuard peer and wg(8)
  libsodium23                   # ChaCha20-Poly1305 at native speed, through bun:ffi
  python3-scapy tshark          # independent packet decoders (oracles)
  tayga                         # the userspace NAT64 we compare with
  gcc libc6-dev                 # the C forwarder the TUN benchmark compiles
  jq                            # reading JSON-line logs
  strace                        # syscalls per packet in the end-to-end benches' reports
)

if [ "$(id -u)" -eq 0 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections || true
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "setup: not root; skipping apt packages (the end-to-end suite needs root and skips without it)" >&2
fi

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v bun >/dev/null || [ "$(bun --version 2>/dev/null)" != "$want" ]; then
  echo "setup: installing bun@$want through npm"
  # npm 11 may skip bun's postinstall script; the package ships the binary through an
  # optional dependency, so check that it runs rather than trusting the install.
  npm install -g "bun@$want" --allow-scripts=bun >/dev/null 2>&1 || npm install -g "bun@$want"
fi
if [ "$(bun --version)" != "$want" ]; then
  echo "setup: bun --version says '$(bun --version)', wanted $want" >&2
  exit 1
fi

bun install --frozen-lockfile
echo "setup: done (bun $(bun --version))"
