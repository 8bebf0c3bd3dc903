// Runs queries through the browser engine over a built site's static index, for the parity
// test (tests/static_search.rs): `node run_queries.js SITE_DIR < queries.txt` (one query per
// line) prints one JSON object per query: the hits' ids and scores, the total, did-you-mean,
// or the error, and which index files the query read; then the filter counts over every match
// (`facets`, exact) and over the top 10 alone, from their stubs (`shown_facets`). `waves` groups
// the files of the query's results by round trip: a new one starts when the engine asks for a
// file while none is in flight, as waves.cjs counts them in the bench.
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const site = process.argv[2];
// The engine the site ships (esbuild's minified copy of theme/static/js/search.js, with its
// stem.js beside it), so what readers run is what is checked against `kb search`.
const { Engine, QueryError, facetsOfStubs } = require(path.resolve(site, "js", "search.js"));
const html = fs.readFileSync(path.join(site, "search", "index.html"), "utf8");
const m = html.match(/<script type="application\/json" id="kb-manifest">([\s\S]*?)<\/script>/);
if (!m) throw new Error("no manifest in search/index.html");
const manifest = JSON.parse(m[1]);

async function main() {
  const queries = fs.readFileSync(0, "utf8").split("\n").filter((q) => q.length);
  for (const q of queries) {
    // A fresh engine per query: every query starts cold, as in a new browser tab.
    const files = [];
    const waves = [];
    let inflight = 0;
    const engine = new Engine(manifest, async (p) => {
      files.push(p);
      if (inflight === 0) waves.push([]);
      waves[waves.length - 1].push(p);
      inflight++;
      // A load takes a moment, as over a network: what the engine asks meanwhile overlaps it.
      await new Promise((r) => setTimeout(r, 1));
      inflight--;
      return new Uint8Array(zlib.gunzipSync(fs.readFileSync(path.join(site, "search", p))));
    });
    let out;
    try {
      const r = await engine.results(q, 10);
      out = {
        query: q,
        total: r.total,
        total_exact: r.totalExact,
        did_you_mean: r.did_you_mean,
        corrections: r.corrections,
        hits: r.hits.map((h) => ({ id: h.stub.id, score: h.score })),
        shown_facets: facetsOfStubs(r.hits.map((h) => h.stub)),
      };
      out.files = files.slice();
      out.waves = waves.map((w) => w.slice());
      out.facets = await engine.facets(q);
    } catch (e) {
      if (!(e instanceof QueryError)) throw e;
      out = { query: q, error: e.message, col: e.col, hint: e.hint };
    }
    if (!out.files) out.files = files;
    process.stdout.write(JSON.stringify(out) + "\n");
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
