#!/usr/bin/env bash
# TLS echo: the starter's TLS server beside Netty's SslHandler (JDK provider), through
# ../shared/bench (copied to /tmp: it is read-only), each behind the same stunnel client shim
# (tls-front.sh). Server CPU per message, starter over Netty, is the figure to compare.
#
#   demo-app/bench/tls/tls-bench.sh                      # full matrix (i..v), 3 repeats
#   demo-app/bench/tls/tls-bench.sh -m "i ii" -r 1 -t 2  # options go to run.sh
#
# Needs: the demo jar (built here if missing), Maven Central for Netty, stunnel4, openssl is not needed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
shared=${BENCH_SRC:-/work/shared/bench}
copy=${BENCH_COPY:-/tmp/verypoll-tls-bench}
command -v stunnel >/dev/null || { echo "stunnel is missing: apt-get install -y stunnel4" >&2; exit 1; }
if [ ! -f "$root/demo-app/target/demo-app-0.1.0-SNAPSHOT.jar" ]; then
  (cd "$root" && mvn -B -ntp -q -DskipTests package -pl demo-app -am)
fi
if [ ! -d "$here/netty-tls/target/lib" ]; then
  (cd "$here/netty-tls" && mvn -B -ntp -q package)
fi
mkdir -p "$copy"
cp -a "$shared/." "$copy/"
exec "$copy/run.sh" -s "starter-tls netty-tls" -R netty-tls \
  -S "starter-tls=$here/tls-front.sh starter" \
  -S "netty-tls=$here/tls-front.sh netty" "$@"
