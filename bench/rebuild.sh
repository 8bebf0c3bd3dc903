#!/usr/bin/env bash
# Rebuilds with the build cache: a clean build (`--clean`), a rebuild with nothing changed, and
# a rebuild after editing one postmortem's body and another's tags, each RUNS times (medians).
#
#   bench/rebuild.sh KB_DIR [RUNS]      # KB_DIR from `python3 bench/gen_corpus.py 10000 KB_DIR`
#
# Uses target/release/kb. Prints each build's wall time and its KB_TIMINGS stage times, then
# the medians. The edits are undone at the end.
set -euo pipefail
kb_dir=$1
runs=${2:-3}
kb=$(cd "$(dirname "$0")/.." && pwd)/target/release/kb
body=$(find "$kb_dir/content" -name '*.md' | sort | sed -n 100p)
tags=$(find "$kb_dir/content" -name '*.md' | sort | sed -n 200p)
cp "$body" /tmp/kb-rebuild-body.$$ && cp "$tags" /tmp/kb-rebuild-tags.$$
trap 'cp /tmp/kb-rebuild-body.$$ "$body"; cp /tmp/kb-rebuild-tags.$$ "$tags"; rm -f /tmp/kb-rebuild-*.$$' EXIT
log=$(mktemp)
uptime

one() { # name, args...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  KB_TIMINGS=1 "$kb" build --root "$kb_dir" -q "$@" 2>"$log.err"
  t1=$(date +%s.%N)
  python3 - "$name" "$t0" "$t1" "$log.err" >>"$log" <<'PY'
import re, sys
name, t0, t1, err = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
marks = []
for line in open(err):
    m = re.match(r"\s*([\d.]+) s  (.*)", line)
    if m:
        marks.append((float(m.group(1)), m.group(2)))
stages = {}
for (t, s), (t2, _) in zip(marks, marks[1:]):
    stages[s.split(" (")[0]] = t2 - t
swap = re.search(r"swap took ([\d.]+) s", open(err).read())
if swap:
    stages["swapping in the new output"] = float(swap.group(1))
print(name, f"{t1 - t0:.3f}", ";".join(f"{k}={v:.3f}" for k, v in stages.items()))
PY
  tail -1 "$log"
}

for i in $(seq "$runs"); do
  one clean --clean
  one no-change
  printf '\nEdited in run %s of the rebuild benchmark.\n' "$i" >>"$body"
  sed -i "0,/^tags: \[/s//tags: [\"rebuild-bench-$i\", /" "$tags"
  one one-edit
done

python3 - "$log" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, wall, stages = line.rstrip("\n").split(" ", 2)
    rows.setdefault(name, []).append((float(wall), dict(
        (k, float(v)) for k, v in (kv.split("=") for kv in stages.split(";") if kv))))
print("\n| build | wall (median) | " + " | ".join(["reading+linking", "search index", "similar+export", "rendering", "swap"]) + " |")
print("|---|---|---|---|---|---|---|")
for name, rs in rows.items():
    med = lambda f: statistics.median(f(r) for r in rs)
    st = lambda k: med(lambda r: sum(v for s, v in r[1].items() if s.startswith(k)))
    print(f"| {name} | {med(lambda r: r[0]):.2f} s | "
          f"{st('reading') + st('linking'):.2f} | {st('indexing'):.2f} | {st('finding'):.2f} | "
          f"{st('rendering'):.2f} | {st('swapping'):.2f} |")
PY
uptime
rm -f "$log" "$log.err"
