// Every page type of a built site in Debian's headless Chromium, for tests/browser.rs:
// `node pages.mjs SITE_DIR axe` runs axe-core on one page of each type (the largest, which has
// the most to get wrong) at 1280 and 390 px wide, in light and dark; `node pages.mjs SITE_DIR
// overflow` loads every page at 390 px and reports those wider than the screen, the smallest
// rendered chart text, and what the `/` key and the search filters do. Prints one JSON object.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveSite, launch } from "./site.mjs";

const [site, mode] = process.argv.slice(2);
const AXE = fileURLToPath(new URL("./node_modules/axe-core/axe.min.js", import.meta.url));
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

/** The page type of a site path ("incidents/x/index.html" → "incident"). */
function kind(rel) {
  const p = rel.split(path.sep);
  if (rel === "index.html") return "home";
  if (rel === "404.html") return "404";
  if (p.at(-1) !== "index.html") return null;
  const [top, second] = p;
  if (top === "incidents") return p.length === 2 ? "incidents" : second === "page" ? "incidents-page" : "incident";
  if (top === "tags") return p.length === 2 ? "tags" : p[2] === "page" ? "tag-page" : "tag";
  if (top === "services") return p.length === 2 ? "services" : p[2] === "page" ? "service-page" : "service";
  if (top === "action-items") return p.length === 2 ? "action-items" : second === "open" ? "action-items-open" : "action-items-closed";
  if (["lessons", "insights", "search"].includes(top) && p.length === 2) return top;
  return null;
}

/** Every page of the site: [url path, type, bytes]. */
function pages() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith(".html")) {
        const rel = path.relative(site, f);
        const k = kind(rel);
        if (k) out.push(["/" + rel.split(path.sep).join("/").replace(/index\.html$/, ""), k, fs.statSync(f).size]);
      }
    }
  };
  walk(site);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

const { server, base } = await serveSite(site);
const browser = await launch();
const out = { errors: [] };

/** A query the search page has results for: the first word of a tag or an incident's title. */
function searchQuery(all) {
  const tag = all.find(([, k]) => k === "tag");
  if (tag) return decodeURIComponent(tag[0].split("/")[2]).replace(/-/g, " ");
  return "incident";
}

async function open(ctx, url, errors) {
  const page = await ctx.newPage();
  // The 404 page links the published site's absolute URL, which is not served here.
  page.on("console", (m) => { if (m.type() === "error" && !(url === "/404.html" && m.text().startsWith("Failed to load resource"))) errors.push(`${url}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`${url}: ${e}`));
  await page.goto(base + url);
  if (url.startsWith("/search/")) {
    await page.waitForFunction(() => document.querySelectorAll("#results > li").length > 0 || /no incident|nothing/i.test(document.getElementById("status").textContent), null, { timeout: 10000 }).catch(() => {});
  }
  if (url.includes("?hl=")) await page.waitForFunction(() => document.querySelector("mark.hl"), null, { timeout: 10000 });
  // A filtered or sorted list is drawn from incidents/list.json (js/list.js).
  if (url.startsWith("/incidents/?")) await page.waitForFunction(() => !document.getElementById("list-results").hidden, null, { timeout: 10000 });
  return page;
}

/** What sticks out past the right edge of the screen: the outermost such elements. */
const overflow = () => {
  const w = document.documentElement.clientWidth;
  const scrolls = (e) => { for (let a = e.parentElement; a; a = a.parentElement) { const o = getComputedStyle(a).overflowX; if (o !== "visible" && o !== "clip" || a === document.body) return a !== document.body; } return false; };
  const wide = [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > w + 1 && !scrolls(e));
  // Text running out of a box that is not wider itself (a long URL) shows as its parent.
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = texts.nextNode(); n; n = texts.nextNode()) {
    const r = document.createRange();
    r.selectNodeContents(n);
    if (r.getBoundingClientRect().right > w + 1 && !scrolls(n.parentElement) && !wide.includes(n.parentElement)) wide.push(n.parentElement);
  }
  const outer = wide.filter((e) => !wide.includes(e.parentElement));
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
  return { scrollWidth: document.documentElement.scrollWidth, width: w, outer: outer.slice(0, 5).map((e) => `${name(e)} (${Math.round(e.getBoundingClientRect().right)} px)`) };
};

/** The smallest chart text as drawn on the screen, in CSS px. */
const chartText = () => {
  let min = null;
  for (const t of document.querySelectorAll(".chart svg text")) {
    const px = parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1);
    if (t.getBoundingClientRect().width > 0 && (min === null || px < min)) min = px;
  }
  return min;
};

try {
  const all = pages();
  const query = searchQuery(all);
  // An incident as opened from a search result, its words marked (js/highlight.js): "the" is
  // its own stem and in every write-up.
  // The list's first page in its compact table, sorted (its other pages as written).
  const withQuery = (u, k) => (u === "/search/" ? `/search/?q=${encodeURIComponent(query)}` : k === "incident" ? `${u}?hl=the` : k === "incidents" ? `${u}?sort=duration&view=table` : u);
  if (mode === "axe") {
    // The largest page of each type.
    const chosen = new Map();
    for (const [u, k, size] of all) if (!chosen.has(k) || chosen.get(k)[1] < size) chosen.set(k, [u, size]);
    out.types = [...chosen.keys()].sort();
    out.violations = [];
    for (const [vname, viewport] of Object.entries(WIDTHS)) {
      for (const scheme of ["light", "dark"]) {
        const ctx = await browser.newContext({ viewport, colorScheme: scheme });
        for (const [k, [u]] of chosen) {
          const page = await open(ctx, withQuery(u, k), out.errors);
          await page.addScriptTag({ path: AXE });
          const r = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
          for (const v of r.violations) {
            out.violations.push({
              page: u, type: k, width: viewport.width, scheme, rule: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 4).map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 160), why: n.failureSummary })),
              count: v.nodes.length,
            });
          }
          await page.close();
        }
        await ctx.close();
      }
    }
  } else if (mode === "overflow") {
    out.pages = all.length;
    out.wide = [];
    out.chartText = {};
    for (const [vname, viewport] of Object.entries(WIDTHS)) {
      const ctx = await browser.newContext({ viewport });
      for (const [u, k] of all) {
        // Every page on a phone; on a desktop, only the pages with charts (for their text).
        if (vname === "desktop" && !["tag", "service", "insights"].includes(k)) continue;
        const page = await open(ctx, withQuery(u, k), out.errors);
        if (vname === "phone") {
          const o = await page.evaluate(overflow);
          if (o.scrollWidth > o.width) out.wide.push({ page: u, ...o });
        }
        const t = await page.evaluate(chartText);
        if (t !== null && (out.chartText[vname] === undefined || t < out.chartText[vname])) out.chartText[vname] = t;
        await page.close();
      }
      // The `/` key focuses the search box, and the filters are folded on a phone.
      const page = await open(ctx, "/", out.errors);
      await page.keyboard.press("/");
      out[`slash_${vname}`] = await page.evaluate(() => document.activeElement.id);
      await page.keyboard.type("a/b");
      out[`typed_${vname}`] = await page.evaluate(() => document.activeElement.value);
      const search = await open(ctx, withQuery("/search/"), out.errors);
      await search.evaluate(() => document.activeElement.blur());
      await search.keyboard.press("/");
      out[`searchSlash_${vname}`] = await search.evaluate(() => document.activeElement.id);
      out[`facetsOpen_${vname}`] = await search.evaluate(() => { const d = document.getElementById("facets").closest("details"); return d ? d.open : null; });
      // Each syntax hint on one line: "-word" split at its hyphen reads as two hints.
      out[`hintsBroken_${vname}`] = await search.evaluate(() => [...document.querySelectorAll(".search-help code")].filter((c) => c.getClientRects().length > 1).map((c) => c.textContent));
      await ctx.close();
    }
  }
} catch (e) {
  out.failure = String((e && e.stack) || e);
}
await browser.close();
server.close();
process.stdout.write(JSON.stringify(out) + "\n");
