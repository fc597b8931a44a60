#!/usr/bin/env bash
# SPIN 6.5.2 for `npm run bench` (bench/spin.ts runs bench/twophase.pml with it): installs the
# Debian package `spin` (and gcc, which compiles SPIN's verifiers) when they are missing.
#
#   bash scripts/spin.sh          install if missing, print the version
#   bash scripts/spin.sh version  print the version, or nothing and exit 1 when missing
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

case "${1:-install}" in
  version)
    have spin && spin -V
    ;;
  install)
    if ! have spin || ! have gcc; then
      if [ "$(id -u)" -ne 0 ]; then
        echo "spin.sh: SPIN is missing; run as root (or: sudo apt-get install -y spin gcc)" >&2
        exit 1
      fi
      apt-get install -y spin gcc >/dev/null || { apt-get update >/dev/null && apt-get install -y spin gcc >/dev/null; }
    fi
    spin -V
    ;;
  *)
    echo "spin.sh: unknown command '$1' (commands: install, version)" >&2
    exit 2
    ;;
esac
