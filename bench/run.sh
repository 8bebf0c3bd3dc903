#!/usr/bin/env bash
# Benchmark `kb build` against Hugo on synthetic incident knowledge bases.
#
#   bench/run.sh [sizes...]          default: 1000 10000
#
# Environment knobs (all optional):
#   RUNS=5 WARMUP=1   hyperfine runs / warmup runs per command
#   SEED=42           corpus seed (same size + seed -> byte-identical corpus)
#   ONLY=kb|hugo      run only one half (the other columns show "-")
#   BENCH_WORK=DIR    where corpora, outputs and logs go (default bench/.work, gitignored)
#   BENCH_OUT=DIR     where the built sites go (default $BENCH_WORK/out); e.g. /dev/shm/kb-bench
#                     to take the disk out of the measurement
#   HUGO_BENCH_RELATED=1  also render "Related incidents" on Hugo pages (off by default: Hugo's
#                     related-content lookup is ~8x slower than the rest of the build at 10k)
#
# Prints a markdown table and writes it, with environment details, to bench/results.md.
# Exits nonzero if any step fails; a failing `kb build` has its stderr printed.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=${BENCH_WORK:-$BENCH/.work}
SEED=${SEED:-42}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
ONLY=${ONLY:-}
KB=$ROOT/target/release/kb
RESULTS=$BENCH/results.md
OUTROOT=${BENCH_OUT:-$WORK/out}

if [ $# -eq 0 ]; then SIZES=(1000 10000); else SIZES=("$@"); fi

die() { echo "bench: error: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

for n in "${SIZES[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "size must be a positive integer, got '$n'"
done
case "$ONLY" in ""|kb|hugo) ;; *) die "ONLY must be kb or hugo, got '$ONLY'";; esac
run_kb=1; run_hugo=1
[ "$ONLY" = hugo ] && run_kb=0
[ "$ONLY" = kb ] && run_hugo=0

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 is required"
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ $run_hugo = 1 ]; then command -v hugo >/dev/null || need+=(hugo); fi
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing: ${need[*]} (install with: sudo apt-get install -y ${need[*]})"
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${need[@]}" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; } \
    || die "apt-get install ${need[*]} failed"
fi

mkdir -p "$WORK/logs" "$OUTROOT" "$WORK/results"

if [ $run_kb = 1 ]; then
  command -v cargo >/dev/null || die "cargo is required to build kb"
  log "building kb (cargo build --release in $ROOT)"
  if ! (cd "$ROOT" && cargo build --release); then
    die "cargo build --release failed (see the compiler output above)"
  fi
  [ -x "$KB" ] || die "$KB not found after cargo build --release"
fi

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
gen_hash=$(sha256sum "$BENCH/gen_corpus.py" | cut -c1-16)

make_corpus() { # N -> prints corpus dir
  local n=$1 dir="$WORK/corpus-$1" stamp
  stamp="gen=$gen_hash n=$n seed=$SEED"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
    log "corpus $n: up to date ($dir)"
  else
    log "corpus $n: generating into $dir"
    rm -f "$dir/.stamp"
    local t0=$SECONDS
    python3 "$BENCH/gen_corpus.py" "$n" "$dir" --seed "$SEED" || die "gen_corpus.py $n failed"
    echo "$stamp" > "$dir/.stamp"
    log "corpus $n: generated in $((SECONDS - t0)) s"
  fi
  echo "$dir"
}

q() { printf '%q' "$1"; }

# run_checked NAME LOGFILE CMD...: one run outside hyperfine; shows stderr on failure.
run_checked() {
  local name=$1 logf=$2; shift 2
  local rc=0
  "$@" >"$logf.stdout" 2>"$logf.stderr" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "bench: $name FAILED (exit $rc): $*" >&2
    echo "----- stderr ($logf.stderr) -----" >&2
    head -c 20000 "$logf.stderr" >&2
    echo "----- stdout (last 40 lines) -----" >&2
    tail -n 40 "$logf.stdout" >&2
    exit 1
  fi
  local lines
  lines=$(wc -l <"$logf.stderr")
  if [ "$lines" -gt 0 ]; then
    log "$name: exit 0 but wrote $lines lines to stderr (first 10 below; all in $logf.stderr)"
    head -n 10 "$logf.stderr" | sed 's/^/    /' >&2
  fi
}

# peak_rss_mb LOGFILE CMD...: one run under /usr/bin/time -v, prints peak RSS in MB.
peak_rss_mb() {
  local logf=$1; shift
  local rc=0
  /usr/bin/time -v -o "$logf.time" "$@" >"$logf.rss.stdout" 2>"$logf.rss.stderr" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "bench: FAILED (exit $rc) under /usr/bin/time: $*" >&2
    head -c 20000 "$logf.rss.stderr" >&2
    exit 1
  fi
  awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "%.0f\n", $2 / 1024}' "$logf.time"
}

json_median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
json_detail() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f ± %.3f s (min %.3f, max %.3f, median %.3f, %d runs)" % (
    r["mean"], r.get("stddev") or 0.0, r["min"], r["max"], r["median"], len(r["times"])))' "$1"
}
count_html() { find "$1" -type f -name '*.html' | wc -l; }

bench_one() { # LABEL OUTDIR JSON CMDSTRING
  local label=$1 out=$2 json=$3 cmd=$4
  hyperfine --warmup "$WARMUP" --runs "$RUNS" \
    --prepare "rm -rf $(q "$out")" \
    --export-json "$json" \
    --command-name "$label" \
    "$cmd" >&2
}

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
rows=()
details=()
for n in "${SIZES[@]}"; do
  corpus=$(make_corpus "$n")
  kb_med="-" hugo_med="-" ratio="-" kb_rss="-" hugo_rss="-" kb_pages="-" hugo_pages="-"

  if [ $run_kb = 1 ]; then
    out="$OUTROOT/kb-$n"
    lg="$WORK/logs/kb-$n"
    kb_args=("$KB" build --root "$corpus" --output "$out")
    log "kb $n: checking that the build succeeds"
    rm -rf "$out"
    run_checked "kb build ($n)" "$lg" "${kb_args[@]}"
    kb_pages=$(count_html "$out")
    [ "$kb_pages" -gt 0 ] || die "kb build ($n) succeeded but wrote no .html files into $out"
    log "kb $n: timing with hyperfine"
    bench_one "kb build ($n)" "$out" "$WORK/results/kb-$n.json" \
      "$(q "$KB") build --root $(q "$corpus") --output $(q "$out")"
    kb_med=$(json_median "$WORK/results/kb-$n.json")
    rm -rf "$out"
    kb_rss=$(peak_rss_mb "$lg" "${kb_args[@]}")
    kb_pages=$(count_html "$out")
    details+=("- kb build, $n incidents: $(json_detail "$WORK/results/kb-$n.json")")
  fi

  if [ $run_hugo = 1 ]; then
    out="$OUTROOT/hugo-$n"
    lg="$WORK/logs/hugo-$n"
    # Fresh destination every run (hyperfine --prepare), --ignoreCache, and resource/cache dirs
    # outside the source tree. `hugo` (build mode) has no fast-render/partial rebuild: that
    # only exists in `hugo server`.
    hugo_args=(env HUGO_RESOURCEDIR="$WORK/hugo-resources" hugo
      --source "$BENCH/hugo" --contentDir "$corpus/content" --destination "$out"
      --cleanDestinationDir --ignoreCache --cacheDir "$WORK/hugo-cache" --noBuildLock --quiet)
    log "hugo $n: checking that the build succeeds"
    rm -rf "$out"
    run_checked "hugo ($n)" "$lg" "${hugo_args[@]}"
    log "hugo $n: timing with hyperfine"
    hugo_cmd=""
    for a in "${hugo_args[@]}"; do hugo_cmd+="$(q "$a") "; done
    bench_one "hugo ($n)" "$out" "$WORK/results/hugo-$n.json" "$hugo_cmd"
    hugo_med=$(json_median "$WORK/results/hugo-$n.json")
    rm -rf "$out"
    hugo_rss=$(peak_rss_mb "$lg" "${hugo_args[@]}")
    hugo_pages=$(count_html "$out")
    details+=("- hugo, $n incidents: $(json_detail "$WORK/results/hugo-$n.json")")
  fi

  if [ "$kb_med" != "-" ] && [ "$hugo_med" != "-" ]; then
    ratio=$(python3 -c 'import sys; k, h = map(float, sys.argv[1:]); print("%.2fx" % (h / k) if k > 0 else "inf")' "$kb_med" "$hugo_med")
  fi
  rows+=("| $n | $kb_med | $hugo_med | $ratio | $kb_rss | $hugo_rss | $kb_pages / $hugo_pages |")
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
table="| size | kb median (s) | hugo median (s) | hugo/kb | kb peak RSS (MB) | hugo peak RSS (MB) | pages kb / hugo |
|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do table+=$'\n'"$r"; done

echo
echo "$table"

kb_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
if [ -n "$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ]; then kb_rev+=" (with uncommitted changes)"; fi
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)
hugo_ver=$(command -v hugo >/dev/null && hugo version | awk '{print $2}' || echo "-")

{
  echo "# kb vs Hugo build benchmark"
  echo
  echo "Generated by \`bench/run.sh ${SIZES[*]}\`${ONLY:+ (ONLY=$ONLY)} on $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  echo "$table"
  echo
  echo "Median wall-clock time of a full build into an empty output directory"
  echo "(hyperfine, $WARMUP warmup + $RUNS runs); peak RSS from one extra run under \`/usr/bin/time -v\`;"
  echo "pages = \`.html\` files in the output. See bench/README.md for what each tool renders."
  echo
  echo "## Details"
  echo
  for d in "${details[@]}"; do echo "$d"; done
  echo
  echo "## Environment"
  echo
  echo "- CPU: ${cpu:-unknown}, $(nproc) cores available; RAM: ${mem:-unknown}"
  echo "- kb: $ROOT @ $kb_rev (release build)"
  echo "- Hugo: $hugo_ver; hyperfine: $(hyperfine --version | awk '{print $2}')"
  echo "- output written to $OUTROOT ($(df -T "$OUTROOT" 2>/dev/null | awk 'NR == 2 {print $2}'))"
  echo "- Hugo related content: $([ "${HUGO_BENCH_RELATED:-}" = 1 ] && echo on || echo "off (HUGO_BENCH_RELATED unset)")"
  echo "- corpus: bench/gen_corpus.py (sha256 prefix $gen_hash), seed $SEED"
} > "$RESULTS"
log "wrote $RESULTS"
