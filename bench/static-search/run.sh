#!/usr/bin/env bash
# Cold first query in the browser: kb's static search vs Pagefind 1.6 on the same built sites.
#
#   bench/static-search/run.sh                 # 1000 and 10000 incidents
#   bench/static-search/run.sh 1000 10000 100000
#
# For each size and corpus kind (plain; and long-tail when gen_corpus.py has --long-tail):
# builds the site with the already-built target/release/kb (this script never runs cargo),
# indexes it with Pagefind, and measures a cold first query per engine (bench.mjs). Writes
# bench/static-search-results.md; raw JSON per corpus in $WORK/results/.
#
# Knobs (environment): WORK (default /dev/shm/kb-static-search, else /tmp/...): corpora that are
# generated here, built sites, results; REPS (3) repetitions per query and engine; BUILD_REPS (3,
# 1 at 100k) kb builds and Pagefind runs per corpus; DELAY (40) ms every response is held back;
# KINDS ("plain long-tail") which corpora; KB (target/release/kb).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(dirname "$HERE")
ROOT=$(dirname "$BENCH")
if [ -d /dev/shm ]; then WORK=${WORK:-/dev/shm/kb-static-search}; else WORK=${WORK:-/tmp/kb-static-search}; fi
REPS=${REPS:-3}
DELAY=${DELAY:-40}
KINDS=${KINDS:-plain long-tail}
export KB=${KB:-$ROOT/target/release/kb}
OUT=$BENCH/static-search-results.md
if [ $# -eq 0 ]; then SIZES=(1000 10000); else SIZES=("$@"); fi

[ -x "$KB" ] || { echo "bench: $KB is missing; build it first (cargo build --release), this script does not" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "bench: /usr/bin/chromium is required (apt-get install -y chromium)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time is required (apt-get install -y time)" >&2; exit 1; }
if [ ! -x "$HERE/node_modules/.bin/pagefind" ] || [ ! -d "$HERE/node_modules/playwright-core" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

if python3 "$BENCH/gen_corpus.py" --help 2>/dev/null | grep -q -- --long-tail; then HAVE_LONG_TAIL=1; else HAVE_LONG_TAIL=0; fi
mkdir -p "$WORK/results"

# corpus KIND N: prints the corpus folder, generating it when needed. Plain corpora come from
# bench/.work/corpus-N when that exists (the cache bench/run.sh keeps); everything generated
# here goes to $WORK, stamped with the generator's hash so a changed generator regenerates.
corpus() {
  local kind=$1 n=$2 dir flag=() stamp
  if [ "$kind" = plain ] && [ -f "$BENCH/.work/corpus-$n/site.toml" ]; then echo "$BENCH/.work/corpus-$n"; return; fi
  dir=$WORK/corpus-$kind-$n
  [ "$kind" = long-tail ] && flag=(--long-tail)
  stamp="$(sha256sum "$BENCH/gen_corpus.py" | cut -c1-16) $n ${flag[*]:-}"
  if [ ! -f "$dir/site.toml" ] || [ "$(cat "$dir/.bench-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "bench: generating $kind corpus of $n incidents in $dir" >&2
    python3 "$BENCH/gen_corpus.py" "$n" "$dir" "${flag[@]}" >/dev/null
    echo "$stamp" >"$dir/.bench-stamp"
  fi
  echo "$dir"
}

jsons=()
for n in "${SIZES[@]}"; do
  for kind in $KINDS; do
    if [ "$kind" = long-tail ] && [ "$HAVE_LONG_TAIL" = 0 ]; then
      echo "bench: gen_corpus.py has no --long-tail; plain corpora only" >&2; continue
    fi
    dir=$(corpus "$kind" "$n")
    site=$WORK/site-$kind-$n
    br=${BUILD_REPS:-$([ "$n" -ge 100000 ] && echo 1 || echo 3)}
    echo "bench: $kind $n: corpus $dir, site $site" >&2
    json=$WORK/results/$kind-$n.json
    node "$HERE/bench.mjs" run --corpus "$dir" --site "$site" --label "$kind-$n" \
      --reps "$REPS" --build-reps "$br" --delay "$DELAY" --json "$json"
    jsons+=("$json")
  done
done

# Notes written by hand below the marker line survive a re-run.
MARK='<!-- findings: written by hand; run.sh keeps everything from this line on -->'
notes=$(mktemp)
if [ -f "$OUT" ] && grep -qF -- "$MARK" "$OUT"; then sed -n "\|$MARK|,\$p" "$OUT" >"$notes"; fi
node "$HERE/bench.mjs" report "${jsons[@]}" >"$OUT.tmp"
if [ -s "$notes" ]; then { echo; cat "$notes"; } >>"$OUT.tmp"; fi
mv "$OUT.tmp" "$OUT"
rm -f "$notes"
echo "bench: wrote $OUT" >&2
