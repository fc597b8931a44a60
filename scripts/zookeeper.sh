#!/usr/bin/env bash
# A throwaway standalone ZooKeeper for the conformance suite (properties/conformance/): Debian's
# zookeeper package (3.8, Java comes with it), installed when missing, listening on 127.0.0.1
# only, on a free port, with a fresh data directory and a short tick.
#
#   scripts/zookeeper.sh start          start one; prints ZOOKEEPER_PORT=… ZOOKEEPER_PID=… ZOOKEEPER_DIR=…
#   scripts/zookeeper.sh stop PID       stop the server with that pid and remove its directory
#   scripts/zookeeper.sh run CMD [ARG…] start one, run CMD with ZOOKEEPER_PORT set, stop it
#                                       (also when CMD fails or on Ctrl-C); exits with CMD's code
#
# Settings (environment): ZOOKEEPER_PORT (default: a free port; a given port that is in use is
# an error), ZOOKEEPER_TICK_MS (default 100; sessions may be as short as two ticks),
# ZOOKEEPER_START_TIMEOUT (seconds, default 60), JAVA (default java).
# A missing Java, a failed install, a port in use or a server that does not answer: one line
# on stderr and exit code 2.
#
# The server knows one superuser, super:faultline, which the suite uses to clean the tree between
# command sequences; the digest below is user:base64(sha1("super:faultline")).

set -uo pipefail

SUPER_DIGEST='super:c4uxNTbuWrvLkox+jZC+D95ATD8='
ZOOKEEPER_JAR=/usr/share/java/zookeeper.jar
MAIN_CLASS=org.apache.zookeeper.server.ZooKeeperServerMain
DIR_PREFIX=faultline-zookeeper

fail() {
  echo "zookeeper: $*" >&2
  exit 2
}

say() {
  echo "zookeeper: $*" >&2
}

ensure_installed() {
  if [ ! -r "$ZOOKEEPER_JAR" ]; then
    command -v apt-get >/dev/null || fail "Debian's zookeeper package is missing and there is no apt-get to install it"
    [ "$(id -u)" = 0 ] || fail "Debian's zookeeper package is missing; install it as root: apt-get install -y zookeeper"
    local log
    log=$(mktemp "/tmp/$DIR_PREFIX-install.XXXXXX.log")
    say "installing Debian's zookeeper package (log: $log)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper >"$log" 2>&1; then
      { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y zookeeper; } >>"$log" 2>&1 ||
        fail "apt-get install -y zookeeper failed (log: $log)"
    fi
    [ -r "$ZOOKEEPER_JAR" ] || fail "the zookeeper package is installed but $ZOOKEEPER_JAR is missing"
  fi
  JAVA=${JAVA:-java}
  command -v "$JAVA" >/dev/null || fail "no Java: '$JAVA' is not on PATH (Debian's zookeeper package depends on default-jre)"
}

# A port nothing listens on, from the kernel (Node is there: the project needs it).
free_port() {
  node -e "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

answers_ruok() {
  [ "$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf ruok >&3 && cat <&3" 2>/dev/null)" = imok ]
}

# Alive and not a zombie (a child of this shell stays a zombie until it is waited for).
alive() {
  [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

write_config() {
  local dir=$1 port=$2 tick=$3
  cat >"$dir/zoo.cfg" <<EOF
tickTime=$tick
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
minSessionTimeout=$((2 * tick))
maxSessionTimeout=$((200 * tick))
maxClientCnxns=200
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
forceSync=no
preAllocSize=1024
EOF
}

# Starts one server; sets PORT, PID and DIR. Returns 1 when the port was taken before the server
# could bind it (the caller may try another), exits 2 on anything else.
launch() {
  local port=$1 tick=$2 timeout=$3
  DIR=$(mktemp -d "/tmp/$DIR_PREFIX.XXXXXX") || fail "cannot make a data directory under /tmp"
  mkdir -p "$DIR/data"
  write_config "$DIR" "$port" "$tick"
  local cp="$ZOOKEEPER_JAR"
  [ -r /usr/share/java/slf4j-simple.jar ] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  # setsid: a Ctrl-C in the terminal reaches the test runner, not the server; whoever started
  # it stops it by pid.
  # file.encoding: DigestAuthenticationProvider hashes String.getBytes() in the default charset,
  # which under a POSIX locale is ASCII on Java 17; the reducer and the clients use UTF-8.
  setsid "$JAVA" -Xmx256m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true -Dfile.encoding=UTF-8 \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dzookeeper.admin.enableServer=false \
    -Dzookeeper.DigestAuthenticationProvider.superDigest="$SUPER_DIGEST" \
    -cp "$cp" "$MAIN_CLASS" "$DIR/zoo.cfg" >"$DIR/server.log" 2>&1 </dev/null &
  PID=$!
  PORT=$port
  local deadline=$((SECONDS + timeout))
  while ! answers_ruok "$port"; do
    if ! alive "$PID"; then
      wait "$PID" 2>/dev/null
      local code=$?
      if grep -q 'Address already in use' "$DIR/server.log"; then
        rm -rf "$DIR"
        return 1
      fi
      local last
      last=$(grep -v '^SLF4J' "$DIR/server.log" | grep -m1 -E 'ERROR|Exception|Error' || tail -n1 "$DIR/server.log")
      fail "the server exited with code $code before answering: ${last:-no output} (log: $DIR/server.log)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      stop "$PID" >/dev/null 2>&1
      fail "the server did not answer on 127.0.0.1:$port within ${timeout}s (stopped it)"
    fi
    sleep 0.2
  done
  return 0
}

start() {
  ensure_installed
  local tick=${ZOOKEEPER_TICK_MS:-100} timeout=${ZOOKEEPER_START_TIMEOUT:-60}
  if [ -n "${ZOOKEEPER_PORT:-}" ]; then
    port_in_use "$ZOOKEEPER_PORT" && fail "port $ZOOKEEPER_PORT on 127.0.0.1 is in use"
    launch "$ZOOKEEPER_PORT" "$tick" "$timeout" || fail "port $ZOOKEEPER_PORT on 127.0.0.1 is in use"
    return
  fi
  # A free port can be taken between asking and binding: try a few.
  local attempt
  for attempt in 1 2 3; do
    launch "$(free_port)" "$tick" "$timeout" && return
  done
  fail "three free ports in a row were taken before the server could bind them"
}

# Stops our server by pid: only a ZooKeeperServerMain started from one of our directories.
stop() {
  local pid=$1 cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || fail "stop needs a pid, got '$pid'"
  if ! alive "$pid"; then
    say "no server with pid $pid"
    return 0
  fi
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  [[ "$cmdline" == *"$MAIN_CLASS"*"/tmp/$DIR_PREFIX."* ]] || fail "pid $pid is not a server this script started: $cmdline"
  local dir
  dir=$(sed -E "s#.*(/tmp/$DIR_PREFIX\.[A-Za-z0-9]+)/zoo\.cfg.*#\1#" <<<"$cmdline")
  kill -TERM "$pid" 2>/dev/null
  local i
  for i in $(seq 50); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -rf "$dir"
  say "stopped the server (pid $pid)"
}

run() {
  [ $# -gt 0 ] || fail "run needs a command"
  start
  local pid=$PID
  trap 'stop "$pid"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  say "listening on 127.0.0.1:$PORT (pid $PID, tick ${ZOOKEEPER_TICK_MS:-100} ms)"
  ZOOKEEPER_PORT=$PORT ZOOKEEPER_PID=$PID "$@"
  exit $?
}

case "${1:-}" in
  start)
    start
    echo "ZOOKEEPER_PORT=$PORT ZOOKEEPER_PID=$PID ZOOKEEPER_DIR=$DIR"
    ;;
  stop)
    stop "${2:-}"
    ;;
  run)
    shift
    run "$@"
    ;;
  *)
    echo "usage: scripts/zookeeper.sh start | stop PID | run CMD [ARG...]" >&2
    exit 2
    ;;
esac
