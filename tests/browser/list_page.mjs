// The incidents list in Debian's headless Chromium, for tests/browser.rs: `node list_page.mjs
// SITE_DIR TAG SEVERITY SERVICE HOSTILE_TAG` filters by TAG and SEVERITY, sorts by duration,
// switches to the table, reloads, goes back, empties the list (TAG with SERVICE), opens the
// hostile tag's view, and looks at the table on a phone and at the page without JavaScript.
// Prints one JSON object of what the page showed.
import { serveSite, launch } from "./site.mjs";

const [site, tag, severity, service, hostileTag] = process.argv.slice(2);
const { server, base } = await serveSite(site);
const browser = await launch();
const out = { errors: [], dialogs: [] };

const ready = (page) => page.waitForSelector("#list-controls:not([hidden])");
const shown = (page) => page.waitForFunction(() => !document.getElementById("list-results").hidden);
const state = () => ({
  url: location.pathname + location.search,
  status: document.getElementById("list-status").textContent,
  // The incident ids of the filtered rows, in order, from their links.
  ids: [...document.querySelectorAll("#list-results .incident-title, #list-results td.list-title a")].map((a) => a.getAttribute("href").split("/").at(-2)),
  table: !!document.querySelector("#list-results table"),
  pagesHidden: document.getElementById("list-pages").hidden,
  values: Object.fromEntries([...document.querySelectorAll("#list-controls select")].map((s) => [s.name, s.value])),
  pressed: document.getElementById("lf-view").getAttribute("aria-pressed"),
});

try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") out.errors.push(m.text()); });
  page.on("pageerror", (e) => out.errors.push(String(e)));
  page.on("dialog", (d) => { out.dialogs.push(d.message()); d.dismiss(); });
  await page.goto(base + "/incidents/");
  await ready(page);
  out.initial = await page.evaluate(state);
  // Each menu counts its values; the tag's option says how many incidents have it.
  out.tagOption = await page.evaluate((t) => [...document.querySelectorAll("#lf-tag option")].find((o) => o.value === t).textContent, tag);

  await page.selectOption("#lf-tag", tag);
  await shown(page);
  await page.selectOption("#lf-severity", severity);
  out.filtered = await page.evaluate(state);
  out.severityOption = await page.evaluate((s) => [...document.querySelectorAll("#lf-severity option")].find((o) => o.value === s).textContent, severity);

  await page.selectOption("#lf-sort", "duration");
  out.byDuration = await page.evaluate(state);

  await page.click("#lf-view");
  out.table = await page.evaluate(state);
  out.tableWrap = await page.evaluate(() => { const w = document.querySelector("#list-results .table-wrap"); return { tabindex: w.getAttribute("tabindex"), role: w.getAttribute("role"), label: document.getElementById(w.getAttribute("aria-labelledby")).textContent }; });

  await page.reload();
  await ready(page);
  await shown(page);
  out.reloaded = await page.evaluate(state);

  await page.goBack();
  await page.waitForFunction(() => !document.querySelector("#list-results table"));
  out.back = await page.evaluate(state);

  // Tag and service no incident shares: the list says which filters, and offers to drop each.
  await page.selectOption("#lf-service", service);
  out.empty = await page.evaluate(() => ({ ...(() => { const e = document.querySelector(".list-empty"); return { text: e && e.querySelector("p").textContent, buttons: e ? [...e.querySelectorAll("button")].map((b) => b.textContent) : [] }; })(), rows: document.querySelectorAll("#list-results li.incident-item").length }));
  await page.click(".list-empty button >> text=Clear all filters");
  out.cleared = await page.evaluate(state);
  out.clearedFocus = await page.evaluate(() => document.activeElement.id);

  // A hostile tag's view: its title shown as text, nothing run.
  await page.goto(base + "/incidents/?tag=" + encodeURIComponent(hostileTag));
  await ready(page);
  await shown(page);
  out.hostile = await page.evaluate(() => ({
    titles: [...document.querySelectorAll("#list-results .incident-title")].map((a) => a.textContent),
    tags: [...document.querySelectorAll("#list-results .tag")].map((a) => a.textContent),
    services: [...document.querySelectorAll("#list-results .service")].map((a) => a.textContent),
    images: document.querySelectorAll("#list-results img, #list-controls img").length,
    option: [...document.querySelectorAll("#lf-tag option")].find((o) => o.selected).textContent,
    pwned: window.__pwned ?? null,
  }));
  await ctx.close();

  // A phone: the table scrolls inside its box, the page does not.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const p2 = await phone.newPage();
  await p2.goto(base + "/incidents/?view=table");
  await ready(p2);
  await shown(p2);
  out.phone = await p2.evaluate(() => {
    const w = document.querySelector("#list-results .table-wrap");
    return { scrollWidth: document.documentElement.scrollWidth, width: document.documentElement.clientWidth, wrapScrolls: w.scrollWidth > w.clientWidth, rows: document.querySelectorAll("#list-results tbody tr").length };
  });
  await phone.close();

  // Without JavaScript: no controls, the page's incidents and its pager.
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const p3 = await plain.newPage();
  await p3.goto(base + "/incidents/");
  out.noScript = await p3.evaluate(() => ({
    controlsHidden: document.getElementById("list-controls").hidden,
    items: document.querySelectorAll("#list-pages .incident-item, #list-pages .incident-row").length,
    next: document.querySelector("a[rel=next]")?.getAttribute("href") ?? null,
  }));
  await plain.close();
} catch (e) {
  out.failure = String((e && e.stack) || e);
}
await browser.close();
server.close();
process.stdout.write(JSON.stringify(out) + "\n");
