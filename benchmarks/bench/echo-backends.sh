#!/usr/bin/env bash
# The TCP echo benchmark of both verypoll backends beside C epoll, mio and Netty epoll, in one
# run of the shared harness (../shared/bench, see its README).
#
# usage: benchmarks/bench/echo-backends.sh [--no-build] [run.sh options ...]
#
#   --no-build   use benchmarks/target/benchmarks.jar as it is (default: build it first:
#                mvn [-o] package of verypoll-core, verypoll-epoll and benchmarks, tests skipped)
#   run.sh options come after the defaults and override them, e.g. -r 1 -m v for a smoke run.
#
# Defaults: scenarios ii iii v, 3 repeats, the idle test on. Servers:
#   c-epoll, mio, netty-epoll      from the harness's servers.conf
#   verypoll-nio                   the core's TcpEchoServer on Java 17, NIO backend (the default)
#   verypoll-nio-j25               the same on Java 25 (separates the JDK from the backend)
#   verypoll-epoll                 the same on Java 25 with -Dverypoll.backend=epoll
# Environment: BENCH_SRC (default: ../shared/bench beside the repository), BENCH_DIR (where the
# harness is copied and run, default /tmp/bench; the shared copy is read-only), JAR_DIR (where
# the jar is frozen for the run, default /tmp/verypoll-echo-bench), JAVA17, JAVA25, JVM_OPTS
# (as run.sh). Results: $BENCH_DIR/results/<date>/results.md unless -o is given.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_SRC=${BENCH_SRC:-$REPO/../shared/bench}
BENCH_DIR=${BENCH_DIR:-/tmp/bench}
JAR_DIR=${JAR_DIR:-/tmp/verypoll-echo-bench}
export JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}

BUILD=1
if [ "${1:-}" = "--no-build" ]; then
    BUILD=0
    shift
fi

die() { echo "echo-backends: $*" >&2; exit 1; }

[ -x "$JAVA25" ] || die "no Java 25 at $JAVA25 (set JAVA25): the epoll backend needs Java 22+"

# The harness: copied once (or again when the shared sources changed); build outputs and
# results of earlier runs in $BENCH_DIR stay.
[ -f "$BENCH_SRC/run.sh" ] || [ -f "$BENCH_DIR/run.sh" ] || die "no harness at $BENCH_SRC or $BENCH_DIR"
if [ -f "$BENCH_SRC/run.sh" ] && { [ ! -d "$BENCH_DIR" ] ||
        diff -rq "$BENCH_SRC" "$BENCH_DIR" 2>&1 | grep -qv "^Only in $BENCH_DIR"; }; then
    echo "echo-backends: copying $BENCH_SRC to $BENCH_DIR"
    mkdir -p "$BENCH_DIR"
    cp -r "$BENCH_SRC/." "$BENCH_DIR/" # newer sources: make and javac in run.sh rebuild what is stale
    chmod -R u+w "$BENCH_DIR"
fi

# The jar, frozen: a rebuild during the run must not swap it under a running server.
if [ "$BUILD" = 1 ]; then
    (cd "$REPO" && { mvn -B -ntp -o -q package -pl verypoll-core,verypoll-epoll,benchmarks -DskipTests ||
        mvn -B -ntp -q package -pl verypoll-core,verypoll-epoll,benchmarks -DskipTests; })
fi
JAR=$REPO/benchmarks/target/benchmarks.jar
[ -f "$JAR" ] || die "no $JAR: build it (mvn -B -ntp -DskipTests package) or drop --no-build"
unzip -l "$JAR" io/verypoll/epoll/EpollBackend.class >/dev/null 2>&1 ||
    die "$JAR has no epoll backend: the build found no JDK 22+ and skipped verypoll-epoll"
mkdir -p "$JAR_DIR"
cp "$JAR" "$JAR_DIR/benchmarks.jar"
echo "echo-backends: jar $JAR_DIR/benchmarks.jar (commit $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD || echo ', uncommitted changes'))"

MAIN="-cp $JAR_DIR/benchmarks.jar io.verypoll.examples.TcpEchoServer"
exec "$BENCH_DIR/run.sh" \
    -s "c-epoll mio netty-epoll" \
    -S "verypoll-nio=\$JAVA17 \$JVM_OPTS $MAIN" \
    -S "verypoll-nio-j25=\$JAVA25 \$JVM_OPTS $MAIN" \
    -S "verypoll-epoll=\$JAVA25 \$JVM_OPTS -Dverypoll.backend=epoll --enable-native-access=ALL-UNNAMED $MAIN" \
    -m "ii iii v" -r 3 \
    "$@"
