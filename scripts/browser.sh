#!/usr/bin/env bash
# Headless Chromium for the browser tests (properties/browser/): Debian's chromium package,
# installed when missing. Nothing is downloaded by the tests themselves: puppeteer-core never
# fetches a browser, it drives the one this script names.
#
#   scripts/browser.sh path            print the Chromium binary (installing the package if needed)
#   scripts/browser.sh run CMD [ARG…]  run CMD with CHROMIUM_PATH set; exits with CMD's code
#
# This script starts no long-running process: each test starts the explorer's server and the
# browser itself and stops both by pid, also when it fails (see properties/browser/).
#
# Settings (environment): CHROMIUM_PATH (default: Debian's binary, /usr/lib/chromium/chromium).
# A failed install or a binary that does not run: one line on stderr and exit code 2.

set -uo pipefail

DEBIAN_BINARY=/usr/lib/chromium/chromium
LOG_PREFIX=faultline-chromium

fail() {
  echo "browser: $*" >&2
  exit 2
}

say() {
  echo "browser: $*" >&2
}

# Debian's launcher (/usr/bin/chromium) is a shell script that execs the binary; the binary is
# launched directly so that the pid the test holds is the browser's.
find_binary() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || fail "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
    BINARY=$CHROMIUM_PATH
    return 0
  fi
  if [ -x "$DEBIAN_BINARY" ]; then
    BINARY=$DEBIAN_BINARY
    return 0
  fi
  return 1
}

ensure_installed() {
  find_binary && return
  command -v apt-get >/dev/null || fail "Debian's chromium package is missing and there is no apt-get to install it"
  [ "$(id -u)" = 0 ] || fail "Debian's chromium package is missing; install it as root: apt-get install -y chromium"
  local log started
  log=$(mktemp "/tmp/$LOG_PREFIX-install.XXXXXX.log")
  started=$SECONDS
  say "installing Debian's chromium package (log: $log)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >"$log" 2>&1; then
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } >>"$log" 2>&1 ||
      fail "apt-get install -y chromium failed (log: $log)"
  fi
  find_binary || fail "the chromium package is installed but $DEBIAN_BINARY is missing"
  say "installed chromium in $((SECONDS - started))s"
}

check_runs() {
  local version
  version=$("$BINARY" --version 2>/dev/null) || fail "$BINARY does not run ($BINARY --version failed)"
  say "$version ($BINARY)"
}

case "${1:-}" in
  path)
    ensure_installed
    echo "$BINARY"
    ;;
  run)
    shift
    [ $# -gt 0 ] || fail "run needs a command"
    ensure_installed
    check_runs
    CHROMIUM_PATH=$BINARY "$@"
    exit $?
    ;;
  *)
    echo "usage: scripts/browser.sh path | run CMD [ARG...]" >&2
    exit 2
    ;;
esac
