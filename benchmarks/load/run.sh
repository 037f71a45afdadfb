#!/usr/bin/env bash
# Load benchmark: plugmesh against a direct upstream, an nginx reverse proxy and a bare Netty
# HTTP/1.1 codec relay, all on loopback. See benchmarks/README.md for what each number means.
#
# Usage: benchmarks/load/run.sh            (from anywhere; settings are environment variables)
#   RUNS=3              measurements per target; medians are printed
#   TARGETS="direct nginx relay plugmesh"
#   WRK_THREADS=1 WRK_CONNECTIONS=64 WRK_SECONDS=10         max-throughput phase (wrk)
#   RATE=2000 RATE_CLIENTS=20 RATE_SECONDS=10               fixed-rate latency phase (h2load --h1)
#   WARMUP_SECONDS=5    untimed wrk load before a target's runs (JIT warm-up)
#   BASE_PORT=28080     upstream, nginx proxy, relay, plugmesh use BASE_PORT .. BASE_PORT+3
#   PROXY_CPU=1 LOAD_CPU=0 UPSTREAM_CPU=$LOAD_CPU           cores for taskset
#   JAVA_OPTS="-Xms16m -Xmx64m -XX:+UseSerialGC"   options for both Java targets (relay and plugmesh)
#   PLUGMESH_OPTS=""    extra JVM options for plugmesh only, e.g. a flight recording:
#                       "-XX:StartFlightRecording=duration=60s,filename=/tmp/plugmesh.jfr,settings=profile"
#   READY_SECONDS=60    how long a proxy may take to accept connections
#   BUILD=1             build the relay jar and the kernel classpath first (0: use what is there)
#   INSTALL=1           apt-get install missing wrk, h2load (nghttp2-client), nginx
#   KEEP_WORK=0         1 keeps the temp dir with configs, logs and raw tool output
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUNS=${RUNS:-3}
TARGETS=${TARGETS:-"direct nginx relay plugmesh"}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_SECONDS=${WRK_SECONDS:-10}
RATE=${RATE:-2000}
RATE_CLIENTS=${RATE_CLIENTS:-20}
RATE_SECONDS=${RATE_SECONDS:-10}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
BASE_PORT=${BASE_PORT:-28080}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
UPSTREAM_CPU=${UPSTREAM_CPU:-$LOAD_CPU}
JAVA_OPTS=${JAVA_OPTS:--Xms16m -Xmx64m -XX:+UseSerialGC}
PLUGMESH_OPTS=${PLUGMESH_OPTS:-}
READY_SECONDS=${READY_SECONDS:-60}
BUILD=${BUILD:-1}
INSTALL=${INSTALL:-1}
KEEP_WORK=${KEEP_WORK:-0}

BODY_BYTES=200            # size of the upstream's static response body
STOP_SECONDS=10           # grace period for a stopped process before SIGKILL
BUILD_SECONDS=900         # bound on the Maven build
INSTALL_SECONDS=600       # bound on apt-get

UP_PORT=$BASE_PORT
NGINX_PORT=$((BASE_PORT + 1))
RELAY_PORT=$((BASE_PORT + 2))
PLUGMESH_PORT=$((BASE_PORT + 3))
RELAY_JAR=$ROOT/benchmarks/target/benchmarks.jar
KERNEL_CP=$ROOT/kernel/target/classpath.txt
CLK_TCK=$(getconf CLK_TCK)

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

for v in RUNS WRK_THREADS WRK_CONNECTIONS WRK_SECONDS RATE RATE_CLIENTS RATE_SECONDS BASE_PORT READY_SECONDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v: '${!v}' (expected: a positive integer)"
done
[[ $WARMUP_SECONDS =~ ^[0-9]+$ ]] || die "WARMUP_SECONDS: '$WARMUP_SECONDS' (expected: >= 0)"
((RATE % RATE_CLIENTS == 0)) || die "RATE: $RATE (expected: a multiple of RATE_CLIENTS=$RATE_CLIENTS)"
RPS_PER_CLIENT=$((RATE / RATE_CLIENTS))
# Ports inside the ephemeral range can be taken by any outgoing connection, and a connection
# attempt to such a port with no listener can connect to itself and look like a ready server.
read -r EPHEMERAL_LOW EPHEMERAL_HIGH </proc/sys/net/ipv4/ip_local_port_range
((BASE_PORT + 3 < EPHEMERAL_LOW || BASE_PORT > EPHEMERAL_HIGH)) ||
  die "BASE_PORT: $BASE_PORT (expected: ports BASE_PORT..BASE_PORT+3 outside the ephemeral range $EPHEMERAL_LOW-$EPHEMERAL_HIGH)"

# ---------------------------------------------------------------- processes, cleaned up by PID
PIDS=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/plugmesh-load.XXXXXX")

stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_SECONDS * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local i
  [[ -n $TOOL_PID ]] && stop_pid "$TOOL_PID"
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${PIDS[i]}"
  done
  if [[ $KEEP_WORK == 1 ]]; then
    echo "run.sh: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
TOOL_PID=""
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a tool in the background with output to $1 and waits for it: a signal interrupts the wait
# (a foreground command would delay the cleanup until it ends). Returns the tool's exit status.
run_tool() {
  local out=$1 rc=0
  shift
  "$@" >"$out" 2>&1 </dev/null &
  TOOL_PID=$!
  wait "$TOOL_PID" || rc=$?
  TOOL_PID=""
  return "$rc"
}

# Starts "$@" in the background on core $1 with output to $2; sets PID and remembers it.
start_on() {
  local cpu=$1 out=$2
  shift 2
  taskset -c "$cpu" "$@" >"$out" 2>&1 </dev/null &
  PID=$!
  PIDS+=("$PID")
}

# What a proxy says about its own start ("plugmesh ready in N ms": from main() to serving).
self_ready() {
  local line
  line=$(grep -m1 -o 'ready in [0-9]* ms' "$WORK/$1.out" 2>/dev/null) || return 0
  echo "; it reports: $line"
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Waits until $2 accepts connections while process $1 lives; sets READY_MS.
wait_ready() {
  local pid=$1 port=$2 start now
  READY_MS="-"
  start=$(date +%s%N)
  while true; do
    kill -0 "$pid" 2>/dev/null || return 1
    port_open "$port" && break
    now=$(date +%s%N)
    (((now - start) / 1000000000 >= READY_SECONDS)) && return 2
    sleep 0.05
  done
  now=$(date +%s%N)
  READY_MS=$(((now - start) / 1000000))
}

# One GET with Connection: close; succeeds when the status line is 200.
smoke() {
  timeout 5 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$1"'
    printf "GET /smoke HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    IFS= read -r line <&3
    [[ $line == "HTTP/1.1 200"* ]]' 2>/dev/null
}

# A process and its direct children (nginx: master and worker).
proc_tree() {
  local pid=$1 f s
  echo "$pid"
  for f in /proc/[0-9]*/stat; do
    { s=$(<"$f"); } 2>/dev/null || continue
    s=${s##*) }
    set -- $s
    [[ $2 == "$pid" ]] && { f=${f#/proc/}; echo "${f%/stat}"; }
  done
  return 0
}

# CPU ticks (utime + stime) of a process tree.
cpu_ticks() {
  local total=0 p s
  for p in $(proc_tree "$1"); do
    { s=$(<"/proc/$p/stat"); } 2>/dev/null || continue
    s=${s##*) }
    set -- $s
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# Sum of a /proc/PID/status field (kB) over a process tree.
mem_kb() {
  local total=0 p v
  for p in $(proc_tree "$1"); do
    v=$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# The last lines a target printed (its stdout/stderr, and nginx's error log).
show_output() {
  local f
  for f in "$WORK/$1.out" "$WORK/$1/error.log"; do
    [[ -s $f ]] && tail -n 15 "$f" | sed 's/^/    /' >&2
  done
  return 0
}

median() { printf '%s\n' "$@" | grep -v '^-$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------- tools
install_tools() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v h2load >/dev/null || need+=(nghttp2-client)
  command -v nginx >/dev/null || need+=(nginx)
  command -v taskset >/dev/null || need+=(util-linux)
  ((${#need[@]} == 0)) && return 0
  [[ $INSTALL == 1 ]] || die "missing tools: ${need[*]} (install them or run with INSTALL=1)"
  [[ $(id -u) == 0 ]] || die "missing tools: ${need[*]} (run: sudo apt-get install -y ${need[*]})"
  log "installing ${need[*]}"
  timeout "$INSTALL_SECONDS" apt-get update -qq >"$WORK/apt.log" 2>&1 || die "apt-get update failed: $(tail -3 "$WORK/apt.log")"
  DEBIAN_FRONTEND=noninteractive timeout "$INSTALL_SECONDS" apt-get install -y -qq --no-install-recommends "${need[@]}" \
    >>"$WORK/apt.log" 2>&1 || die "apt-get install ${need[*]} failed: $(tail -3 "$WORK/apt.log")"
}

# ---------------------------------------------------------------- build
BUILD_OK=1
build() {
  [[ $BUILD == 1 ]] || return 0
  log "building the relay jar and the kernel classpath (Maven, at most ${BUILD_SECONDS}s)"
  if ! run_tool "$WORK/build.log" timeout "$BUILD_SECONDS" ./mvnw -B -q -pl kernel,benchmarks -am package \
    dependency:build-classpath -DskipTests -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime; then
    BUILD_OK=0
    log "BUILD FAILED (plugmesh will be skipped; the relay uses an existing jar if there is one):"
    grep -E 'ERROR' "$WORK/build.log" | head -10 >&2 || tail -10 "$WORK/build.log" >&2
  fi
}

# ---------------------------------------------------------------- configs
nginx_common() { # $1 = dir
  cat <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
EOF
}

nginx_http_common() { # $1 = dir
  cat <<EOF
  access_log off;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  client_body_temp_path $1/client_body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
EOF
}

write_configs() {
  local body
  body=$(head -c "$BODY_BYTES" /dev/zero | tr '\0' 'a')
  mkdir -p "$WORK/upstream" "$WORK/nginx"
  {
    nginx_common "$WORK/upstream"
    echo "http {"
    nginx_http_common "$WORK/upstream"
    cat <<EOF
  server {
    listen 127.0.0.1:$UP_PORT backlog=4096;
    location / { default_type text/plain; return 200 "$body"; }
  }
}
EOF
  } >"$WORK/upstream/nginx.conf"
  {
    nginx_common "$WORK/nginx"
    echo "http {"
    nginx_http_common "$WORK/nginx"
    cat <<EOF
  upstream bench_upstream {
    server 127.0.0.1:$UP_PORT;
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=4096;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  } >"$WORK/nginx/nginx.conf"
  cat >"$WORK/routes.yaml" <<EOF
{listeners: [{name: bench, address: 127.0.0.1:$PLUGMESH_PORT}], clusters: [{name: upstream, endpoints: [{address: 127.0.0.1:$UP_PORT}]}], routes: [{name: all, match: {pathPrefix: /}, cluster: upstream}]}
EOF
  # Like nginx's (access_log off), the proxy under test writes no access log.
  cat >"$WORK/proxy.yaml" <<EOF
{admin: {address: 127.0.0.1:0}, accessLog: {format: off}}
EOF
}

# ---------------------------------------------------------------- targets
# Starts a target's proxy; sets PID (empty for direct) and PORT, READY_MS; returns non-zero on failure.
start_target() {
  local name=$1 rc
  PID="" READY_MS="-"
  case $name in
  direct)
    PORT=$UP_PORT
    return 0
    ;;
  nginx)
    PORT=$NGINX_PORT
    port_open "$PORT" && { log "SKIP nginx: port $PORT is already in use"; return 1; }
    start_on "$PROXY_CPU" "$WORK/nginx.out" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
    ;;
  relay)
    PORT=$RELAY_PORT
    [[ -f $RELAY_JAR ]] || { log "SKIP relay: $RELAY_JAR is missing (the build failed or BUILD=0 without a jar)"; return 1; }
    port_open "$PORT" && { log "SKIP relay: port $PORT is already in use"; return 1; }
    # shellcheck disable=SC2086
    start_on "$PROXY_CPU" "$WORK/relay.out" java $JAVA_OPTS -cp "$RELAY_JAR" \
      io.plugmesh.benchmarks.relay.BareRelay "127.0.0.1:$PORT" "127.0.0.1:$UP_PORT"
    ;;
  plugmesh)
    PORT=$PLUGMESH_PORT
    [[ $BUILD_OK == 1 ]] || { log "SKIP plugmesh: the build failed (see above)"; return 1; }
    [[ -f $KERNEL_CP && -d $ROOT/kernel/target/classes ]] || { log "SKIP plugmesh: $KERNEL_CP or kernel/target/classes is missing (run with BUILD=1)"; return 1; }
    port_open "$PORT" && { log "SKIP plugmesh: port $PORT is already in use"; return 1; }
    # shellcheck disable=SC2086
    start_on "$PROXY_CPU" "$WORK/plugmesh.out" java $JAVA_OPTS $PLUGMESH_OPTS \
      -cp "$(cat "$KERNEL_CP"):kernel/target/classes" io.plugmesh.kernel.Main proxy --config "$WORK/routes.yaml" --settings "$WORK/proxy.yaml"
    ;;
  *)
    log "SKIP $name: unknown target (expected: direct, nginx, relay or plugmesh)"
    return 1
    ;;
  esac
  rc=0
  wait_ready "$PID" "$PORT" || rc=$?
  if ((rc != 0)); then
    if ((rc == 1)); then
      log "SKIP $name: the process exited before accepting connections on $PORT; last output:"
    else
      log "SKIP $name: no connection accepted on $PORT within ${READY_SECONDS}s; last output:"
    fi
    show_output "$name"
    stop_pid "$PID"
    return 1
  fi
  log "$name ready on 127.0.0.1:$PORT after ${READY_MS} ms (pid $PID)$(self_ready "$name")"
  if ! smoke "$PORT"; then
    log "SKIP $name: GET / did not answer 200; last output:"
    show_output "$name"
    stop_pid "$PID"
    return 1
  fi
}

# Runs wrk; sets WRK_RESULT to "requests_per_second requests errors".
run_wrk() {
  local port=$1 seconds=$2 out=$WORK/wrk.txt rps reqs errs
  WRK_RESULT="- 0 -"
  run_tool "$out" timeout $((seconds + 30)) taskset -c "$LOAD_CPU" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" \
    -d"${seconds}s" --timeout 5s "http://127.0.0.1:$port/" || { log "wrk failed: $(tail -n 2 "$out")"; return 0; }
  cat "$out" >>"$WORK/wrk.all"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  reqs=$(awk '/ requests in / { print $1 }' "$out")
  errs=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
  WRK_RESULT="${rps:--} ${reqs:-0} $errs"
}

# Runs h2load at a fixed rate; sets H2LOAD_RESULT to "p50_us p99_us succeeded errors".
run_h2load() {
  local port=$1 out=$WORK/h2load.txt lat=$WORK/h2load.log ok failed n pcts
  rm -f "$lat"
  H2LOAD_RESULT="- - 0 -"
  run_tool "$out" timeout $((RATE_SECONDS + 30)) taskset -c "$LOAD_CPU" h2load --h1 -c "$RATE_CLIENTS" \
    --rps "$RPS_PER_CLIENT" -D "$RATE_SECONDS" -N 5s "http://127.0.0.1:$port/" --log-file="$lat" ||
    { log "h2load failed: $(tail -n 2 "$out")"; return 0; }
  cat "$out" >>"$WORK/h2load.all"
  ok=$(awk '/^requests:/ { print $8 }' "$out")
  failed=$(awk '/^requests:/ { print $10 + $12 + $14 } /^status codes:/ { print $7 + $9 }' "$out" | awk '{ n += $1 } END { print n + 0 }')
  n=$(wc -l <"$lat")
  pcts="- -"
  if ((n > 0)); then
    pcts=$(sort -n -k3,3 "$lat" | awk -v n="$n" '
      function at(p) { i = int(p * n); if (i < p * n) i++; if (i < 1) i = 1; return i }
      NR == at(0.50) { p50 = $3 } NR == at(0.99) { p99 = $3 }
      END { printf "%s %s", p50, p99 }')
  fi
  H2LOAD_RESULT="$pcts ${ok:-0} $failed"
}

# cpu seconds per 1000 requests from a tick delta
per_k() { awk -v t="$1" -v r="$2" -v hz="$CLK_TCK" 'BEGIN { if (r > 0) printf "%.4f", t / hz / r * 1000; else print "-" }'; }

declare -A R # results: R[target,metric]

measure() {
  local name=$1 i t0 t1 rps reqs errs p50 p99 ok failed
  local a_rps=() a_p50=() a_p99=() a_cpum=() a_cpur=() a_util=() errors=0 w0 w1
  if ((WARMUP_SECONDS > 0)); then
    log "$name: warm-up ${WARMUP_SECONDS}s"
    run_wrk "$PORT" "$WARMUP_SECONDS"
  fi
  for ((i = 1; i <= RUNS; i++)); do
    [[ -n $PID ]] && t0=$(cpu_ticks "$PID")
    w0=$(date +%s%N)
    run_wrk "$PORT" "$WRK_SECONDS"
    read -r rps reqs errs <<<"$WRK_RESULT"
    w1=$(date +%s%N)
    if [[ -n $PID ]]; then
      t1=$(cpu_ticks "$PID")
      a_cpum+=("$(per_k $((t1 - t0)) "$reqs")")
      a_util+=("$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v ns=$((w1 - w0)) 'BEGIN { printf "%.0f", t / hz / (ns / 1e9) * 100 }')")
    fi
    [[ -n $PID ]] && t0=$(cpu_ticks "$PID")
    run_h2load "$PORT"
    read -r p50 p99 ok failed <<<"$H2LOAD_RESULT"
    [[ -n $PID ]] && { t1=$(cpu_ticks "$PID"); a_cpur+=("$(per_k $((t1 - t0)) "$ok")"); }
    a_rps+=("$rps") a_p50+=("$p50") a_p99+=("$p99")
    [[ $errs == - || $failed == - ]] && errors=$((errors + 1)) || errors=$((errors + errs + failed))
    log "$name run $i/$RUNS: ${rps} req/s (wrk), p50 ${p50} us, p99 ${p99} us at ${RATE} req/s, errors $((errs + 0))+$((failed + 0))"
  done
  R[$name,rps]=$(median "${a_rps[@]}")
  R[$name,p50]=$(median "${a_p50[@]}")
  R[$name,p99]=$(median "${a_p99[@]}")
  R[$name,cpum]=$( ((${#a_cpum[@]})) && median "${a_cpum[@]}" || echo -)
  R[$name,cpur]=$( ((${#a_cpur[@]})) && median "${a_cpur[@]}" || echo -)
  R[$name,util]=$( ((${#a_util[@]})) && median "${a_util[@]}" || echo -)
  R[$name,hwm]=$([[ -n $PID ]] && awk -v k="$(mem_kb "$PID" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }' || echo -)
  R[$name,rss]=$([[ -n $PID ]] && awk -v k="$(mem_kb "$PID" VmRSS)" 'BEGIN { printf "%.1f", k / 1024 }' || echo -)
  R[$name,ready]=$READY_MS
  R[$name,errors]=$errors
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "") print "-"; else printf "%+d", a - b }'; }

report() {
  local t
  echo
  echo "plugmesh load benchmark: $(nproc) cpus, proxy on cpu $PROXY_CPU, load + upstream on cpu $LOAD_CPU/$UPSTREAM_CPU," \
    "$RUNS runs, medians; ${BODY_BYTES}-byte responses over HTTP/1.1 keep-alive; load average $LOADAVG_START -> $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "throughput: wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s; latency: h2load --h1 at $RATE req/s" \
    "($RATE_CLIENTS clients x $RPS_PER_CLIENT) for ${RATE_SECONDS}s; JAVA_OPTS='$JAVA_OPTS'"
  echo
  printf '%-9s %10s %8s %8s %8s %13s %5s %13s %8s %8s %8s %6s\n' target "req/s" "p50 us" "p99 us" "+p99 us" \
    "cpu-s/1k@max" "cpu%" "cpu-s/1k@rate" "rss MiB" "peak MiB" "ready ms" errors
  for t in $TARGETS; do
    [[ -n ${R[$t,rps]:-} ]] || { printf '%-9s %s\n' "$t" "skipped"; continue; }
    printf '%-9s %10s %8s %8s %8s %13s %5s %13s %8s %8s %8s %6s\n' "$t" "${R[$t,rps]}" "${R[$t,p50]}" "${R[$t,p99]}" \
      "$(minus "${R[$t,p99]}" "${R[direct,p99]:--}")" "${R[$t,cpum]}" "${R[$t,util]}" "${R[$t,cpur]}" "${R[$t,rss]}" "${R[$t,hwm]}" \
      "${R[$t,ready]}" "${R[$t,errors]}"
  done
  echo
  echo "+p99 us: p99 added over the direct upstream. cpu-s/1k: the proxy's CPU seconds (utime+stime) per 1,000 requests."
  echo "cpu%: the proxy's CPU use during the wrk phase, % of one core; well under 100 means it did not get its core" \
    "(the load generator was the limit, or something else ran on cpu $PROXY_CPU)"
  local base
  for base in nginx relay; do
    printf 'plugmesh/%-6s throughput %s  p99 %s  cpu/1k@rate %s  cpu/1k@max %s  peak rss %s\n' "$base" \
      "$(ratio "${R[plugmesh,rps]:--}" "${R[$base,rps]:--}")" "$(ratio "${R[plugmesh,p99]:--}" "${R[$base,p99]:--}")" \
      "$(ratio "${R[plugmesh,cpur]:--}" "${R[$base,cpur]:--}")" "$(ratio "${R[plugmesh,cpum]:--}" "${R[$base,cpum]:--}")" \
      "$(ratio "${R[plugmesh,hwm]:--}" "${R[$base,hwm]:--}")"
  done
}

# ---------------------------------------------------------------- main
cd "$ROOT"
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
install_tools
(($(nproc) > PROXY_CPU && $(nproc) > LOAD_CPU)) || die "PROXY_CPU=$PROXY_CPU / LOAD_CPU=$LOAD_CPU: not all exist on this $(nproc)-cpu machine"
build
write_configs

port_open "$UP_PORT" && die "upstream port $UP_PORT is already in use (set BASE_PORT)"
start_on "$UPSTREAM_CPU" "$WORK/upstream.out" nginx -p "$WORK/upstream" -c "$WORK/upstream/nginx.conf" -e "$WORK/upstream/error.log"
UP_PID=$PID
rc=0
wait_ready "$UP_PID" "$UP_PORT" || rc=$?
((rc == 0)) && smoke "$UP_PORT" || { show_output upstream; die "the upstream nginx did not start on $UP_PORT"; }
log "upstream nginx on 127.0.0.1:$UP_PORT (pid $UP_PID)"

for target in $TARGETS; do
  if start_target "$target"; then
    measure "$target"
    if [[ -n $PID ]]; then
      kill -0 "$PID" 2>/dev/null || log "WARNING: $target (pid $PID) exited during the measurement; see its numbers with care"
      stop_pid "$PID"
    fi
  fi
done
report
