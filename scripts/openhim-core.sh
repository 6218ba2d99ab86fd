#!/usr/bin/env bash
# A real OpenHIM core (npm openhim-core 4.0.5) on an in-process MongoDB stand-in, no Docker, no MongoDB.
#
#   scripts/openhim-core.sh install                 npm ci in openhim-local/node (skipped when already current)
#   scripts/openhim-core.sh start [--dir DIR] [--persistent] [--api-port N] [--router-port N] ... [--free-ports]
#                                                   start in the background, wait until core is up, print the URLs
#   scripts/openhim-core.sh stop   [--dir DIR]      stop what start started (core, its workers, the Mongo stand-in)
#   scripts/openhim-core.sh status [--dir DIR]      running? + core's public /heartbeat (exit 3 when not running)
#
# DIR (default .run/openhim under the repository) holds core.json (urls, certificate, ports, pids), core.log,
# openhim-local.out, the pid file, the API certificate (core-api-cert.pem) and, with --persistent, mongo-h2.mv.
# Start options are those of `java -jar openhim-local/target/openhim-local-*.jar start` (ports default to core's
# usual 8080 API, 5001/5000 router, 7786 rerun, 7787 tcp, 7788 polling). Needs java 17, node 18+ and npm.
# Env: OPENHIM_JAVA_OPTS (default -Xmx512m -XX:+UseSerialGC), OPENHIM_START_TIMEOUT seconds (default 90),
# OPENHIM_BUILD_DIR (default target: where the jar is built and looked for; maven's -Dchis.buildDir).
# start builds the jar (mvn package, tests skipped) when it is missing or older than the sources it is made of.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_DIR="$ROOT/openhim-local/node"
MARKER="$NODE_DIR/node_modules/.chis-installed"   # same marker and lock as org.chis.openhim.local.NodeInstall
LOCK="$NODE_DIR/.install.lock.d"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

cmd=${1:-}; [ $# -gt 0 ] && shift
DIR="$ROOT/.run/openhim"
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage; DIR=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
PIDFILE="$DIR/openhim-local.pid"

lock_hash() { sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1; }
installed() { [ -f "$MARKER" ] && [ -f "$NODE_DIR/node_modules/openhim-core/lib/server.js" ] && [ "$(cat "$MARKER")" = "$(lock_hash)" ]; }
json_field() { sed -n "s/^ *\"$1\" *: *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$DIR/core.json" | head -1; }
running() {   # the pid file's process is alive and is ours (not a recycled pid)
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null || return 1
  [ ! -r "/proc/$pid/cmdline" ] || tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'openhim-local'
}

do_install() {
  if installed; then echo "openhim-core: node_modules is current ($NODE_DIR)"; return 0; fi
  command -v npm >/dev/null || { echo "openhim-core: npm not found (install node 18+ and npm)" >&2; return 1; }
  local waited=0
  until mkdir "$LOCK" 2>/dev/null; do               # another install (script or a test JVM) is running
    if [ -n "$(find "$LOCK" -maxdepth 0 -mmin +10 2>/dev/null)" ]; then rmdir "$LOCK" 2>/dev/null || true; continue; fi
    [ $waited -eq 0 ] && echo "openhim-core: waiting for another install ($LOCK)"
    waited=$((waited + 1)); [ $waited -gt 1200 ] && { echo "openhim-core: install lock timeout" >&2; return 1; }
    sleep 0.5
  done
  trap 'rmdir "$LOCK" 2>/dev/null || true' EXIT
  if ! installed; then
    echo "openhim-core: npm ci in $NODE_DIR"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
    # ssl-root-cas/latest downloads Mozilla's CA list at every core start (fails offline): seed its cache file
    cp "$NODE_DIR/node_modules/ssl-root-cas/ssl-root-cas.js" "$NODE_DIR/node_modules/ssl-root-cas/ssl-root-cas-latest.js"
    lock_hash > "$MARKER"
  fi
  rmdir "$LOCK" 2>/dev/null || true; trap - EXIT
}

BUILD_DIR=${OPENHIM_BUILD_DIR:-target}
# '|| true': no jar yet is an answer (empty), not an error that set -e/pipefail would exit on
find_jar() { { ls "$ROOT"/openhim-local/"$BUILD_DIR"/openhim-local-*.jar 2>/dev/null || true; } | { grep -v -e '-tests\.jar$' -e '-sources\.jar$' || true; } | head -1; }
# the jar is stale when a source or pom it is built from changed after it (e.g. after git pull)
stale() {
  [ -n "$1" ] && [ -d "$ROOT/openhim-local/$BUILD_DIR/lib" ] || return 0
  [ -z "$(find "$ROOT/pom.xml" "$ROOT/common/pom.xml" "$ROOT/common/src/main" "$ROOT/openhim-local/pom.xml" \
      "$ROOT/openhim-local/src/main" -newer "$1" -type f -print -quit 2>/dev/null)" ] && return 1
  return 0
}

print_urls() {
  echo "OpenHIM core is up (pid $(cat "$PIDFILE"), state $DIR/core.json)"
  echo "  API         $(json_field apiUrl)   user $(json_field rootUser) / $(json_field rootPassword)"
  echo "  router      $(json_field routerUrl)   $(json_field routerHttpsUrl)"
  echo "  certificate $(json_field certificate)   (mediators: core.api.certificate)"
  echo "  log         $(json_field log)"
}

do_start() {
  if running; then
    echo "openhim-core: already running (pid $(cat "$PIDFILE"))"; [ -f "$DIR/core.json" ] && print_urls; return 0
  fi
  do_install
  local jar; jar=$(find_jar)
  if stale "$jar"; then
    command -v mvn >/dev/null || { echo "openhim-core: mvn not found (needed once to build openhim-local)" >&2; return 1; }
    echo "openhim-core: building openhim-local (mvn -q -B -pl openhim-local -am package -DskipTests -Dchis.buildDir=$BUILD_DIR)"
    (cd "$ROOT" && mvn -q -B -pl openhim-local -am package -DskipTests -Dmaven.test.skip=true -Dchis.buildDir="$BUILD_DIR") \
      || { echo "openhim-core: build failed" >&2; return 1; }
    jar=$(find_jar)
  fi
  [ -n "$jar" ] || { echo "openhim-core: no openhim-local jar in openhim-local/$BUILD_DIR" >&2; return 1; }
  rm -f "$DIR/core.json"
  # shellcheck disable=SC2086
  CHIS_HOME="$ROOT" nohup java ${OPENHIM_JAVA_OPTS:--Xmx512m -XX:+UseSerialGC} -jar "$jar" start --dir "$DIR" "${PASS[@]}" \
    > "$DIR/openhim-local.out" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  local pid t=0 limit=$(( ${OPENHIM_START_TIMEOUT:-90} * 10 ))
  pid=$(cat "$PIDFILE")
  until [ -f "$DIR/core.json" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "openhim-core: failed to start; $DIR/openhim-local.out:" >&2; tail -40 "$DIR/openhim-local.out" >&2
      rm -f "$PIDFILE"; return 1
    fi
    t=$((t + 1)); if [ $t -gt "$limit" ]; then
      echo "openhim-core: not up after ${OPENHIM_START_TIMEOUT:-90} s; stopping it" >&2; tail -40 "$DIR/openhim-local.out" >&2
      do_stop >&2; return 1
    fi
    sleep 0.1
  done
  print_urls
}

do_stop() {
  if ! running; then echo "openhim-core: not running"; rm -f "$PIDFILE"; return 0; fi
  local pid nodes; pid=$(cat "$PIDFILE")
  nodes=$([ -f "$DIR/core.json" ] && grep '"node"' "$DIR/core.json" | tr -cs '0-9' ' ' || true)
  kill -TERM "$pid" 2>/dev/null || true       # the JVM's shutdown hook stops node, then the Mongo stand-in
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "openhim-core: pid $pid did not stop in 20 s, killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  for n in $nodes; do kill -0 "$n" 2>/dev/null && kill -KILL "$n" 2>/dev/null || true; done
  rm -f "$PIDFILE" "$DIR/core.json"
  echo "openhim-core: stopped"
}

do_status() {
  if ! running; then echo "openhim-core: not running ($DIR)"; return 3; fi
  echo "openhim-core: running (pid $(cat "$PIDFILE"))"
  if [ -f "$DIR/core.json" ]; then
    print_urls
    command -v curl >/dev/null && { printf '  heartbeat   '; curl -sk --max-time 5 "$(json_field apiUrl)/heartbeat" || printf 'no answer'; echo; }
  else
    echo "  (starting: no core.json yet)"
  fi
}

case "$cmd" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  -h|--help|help) usage 0 ;;
  *) usage ;;
esac
