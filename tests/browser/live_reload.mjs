// Drives a page served by `kb serve` in Chromium, for tests/serve.rs:
// `node live_reload.mjs URL FILE BROKEN FIXED` opens URL, copies BROKEN over FILE (a
// postmortem), waits for the build-error overlay, copies FIXED over FILE, and waits for the
// page to reload by itself without the overlay. Prints JSON: the overlay's text, the title
// before and after, and any console errors or uncaught exceptions.
import fs from "node:fs";
import { chromium } from "playwright-core";

const [url, file, broken, fixed] = process.argv.slice(2);
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
} catch (e) {
  out.failure = String(e);
}
await browser.close();
process.stdout.write(JSON.stringify(out) + "\n");
