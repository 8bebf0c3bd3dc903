#!/usr/bin/env node
// Checks theme/static/js/stem.js against frostem, the Rust index's stemmer.
//
//     node tests/js/stem_check.js < stems.tsv
//
// stdin: `word<TAB>stem` lines, as printed by `cargo run --release --example stem < words.txt`.
// That tool runs the whole analyzer (split on non-alphanumerics, drop tokens of 40+ bytes,
// lowercase, stem), so rows where the word is not one analyzer token are skipped: a stem with
// a space, a word with a non-alphanumeric char or uppercase, a word of 40+ UTF-8 bytes.
// Prints each mismatch as `word<TAB>expected<TAB>got` (at most 50), then
// `checked N words, M mismatches`; the skipped count goes to stderr. Exits 1 on any mismatch.
"use strict";
const path = require("path");
const { stem } = require(path.join(__dirname, "..", "..", "theme", "static", "js", "stem.js"));

const MAX_SHOWN = 50;
const SPLITS = /[^\p{Alphabetic}\p{N}]/u; // tantivy's SimpleTokenizer: !char::is_alphanumeric

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  let checked = 0;
  let skipped = 0;
  let mismatches = 0;
  const out = [];
  for (let line of input.split("\n")) {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const word = line.slice(0, tab);
    const expected = line.slice(tab + 1);
    if (expected.includes(" ") || SPLITS.test(word) || word !== word.toLowerCase() ||
        Buffer.byteLength(word) >= 40) {
      skipped++;
      continue;
    }
    checked++;
    const got = stem(word);
    if (got !== expected) {
      mismatches++;
      if (mismatches <= MAX_SHOWN) out.push(`${word}\t${expected}\t${got}`);
    }
  }
  out.push(`checked ${checked} words, ${mismatches} mismatches`);
  process.stdout.write(out.join("\n") + "\n");
  if (skipped) process.stderr.write(`skipped ${skipped} rows that are not one analyzer token\n`);
  process.exitCode = mismatches > 0 ? 1 : 0;
});
