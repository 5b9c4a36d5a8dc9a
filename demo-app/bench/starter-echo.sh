#!/usr/bin/env bash
# The demo's echo server, through the starter, as a server for ../shared/bench/run.sh, which appends
# the port as the last argument:
#
#   bench/run.sh -S "starter=$PWD/demo-app/bench/starter-echo.sh" \
#                -S "starter-nometrics=METRICS=off $PWD/demo-app/bench/starter-echo.sh"
#
# One poll loop by default (the harness pins every server to one CPU), the HTTP server on a free port, and the
# echo server's connection cap above the harness's 10000 idle connections. METRICS=off leaves out
# the starter's meters (its metrics auto-configuration), to measure what metrics cost.
# LOOPS sets verypoll.loops (default 1); ACCEPT sets the echo server's accept mode (hand-off or
# reuseport; default: the server's default). With LOOPS=2 run the harness with SERVER_CPU=0,1 (and
# LOADGEN_CPU=0,1) so that the server is not pinned to one CPU.
# JAVA picks the JVM (default $JAVA17); BACKEND=epoll (or auto) runs the starter on that core backend
# (Java 22+; the demo jar's manifest enables native access). The demo's other servers take free ports
# (OTHER_PORTS= for an older jar without the RESP, proxy and TLS servers).
# -XX:AutoBoxCacheMax: the JDK boxes file descriptors >= 128 in select(Consumer); a larger cache
# keeps the poll allocation-free with thousands of connections (see verypoll-core's notes).
set -euo pipefail
port=${!#}
jar=${DEMO_JAR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/demo-app-0.1.0-SNAPSHOT.jar}
extra=()
jvm=()
if [ -n "${BACKEND:-}" ]; then
  jvm+=(-Dverypoll.backend="$BACKEND")
fi
if [ -n "${ACCEPT:-}" ]; then
  extra+=(--verypoll.servers.echo.accept="$ACCEPT")
fi
if [ "${METRICS:-on}" = off ]; then
  extra+=(--spring.autoconfigure.exclude=io.verypoll.spring.boot.autoconfigure.VerypollMetricsAutoConfiguration)
fi
# shellcheck disable=SC2086 # JVM_OPTS is a list of options
exec "${JAVA:-${JAVA17:-java}}" ${JVM_OPTS:--Xms512m -Xmx512m} -XX:AutoBoxCacheMax=65536 "${jvm[@]}" -jar "$jar" \
  --server.port=0 --logging.level.root=warn \
  --verypoll.loops="${LOOPS:-1}" \
  --verypoll.servers.echo.port="$port" \
  --verypoll.servers.echo.max-connections=20000 \
  --verypoll.servers.echo.idle-timeout=0 \
  --verypoll.servers.chat.port=0 --verypoll.servers.udp-echo.port=0 \
  ${OTHER_PORTS---verypoll.servers.resp.port=0 --verypoll.servers.proxy.port=0 --verypoll.servers.tls-echo.port=0} \
  "${extra[@]}"
