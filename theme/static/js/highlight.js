/* Matches shown after a click: a search result links to its incident with `?hl=` holding the
 * stems the engine searched for (search-page.js). Here, the words of the page's main content
 * with one of those stems are wrapped in <mark class="hl">, the first is scrolled into view,
 * and a button (or Esc) clears them. Without `hl` nothing runs and nothing more is loaded;
 * with it, the stemmer and the engine's tokenizer come from stem.js and search.js (the search
 * page has them inline; here they are two small downloads), and "lagging" marks "lag" and
 * "lagged" exactly as the index matched them. The parameter is untrusted: it is only ever compared
 * with, never inserted into the page. */
(function () {
  "use strict";
  const MAX_STEMS = 32, MAX_MARKS = 200;
  const raw = new URL(location.href).searchParams.get("hl");
  if (!raw) return;
  const stems = new Set(raw.split(/\s+/).filter((s) => s && s.length <= 40).slice(0, MAX_STEMS).map((s) => s.toLowerCase()));
  const main = document.getElementById("main");
  if (!stems.size || !main) return;
  const here = document.currentScript.src;

  function load(name) {
    return new Promise((ok, fail) => {
      const s = document.createElement("script");
      s.src = new URL(name, here).href;
      s.onload = ok;
      s.onerror = () => fail(new Error("could not load " + name));
      document.head.append(s);
    });
  }

  /* Text nodes where a mark may go: not in scripts, styles or form fields. */
  const SKIP = /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|TEXTAREA|SELECT|OPTION|BUTTON|MARK|svg)$/;
  function textNodes() {
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode(n) {
        for (let e = n.parentElement; e && e !== main; e = e.parentElement) if (SKIP.test(e.tagName)) return NodeFilter.FILTER_REJECT;
        return /[\p{Alphabetic}\p{N}]/u.test(n.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
      },
    });
    const out = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n);
    return out;
  }

  function mark() {
    /* A page repeats its words: each is split and stemmed once (a third less time on a
     * 400 KB page). */
    const seen = new Map();
    const matches = (word) => {
      let m = seen.get(word);
      if (m === undefined) { m = kbSearch.stemsOf(word).some((s) => stems.has(s)); seen.set(word, m); }
      return m;
    };
    const marks = [];
    for (const node of textNodes()) {
      if (marks.length >= MAX_MARKS) break;
      const text = node.data;
      const hits = kbSearch.tokens(text).filter((t) => matches(t.text));
      if (!hits.length) continue;
      const frag = document.createDocumentFragment();
      let at = 0;
      for (const t of hits) {
        if (marks.length >= MAX_MARKS) break;
        const m = document.createElement("mark");
        m.className = "hl";
        m.textContent = t.text;
        frag.append(text.slice(at, t.at), m);
        marks.push(m);
        at = t.at + t.text.length;
      }
      frag.append(text.slice(at));
      node.replaceWith(frag);
    }
    if (!marks.length) return;
    const first = marks[0];
    for (let d = first.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    bar(marks);
    /* A link to a heading (#section) already chose where to look. */
    if (!location.hash) first.scrollIntoView({ block: "center" });
  }

  /* Says what is marked and offers to clear it; the words shown are the page's own. */
  function bar(marks) {
    const words = [...new Set(marks.map((m) => m.textContent.toLowerCase()))];
    const p = document.createElement("p");
    p.className = "hl-bar";
    p.append(marks.length + (marks.length === MAX_MARKS ? "+" : "") + " match" + (marks.length === 1 ? "" : "es") + " of your search highlighted: ");
    const shown = document.createElement("strong");
    shown.textContent = words.slice(0, 6).join(", ") + (words.length > 6 ? ", …" : "");
    const clear = document.createElement("button");
    clear.type = "button";
    clear.textContent = "Clear highlights";
    const unmark = () => {
      removeEventListener("keydown", onKey);
      /* The button goes with the bar: focus on it moves to the content. */
      const focused = p.contains(document.activeElement);
      for (const m of marks) {
        const parent = m.parentNode;
        if (!parent) continue;
        m.replaceWith(m.textContent);
        parent.normalize();
      }
      p.remove();
      const url = new URL(location.href);
      url.searchParams.delete("hl");
      history.replaceState(history.state, "", url);
      if (focused) main.focus({ preventScroll: true });
    };
    /* Esc clears them too, unless something else on the page took the key. */
    const onKey = (ev) => { if (ev.key === "Escape" && !ev.defaultPrevented) unmark(); };
    clear.addEventListener("click", () => { unmark(); main.focus({ preventScroll: true }); });
    addEventListener("keydown", onKey);
    p.append(shown, " ", clear);
    main.prepend(p);
  }

  const ready = window.kbSearch ? Promise.resolve() : load("stem.js").then(() => load("search.js"));
  ready.then(mark).catch(() => {});
})();
