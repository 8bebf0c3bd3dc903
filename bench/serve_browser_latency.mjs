// Save → new content visible in headless Chromium, for `kb serve` (issue 17, point 5).
//
//   node bench/serve_browser_latency.mjs CORPUS [EDITS]    # e.g. /dev/shm/c10k 10
//
// Needs `npm ci --prefix tests/browser` (playwright-core) and target/release/kb. Edits the
// first postmortem of CORPUS in place (sorted path order) and restores it, so run it on a
// generated corpus. Starts `kb serve` on a free port, opens two tabs: the postmortem's page and
// the page of the tag `bench-quick` (a 404 page until the first tag edit). Then EDITS times each of:
//   - title: rewrites its `title:` line;
//   - tag: adds the tag `bench-quick`, then (next edit) takes it out;
// and measures, from just before the write, until each tab shows the new content: the page's
// title (title edit), the tag's link on the incident page and the incident's card on the tag
// page (tag edit). Every tab is polled every 2 ms. After each edit it waits for the whole-site
// rebuild to end (kb's "Rebuilt" line) and 0.5 s more. Prints each edit and the medians, with
// kb's own time for the quick pages ("Updated … in N ms").
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "browser", "package.json"));
const { chromium } = require("playwright-core");

const [corpus, editsArg] = process.argv.slice(2);
const edits = Number(editsArg || 10);
const kb = path.join(here, "..", "target", "release", "kb");
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".md")) files.push(p);
  }
})(path.join(corpus, "content"));
files.sort();
const file = files[0];
const original = fs.readFileSync(file, "utf8");
const id = original.match(/^id: *"?([^"\n]+)"?$/m)[1];
const tagsLine = original.match(/^tags: \[(.*)\]$/m);
// A tag of its own (one it has could also be inferred from its text, and stay).
const tag = "bench-quick";
const withTag = original.replace(tagsLine[0], `tags: [${tagsLine[1]}, "${tag}"]`);

const server = spawn(kb, ["serve", "--port", "0", "--root", corpus], { stdio: ["ignore", "ignore", "pipe"] });
const log = [];
let onLine = () => {};
let buf = "";
server.stderr.on("data", (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    log.push(line);
    onLine(line);
  }
});
const lineMatching = (re) => new Promise((resolve) => {
  const seen = log.find((l) => re.test(l));
  if (seen) return resolve(seen);
  onLine = (l) => { if (re.test(l)) { onLine = () => {}; resolve(l); } };
});
const base = (await lineMatching(/^Serving http:\/\//)).match(/(http:\/\/\S+\/)/)[1];

const browser = await chromium.launch({
  executablePath: process.env.KB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const open = async (url) => {
  const page = await browser.newPage();
  const connected = page.waitForResponse((r) => r.url().endsWith("/__kb/events"));
  await page.goto(url);
  await connected;
  return page;
};
const incident = await open(`${base}incidents/${id}/`);
const tagPage = await open(`${base}tags/${encodeURIComponent(tag)}/`);

// Time from t0 until `check` is true in `page` (the page may be reloading meanwhile).
const until = async (page, check, arg, t0) => {
  for (;;) {
    try {
      if (await page.evaluate(check, arg)) return performance.now() - t0;
    } catch { /* navigating */ }
    if (performance.now() - t0 > 120000) throw new Error("not shown in 120 s");
    await new Promise((r) => setTimeout(r, 2));
  }
};
const hasTag = (t) => [...document.querySelectorAll("a.tag")].some((a) => a.getAttribute("href").endsWith(`/tags/${t}/`));
const hasCard = (i) => [...document.querySelectorAll("li.incident-item a")].some((a) => a.getAttribute("href").endsWith(`/incidents/${i}/`));
const titled = (t) => document.title.startsWith(t);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const results = { title: [], tagIncident: [], tagPage: [] };
const count = () => log.filter((l) => l.startsWith("Rebuilt")).length;
const rebuilt = () => {
  const n = count();
  return (async () => { while (count() <= n) await new Promise((r) => setTimeout(r, 20)); })();
};
try {
  for (let i = 0; i < edits; i++) {
    // A title edit.
    const title = `Browser bench edit ${i} ${Date.now()}`;
    let done = rebuilt();
    let t0 = performance.now();
    fs.writeFileSync(file, original.replace(/^title: .*$/m, `title: "${title}"`));
    results.title.push(await until(incident, titled, title, t0));
    await done;
    await new Promise((r) => setTimeout(r, 500));

    // A tag edit: in on even edits, out again on odd ones (the title restored either way).
    const present = i % 2 === 0;
    done = rebuilt();
    t0 = performance.now();
    fs.writeFileSync(file, present ? withTag : original);
    // The tag page is timed on the edit that removes the tag (it exists then).
    const [a, b] = await Promise.all([
      until(incident, (x) => hasTag(x[0]) === x[1], [tag, present], t0),
      present ? Promise.resolve(NaN) : until(tagPage, (x) => hasCard(x[0]) === x[1], [id, present], t0),
    ]);
    if (present) await tagPage.goto(`${base}tags/${tag}/`);
    results.tagIncident.push(a);
    if (!present) results.tagPage.push(b);
    console.log(`edit ${i}: title ${results.title[i].toFixed(0)} ms; tag ${present ? "added" : "removed"}: incident page ${a.toFixed(0)} ms, tag page ${b.toFixed(0)} ms`);
    await done;
    await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  fs.writeFileSync(file, original);
  await browser.close();
  server.kill();
}
const quick = log.map((l) => l.match(/^Updated (.*) in (\d+) ms/)).filter(Boolean);
const kbTitle = quick.filter((m) => !m[1].includes(", ")).map((m) => Number(m[2]));
const kbTag = quick.filter((m) => m[1].includes("/tags/")).map((m) => Number(m[2]));
const builds = log.map((l) => l.match(/^Rebuilt \d+ incidents in (\d+) ms/)).filter(Boolean).map((m) => Number(m[1]));
console.log(`${files.length} postmortems, ${edits} edits each, medians: ` +
  `title edit → visible ${median(results.title).toFixed(0)} ms (kb's part ${kbTitle.length ? median(kbTitle) : "-"} ms); ` +
  `tag edit → visible on the incident page ${median(results.tagIncident).toFixed(0)} ms, on the tag page ${median(results.tagPage).toFixed(0)} ms ` +
  `(kb's part ${kbTag.length ? median(kbTag) : "-"} ms); whole rebuild ${builds.length > 1 ? median(builds.slice(1)) : "-"} ms`);
