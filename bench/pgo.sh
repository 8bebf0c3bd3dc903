#!/usr/bin/env bash
# Builds kb with profile-guided optimisation (rustc's PGO), then lays the binary out again with
# LLVM's BOLT: an instrumented build runs a training set, the release build is made again with
# the counts it wrote, so that LLVM inlines and predicts branches by what a build really does;
# then a BOLT-instrumented copy of that binary runs the training set again, and BOLT reorders
# its functions and blocks by the counts (hot code together, cold code split off).
#
#   bench/pgo.sh                prints the optimised binary's path (target/pgo/release/kb-bolt,
#                               or target/pgo/release/kb with BOLT=0)
#
# The training set is the repository's own: the example knowledge base, the plain-text and
# held-out fixtures, and bench/gen_corpus.py's five shapes at a few hundred to 2,000 incidents
# with seed 7 (the benchmarks use 42: the profile never sees a measured corpus). Each is built
# clean, built again with its cache, checked and searched.
#
# Knobs: PGO_WORK=DIR   training corpora and profiles (default bench/.work/pgo, gitignored)
#        BOLT=1         the BOLT pass (0: PGO only)
#
# Needs rustup's llvm-tools for llvm-profdata (installed here when missing: `rustup component
# add llvm-tools`); the profile format is LLVM's, so it must be the one of this rustc. BOLT is
# Debian's `bolt-16` (installed here with apt-get when missing and run as root); it works on the
# linked binary, whatever LLVM made it, and needs its relocations (`--emit-relocs`).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
WORK=${PGO_WORK:-$BENCH/.work/pgo}
BOLT=${BOLT:-1}
case "$BOLT" in 0|1) ;; *) echo "pgo: error: BOLT must be 0 or 1, got '$BOLT'" >&2; exit 1;; esac

die() { echo "pgo: error: $*" >&2; exit 1; }
log() { echo "pgo: $*" >&2; }

command -v cargo >/dev/null || die "cargo is required"
command -v python3 >/dev/null || die "python3 is required"
host=$(rustc -vV | awk '/^host:/ {print $2}')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  command -v rustup >/dev/null || die "llvm-profdata not found at $profdata, and no rustup to install llvm-tools"
  log "installing llvm-tools (rustup component add llvm-tools)"
  rustup component add llvm-tools >&2 || die "rustup component add llvm-tools failed"
fi

bolt_bin=/usr/lib/llvm-16/bin
if [ "$BOLT" = 1 ] && [ ! -x "$bolt_bin/llvm-bolt" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
    || die "llvm-bolt not found in $bolt_bin (apt-get install -y bolt-16, or BOLT=0)"
  log "installing bolt-16"
  DEBIAN_FRONTEND=noninteractive apt-get install -y bolt-16 >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y bolt-16 >/dev/null; } \
    || die "apt-get install bolt-16 failed"
fi

profiles="$WORK/profiles"
rm -rf "$profiles"
mkdir -p "$profiles" "$WORK/corpora"

log "instrumented build (target/pgo-instrumented)"
(cd "$ROOT" && RUSTFLAGS="-Cprofile-generate=$profiles" \
  cargo build --release --locked --target-dir "$ROOT/target/pgo-instrumented" >&2) \
  || die "instrumented build failed"
kb="$ROOT/target/pgo-instrumented/release/kb"

# shape:size pairs: long bodies and wide tags are slow to build instrumented, and a few
# hundred incidents already run every path of theirs.
corpora=()
gen_hash=$(sha256sum "$BENCH/gen_corpus.py" | cut -c1-16)
for spec in default:2000 near-duplicate:2000 tag-skew:2000 long-bodies:400 wide-tags:400; do
  shape=${spec%%:*} n=${spec##*:} dir="$WORK/corpora/$shape-$n"
  # Made again when the generator changed (its hash in the stamp, as bench/run.sh does).
  if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$gen_hash" ]; then
    args=()
    [ "$shape" = default ] || args=(--shape "$shape")
    log "training corpus $shape $n"
    rm -rf "$dir"
    python3 "$BENCH/gen_corpus.py" "$n" "$dir" --seed 7 "${args[@]}" >/dev/null \
      || die "gen_corpus.py $n $shape failed"
    echo "$gen_hash" >"$dir/.stamp"
  fi
  corpora+=("$dir")
done
# The fixtures are copied: a build writes its cache and output beside them. The plain-text
# exports (no frontmatter, read by inference) become a knowledge base's content folder.
rm -rf "$WORK/corpora/heldout-kb" "$WORK/corpora/plain-text"
cp -r "$ROOT/tests/fixtures/heldout-kb" "$WORK/corpora/heldout-kb"
mkdir -p "$WORK/corpora/plain-text"
cp -r "$ROOT/tests/fixtures/plain-text" "$WORK/corpora/plain-text/content"
printf 'title = "Plain-text exports"\n' >"$WORK/corpora/plain-text/site.toml"
corpora+=("$WORK/corpora/heldout-kb" "$WORK/corpora/plain-text")
rm -rf "$WORK/corpora/example"
mkdir -p "$WORK/corpora/example"
cp -r "$ROOT/content" "$ROOT/site.toml" "$ROOT/theme" "$WORK/corpora/example/"
corpora+=("$WORK/corpora/example")

# train KB: runs binary KB over the training set.
train() {
  local kb=$1 dir out="$WORK/out" q
  for dir in "${corpora[@]}"; do
    log "training on $(basename "$dir")"
    rm -rf "$out" "$dir/.kb"
    "$kb" --quiet build --root "$dir" --output "$out" || die "kb build failed on $dir"
    "$kb" --quiet build --root "$dir" --output "$out" || die "kb build (cached) failed on $dir"
    "$kb" check --root "$dir" >/dev/null 2>&1 || true
    for q in "replica lag" "writes rejected" "HTTP 503 from every service" "certificate expired" \
      "disk full" '"connection pool"'; do
      "$kb" search --root "$dir" "$q" >/dev/null 2>&1 || true
    done
    rm -rf "$out"
  done
}
train "$kb"

log "merging the profiles"
"$profdata" merge -o "$WORK/kb.profdata" "$profiles" || die "llvm-profdata merge failed"

log "optimised build (target/pgo)"
# --emit-relocs: BOLT moves code, and needs to know every reference to it.
(cd "$ROOT" && RUSTFLAGS="-Cprofile-use=$WORK/kb.profdata -Clink-arg=-Wl,--emit-relocs" \
  cargo build --release --locked --target-dir "$ROOT/target/pgo" >&2) \
  || die "optimised build failed"
pgo_kb="$ROOT/target/pgo/release/kb"
if [ "$BOLT" = 0 ]; then
  echo "$pgo_kb"
  exit 0
fi

# No hardware branch sampling on the VMs this runs on, so BOLT's own instrumentation counts.
bolt="$WORK/bolt"
rm -rf "$bolt"
mkdir -p "$bolt"
log "BOLT: instrumenting"
"$bolt_bin/llvm-bolt" "$pgo_kb" -instrument -o "$bolt/kb-instrumented" \
  --instrumentation-file="$bolt/prof" --instrumentation-file-append-pid >"$bolt/instrument.log" 2>&1 \
  || die "llvm-bolt -instrument failed (see $bolt/instrument.log)"
train "$bolt/kb-instrumented"
"$bolt_bin/merge-fdata" "$bolt"/prof.*.fdata >"$bolt/merged.fdata" 2>"$bolt/merge.log" \
  || die "merge-fdata failed (see $bolt/merge.log)"
log "BOLT: optimising (target/pgo/release/kb-bolt)"
"$bolt_bin/llvm-bolt" "$pgo_kb" -o "$ROOT/target/pgo/release/kb-bolt" -data="$bolt/merged.fdata" \
  -reorder-blocks=ext-tsp -reorder-functions=hfsort+ -split-functions -split-all-cold -split-eh \
  -icf=1 -use-gnu-stack -dyno-stats >"$bolt/optimise.log" 2>&1 \
  || die "llvm-bolt failed (see $bolt/optimise.log)"
echo "$ROOT/target/pgo/release/kb-bolt"
