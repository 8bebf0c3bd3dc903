// Save → new content visible in headless Chromium, for `kb serve` (issue 17, point 5).
//
//   node bench/serve_browser_latency.mjs CORPUS [ROUNDS]    # e.g. a copy of a 10,000 corpus, 5
//
// Needs `npm ci --prefix tests/browser` (playwright-core) and target/release/kb (or KB=path).
// Edits the first postmortem of CORPUS (sorted path order) in place and restores it, so run it
// on a generated corpus. Starts `kb serve` on a free port and opens two tabs with its live
// reload: the postmortem's page, and the page of the tag `bench-quick` (its 404 page until the
// tag is added). Each round makes four edits, one at a time:
//   - tag added: `bench-quick` added to its tags (a tag of its own: one it has may also be
//     inferred from its text, and stay), timed until the incident page links the tag and the
//     tag page lists the incident;
//   - tag removed: back to the original, timed until the incident page no longer links it;
//   - title: a new `title:`, timed until the incident page's title is the new one;
//   - title back: the original again, timed the same way.
// Each is timed from just before the write until the tab shows it (each tab is asked every
// 5 ms; a reloading tab is asked again once it answers). After each edit the script waits for
// kb's whole-site rebuild to end (its "Rebuilt" line) and 0.5 s more, so the rebuild never
// runs during the next measurement. Prints each edit, the medians, kb's own time for the quick
// pages ("Updated … in N ms": a tag edit's pages of big tags and services come in a second
// step, logged only when their bytes changed) and the load average before and after.
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "browser", "package.json"));
const { chromium } = require("playwright-core");

const [corpus, roundsArg] = process.argv.slice(2);
if (!corpus) {
  console.error("usage: node bench/serve_browser_latency.mjs CORPUS [ROUNDS]");
  process.exit(2);
}
const rounds = Number(roundsArg || 5);
const kb = process.env.KB || path.join(here, "..", "target", "release", "kb");
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
const tag = "bench-quick";
const withTag = original.replace(tagsLine[0], `tags: [${tagsLine[1]}, "${tag}"]`);
const retitled = (t) => original.replace(/^title: .*$/m, `title: "${t}"`);
const originalTitle = JSON.parse(original.match(/^title: (.*)$/m)[1]);
const load = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const server = spawn(kb, ["serve", "--port", "0", "--root", corpus], { stdio: ["ignore", "ignore", "pipe"] });
const log = [];
let buf = "";
server.stderr.on("data", (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    log.push(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
  }
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lines = (re) => log.filter((l) => re.test(l));
while (!lines(/^Serving http:\/\//).length) {
  if (server.exitCode !== null) throw new Error(`kb serve stopped: ${log.join("\n")}`);
  await sleep(100);
}
const base = lines(/^Serving http:\/\//)[0].match(/(http:\/\/\S+\/)/)[1];

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
const tagPage = await open(`${base}tags/${tag}/`);

// Milliseconds from t0 until `check(arg)` holds in `page`. A tab that is reloading answers
// nothing until its new document runs: each question is given up after 1 s and asked again.
const until = async (page, check, arg, t0) => {
  for (;;) {
    const answer = await Promise.race([
      page.evaluate(check, arg).catch(() => false),
      sleep(1000).then(() => false),
    ]);
    if (answer) return performance.now() - t0;
    if (performance.now() - t0 > 120000) throw new Error(`not shown in 120 s: ${check}`);
    await sleep(5);
  }
};
const hasTag = ([t, want]) =>
  [...document.querySelectorAll("a.tag")].some((a) => a.getAttribute("href").endsWith(`/tags/${t}/`)) === want;
const hasCard = (i) =>
  [...document.querySelectorAll(".incident-list a.incident-title")].some((a) => a.getAttribute("href").endsWith(`/incidents/${i}/`));
const titled = (t) => document.title.startsWith(t);

// Writes `text` and returns when kb's whole-site rebuild of it has ended (and 0.5 s more).
const rebuilds = () => lines(/^Rebuilt /).length;
const settle = async (before) => {
  const start = performance.now();
  while (rebuilds() <= before) {
    if (performance.now() - start > 600000) throw new Error("no rebuild in 600 s");
    await sleep(20);
  }
  await sleep(500);
};

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const results = { tagIncident: [], tagPage: [], untag: [], title: [] };
const loadBefore = load();
const quickFrom = lines(/^Updated /).length;
try {
  for (let r = 0; r < rounds; r++) {
    let before = rebuilds();
    let t0 = performance.now();
    fs.writeFileSync(file, withTag);
    const [a, b] = await Promise.all([until(incident, hasTag, [tag, true], t0), until(tagPage, hasCard, id, t0)]);
    results.tagIncident.push(a);
    results.tagPage.push(b);
    await settle(before);

    before = rebuilds();
    t0 = performance.now();
    fs.writeFileSync(file, original);
    const c = await until(incident, hasTag, [tag, false], t0);
    results.untag.push(c);
    await settle(before);

    const titles = [];
    for (const [text, title] of [[retitled(`Browser bench ${r} ${Date.now()}`), null], [original, originalTitle]]) {
      before = rebuilds();
      t0 = performance.now();
      fs.writeFileSync(file, text);
      const t = await until(incident, titled, title ?? text.match(/^title: "(.*)"$/m)[1], t0);
      results.title.push(t);
      titles.push(t);
      await settle(before);
    }
    console.log(`round ${r}: tag added: incident page ${a.toFixed(0)} ms, tag page ${b.toFixed(0)} ms; ` +
      `tag removed: incident page ${c.toFixed(0)} ms; title: ${titles.map((t) => t.toFixed(0)).join(", ")} ms`);
  }
} finally {
  fs.writeFileSync(file, original);
  await browser.close();
  server.kill();
}
const quick = log.slice().filter((l) => /^Updated /.test(l)).slice(quickFrom).map((l) => l.match(/^Updated (.*) in (\d+) ms/));
// A tag edit's first step names its incident page and others; a title edit, that page only;
// the pages of big tags and services come in a step of their own (when their bytes changed).
const kbTag = quick.filter((m) => m[1].includes("/incidents/") && m[1].includes(", ")).map((m) => Number(m[2]));
const kbTitle = quick.filter((m) => !m[1].includes(", ")).map((m) => Number(m[2]));
const kbBig = quick.filter((m) => !m[1].includes("/incidents/")).map((m) => Number(m[2]));
const builds = lines(/^Rebuilt \d+ incidents in \d+ ms/).map((l) => Number(l.match(/in (\d+) ms/)[1]));
const f = (x) => (Number.isNaN(x) ? "-" : x.toFixed(0));
console.log(`${files.length} postmortems, ${rounds} rounds; medians, save → visible: ` +
  `tag added ${f(median(results.tagIncident))} ms on the incident page, ${f(median(results.tagPage))} ms on the tag page; ` +
  `tag removed ${f(median(results.untag))} ms; title ${f(median(results.title))} ms. ` +
  `kb's part: tag edits ${f(median(kbTag))} ms (big tag and service pages changed ${kbBig.length} times, ${f(median(kbBig))} ms), ` +
  `title edits ${f(median(kbTitle))} ms; ` +
  `whole rebuild ${f(median(builds.slice(1)))} ms. Load average before ${loadBefore}, after ${load()}`);
