#!/usr/bin/env bash
# The real-cluster campaigns (`npm run test:cluster`): makes sure Debian's etcd-server (etcd 3.4)
# and zookeeper (3.8, with Java) packages are installed, then runs the command. It starts no
# server itself: each campaign starts its cluster on 127.0.0.1 (free ports, fresh data
# directories, peer traffic through the harness's proxies) and stops every process by pid, also
# on failure and on Ctrl-C (src/cluster/processes.ts).
#
#   scripts/cluster.sh install          install what is missing
#   scripts/cluster.sh run CMD [ARG…]   install what is missing, then run CMD with CHROMIUM_PATH set
#                                       (the timelines are looked at in headless Chromium, found or
#                                       installed by scripts/browser.sh); exits with CMD's code
#
# Settings (environment): ETCD_BINARY (default /usr/bin/etcd), JAVA (default java), CHROMIUM_PATH.
# A failed install or a missing Java: one line on stderr and exit code 2.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ZOOKEEPER_JAR=/usr/share/java/zookeeper.jar

fail() {
  echo "cluster: $*" >&2
  exit 2
}

say() {
  echo "cluster: $*" >&2
}

# The same steps as scripts/zookeeper.sh's ensure_installed (that script installs and starts a
# standalone server; here only the package is needed).
ensure_zookeeper() {
  if [ ! -r "$ZOOKEEPER_JAR" ]; then
    command -v apt-get >/dev/null || fail "Debian's zookeeper package is missing and there is no apt-get to install it"
    [ "$(id -u)" = 0 ] || fail "Debian's zookeeper package is missing; install it as root: apt-get install -y zookeeper"
    local log
    log=$(mktemp "/tmp/faultline-zookeeper-install.XXXXXX.log")
    say "installing Debian's zookeeper package (log: $log)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper >"$log" 2>&1; then
      { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper; } >>"$log" 2>&1 ||
        fail "apt-get install -y zookeeper failed (log: $log)"
    fi
    [ -r "$ZOOKEEPER_JAR" ] || fail "the zookeeper package is installed but $ZOOKEEPER_JAR is missing"
  fi
  command -v "${JAVA:-java}" >/dev/null || fail "no Java: '${JAVA:-java}' is not on PATH (Debian's zookeeper package depends on default-jre)"
}

install() {
  bash "$HERE/etcd.sh" install || exit 2
  ensure_zookeeper
}

case "${1:-}" in
  install)
    install
    ;;
  run)
    shift
    [ $# -gt 0 ] || fail "run needs a command"
    install
    CHROMIUM_PATH=$(bash "$HERE/browser.sh" path) || exit 2
    CHROMIUM_PATH=$CHROMIUM_PATH "$@"
    exit $?
    ;;
  *)
    echo "usage: scripts/cluster.sh install | run CMD [ARG...]" >&2
    exit 2
    ;;
esac
