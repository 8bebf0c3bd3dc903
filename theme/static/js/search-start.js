/* Starts the search of a shared link (`/search/?q=…`) while the page's styles still load: the
 * search page runs this in its head, before the stylesheet, so the query's index files are
 * fetched beside it. search-page.js then shows the results from the same engine, whose files
 * are loaded or on their way. Needs stem.js and search.js first. */
(function () {
  "use strict";
  if (location.protocol === "file:" || !window.kbSearch) return;
  const root = document.querySelector('meta[name="kb-root"]');
  const manifest = document.getElementById("kb-manifest");
  if (!root || !manifest) return;
  let engine;
  try { engine = new kbSearch.Engine(JSON.parse(manifest.textContent), kbSearch.loader(new URL("search/", new URL(root.content, location.href)))); } catch { return; }
  const q = new URL(location.href).searchParams.get("q") || "";
  /* As search-page.js will ask: the top 10. Errors are its to show. */
  if (q.trim()) engine.results(q, 10).catch(() => {});
  window.kbSearchStart = { engine, root: new URL(root.content, location.href) };
})();
