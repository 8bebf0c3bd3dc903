#!/usr/bin/env bash
# Benchmark `kb build` against Hugo on synthetic incident knowledge bases of several shapes.
#
#   bench/run.sh [sizes...]     sizes default to $SIZES (1000 10000)
#
# Every shape in SHAPES runs at every size in SIZES with both tools; then kb alone runs every
# shape in KB_ONLY_SHAPES at every size in KB_ONLY_SIZES. Each row also has the measured floor:
# read every input file once and copy kb's output once on the output's filesystem.
#
# Environment knobs (all optional; lists are space-separated):
#   SHAPES="default near-duplicate tag-skew long-bodies wide-tags"   corpus shapes (gen_corpus.py)
#   SIZES="1000 10000"          sizes run with kb and Hugo (positional arguments override it)
#   KB_ONLY_SIZES=100000        sizes run with kb alone ("" for none)
#   KB_ONLY_SHAPES=default      shapes run at KB_ONLY_SIZES
#   RUNS=5 WARMUP=1             hyperfine runs / warmup runs per command
#   INTERLEAVE=1                time kb and Hugo in alternating rounds (one run of each per
#                               round), for a paired ratio; 0 times all of kb's runs, then Hugo's
#   KB_ONLY_RUNS=$RUNS          hyperfine runs for the kb-alone sizes
#   SEED=42                     corpus seed (same size + seed + shape -> byte-identical corpus)
#   ONLY=kb|hugo                run only one tool (the other columns show "-")
#   PGO=1                       build kb with bench/pgo.sh (profile-guided optimisation and BOLT,
#                               how a release binary is made: README; BOLT=0 passes on to it and
#                               leaves BOLT out); 0: `cargo build --release`
#   KB_BIN=PATH                 measure this kb binary instead of building one
#   BENCH_WORK=DIR              corpora, logs, hyperfine JSON (default bench/.work, gitignored)
#   BENCH_OUT=DIR               where the built sites go (default $BENCH_WORK/out); e.g.
#                               /dev/shm/kb-bench to take the disk out of the measurement
#   KEEP_OUT=1                  keep every built site (default: deleted after its row)
#   HUGO_BENCH_RELATED=1        also render "Related incidents" on Hugo pages (see README)
#   HUGO_SKIP="long-bodies:10000"  shape:size pairs Hugo is not run on (its row says so): Hugo
#                               needed 3.9 GB for long-bodies at 1,000 and grows linearly
#   PAGEFIND=1                  also time Pagefind (bench/static-search's, installed with npm ci)
#                               indexing Hugo's incident pages, for kb / (Hugo + Pagefind): a
#                               site with search, as kb builds one. PAGEFIND=0 leaves it out
#
# Prints each row as it is measured and inserts the run's table, details and environment at the
# top of bench/results.md after every row (earlier runs stay below it), marked partial until the
# run ends. Exits nonzero if any step fails.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=${BENCH_WORK:-$BENCH/.work}
SEED=${SEED:-42}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
KB_ONLY_RUNS=${KB_ONLY_RUNS:-$RUNS}
ONLY=${ONLY:-}
PAGEFIND=${PAGEFIND:-1}
INTERLEAVE=${INTERLEAVE:-1}
PGO=${PGO:-1}
RESULTS=$BENCH/results.md
OUTROOT=${BENCH_OUT:-$WORK/out}
ALL_SHAPES=(default near-duplicate tag-skew long-bodies wide-tags)

read -r -a shapes <<<"${SHAPES:-${ALL_SHAPES[*]}}"
if [ $# -gt 0 ]; then sizes=("$@"); else read -r -a sizes <<<"${SIZES:-1000 10000}"; fi
read -r -a kb_only_sizes <<<"${KB_ONLY_SIZES-100000}"
read -r -a kb_only_shapes <<<"${KB_ONLY_SHAPES:-default}"

die() { echo "bench: error: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

for n in "${sizes[@]}" "${kb_only_sizes[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "size must be a positive integer, got '$n'"
done
for s in "${shapes[@]}" "${kb_only_shapes[@]}"; do
  [[ " ${ALL_SHAPES[*]} " == *" $s "* ]] || die "unknown shape '$s' (known: ${ALL_SHAPES[*]})"
done
for v in RUNS KB_ONLY_RUNS; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be >= 1"; done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be >= 0"
case "$ONLY" in ""|kb|hugo) ;; *) die "ONLY must be kb or hugo, got '$ONLY'";; esac
case "$PAGEFIND" in 0|1) ;; *) die "PAGEFIND must be 0 or 1, got '$PAGEFIND'";; esac
case "$INTERLEAVE" in 0|1) ;; *) die "INTERLEAVE must be 0 or 1, got '$INTERLEAVE'";; esac
case "$PGO" in 0|1) ;; *) die "PGO must be 0 or 1, got '$PGO'";; esac
run_kb=1; run_hugo=1
[ "$ONLY" = hugo ] && run_kb=0
[ "$ONLY" = kb ] && run_hugo=0
[ ${#sizes[@]} -gt 0 ] || run_hugo=0

# Rows to measure: "shape size tools runs".
jobs=()
if [ ${#sizes[@]} -gt 0 ]; then
  for s in "${shapes[@]}"; do
    for n in "${sizes[@]}"; do jobs+=("$s $n both $RUNS"); done
  done
fi
if [ $run_kb = 1 ] && [ ${#kb_only_sizes[@]} -gt 0 ]; then
  for s in "${kb_only_shapes[@]}"; do
    for n in "${kb_only_sizes[@]}"; do jobs+=("$s $n kb $KB_ONLY_RUNS"); done
  done
fi
[ ${#jobs[@]} -gt 0 ] || die "nothing to run (check SIZES, KB_ONLY_SIZES and ONLY)"

# Paths in results.md are relative to the repository, so it names no path of this machine.
rel() { case $1 in "$ROOT"/*) echo "${1#"$ROOT"/}" ;; *) echo "$1" ;; esac; }

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

# Pagefind runs over Hugo's output: without Hugo there is nothing for it to index.
[ $run_hugo = 1 ] || PAGEFIND=0
PF=$BENCH/static-search/node_modules/.bin/pagefind
if [ "$PAGEFIND" = 1 ] && [ ! -x "$PF" ]; then
  command -v npm >/dev/null || die "PAGEFIND=1 needs npm to install Pagefind (or run with PAGEFIND=0)"
  log "installing Pagefind (npm ci in bench/static-search)"
  (cd "$BENCH/static-search" && npm ci --no-audit --no-fund >&2) || die "npm ci in bench/static-search failed"
fi
pf_ver=$([ "$PAGEFIND" = 1 ] && "$PF" --version | awk '{print $2}' || echo "-")

KB=${KB_BIN:-$ROOT/target/release/kb}
kb_build="KB_BIN"
if [ $run_kb = 1 ]; then
  if [ -z "${KB_BIN:-}" ]; then
    command -v cargo >/dev/null || die "cargo is required to build kb (or set KB_BIN)"
    if [ "$PGO" = 1 ]; then
      log "building kb with profile-guided optimisation (bench/pgo.sh, about 20 minutes on 2 cores)"
      KB=$("$BENCH/pgo.sh") || die "bench/pgo.sh failed (see above)"
      kb_build="bench/pgo.sh: PGO$([ "${BOLT:-1}" = 1 ] && echo " and BOLT")"
    else
      log "building kb (cargo build --release)"
      (cd "$ROOT" && cargo build --release) || die "cargo build --release failed (see above)"
      kb_build="cargo build --release"
    fi
  fi
  [ -x "$KB" ] || die "$KB is not an executable"
fi

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
gen_hash=$(sha256sum "$BENCH/gen_corpus.py" | cut -c1-16)

make_corpus() { # SHAPE N -> prints corpus dir
  local shape=$1 n=$2 dir="$WORK/corpus-$1-$2" stamp args=()
  [ "$shape" = default ] || args=(--shape "$shape")
  stamp="gen=$gen_hash n=$n seed=$SEED shape=$shape"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
    log "corpus $shape $n: up to date ($dir)"
  else
    log "corpus $shape $n: generating into $dir"
    rm -f "$dir/.stamp"
    local t0=$SECONDS
    python3 "$BENCH/gen_corpus.py" "$n" "$dir" --seed "$SEED" "${args[@]}" \
      || die "gen_corpus.py $n ${args[*]} failed"
    echo "$stamp" >"$dir/.stamp"
    log "corpus $shape $n: generated in $((SECONDS - t0)) s"
  fi
  echo "$dir"
}

q() { printf '%q' "$1"; }
quote_all() { local a s=""; for a in "$@"; do s+="$(q "$a") "; done; echo "${s% }"; }

json_median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
# mean user + system CPU seconds of a hyperfine result
json_cpu() { python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.3f" % (r["user"] + r["system"]))' "$1"; }
json_detail() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("median %.3f s, mean %.3f ± %.3f s, min %.3f, max %.3f (%d runs); CPU: user %.3f s + system %.3f s (means)" % (
    r["median"], r["mean"], r.get("stddev") or 0.0, r["min"], r["max"], len(r["times"]), r["user"], r["system"]))' "$1"
}
# 1234567890 bytes -> "1.23 GB"; 12345678 -> "12.3 MB"
human_bytes() { awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%.2f GB", b / 1e9; else if (b >= 1e7) printf "%.0f MB", b / 1e6; else printf "%.1f MB", b / 1e6 }'; }
human_mb() { awk -v m="$1" 'BEGIN { if (m >= 1000) printf "%.2f GB", m / 1000; else printf "%d MB", m }'; }
thousands() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; }
# median and CPU seconds -> "7.42 s (CPU 2.16 s)"
fmt_time() { case "$1" in -) echo "-" ;; "not run") echo "not run (memory)" ;; *) awk -v t="$1" -v c="$2" 'BEGIN { printf "%.2f s (CPU %.2f s)", t, c }' ;; esac; }
fmt_s() { if [ "$1" = "-" ]; then echo "-"; else awk -v t="$1" 'BEGIN { printf "%.2f s", t }'; fi; }

# largest DIR [FIND ARGS...]: the largest file under DIR, as "SIZE (path)".
largest() {
  local dir=$1; shift
  find "$dir" -type f "$@" -printf '%s %P\n' | sort -n | tail -n 1 |
    { read -r size path && echo "$(human_bytes "$size") ($path)"; }
}

# checked NAME OUT CMD...: one run under `/usr/bin/time -v` into an empty OUT (exit status,
# stderr, peak RSS, output size and file count). Sets m_rss m_bytes m_files m_html m_largest.
checked() {
  local name=$1 out=$2; shift 2
  local lg="$WORK/logs/$name" rc=0 lines
  log "$name: checked run (peak RSS, output size)"
  rm -rf "$out"
  /usr/bin/time -v -o "$lg.time" "$@" >"$lg.stdout" 2>"$lg.stderr" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "bench: $name FAILED (exit $rc): $*" >&2
    echo "----- stderr ($lg.stderr) -----" >&2
    head -c 20000 "$lg.stderr" >&2
    echo "----- stdout (last 40 lines) -----" >&2
    tail -n 40 "$lg.stdout" >&2
    exit 1
  fi
  lines=$(wc -l <"$lg.stderr")
  if [ "$lines" -gt 0 ]; then
    log "$name: exit 0 but wrote $lines lines to stderr (first 10 below; all in $lg.stderr)"
    head -n 10 "$lg.stderr" | sed 's/^/    /' >&2
  fi
  m_rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "%.0f\n", $2 / 1024}' "$lg.time")
  m_bytes=$(du -sb "$out" | cut -f1)
  m_files=$(find "$out" -type f | wc -l)
  m_html=$(find "$out" -type f -name '*.html' | wc -l)
  # The largest page and the largest file: a list that grows with the incidents shows here
  # (one page of 74 MB at 100,000 went unnoticed while only totals were recorded).
  m_largest="largest page $(largest "$out" -name '*.html'), largest file $(largest "$out")"
  log "$name: $m_html .html of $m_files files, $(human_bytes "$m_bytes"), peak RSS $m_rss MB"
}

# timed NAME RUNS PREPARE CMD...: RUNS timed runs with hyperfine (after WARMUP untimed ones),
# each after PREPARE. Sets m_med m_cpu m_detail.
timed() {
  local name=$1 runs=$2 prepare=$3; shift 3
  local json="$WORK/results/$name.json"
  log "$name: timing ($WARMUP warmup + $runs runs)"
  hyperfine --warmup "$WARMUP" --runs "$runs" --prepare "$prepare" --export-json "$json" \
    --command-name "$name" "$(quote_all "$@")" >&2
  m_med=$(json_median "$json")
  m_cpu=$(json_cpu "$json")
  m_detail=$(json_detail "$json")
}

# measure NAME OUT RUNS PREPARE CMD...: [checked], then [timed].
measure() {
  local name=$1 out=$2 runs=$3 prepare=$4; shift 4
  checked "$name" "$out" "$@"
  timed "$name" "$runs" "$prepare" "$@"
}

# Interleaved timing of two commands, so that both see the same minutes of a machine whose
# speed drifts (Hugo took 9.4 s and 15.7 s on the same corpus in different hours, and kb moved
# less): timed in blocks, all of one tool's runs and then the other's, the ratio also measured
# when each block ran. Each round times A once and then B once (hyperfine, one run each; the
# first round after WARMUP untimed runs of each), and the rounds' results are joined into one
# hyperfine result per command. The drift is mostly slower than a round: on 2026-12-06 the
# median of the rounds' ratios was 0.00–0.03 from the ratio of the medians.
#
# interleaved RUNS NAME_A PREPARE_A CMD_A NAME_B PREPARE_B CMD_B (each CMD one quoted string):
# sets a_med a_cpu a_detail b_med b_cpu b_detail, and paired (the median of the rounds' A / B).
interleaved() {
  local runs=$1 na=$2 pa=$3 ca=$4 nb=$5 pb=$6 cb=$7 r warm
  log "$na, $nb: timing interleaved ($WARMUP warmup + $runs rounds of one run each)"
  for r in $(seq "$runs"); do
    warm=0
    [ "$r" = 1 ] && warm=$WARMUP
    hyperfine --warmup "$warm" --runs 1 --prepare "$pa" --export-json "$WORK/results/$na.round$r.json" \
      --command-name "$na" "$ca" >&2
    hyperfine --warmup "$warm" --runs 1 --prepare "$pb" --export-json "$WORK/results/$nb.round$r.json" \
      --command-name "$nb" "$cb" >&2
  done
  paired=$(python3 - "$WORK/results" "$na" "$nb" "$runs" <<'EOF'
import json, statistics, sys

dir, a, b, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def join(name):
    rounds = [json.load(open(f"{dir}/{name}.round{r}.json"))["results"][0] for r in range(1, runs + 1)]
    times = [x["times"][0] for x in rounds]
    joined = {
        "command": name,
        "mean": statistics.mean(times),
        "stddev": statistics.stdev(times) if len(times) > 1 else None,
        "median": statistics.median(times),
        "user": statistics.mean(x["user"] for x in rounds),
        "system": statistics.mean(x["system"] for x in rounds),
        "min": min(times),
        "max": max(times),
        "times": times,
        "exit_codes": [x["exit_codes"][0] for x in rounds],
    }
    json.dump({"results": [joined]}, open(f"{dir}/{name}.json", "w"), indent=2)
    return times
ta, tb = join(a), join(b)
print("%.3f" % statistics.median(x / y for x, y in zip(ta, tb)))
EOF
  )
  a_med=$(json_median "$WORK/results/$na.json") a_cpu=$(json_cpu "$WORK/results/$na.json")
  a_detail=$(json_detail "$WORK/results/$na.json")
  b_med=$(json_median "$WORK/results/$nb.json") b_cpu=$(json_cpu "$WORK/results/$nb.json")
  b_detail=$(json_detail "$WORK/results/$nb.json")
}

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
kb_rev="-"
if [ $run_kb = 1 ]; then
  kb_rev="the repository @ $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")"
  if [ -n "$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ]; then
    kb_rev+=" with uncommitted changes"
  fi
  kb_rev+=", $("$KB" --version), binary $(rel "$KB") ($kb_build)"
fi
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)
hugo_ver=$(command -v hugo >/dev/null && hugo version | awk '{print $2}' || echo "-")
fstype() { df -T "$1" 2>/dev/null | awk 'NR == 2 {print $2}'; }

# insert_section OLD NEW OUT: OUT = OLD (may be missing) with NEW on top, below the marker line.
insert_section() {
  python3 - "$@" <<'EOF'
import sys

old_path, new_path, out_path = sys.argv[1:]
new = open(new_path).read().strip("\n")
mark = "<!-- bench/run.sh inserts each new run below this line: newest first, earlier runs are history -->"
try:
    old = open(old_path).read()
except FileNotFoundError:
    old = ""
if mark in old:
    head, tail = old.split(mark, 1)
else:
    head, tail = "# kb vs Hugo build benchmarks\n\n", old
out = head + mark + "\n\n" + new + "\n"
if tail.strip():
    out += "\n" + tail.lstrip("\n")
with open(out_path, "w") as f:
    f.write(out)
EOF
}

# write_results NOTE: the run's section so far (NOTE on top of it when not empty) inserted into
# results.md as it was before the run, so a run that is stopped still leaves its finished rows.
write_results() {
  local note=$1 r section
  table="| shape | incidents | kb | Hugo | kb / Hugo | Pagefind | kb / (Hugo + Pagefind) | floor | kb peak RSS | Hugo peak RSS | Pagefind peak RSS | kb output | Hugo output |"
  table+=$'\n'"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do table+=$'\n'"$r"; done

  section=$(
    echo "## $started: \`$knobs $invocation\`"
    echo
    echo "$table"
    echo
    [ -z "$note" ] || { echo "$note"; echo; }
    echo "Times are medians of full builds into an empty output directory (hyperfine, $WARMUP warmup"
    echo "+ $RUNS runs; $KB_ONLY_RUNS at the kb-alone sizes); in brackets the mean CPU time (user +"
    echo "system) of those runs, which a loaded machine disturbs less than wall time. kb / Hugo: the"
    if [ "$INTERLEAVE" = 1 ]; then
      echo "ratio of the medians, the median of the ratios of each round (kb and Hugo alternate: each"
      echo "round times one kb build, then one Hugo build, so both see the same minute of the"
      echo "machine), then the ratio of the CPU times (below 1: kb is faster; issue 17 asks for at"
    else
      echo "ratio of the medians, then of the CPU times (below 1: kb is faster; issue 17 asks for at"
    fi
    echo "most 0.33 at 10,000). The floor: the median of reading every input file once and copying"
    echo "kb's output once on the same filesystem. Peak RSS, output size (\`du -sb\`) and file count:"
    echo "one checked run before the timed runs. See bench/README.md for the shapes and what each"
    echo "tool renders. Pagefind: indexing Hugo's incident pages (\`--glob '20*/*/index.html'"
    echo "--root-selector article\`) after the timed Hugo runs; kb / (Hugo + Pagefind) compares kb with"
    echo "a Hugo site that has search, as a kb site has (kb also finds similar incidents, which"
    echo "neither does here)."
    echo
    echo "### Details"
    echo
    for d in "${details[@]}"; do echo "$d"; done
    echo
    echo "### Environment"
    echo
    echo "- CPU: ${cpu:-unknown}, $(nproc) cores available; RAM: ${mem:-unknown}"
    echo "- load before: \`$uptime_before\`"
    echo "- load after: \`${uptime_after:-run not finished}\`"
    echo "- kb: $kb_rev"
    echo "- Hugo: $hugo_ver; Pagefind: $pf_ver; hyperfine: $(hyperfine --version | awk '{print $2}')"
    echo "- outputs written to $(rel "$OUTROOT") ($(fstype "$OUTROOT")); corpora in $(rel "$WORK") ($(fstype "$WORK"))"
    echo "- Hugo related content: $([ "${HUGO_BENCH_RELATED:-}" = 1 ] && echo on || echo "off (HUGO_BENCH_RELATED unset)")"
    echo "- corpus: bench/gen_corpus.py (sha256 prefix $gen_hash), seed $SEED"
  )

  # Newest run on top; everything in results.md before the run stays below it as history.
  printf '%s\n' "$section" >"$WORK/section.md"
  insert_section "$results_before" "$WORK/section.md" "$RESULTS"
  log "wrote $(rel "$RESULTS")"
}

# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------
invocation="bench/run.sh"
[ $# -gt 0 ] && invocation+=" $*"
knobs="SHAPES='${shapes[*]}'"
[ $# -gt 0 ] || knobs+=" SIZES='${sizes[*]}'"
knobs+=" KB_ONLY_SIZES='${kb_only_sizes[*]}' KB_ONLY_SHAPES='${kb_only_shapes[*]}'"
knobs+=" RUNS=$RUNS WARMUP=$WARMUP KB_ONLY_RUNS=$KB_ONLY_RUNS${ONLY:+ ONLY=$ONLY} PAGEFIND=$PAGEFIND INTERLEAVE=$INTERLEAVE"
if [ -n "${KB_BIN:-}" ]; then knobs+=" KB_BIN=$(rel "$KB_BIN")"; else knobs+=" PGO=$PGO${BOLT:+ BOLT=$BOLT}"; fi
started=$(date -u +%Y-%m-%dT%H:%MZ)
uptime_before=$(uptime | sed 's/^ *//')
log "load before: $uptime_before"

rows=()
details=()
uptime_after=""
results_before="$WORK/results-before.md"
if [ -f "$RESULTS" ]; then cp "$RESULTS" "$results_before"; else rm -f "$results_before"; fi
for job in "${jobs[@]}"; do
  read -r shape n tools runs <<<"$job"
  corpus=$(make_corpus "$shape" "$n")
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  kb_med="-" hugo_med="-" kb_cpu="-" hugo_cpu="-" ratio="-" kb_rss="-" hugo_rss="-" kb_outp="-" hugo_outp="-" floor="-"
  pf_med="-" pf_cpu="-" pf_rss="-" pf_ratio="-"
  floor_src=""
  kb_out="$OUTROOT/kb-$shape-$n"
  hugo_out="$OUTROOT/hugo-$shape-$n"
  details+=("- **$shape, $n** (load average at the start: $load)")

  hugo_skipped=0
  [[ " ${HUGO_SKIP-long-bodies:10000} " == *" $shape:$n "* ]] && hugo_skipped=1
  with_hugo=0
  [ $run_hugo = 1 ] && [ "$tools" = both ] && [ $hugo_skipped = 0 ] && with_hugo=1
  # .kb/ is kb's cache in the corpus root: removed before every timed run, so each is a full
  # build from nothing, like Hugo's with --ignoreCache. --quiet like Hugo's: errors only.
  kb_cmd=("$KB" --quiet build --root "$corpus" --output "$kb_out")
  kb_prep="rm -rf $(q "$kb_out") $(q "$corpus/.kb")"
  # `hugo` in build mode renders every page: "fast render" exists only in `hugo server`.
  hugo_cmd=(env HUGO_RESOURCEDIR="$WORK/hugo-resources" hugo
    --source "$BENCH/hugo" --contentDir "$corpus/content" --destination "$hugo_out"
    --cleanDestinationDir --ignoreCache --cacheDir "$WORK/hugo-cache" --noBuildLock --quiet)
  hugo_prep="rm -rf $(q "$hugo_out")"
  pair=0
  [ $run_kb = 1 ] && [ $with_hugo = 1 ] && [ "$INTERLEAVE" = 1 ] && pair=1

  if [ $run_kb = 1 ]; then
    checked "kb-$shape-$n" "$kb_out" "${kb_cmd[@]}"
    [ "$m_html" -ge "$n" ] || die "kb ($shape, $n) wrote $m_html .html files, fewer than its $n incidents"
    if [ $pair = 0 ]; then
      timed "kb-$shape-$n" "$runs" "$kb_prep" "${kb_cmd[@]}"
      kb_med=$m_med kb_cpu=$m_cpu kb_detail=$m_detail
    fi
    kb_rss=$(human_mb "$m_rss")
    kb_outp="$(human_bytes "$m_bytes"), $(thousands "$m_files") files"
    kb_files="$(thousands "$m_html") of the files are .html; $m_largest"
    floor_src=$kb_out
  fi

  if [ $run_hugo = 1 ] && [ "$tools" = both ] && [ $hugo_skipped = 1 ]; then
    hugo_med="not run" hugo_outp="-"
  elif [ $with_hugo = 1 ]; then
    checked "hugo-$shape-$n" "$hugo_out" "${hugo_cmd[@]}"
    [ "$m_html" -ge "$n" ] || die "Hugo ($shape, $n) wrote $m_html .html files, fewer than its $n incidents"
    if [ $pair = 0 ]; then
      timed "hugo-$shape-$n" "$runs" "$hugo_prep" "${hugo_cmd[@]}"
      hugo_med=$m_med hugo_cpu=$m_cpu hugo_detail=$m_detail
    fi
    hugo_rss=$(human_mb "$m_rss")
    hugo_outp="$(human_bytes "$m_bytes"), $(thousands "$m_files") files"
    hugo_files="$(thousands "$m_html") of the files are .html; $m_largest"
    [ -n "$floor_src" ] || floor_src=$hugo_out
  fi

  paired="-"
  if [ $pair = 1 ]; then
    interleaved "$runs" "kb-$shape-$n" "$kb_prep" "$(quote_all "${kb_cmd[@]}")" \
      "hugo-$shape-$n" "$hugo_prep" "$(quote_all "${hugo_cmd[@]}")"
    kb_med=$a_med kb_cpu=$a_cpu kb_detail=$a_detail
    hugo_med=$b_med hugo_cpu=$b_cpu hugo_detail=$b_detail
  fi
  [ $run_kb = 1 ] && details+=("  - kb: $kb_detail; $kb_files")
  if [ "$hugo_med" = "not run" ]; then
    details+=("  - Hugo: not run (HUGO_SKIP): it needs more memory than this machine has")
  elif [ $with_hugo = 1 ]; then
    details+=("  - Hugo: $hugo_detail; $hugo_files")
    if [ "$PAGEFIND" = 1 ]; then
      # Over the last timed Hugo run's output, which hyperfine leaves in place.
      measure "pagefind-$shape-$n" "$hugo_out/pagefind" "$runs" "rm -rf $(q "$hugo_out/pagefind")" \
        "$PF" --site "$hugo_out" --glob '20*/*/index.html' --root-selector article \
        --output-subdir pagefind --silent
      pf_med=$m_med pf_cpu=$m_cpu pf_rss=$(human_mb "$m_rss")
      details+=("  - Pagefind: $m_detail; index $(human_bytes "$m_bytes") in $(thousands "$m_files") files")
      rm -rf "${hugo_out:?}/pagefind"
    fi
  fi

  if [ -n "$floor_src" ]; then
    # The floor: what reading the input once and writing kb's output once costs on this machine.
    # The copy goes next to the output (same filesystem) into a fresh directory each run.
    fdir="$OUTROOT/floor-$shape-$n"
    log "floor-$shape-$n: timing (cat every input, cp -a $(basename "$floor_src"))"
    hyperfine --warmup "$WARMUP" --runs "$runs" --prepare "rm -rf $(q "$fdir")" \
      --export-json "$WORK/results/floor-$shape-$n.json" --command-name "floor-$shape-$n" \
      "find $(q "$corpus/content") $(q "$corpus/site.toml") -type f -exec cat {} + >/dev/null && cp -a $(q "$floor_src") $(q "$fdir")" >&2
    floor=$(json_median "$WORK/results/floor-$shape-$n.json")
    details+=("  - floor (read every input file, \`cp -a\` of $([ "$floor_src" = "$kb_out" ] && echo kb || echo Hugo)'s output): $(json_detail "$WORK/results/floor-$shape-$n.json")")
    rm -rf "$fdir"
  fi
  [ "${KEEP_OUT:-}" = 1 ] || rm -rf "$kb_out" "$hugo_out"

  if [ "$kb_med" != "-" ] && [ "$hugo_med" != "-" ] && [ $hugo_skipped = 0 ]; then
    ratio=$(awk -v k="$kb_med" -v h="$hugo_med" -v kc="$kb_cpu" -v hc="$hugo_cpu" -v p="$paired" \
      'BEGIN { if (p == "-") printf "%.2f (CPU %.2f)", k / h, kc / hc; else printf "%.2f (paired %.2f, CPU %.2f)", k / h, p, kc / hc }')
    if [ "$pf_med" != "-" ]; then
      pf_ratio=$(awk -v k="$kb_med" -v h="$hugo_med" -v p="$pf_med" -v kc="$kb_cpu" -v hc="$hugo_cpu" -v pc="$pf_cpu" \
        'BEGIN { printf "%.2f (CPU %.2f)", k / (h + p), kc / (hc + pc) }')
    fi
  fi
  row="| $shape | $(thousands "$n") | $(fmt_time "$kb_med" "$kb_cpu") | $(fmt_time "$hugo_med" "$hugo_cpu") | $ratio | $(fmt_time "$pf_med" "$pf_cpu") | $pf_ratio | $(fmt_s "$floor") | $kb_rss | $hugo_rss | $pf_rss | $kb_outp | $hugo_outp |"
  rows+=("$row")
  log "row: $row"
  write_results "**Partial: ${#rows[@]} of ${#jobs[@]} rows measured so far** (the run was still going or was stopped)."
done
uptime_after=$(uptime | sed 's/^ *//')
log "load after: $uptime_after"
write_results ""

echo
echo "$table"

