#!/usr/bin/env bash
# redis-benchmark against the demo's RESP server and a real redis-server, in one run:
#
#   demo-app/bench/redis-benchmark.sh [DEMO_JAR]      # default demo-app/target/demo-app-0.1.0-SNAPSHOT.jar
#   SMOKE=1 demo-app/bench/redis-benchmark.sh         # a second or so per case: checks the script works
#
# Builds nothing (mvn -B -ntp -DskipTests package first). Needs Debian's redis-server and
# redis-tools (redis-benchmark, redis-cli), taskset, java, a JDK 21+ for virtual threads
# (JAVA_VT, Temurin 25 by default) and python3 (for the tables).
#
# Three tables, each server pinned to CPU 0 (the demo with one poll loop), redis-benchmark to CPU 1:
# 1. demo vs redis-server (--save '' --appendonly no), SET and GET of 3-byte values (redis-benchmark's
#    default) at -P 16 -c 50, -P 1 -c 50 and -P 1 -c 500;
# 2. the same pair, SET and GET of 1 KiB (-P 1 -c 50), 64 KiB (-P 1 -c 50) and 1 MiB (-P 1 -c 8) values:
#    the demo sends a GET of over 16 KiB with writeOwned, the stored array itself;
# 3. the demo's offloaded command, DEBUG SLEEP, on Boot's applicationTaskExecutor with platform threads
#    (a pool of 8) and with virtual threads (spring.threads.virtual.enabled=true), both demos on JAVA_VT:
#    DEBUG SLEEP 0 (the hop to the executor and back) at -P 1 -c 50, DEBUG SLEEP 0.001 (1 ms blocked)
#    at -P 1 -c 50 and -P 16 -c 50 (at most max-in-flight, 16, per connection run at once).
#    redis-server refuses DEBUG by default (enable-debug-command no) and would block on it: no column.
# Each run is one redis-benchmark test (a SET run leaves the key holding a value of its size for the
# GET run after it). After a warm-up, every repeat runs each scenario on both servers of its table,
# in an order that alternates per repeat, so slow drifts of a shared machine hit both alike. Per run:
# requests/s and the server's CPU (utime + stime from /proc/PID/stat, before and after) per request,
# plus `other %`: the two CPUs' busy time that was neither server nor client (other tenants).
# Before each run a quiet gate waits (at most GATE_SECONDS) for both CPUs to be under 30 % busy and
# records the busier one (`pre %`, in raw.txt).
# Prints markdown tables of medians; raw numbers go to $OUT/raw.txt.
#
# Environment: REPEATS (3), N_P16 (200000), N_P1 (50000), N_1K (50000), N_64K (20000), N_1M (2000),
# N_SLEEP0 (100000), N_SLEEP1 (20000), GATE_SECONDS (10), DEMO_PORT (17010; the platform and
# virtual demos take the two ports after it), REDIS_PORT (16379), OUT (a new directory under /tmp),
# JAVA (java), JAVA_VT (/usr/lib/jvm/temurin-25-jdk-amd64/bin/java).
# SMOKE=1: one repeat of every count divided by 100 (at least 200), a short warm-up, no quiet gate.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jar=${1:-$here/../target/demo-app-0.1.0-SNAPSHOT.jar}
smoke=${SMOKE:-0}
scale() { # count -> count, cut down for a smoke run
  if [ "$smoke" = 1 ]; then echo $(($1 / 100 > 200 ? $1 / 100 : 200)); else echo "$1"; fi
}
repeats=${REPEATS:-3}
gate_seconds=${GATE_SECONDS:-10}
if [ "$smoke" = 1 ]; then repeats=1; gate_seconds=0; fi
n_p16=$(scale "${N_P16:-200000}")
n_p1=$(scale "${N_P1:-50000}")
n_1k=$(scale "${N_1K:-50000}")
n_64k=$(scale "${N_64K:-20000}")
n_1m=$(scale "${N_1M:-2000}")
n_sleep0=$(scale "${N_SLEEP0:-100000}")
n_sleep1=$(scale "${N_SLEEP1:-20000}")
demo_port=${DEMO_PORT:-17010}
platform_port=$((demo_port + 1))
virtual_port=$((demo_port + 2))
redis_port=${REDIS_PORT:-16379}
out=${OUT:-$(mktemp -d /tmp/resp-bench.XXXXXX)}
java=${JAVA:-java}
java_vt=${JAVA_VT:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
mkdir -p "$out"

for tool in redis-server redis-benchmark redis-cli taskset python3 "$java" "$java_vt"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install redis-server redis-tools; JAVA_VT: a JDK 21+)" >&2; exit 2; }
done
[ -f "$jar" ] || { echo "no jar at $jar: run mvn -B -ntp -DskipTests package first" >&2; exit 2; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Bounded: a server that ignores SIGTERM for 20 s gets SIGKILL. Ended = gone or a zombie.
    for _ in $(seq 1 200); do
      # A process already gone fails the read (pipefail): that ends the wait, not the script.
      state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || break
      [ -z "$state" ] || [ "$state" = Z ] && break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# A demo: only its RESP server on a fixed port, the others on free ports; one loop, as the echo
# benchmarks run it (starter-echo.sh): a fixed heap, and boxed fds cached for the poll.
start_demo() { # java port log [extra arguments...] -> sets started_pid
  local jvm=$1 port=$2 log=$3
  shift 3
  taskset -c 0 "$jvm" -Xms512m -Xmx512m -XX:AutoBoxCacheMax=65536 -jar "$jar" \
    --server.port=0 --logging.level.root=warn --verypoll.loops=1 \
    --verypoll.server-defaults.port=0 --verypoll.servers.resp.port="$port" "$@" \
    >"$out/$log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
}
start_demo "$java" "$demo_port" demo.log
demo_pid=$started_pid
start_demo "$java_vt" "$platform_port" platform.log
platform_pid=$started_pid
start_demo "$java_vt" "$virtual_port" virtual.log --spring.threads.virtual.enabled=true
virtual_pid=$started_pid
taskset -c 0 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$out" --logfile "$out/redis.log" &
redis_pid=$!
pids+=("$redis_pid")

wait_for() { # port: until it answers PING, at most 90 s
  for _ in $(seq 1 180); do
    [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.5
  done
  echo "nothing answers PING on port $1; see $out/*.log" >&2
  exit 1
}
for port in "$demo_port" "$platform_port" "$virtual_port" "$redis_port"; do
  wait_for "$port"
done

pid_of() { # server name -> pid
  case $1 in demo) echo "$demo_pid" ;; redis) echo "$redis_pid" ;; platform) echo "$platform_pid" ;; virtual) echo "$virtual_pid" ;; esac
}
port_of() { # server name -> port
  case $1 in demo) echo "$demo_port" ;; redis) echo "$redis_port" ;; platform) echo "$platform_port" ;; virtual) echo "$virtual_port" ;; esac
}

ticks_of() { # pid -> utime + stime in clock ticks (the fields after "pid (comm) ")
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
busy_ticks() { # -> "cpu0_busy cpu1_busy total0 total1" (busy = all but idle and iowait)
  awk '/^cpu[01] / { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; printf "%d %d ", busy, total }' /proc/stat
}

busy_pct() { # the busier of the two CPUs over half a second, in %
  local a b
  read -r -a a <<<"$(busy_ticks)"
  sleep 0.5
  read -r -a b <<<"$(busy_ticks)"
  awk -v b0=$((b[0] - a[0])) -v t0=$((b[1] - a[1])) -v b1=$((b[2] - a[2])) -v t1=$((b[3] - a[3])) \
    'BEGIN { p0 = t0 ? 100 * b0 / t0 : 0; p1 = t1 ? 100 * b1 / t1 : 0; printf "%d", (p0 > p1 ? p0 : p1) }'
}
quiet_gate() { # waits (at most GATE_SECONDS) for both CPUs to be under 30 % busy; prints what it saw last
  local pct=-1
  for _ in $(seq 1 $((gate_seconds * 2))); do
    pct=$(busy_pct)
    [ "$pct" -lt 30 ] && break
  done
  echo "$pct"
}

hz=$(getconf CLK_TCK)
bench() { # port pipeline clients requests test... -> redis-benchmark's csv
  local port=$1 p=$2 c=$3 n=$4
  shift 4
  timeout 300 taskset -c 1 redis-benchmark -h 127.0.0.1 -p "$port" -P "$p" -c "$c" -n "$n" --csv "$@"
}

# Scenarios: "table|label|pipeline|clients|requests|redis-benchmark test arguments".
scenarios=(
  "small|SET -P 16 -c 50|16|50|$n_p16|-t set"
  "small|GET -P 16 -c 50|16|50|$n_p16|-t get"
  "small|SET -P 1 -c 50|1|50|$n_p1|-t set"
  "small|GET -P 1 -c 50|1|50|$n_p1|-t get"
  "small|SET -P 1 -c 500|1|500|$n_p1|-t set"
  "small|GET -P 1 -c 500|1|500|$n_p1|-t get"
  "sizes|SET 1 KiB -P 1 -c 50|1|50|$n_1k|-t set -d 1024"
  "sizes|GET 1 KiB -P 1 -c 50|1|50|$n_1k|-t get -d 1024"
  "sizes|SET 64 KiB -P 1 -c 50|1|50|$n_64k|-t set -d 65536"
  "sizes|GET 64 KiB -P 1 -c 50|1|50|$n_64k|-t get -d 65536"
  "sizes|SET 1 MiB -P 1 -c 8|1|8|$n_1m|-t set -d 1048576"
  "sizes|GET 1 MiB -P 1 -c 8|1|8|$n_1m|-t get -d 1048576"
  "offload|DEBUG SLEEP 0 -P 1 -c 50|1|50|$n_sleep0|debug sleep 0"
  "offload|DEBUG SLEEP 0.001 -P 1 -c 50|1|50|$n_sleep1|debug sleep 0.001"
  "offload|DEBUG SLEEP 0.001 -P 16 -c 50|16|50|$n_sleep1|debug sleep 0.001"
)
servers_of() { # table -> the two servers it compares
  case $1 in small | sizes) echo "demo redis" ;; offload) echo "platform virtual" ;; esac
}

# One measured run: appends "name<TAB>label<TAB>rps<TAB>cpu_us_per_request<TAB>other_pct<TAB>client_us_per_request<TAB>pre_pct".
measure() { # name label pipeline clients requests test...
  local name=$1 label=$2 p=$3 c=$4 n=$5
  shift 5
  local pid t0 t1 s0 s1 c0 c1 csv pre
  pid=$(pid_of "$name")
  pre=$(quiet_gate)
  read -r -a s0 <<<"$(busy_ticks)"
  t0=$(ticks_of "$pid")
  c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat) # this shell's children so far
  csv=$(bench "$(port_of "$name")" "$p" "$c" "$n" "$@")
  t1=$(ticks_of "$pid")
  c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  read -r -a s1 <<<"$(busy_ticks)"
  echo "$csv" >>"$out/csv.txt"
  python3 - "$name" "$label" "$n" "$hz" "$((t1 - t0))" "$((c1 - c0))" "${s0[*]}" "${s1[*]}" "$csv" "$pre" <<'EOF' | tee -a "$out/raw.txt"
import csv, io, sys
name, label, n, hz, server, client, s0, s1, text, pre = sys.argv[1:]
n, hz, server, client = int(n), int(hz), int(server), int(client)
rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0] != "test"]
if len(rows) != 1:
    sys.exit(f"redis-benchmark gave no single result for {label} on {name}: {text}")
rps = float(rows[0][1])
cpu_us = server * 1e6 / hz / n
b0, t0, b1, t1 = (int(x) for x in s0.split())
c0, u0, c1, u1 = (int(x) for x in s1.split())
busy, total = (c0 - b0) + (c1 - b1), (u0 - t0) + (u1 - t1)
other = max(0.0, 100.0 * (busy - server - client) / total) if total else 0.0
print(f"{name}\t{label}\t{rps:.0f}\t{cpu_us:.3f}\t{other:.1f}\t{client * 1e6 / hz / n:.3f}\t{pre}")
EOF
}

run_scenario() { # scenario [measure|warm] [order: 1 = as listed, 0 = reversed]
  local table label p c n tests a b
  IFS='|' read -r table label p c n tests <<<"$1"
  read -r a b <<<"$(servers_of "$table")"
  [ "$3" = 1 ] || { local t=$a; a=$b; b=$t; }
  for server in $a $b; do
    # shellcheck disable=SC2086 # tests is a list of arguments
    if [ "$2" = measure ]; then
      measure "$server" "$label" "$p" "$c" "$n" $tests
    else
      bench "$(port_of "$server")" "$p" "$c" "$(( n / 4 > 200 ? n / 4 : 200 ))" $tests >/dev/null
    fi
  done
}

echo "# load before: $(cat /proc/loadavg)" | tee "$out/env.txt"
echo "# $(redis-server --version)" | tee -a "$out/env.txt"
echo "# demo: $("$java" -version 2>&1 | head -1); platform and virtual: $("$java_vt" -version 2>&1 | head -1)" | tee -a "$out/env.txt"
echo "# smoke: $smoke, repeats: $repeats" | tee -a "$out/env.txt"

# Warm-up: the demos' JIT compiles the paths of every scenario (redis-server gets the same, for symmetry).
warmups=2
[ "$smoke" = 1 ] && warmups=1
for _ in $(seq 1 "$warmups"); do
  for s in "${scenarios[@]}"; do
    run_scenario "$s" warm 1
  done
done

: >"$out/raw.txt"
for r in $(seq 1 "$repeats"); do
  for s in "${scenarios[@]}"; do
    run_scenario "$s" measure $((r % 2))
  done
done
echo "# load after: $(cat /proc/loadavg)" | tee -a "$out/env.txt"

labels=$(printf '%s\n' "${scenarios[@]}" | cut -d'|' -f1,2)
python3 - "$out/raw.txt" "$labels" <<'EOF' | tee "$out/results.md"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, label, rps, cpu, other, client, pre = line.rstrip("\n").split("\t")
    runs.setdefault((label, name), []).append((float(rps), float(cpu), float(other)))
tables = {}
for entry in sys.argv[2].splitlines():
    table, label = entry.split("|", 1)
    tables.setdefault(table, []).append(label)
titles = {
    "small": ("demo", "redis", "3-byte values (redis-benchmark's default)"),
    "sizes": ("demo", "redis", "larger values"),
    "offload": ("platform", "virtual", "the offloaded command on applicationTaskExecutor: platform threads (8) vs virtual threads"),
}
for table, labels in tables.items():
    a, b, title = titles[table]
    print(f"**{title}**")
    print()
    print(f"| scenario | {a} req/s | {b} req/s | {a} ÷ {b} | {a} CPU µs/req | {b} CPU µs/req | {a} ÷ {b}"
          " | paired, per repeat | other %, median (max) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label in labels:
        x, y = runs[(label, a)], runs[(label, b)]
        xrps, yrps = statistics.median(r[0] for r in x), statistics.median(r[0] for r in y)
        xcpu, ycpu = statistics.median(r[1] for r in x), statistics.median(r[1] for r in y)
        # The two runs of one repeat are back to back: their ratio is the least exposed to drifts of the load.
        paired = [p[1] / q[1] if q[1] else float("nan") for p, q in zip(x, y)]
        others = [r[2] for r in x + y]
        ratio = lambda p, q: f"{p / q:.2f}" if q else "n/a"
        print(f"| `{label}` | {xrps:,.0f} | {yrps:,.0f} | {ratio(xrps, yrps)} | {xcpu:.2f} | {ycpu:.2f} | {ratio(xcpu, ycpu)}"
              f" | {statistics.median(paired):.2f} [{min(paired):.2f}–{max(paired):.2f}]"
              f" | {statistics.median(others):.0f} ({max(others):.0f}) |")
    print()
print(f"Medians of {len(x)} runs each. Paired: the median [min–max] of the CPU-per-request ratio within each"
      " repeat. Other %: CPU that other processes took during a run, of both CPUs.")
EOF
echo "raw results: $out"
