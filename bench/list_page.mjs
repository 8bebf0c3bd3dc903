// The first page of /incidents/ in headless Chromium, cold (a fresh browser context each run):
// what it weighs (HTML, CSS, JS, the list's data; as sent by a plain static server, and
// gzipped as most hosts send them) and how long until the list is readable
// (DOMContentLoaded) and until its filters work (js/list.js has drawn them from list.json),
// then how long the first filter takes to show (fetching every incident's row included).
// Medians of RUNS.
//
//     npm ci --prefix tests/browser
//     node bench/list_page.mjs SITE_DIR [RUNS]
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { serveSite, launch } from "../tests/browser/site.mjs";

const [site, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const { server, base } = await serveSite(site);
const browser = await launch();
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const samples = [];
for (let r = 0; r < runs; r++) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  // When the controls appear, by the page's own clock.
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      const c = document.getElementById("list-controls");
      if (c && !c.hidden) { window.__ready = performance.now(); obs.disconnect(); }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
  const files = [];
  page.on("response", async (res) => {
    try { const b = await res.body(); files.push({ url: res.url().slice(base.length), raw: b.length, gz: zlib.gzipSync(b).length }); } catch { /* redirects have no body */ }
  });
  await page.goto(base + "/incidents/", { waitUntil: "load" });
  const hasControls = await page.evaluate(() => !!document.getElementById("list-controls"));
  if (hasControls) await page.waitForFunction(() => window.__ready !== undefined, null, { timeout: 60000 });
  // What the first page fetched by itself (bodies arrive asynchronously), before any filter.
  await page.waitForTimeout(300);
  const first = files.slice();
  const t = await page.evaluate(async () => {
    const nav = performance.getEntriesByType("navigation")[0];
    const out = { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, ready: window.__ready ?? null, filter: null };
    const sel = document.getElementById("lf-tag");
    if (sel) {
      // The first filter: fetching every incident's row, filtering and drawing the list.
      const t0 = performance.now();
      sel.value = sel.options[1].value;
      sel.dispatchEvent(new Event("change"));
      const results = document.getElementById("list-results");
      while (results.hidden) await new Promise((r) => requestAnimationFrame(r));
      out.filter = performance.now() - t0;
    }
    return out;
  });
  await page.waitForTimeout(200);
  samples.push({ ...t, raw: first.reduce((a, f) => a + f.raw, 0), gz: first.reduce((a, f) => a + f.gz, 0), files: first });
  await ctx.close();
}
const pick = (k) => (samples[0][k] === null ? null : Math.round(median(samples.map((s) => s[k])) * 10) / 10);
const report = {
  runs,
  files: samples[0].files.map((f) => `${f.url} ${f.raw} B (gzip ${f.gz} B)`),
  // Fetched only by the first filter (not part of the first page).
  rowsFile: (() => { const f = path.join(site, "incidents/list.json"); if (!fs.existsSync(f)) return null; const b = fs.readFileSync(f); return `${b.length} B (gzip ${zlib.gzipSync(b).length} B)`; })(),
  weightKB: Math.round(median(samples.map((s) => s.raw)) / 1024),
  weightGzipKB: Math.round(median(samples.map((s) => s.gz)) / 1024),
  domContentLoadedMs: pick("dcl"),
  loadMs: pick("load"),
  filtersReadyMs: pick("ready"),
  firstFilterMs: pick("filter"),
};
await browser.close();
server.close();
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
