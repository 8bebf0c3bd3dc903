// Drives a page served by `kb serve` in Chromium, for tests/serve.rs:
// `node live_reload.mjs URL FILE BROKEN FIXED EDITED` opens URL, copies BROKEN over FILE (a
// postmortem), waits for the build-error overlay, copies FIXED over FILE, and waits for the
// page to reload by itself without the overlay. Then it opens the home page too, copies EDITED
// (a body edit) over FILE, and waits for URL to reload with "edited live" in it and for the
// whole-site rebuild to end; the home page, which the edit does not change, must not have
// reloaded. Prints JSON: the overlay's text, the title before and after, whether the edited
// page reloaded and the home page stayed, and any console errors or uncaught exceptions.
import fs from "node:fs";
import { chromium } from "playwright-core";

const [url, file, broken, fixed, edited] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.KB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const out = { errors: [] };
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") out.errors.push(m.text()); });
  page.on("pageerror", (e) => out.errors.push(String(e)));
  // Wait until the page's event stream is open before touching the file.
  const connected = page.waitForResponse((r) => r.url().endsWith("/__kb/events"));
  await page.goto(url);
  await connected;
  out.before = await page.title();
  fs.copyFileSync(broken, file);
  await page.waitForSelector("#kb-build-error", { timeout: 60000 });
  out.overlay = await page.textContent("#kb-build-error");
  out.during = await page.title();
  fs.copyFileSync(fixed, file);
  await page.waitForFunction(() => document.title.startsWith("Fixed live") && !document.getElementById("kb-build-error"), null, { timeout: 60000 });
  out.after = await page.title();

  const home = await browser.newPage();
  home.on("pageerror", (e) => out.errors.push(String(e)));
  const homeConnected = home.waitForResponse((r) => r.url().endsWith("/__kb/events"));
  await home.goto(new URL("/", url).href);
  await homeConnected;
  // Marks that a reload would wipe; a second stream on the home page hears the rebuild end.
  await page.evaluate(() => { window.kbMark = 1; });
  await home.evaluate(() => {
    window.kbMark = 1;
    window.kbBuilt = new Promise((done) => {
      new EventSource("/__kb/events").addEventListener("built", () => done(true));
    });
  });
  fs.copyFileSync(edited, file);
  await page.waitForFunction(() => window.kbMark === undefined && document.body.textContent.includes("edited live"), null, { timeout: 60000 });
  out.editedReloaded = true;
  await home.evaluate(() => window.kbBuilt);
  await home.waitForTimeout(500);
  out.homeStayed = await home.evaluate(() => window.kbMark === 1);
} catch (e) {
  out.failure = String(e);
}
await browser.close();
process.stdout.write(JSON.stringify(out) + "\n");
