/* The search page: results as you type, filters with counts, keyboard navigation, shareable
 * URLs. Everything from a postmortem is inserted as text (textContent), never as HTML. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const input = $("q"), status = $("status"), list = $("results"), facetsBox = $("facets"), more = $("more");
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function say(...parts) { status.replaceChildren(...parts); }

  /* The engine search-start.js made in the head (a shared link's query already on its way);
   * or, on a theme's page loading this file with <script src> from js/, one made here. */
  if (location.protocol === "file:") {
    say("Search needs the site served over HTTP: run kb serve, or publish it to any static host. Every incident is listed on ", el("a", { href: "../incidents/index.html" }, "All incidents"), ".");
    input.disabled = true;
    return;
  }
  const early = window.kbSearchStart;
  const siteRoot = early ? early.root : new URL("../", document.currentScript.src);
  const engine = early ? early.engine : new kbSearch.Engine(JSON.parse($("kb-manifest").textContent), kbSearch.loader(new URL("search/", siteRoot)));

  const stemsOf = kbSearch.stemsOf;
  /* The stretch of a text around its first matching word, matching words marked. */
  function snippet(text, stems, max = 220) {
    const toks = kbSearch.tokens(text).filter((t) => stemsOf(t.text).some((s) => stems.has(s)));
    let start = 0, end = text.length;
    if (text.length > max) {
      const first = toks.length ? toks[0].at : 0;
      start = Math.max(0, first - 60);
      while (start > 0 && !/\s/.test(text[start - 1])) start--;
      end = Math.min(text.length, start + max);
    }
    const p = el("p", { class: "snippet" });
    if (start > 0) p.append("…");
    let at = start;
    for (const t of toks) {
      if (t.at < start || t.at + t.text.length > end) continue;
      p.append(text.slice(at, t.at), el("mark", null, t.text));
      at = t.at + t.text.length;
    }
    p.append(text.slice(at, end));
    if (end < text.length) p.append("…");
    return p;
  }
  function bestText(stub, stems) {
    const count = (t) => new Set(kbSearch.tokens(t).flatMap((x) => stemsOf(x.text)).filter((s) => stems.has(s))).size;
    let best = null;
    for (const t of [...stub.symptoms, stub.summary]) {
      if (!t) continue;
      const c = count(t);
      if (!best || c > best[0]) best = [c, t];
    }
    return best ? best[1] : "";
  }

  function item(hit, stems) {
    const s = hit.stub;
    const badges = s.severity ? el("span", { class: "badges" }, el("span", { class: "sev sev-" + s.severity.toLowerCase().replace(/[^a-z0-9]+/g, "-") }, s.severity)) : null;
    /* The incident page marks the words searched for (highlight.js): the stems, as the
     * engine analysed the query. */
    const href = new URL("incidents/" + encodeURIComponent(s.id) + "/", siteRoot);
    if (stems.size) href.searchParams.set("hl", [...stems].slice(0, 32).join(" "));
    const link = el("a", { href: href.href, class: "result-link" }, s.title);
    const meta = [s.date || "undated"].concat(s.services).join(" · ");
    const li = el("li", { class: "incident-item" },
      el("div", { class: "incident-head" }, badges, link),
      el("p", { class: "meta muted" }, meta));
    const text = bestText(s, stems);
    if (text) li.append(snippet(text, stems));
    if (s.tags.length) li.append(el("ul", { class: "tag-list" }, ...s.tags.map((t) => el("li", null, el("span", { class: "tag" }, t)))));
    return li;
  }

  /* Filters: each value toggles `name:value` in the query. */
  const FACETS = [["severity", "Severity", "severity"], ["tags", "Tags", "tag"], ["services", "Services", "service"], ["years", "Year", null]];
  function facetTerm(filter, value) {
    if (!filter) return "since:" + value + " until:" + value;
    return filter + ":" + (/\s/.test(value) ? '"' + value + '"' : value);
  }
  function hasTerm(q, term) { return (" " + q + " ").includes(" " + term + " "); }
  function toggle(term) {
    const q = input.value.trim();
    input.value = hasTerm(q, term) ? (" " + q + " ").replace(" " + term + " ", " ").trim() : (q + " " + term).trim();
    run(true);
  }
  /* Filter counts. Exact counts need every match's tags and services: the `m/` files, 78 KB
   * at 10,000 incidents and 0.7 MB at 100,000, more than the results cost. So they count the
   * results shown (their stubs are loaded already) and say so; counting every match, as
   * `kb search --facets` does, is a click away, and after it every query counts them all. */
  let countAll = false;
  function renderFacets(f, q, scope) {
    facetsBox.replaceChildren(scope);
    for (const [key, title, filter] of FACETS) {
      const values = f[key].slice(0, key === "years" ? 30 : 12);
      if (!values.length) continue;
      const ul = el("ul", { class: "facet-list" });
      for (const v of values) {
        const term = facetTerm(filter, v.value);
        const on = hasTerm(q, term);
        const b = el("button", { type: "button", class: "facet", "aria-pressed": on ? "true" : "false", "data-filter": term }, v.value + " ", el("span", { class: "count" }, String(v.count)));
        b.addEventListener("click", () => toggle(term));
        ul.append(el("li", null, b));
      }
      facetsBox.append(el("section", { class: "facet-group" }, el("h2", null, title), ul));
    }
  }
  const kb = (bytes) => (bytes < 1024 ? bytes + " bytes" : Math.round(bytes / 1024) + " KB");
  /* The counts beside results `r` of query `q`; `done(total)` once every match is counted. */
  function counts(q, r, mine, done) {
    if (!r.hits.length) { facetsBox.replaceChildren(); return; }
    const all = r.totalExact && r.hits.length >= r.total;
    if (all || !countAll) {
      const f = kbSearch.facetsOfStubs(r.hits.map((h) => h.stub));
      const scope = el("p", { class: "facet-scope muted", "data-scope": all ? "all" : "shown" });
      if (all) scope.append("Counts over all " + r.total + " matches.");
      else {
        const b = el("button", { type: "button", class: "count-all" }, "Count all matches");
        b.addEventListener("click", () => { countAll = true; b.disabled = true; b.textContent = "Counting…"; counts(q, r, mine, done); });
        scope.append("Counts in the " + r.hits.length + " results shown. ", b, " (downloads " + kb(engine.facetsBytes()) + " once)");
      }
      renderFacets(f, q, scope);
      return;
    }
    engine.facets(q).then((f) => {
      if (mine !== seq) return;
      renderFacets(f, q, el("p", { class: "facet-scope muted", "data-scope": "all" }, "Counts over all " + f.total + " matches."));
      done(f.total);
    }).catch((e) => { if (mine === seq) say("Counting failed: " + e.message); });
  }

  let seq = 0, limit = 10, timer = null;
  async function run(push) {
    const q = input.value;
    const mine = ++seq;
    const url = new URL(location.href);
    if (q.trim()) url.searchParams.set("q", q); else url.searchParams.delete("q");
    if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    if (!q.trim()) { say(""); list.replaceChildren(); facetsBox.replaceChildren(); more.hidden = true; return; }
    let r;
    try {
      r = await engine.results(q, limit);
    } catch (e) {
      if (mine !== seq) return;
      list.replaceChildren(); facetsBox.replaceChildren(); more.hidden = true;
      if (e instanceof kbSearch.QueryError) say(el("strong", null, "Cannot search: "), e.message + " (column " + e.col + "). ", e.hint);
      else say("Search failed: " + e.message);
      return;
    }
    if (mine !== seq) return;
    const stems = new Set(r.stems);
    list.replaceChildren(...r.hits.map((h) => item(h, stems)));
    const parts = [];
    const count = (n, exact) => (exact ? n : "more than " + n) + " incident" + (n === 1 && exact ? "" : "s");
    parts.push(r.total ? count(r.total, r.totalExact) + "." : "No incident matches.");
    if (r.did_you_mean) {
      const fix = el("a", { href: "?q=" + encodeURIComponent(r.did_you_mean) }, r.did_you_mean);
      fix.addEventListener("click", (ev) => { ev.preventDefault(); input.value = r.did_you_mean; run(true); });
      parts.push(" Showing results for ", fix, ".");
    }
    for (const c of r.corrections) if (!c.suggestion) parts.push(" No incident mentions “" + c.word + "”.");
    say(...parts);
    more.hidden = r.hits.length < limit;
    counts(q, r, mine, (total) => {
      if (!r.totalExact) say(count(total, true) + ".", ...parts.slice(1));
      more.hidden = r.hits.length >= total;
    });
  }

  input.addEventListener("input", () => { limit = 10; clearTimeout(timer); timer = setTimeout(() => run(false), 80); });
  input.form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); run(true); });
  more.addEventListener("click", () => { limit += 20; run(false); });
  addEventListener("popstate", () => { input.value = new URL(location.href).searchParams.get("q") || ""; run(false); });

  /* Keyboard: ↓ from the box into the results, ↑/↓ between them, Esc back, / to search. */
  const links = () => Array.from(list.querySelectorAll("a.result-link"));
  input.addEventListener("keydown", (ev) => { if (ev.key === "ArrowDown" && links().length) { ev.preventDefault(); links()[0].focus(); } });
  list.addEventListener("keydown", (ev) => {
    const all = links(), i = all.indexOf(document.activeElement);
    if (i < 0) return;
    if (ev.key === "ArrowDown" && i + 1 < all.length) { ev.preventDefault(); all[i + 1].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); (i > 0 ? all[i - 1] : input).focus(); }
    else if (ev.key === "Escape") input.focus();
  });
  addEventListener("keydown", (ev) => {
    if (ev.key === "/" && document.activeElement !== input && !/^(INPUT|TEXTAREA)$/.test(document.activeElement.tagName)) { ev.preventDefault(); input.focus(); }
  });

  input.value = new URL(location.href).searchParams.get("q") || "";
  if (input.value) run(false);
})();
