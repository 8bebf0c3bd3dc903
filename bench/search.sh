#!/usr/bin/env bash
# Benchmark search: index build time and size, and `kb search` whole-process latency.
#
#   bench/search.sh [sizes...]       default: 1000 10000
#
# For each size: builds the generated corpus BUILDS times (default 3, each `--clean`: a full
# build, not one reusing the build cache) with KB_TIMINGS=1 and
# takes the median of the whole build, of the "indexing for search" stage and of the
# "finding similar incidents" stage; measures .kb/index; then times `kb search` (warm, the
# index fresh) with hyperfine over QUERIES, RUNS runs each (default 30), the first query with
# --no-refresh and with --refresh (every file checked), and the default check alone (KB_TIMINGS
# prints it: every file up to 10,000, their folders past that). Output goes to /dev/shm when it exists, so the disk's
# inode allocation (see results.md) does not blur the stage times.
#
# Prints a markdown table and writes it to bench/search-results.md.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=${BENCH_WORK:-$BENCH/.work}
BUILDS=${BUILDS:-3}
RUNS=${RUNS:-30}
KB=$ROOT/target/release/kb
OUT=$BENCH/search-results.md
if [ -d /dev/shm ]; then SITE=/dev/shm/kb-search-bench; else SITE=$WORK/search-out; fi
if [ $# -eq 0 ]; then SIZES=(1000 10000); else SIZES=("$@"); fi

QUERIES=(
  'replica lag writes rejected'
  'tag:replication severity:SEV1 since:2023-01-01 "read only"'
  'replca lag'
)

command -v hyperfine >/dev/null || { echo "bench: hyperfine is required (apt-get install -y hyperfine)" >&2; exit 1; }
(cd "$ROOT" && cargo build --release --quiet)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

rows=()
for n in "${SIZES[@]}"; do
  corpus=$WORK/corpus-$n
  if [ ! -f "$corpus/site.toml" ]; then
    echo "bench: generating $n incidents" >&2
    python3 "$BENCH/gen_corpus.py" "$n" "$corpus" >/dev/null
  fi
  totals=(); idx=(); sim=()
  for ((b = 0; b < BUILDS; b++)); do
    rm -rf "$SITE"
    # --clean: a full build each time (the build cache would keep the index and similar
    # incidents of the last one, and time neither).
    log=$(KB_TIMINGS=1 "$KB" build --clean --root "$corpus" --output "$SITE" 2>&1)
    # Stage lines are "<seconds> s  <stage>"; a stage lasts until the next line.
    read -r t ix sx < <(echo "$log" | awk '
      / s  indexing for search/ {a=$1} / s  finding similar incidents/ {b=$1}
      / s  rendering pages/ {c=$1} / s  done/ {d=$1}
      END {print d, b-a, c-b}')
    totals+=("$t"); idx+=("$ix"); sim+=("$sx")
  done
  total=$(printf '%s\n' "${totals[@]}" | median)
  index=$(printf '%s\n' "${idx[@]}" | median)
  similar=$(printf '%s\n' "${sim[@]}" | median)
  size=$(du -sm "$corpus/.kb/index" | cut -f1)
  json=$(mktemp)
  args=()
  for q in "${QUERIES[@]}"; do args+=("$KB search --root $corpus --json -- '$q'"); done
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" "${args[@]}" >/dev/null
  search=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' / '.join('%.1f' % (x['median']*1e3) for x in r))" "$json")
  rm -f "$json"
  json=$(mktemp)
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" \
    "$KB search --root $corpus --no-refresh --json -- '${QUERIES[0]}'" >/dev/null
  norefresh=$(python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][0]['median']*1e3))" "$json")
  rm -f "$json"
  json=$(mktemp)
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$json" \
    "$KB search --root $corpus --refresh --json -- '${QUERIES[0]}'" >/dev/null
  refresh=$(python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][0]['median']*1e3))" "$json")
  rm -f "$json"
  # The default check: every file ("stamped N files in T ms"), or past 10,000 files their
  # folders ("checked F folders of N files in T ms").
  stamps=()
  for ((k = 0; k < 9; k++)); do
    stamps+=("$(KB_TIMINGS=1 "$KB" search --root "$corpus" -n 1 lag 2>&1 >/dev/null | awk '/^stamped/ {print $5} /^checked .* folders/ {print $8}')")
  done
  stamp=$(printf '%s\n' "${stamps[@]}" | median)
  share=$(awk -v t="$total" -v i="$index" -v s="$similar" 'BEGIN {printf "%.0f%% / %.0f%%", 100*i/(t-i-s), 100*s/(t-i-s)}')
  rows+=("| $n | $total s | $index s | $similar s | $share | $size MB | $search ms | $stamp ms | $norefresh ms | $refresh ms |")
done
rm -rf "$SITE"

{
  echo "<!-- bench/search.sh $(date -u +%Y-%m-%d), $(nproc) cores, medians -->"
  echo "| incidents | build | indexing | similar incidents | indexing / similar vs. the rest of the build | index size | kb search (3 queries) | of which the check of the sources | kb search --no-refresh (query 1) | kb search --refresh (query 1) |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT"
