#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when missing.
#   run:  fonts for the PDF certificate (DejaVu has every Vietnamese glyph)
#   test: the above, plus PostgreSQL (the tests start a throwaway cluster), chromium (browser tests),
#         and Patroni + etcd (the failover drill: scripts/ha-cluster.sh, tests/ha, bench_failover)
#   bench: the above, plus wrk (benchmarks/bench_public_wrk.py: /statistics under load, issue 14)
set -euo pipefail
purpose=${1:-test}
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have fonts-dejavu-core || need+=(fonts-dejavu-core)
if [ "$purpose" = test ] || [ "$purpose" = bench ]; then
  have postgresql || need+=(postgresql)
  have chromium || need+=(chromium)
  have patroni || need+=(patroni)
  have etcd-server || need+=(etcd-server)
fi
if [ "$purpose" = bench ]; then
  have wrk || need+=(wrk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${need[*]}. Install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
