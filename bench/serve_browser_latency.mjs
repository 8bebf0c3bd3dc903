// Save → new content visible in headless Chromium, for `kb serve` (issue 17, point 5).
//
//   node bench/serve_browser_latency.mjs CORPUS [ROUNDS]    # e.g. a copy of a 10,000 corpus, 5
//
// Needs `npm ci --prefix tests/browser` (playwright-core) and target/release/kb (or KB=path).
// Edits the first postmortem of CORPUS (sorted path order) in place and restores it, so run it
// on a generated corpus. Starts `kb serve` on a free port and opens two tabs with its live
// reload: the postmortem's page, and the page of the tag `bench-quick` (its 404 page until the
// tag is added); BENCH_TABS=incident or BENCH_TABS=tag opens only that one, as a reader looks
// at one page (two browsers reloading at once share the cores). Each round makes four edits,
// one at a time (with the tag page alone, the two tag edits):
//   - tag added: `bench-quick` added to its tags (a tag of its own: one it has may also be
//     inferred from its text, and stay), timed until the incident page links the tag and the
//     tag page lists the incident;
//   - tag removed: back to the original, timed until the incident page no longer links it;
//   - title: a new `title:`, timed until the incident page's title is the new one;
//   - title back: the original again, timed the same way.
// Each is timed from just before the write until the tab shows it: to the first animation
// frame of the new document (it is painted right after), read from the page's own clock; also
// to when the new document started loading, and to when this script's questions (every 5 ms;
// a reloading tab is asked again once it answers) saw it, which adds their own delay. After each edit the script waits for
// kb's whole-site rebuild to end (its "Rebuilt" line) and 0.5 s more, so the rebuild never
// runs during the next measurement. Prints each edit, the medians, kb's own time for the quick
// pages ("Updated … in N ms": a tag edit's own page comes first, then the pages it appears on,
// then, logged only when their bytes changed, the pages of its big tags and services) and the
// load average before and after.
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

// One browser for each tab: a tab that is not in front gets no animation frames in headless
// Chromium, and its first frame would come late. CSP aside, so the armed check can run.
const browsers = [];
const open = async (url) => {
  const browser = await chromium.launch({
    executablePath: process.env.KB_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  browsers.push(browser);
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  // In every new document of the tab, each animation frame until the page has loaded asks the
  // check armed for the current edit (kept in sessionStorage, which outlives reloads); the
  // first frame where it holds is recorded, in the page's own clock. The frame is painted
  // right after: that is when the edit shows, whatever later reloads (the whole rebuild's)
  // bring.
  await page.addInitScript(() => {
    const look = () => {
      const frame = performance.now();
      try {
        const c = JSON.parse(sessionStorage.getItem("kbCheck") || "null");
        if (!c || sessionStorage.getItem("kbSeen")) return;
        if ((0, eval)(`(${c.src})`)(c.arg)) {
          sessionStorage.setItem("kbSeen", JSON.stringify({ origin: performance.timeOrigin, frame }));
          return;
        }
      } catch (_) { /* the DOM is not there yet */ }
      if (document.readyState !== "complete" || frame < 1000) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
  const connected = page.waitForResponse((r) => r.url().endsWith("/__kb/events"));
  await page.goto(url);
  await connected;
  return page;
};
// BENCH_TABS=incident or tag opens that tab alone (as a reader looks at one page), so the
// two browsers do not share the cores while both reload; the default opens both.
const tabs = process.env.BENCH_TABS || "both";
if (!["both", "incident", "tag"].includes(tabs)) throw new Error(`BENCH_TABS=${tabs}: both, incident or tag`);
const incident = tabs === "tag" ? null : await open(`${base}incidents/${id}/`);
const tagPage = tabs === "incident" ? null : await open(`${base}tags/${tag}/`);

// Arms the check of the next edit in `page` (see `open`).
const arm = (page, check, arg) =>
  page.evaluate(([src, a]) => {
    sessionStorage.setItem("kbCheck", JSON.stringify({ src, arg: a }));
    sessionStorage.removeItem("kbSeen");
  }, [check.toString(), arg]);

// From the save (t0 from performance.now(), w0 from Date.now(), taken together) until
// `check(arg)` holds in `page`: `polled`, when a question from here saw it; `nav`, when the
// new document started loading; `frame`, its first frame (both from the page's own clock,
// `performance.timeOrigin`, which counts from the same epoch as Date.now()). A tab that is
// reloading answers nothing until its new document runs: each question is given up after 1 s
// and asked again.
const until = async (page, check, arg, t0, w0) => {
  for (;;) {
    const answer = await Promise.race([
      page.evaluate(check, arg).catch(() => false),
      sleep(1000).then(() => false),
    ]);
    if (answer) {
      const polled = performance.now() - t0;
      // The page can answer before its first frame: the frame is waited for.
      for (let k = 0; k < 200; k++) {
        const seen = await page.evaluate(() => JSON.parse(sessionStorage.getItem("kbSeen") || "null")).catch(() => null);
        if (seen) return { polled, nav: seen.origin - w0, frame: seen.origin + seen.frame - w0 };
        await sleep(5);
      }
      return { polled, nav: NaN, frame: NaN };
    }
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
// kb's "Updated … in N ms" lines of each edit, by kind.
const steps = { tag: [], title: [] };
const loadBefore = load();
const none = { frame: NaN, nav: NaN, polled: NaN };
try {
  for (let r = 0; r < rounds; r++) {
    let before = rebuilds();
    let from = log.length;
    await Promise.all([incident && arm(incident, hasTag, [tag, true]), tagPage && arm(tagPage, hasCard, id)]);
    let [t0, w0] = [performance.now(), Date.now()];
    fs.writeFileSync(file, withTag);
    const [a, b] = await Promise.all([
      incident ? until(incident, hasTag, [tag, true], t0, w0) : none,
      tagPage ? until(tagPage, hasCard, id, t0, w0) : none,
    ]);
    results.tagIncident.push(a);
    results.tagPage.push(b);
    await settle(before);
    steps.tag.push(log.slice(from));

    before = rebuilds();
    from = log.length;
    let c = none;
    [t0, w0] = [performance.now(), Date.now()];
    if (incident) {
      await arm(incident, hasTag, [tag, false]);
      [t0, w0] = [performance.now(), Date.now()];
      fs.writeFileSync(file, original);
      c = await until(incident, hasTag, [tag, false], t0, w0);
    } else fs.writeFileSync(file, original);
    results.untag.push(c);
    await settle(before);
    steps.tag.push(log.slice(from));

    const titles = [];
    for (const [text, title] of incident ? [[retitled(`Browser bench ${r} ${Date.now()}`), null], [original, originalTitle]] : []) {
      before = rebuilds();
      from = log.length;
      const want = title ?? text.match(/^title: "(.*)"$/m)[1];
      await arm(incident, titled, want);
      [t0, w0] = [performance.now(), Date.now()];
      fs.writeFileSync(file, text);
      const t = await until(incident, titled, want, t0, w0);
      results.title.push(t);
      titles.push(t);
      await settle(before);
      steps.title.push(log.slice(from));
    }
    const ms = (x) => (Number.isNaN(x.frame) ? "-" : `${x.frame.toFixed(0)} (${x.nav.toFixed(0)}; ${x.polled.toFixed(0)})`);
    console.log(`round ${r}, ms from the save to the first frame (to loading; to seen by polling): ` +
      `tag added: incident page ${ms(a)}, tag page ${ms(b)}; ` +
      `tag removed: incident page ${ms(c)}; title: ${titles.map(ms).join(", ")}`);
  }
} finally {
  fs.writeFileSync(file, original);
  for (const b of browsers) await b.close();
  server.kill();
}
// A tag edit's steps: the incident's own page, then the pages it appears on, then (when their
// bytes changed) the pages of its big tags and services; a title edit's, its own page.
const took = (ls) => ls.map((l) => l.match(/^Updated (.*) in (\d+) ms/)).filter(Boolean).map((m) => Number(m[2]));
const nth = (edits, k) => edits.map(took).filter((t) => t.length > k).map((t) => t[k]);
const kbOwn = nth(steps.tag, 0);
const kbTag = nth(steps.tag, 1);
const kbBig = nth(steps.tag, 2);
const kbTitle = nth(steps.title, 0);
const builds = lines(/^Rebuilt \d+ incidents in \d+ ms/).map((l) => Number(l.match(/in (\d+) ms/)[1]));
const f = (x) => (Number.isNaN(x) ? "-" : x.toFixed(0));
const m = (xs) => `${f(median(xs.map((x) => x.frame)))} ms (${f(median(xs.map((x) => x.nav)))}; ${f(median(xs.map((x) => x.polled)))})`;
console.log(`${files.length} postmortems, ${rounds} rounds; medians, save → the new page's first frame ` +
  `(save → it starts loading; save → seen by polling): ` +
  `tag added ${m(results.tagIncident)} on the incident page, ${m(results.tagPage)} on the tag page; ` +
  `tag removed ${m(results.untag)}; title ${m(results.title)}. ` +
  `kb's part (tabs: ${tabs}): tag edits ${f(median(kbOwn))} ms for the incident's page, ${f(median(kbTag))} ms for the pages it appears on ` +
  `(big tag and service pages changed ${kbBig.length} times, ${f(median(kbBig))} ms), ` +
  `title edits ${f(median(kbTitle))} ms; ` +
  `whole rebuild ${f(median(builds.slice(1)))} ms. Load average before ${loadBefore}, after ${load()}`);
