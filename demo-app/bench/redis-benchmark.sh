#!/usr/bin/env bash
# redis-benchmark against the demo's RESP server and a real redis-server, in one run:
#
#   demo-app/bench/redis-benchmark.sh [DEMO_JAR]      # default demo-app/target/demo-app-0.1.0-SNAPSHOT.jar
#
# Builds nothing (mvn -B -ntp -DskipTests package first). Needs Debian's redis-server and
# redis-tools (redis-benchmark, redis-cli), taskset, java and python3 (for the table).
# Both servers run pinned to CPU 0 (the demo with one poll loop), redis-benchmark pinned to CPU 1.
# After a warm-up, every repeat runs each scenario against both servers, in an order that alternates
# per repeat, so slow drifts of a shared machine hit both alike. Per run: requests/s (SET and GET
# together) and the server's CPU (utime + stime from /proc/PID/stat, before and after) per request,
# plus `other %`: the two CPUs' busy time that was neither server nor client (other tenants).
# Before each run a quiet gate waits (at most 10 s) for both CPUs to be under 30 % busy and
# records the busier one (`pre %`, in raw.txt).
# Prints a markdown table of medians; raw numbers go to $OUT/raw.txt.
#
# Environment: REPEATS (3), N_P16 (200000), N_P1 (50000), DEMO_PORT (17010), REDIS_PORT (16379),
# OUT (a new directory under /tmp), JAVA (java).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jar=${1:-$here/../target/demo-app-0.1.0-SNAPSHOT.jar}
repeats=${REPEATS:-3}
n_p16=${N_P16:-200000}
n_p1=${N_P1:-50000}
demo_port=${DEMO_PORT:-17010}
redis_port=${REDIS_PORT:-16379}
out=${OUT:-$(mktemp -d /tmp/resp-bench.XXXXXX)}
java=${JAVA:-java}
mkdir -p "$out"

for tool in redis-server redis-benchmark redis-cli taskset python3 "$java"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install redis-server redis-tools)" >&2; exit 2; }
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
      state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
      [ -z "$state" ] || [ "$state" = Z ] && break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# The demo: only its RESP server on a fixed port, the others on free ports; one loop, as the
# echo benchmarks run it (starter-echo.sh): a fixed heap, and boxed fds cached for the poll.
taskset -c 0 "$java" -Xms512m -Xmx512m -XX:AutoBoxCacheMax=65536 -jar "$jar" \
  --server.port=0 --logging.level.root=warn --verypoll.loops=1 \
  --verypoll.server-defaults.port=0 --verypoll.servers.resp.port="$demo_port" \
  >"$out/demo.log" 2>&1 &
demo_pid=$!
pids+=("$demo_pid")
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
wait_for "$demo_port"
wait_for "$redis_port"

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
quiet_gate() { # waits (at most 10 s) for both CPUs to be under 30 % busy; prints what it saw last
  local pct
  for _ in $(seq 1 20); do
    pct=$(busy_pct)
    [ "$pct" -lt 30 ] && break
  done
  echo "$pct"
}

hz=$(getconf CLK_TCK)
bench() { # port pipeline clients requests -> csv lines of redis-benchmark (SET, GET)
  timeout 300 taskset -c 1 redis-benchmark -h 127.0.0.1 -p "$1" -P "$2" -c "$3" -n "$4" -t set,get --csv
}

# One measured run: prints "name scenario rps cpu_us_per_request other_pct client_us_per_request pre_pct".
measure() { # name pid port pipeline clients requests scenario
  local name=$1 pid=$2 port=$3 p=$4 c=$5 n=$6 scenario=$7
  local t0 t1 s0 s1 c0 c1 csv pre
  pre=$(quiet_gate)
  read -r -a s0 <<<"$(busy_ticks)"
  t0=$(ticks_of "$pid")
  c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat) # this shell's children so far
  csv=$(bench "$port" "$p" "$c" "$n")
  t1=$(ticks_of "$pid")
  c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  read -r -a s1 <<<"$(busy_ticks)"
  echo "$csv" >>"$out/csv.txt"
  python3 - "$name" "$scenario" "$n" "$hz" "$((t1 - t0))" "$((c1 - c0))" "${s0[*]}" "${s1[*]}" "$csv" "$pre" <<'EOF' | tee -a "$out/raw.txt"
import csv, io, sys
name, scenario, n, hz, server, client, s0, s1, text, pre = sys.argv[1:]
n, hz, server, client = int(n), int(hz), int(server), int(client)
rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0] in ("SET", "GET")]
if len(rows) != 2:
    sys.exit("redis-benchmark gave no SET and GET results: " + text)
seconds = sum(n / float(r[1]) for r in rows)          # time spent in the two tests
rps = 2 * n / seconds
cpu_us = server * 1e6 / hz / (2 * n)
b0, t0, b1, t1 = (int(x) for x in s0.split())
c0, u0, c1, u1 = (int(x) for x in s1.split())
busy, total = (c0 - b0) + (c1 - b1), (u0 - t0) + (u1 - t1)
other = max(0.0, 100.0 * (busy - server - client) / total) if total else 0.0
print(f"{name} {scenario} {rps:.0f} {cpu_us:.3f} {other:.1f} {client * 1e6 / hz / (2 * n):.3f} {pre}")
EOF
}

scenarios=("P16-c50 16 50 $n_p16" "P1-c50 1 50 $n_p1" "P1-c500 1 500 $n_p1")
echo "# load before: $(cat /proc/loadavg)" | tee "$out/env.txt"
echo "# $(redis-server --version)" | tee -a "$out/env.txt"
echo "# $("$java" -version 2>&1 | head -1)" | tee -a "$out/env.txt"

# Warm-up: the demo's JIT compiles the paths of all three scenarios (redis-server gets the same, for symmetry).
for s in "${scenarios[@]}"; do
  read -r _ p c n <<<"$s"
  for port in "$demo_port" "$redis_port"; do
    bench "$port" "$p" "$c" "$n" >/dev/null
    bench "$port" "$p" "$c" "$n" >/dev/null
  done
done

: >"$out/raw.txt"
for r in $(seq 1 "$repeats"); do
  for s in "${scenarios[@]}"; do
    read -r scenario p c n <<<"$s"
    if [ $((r % 2)) -eq 1 ]; then order="demo redis"; else order="redis demo"; fi
    for server in $order; do
      if [ "$server" = demo ]; then
        measure demo "$demo_pid" "$demo_port" "$p" "$c" "$n" "$scenario"
      else
        measure redis "$redis_pid" "$redis_port" "$p" "$c" "$n" "$scenario"
      fi
    done
  done
done
echo "# load after: $(cat /proc/loadavg)" | tee -a "$out/env.txt"

python3 - "$out/raw.txt" <<'EOF' | tee "$out/results.md"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, scenario, rps, cpu, other, client, pre = line.split()
    runs.setdefault((scenario, name), []).append((float(rps), float(cpu), float(other)))
print("| scenario | demo req/s | redis req/s | demo ÷ redis | demo CPU µs/req | redis CPU µs/req | demo ÷ redis"
      " | paired, per repeat | other %, median (max) |")
print("|---|---|---|---|---|---|---|---|---|")
for scenario in ("P16-c50", "P1-c50", "P1-c500"):
    d, r = runs[(scenario, "demo")], runs[(scenario, "redis")]
    drps, rrps = statistics.median(x[0] for x in d), statistics.median(x[0] for x in r)
    dcpu, rcpu = statistics.median(x[1] for x in d), statistics.median(x[1] for x in r)
    # The two runs of one repeat are back to back: their ratio is the least exposed to drifts of the load.
    paired = [a[1] / b[1] for a, b in zip(d, r)]
    others = [x[2] for x in d + r]
    label = scenario.replace("-", " ").replace("P", "-P ").replace("c", "-c ")
    print(f"| `{label.strip()}` | {drps:,.0f} | {rrps:,.0f} | {drps / rrps:.2f} | {dcpu:.2f} | {rcpu:.2f} | {dcpu / rcpu:.2f}"
          f" | {statistics.median(paired):.2f} [{min(paired):.2f}–{max(paired):.2f}]"
          f" | {statistics.median(others):.0f} ({max(others):.0f}) |")
print()
print(f"Medians of {len(d)} runs each (SET and GET). Paired: the median [min–max] of demo ÷ redis CPU per request"
      " within each repeat. Other %: CPU that other processes took during a run, of both CPUs.")
EOF
echo "raw results: $out"
