#!/usr/bin/env bash
# etcd for the real-cluster campaigns (src/cluster, `faultline cluster etcd`, `npm run
# test:cluster`): Debian's etcd-server package (etcd 3.4), installed when missing. This script
# starts nothing: the harness starts each member itself on 127.0.0.1, on free ports, with a fresh
# data directory, and stops it by pid (see src/cluster/etcd.ts). The package's own systemd unit
# is not used (and not started where there is no systemd).
#
#   scripts/etcd.sh install   install the package when the binary is missing
#   scripts/etcd.sh path      print the binary (installing the package if needed)
#
# Settings (environment): ETCD_BINARY (default /usr/bin/etcd).
# A failed install or a binary that does not run: one line on stderr and exit code 2.

set -uo pipefail

BINARY=${ETCD_BINARY:-/usr/bin/etcd}
LOG_PREFIX=faultline-etcd

fail() {
  echo "etcd: $*" >&2
  exit 2
}

say() {
  echo "etcd: $*" >&2
}

ensure_installed() {
  if [ ! -x "$BINARY" ]; then
    [ -n "${ETCD_BINARY:-}" ] && fail "ETCD_BINARY=$ETCD_BINARY is not an executable file"
    command -v apt-get >/dev/null || fail "Debian's etcd-server package is missing and there is no apt-get to install it"
    [ "$(id -u)" = 0 ] || fail "Debian's etcd-server package is missing; install it as root: apt-get install -y etcd-server"
    local log
    log=$(mktemp "/tmp/$LOG_PREFIX-install.XXXXXX.log")
    say "installing Debian's etcd-server package (log: $log)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server >"$log" 2>&1; then
      { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server; } >>"$log" 2>&1 ||
        fail "apt-get install -y etcd-server failed (log: $log)"
    fi
    [ -x "$BINARY" ] || fail "the etcd-server package is installed but $BINARY is missing"
  fi
  "$BINARY" --version >/dev/null 2>&1 || fail "$BINARY does not run ($BINARY --version failed)"
}

case "${1:-}" in
  install)
    ensure_installed
    say "$("$BINARY" --version | head -n1) ($BINARY)"
    ;;
  path)
    ensure_installed
    echo "$BINARY"
    ;;
  *)
    echo "usage: scripts/etcd.sh install | path" >&2
    exit 2
    ;;
esac
