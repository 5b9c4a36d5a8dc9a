#!/usr/bin/env bash
# A TLS echo server behind a TLS-terminating client shim, as a server for ../shared/bench/run.sh
# (which appends the port as the last argument and runs the line pinned to $SERVER_CPU):
#
#   tls-front.sh starter|netty PORT
#
# The bench's load generator speaks plaintext, so stunnel (Debian stunnel4, client mode) listens on
# 127.0.0.1:PORT and opens a TLS connection to the Java server on a free port for each connection
# it gets. stunnel is pinned to $FRONT_CPU (default 1, the load generator's CPU) so that the CPU
# the harness charges to the server (the PID of this script, which exec's the Java server) is the
# TLS server's alone.
#
#   starter: the demo's tls-echo (verypoll starter, one poll loop; delegated TLS tasks on Boot's
#            task executor, also pinned to the server CPU)
#   netty:   Netty 4.2 SslHandler with the JDK provider, NIO, one event loop (netty-tls/)
#
# Both use the demo's throwaway certificate (EC P-256, demo-app/src/main/resources/demo-tls) and
# negotiate TLS 1.3 with the cipher stunnel's OpenSSL prefers. stunnel stops when the server does.
set -euo pipefail
kind=$1
port=${!#}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
demo=$(cd "$here/../.." && pwd)
cert=$demo/src/main/resources/demo-tls/localhost.crt
key=$demo/src/main/resources/demo-tls/localhost.key
java=${JAVA17:-java}
backend=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d /tmp/tls-front.XXXXXX)
cat > "$work/stunnel.conf" <<CONF
foreground = yes
pid =
debug = 3
output = $work/stunnel.log
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
[echo]
client = yes
accept = 127.0.0.1:$port
connect = 127.0.0.1:$backend
CAfile = $cert
verifyPeer = yes
sslVersionMin = TLSv1.3
CONF

server_pid=$$
(
  # Once the server listens, the shim starts; it ends with the server (this PID after exec).
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$backend") 2>/dev/null && break
    sleep 0.1
  done
  taskset -c "${FRONT_CPU:-1}" stunnel "$work/stunnel.conf" &
  shim=$!
  while kill -0 "$server_pid" 2>/dev/null; do sleep 0.5; done
  kill "$shim" 2>/dev/null || true
  rm -rf "$work"
) </dev/null >/dev/null 2>&1 &

case $kind in
  starter)
    jar=${DEMO_JAR:-$demo/target/demo-app-0.1.0-SNAPSHOT.jar}
    # shellcheck disable=SC2086 # JVM_OPTS is a list of options
    exec "$java" ${JVM_OPTS:--Xms512m -Xmx512m} -XX:AutoBoxCacheMax=65536 -jar "$jar" \
      --server.port=0 --logging.level.root=warn --verypoll.loops=1 \
      --verypoll.servers.tls-echo.port="$backend" \
      --verypoll.servers.tls-echo.max-connections=20000 \
      --verypoll.servers.tls-echo.idle-timeout=0 \
      --verypoll.servers.echo.port=0 --verypoll.servers.chat.port=0 --verypoll.servers.udp-echo.port=0
    ;;
  netty)
    # shellcheck disable=SC2086
    exec "$java" ${JVM_OPTS:--Xms512m -Xmx512m} -cp "$here/netty-tls/target/classes:$here/netty-tls/target/lib/*" \
      bench.NettyTlsEcho "$cert" "$key" "$backend"
    ;;
  *)
    echo "usage: tls-front.sh starter|netty PORT" >&2
    exit 64
    ;;
esac
