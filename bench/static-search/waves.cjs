// Bytes and round trips of cold first queries, in node, over a built site's static index (no
// browser, no server): `node bench/static-search/waves.cjs SITE [-v] < queries.txt`, one query
// per line. A round trip is a wave of requests: a new one starts when the engine asks for a
// file while none is in flight (each load is held back 20 ms so a wave's requests overlap).
// Prints per query its waves, KB (gzip, as served) by kind of file, and the median KB; -v also
// lists each wave's files. The browser benchmark (run.sh) measures the same in Chromium, next
// to Pagefind; this is the quick loop for changing the index format.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { Engine } = require("../../theme/static/js/search.js");

const site = process.argv[2];
const verbose = process.argv[3] === "-v";
const html = fs.readFileSync(path.join(site, "search", "index.html"), "utf8");
const manifest = JSON.parse(html.match(/id="kb-manifest">([\s\S]*?)<\/script>/)[1]);
const KB = (b) => (b / 1024).toFixed(1);

async function main() {
  const totals = [];
  for (const q of fs.readFileSync(0, "utf8").split("\n").filter(Boolean)) {
    let inflight = 0, bytes = 0;
    const waves = [], kinds = {};
    const engine = new Engine(manifest, async (p) => {
      if (inflight === 0) waves.push([]);
      waves[waves.length - 1].push(p);
      inflight++;
      await new Promise((r) => setTimeout(r, 20));
      const b = fs.readFileSync(path.join(site, "search", p));
      bytes += b.length;
      const kind = p.includes("/") ? p.split("/")[0] : p;
      kinds[kind] = (kinds[kind] || 0) + b.length;
      inflight--;
      return new Uint8Array(zlib.gunzipSync(b));
    });
    await engine.results(q, 10);
    totals.push(bytes);
    const by = Object.entries(kinds).map(([k, v]) => `${k} ${KB(v)}`).join(", ");
    console.log(`${q.padEnd(32)} ${waves.length} round trips  ${KB(bytes).padStart(6)} KB  (${by})`);
    if (verbose) waves.forEach((w, i) => console.log(`    ${i + 1}: ${w.join(" ")}`));
  }
  totals.sort((a, b) => a - b);
  if (totals.length) console.log(`median ${KB(totals[totals.length >> 1])} KB over ${totals.length} queries`);
}
main().catch((e) => { console.error(e); process.exit(1); });
