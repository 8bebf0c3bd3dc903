// kb serve: live reload. Added to HTML pages by the preview server only, never written to the
// built site. Reloads on "reload" when this page is one that changed, swaps stylesheets on "css", shows the build's diagnostics
// over the last good page on "failed". EventSource reconnects by itself; reconnecting after
// the connection dropped (kb serve restarted) reloads the page.
(() => {
  "use strict";
  let dropped = false;
  const es = new EventSource("/__kb/events");
  es.onerror = () => { dropped = true; };
  es.addEventListener("hello", () => { if (dropped) location.reload(); });
  // The data names the pages that changed ("*": all of them); other pages stay as they are.
  const here = location.pathname.replace(/index\.html$/, "");
  es.addEventListener("reload", (e) => {
    let pages = ["*"];
    try { pages = JSON.parse(e.data); } catch (_) { /* an older server: reload */ }
    if (!Array.isArray(pages) || pages.includes("*") || pages.includes(decodeURI(here)) || pages.includes(here)) {
      location.reload();
    }
  });
  es.addEventListener("css", () => {
    hide();
    for (const l of document.querySelectorAll('link[rel="stylesheet"]')) {
      const u = new URL(l.href);
      u.searchParams.set("kb-reload", String(Date.now()));
      l.href = u.href;
    }
  });
  es.addEventListener("failed", (e) => show(e.data));

  let overlay = null;
  function hide() { if (overlay) { overlay.remove(); overlay = null; } }
  function show(text) {
    hide();
    overlay = document.createElement("div");
    overlay.id = "kb-build-error";
    overlay.setAttribute("role", "alert");
    overlay.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;z-index:2147483647;" +
      "background:#1f1315;color:#ffdcd9;border:2px solid #ff6b63;border-radius:8px;padding:1rem 1.25rem;" +
      "font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 8px 30px rgba(0,0,0,.4)";
    const head = document.createElement("div");
    head.style.cssText = "display:flex;justify-content:space-between;gap:1rem;font:600 14px system-ui,sans-serif;margin-bottom:.5rem";
    head.textContent = "The build failed; this is the last good page. Fix the file and save: the page updates by itself.";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Hide");
    close.style.cssText = "background:none;border:0;color:inherit;font-size:20px;cursor:pointer;line-height:1";
    close.onclick = hide;
    head.append(close);
    const pre = document.createElement("pre");
    pre.style.cssText = "margin:0;padding:0;border:0;background:transparent;color:inherit;font:inherit;white-space:pre-wrap";
    pre.textContent = text;
    overlay.append(head, pre);
    document.body.append(overlay);
  }
})();
