# Shared by the benchmark scripts (sourced, not run): logging, the Release build into
# build-bench/, and free loopback ports below the kernel's ephemeral range (32768..60999), so
# that no outgoing connection holds them.
log() { echo "bench: $*" >&2; }
now_s() { date +%s.%N; }

# build_bench TARGET...: configures build-bench/ (Release) and builds the targets; sets BIN.
# -Wno-error=restrict: g++ 12 at -O3 reports a false -Wrestrict inside std::string (GCC bug
# 105329) in core/key_file.cc and elsewhere; it stays a warning in this Release build only.
build_bench() {
  log "building Release into build-bench/"
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-Wno-error=restrict" > /dev/null
  ninja -C build-bench "$@" > build-bench/bench-build.log 2>&1 \
    || { tail -40 build-bench/bench-build.log >&2; exit 1; }
  BIN="$(pwd)/build-bench/bin"
}

port_free() { ! ss -Htan "sport = :$1" | grep -q .; }

# free_base_port SPAN: a port P in 20000..31999 with P, P+100, ..., P+SPAN free; prints it.
free_base_port() {
  local span=$1 p k ok
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % (12000 - span) ))
    ok=1
    for (( k = 0; k <= span; k += 100 )); do port_free $(( p + k )) || { ok=0; break; }; done
    if [ "$ok" = 1 ]; then echo "$p"; return 0; fi
  done
  echo "bench: no free loopback port found" >&2
  return 1
}

# bench_args "$@": QUICK=1 with --quick; --help prints the calling script's header comment.
bench_args() {
  local arg name="bench/$(basename "$0")"
  QUICK=0
  for arg in "$@"; do
    case "$arg" in
      --quick) QUICK=1 ;;
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
      *) echo "$name: unknown argument '$arg' (usage: $name [--quick])" >&2; exit 2 ;;
    esac
  done
}

# need_tools TOOL...: exits with 2, naming the Debian packages, when one is missing.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" > /dev/null || {
      echo "bench/$(basename "$0"): needs '$tool' (apt-get install jq iproute2 cmake ninja-build etcd-server)" >&2
      exit 2
    }
  done
}

# start_solo_node ORG: a one-org solo consortium in $WORK on a free base port, started with
# `tracery devnet up`; sets DIR, NODE_URL and NODE_UP=1. A node that fails to start has its log
# printed, and the start is tried again on other ports (up to 3 times). REQUIRES: BIN, WORK.
start_solo_node() {
  local org=$1 attempt base_port
  for attempt in 1 2 3; do
    base_port="$(free_base_port 100)" || return 1
    DIR="$WORK/consortium-$attempt"
    log "consortium in $DIR, API on 127.0.0.1:$base_port"
    "$BIN/tracery" genesis init --orgs "$org" --consensus solo --out "$DIR" \
      --base-port "$base_port" --format json > /dev/null
    NODE_UP=1
    if "$BIN/tracery" devnet up --dir "$DIR" >&2; then
      NODE_URL="http://127.0.0.1:$base_port"
      return 0
    fi
    log "attempt $attempt: the node did not start; its log:"
    cat "$DIR/$org/traceryd.log" >&2 || true
    "$BIN/tracery" devnet down --dir "$DIR" > /dev/null 2>&1 || true
    NODE_UP=0
  done
  return 1
}
