#!/usr/bin/env node
// Cold first query in the browser: kb's static search vs Pagefind, on the same built site.
//
//   node bench.mjs run --corpus DIR --site OUT --label NAME [--reps 3] [--build-reps 3]
//                      [--delay 40] [--json results.json] [--query Q]... [--no-build]
//   node bench.mjs report a.json b.json ... > static-search-results.md
//
// `run`:
//  1. builds the site with `kb build --root DIR --output OUT` (into an empty OUT, --build-reps
//     times, under /usr/bin/time -v and KB_TIMINGS=1: whole build, export stage, peak RSS);
//  2. indexes the same site with Pagefind (same number of runs, /usr/bin/time -v), into
//     OUT/pagefind_bench, only the incident pages, and writes OUT/pagefind-bench.html;
//  3. serves OUT with a tiny static server (no compression added, every response held back
//     --delay ms to stand for a network round trip, bytes and requests counted per path);
//  4. for each query and repetition, in a fresh browser context (cold cache) and for each
//     engine in turn: loads the search page, waits for the load and network idle, marks the
//     counters, puts the query into the search box (`fill`: one input event, like a paste),
//     waits for the results to be rendered and counts what was fetched in between (bytes,
//     requests, round trips), then waits for the network to go idle again and counts what
//     came after the results (kb's filter counts);
//  5. for each query and repetition, in a fresh browser context, opens the search page with the
//     query in its URL (`/search/?q=…`, a shared link; Pagefind's bench page reads `?q=` the
//     same way) and counts the whole cold visit: the page, its scripts and styles, the query,
//     and anything fetched after the results (bytes with text gzipped as a host would, round
//     trips from the navigation on);
//  6. asks `kb search --json` for the same queries, to check the browser's top 10 against it.
//
// Round trips ("waves"): requests sorted by the time the browser issued them (Chromium's
// requestWillBeSent, so queueing behind HTTP/1.1's 6 connections per host does not count);
// a new wave starts when a request is issued after every earlier request has finished.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import os from "node:os";
import { spawnSync, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");
const KB = process.env.KB || path.join(REPO, "target/release/kb");
const PAGEFIND = path.join(HERE, "node_modules/.bin/pagefind");
const PF_DIR = "pagefind_bench";
const PF_PAGE = "pagefind-bench.html";
// Pagefind sees what kb indexes: incident pages only, the <article> (title, summary, metadata
// panel, body), without the "Related incidents"/"Linked from" lists and the breadcrumb, which
// name other incidents.
const PF_ARGS = ["--glob", "incidents/*/index.html", "--root-selector", "article.incident",
  "--exclude-selectors", "section.related, section.backlinks, nav.crumbs"];
const DEFAULT_QUERIES = ["replica lag", "writes rejected", "503 all services", "certificate expired",
  "disk full", "replca lag", "tag:replication"];
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

const median = (xs) => {
  const a = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((p, q) => p - q);
  if (!a.length) return null;
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error("[bench]", ...a);

function parseArgs(argv) {
  const o = { queries: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) { (o._ ||= []).push(a); continue; }
    const k = a.slice(2);
    if (k === "no-build") { o.noBuild = true; continue; }
    const v = argv[++i];
    if (k === "query") o.queries.push(v); else o[k.replace(/-(.)/g, (_, c) => c.toUpperCase())] = v;
  }
  return o;
}

/* ------------------------------------------------------------------ indexing */

function timeV(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-v", cmd, ...args], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const rss = +(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr) || [])[1];
  const user = +(/User time \(seconds\): ([\d.]+)/.exec(r.stderr) || [])[1];
  const sys = +(/System time \(seconds\): ([\d.]+)/.exec(r.stderr) || [])[1];
  return { wall, rssMB: rss / 1024, cpu: user + sys, stdout: r.stdout, stderr: r.stderr };
}

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p)); else out.push({ path: p, size: fs.statSync(p).size });
  }
  return out;
}

function kbBuild(corpus, site, reps) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    fs.rmSync(site, { recursive: true, force: true });
    const r = timeV(KB, ["build", "--root", corpus, "--output", site], { KB_TIMINGS: "1" });
    // Stage lines are "<seconds> s  <stage>": the time the stage started.
    const stages = [...r.stderr.matchAll(/^\s*([\d.]+) s {2}(.+)$/gm)].map((m) => [+m[1], m[2].trim()]);
    const i0 = stages.findIndex((s) => s[1].startsWith("exporting the search index"));
    const exp = i0 >= 0 && i0 + 1 < stages.length ? stages[i0 + 1][0] - stages[i0][0] : null;
    runs.push({ wall: r.wall, rssMB: r.rssMB, cpu: r.cpu, exportStage: exp });
    log(`kb build ${i + 1}/${reps}: ${r.wall.toFixed(2)} s (export ${exp === null ? "?" : exp.toFixed(2)} s), ${r.rssMB.toFixed(0)} MB`);
  }
  const files = walk(path.join(site, "search"));
  const index = files.filter((f) => !f.path.endsWith("/search/index.html"));
  const page = fs.statSync(path.join(site, "search/index.html")).size;
  const js = ["stem.js", "search.js", "search-page.js"].map((f) => fs.statSync(path.join(site, "js", f)).size);
  const byDir = {};
  for (const f of index) { const d = path.relative(path.join(site, "search"), f.path).split("/")[0]; byDir[d] = (byDir[d] || 0) + 1; }
  return {
    runs, wall: median(runs.map((r) => r.wall)), exportStage: median(runs.map((r) => r.exportStage)),
    rssMB: median(runs.map((r) => r.rssMB)),
    files: index.length, bytes: index.reduce((s, f) => s + f.size, 0), byDir,
    searchPageBytes: page, jsBytes: js.reduce((a, b) => a + b, 0),
    pages: walk(site).filter((f) => f.path.endsWith(".html")).length,
  };
}

function pagefindIndex(site, reps) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    fs.rmSync(path.join(site, PF_DIR), { recursive: true, force: true });
    const r = timeV(PAGEFIND, ["--site", site, "--output-subdir", PF_DIR, ...PF_ARGS], {});
    const pages = +(/Indexed (\d+) pages/.exec(r.stdout) || [])[1];
    const words = +(/Indexed (\d+) words/.exec(r.stdout) || [])[1];
    runs.push({ wall: r.wall, rssMB: r.rssMB, cpu: r.cpu, pages, words });
    log(`pagefind ${i + 1}/${reps}: ${r.wall.toFixed(2)} s, ${r.rssMB.toFixed(0)} MB, ${pages} pages, ${words} words`);
  }
  const files = walk(path.join(site, PF_DIR));
  const kind = (p) => p.endsWith(".pf_fragment") ? "fragment" : p.endsWith(".pf_index") ? "index" : p.endsWith(".pf_meta") ? "meta"
    : p.endsWith(".pf_filter") ? "filter" : /\.pagefind$/.test(p) ? "wasm" : "js/css/json";
  const byKind = {};
  for (const f of files) { const k = kind(f.path); byKind[k] ||= { files: 0, bytes: 0 }; byKind[k].files++; byKind[k].bytes += f.size; }
  return {
    runs, wall: median(runs.map((r) => r.wall)), rssMB: median(runs.map((r) => r.rssMB)),
    pages: runs[0].pages, words: runs[0].words, files: files.length, bytes: files.reduce((s, f) => s + f.size, 0), byKind,
    args: PF_ARGS,
  };
}

function writePagefindPage(site) {
  // The query goes in through an input event, as on kb's page (no debounce here: Pagefind's
  // search() is called at once); the top 10 results' data() is loaded in parallel.
  fs.writeFileSync(path.join(site, PF_PAGE), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pagefind bench</title><link rel="icon" href="data:,"></head>
<body>
<input id="q" type="search" autocomplete="off">
<p id="status"></p>
<ol id="results"></ol>
<script type="module">
import * as pagefind from "/${PF_DIR}/pagefind.js";
const q = document.getElementById("q"), list = document.getElementById("results"), status = document.getElementById("status");
let seq = 0;
q.addEventListener("input", async () => {
  const mine = ++seq;
  try {
    const r = await pagefind.search(q.value);
    const top = await Promise.all(r.results.slice(0, 10).map((x) => x.data()));
    if (mine !== seq) return;
    list.replaceChildren(...top.map((d) => {
      const li = document.createElement("li"), a = document.createElement("a");
      a.className = "result-link"; a.href = d.url; a.textContent = d.meta.title;
      const p = document.createElement("p"); p.innerHTML = d.excerpt;
      li.append(a, p); return li;
    }));
    status.textContent = r.results.length + " results (" + r.unfilteredResultCount + " unfiltered)";
  } catch (e) { status.textContent = "Search failed: " + e; }
});
/* A shared link: the query from the URL, searched at once (as kb's page does). */
const init = new URLSearchParams(location.search).get("q");
if (init) { q.value = init; q.dispatchEvent(new Event("input")); }
</script>
</body></html>
`);
}

/* ------------------------------------------------------------------ server */

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml",
  ".xml": "application/xml", ".txt": "text/plain; charset=utf-8", ".bin": "application/octet-stream",
};
const isText = (t) => /^(text\/|application\/(json|xml)|image\/svg)/.test(t);

function serve(root, delay) {
  const log = [];
  const gz = new Map();
  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    let rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = path.join(root, rel);
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try { if (fs.statSync(file).isDirectory()) file = path.join(file, "index.html"); } catch { /* 404 below */ }
    let body = null;
    try { body = fs.readFileSync(file); } catch { /* missing */ }
    const type = TYPES[path.extname(file)] || "application/octet-stream";
    const entry = { path: rel, t0, t1: null, status: body ? 200 : 404, bytes: body ? body.length : 0, gzBytes: 0 };
    if (body) {
      if (isText(type)) {
        if (!gz.has(file)) gz.set(file, zlib.gzipSync(body, { level: 9 }).length);
        entry.gzBytes = gz.get(file);
      } else entry.gzBytes = body.length;
    }
    log.push(entry);
    setTimeout(() => {
      res.on("finish", () => { entry.t1 = Date.now(); });
      if (!body) { res.writeHead(404, { "Content-Type": "text/plain" }).end("not found"); return; }
      res.writeHead(200, { "Content-Type": type, "Content-Length": body.length, "Cache-Control": "no-cache" });
      res.end(body);
    }, delay);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, log, port: server.address().port })));
}

/* ------------------------------------------------------------------ browser */

// Chromium reports a request's start (wall clock) and end (monotonic clock) on different clocks,
// a millisecond or two apart: a request issued right after another finished can look as if it
// started just before. TOL absorbs that; every response is held back `delay` ms, so requests of
// one wave overlap by far more.
const TOL = 8;
function waves(reqs) {
  const rs = reqs.filter((r) => r.start !== null).sort((a, b) => a.start - b.start);
  let n = 0, maxEnd = -Infinity, width = 0, maxWidth = 0;
  for (const r of rs) {
    if (r.start > maxEnd - TOL) { n++; width = 0; }
    width++; maxWidth = Math.max(maxWidth, width);
    maxEnd = Math.max(maxEnd, r.end ?? Infinity);
  }
  return { waves: n, maxParallel: maxWidth };
}

const INIT = () => {
  window.__bench = { armed: false, rendered: null };
  document.addEventListener("DOMContentLoaded", () => {
    const obs = new MutationObserver(() => { if (window.__bench.armed && window.__bench.rendered === null) window.__bench.rendered = Date.now(); });
    for (const id of ["results", "status"]) {
      const e = document.getElementById(id);
      if (e) obs.observe(e, { childList: true, subtree: true, characterData: true });
    }
  });
};

async function measure(browser, base, engine, query, srv, delay) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(INIT);
  const net = [];
  const byReq = new Map();
  const onRequest = (r) => { const e = { url: r.url(), start: null, end: null, failed: false }; byReq.set(r, e); net.push(e); };
  const onDone = (r, failed) => {
    const e = byReq.get(r); if (!e) return;
    const t = r.timing();
    e.start = t.startTime;
    e.end = t.responseEnd >= 0 ? t.startTime + t.responseEnd : Date.now();
    e.failed = failed;
  };
  context.on("request", onRequest);
  context.on("requestfinished", (r) => onDone(r, false));
  context.on("requestfailed", (r) => onDone(r, true));
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));

  const inflight = () => net.filter((e) => e.end === null).length;
  async function idle(quietMs, timeoutMs) {
    const until = Date.now() + timeoutMs;
    let quietSince = Date.now();
    while (Date.now() < until) {
      await sleep(20);
      const last = Math.max(0, ...srv.log.map((e) => e.t1 || Date.now()));
      if (inflight() > 0 || srv.log.some((e) => e.t1 === null)) { quietSince = Date.now(); continue; }
      if (Date.now() - Math.max(quietSince, last) >= quietMs) return true;
    }
    return false;
  }

  const url = engine === "kb" ? base + "/search/" : base + "/" + PF_PAGE;
  const loadStart = srv.log.length;
  await page.goto(url, { waitUntil: "load" });
  await idle(300 + delay, 30000);
  const load = srv.log.slice(loadStart);

  // The query.
  const mark = srv.log.length, netMark = net.length;
  const tQuery = await page.evaluate(() => { window.__bench.armed = true; return Date.now(); });
  await page.fill("#q", query);
  let timedOut = false;
  try {
    await page.waitForFunction(() => window.__bench.rendered !== null && document.getElementById("status").textContent.trim() !== "", null, { timeout: 60000, polling: 10 });
  } catch { timedOut = true; }
  const shown = await page.evaluate(() => ({
    rendered: window.__bench.rendered,
    status: document.getElementById("status").textContent.trim(),
    links: [...document.querySelectorAll("#results a.result-link")].map((a) => new URL(a.href).pathname),
  }));
  const tShown = shown.rendered ?? Date.now();
  await idle(500 + delay, 120000);
  await page.close();
  await context.close();

  const after = srv.log.slice(mark);
  const query_ = after.filter((e) => e.t0 <= tShown);
  const later = after.filter((e) => e.t0 > tShown);
  const nq = net.slice(netMark);
  const netQuery = nq.filter((e) => e.start !== null && e.start <= tShown);
  const netLater = nq.filter((e) => e.start !== null && e.start > tShown);
  const sum = (xs, k) => xs.reduce((s, e) => s + e[k], 0);
  const w = waves(netQuery), wl = waves(nq);
  const ids = shown.links.map((p) => p.replace(/^\/incidents\//, "").replace(/\/(index\.html)?$/, ""));
  return {
    engine, q: query, timedOut, errors,
    failed: after.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.path}`),
    load: { bytes: sum(load, "bytes"), gzBytes: sum(load, "gzBytes"), requests: load.length, paths: load.map((e) => e.path) },
    query: { bytes: sum(query_, "bytes"), gzBytes: sum(query_, "gzBytes"), requests: query_.length, waves: w.waves, maxParallel: w.maxParallel,
      browserRequests: netQuery.length, ms: tShown - tQuery,
      timeline: netQuery.sort((a, b) => a.start - b.start).map((e) => [new URL(e.url).pathname, Math.round(e.start - tQuery), Math.round(e.end - tQuery)]), paths: query_.map((e) => `${e.path} ${e.bytes}`) },
    later: { bytes: sum(later, "bytes"), requests: later.length, browserRequests: netLater.length, paths: later.map((e) => `${e.path} ${e.bytes}`) },
    all: { bytes: sum(after, "bytes"), requests: after.length, waves: wl.waves },
    status: shown.status, ids,
  };
}

/* A whole cold visit from a shared link: navigation to the results on screen, then until the
 * network is idle (whatever the page fetches after the results counts too). */
async function measureVisit(browser, base, engine, query, srv, delay) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__bench = { rendered: null };
    document.addEventListener("DOMContentLoaded", () => {
      const obs = new MutationObserver(() => {
        if (window.__bench.rendered === null && document.querySelector("#results li") && document.getElementById("status").textContent.trim() !== "") window.__bench.rendered = Date.now();
      });
      obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
  });
  const net = [];
  const byReq = new Map();
  context.on("request", (r) => { const e = { url: r.url(), start: null, end: null }; byReq.set(r, e); net.push(e); });
  const done = (r) => { const e = byReq.get(r); if (!e) return; const t = r.timing(); e.start = t.startTime; e.end = t.responseEnd >= 0 ? t.startTime + t.responseEnd : Date.now(); };
  context.on("requestfinished", done);
  context.on("requestfailed", done);
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  const mark = srv.log.length;
  const url = (engine === "kb" ? base + "/search/" : base + "/" + PF_PAGE) + "?q=" + encodeURIComponent(query);
  const t0 = Date.now();
  let timedOut = false;
  await page.goto(url, { waitUntil: "commit" });
  try {
    await page.waitForFunction(() => window.__bench.rendered !== null, null, { timeout: 60000, polling: 10 });
  } catch { timedOut = true; }
  const tShown = (await page.evaluate(() => window.__bench.rendered)) ?? Date.now();
  const until = Date.now() + 120000;
  let quiet = Date.now();
  while (Date.now() < until) {
    await sleep(20);
    if (net.some((e) => e.end === null) || srv.log.slice(mark).some((e) => e.t1 === null)) { quiet = Date.now(); continue; }
    const last = Math.max(0, ...srv.log.slice(mark).map((e) => e.t1));
    if (Date.now() - Math.max(quiet, last) >= 500 + delay) break;
  }
  await page.close();
  await context.close();
  const got = srv.log.slice(mark);
  const sum = (xs, k) => xs.reduce((a, e) => a + e[k], 0);
  const shown = net.filter((e) => e.start !== null && e.start <= tShown);
  return {
    engine, q: query, timedOut, errors, failed: got.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.path}`),
    gz: sum(got, "gzBytes"), bytes: sum(got, "bytes"), requests: got.length,
    gzShown: sum(got.filter((e) => e.t0 <= tShown), "gzBytes"),
    waves: waves(net).waves, wavesShown: waves(shown).waves, ms: tShown - t0,
    paths: got.map((e) => `${e.path} ${e.gzBytes}`),
  };
}

function kbCli(corpus, q) {
  try {
    const out = execFileSync(KB, ["search", "--root", corpus, "--json", "-n", "10", "--", q], { encoding: "utf8", maxBuffer: 1 << 26 });
    const j = JSON.parse(out);
    return { total: j.total, didYouMean: j.did_you_mean, ids: j.hits.map((h) => h.id) };
  } catch (e) { return { error: String(e.stderr || e.message).slice(0, 500) }; }
}

async function run(o) {
  const corpus = path.resolve(o.corpus), site = path.resolve(o.site);
  const reps = +(o.reps || 3), buildReps = +(o.buildReps || 3), delay = +(o.delay ?? 40);
  const queries = o.queries.length ? o.queries : DEFAULT_QUERIES;
  const res = {
    label: o.label || path.basename(corpus), corpus, site, date: new Date().toISOString(), reps, delay, queries,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memGB: +(os.totalmem() / 2 ** 30).toFixed(1), load: os.loadavg(), kernel: os.release() },
    versions: {},
  };
  res.versions.kb = execFileSync(KB, ["--version"], { encoding: "utf8" }).trim();
  const kbStat = fs.statSync(KB);
  res.versions.kbBinary = execFileSync("sha256sum", [KB], { encoding: "utf8" }).slice(0, 12) + " built " + kbStat.mtime.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  res.versions.pagefind = execFileSync(PAGEFIND, ["--version"], { encoding: "utf8" }).trim();
  res.versions.node = process.version;
  res.corpusDocs = walk(path.join(corpus, "content")).filter((f) => f.path.endsWith(".md")).length;
  if (o.noBuild) {
    if (!fs.existsSync(path.join(site, "search/index.html"))) throw new Error("--no-build: no site at " + site);
    if (!fs.existsSync(path.join(site, PF_DIR, "pagefind.js"))) throw new Error("--no-build: no Pagefind index in " + site);
    res.kb = null; res.pagefind = null;
  } else {
    res.kb = kbBuild(corpus, site, buildReps);
    res.pagefind = pagefindIndex(site, buildReps);
  }
  writePagefindPage(site);

  const srv = await serve(site, delay);
  const base = `http://127.0.0.1:${srv.port}`;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  res.versions.chromium = browser.version();
  res.versions.playwright = JSON.parse(fs.readFileSync(path.join(HERE, "node_modules/playwright-core/package.json"), "utf8")).version;
  res.runs = [];
  try {
    for (const q of queries) {
      for (let i = 0; i < reps; i++) {
        for (const engine of i % 2 ? ["pagefind", "kb"] : ["kb", "pagefind"]) {
          const r = await measure(browser, base, engine, q, srv, delay);
          r.rep = i;
          res.runs.push(r);
          log(`${res.label} ${engine.padEnd(8)} ${JSON.stringify(q).padEnd(22)} #${i + 1}: ${(r.query.bytes / 1024).toFixed(1)} KB, ${r.query.requests} req, ${r.query.waves} waves, ${r.query.ms} ms` +
            (r.later.requests ? `; after results ${(r.later.bytes / 1024).toFixed(1)} KB, ${r.later.requests} req` : "") +
            (r.errors.length ? `; ${r.errors.length} console errors` : "") + (r.timedOut ? "; TIMED OUT" : ""));
        }
      }
    }
    res.visits = [];
    for (const q of queries) {
      for (let i = 0; i < reps; i++) {
        for (const engine of i % 2 ? ["pagefind", "kb"] : ["kb", "pagefind"]) {
          const v = await measureVisit(browser, base, engine, q, srv, delay);
          v.rep = i;
          res.visits.push(v);
          log(`${res.label} visit ${engine.padEnd(8)} ${JSON.stringify(q).padEnd(22)} #${i + 1}: ${(v.gz / 1024).toFixed(1)} KB gz, ${v.requests} req, ${v.waves} waves (${v.wavesShown} to the results), ${v.ms} ms` +
            (v.errors.length ? `; ${v.errors.length} console errors` : "") + (v.timedOut ? "; TIMED OUT" : ""));
        }
      }
    }
  } finally {
    await browser.close();
    srv.server.close();
  }
  res.cli = {};
  for (const q of queries) res.cli[q] = kbCli(corpus, q);
  const out = o.json || `static-search-${res.label}.json`;
  fs.writeFileSync(out, JSON.stringify(res, null, 1));
  log("wrote", out);
}

/* ------------------------------------------------------------------ report */

const KB_ = (b) => (b / 1024).toFixed(1);
const MB_ = (b) => (b / 2 ** 20).toFixed(1);
const fmt = (x, d = 0) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));

// What a request fetched, for the "where the bytes go" table.
function kind(p) {
  let m;
  if ((m = /\/search\/t\/\d+-\d+\.bin$/.exec(p))) return "tail";
  if ((m = /\/search\/([tpdm])\/\d+\.bin$/.exec(p))) return { t: "terms", p: "positions", d: "stubs", m: "meta" }[m[1]];
  if (/\/search\/f\/days\.bin$/.test(p)) return "days";
  if (/\/search\/f\/[tsv]\d+\.bin$/.test(p)) return "filter list";
  if (p.endsWith("/search/terms.bin")) return "dictionary";
  if (p.endsWith(".pf_fragment")) return "fragment";
  if (p.endsWith(".pf_index")) return "index";
  if (p.endsWith(".pf_meta")) return "meta";
  if (p.endsWith(".pagefind")) return "wasm";
  if (p.endsWith(".json")) return "entry";
  if (p.endsWith(".js")) return "js";
  return "other";
}
function breakdown(run) {
  const by = new Map();
  for (const e of run.query.paths) {
    const [p, b] = e.split(" ");
    const k = kind(p), x = by.get(k) || { n: 0, bytes: 0 };
    x.n++; x.bytes += +b; by.set(k, x);
  }
  return [...by].map(([k, x]) => `${k} ${x.n}× ${KB_(x.bytes)}`).join(", ");
}
// The waves as "5 terms → 1 tail → 10 stubs".
function waveShape(run) {
  const rs = run.query.timeline.map(([p, start, end]) => ({ p, start, end })).sort((a, b) => a.start - b.start);
  const out = [];
  let maxEnd = -Infinity, cur = null;
  for (const r of rs) {
    if (r.start > maxEnd - TOL) { cur = new Map(); out.push(cur); }
    const k = kind(r.p);
    cur.set(k, (cur.get(k) || 0) + 1);
    maxEnd = Math.max(maxEnd, r.end);
  }
  return out.map((w) => [...w].map(([k, n]) => `${n} ${k}`).join(" + ")).join(" → ");
}

function summarize(res, engine, q) {
  const rs = res.runs.filter((r) => r.engine === engine && r.q === q);
  const m = (f) => median(rs.map(f));
  const idsSame = rs.every((r) => JSON.stringify(r.ids) === JSON.stringify(rs[0].ids));
  return {
    bytes: m((r) => r.query.bytes), gzBytes: m((r) => r.query.gzBytes), requests: m((r) => r.query.requests),
    waves: m((r) => waves(r.query.timeline.map(([, start, end]) => ({ start, end }))).waves),
    maxParallel: m((r) => waves(r.query.timeline.map(([, start, end]) => ({ start, end }))).maxParallel), ms: m((r) => r.query.ms),
    laterBytes: m((r) => r.later.bytes), laterRequests: m((r) => r.later.requests),
    loadBytes: m((r) => r.load.bytes), loadGz: m((r) => r.load.gzBytes), loadRequests: m((r) => r.load.requests),
    errors: [...new Set(rs.flatMap((r) => r.errors.concat(r.failed)))], timedOut: rs.some((r) => r.timedOut),
    ids: rs[0]?.ids || [], status: rs[0]?.status, idsStable: idsSame, first: rs[0],
    spread: [Math.min(...rs.map((r) => r.query.bytes)), Math.max(...rs.map((r) => r.query.bytes))],
  };
}

function visitOf(res, engine, q) {
  const vs = (res.visits || []).filter((v) => v.engine === engine && v.q === q);
  const m = (f) => median(vs.map(f));
  return {
    gz: m((v) => v.gz), requests: m((v) => v.requests), waves: m((v) => v.waves), wavesShown: m((v) => v.wavesShown), ms: m((v) => v.ms),
    errors: [...new Set(vs.flatMap((v) => v.errors.concat(v.failed)))], timedOut: vs.some((v) => v.timedOut),
  };
}

function cliCheck(res, q, k) {
  const cli = res.cli?.[q];
  if (!cli || cli.error) return { same: "–", totalNote: null };
  const same = JSON.stringify(cli.ids) === JSON.stringify(k.ids) ? "yes"
    : `**no** (${k.ids.filter((x, i) => cli.ids[i] === x).length}/${cli.ids.length} in the same place)`;
  const shown = +(/^(?:more than )?(\d+) incident/.exec(k.status || "") || [])[1];
  const totalNote = Number.isFinite(shown) && shown !== cli.total && !/^more than/.test(k.status) ? `browser says ${shown}, \`kb search\` ${cli.total}` : null;
  return { same, totalNote };
}

function report(files) {
  const all = files.map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  const L = [];
  const r0 = all[0];
  L.push("# Static search: a cold first query in the browser, kb vs Pagefind");
  L.push("");
  L.push(`<!-- generated by bench/static-search/run.sh (bench.mjs report) -->`);
  L.push("");
  L.push("Reproduce: `bench/static-search/run.sh` (1k and 10k incidents; `bench/static-search/run.sh 1000 10000 100000` adds 100k). " +
    "It builds each corpus with the existing `target/release/kb` (never cargo), indexes the same output with Pagefind, and drives Debian's Chromium with playwright-core; " +
    "see the comments at the top of `run.sh` and `bench.mjs`. Corpora: `plain` is `bench/gen_corpus.py N DIR`, `long-tail` the same with `--long-tail` (a Zipf vocabulary with a long tail).");
  L.push("");
  L.push(`Measured ${r0.date.slice(0, 10)} on ${r0.machine.cores} cores (${r0.machine.cpu}), ${r0.machine.memGB} GB RAM, Linux ${r0.machine.kernel}; ` +
    `load average when each corpus started: ${all.map((r) => r.machine.load[0].toFixed(1)).join(", ")} (a shared VM: times move with other jobs). ` +
    `${r0.versions.kb} (binary ${[...new Set(all.map((r) => r.versions.kbBinary))].join("; then ")}), Pagefind ${r0.versions.pagefind.replace(/^pagefind /, "")}, Chromium ${r0.versions.chromium} via playwright-core ${r0.versions.playwright}, node ${r0.versions.node}. ` +
    `Medians of ${r0.reps} repetitions per query and engine, each in a fresh browser context (empty cache). ` +
    `The static server adds no compression and holds every response back ${r0.delay} ms (a stand-in for a network round trip). ` +
    `Bytes are response bodies as sent (kb's and Pagefind's index files are gzip already; Pagefind's worker JS is not, and \"gz\" columns show the bytes if the host gzipped JS/JSON/HTML). ` +
    `"Round trips" are waves of requests: a new wave starts when the browser issues a request after every earlier one has finished.`);
  L.push("");
  L.push("## Summary (median over the queries)");
  L.push("");
  L.push("Bytes and round trips of the query (page already loaded); \"visit\" adds the search page itself, with text gzipped by the host; \"after\" is kb's filter counts, fetched once the results are shown.");
  L.push("");
  L.push("| corpus | incidents | kb KB | kb round trips | kb after KB | Pagefind KB (gz) | Pagefind round trips | visit, gz: kb / Pagefind | kb index files / MB | Pagefind files / MB | `kb build` (whole) | Pagefind indexing | Pagefind peak RSS |");
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const res of all) {
    const ks = res.queries.map((q) => summarize(res, "kb", q)), ps = res.queries.map((q) => summarize(res, "pagefind", q));
    const kb = res.kb, pf = res.pagefind;
    const visit = (xs) => KB_(median(xs.map((x) => x.loadGz + x.gzBytes)));
    L.push(`| ${res.label} | ${res.corpusDocs} | ${KB_(median(ks.map((x) => x.bytes)))} | ${fmt(median(ks.map((x) => x.waves)))} | ${KB_(median(ks.map((x) => x.laterBytes)))} | ${KB_(median(ps.map((x) => x.bytes)))} (${KB_(median(ps.map((x) => x.gzBytes)))}) | ${fmt(median(ps.map((x) => x.waves)))} | ${visit(ks)} / ${visit(ps)} | ` +
      (kb ? `${kb.files} / ${MB_(kb.bytes)} | ${pf.files} / ${MB_(pf.bytes)} | ${fmt(kb.wall, 2)} s | ${fmt(pf.wall, 2)} s | ${fmt(pf.rssMB)} MB |` : "– | – | – | – | – |"));
  }
  L.push("");
  if (all.some((r) => r.visits)) {
    L.push("A whole cold visit from a shared link (`/search/?q=…` opened in an empty browser: the page, its scripts and styles, the query, and whatever the page fetches after the results, such as kb's filter counts), text gzipped as a host would; medians over the queries of each query's median:");
    L.push("");
    L.push("| corpus | incidents | kb KB | kb round trips | of which to the results | Pagefind KB | Pagefind round trips | of which to the results | kb / Pagefind |");
    L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const res of all.filter((r) => r.visits)) {
      const k = res.queries.map((q) => visitOf(res, "kb", q)), p = res.queries.map((q) => visitOf(res, "pagefind", q));
      const med = (xs, f) => median(xs.map(f));
      L.push(`| ${res.label} | ${res.corpusDocs} | ${KB_(med(k, (x) => x.gz))} | ${fmt(med(k, (x) => x.waves))} | ${fmt(med(k, (x) => x.wavesShown))} | ${KB_(med(p, (x) => x.gz))} | ${fmt(med(p, (x) => x.waves))} | ${fmt(med(p, (x) => x.wavesShown))} | ${(med(k, (x) => x.gz) / med(p, (x) => x.gz)).toFixed(2)} |`);
    }
    L.push("");
  }
  L.push("What makes the comparison unequal (read before the numbers):");
  L.push("");
  L.push("- **Different documents.** kb indexes the postmortem's fields (title, symptoms, summary, contributing factors, body) from the Markdown, through tantivy; " +
    "Pagefind indexes the rendered HTML. Pagefind was given only the incident pages (`" + PF_ARGS.join(" ") + "`), so both index the same 1 document per incident, " +
    "and Pagefind also sees the metadata panel (severity, dates, durations, services, tags, impact, trigger, detection) that kb keeps in fields of its own. " +
    "Run over the whole site with defaults, Pagefind would also index the tag, service and list pages and each incident's related-incident titles.");
  L.push("- **Different query semantics.** kb ranks every word with BM25 (a document need not hold all of them), expands synonyms (built-in and from `site.toml`, " +
    "e.g. `503` ↔ \"service unavailable\", `disk full` ↔ \"no space left\", phrases exported as postings of their own) and corrects unknown words (\"did you mean\"). " +
    "Pagefind requires every word it knows, silently drops words it does not know (or matches them to a prefix), and has no `tag:` syntax: " +
    "`tag:replication` is just text to it (its filters need `data-pagefind-filter` markup, which kb's theme does not emit). " +
    "So \"matches\" and the top 10 are not comparable for relevance; the overlap column only shows how different they are.");
  L.push("- **Engine code.** kb's engine (stem.js, search.js, search-page.js) and its manifest are inline in the search page, so they load with it, before the query; " +
    "Pagefind's pagefind.js loads with the page but its worker (43 KB JS), WebAssembly (~60 KB) and entry/meta files come with the first query, so they are in its query columns. " +
    "The page-load table shows both halves; the whole-visit tables count everything from the navigation on.");
  L.push("- **Typing.** The query is put into `#q` with Playwright's `fill` (one input event, like a paste). kb's page searches 80 ms after the last input event; " +
    "typing key by key with pauses over 80 ms would run searches for the prefixes too (more requests). Pagefind's bench page calls `pagefind.search()` on the input event, then `data()` of the top 10 in parallel.");
  L.push("- **Filter counts.** kb's page counts the filters over the results shown, from their stubs (nothing fetched), and says so; counting every match (the `m/` files) happens only when the reader asks, so no run here does it. " +
    "The \"kb after\" column shows anything the page fetched after the results anyway (nothing, with this kb). Pagefind's bench page shows no filters.");
  L.push("- **Round trips** are counted from the browser's view (when each request was issued), so HTTP/1.1's limit of 6 connections per host, which queued the 7th–10th stub or fragment " +
    "requests here, does not add round trips; on an HTTP/2 host those run in parallel. The " + r0.delay + " ms per response is there so that requests of one wave overlap clearly.");
  L.push("- **Times** (query to results, indexing) are from a small shared VM and move with its load; bytes, requests and round trips are deterministic for a given index.");
  L.push("");
  for (const res of all) {
    L.push(`## ${res.label}: ${res.corpusDocs} incidents`);
    L.push("");
    L.push("From the moment the query is put in the box until the top 10 results are on screen, after the search page has loaded " +
      "(the page load itself is in the next table). \"kb after\" is what kb's page fetched once the results were shown (the filter counts beside them), not included in the kb columns.");
    L.push("");
    L.push("| query | kb KB | kb requests | kb round trips | Pagefind KB | Pagefind requests | Pagefind round trips | Pagefind KB, gz JS | kb after: KB / req | matches kb | matches Pagefind | kb top 10 = `kb search` | top-10 overlap |");
    L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|:--:|---:|");
    const notes = [];
    for (const q of res.queries) {
      const k = summarize(res, "kb", q), p = summarize(res, "pagefind", q);
      const { same, totalNote } = cliCheck(res, q, k);
      if (totalNote) notes.push(`- kb \`${q}\`: ${totalNote}`);
      const overlap = k.ids.filter((x) => p.ids.includes(x)).length;
      const st = (s) => (s.status || "").replace(/\s+/g, " ").replace(/ \(\d+ unfiltered\)/, "").slice(0, 70);
      L.push(`| \`${q}\` | ${KB_(k.bytes)} | ${fmt(k.requests)} | ${fmt(k.waves)} | ${KB_(p.bytes)} | ${fmt(p.requests)} | ${fmt(p.waves)} | ${KB_(p.gzBytes)} | ${KB_(k.laterBytes)} / ${fmt(k.laterRequests)} | ${st(k)} | ${st(p)} | ${same} | ${overlap}/10 |`);
    }
    L.push("");
    L.push(`Time from the query to the results on screen (median ms; ${res.delay} ms per request; kb's page waits 80 ms after the last keystroke before it searches, included; ` +
      "Pagefind's bench page searches at once) and the widest wave (requests in flight together; above 6 an HTTP/1.1 host queues them):");
    L.push("");
    L.push("| query | kb ms | Pagefind ms | kb widest wave | Pagefind widest wave |");
    L.push("|---|---:|---:|---:|---:|");
    for (const q of res.queries) {
      const k = summarize(res, "kb", q), p = summarize(res, "pagefind", q);
      L.push(`| \`${q}\` | ${fmt(k.ms)} | ${fmt(p.ms)} | ${fmt(k.maxParallel)} | ${fmt(p.maxParallel)} |`);
    }
    L.push("");
    L.push("Where the bytes go (files by kind: count × KB) and the round trips in order (first repetition):");
    L.push("");
    L.push("| query | kb files | kb round trips | Pagefind files | Pagefind round trips |");
    L.push("|---|---|---|---|---|");
    for (const q of res.queries) {
      const k = summarize(res, "kb", q).first, p = summarize(res, "pagefind", q).first;
      L.push(`| \`${q}\` | ${breakdown(k)} | ${waveShape(k)} | ${breakdown(p)} | ${waveShape(p)} |`);
    }
    L.push("");
    if (res.visits) {
      L.push("Whole cold visits from a shared link (`/search/?q=…` in an empty browser; gz: text as a host would gzip it; median of the repetitions; round trips from the navigation, all of them and those before the results were on screen):");
      L.push("");
      L.push("| query | kb KB | kb requests | kb round trips | kb to the results | Pagefind KB | Pagefind requests | Pagefind round trips | Pagefind to the results |");
      L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (const q of res.queries) {
        const k = visitOf(res, "kb", q), p = visitOf(res, "pagefind", q);
        L.push(`| \`${q}\` | ${KB_(k.gz)} | ${fmt(k.requests)} | ${fmt(k.waves)} | ${fmt(k.wavesShown)} | ${KB_(p.gz)} | ${fmt(p.requests)} | ${fmt(p.waves)} | ${fmt(p.wavesShown)} |`);
      }
      L.push("");
    }
    const kq = summarize(res, "kb", res.queries[0]), pq = summarize(res, "pagefind", res.queries[0]);
    L.push("The search page before any query, and a whole cold visit (page + first query, gz if the host gzips text):");
    L.push("");
    L.push("| | page load | requests | page + `" + res.queries[0] + "` |");
    L.push("|---|---:|---:|---:|");
    L.push(`| kb \`/search/\` (HTML with the inlined manifest, style.css, stem.js, search.js, search-page.js) | ${KB_(kq.loadBytes)} KB (gz ${KB_(kq.loadGz)} KB) | ${fmt(kq.loadRequests)} | ${KB_(kq.loadBytes + kq.bytes)} KB (gz ${KB_(kq.loadGz + kq.gzBytes)} KB) |`);
    L.push(`| Pagefind \`/${PF_PAGE}\` (a bare page importing pagefind.js; its worker and wasm come with the first query) | ${KB_(pq.loadBytes)} KB (gz ${KB_(pq.loadGz)} KB) | ${fmt(pq.loadRequests)} | ${KB_(pq.loadBytes + pq.bytes)} KB (gz ${KB_(pq.loadGz + pq.gzBytes)} KB) |`);
    L.push("");
    if (res.kb && res.pagefind) {
      const kb = res.kb, pf = res.pagefind;
      L.push("The static index:");
      L.push("");
      L.push("| | files | size | indexing time | peak RSS |");
      L.push("|---|---:|---:|---:|---:|");
      L.push(`| kb (\`search/\` minus its index.html: ${Object.entries(kb.byDir).map(([d, n]) => `${d} ${n}`).join(", ")}) | ${kb.files} | ${MB_(kb.bytes)} MB | whole \`kb build\` ${fmt(kb.wall, 2)} s (exporting the search index: ${fmt(kb.exportStage, 2)} s) | ${fmt(kb.rssMB)} MB |`);
      L.push(`| Pagefind (\`${PF_DIR}/\`: ${Object.entries(pf.byKind).map(([k, v]) => `${k} ${v.files}`).join(", ")}) | ${pf.files} | ${MB_(pf.bytes)} MB | ${fmt(pf.wall, 2)} s, after the build (${pf.pages} pages, ${pf.words} words) | ${fmt(pf.rssMB)} MB |`);
      L.push("");
      L.push(`kb's search page is ${KB_(kb.searchPageBytes)} KB of HTML (manifest inlined) and ${KB_(kb.jsBytes)} KB of JS (uncompressed); ` +
        `\`kb build\` wrote ${kb.pages} HTML pages. Times are medians of ${kb.runs.length} runs into an empty directory on tmpfs (kb: ${kb.runs.map((r) => r.wall.toFixed(2)).join(", ")} s; ` +
        `Pagefind: ${pf.runs.map((r) => r.wall.toFixed(2)).join(", ")} s).`);
      L.push("");
    }
    for (const q of res.queries) {
      for (const e of ["kb", "pagefind"]) {
        const s = summarize(res, e, q);
        if (s.errors.length) notes.push(`- ${e} \`${q}\`: ${s.errors.slice(0, 3).join("; ").slice(0, 400)}`);
        if (s.timedOut) notes.push(`- ${e} \`${q}\`: results did not appear within 60 s`);
        if (!s.idsStable) notes.push(`- ${e} \`${q}\`: the top 10 differed between repetitions`);
        if (s.spread[0] !== s.spread[1]) notes.push(`- ${e} \`${q}\`: bytes varied between repetitions (${KB_(s.spread[0])}–${KB_(s.spread[1])} KB)`);
      }
      for (const e of ["kb", "pagefind"]) {
        const v = visitOf(res, e, q);
        if (v.errors.length) notes.push(`- ${e} visit \`${q}\`: ${v.errors.slice(0, 3).join("; ").slice(0, 400)}`);
        if (v.timedOut) notes.push(`- ${e} visit \`${q}\`: results did not appear within 60 s`);
      }
      const cli = res.cli?.[q];
      if (cli?.error) notes.push(`- \`kb search ${q}\` failed: ${cli.error}`);
    }
    if (notes.length) { L.push("Console errors, failed requests, disagreements, instability:"); L.push(""); L.push(...notes); L.push(""); }
    else { L.push("No console errors or failed requests on either page; the top 10 was the same in every repetition."); L.push(""); }
  }
  return L.join("\n");
}

/* `visit --site OUT [--reps 3] [--delay 40] [--query Q]...`: kb's whole cold visits alone, over
 * a site already built (for 100,000 incidents, where Pagefind is not run); one JSON line each. */
async function visitOnly(o) {
  const site = path.resolve(o.site), reps = +(o.reps || 3), delay = +(o.delay ?? 40);
  const srv = await serve(site, delay);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    for (const q of o.queries.length ? o.queries : DEFAULT_QUERIES) {
      for (let i = 0; i < reps; i++) {
        const v = await measureVisit(browser, `http://127.0.0.1:${srv.port}`, "kb", q, srv, delay);
        console.log(JSON.stringify({ ...v, rep: i }));
      }
    }
  } finally {
    await browser.close();
    srv.server.close();
  }
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "run") await run(parseArgs(rest));
else if (cmd === "visit") await visitOnly(parseArgs(rest));
else if (cmd === "report") console.log(report(rest));
else { console.error("usage: node bench.mjs run --corpus DIR --site OUT --label NAME [...] | node bench.mjs report a.json ..."); process.exit(2); }
