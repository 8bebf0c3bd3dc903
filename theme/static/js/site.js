// Every page's behaviour: links that work from disk, "/" to search, scrollable blocks the
// keyboard reaches, filters folded on a phone, everything open when printed. One file the
// browser caches, rather than the same 2 KB inside every page.
// Opened from disk (file://), directory links do not open their index.html: point them there.
if (location.protocol === "file:") {
  for (const a of document.querySelectorAll("a[href]")) {
    const h = a.getAttribute("href");
    if (!/^[a-z]+:/i.test(h) && !h.startsWith("#") && (h === "" || h.endsWith("/"))) a.setAttribute("href", h + "index.html");
  }
  for (const f of document.querySelectorAll("form[action$='/']")) f.setAttribute("action", f.getAttribute("action") + "index.html");
}
// "/" jumps to the search box (the search page's own, or the header's), unless typing.
addEventListener("keydown", (e) => {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  const t = e.target;
  if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
  const box = document.getElementById("q") || document.getElementById("site-q");
  if (!box || box.disabled) return;
  e.preventDefault();
  box.focus();
  box.select();
});
// A code block or table wider than the column scrolls inside it: let the keyboard reach it.
for (const el of document.querySelectorAll(".prose pre, .prose table, .table-wrap")) {
  if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) el.tabIndex = 0;
}
// Search filters fold away on a phone, where they would push the results below the fold.
for (const d of document.querySelectorAll("details.fold-narrow")) {
  const narrow = matchMedia("(max-width: 50rem)");
  const fit = () => { d.open = !narrow.matches; };
  fit();
  narrow.addEventListener("change", fit);
}
// Print everything: open collapsed <details> while printing, restore them afterwards.
addEventListener("beforeprint", () => {
  for (const d of document.querySelectorAll("details:not([open])")) { d.open = true; d.dataset.printOpened = ""; }
});
addEventListener("afterprint", () => {
  for (const d of document.querySelectorAll("details[data-print-opened]")) { d.open = false; delete d.dataset.printOpened; }
});
