/* The incidents list (/incidents/ and its pages): filters by severity, tag, service, year and
 * status, sorting and a compact table, over every incident. The menus come from the small
 * incidents/list-facets.json; the rows (incidents/list.json, which grows with the knowledge
 * base) only once a filter is used or about to be. The state is the query string, so a view can
 * be shared and the back button steps through it. Without this script the pages are the whole
 * list. Text from a postmortem is only ever set as text. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const controls = $("list-controls"), status = $("list-status"), results = $("list-results"), pages = $("list-pages");
  if (!controls || !status || !results || !pages) return;
  const script = document.currentScript.src;
  const root = new URL("../", script).href;
  // Rows drawn at once; "Show more" draws the next ones (10,000 rows at once would be slow).
  const BATCH = 100;
  // Tags and services a card or a table row shows; the incident's page shows them all.
  const NAMES = 8;
  const FACETS = [["severity", "Severity"], ["tag", "Tag"], ["service", "Service"], ["year", "Year"], ["status", "Status"]];
  const SORTS = [["date", "Newest first"], ["date-asc", "Oldest first"], ["severity", "Most severe first"], ["duration", "Longest to resolve"], ["duration-asc", "Shortest to resolve"]];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  if (location.protocol === "file:") {
    status.textContent = "Filters and sorting need the site served over HTTP (kb serve, or any static host); every incident is on the pages below.";
    return;
  }
  const failed = (e) => { status.textContent = "The filters could not load (" + e.message + "); every incident is on the pages below."; };
  const load = (name) => fetch(new URL("../incidents/" + name, script)).then((r) => { if (!r.ok) throw new Error(name + ": HTTP " + r.status); return r.json(); });
  load("list-facets.json").then(start).catch(failed);

  /* As the server writes them (src/render/views.rs): "4 Mar 2021", "3d 2h". */
  function displayDate(iso) {
    const [y, m, d] = iso.split("-");
    return `${Number(d)} ${MONTHS[Number(m) - 1]} ${y}`;
  }
  function displayDuration(mins) {
    const days = Math.trunc(mins / 1440), h = Math.trunc((mins % 1440) / 60), m = mins % 60;
    if (days === 0) return h === 0 ? `${m}m` : m === 0 ? `${h}h` : `${h}h ${m}m`;
    return h === 0 ? `${days}d` : `${days}d ${h}h`;
  }
  const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

  /* The rows of list.json, each with its values per filter. */
  function readRows(d) {
    const F = Object.fromEntries(d.fields.map((f, i) => [f, i]));
    return d.incidents.map((r, i) => {
      const date = r[F.date];
      const row = {
        i, id: r[F.id], title: r[F.title], date, minutes: r[F.minutes], nearMiss: r[F.near_miss] === 1,
        sev: r[F.severity], severity: r[F.severity] === null ? null : d.severities[r[F.severity]],
        status: d.statuses[r[F.status]],
        tags: r[F.tags].map((t) => d.tags[t]),
        services: r[F.services].map((s) => d.services[s][0]),
      };
      row.values = { severity: row.severity === null ? [] : [row.severity], tag: row.tags, service: row.services, year: [date ? date.slice(0, 4) : "undated"], status: [row.status] };
      return row;
    });
  }

  function start(facets) {
    // Each facet's values in the order its menu lists them, how each is named, and how many
    // incidents have it (before any filter).
    const options = {
      severity: facets.severity.map(([s]) => [s, s]),
      tag: facets.tag.map(([t]) => [t, t]),
      service: facets.service.map(([key, name]) => [key, name]),
      year: facets.year.map(([y]) => [y, y === "undated" ? "Undated" : y]),
      status: facets.status.map(([s]) => [s, s.replace(/-/g, " ")]),
    };
    const totals = Object.fromEntries(Object.entries(facets).filter(([k]) => k !== "total").map(([k, list]) => [k, new Map(list.map((v) => [v[0], v.at(-1)]))]));
    const services = new Map(facets.service.map(([key, name]) => [key, name]));
    let rows = null, loading = null;
    /* The rows, fetched once; then the list is drawn again. */
    function needRows() {
      if (!loading) loading = load("list.json").then((d) => { rows = readRows(d); render(); }).catch(failed);
      return loading;
    }
    const nameOf = (facet, value) => { const o = options[facet].find(([v]) => v === value); return o ? o[1] : value; };

    /* The query string's state; unknown sorts and views are the defaults. */
    function readState() {
      const q = new URLSearchParams(location.search), s = {};
      for (const [f] of FACETS) s[f] = q.get(f) || null;
      s.sort = SORTS.some(([k]) => k === q.get("sort")) ? q.get("sort") : "date";
      s.view = q.get("view") === "table" ? "table" : "cards";
      return s;
    }
    function query(s) {
      const q = new URLSearchParams();
      for (const [f] of FACETS) if (s[f]) q.set(f, s[f]);
      if (s.sort !== "date") q.set("sort", s.sort);
      if (s.view !== "cards") q.set("view", s.view);
      const t = q.toString();
      return location.pathname + (t ? "?" + t : "");
    }
    const active = (s) => FACETS.filter(([f]) => s[f]);
    const matches = (r, s, except) => FACETS.every(([f]) => f === except || !s[f] || r.values[f].includes(s[f]));
    let state = readState();

    // The controls: one menu per facet, the sort, the view and a way to clear.
    const selects = {};
    const fields = [];
    for (const [f, label] of FACETS) {
      selects[f] = el("select", { id: "lf-" + f, name: f });
      fields.push(el("div", { class: "list-field" }, el("label", { for: "lf-" + f }, label), selects[f]));
    }
    selects.sort = el("select", { id: "lf-sort", name: "sort" }, ...SORTS.map(([k, label]) => el("option", { value: k }, label)));
    fields.push(el("div", { class: "list-field" }, el("label", { for: "lf-sort" }, "Sort"), selects.sort));
    const view = el("button", { type: "button", id: "lf-view", class: "list-button", "aria-pressed": "false" }, "Compact table");
    const clear = el("button", { type: "button", id: "lf-clear", class: "list-button" }, "Clear filters");
    const form = el("form", { class: "list-form", "aria-label": "Filter and sort incidents" }, ...fields, el("div", { class: "list-actions" }, view, clear));
    form.addEventListener("submit", (e) => e.preventDefault());
    // On a phone the controls fold, so the list starts on the first screen.
    const summary = el("summary");
    const fold = el("details", { class: "list-fold" }, summary, form);
    const narrow = matchMedia("(max-width: 40rem)");
    fold.open = !narrow.matches;
    narrow.addEventListener("change", () => { fold.open = !narrow.matches || fold.open; });
    controls.replaceChildren(fold);
    controls.hidden = false;
    // "Incidents 51–100, page 2 of 3" is about the pages, not a filtered list.
    const pageNote = $("list-page-note");

    function change(next, focus) {
      state = next;
      history.pushState(null, "", query(state));
      render();
      if (focus) focus.focus();
    }
    for (const [f] of FACETS) selects[f].addEventListener("change", () => change({ ...state, [f]: selects[f].value || null }));
    selects.sort.addEventListener("change", () => change({ ...state, sort: selects.sort.value }));
    view.addEventListener("click", () => change({ ...state, view: state.view === "table" ? "cards" : "table" }));
    clear.addEventListener("click", () => {
      const next = { ...state };
      for (const [f] of FACETS) next[f] = null;
      change(next, selects.severity);
    });
    addEventListener("popstate", () => { state = readState(); render(); });
    // About to filter: fetch the rows now, so the first change shows at once.
    for (const ev of ["focusin", "pointerdown"]) controls.addEventListener(ev, needRows, { once: true });

    /* Each menu lists its values with how many incidents the other filters leave for each. */
    function fillMenus() {
      for (const [f, label] of FACETS) {
        let counts = totals[f], any = facets.total;
        if (rows) {
          counts = new Map();
          any = 0;
          for (const r of rows) {
            if (!matches(r, state, f)) continue;
            any++;
            for (const v of r.values[f]) counts.set(v, (counts.get(v) || 0) + 1);
          }
        }
        const opts = [el("option", { value: "" }, `Any ${label.toLowerCase()} (${any})`)];
        const known = options[f].map(([v, name]) => [v, name]);
        // A value named by a shared URL that no incident has: listed, so it shows and clears.
        if (state[f] && !known.some(([v]) => v === state[f])) known.push([state[f], state[f]]);
        for (const [v, name] of known) opts.push(el("option", { value: v }, `${name} (${counts.get(v) || 0})`));
        selects[f].replaceChildren(...opts);
        selects[f].value = state[f] || "";
      }
      selects.sort.value = state.sort;
      view.setAttribute("aria-pressed", String(state.view === "table"));
      clear.hidden = active(state).length === 0;
      const n = active(state).length;
      summary.textContent = n ? `Filters and sort (${n} on)` : "Filters and sort";
    }

    function sorted(list) {
      const last = (x) => (x === null || x === undefined ? 1 : 0);
      const by = {
        "date": (a, b) => a.i - b.i,
        "date-asc": (a, b) => last(a.date) - last(b.date) || b.i - a.i,
        "severity": (a, b) => last(a.sev) - last(b.sev) || a.sev - b.sev || a.i - b.i,
        "duration": (a, b) => last(a.minutes) - last(b.minutes) || b.minutes - a.minutes || a.i - b.i,
        "duration-asc": (a, b) => last(a.minutes) - last(b.minutes) || a.minutes - b.minutes || a.i - b.i,
      }[state.sort];
      return list.slice().sort(by);
    }

    const href = (path) => root + path;
    const link = (cls, path, text) => el("a", { class: cls, href: href(path) }, text);
    const sevBadge = (r) => (r.severity === null ? null : el("span", { class: "sev sev-" + slug(r.severity), title: "Severity " + r.severity }, r.severity));
    const dateEl = (r) => (r.date ? el("time", { datetime: r.date }, displayDate(r.date)) : el("span", null, "undated"));

    function card(r) {
      const badges = [sevBadge(r)];
      if (r.nearMiss) badges.push(" ", el("span", { class: "badge badge-near-miss" }, "near miss"));
      if (r.status !== "published") badges.push(" ", el("span", { class: "badge badge-status" }, r.status.replace(/-/g, " ")));
      const head = el("div", { class: "incident-head" });
      if (r.severity !== null || r.nearMiss || r.status !== "published") head.append(el("span", { class: "badges" }, ...badges), " ");
      head.append(link("incident-title", `incidents/${r.id}/`, r.title));
      const sep = () => el("span", { class: "sep", "aria-hidden": "true" }, " · ");
      const meta = el("p", { class: "incident-meta" }, dateEl(r));
      if (r.minutes !== null) meta.append(sep(), el("span", null, el("span", { class: "visually-hidden" }, "Duration: "), displayDuration(r.minutes)));
      for (const s of r.services.slice(0, NAMES)) meta.append(sep(), link("service", `services/${s}/`, services.get(s)));
      const li = el("li", { class: "incident-item" }, head, meta);
      if (r.tags.length) li.append(el("ul", { class: "tag-list", "aria-label": "Tags" }, ...r.tags.slice(0, NAMES).map((t) => el("li", null, link("tag", `tags/${t}/`, t)))));
      return li;
    }
    function tableRow(r) {
      const names = (list, show) => {
        const td = el("td", { class: "list-names" });
        list.slice(0, 2).forEach((x, k) => { if (k) td.append(", "); td.append(show(x)); });
        if (list.length > 2) td.append(` +${list.length - 2}`);
        return td;
      };
      return el("tr", null,
        el("td", { class: "list-date" }, dateEl(r)),
        el("td", null, sevBadge(r)),
        el("td", { class: "list-title" }, link(null, `incidents/${r.id}/`, r.title)),
        names(r.services, (s) => link("service", `services/${s}/`, services.get(s))),
        names(r.tags, (t) => link(null, `tags/${t}/`, t)),
        el("td", null, r.status.replace(/-/g, " ")),
        el("td", { class: "list-num" }, r.minutes === null ? "" : displayDuration(r.minutes)));
    }

    function describe(s, and) {
      const parts = active(s).map(([f, label]) => `${label.toLowerCase()} ${nameOf(f, s[f])}`);
      return and && parts.length > 1 ? parts.slice(0, -1).join(", ") + " and " + parts.at(-1) : parts.join(", ");
    }

    /* Nothing left: which filter removed everything, and a button to drop each. */
    function empty() {
      const box = el("div", { class: "list-empty" }, el("p", null, `No incident has ${describe(state, true)}.`));
      const ways = el("ul", { class: "list-ways" });
      for (const [f, label] of active(state)) {
        const n = rows.filter((r) => matches(r, state, f)).length;
        const b = el("button", { type: "button", class: "list-button" }, `Remove ${label.toLowerCase()} ${nameOf(f, state[f])}`);
        b.addEventListener("click", () => change({ ...state, [f]: null }, selects[f]));
        ways.append(el("li", null, b, ` leaves ${n} incident${n === 1 ? "" : "s"}`));
      }
      const all = el("button", { type: "button", class: "list-button" }, "Clear all filters");
      all.addEventListener("click", () => clear.click());
      ways.append(el("li", null, all, ` shows all ${rows.length}`));
      box.append(ways);
      return box;
    }

    function render() {
      fillMenus();
      const filtered = active(state).length > 0;
      if (!filtered && state.sort === "date" && state.view === "cards") {
        results.hidden = true;
        results.replaceChildren();
        pages.hidden = false;
        if (pageNote) pageNote.hidden = false;
        status.textContent = "";
        return;
      }
      if (!rows) {
        status.textContent = "Loading the list of every incident…";
        needRows();
        return;
      }
      const list = sorted(rows.filter((r) => matches(r, state)));
      const order = SORTS.find(([k]) => k === state.sort)[1].toLowerCase();
      status.textContent = filtered
        ? `${list.length} of ${rows.length} incidents: ${describe(state)}; ${order}.`
        : `All ${rows.length} incidents, ${order}.`;
      pages.hidden = true;
      if (pageNote) pageNote.hidden = true;
      results.hidden = false;
      if (list.length === 0) { results.replaceChildren(empty()); return; }
      let container, body;
      if (state.view === "table") {
        body = el("tbody");
        const head = el("tr", null, ...["Date", "Severity", "Incident", "Services", "Tags", "Status", "Time to resolve"].map((h) => el("th", { scope: "col" }, h)));
        const table = el("table", { class: "incident-table" }, el("caption", { id: "list-caption" }, `Incidents, ${order}`), el("thead", null, head), body);
        // Wider than a phone: it scrolls inside this box, which the keyboard can reach.
        container = el("div", { class: "table-wrap list-table", role: "region", tabindex: "0", "aria-labelledby": "list-caption" }, table);
      } else {
        body = container = el("ol", { class: "incident-list" });
      }
      const more = el("button", { type: "button", class: "more-results" });
      let shown = 0;
      const draw = () => {
        const next = list.slice(shown, shown + BATCH);
        body.append(...next.map(state.view === "table" ? tableRow : card));
        shown += next.length;
        more.hidden = shown >= list.length;
        more.textContent = `Show ${Math.min(BATCH, list.length - shown)} more (${shown} of ${list.length} shown)`;
      };
      more.addEventListener("click", () => {
        const first = shown;
        draw();
        // Keep the keyboard where the reader was going: on the first new row's link.
        const a = body.children[first] && body.children[first].querySelector("a");
        if (a) a.focus();
      });
      draw();
      results.replaceChildren(container, more);
    }
    render();
  }
})();
