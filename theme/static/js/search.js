/* kb's search engine for the published site: the same query language and the same ranking as
 * `kb search`, computed over the static index `kb build` exports from tantivy's segment
 * (src/search/export.rs). It reproduces tantivy's BM25 in f32 (Math.fround after every
 * operation, in tantivy's order), the coverage bonus, synonyms, corrections and tie-breaking,
 * so the top results and their scores match the terminal's; tests/static_search.rs checks it.
 * Runs in browsers and in node (for those tests). No dependencies besides stem.js. */
(function (root) {
  "use strict";
  const inNode = typeof module === "object" && module.exports;
  const stem = inNode ? require("./stem.js").stem : root.kbStem;
  const f32 = Math.fround;
  const K1 = 1.2, B = 0.75, K1_PLUS_1 = f32(1 + K1);
  const FORMAT = 4;
  /* src/search/spelling.rs: MIN_CHARS, FREQ_MARGIN. */
  const MIN_CHARS = 3, FREQ_MARGIN = 3;
  /* tantivy's FIELD_NORMS_TABLE: field length per one-byte fieldnorm id. */
  const NORMS = [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,42,44,46,48,50,52,54,56,60,64,68,72,76,80,84,88,96,104,112,120,128,136,144,152,168,184,200,216,232,248,264,280,312,344,376,408,440,472,504,536,600,664,728,792,856,920,984,1048,1176,1304,1432,1560,1688,1816,1944,2072,2328,2584,2840,3096,3352,3608,3864,4120,4632,5144,5656,6168,6680,7192,7704,8216,9240,10264,11288,12312,13336,14360,15384,16408,18456,20504,22552,24600,26648,28696,30744,32792,36888,40984,45080,49176,53272,57368,61464,65560,73752,81944,90136,98328,106520,114712,122904,131096,147480,163864,180248,196632,213016,229400,245784,262168,294936,327704,360472,393240,426008,458776,491544,524312,589848,655384,720920,786456,851992,917528,983064,1048600,1179672,1310744,1441816,1572888,1703960,1835032,1966104,2097176,2359320,2621464,2883608,3145752,3407896,3670040,3932184,4194328,4718616,5242904,5767192,6291480,6815768,7340056,7864344,8388632,9437208,10485784,11534360,12582936,13631512,14680088,15728664,16777240,18874392,20971544,23068696,25165848,27263000,29360152,31457304,33554456,37748760,41943064,46137368,50331672,54525976,58720280,62914584,67108888,75497496,83886104,92274712,100663320,109051928,117440536,125829144,134217752,150994968,167772184,184549400,201326616,218103832,234881048,251658264,268435480,301989912,335544344,369098776,402653208,436207640,469762072,503316504,536870936,603979800,671088664,738197528,805306392,872415256,939524120,1006632984,1073741848,1207959576,1342177304,1476395032,1610612760,1744830488,1879048216,2013265944];
  const COVERAGE = 1;

  /* ---------------------------------------------------------------- text */

  const WORD = /[\p{Alphabetic}\p{N}]+/gu;
  const SPACE = /\p{White_Space}/u;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const utf8len = (s) => encoder.encode(s).length;

  /* Tokens as tantivy's en_stem makes them: runs of letters and digits, under 40 bytes. */
  function tokens(text) {
    const out = [];
    for (const m of text.matchAll(WORD)) if (utf8len(m[0]) < 40) out.push({ text: m[0], at: m.index });
    return out;
  }
  const stems = new Map();
  function stemOf(lower) {
    let s = stems.get(lower);
    if (s === undefined) { s = stem(lower); if (stems.size < 50000) stems.set(lower, s); }
    return s;
  }

  /* analyzer::split: a run of letters and digits as the index holds it: the word (a plural
   * `s` of an abbreviation left out: SDKs is SDK) and, for a compound, its parts: at a
   * lowercase-to-uppercase change, before the last capital of a run of capitals followed by a
   * lowercase letter, between letters and digits unless they alternate more than twice; no
   * parts when more than five. */
  const UPPER = /\p{Uppercase}/u, ALPHA = /\p{Alphabetic}/u;
  function split(word) {
    let chars = Array.from(word);
    if (chars[chars.length - 1] === "s") {
      let caps = 0;
      for (let k = chars.length - 2; k >= 0 && UPPER.test(chars[k]); k--) caps++;
      if (caps >= 2) chars = chars.slice(0, -1);
    }
    const cls = chars.map((c) => (UPPER.test(c) ? "U" : ALPHA.test(c) ? "L" : "D"));
    const digit = (k) => cls[k] === "D";
    let switches = 0;
    for (let k = 1; k < cls.length; k++) if (digit(k) !== digit(k - 1)) switches++;
    const starts = [0];
    for (let k = 1; k < cls.length; k++) {
      const a = cls[k - 1], b = cls[k];
      const cut = a === "L" && b === "U" ? true : a === "U" && b === "U" ? cls[k + 1] === "L" : switches <= 2 && digit(k) !== digit(k - 1);
      if (cut) starts.push(k);
    }
    const whole = chars.join("");
    if (starts.length < 2 || starts.length > 5) return { whole, parts: [] };
    return { whole, parts: starts.map((k, i) => chars.slice(k, i + 1 < starts.length ? starts[i + 1] : chars.length).join("")) };
  }
  /* A word of a text's stems as the index holds it: the word and a code word's parts
   * (CrashLoopBackOff is marked for "crash loop"). */
  function stemsOf(word) {
    const { whole, parts } = split(word);
    return [whole, ...parts].map((w) => stemOf(w.toLowerCase()));
  }
  /* analyzer::words: the query's words stemmed, a compound with its parts' stems; a compound
   * too long to index whole is its parts, each a word. */
  function words(text) {
    const out = [];
    const stemmed = (w) => stemOf(w.toLowerCase());
    for (const m of text.matchAll(WORD)) {
      const { whole, parts } = split(m[0]);
      if (utf8len(whole) < 40) out.push({ whole: stemmed(whole), parts: parts.map(stemmed) });
      else for (const p of parts) if (utf8len(p) < 40) out.push({ whole: stemmed(p), parts: [] });
    }
    return out;
  }
  /* The stems of words as one phrase: a compound by its parts. */
  const phraseOf = (ws) => ws.flatMap((w) => (w.parts.length ? w.parts : [w.whole]));
  function analyze(text) { return phraseOf(words(text)); }

  /* Byte (code point) order, as tantivy sorts terms. */
  function cmp(a, b) {
    if (a === b) return 0;
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) return d < 0 ? -1 : 1;
    }
    return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
  }

  function editDistance(a, b) {
    const x = Array.from(a), y = Array.from(b);
    let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 0; i < x.length; i++) {
      const cur = [i + 1];
      for (let j = 0; j < y.length; j++) {
        cur.push(Math.min(prev[j] + (x[i] === y[j] ? 0 : 1), prev[j + 1] + 1, cur[j] + 1));
      }
      prev = cur;
    }
    return prev[y.length];
  }

  /* spelling::distance: optimal string alignment over code points (a swap of neighbours is
   * one edit). */
  function osa(a, b) {
    const x = Array.from(a), y = Array.from(b);
    const rows = [];
    for (let i = 0; i <= x.length; i++) { rows.push(new Array(y.length + 1).fill(0)); rows[i][0] = i; }
    for (let j = 0; j <= y.length; j++) rows[0][j] = j;
    for (let i = 1; i <= x.length; i++) {
      for (let j = 1; j <= y.length; j++) {
        let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
        rows[i][j] = d;
      }
    }
    return rows[x.length][y.length];
  }

  /* spelling::typed_word: the one word of a clause, as typed, without the punctuation around
   * it, and the characters before it; null when the clause holds several. */
  function typedWord(clause) {
    const t = tokens(clause);
    if (t.length !== 1) return null;
    return { skip: Array.from(clause.slice(0, t[0].at)).length, typed: t[0].text };
  }

  /* diagnostics::did_you_mean: the nearest candidate within max(2, len/4) edits. */
  function didYouMean(word, candidates) {
    const w = word.toLowerCase();
    let best = null;
    for (const c of candidates) {
      const d = editDistance(w, c.toLowerCase()), len = utf8len(c);
      if (d <= Math.max(2, Math.floor(len / 4)) && d < len && (!best || d < best[0] || (d === best[0] && cmp(c, best[1]) < 0))) best = [d, c];
    }
    return best && best[1];
  }

  /* The slug crate's slugify for ASCII (and accents stripped): what tag and service names are. */
  function normalize(s) {
    return s.trim().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  /* ---------------------------------------------------------------- query language */

  class QueryError extends Error {
    constructor(col, message, hint) { super(message); this.col = col; this.hint = hint; }
  }
  /* No prototype: `constructor:` or `toString:` is no filter, as in the terminal. */
  const FILTERS = Object.assign(Object.create(null), { tag: "tag", tags: "tag", service: "service", services: "service", severity: "severity", sev: "severity", since: "since", after: "since", until: "until", before: "until" });
  const FILTER_NAMES = ["tag", "service", "severity", "since", "until"];
  const EXAMPLES = { tag: "tag:replication", service: "service:checkout", severity: "severity:SEV1", since: "since:2023-01-01", until: "until:2023-12-31" };
  const filterList = () => FILTER_NAMES.map((n) => "`" + n + ":`").join(", ");

  /* Days since 1970-01-01 of YYYY-MM-DD, YYYY-MM or YYYY (a month or year widened to its first
   * day for since:, its last for until:), or null. */
  function parseDate(s, end) {
    const parts = s.split("-");
    const num = (p, len) => (p.length === len && /^[0-9]+$/.test(p) ? parseInt(p, 10) : null);
    const day = (y, m, d) => {
      const t = new Date(Date.UTC(2000, 0, 1));
      t.setUTCFullYear(y, m - 1, d);
      if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return null;
      return Math.round(t.getTime() / 86400000);
    };
    if (parts.length === 1) {
      const y = num(parts[0], 4);
      return y === null ? null : end ? day(y, 12, 31) : day(y, 1, 1);
    }
    const y = num(parts[0], 4), m = num(parts[1], 2);
    if (y === null || m === null) return null;
    if (parts.length === 2) {
      if (!end) return day(y, m, 1);
      const first = day(y, m, 1);
      if (first === null) return null;
      return (m === 12 ? day(y + 1, 1, 1) : day(y, m + 1, 1)) - 1;
    }
    if (parts.length === 3) { const d = num(parts[2], 2); return d === null ? null : day(y, m, d); }
    return null;
  }

  /* src/search/query.rs, clause for clause; columns count characters from 1. */
  function parse(input) {
    const chars = Array.from(input);
    const clauses = [];
    const quoted = (open) => {
      const len = chars.slice(open + 1).indexOf('"');
      if (len < 0) throw new QueryError(open + 1, "this quote is never closed", 'close the phrase with another `"`, or remove the quote to search the words');
      return [chars.slice(open + 1, open + 1 + len).join(""), open + len + 2];
    };
    let i = 0;
    while (i < chars.length) {
      if (SPACE.test(chars[i])) { i++; continue; }
      const start = i;
      const occur = chars[i] === "+" ? "must" : chars[i] === "-" ? "mustNot" : "should";
      if (occur !== "should") i++;
      if (i < chars.length && chars[i] === '"') {
        const [text, end] = quoted(i);
        i = end;
        clauses.push({ kind: "phrase", occur, text, col: start + 1 });
        continue;
      }
      const tokStart = i;
      while (i < chars.length && !SPACE.test(chars[i]) && chars[i] !== '"') i++;
      const token = chars.slice(tokStart, i).join("");
      const colon = token.indexOf(":");
      const name = colon > 0 ? token.slice(0, colon) : "";
      const value0 = colon > 0 ? token.slice(colon + 1) : "";
      const quoteNext = i < chars.length && chars[i] === '"';
      /* `error:` stays a word; `tag:` with nothing after it is a filter missing its value. */
      if (colon > 0 && /^[A-Za-z]+$/.test(name) && !value0.startsWith("//") && (value0 !== "" || quoteNext || FILTERS[name.toLowerCase()])) {
        const kind = FILTERS[name.toLowerCase()];
        if (!kind) {
          const s = didYouMean(name, FILTER_NAMES);
          throw new QueryError(tokStart + 1, "unknown filter `" + name + ":`", s ? "did you mean `" + s + ":`? Filters are " + filterList() : "filters are " + filterList());
        }
        let value = value0;
        if (value === "" && quoteNext) { const [v, end] = quoted(i); i = end; value = v; }
        const valueCol = tokStart + Array.from(name).length + 2;
        if (value.trim() === "") throw new QueryError(valueCol, "`" + name + ":` needs a value", "write it with no space after the colon, e.g. " + EXAMPLES[kind]);
        if (kind === "since" || kind === "until") {
          if (occur === "mustNot") throw new QueryError(start + 1, "`-" + name + ":` cannot be negated", "use `since:` for on or after a date and `until:` for on or before it");
          const day = parseDate(value, kind === "until");
          if (day === null) throw new QueryError(valueCol, "`" + value + "` is not a date", "write dates as YYYY-MM-DD, YYYY-MM or YYYY, e.g. " + EXAMPLES[kind]);
          clauses.push({ kind: "date", filter: kind, day, col: start + 1 });
        } else {
          clauses.push({ kind: "filter", negated: occur === "mustNot", filter: kind, value, col: valueCol });
        }
        continue;
      }
      if (token === "") continue;
      clauses.push({ kind: "word", occur, text: token, col: start + 1 });
    }
    if (!clauses.length) throw new QueryError(1, "the query is empty", 'type what you see, e.g. "replica lag"');
    return clauses;
  }

  /* ---------------------------------------------------------------- index files */

  class Reader {
    constructor(bytes) { this.b = bytes; this.i = 0; }
    byte() { return this.b[this.i++]; }
    varint() {
      let v = 0, shift = 0, x;
      do { x = this.b[this.i++]; v += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
      return v;
    }
    /* Front-coded terms: bytes shared with the previous one, then the rest. */
    term(prev) {
      const shared = this.varint(), len = this.varint();
      const out = new Uint8Array(shared + len);
      out.set(prev.subarray(0, shared));
      out.set(this.b.subarray(this.i, this.i + len), shared);
      this.i += len;
      return out;
    }
  }

  /* Runs of (tf, fieldnorm id, doc deltas) until `count` postings are read. */
  function readRuns(r, count, list) {
    let read = 0;
    while (read < count) {
      const tf = r.varint(), norm = r.byte(), len = r.varint();
      const docs = new Uint32Array(len);
      let doc = 0;
      for (let k = 0; k < len; k++) { doc += r.varint(); docs[k] = doc; }
      list.runs.push({ tf, norm, docs });
      read += len;
    }
  }

  class Engine {
    /* manifest: the object inlined in the search page; load(path) resolves to the file's bytes,
     * gunzipped (paths relative to the search folder). */
    constructor(manifest, load) {
      if (manifest.format !== FORMAT) throw new Error("search index format " + manifest.format + ", this engine reads " + FORMAT);
      this.m = manifest;
      this.load = load;
      this.n = manifest.docs;
      this.fields = manifest.fields.map(([name, boost, total]) => {
        const avg = f32(f32(total) / f32(this.n || 1));
        const norm = NORMS.map((fl) => f32(K1 * f32(f32(1 - B) + f32(f32(B * f32(fl)) / avg))));
        return { name, boost: f32(boost), norm };
      });
      this.files = new Map();
      this.early = new Map();
      this.groups = manifest.synonyms;
    }

    file(path, parse) {
      let p = this.files.get(path);
      if (!p) { p = (this.early.get(path) || this.load(path)).then(parse); this.files.set(path, p); }
      return p;
    }
    /* Starts loading a file that is likely needed later, so it comes in this round trip. */
    askEarly(path) {
      if (this.files.has(path) || this.early.has(path)) return;
      const p = this.load(path);
      p.catch(() => {}); /* reported when used */
      this.early.set(path, p);
    }
    /* A term that is scored: when its lists go on in a tail (`tails` marks only shards of one
     * term, a long list), the first tier seldom spares it (the top 10 are rarely proved from
     * it), so it is asked for with the shard, not a round trip later. */
    scoredTerm(t) {
      if (!this.m.shards.length) return;
      const n = this.shardOf(this.m.shards, t);
      if (this.m.shards[n] === t && this.bit(this.m.tails, n)) this.askEarly("t/" + n + "-0.bin");
    }
    /* Bit n of a hex bitmap of the manifest. */
    bit(map, n) { return (parseInt((map || "")[n >> 2] || "0", 16) >> (n & 3)) & 1; }
    shardOf(bounds, term) {
      let lo = 0, hi = bounds.length - 1;
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (cmp(bounds[mid], term) <= 0) lo = mid; else hi = mid - 1; }
      return lo;
    }

    /* A term's posting lists (first tier), or null when no field holds it. */
    async term(t) {
      if (!this.m.shards.length) return null;
      const n = this.shardOf(this.m.shards, t);
      /* A shard of one term (a long list) holds no other word: none is fetched to learn so. */
      if (this.m.shards[n] !== t && this.bit(this.m.lone, n)) return null;
      const shard = await this.file("t/" + n + ".bin", (b) => this.readShard(b, n));
      return shard.get(t) || null;
    }
    readShard(bytes, n) {
      const r = new Reader(bytes), terms = new Map();
      let prev = new Uint8Array(0);
      const count = r.varint();
      for (let k = 0; k < count; k++) {
        prev = r.term(prev);
        const mask = r.byte(), lists = [];
        for (let f = 0; f < 5; f++) {
          if (!(mask & (1 << f))) continue;
          /* A phrase synonym: its stems' doc frequencies (its weight), then its own postings. */
          const dfs = [];
          if (mask & 0x40) for (let k = r.varint(); k > 0; k--) dfs.push(r.varint());
          const df = r.varint(), list = { field: f, df, dfs, runs: [], bound: null, complete: true };
          const first = Math.min(df, this.m.tier);
          readRuns(r, first, list);
          if (first < df) { list.complete = false; list.bound = { tf: r.varint(), norm: r.byte() }; }
          lists.push(list);
        }
        terms.set(decoder.decode(prev), { lists, tail: mask & 0x80 ? "t/" + n + "-" + k + ".bin" : null });
      }
      return terms;
    }
    /* Reads a term's tail into its lists: afterwards every list is complete. */
    async complete(t) {
      const info = await this.term(t);
      if (!info || !info.tail) return;
      await this.file(info.tail, (bytes) => {
        const r = new Reader(bytes);
        for (const list of info.lists) {
          if (list.complete) continue;
          const have = list.runs.reduce((s, x) => s + x.docs.length, 0);
          readRuns(r, list.df - have, list);
          list.complete = true;
          list.bound = null;
        }
        return true;
      });
    }
    /* Positions of a term: per field, doc → {tf, norm, positions}. */
    async positions(t) {
      const n = this.shardOf(this.m.position_shards, t);
      const shard = await this.file("p/" + n + ".bin", (bytes) => {
        const r = new Reader(bytes), terms = new Map();
        let prev = new Uint8Array(0);
        const count = r.varint();
        for (let k = 0; k < count; k++) {
          prev = r.term(prev);
          const mask = r.byte(), fields = [];
          for (let f = 0; f < 5; f++) {
            if (!(mask & (1 << f))) continue;
            const df = r.varint(), docs = new Map();
            let doc = 0;
            for (let j = 0; j < df; j++) {
              doc += r.varint();
              const tf = r.varint(), norm = r.byte(), pos = new Uint32Array(tf);
              let p = 0;
              for (let q = 0; q < tf; q++) { p += r.varint(); pos[q] = p; }
              docs.set(doc, { norm, pos });
            }
            fields[f] = docs;
          }
          terms.set(decoder.decode(prev), fields);
        }
        return terms;
      });
      return shard.get(t) || [];
    }
    dictionary() {
      return this.file("terms.bin", (bytes) => {
        const r = new Reader(bytes), out = [];
        let prev = new Uint8Array(0);
        const count = r.varint();
        for (let k = 0; k < count; k++) { prev = r.term(prev); out.push([decoder.decode(prev), r.varint()]); }
        return out;
      });
    }
    /* Whether t is an English word (spelling::ENGLISH): only the range of the word list that
     * would hold it is fetched, to judge an unknown word. */
    async isEnglish(t) {
      const n = this.shardOf(this.m.english, t);
      const words = await this.file("english/" + n + ".bin", (bytes) => {
        const r = new Reader(bytes), out = new Set();
        let prev = new Uint8Array(0);
        for (let k = r.varint(); k > 0; k--) { prev = r.term(prev); out.add(decoder.decode(prev)); }
        return out;
      });
      return words.has(t);
    }
    meta() {
      const chunks = [];
      for (let c = 0; c * this.m.meta_chunk < this.n; c++) {
        chunks.push(this.file("m/" + c + ".bin", (bytes) => {
          const r = new Reader(bytes), docs = [];
          while (r.i < bytes.length) {
            const z = r.varint(), day = z % 2 ? -(z + 1) / 2 : z / 2;
            const sev = r.varint(), tags = [], services = [];
            for (const list of [tags, services]) for (let k = r.varint(); k > 0; k--) list.push(r.varint());
            docs.push({ day: day ? day - 1 : null, sev: sev ? sev - 1 : null, tags, services });
          }
          return docs;
        }));
      }
      return Promise.all(chunks).then((cs) => cs.flat());
    }
    /* Documents holding one tag (prefix t), service (s) or severity (v), ascending. */
    docList(prefix, id) {
      return this.file("f/" + prefix + id + ".bin", (bytes) => {
        const r = new Reader(bytes), docs = [];
        let d = 0;
        for (let k = r.varint(); k > 0; k--) { d += r.varint(); docs.push(d); }
        return docs;
      });
    }
    /* [day, documents] per distinct day, newest first. */
    days() {
      return this.file("f/days.bin", (bytes) => {
        const r = new Reader(bytes), runs = [];
        let day = 0;
        for (let k = 0, n = r.varint(); k < n; k++) {
          if (k === 0) { const z = r.varint(); day = z % 2 ? -(z + 1) / 2 : z / 2; } else day -= r.varint();
          runs.push([day, r.varint()]);
        }
        return runs;
      });
    }
    stub(doc) {
      const g = Math.floor(doc / this.m.stub_group);
      return this.file("d/" + g + ".bin", (bytes) => JSON.parse(decoder.decode(bytes)))
        .then((list) => list[doc - g * this.m.stub_group]);
    }

    /* ------------------------------------------------------------ synonyms */

    /* The postings key of a leaf's stems: the stem, or for a phrase synonym (whose postings
     * the export computed) the stems joined by a space; null for other phrases, which are
     * matched from positions. */
    keyOf(stems) {
      if (stems.length === 1) return stems[0];
      const key = stems.join(" ");
      if (this.phraseKeys === undefined) this.phraseKeys = new Set(this.groups.flat().filter((m) => m.length > 1).map((m) => m.join(" ")));
      return this.phraseKeys.has(key) ? key : null;
    }
    groupOf(member) {
      const key = member.join(" ");
      return this.groups.find((g) => g.some((m) => m.join(" ") === key)) || null;
    }
    phraseAt(words) {
      let best = 0;
      for (const g of this.groups) for (const m of g) {
        if (m.length > 1 && words.length >= m.length && m.every((s, i) => s === words[i])) best = Math.max(best, m.length);
      }
      return best || null;
    }

    /* ------------------------------------------------------------ query → plan */

    /* Every file the query will need, requested at once: one round trip for most queries. */
    prefetch(clauses) {
      const terms = new Set(), phrases = new Set(), scored = new Set();
      /* A phrase synonym needs its own postings and its stems (whether the word is indexed,
       * and the idfs that weigh a synonym); another phrase needs its stems' positions. */
      const add = (member) => {
        const key = this.keyOf(member);
        if (key !== null) { terms.add(key); scored.add(key); member.forEach((y) => terms.add(y)); }
        else member.forEach((y) => { terms.add(y); phrases.add(y); });
      };
      /* Synonym phrases may start at any stem, within a word or across single-stem words. */
      const groupsAt = (s) => {
        for (let i = 0; i < s.length; i++) {
          const n = this.phraseAt(s.slice(i));
          const g = this.groupOf(n ? s.slice(i, i + n) : [s[i]]);
          if (g) g.forEach(add);
          if (n) (this.groupOf([s[i]]) || []).forEach(add);
        }
      };
      const plain = [];
      for (const c of clauses) {
        if (c.kind !== "word" && c.kind !== "phrase") continue;
        const ws = words(c.text), s = phraseOf(ws);
        add(s);
        groupsAt(s);
        for (const w of ws) if (w.parts.length) { add([w.whole]); groupsAt([w.whole]); }
        if (c.kind === "word" && c.occur === "should" && s.length === 1) plain.push(s[0]);
      }
      groupsAt(plain);
      const wait = [];
      for (const t of terms) wait.push(this.term(t));
      for (const t of scored) this.scoredTerm(t);
      for (const t of phrases) wait.push(this.positions(t));
      for (const c of clauses) {
        if (c.kind === "date") wait.push(this.days());
        else if (c.kind === "filter") { const v = this.filterValues(c); v.ids.forEach((i) => wait.push(this.docList(v.prefix, i))); }
      }
      return Promise.all(wait);
    }

    async docFreq(member) {
      const t = await this.term(member[0]);
      return t ? t.lists.reduce((s, l) => s + l.df, 0) : 0;
    }

    /* Builder.nearest and spelling::Nearest: the word authors wrote that `typed` clearly
     * misspells, or null. Not for short words, words with digits or English words; within 1
     * edit (2 above 4 letters); candidates with one stem are one choice, shown by the closest
     * (then most used, then first) word; the best must have fewer edits than the next choice, or
     * as few and FREQ_MARGIN times its incidents. */
    async nearest(typed) {
      const t = typed.toLowerCase(), n = Array.from(t).length;
      if (n < MIN_CHARS || /\p{N}/u.test(t)) return null;
      /* Both files in one round trip. */
      const [english, dictionary] = await Promise.all([this.isEnglish(t), this.dictionary()]);
      if (english) return null;
      const max = n <= 4 ? 1 : 2;
      const byStem = new Map();
      const better = (a, b) => a[0] - b[0] || b[1] - a[1] || cmp(a[2], b[2]);
      for (const [w, df] of dictionary) {
        if (Math.abs(Array.from(w).length - n) > max) continue;
        const d = osa(t, w);
        if (d === 0 || d > max) continue;
        const key = analyze(w).join(" "), c = [d, df, w], e = byStem.get(key);
        if (!e || better(c, e) < 0) byStem.set(key, c);
      }
      const ranked = [...byStem.values()].sort(better);
      if (!ranked.length) return null;
      const [best, next] = ranked;
      if (next && next[0] === best[0] && best[1] < FREQ_MARGIN * next[1]) return null;
      return best[2];
    }

    /* Builder.group: every member in every field; members not typed are weighed by
     * synonymFactor. */
    async leavesOf(members, typed = members) {
      const isTyped = (m) => typed.some((t) => t.join(" ") === m.join(" "));
      const leaves = [];
      members.forEach((m, k) => { for (let f = 0; f < 5; f++) leaves.push({ stems: m, field: f, member: k }); });
      for (const l of leaves) l.factor = isTyped(l.stems) ? 1 : await this.synonymFactor(typed[0], l.stems, l.field);
      return { leaves };
    }
    /* Builder.synonym_factor: a synonym's idf in a field brought down to the typed word's,
     * taken where the word is most common. */
    async synonymFactor(typed, member, f) {
      const idf = (df) => Math.log(1 + (this.n - df + 0.5) / (df + 0.5));
      let word = 0, synonym = 0;
      for (const s of typed) { const t = await this.term(s); word += idf(t ? Math.max(0, ...t.lists.map((l) => l.df)) : 0); }
      for (const s of member) { const t = await this.term(s), l = t && t.lists.find((x) => x.field === f); synonym += idf(l ? l.df : 0); }
      return f32(Math.min(1, word / synonym));
    }
    /* Builder.compound: the word and its synonyms, and its parts as a phrase, both typed. */
    compound(w) {
      const whole = [w.whole];
      const members = (this.groupOf(whole) || [whole]).slice();
      if (!members.some((m) => m.join(" ") === w.parts.join(" "))) members.push(w.parts);
      return this.leavesOf(members, [whole, w.parts]);
    }
    /* A word's group, or the word alone. */
    membersOf(s) { return this.groupOf([s]) || [[s]]; }

    /* Builder.word: the word's group, or the stem; corrected when the index holds neither. */
    async word(col, text, s, b) {
      const members = this.membersOf(s);
      for (const m of members) if ((await this.docFreq(m)) > 0) return this.leavesOf(members, [[s]]);
      const tw = typedWord(text) || { skip: 0, typed: text };
      const fix = await this.nearest(tw.typed);
      b.corrections.push({ word: tw.typed, suggestion: fix });
      if (!fix) return null;
      b.replaced.push({ col, skip: tw.skip, len: Array.from(tw.typed).length, word: fix });
      const st = analyze(fix);
      const ms = st.length === 1 ? this.membersOf(st[0]) : [st];
      await Promise.all(ms.flat().map((x) => this.term(x)).concat(ms.filter((m) => m.length > 1).flat().map((x) => this.positions(x))));
      return this.leavesOf(ms, [st]);
    }

    /* The ids of the values a tag/service/severity filter names, and where their lists are. */
    filterValues(c) {
      const m = this.m;
      let values, wanted, what, prefix;
      if (c.filter === "tag") { values = m.tags; const n = normalize(c.value); wanted = m.aliases[n] || n; what = "tag"; prefix = "t"; }
      else if (c.filter === "service") { values = m.services; wanted = normalize(c.value); what = "service"; prefix = "s"; }
      else { values = m.severities; wanted = c.value; what = "severity"; prefix = "v"; }
      const ids = [];
      values.forEach((v, i) => { if (what === "severity" ? v.toLowerCase() === wanted.toLowerCase() : v === wanted) ids.push(i); });
      return { values, wanted, what, prefix, ids };
    }

    async filter(c) {
      const m = this.m;
      const { values, wanted, what, prefix, ids } = this.filterValues(c);
      if (!ids.length) {
        const configured = what === "tag" ? m.configured_tags.includes(wanted) : what === "service" ? m.configured_services.includes(wanted) : m.levels.some((l) => l.toLowerCase() === wanted.toLowerCase());
        if (configured) return { none: true };
        const s = didYouMean(wanted, values);
        const hint = s ? "did you mean `" + what + ":" + s + "`?" : values.length ? "known: " + values.slice(0, 12).join(", ") : "no incident has a " + what;
        throw new QueryError(c.col, "no incident has the " + what + " `" + c.value + "`", hint);
      }
      const docs = new Set((await Promise.all(ids.map((i) => this.docList(prefix, i)))).flat());
      return { test: (d) => docs.has(d) };
    }

    /* Builder.build: clauses → should / must / mustNot clause lists and filters. */
    async plan(clauses) {
      await this.prefetch(clauses);
      const b = { corrections: [], replaced: [] };
      const should = [], must = [], mustNot = [], filters = [];
      const plain = [];
      let hadWords = false, empty = false;
      for (const c of clauses) {
        if (c.kind === "word" && c.occur === "should") {
          const ws = words(c.text);
          hadWords = hadWords || ws.length > 0;
          if (ws.length === 1 && !ws[0].parts.length) plain.push([c.col, c.text, [ws[0].whole]]);
          else if (ws.length === 1) should.push(await this.compound(ws[0]));
          else if (ws.length) should.push(await this.leavesOf([phraseOf(ws)]));
        } else if (c.kind === "word" || c.kind === "phrase") {
          const ws = words(c.text), s = phraseOf(ws);
          hadWords = hadWords || (c.occur !== "mustNot" && ws.length > 0);
          const q = c.kind === "word" && ws.length === 1
            ? (ws[0].parts.length ? await this.compound(ws[0]) : await this.word(c.col, c.text, ws[0].whole, b))
            : s.length ? await this.leavesOf([s]) : null;
          if (c.occur === "should" && q) should.push(q);
          else if (c.occur === "must") { if (q) must.push(q); else empty = true; }
          else if (c.occur === "mustNot" && q) mustNot.push(q);
        } else if (c.kind === "filter") {
          const f = await this.filter(c);
          if (f.none) { if (!c.negated) empty = true; }
          else filters.push(c.negated ? { test: (d) => !f.test(d) } : f);
        } else if (c.kind === "date") {
          /* Documents are newest first, undated last: a date range is a doc range. */
          const runs = await this.days();
          let lo = 0, hi = 0;
          for (const [day, n] of runs) { if (c.filter === "since" ? day >= c.day : day > c.day) lo += n; hi += n; }
          if (c.filter === "since") filters.push({ test: (d) => d < lo });
          else filters.push({ test: (d) => d >= lo && d < hi });
        }
      }
      for (let i = 0; i < plain.length;) {
        const rest = plain.slice(i).map((p) => p[2][0]);
        const n = this.phraseAt(rest);
        if (n) {
          const typed = rest.slice(0, n);
          should.push(await this.leavesOf(this.groupOf(typed) || [], [typed]));
          /* Its words count on their own too, those the index holds (none is corrected). */
          for (const [, , s] of plain.slice(i, i + n)) {
            const members = this.membersOf(s[0]);
            let known = false;
            for (const m of members) if ((await this.docFreq(m)) > 0) known = true;
            /* They add to the score, not to the coverage bonus. */
            if (known) should.push({ ...(await this.leavesOf(members, [s])), cover: false });
          }
          i += n;
          continue;
        }
        const [col, text, s] = plain[i];
        const q = await this.word(col, text, s[0], b);
        if (q) should.push(q);
        i++;
      }
      const scoring = should.length > 0 || must.length > 0;
      if (!scoring && hadWords) empty = true;
      if (!scoring && !filters.length && !mustNot.length && !empty) {
        throw new QueryError(1, "the query has no words to search for", 'search for letters or digits, e.g. "replica lag"');
      }
      return { should, must, mustNot, filters, scoring, empty, ...b };
    }

    /* ------------------------------------------------------------ scoring */

    idf(df) {
      const x = f32(f32(f32(this.n - df) + 0.5) / f32(df + 0.5));
      return f32(Math.log(f32(1 + x)));
    }

    /* A leaf (a term or phrase in one field): {docs, scores, complete, bound}. */
    async leaf(l) {
      const field = this.fields[l.field];
      const key = this.keyOf(l.stems);
      if (key !== null) {
        const t = await this.term(key);
        const list = t && t.lists.find((x) => x.field === l.field);
        if (!list) return null;
        let idf = this.idf(list.df);
        if (list.dfs.length) { idf = f32(0); for (const df of list.dfs) idf = f32(idf + this.idf(df)); }
        const weight = f32(f32(idf * K1_PLUS_1) * (l.factor === 1 ? field.boost : f32(field.boost * l.factor)));
        const score = (tf, norm) => f32(weight * f32(tf / f32(tf + field.norm[norm])));
        const docs = [], scores = [];
        for (const run of list.runs) {
          const s = score(run.tf, run.norm);
          for (const d of run.docs) { docs.push(d); scores.push(s); }
        }
        return { docs, scores, complete: list.complete, bound: list.complete ? 0 : score(list.bound.tf, list.bound.norm), term: key };
      }
      /* A phrase: documents holding every stem at consecutive positions; the count is its tf. */
      const per = await Promise.all(l.stems.map((s) => this.positions(s)));
      if (per.some((p) => !p[l.field])) return null;
      let idf = f32(0);
      for (const s of l.stems) {
        const t = await this.term(s);
        idf = f32(idf + this.idf(t.lists.find((x) => x.field === l.field).df));
      }
      const weight = f32(f32(idf * K1_PLUS_1) * (l.factor === 1 ? field.boost : f32(field.boost * l.factor)));
      const lists = per.map((p) => p[l.field]);
      const docs = [], scores = [];
      const last = l.stems.length - 1;
      for (const [doc, first] of lists[0]) {
        if (!lists.every((m) => m.has(doc))) continue;
        let at = new Set(Array.from(first.pos, (p) => p + last));
        for (let i = 1; i <= last && at.size; i++) {
          const next = new Set();
          for (const p of lists[i].get(doc).pos) if (at.has(p + last - i)) next.add(p + last - i);
          at = next;
        }
        if (!at.size) continue;
        docs.push(doc);
        scores.push(f32(weight * f32(at.size / f32(at.size + field.norm[first.norm]))));
      }
      return { docs, scores, complete: true, bound: 0 };
    }

    /* One clause's matches: every leaf in order, summed per document and member as tantivy's
     * union does, the best member per document as its DisjunctionMaxQuery does. */
    async clause(c, full) {
      const leaves = [];
      for (const l of c.leaves) {
        if (full && this.keyOf(l.stems) !== null) await this.complete(this.keyOf(l.stems));
        const r = await this.leaf(l);
        if (r && r.docs.length) { r.member = l.member; leaves.push(r); }
      }
      /* Each member summed over its fields; the clause is its best member (Builder.group). */
      const per = new Map();
      for (const r of leaves) {
        let m = per.get(r.member);
        if (!m) per.set(r.member, (m = new Map()));
        for (let k = 0; k < r.docs.length; k++) m.set(r.docs[k], f32((m.get(r.docs[k]) || 0) + r.scores[k]));
      }
      const sum = new Map();
      for (const m of per.values()) for (const [d, s] of m) if (!(sum.get(d) >= s)) sum.set(d, s);
      return { sum, leaves, complete: leaves.every((r) => r.complete) };
    }

    /* Runs a query: {total, totalExact, didYouMean, corrections, hits: [{doc, score}]}. */
    async search(input, limit = 10) {
      const clauses = parse(input);
      const plan = await this.plan(clauses);
      const stems = new Set(plan.should.concat(plan.must).flatMap((c) => c.leaves.flatMap((l) => l.stems)));
      const out = { query: input, corrections: plan.corrections, did_you_mean: null, replaced: plan.replaced, stems: [...stems] };
      if (plan.empty) return { ...out, total: 0, totalExact: true, hits: [] };
      let r = await this.rank(plan, limit, false);
      if (!r) r = await this.rank(plan, limit, true);
      return { ...out, ...r };
    }

    /* The top `limit` documents, or null when the first tiers cannot prove them (then the
     * caller asks again with `full`, which reads every tail). */
    async rank(plan, limit, full) {
      /* Tails needed are fetched together: one round trip, not one per word. */
      const tails = (cs) => cs.flatMap((c) => c.leaves).map((l) => this.keyOf(l.stems)).filter((k) => k !== null).map((k) => this.complete(k));
      await Promise.all([...tails(plan.must), ...tails(plan.mustNot), ...(full ? tails(plan.should) : [])]);
      const must = await Promise.all(plan.must.map((c) => this.clause(c, true)));
      const mustNot = await Promise.all(plan.mustNot.map((c) => this.clause(c, true)));
      const should = [];
      for (const c of plan.should) should.push(await this.clause(c, full));
      const keep = (d) => must.every((c) => c.sum.has(d)) && !mustNot.some((c) => c.sum.has(d)) && plan.filters.every((f) => f.test(d));

      if (!plan.scoring) {
        const hits = [];
        const score = plan.filters.length ? 0 : 1;
        for (let d = 0; d < this.n; d++) if (keep(d)) hits.push({ doc: d, score });
        return { total: hits.length, totalExact: true, hits: hits.slice(0, limit) };
      }
      /* The words of a phrase synonym add to the score, not to the coverage bonus. */
      const covering = plan.should.map((c) => c.cover !== false);
      const n = covering.filter(Boolean).length;
      const candidates = new Set();
      if (plan.must.length) for (const d of must[0].sum.keys()) candidates.add(d);
      else for (const c of should) for (const d of c.sum.keys()) candidates.add(d);
      const cover = (m) => (n < 2 ? 1 : f32(1 + f32(COVERAGE * f32(Math.max(m - 1, 0) / (n - 1)))));
      const scored = [];
      for (const d of candidates) {
        if (!keep(d)) continue;
        let req = f32(0);
        if (must.length) { for (const c of must) req = f32(req + c.sum.get(d)); }
        let opt = f32(0), m = 0, any = false;
        should.forEach((c, ci) => { const s = c.sum.get(d); if (s !== undefined) { opt = f32(opt + s); if (covering[ci]) m++; any = true; } });
        const score = must.length ? (any ? f32(req + opt) : req) : opt;
        scored.push({ doc: d, score: n >= 2 ? f32(score * cover(m)) : score, m });
      }
      const byRank = (a, b) => b.score - a.score || a.doc - b.doc;
      const incomplete = should.flatMap((c, ci) => c.leaves.filter((l) => !l.complete).map((l) => ({ l, ci })));
      if (!incomplete.length) {
        scored.sort(byRank);
        return { total: scored.length, totalExact: true, hits: scored.slice(0, limit).map(({ doc, score }) => ({ doc, score })) };
      }
      /* Some lists hold only their best postings. A document missing from one may still have
       * a posting there worth at most its bound: results stand only when no such document can
       * reach the last of the top ones. */
      const seen = incomplete.map(({ l }) => new Set(l.docs));
      const exact = [], open = [];
      for (const s of scored) {
        let extra = 0, clausesMaybe = new Set();
        incomplete.forEach(({ l, ci }, k) => {
          if (!seen[k].has(s.doc)) { extra += l.bound; if (covering[ci] && !should[ci].sum.has(s.doc)) clausesMaybe.add(ci); }
        });
        if (!extra) exact.push(s);
        else open.push({ ...s, ub: (s.score / cover(s.m) + extra) * cover(s.m + clausesMaybe.size) });
      }
      exact.sort(byRank);
      if (exact.length < limit) return null;
      const last = exact[limit - 1].score * (1 - 1e-6);
      const clauseSet = new Set(incomplete.map((x) => x.ci).filter((ci) => covering[ci]));
      const unseen = incomplete.reduce((s, x) => s + x.l.bound, 0) * cover(clauseSet.size);
      if (unseen >= last || open.some((o) => o.ub >= last)) return null;
      return { total: scored.length, totalExact: false, hits: exact.slice(0, limit).map(({ doc, score }) => ({ doc, score })) };
    }

    /* search() plus the stubs of the hits and the corrected query, for showing them. */
    async results(input, limit = 10) {
      const r = await this.search(input, limit);
      const stubs = await Promise.all(r.hits.map((h) => this.stub(h.doc)));
      r.hits.forEach((h, k) => { h.stub = stubs[k]; });
      const replaced = r.replaced;
      if (replaced.length) {
        const chars = Array.from(input);
        let out = "", i = 0;
        for (const x of [...replaced].sort((a, b) => a.col - b.col || a.skip - b.skip)) {
          let start = x.col - 1;
          if (chars[start] === "+" || chars[start] === "-") start++;
          start += x.skip;
          out += chars.slice(Math.min(i, start), start).join("") + x.word;
          i = start + x.len;
        }
        r.did_you_mean = out + chars.slice(Math.min(i, chars.length)).join("");
      }
      delete r.replaced;
      return r;
    }

    /* Counts of tags, severities, services and years over every match: exact, as `kb search
     * --facets`, but it reads every tier and every document's metadata (`m/`: 78 KB at 10,000
     * incidents, 0.7 MB at 100,000), so the page asks for it only on request. */
    async facets(input) {
      const plan = await this.plan(parse(input));
      const meta = await this.meta();
      const r = plan.empty ? { hits: [] } : await this.rank(plan, this.n, true);
      const c = counter();
      for (const h of r.hits) {
        const d = meta[h.doc];
        d.tags.forEach((t) => c.add("tags", this.m.tags[t]));
        d.services.forEach((s) => c.add("services", this.m.services[s]));
        if (d.sev !== null) c.add("severity", this.m.severities[d.sev]);
        if (d.day !== null) c.add("years", String(new Date(d.day * 86400000).getUTCFullYear()));
      }
      return { total: r.hits.length, ...c.sorted() };
    }

    /* Bytes `facets` downloads on top of a query (the `m/` files), for the page to say. */
    facetsBytes() { return this.m.meta_bytes || 0; }
  }

  /* Counts per facet, sorted as `kb search --facets` sorts them: largest first, then by value;
   * years newest first. */
  function counter() {
    const maps = { tags: new Map(), severity: new Map(), services: new Map(), years: new Map() };
    const sorted = (m, byValue) => [...m].map(([value, count]) => ({ value, count }))
      .sort(byValue ? (a, b) => cmp(b.value, a.value) : (a, b) => b.count - a.count || cmp(a.value, b.value));
    return {
      add: (k, v) => maps[k].set(v, (maps[k].get(v) || 0) + 1),
      sorted: () => ({ tags: sorted(maps.tags), severity: sorted(maps.severity), services: sorted(maps.services), years: sorted(maps.years, true) }),
    };
  }

  /* The same counts over some results only, from their stubs (loaded to show them, so this
   * costs nothing): tags, severity, services by name (as `kb search --json` hits carry them)
   * and years. */
  function facetsOfStubs(stubs) {
    const c = counter();
    for (const s of stubs) {
      s.tags.forEach((t) => c.add("tags", t));
      s.services.forEach((v) => c.add("services", v));
      if (s.severity) c.add("severity", s.severity);
      if (s.date) c.add("years", String(parseInt(s.date, 10)));
    }
    return { total: stubs.length, ...c.sorted() };
  }

  /* Loads index files for an Engine in a browser: `base` is the site's search/ folder; the
   * files are gzip, unpacked here (hosts serve them as they are). */
  function loader(base) {
    return async function load(path) {
      const res = await fetch(new URL(path, base));
      if (!res.ok) throw new Error("could not load the search index (" + path + ": HTTP " + res.status + ")");
      const plain = res.body.pipeThrough(new DecompressionStream("gzip"));
      return new Uint8Array(await new Response(plain).arrayBuffer());
    };
  }

  const api = { Engine, loader, QueryError, parse, analyze, words, split, stemsOf, tokens, stemOf, normalize, facetsOfStubs, FORMAT };
  if (inNode) module.exports = api;
  else root.kbSearch = api;
})(typeof self !== "undefined" ? self : this);
