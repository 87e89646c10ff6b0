#!/usr/bin/env bash
# A three-node PostgreSQL cluster under Patroni, with etcd, on this machine (development, tests, demo).
#
#   scripts/ha-cluster.sh up            etcd + three Patroni nodes on free loopback ports, one folder
#   scripts/ha-cluster.sh status        who is the leader, the sync standby, the lag; the URLs to use
#   scripts/ha-cluster.sh down          stops everything it started (by PID) and removes the folder
#   scripts/ha-cluster.sh start-node N  starts node N's Patroni again (after a failover drill killed it)
#   scripts/ha-cluster.sh env           the state file, KEY=VALUE (URLs, ports, PIDs, folders)
#
# Patroni decides who the primary is (leader key in etcd); nothing here does. Synchronous mode is on:
# a commit the primary acknowledges is also on the synchronous standby. The Patroni configuration
# written for each node is the one docs/deployment.md shows for three machines.
#
# Settings (environment):
#   IMMUNIZE_HA_STATE  where the state file lives (default: ${TMPDIR:-/tmp}/immunize-ha-cluster.state);
#                      one cluster per state file, so tests use their own.
#   IMMUNIZE_HA_DB     the application database created on the leader (default: immunize)
set -euo pipefail

STATE=${IMMUNIZE_HA_STATE:-${TMPDIR:-/tmp}/immunize-ha-cluster.state}
DB=${IMMUNIZE_HA_DB:-immunize}
SCOPE=immunize
NODES=(node1 node2 node3)

die() {
  echo "ha-cluster: $*" >&2
  exit 1
}

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL binaries not found: run 'bash scripts/system-deps.sh test' (as root) first."
  echo "$d"
}

need_tools() {
  command -v patroni >/dev/null || die "patroni is not installed: run 'bash scripts/system-deps.sh test' (as root) first."
  command -v etcd >/dev/null || die "etcd is not installed: run 'bash scripts/system-deps.sh test' (as root) first."
  command -v python3 >/dev/null || die "python3 is needed to pick free ports and read Patroni's REST API."
}

# Several distinct free loopback ports at once (held together, so they differ).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# GET a URL; prints the body, returns non-zero when unreachable or not 2xx.
http_get() {
  python3 - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.stdout.write(r.read().decode())
except (urllib.error.URLError, OSError):
    sys.exit(1)
EOF
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Run as the postgres user when root (initdb and postgres refuse root); setpriv execs, so $! is the PID.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

load_state() {
  [ -f "$STATE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
}

state_set() {  # state_set KEY VALUE: replace or append one line
  local tmp
  tmp=$(mktemp "$STATE.XXXX")
  { grep -v "^$1=" "$STATE" 2>/dev/null || true; printf '%s=%q\n' "$1" "$2"; } >"$tmp"
  chmod 600 "$tmp"
  mv "$tmp" "$STATE"
}

write_node_config() {  # write_node_config NAME PG_PORT REST_PORT
  local name=$1 pgport=$2 restport=$3 dir=$ROOT/$1
  mkdir -p "$dir"
  cat >"$dir/patroni.yml" <<EOF
# Patroni configuration of $name (the same file, with real addresses, on each of three machines).
scope: $SCOPE
namespace: /service/
name: $name

restapi:
  listen: 127.0.0.1:$restport
  connect_address: 127.0.0.1:$restport

etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT_PORT

bootstrap:
  dcs:
    # Leader key lifetime and loop: a dead primary's key expires within ttl seconds, then a
    # replica that was the synchronous standby is promoted (loop_wait + 2 * retry_timeout <= ttl).
    ttl: 15
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
        wal_keep_size: 256MB
        archive_mode: "on"
        archive_command: "test ! -f $ROOT/archive/%f && cp %p $ROOT/archive/%f || cmp -s %p $ROOT/archive/%f"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  pg_hba:
    - local all all peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256

postgresql:
  listen: 127.0.0.1:$pgport
  connect_address: 127.0.0.1:$pgport
  data_dir: $dir/data
  bin_dir: $BIN_DIR
  pgpass: $dir/pgpass
  basebackup:
    - checkpoint: fast
  authentication:
    superuser:
      username: postgres
      password: "$PASSWORD"
    replication:
      username: replicator
      password: "$PASSWORD"
  parameters:
    unix_socket_directories: $dir
    password_encryption: scram-sha-256

watchdog:
  mode: off

tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
}

start_node() {  # start_node NAME (state loaded)
  local name=$1 dir=$ROOT/$1 pid
  if [ "$(id -u)" -eq 0 ]; then
    nohup setpriv --reuid=postgres --regid=postgres --init-groups -- patroni "$dir/patroni.yml" \
      >>"$dir/patroni.log" 2>&1 </dev/null &
  else
    nohup patroni "$dir/patroni.yml" >>"$dir/patroni.log" 2>&1 </dev/null &
  fi
  pid=$!
  state_set "PID_${name}" "$pid"
}

leader_name() {  # prints the leader's name, or nothing
  local port name body
  for name in "${NODES[@]}"; do
    port=$(eval echo "\${REST_${name}}")
    if body=$(http_get "http://127.0.0.1:$port/primary" 2>/dev/null); then
      echo "$name"
      return 0
    fi
  done
  return 1
}

cmd_up() {
  need_tools
  if load_state && alive "${PID_etcd:-}"; then
    echo "The cluster is already up, in $ROOT (state file $STATE)."
    echo "IMMUNIZE_DATABASE_URL=$DATABASE_URL"
    echo "Stop it with: scripts/ha-cluster.sh down"
    exit 0
  fi
  if [ -f "$STATE" ]; then
    echo "A stale state file $STATE (its etcd is gone): cleaning up first." >&2
    cmd_down >/dev/null
  fi
  BIN_DIR=$(pg_bin_dir)
  ROOT=$(mktemp -d "${TMPDIR:-/tmp}/immunize-ha.XXXXXX")
  PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  read -r ETCD_CLIENT_PORT ETCD_PEER_PORT PG_node1 PG_node2 PG_node3 REST_node1 REST_node2 REST_node3 \
    <<<"$(free_ports 8)"
  mkdir -p "$ROOT/etcd" "$ROOT/archive"
  local hosts="127.0.0.1:$PG_node1,127.0.0.1:$PG_node2,127.0.0.1:$PG_node3"
  DATABASE_URL="postgresql://postgres:$PASSWORD@$hosts/$DB?target_session_attrs=read-write"
  REPLICA_URL="postgresql://postgres:$PASSWORD@$hosts/$DB?target_session_attrs=standby"
  : >"$STATE"
  chmod 600 "$STATE"
  for key in ROOT BIN_DIR PASSWORD ETCD_CLIENT_PORT ETCD_PEER_PORT DATABASE_URL REPLICA_URL; do
    state_set "$key" "${!key}"
  done
  for name in "${NODES[@]}"; do
    state_set "PG_${name}" "$(eval echo "\${PG_${name}}")"
    state_set "REST_${name}" "$(eval echo "\${REST_${name}}")"
    write_node_config "$name" "$(eval echo "\${PG_${name}}")" "$(eval echo "\${REST_${name}}")"
  done
  state_set ARCHIVE "$ROOT/archive"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "there is no postgres user to run PostgreSQL as (install Debian's postgresql)."
    chown -R postgres:postgres "$ROOT"
  fi

  nohup etcd --name immunize-ha --data-dir "$ROOT/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "immunize-ha=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new --log-level warn >"$ROOT/etcd/etcd.log" 2>&1 </dev/null &
  state_set PID_etcd "$!"
  local i
  for i in $(seq 1 100); do
    http_get "http://127.0.0.1:$ETCD_CLIENT_PORT/health" >/dev/null 2>&1 && break
    alive "$(. "$STATE"; echo "$PID_etcd")" || die "etcd stopped at start: see $ROOT/etcd/etcd.log"
    sleep 0.1
  done

  load_state
  start_node node1
  local leader=""
  for i in $(seq 1 600); do
    load_state
    leader=$(leader_name || true)
    [ -n "$leader" ] && break
    alive "$PID_node1" || die "Patroni node1 stopped while bootstrapping: see $ROOT/node1/patroni.log"
    sleep 0.1
  done
  [ -n "$leader" ] || die "no leader after 60 s: see $ROOT/node1/patroni.log"
  start_node node2
  start_node node3
  PGPASSWORD=$PASSWORD "$BIN_DIR/psql" -q -h 127.0.0.1 -p "$PG_node1" -U postgres -d postgres \
    -c "CREATE DATABASE \"$DB\"" >/dev/null
  # Wait until both replicas stream and one is the synchronous standby.
  for i in $(seq 1 900); do
    if [ "$(sync_and_streaming)" = "3 1" ]; then
      break
    fi
    [ "$i" -eq 900 ] && die "the replicas did not start streaming in 90 s: see $ROOT/node2/patroni.log"
    sleep 0.1
  done
  echo "The cluster is up in $ROOT: etcd on 127.0.0.1:$ETCD_CLIENT_PORT, PostgreSQL on ports $PG_node1, $PG_node2, $PG_node3 (leader: $leader)."
  echo "IMMUNIZE_DATABASE_URL=$DATABASE_URL"
  echo "IMMUNIZE_REPLICA_URL=$REPLICA_URL"
  echo "State file: $STATE (scripts/ha-cluster.sh status | down)"
}

# "<members running> <sync standbys>" from Patroni's /cluster.
sync_and_streaming() {
  local port
  port=$(eval echo "\${REST_node1}")
  {
    for name in "${NODES[@]}"; do
      port=$(eval echo "\${REST_${name}}")
      http_get "http://127.0.0.1:$port/cluster" 2>/dev/null && break
    done
  } | python3 -c '
import json, sys
try:
    members = json.load(sys.stdin)["members"]
except Exception:
    print("0 0"); sys.exit()
running = sum(1 for m in members if m.get("state") in ("running", "streaming"))
sync = sum(1 for m in members if m.get("role") == "sync_standby")
print(running, sync)'
}

cmd_status() {
  if ! load_state; then
    echo "No cluster is up (no state file $STATE). Start one with: scripts/ha-cluster.sh up"
    exit 3
  fi
  echo "Cluster in $ROOT (state file $STATE)"
  echo "etcd: 127.0.0.1:$ETCD_CLIENT_PORT, pid ${PID_etcd:-?} ($(alive "${PID_etcd:-}" && echo running || echo stopped))"
  local name pid
  for name in "${NODES[@]}"; do
    pid=$(eval echo "\${PID_${name}:-}")
    echo "$name: PostgreSQL 127.0.0.1:$(eval echo "\${PG_${name}}"), Patroni REST 127.0.0.1:$(eval echo "\${REST_${name}}"), pid ${pid:-?} ($(alive "$pid" && echo running || echo stopped))"
  done
  patronictl -c "$ROOT/node1/patroni.yml" list 2>/dev/null || echo "(patronictl could not reach etcd)"
  echo "IMMUNIZE_DATABASE_URL=$DATABASE_URL"
  echo "IMMUNIZE_REPLICA_URL=$REPLICA_URL"
}

stop_pid() {  # stop_pid PID SECONDS: TERM, wait, then KILL
  local pid=$1 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 $(($2 * 10))); do
    alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_down() {
  if ! load_state; then
    echo "No cluster is up (no state file $STATE)."
    exit 0
  fi
  local name pid pmpid pids=()
  # All three at once (one by one, each primary shutdown waits for its synchronous standby).
  for name in "${NODES[@]}"; do
    pid=$(eval echo "\${PID_${name}:-}")
    alive "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for pid in "${pids[@]}"; do
    stop_pid "$pid" 15
  done
  # A PostgreSQL left behind (its Patroni was killed with -9): its postmaster.pid names it.
  for name in "${NODES[@]}"; do
    pmpid=$(head -n 1 "$ROOT/$name/data/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pmpid" ] && alive "$pmpid" && grep -q postgres "/proc/$pmpid/comm" 2>/dev/null; then
      kill -QUIT "$pmpid" 2>/dev/null || true
      stop_pid "$pmpid" 10
    fi
  done
  [ -n "${PID_etcd:-}" ] && stop_pid "$PID_etcd" 10
  case "$ROOT" in
    "${TMPDIR:-/tmp}"/immunize-ha.*) rm -rf "$ROOT" ;;
    *) echo "not removing $ROOT: not a folder this script created" >&2 ;;
  esac
  rm -f "$STATE"
  echo "The cluster is down; $ROOT removed."
}

cmd_start_node() {
  local name=${1:-}
  load_state || die "no cluster is up (no state file $STATE)."
  case " ${NODES[*]} " in *" $name "*) ;; *) die "no node named '$name': use one of ${NODES[*]}." ;; esac
  local pid
  pid=$(eval echo "\${PID_${name}:-}")
  if alive "$pid"; then
    echo "$name is already running (pid $pid)."
    return 0
  fi
  start_node "$name"
  load_state
  echo "$name started (pid $(eval echo "\${PID_${name}}"))."
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  start-node) cmd_start_node "${2:-}" ;;
  env)
    load_state || die "no cluster is up (no state file $STATE)."
    cat "$STATE"
    ;;
  *)
    echo "usage: scripts/ha-cluster.sh up|down|status|start-node NAME|env" >&2
    exit 2
    ;;
esac
