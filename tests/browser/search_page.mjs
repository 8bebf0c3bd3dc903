// Drives the built site's search page in Debian's headless Chromium (playwright-core), for
// tests/browser.rs: `node search_page.mjs SITE_DIR SCENARIO` serves SITE_DIR over HTTP on a
// free port, runs the scenario and prints one JSON object with what it saw. Any console
// error or uncaught exception in the page is reported in `errors`.
import { serveSite, launch } from "./site.mjs";

const [site, scenario] = process.argv.slice(2);
const { server, base } = await serveSite(site);
const browser = await launch();
const page = await browser.newPage();
const errors = [];
const dialogs = [];
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
page.on("pageerror", (e) => errors.push(String(e)));
page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });

const results = () => page.$$eval("#results > li", (lis) => lis.map((li) => ({
  href: li.querySelector("a.result-link").getAttribute("href"),
  title: li.querySelector("a.result-link").textContent,
  tags: Array.from(li.querySelectorAll(".tag"), (t) => t.textContent),
  marks: Array.from(li.querySelectorAll("mark"), (m) => m.textContent),
  html: li.innerHTML,
})));
const waitFor = (fn, arg) => page.waitForFunction(fn, arg, { timeout: 10000 });
const out = { errors, dialogs };

try {
  if (scenario === "search") {
    // The box in the header of the home page leads to the search page with the query.
    await page.goto(base + "/");
    await page.fill("#site-q", "replica lag");
    await page.press("#site-q", "Enter");
    await page.waitForURL(/\/search\/\?q=replica/);
    await waitFor(() => document.querySelectorAll("#results > li").length > 0);
    out.fromHeader = await results();
    // Typing: results follow each keystroke, the URL follows the query.
    await page.fill("#q", "");
    await page.type("#q", "writes rejected", { delay: 20 });
    await waitFor(() => new URL(location.href).searchParams.get("q") === "writes rejected" && document.querySelectorAll("#results > li").length > 0 && /rejected/i.test(document.getElementById("results").textContent));
    await page.waitForTimeout(300);
    out.typed = await results();
    out.status = await page.textContent("#status");
    // A filter with its count: the first tag offered.
    await waitFor(() => document.querySelector("#facets button.facet[data-filter^='tag:']"));
    const filter = await page.$eval("#facets button.facet[data-filter^='tag:']", (b) => ({ term: b.dataset.filter, count: +b.querySelector(".count").textContent }));
    out.filter = filter;
    out.scope = await page.$eval("#facets .facet-scope", (p) => ({ kind: p.dataset.scope, text: p.textContent }));
    await page.click(`#facets button.facet[data-filter='${filter.term}']`);
    await waitFor((t) => document.getElementById("q").value.includes(t) && document.querySelector(`#facets button.facet[data-filter='${t}'][aria-pressed='true']`), filter.term);
    await page.waitForTimeout(300);
    out.filtered = await results();
    out.filteredQuery = await page.inputValue("#q");
    // The keyboard: down from the box into the results, down again, Enter follows.
    await page.focus("#q");
    await page.keyboard.press("ArrowDown");
    out.focus1 = await page.evaluate(() => document.activeElement.getAttribute("href"));
    await page.keyboard.press("ArrowDown");
    out.focus2 = await page.evaluate(() => document.activeElement.getAttribute("href"));
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    out.followed = new URL(page.url()).pathname;
    out.followedTitle = await page.textContent("h1");
    // A shared URL, with a misspelling: did-you-mean and results.
    await page.goto(base + "/search/?q=replca+lag");
    await waitFor(() => document.querySelectorAll("#results > li").length > 0);
    out.shared = await results();
    out.sharedStatus = await page.textContent("#status");
    // More matches than results shown: the counts are over those shown, until asked to count
    // every match (the m/ files, once).
    await page.fill("#q", "service outage");
    await waitFor(() => new URL(location.href).searchParams.get("q") === "service outage" && document.querySelector("#facets .facet-scope[data-scope='shown']"));
    out.many = await results();
    out.manyScope = await page.textContent("#facets .facet-scope");
    out.manyShown = await page.$$eval("#facets button.facet[data-filter^='tag:']", (bs) => bs.map((b) => [b.dataset.filter, +b.querySelector(".count").textContent]));
    const metaFiles = () => page.evaluate(() => performance.getEntriesByType("resource").filter((e) => /\/search\/m\//.test(e.name)).length);
    const before = await metaFiles();
    await page.click("#facets button.count-all");
    await waitFor(() => document.querySelector("#facets .facet-scope[data-scope='all']"));
    out.allScope = await page.textContent("#facets .facet-scope");
    out.allCounts = await page.$$eval("#facets button.facet[data-filter^='tag:']", (bs) => bs.map((b) => [b.dataset.filter, +b.querySelector(".count").textContent]));
    out.allStatus = await page.textContent("#status");
    out.metaFetched = [before, await metaFiles()];
    // A query error names the column.
    await page.fill("#q", "lag tga:replication");
    await waitFor(() => /unknown filter/.test(document.getElementById("status").textContent));
    out.errorStatus = await page.textContent("#status");
    // An empty filter and an unknown value of a facet: the terminal's errors, on the page.
    await page.fill("#q", "lag tag:");
    await waitFor(() => /needs a value/.test(document.getElementById("status").textContent));
    out.emptyFilterStatus = await page.textContent("#status");
    await page.fill("#q", "severity:SEV9 lag");
    await waitFor(() => /no incident has/.test(document.getElementById("status").textContent));
    out.unknownValueStatus = await page.textContent("#status");
  } else if (scenario === "highlight") {
    // Search, click the first result: the incident marks the words searched for, stemmed.
    const seen = () => page.evaluate(() => {
      const main = document.getElementById("main");
      const marks = Array.from(main.querySelectorAll("mark.hl"));
      const r = marks.length ? marks[0].getBoundingClientRect() : null;
      return {
        url: location.pathname + location.search,
        marks: marks.map((m) => m.textContent),
        inArticle: marks.filter((m) => m.closest("article.incident")).length,
        inProse: marks.filter((m) => m.closest(".prose")).length,
        outsideMain: document.querySelectorAll("mark.hl").length - marks.length,
        firstInView: r ? r.top >= 0 && r.bottom <= innerHeight && r.height > 0 : null,
        scrollY: Math.round(scrollY),
        bar: main.querySelector(".hl-bar")?.textContent ?? null,
        // Every element but the marks and their bar: what the page itself holds.
        elements: Array.from(document.body.querySelectorAll("*")).filter((e) => !e.closest(".hl-bar, mark.hl")).map((e) => e.tagName).join(" "),
        pwned: window.__pwned || null,
      };
    });
    await page.setViewportSize({ width: 1280, height: 700 });
    await page.goto(base + "/search/?q=" + encodeURIComponent(process.argv[4]));
    await waitFor(() => document.querySelectorAll("#results > li").length > 0);
    out.href = await page.$eval("#results a.result-link", (a) => a.getAttribute("href"));
    await Promise.all([page.waitForNavigation(), page.click("#results a.result-link")]);
    await waitFor(() => document.querySelector("mark.hl"));
    out.clicked = await seen();
    // Cleared: no mark left, the text as it was, the URL without `hl`.
    await page.click(".hl-bar button");
    out.cleared = await seen();
    // Marked again, then Esc: cleared the same way; a second Esc does nothing more.
    await page.goto(new URL(out.href, base + "/search/").href);
    await waitFor(() => document.querySelector("mark.hl"));
    out.marked = (await seen()).marks.length;
    await page.keyboard.press("Escape");
    await page.keyboard.press("Escape");
    out.escaped = await seen();
    // The same page opened without a query, and with a hostile one.
    const path = new URL(out.href).pathname;
    await page.goto(base + path);
    await page.waitForLoadState("load");
    await page.waitForTimeout(300);
    out.plain = await seen();
    await page.goto(base + path + "?hl=" + encodeURIComponent("<img src=x onerror=window.__pwned=1> \"><svg onload=window.__pwned=2> " + process.argv[5]));
    await waitFor(() => document.querySelector("mark.hl"));
    out.hostile = await seen();
  } else if (scenario === "xss") {
    await page.goto(base + "/search/?q=" + encodeURIComponent(process.argv[4] || "payload"));
    await waitFor(() => document.querySelectorAll("#results > li").length > 0);
    await page.waitForTimeout(500);
    out.results = await results();
    out.facets = await page.$eval("#facets", (f) => f.innerHTML);
    out.pwned = await page.evaluate(() => window.__pwned || null);
    // The incident page too.
    await page.goto(new URL(out.results[0].href, base + "/search/").href);
    await page.waitForTimeout(300);
    out.pagePwned = await page.evaluate(() => window.__pwned || null);
  } else if (scenario === "images") {
    // Every image of a page (argv[4]) loads: copied attachments and rewritten links agree.
    await page.goto(base + process.argv[4]);
    await page.waitForLoadState("load");
    out.images = await page.$$eval(".prose img", (imgs) => imgs.map((i) => ({ src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0 })));
  } else if (scenario === "hostile") {
    // A page built from an attacker's postmortem (tests/fixtures/hostile.md): load it, tab
    // through it, hover and click everything in its body; any dialog fails the test.
    const url = base + process.argv[4];
    await page.route("**/*", (r) => (r.request().url().startsWith(base) ? r.continue() : r.abort()));
    await page.goto(url);
    await page.waitForTimeout(500);
    for (let i = 0; i < 40; i++) await page.keyboard.press("Tab");
    const all = await page.$$(".prose *");
    for (const el of all) await el.hover({ timeout: 500, force: true }).catch(() => {});
    // Web links would leave the page (and are not script); everything else is clicked.
    const clickable = ".prose a:not([href^='http']), .prose img";
    const links = await page.$$eval(clickable, (els) => els.length);
    out.clicked = 0;
    for (let i = 0; i < links; i++) {
      await page.goto(url);
      const el = (await page.$$(clickable))[i];
      await el.click({ timeout: 1000, force: true, noWaitAfter: true }).catch(() => {});
      await page.waitForTimeout(150);
      out.clicked++;
    }
    // Navigations the route aborted log errors; the page itself, loaded once more, must not.
    errors.length = 0;
    await page.goto(url);
    await page.waitForTimeout(300);
    out.covered = await page.$$eval(".prose *", (els) => els.filter((e) => getComputedStyle(e).position === "fixed").length);
    out.handlers = await page.$$eval(".prose *", (els) => els.flatMap((e) => Array.from(e.attributes).map((a) => a.name).filter((n) => n.startsWith("on") || n === "style" && !/^text-align: (left|center|right)$/.test(e.getAttribute("style")))));
    out.prose = await page.$eval(".prose", (p) => p.textContent.length);
    // The fixture's images point nowhere on purpose (their onerror is what is tested).
    out.errors = errors.filter((e) => !e.startsWith("Failed to load resource"));
  }
} catch (e) {
  out.failure = String(e && e.stack || e);
}
await browser.close();
server.close();
process.stdout.write(JSON.stringify(out) + "\n");
