// Snowball English stemmer: a routine-by-routine port of english_stemmer.rs from the Rust
// crate frostem 1.20260821.8 (generated from english.sbl by Snowball 3.1.1) and of its
// runtime (snowball_env.rs, among.rs), so the browser stems query words exactly as the index
// does. tests/js/stem_check.js checks it against frostem's stems of ~109k words.
//
// The Rust runtime works on UTF-8 byte offsets but always moves by whole chars, and every
// literal it compares against is ASCII; here the word is an array of code points and every
// offset counts code points, which keeps hop(), short-word and R1/R2 behaviour identical for
// non-ASCII and astral-plane letters. Labels (lab0, lab20, ...) follow the generated code.
(function (root) {
  "use strict";

  // Among tables, verbatim: [string, index of the entry it extends (-1: none), result].
  const A_0 = [["arsen", -1, -1], ["commun", -1, -1], ["emerg", -1, -1], ["gener", -1, -1],
    ["inter", -1, -1], ["later", -1, -1], ["organ", -1, -1], ["past", -1, -1],
    ["univers", -1, -1]];
  const A_1 = [["'", -1, 1], ["'s'", 0, 1], ["'s", -1, 1]];
  const A_2 = [["ied", -1, 2], ["s", -1, 3], ["ies", 1, 2], ["sses", 1, 1], ["ss", 1, -1],
    ["us", 1, -1]];
  const A_3 = [["succ", -1, 1], ["proc", -1, 1], ["exc", -1, 1]];
  const A_4 = [["even", -1, 2], ["cann", -1, 2], ["inn", -1, 2], ["earr", -1, 2],
    ["herr", -1, 2], ["out", -1, 2], ["y", -1, 1]];
  const A_5 = [["", -1, -1], ["ed", 0, 2], ["eed", 1, 1], ["ing", 0, 3], ["edly", 0, 2],
    ["eedly", 4, 1], ["ingly", 0, 2]];
  const A_6 = [["", -1, 3], ["bb", 0, 2], ["dd", 0, 2], ["ff", 0, 2], ["gg", 0, 2],
    ["bl", 0, 1], ["mm", 0, 2], ["nn", 0, 2], ["pp", 0, 2], ["rr", 0, 2], ["at", 0, 1],
    ["tt", 0, 2], ["iz", 0, 1]];
  const A_7 = [["anci", -1, 3], ["enci", -1, 2], ["ogi", -1, 14], ["li", -1, 16],
    ["bli", 3, 12], ["abli", 4, 4], ["alli", 3, 8], ["fulli", 3, 9], ["lessli", 3, 15],
    ["ousli", 3, 10], ["entli", 3, 5], ["aliti", -1, 8], ["biliti", -1, 12],
    ["iviti", -1, 11], ["tional", -1, 1], ["ational", 14, 7], ["alism", -1, 8],
    ["ation", -1, 7], ["ization", 17, 6], ["izer", -1, 6], ["ator", -1, 7],
    ["iveness", -1, 11], ["fulness", -1, 9], ["ousness", -1, 10], ["ogist", -1, 13]];
  const A_8 = [["icate", -1, 4], ["ative", -1, 6], ["alize", -1, 3], ["iciti", -1, 4],
    ["ical", -1, 4], ["tional", -1, 1], ["ational", 5, 2], ["ful", -1, 5], ["ness", -1, 5]];
  const A_9 = [["ic", -1, 1], ["ance", -1, 1], ["ence", -1, 1], ["able", -1, 1],
    ["ible", -1, 1], ["ate", -1, 1], ["ive", -1, 1], ["ize", -1, 1], ["iti", -1, 1],
    ["al", -1, 1], ["ism", -1, 1], ["ion", -1, 2], ["er", -1, 1], ["ous", -1, 1],
    ["ant", -1, 1], ["ent", -1, 1], ["ment", 15, 1], ["ement", 16, 1]];
  const A_10 = [["e", -1, 1], ["l", -1, 2]];
  const A_11 = [["andes", -1, -1], ["atlas", -1, -1], ["bias", -1, -1], ["cosmos", -1, -1],
    ["early", -1, 6], ["gently", -1, 4], ["howe", -1, -1], ["idly", -1, 3], ["news", -1, -1],
    ["only", -1, 7], ["singly", -1, 8], ["skies", -1, 2], ["skis", -1, 1], ["sky", -1, -1],
    ["ugly", -1, 5]];

  // Groupings: bitsets over code points min..max, least significant bit first.
  const G_aeo = [17, 64];                // a e o           (97..111)
  const G_v = [17, 65, 16, 1];           // a e i o u y     (97..121)
  const G_v_WXY = [1, 17, 65, 208, 1];   // v + w x Y       (89..121)
  const G_valid_LI = [55, 141, 2];       // c d e g h k m n r t (99..116)

  // SnowballEnv state. cur holds code points; all offsets count code points.
  let cur, cursor, limit, limitB, bra, ket;

  function inG(g, min, max, ch) {
    if (ch > max || ch < min) return false;
    ch -= min;
    return (g[ch >> 3] & (1 << (ch & 7))) !== 0;
  }
  function in_grouping(g, min, max) {
    if (cursor >= limit || !inG(g, min, max, cur[cursor])) return false;
    cursor++;
    return true;
  }
  function go_in_grouping(g, min, max) {   // stops on the first char outside g
    for (; cursor < limit; cursor++) if (!inG(g, min, max, cur[cursor])) return true;
    return false;
  }
  function go_out_grouping(g, min, max) {  // stops on the first char inside g
    for (; cursor < limit; cursor++) if (inG(g, min, max, cur[cursor])) return true;
    return false;
  }
  function in_grouping_b(g, min, max) {
    if (cursor <= limitB || !inG(g, min, max, cur[cursor - 1])) return false;
    cursor--;
    return true;
  }
  function out_grouping_b(g, min, max) {
    if (cursor <= limitB || inG(g, min, max, cur[cursor - 1])) return false;
    cursor--;
    return true;
  }
  function go_out_grouping_b(g, min, max) {
    for (; cursor > limitB; cursor--) if (inG(g, min, max, cur[cursor - 1])) return true;
    return false;
  }
  function hop(n) {
    let res = cursor;
    for (; n > 0; n--) { if (res >= limit) return false; res++; }
    cursor = res;
    return true;
  }
  function hop_back(n) {
    let res = cursor;
    for (; n > 0; n--) { if (res <= limitB) return false; res--; }
    cursor = res;
    return true;
  }
  // Like the Rust runtime, eq_s checks only cursor < limit and then the text itself.
  function eq_s(s) {
    if (cursor >= limit || cursor + s.length > cur.length) return false;
    for (let i = 0; i < s.length; i++) if (cur[cursor + i] !== s.charCodeAt(i)) return false;
    cursor += s.length;
    return true;
  }
  function eq_s_b(s) {
    if (cursor - limitB < s.length) return false;
    const at = cursor - s.length;
    for (let i = 0; i < s.length; i++) if (cur[at + i] !== s.charCodeAt(i)) return false;
    cursor = at;
    return true;
  }
  function slice_from(s) {               // replace_s(bra, ket, s) + ket update
    const cps = [];
    for (let i = 0; i < s.length; i++) cps.push(s.charCodeAt(i));
    const adjustment = cps.length - (ket - bra);
    cur = cur.slice(0, bra).concat(cps, cur.slice(ket));
    limit += adjustment;
    if (cursor >= ket) cursor += adjustment;
    else if (cursor > bra) cursor = bra;
    ket = bra + cps.length;
  }
  function slice_del() { slice_from(""); }

  function find_among(v) {
    let i = 0, j = v.length, common_i = 0, common_j = 0, first_key_inspected = false;
    const c = cursor, l = limit;
    for (;;) {
      const k = i + ((j - i) >> 1), w = v[k][0];
      let diff = 0, common = Math.min(common_i, common_j);
      for (let x = common; x < w.length; x++) {
        if (c + common === l) { diff = -1; break; }
        diff = cur[c + common] - w.charCodeAt(x);
        if (diff !== 0) break;
        common++;
      }
      if (diff < 0) { j = k; common_j = common; } else { i = k; common_i = common; }
      if (j - i <= 1) {
        if (i > 0 || j === i || first_key_inspected) break;
        first_key_inspected = true;
      }
    }
    for (;;) {
      const w = v[i];
      if (common_i >= w[0].length) { cursor = c + w[0].length; return w[2]; }
      i = w[1];
      if (i < 0) return 0;
    }
  }
  function find_among_b(v) {
    let i = 0, j = v.length, common_i = 0, common_j = 0, first_key_inspected = false;
    const c = cursor, lb = limitB;
    for (;;) {
      const k = i + ((j - i) >> 1), w = v[k][0];
      let diff = 0, common = Math.min(common_i, common_j);
      for (let x = w.length - 1 - common; x >= 0; x--) {
        if (c - common === lb) { diff = -1; break; }
        diff = cur[c - common - 1] - w.charCodeAt(x);
        if (diff !== 0) break;
        common++;
      }
      if (diff < 0) { j = k; common_j = common; } else { i = k; common_i = common; }
      if (j - i <= 1) {
        if (i > 0 || j === i || first_key_inspected) break;
        first_key_inspected = true;
      }
    }
    for (;;) {
      const w = v[i];
      if (common_i >= w[0].length) { cursor = c - w[0].length; return w[2]; }
      i = w[1];
      if (i < 0) return 0;
    }
  }
  // The generated code's quick rejects before find_among: is the char at p in 'a'..0x7f
  // (the byte >> 5 == 3 test) with its bit set in mask?
  function inMask(p, mask) {
    const ch = cur[p];
    return ch >> 5 === 3 && ((mask >> (ch & 0x1f)) & 1) !== 0;
  }

  function r_shortv() {
    const v_1 = limit - cursor;
    if (out_grouping_b(G_v_WXY, 89, 121) && in_grouping_b(G_v, 97, 121) &&
        out_grouping_b(G_v, 97, 121)) return true;
    cursor = limit - v_1;
    if (out_grouping_b(G_v, 97, 121) && in_grouping_b(G_v, 97, 121) &&
        cursor <= limitB) return true;
    cursor = limit - v_1;
    return eq_s_b("past");
  }

  function r_stem() {
    let among_var, Y_found, p1, p2;
    lab0: {
      // exception1: whole words with fixed stems.
      const v_1 = cursor;
      lab1: {
        bra = cursor;
        if (cursor + 2 >= limit || !inMask(cursor + 2, 42750482)) break lab1;
        among_var = find_among(A_11);
        if (among_var === 0) break lab1;
        ket = cursor;
        if (cursor < limit) break lab1;
        switch (among_var) {
          case 1: slice_from("ski"); break;
          case 2: slice_from("sky"); break;
          case 3: slice_from("idl"); break;
          case 4: slice_from("gentl"); break;
          case 5: slice_from("ugli"); break;
          case 6: slice_from("earli"); break;
          case 7: slice_from("onli"); break;
          case 8: slice_from("singl"); break;
        }
        break lab0;
      }
      cursor = v_1;
      if (!hop(3)) break lab0;           // fewer than 3 chars: unchanged
      cursor = v_1;

      // prelude: drop a leading apostrophe, mark consonant y as Y.
      Y_found = false;
      const v_2 = cursor;
      bra = cursor;
      if (eq_s("'")) { ket = cursor; slice_del(); }
      cursor = v_2;
      const v_3 = cursor;
      bra = cursor;
      if (eq_s("y")) { ket = cursor; slice_from("Y"); Y_found = true; }
      cursor = v_3;
      const v_4 = cursor;
      replab8: for (;;) {
        const v_5 = cursor;
        lab9: {
          for (;;) {                      // golab10
            const v_6 = cursor;
            if (in_grouping(G_v, 97, 121)) {
              bra = cursor;
              if (eq_s("y")) { ket = cursor; cursor = v_6; break; }
            }
            cursor = v_6;
            if (cursor >= limit) break lab9;
            cursor++;
          }
          slice_from("Y");
          Y_found = true;
          continue replab8;
        }
        cursor = v_5;
        break;
      }
      cursor = v_4;

      // mark_regions: p1 (R1) and p2 (R2).
      p1 = limit;
      p2 = limit;
      const v_7 = cursor;
      lab13: {
        lab14: {
          const v_8 = cursor;
          // lab15: R1 after a listed prefix (emerg-, inter-, past, ...).
          if (cursor + 3 < limit && inMask(cursor + 3, 5513250) && find_among(A_0) !== 0) {
            break lab14;
          }
          cursor = v_8;
          if (!go_out_grouping(G_v, 97, 121)) break lab13;
          cursor++;
          if (!go_in_grouping(G_v, 97, 121)) break lab13;
          cursor++;
        }
        p1 = cursor;
        if (!go_out_grouping(G_v, 97, 121)) break lab13;
        cursor++;
        if (!go_in_grouping(G_v, 97, 121)) break lab13;
        cursor++;
        p2 = cursor;
      }
      cursor = v_7;

      // Backward mode.
      limitB = cursor;
      cursor = limit;

      // Step_1a (with the apostrophe step before it).
      const v_9 = limit - cursor;
      lab16: {
        const v_10 = limit - cursor;
        lab17: {
          ket = cursor;
          if (cursor <= limitB || (cur[cursor - 1] !== 39 && cur[cursor - 1] !== 115) ||
              find_among_b(A_1) === 0) {
            cursor = limit - v_10;
            break lab17;
          }
          bra = cursor;
          slice_del();
        }
        ket = cursor;
        if (cursor <= limitB || (cur[cursor - 1] !== 100 && cur[cursor - 1] !== 115)) break lab16;
        among_var = find_among_b(A_2);
        if (among_var === 0) break lab16;
        bra = cursor;
        switch (among_var) {
          case 1: slice_from("ss"); break;
          case 2: {
            const v_11 = limit - cursor;
            if (hop_back(2)) slice_from("i");
            else { cursor = limit - v_11; slice_from("ie"); }
            break;
          }
          case 3:
            if (cursor <= limitB) break lab16;
            cursor--;
            if (!go_out_grouping_b(G_v, 97, 121)) break lab16;
            cursor--;
            slice_del();
            break;
        }
      }
      cursor = limit - v_9;

      // Step_1b.
      const v_12 = limit - cursor;
      lab20: {
        ket = cursor;
        if (cursor - 1 <= limitB || !inMask(cursor - 1, 33554576)) among_var = -1;
        else among_var = find_among_b(A_5);
        bra = cursor;
        lab21: {
          const v_13 = limit - cursor;
          lab22: {
            switch (among_var) {
              case 1: {
                const v_14 = limit - cursor;
                if (p1 <= cursor) {
                  const v_15 = limit - cursor;
                  // lab25: succeed / proceed / exceed stay as they are.
                  const keep = cursor - 2 > limitB && cur[cursor - 1] === 99 &&
                    find_among_b(A_3) !== 0 && cursor <= limitB;
                  if (!keep) {
                    cursor = limit - v_15;
                    slice_from("ee");
                  }
                }
                cursor = limit - v_14;
                break;
              }
              case 2:
                break lab22;
              case 3: {
                if (cursor <= limitB || !inMask(cursor - 1, 34881536)) break lab22;
                among_var = find_among_b(A_4);
                if (among_var === 0) break lab22;
                switch (among_var) {
                  case 1: {
                    const v_16 = limit - cursor;
                    if (!out_grouping_b(G_v, 97, 121)) break lab22;
                    if (cursor > limitB) break lab22;
                    cursor = limit - v_16;
                    bra = cursor;
                    slice_from("ie");
                    break;
                  }
                  case 2:
                    if (cursor > limitB) break lab22;
                    break;
                }
                break;
              }
            }
            break lab21;
          }
          // lab22 failed: delete ed/edly/ing/ingly if the stem before it has a vowel.
          cursor = limit - v_13;
          const v_17 = limit - cursor;
          if (!go_out_grouping_b(G_v, 97, 121)) break lab20;
          cursor--;
          cursor = limit - v_17;
          slice_del();
          ket = cursor;
          bra = cursor;
          const v_18 = limit - cursor;
          if (cursor - 1 <= limitB || !inMask(cursor - 1, 68514004)) among_var = 3;
          else among_var = find_among_b(A_6);
          switch (among_var) {
            case 1:
              slice_from("e");
              break lab20;
            case 2: {
              const v_19 = limit - cursor;
              if (in_grouping_b(G_aeo, 97, 111) && cursor <= limitB) break lab20;
              cursor = limit - v_19;
              break;
            }
            case 3: {
              if (cursor !== p1) break lab20;
              const v_20 = limit - cursor;
              if (!r_shortv()) break lab20;
              cursor = limit - v_20;
              slice_from("e");
              break lab20;
            }
          }
          cursor = limit - v_18;
          ket = cursor;
          if (cursor <= limitB) break lab20;
          cursor--;
          bra = cursor;
          slice_del();
        }
      }
      cursor = limit - v_12;

      // Step_1c.
      const v_21 = limit - cursor;
      lab27: {
        ket = cursor;
        if (!eq_s_b("y") && !eq_s_b("Y")) break lab27;
        bra = cursor;
        if (!out_grouping_b(G_v, 97, 121)) break lab27;
        if (cursor <= limitB) break lab27;
        slice_from("i");
      }
      cursor = limit - v_21;

      // Step_2.
      const v_22 = limit - cursor;
      lab30: {
        ket = cursor;
        if (cursor - 1 <= limitB || !inMask(cursor - 1, 1864192)) break lab30;
        among_var = find_among_b(A_7);
        if (among_var === 0) break lab30;
        bra = cursor;
        if (p1 > cursor) break lab30;
        switch (among_var) {
          case 1: slice_from("tion"); break;
          case 2: slice_from("ence"); break;
          case 3: slice_from("ance"); break;
          case 4: slice_from("able"); break;
          case 5: slice_from("ent"); break;
          case 6: slice_from("ize"); break;
          case 7: slice_from("ate"); break;
          case 8: slice_from("al"); break;
          case 9: slice_from("ful"); break;
          case 10: slice_from("ous"); break;
          case 11: slice_from("ive"); break;
          case 12: slice_from("ble"); break;
          case 13: slice_from("og"); break;
          case 14:
            if (!eq_s_b("l")) break lab30;
            slice_from("og");
            break;
          case 15: slice_from("less"); break;
          case 16:
            if (!in_grouping_b(G_valid_LI, 99, 116)) break lab30;
            slice_del();
            break;
        }
      }
      cursor = limit - v_22;

      // Step_3.
      const v_23 = limit - cursor;
      lab31: {
        ket = cursor;
        if (cursor - 2 <= limitB || !inMask(cursor - 1, 528928)) break lab31;
        among_var = find_among_b(A_8);
        if (among_var === 0) break lab31;
        bra = cursor;
        if (p1 > cursor) break lab31;
        switch (among_var) {
          case 1: slice_from("tion"); break;
          case 2: slice_from("ate"); break;
          case 3: slice_from("al"); break;
          case 4: slice_from("ic"); break;
          case 5: slice_del(); break;
          case 6:
            if (p2 > cursor) break lab31;
            slice_del();
            break;
        }
      }
      cursor = limit - v_23;

      // Step_4.
      const v_24 = limit - cursor;
      lab32: {
        ket = cursor;
        if (cursor - 1 <= limitB || !inMask(cursor - 1, 1864232)) break lab32;
        among_var = find_among_b(A_9);
        if (among_var === 0) break lab32;
        bra = cursor;
        if (p2 > cursor) break lab32;
        switch (among_var) {
          case 1: slice_del(); break;
          case 2:
            if (!eq_s_b("s") && !eq_s_b("t")) break lab32;
            slice_del();
            break;
        }
      }
      cursor = limit - v_24;

      // Step_5.
      const v_25 = limit - cursor;
      lab35: {
        ket = cursor;
        if (cursor <= limitB || (cur[cursor - 1] !== 101 && cur[cursor - 1] !== 108)) break lab35;
        among_var = find_among_b(A_10);
        if (among_var === 0) break lab35;
        bra = cursor;
        switch (among_var) {
          case 1:
            if (p2 > cursor) {              // not in R2: needs R1 and no short syllable
              if (p1 > cursor) break lab35;
              const v_26 = limit - cursor;
              if (r_shortv()) break lab35;
              cursor = limit - v_26;
            }
            slice_del();
            break;
          case 2:
            if (p2 > cursor) break lab35;
            if (!eq_s_b("l")) break lab35;
            slice_del();
            break;
        }
      }
      cursor = limit - v_25;

      // postlude: Y back to y.
      cursor = limitB;
      const v_27 = cursor;
      if (Y_found) {
        replab40: for (;;) {
          const v_28 = cursor;
          lab41: {
            for (;;) {                    // golab42
              const v_29 = cursor;
              bra = cursor;
              if (eq_s("Y")) { ket = cursor; cursor = v_29; break; }
              cursor = v_29;
              if (cursor >= limit) break lab41;
              cursor++;
            }
            slice_from("y");
            continue replab40;
          }
          cursor = v_28;
          break;
        }
      }
      cursor = v_27;
    }
  }

  // Words kept whole, as src/search/analyzer.rs keeps them (KEPT): Snowball would make
  // "follower", a replica, the everyday "follow".
  const KEPT = new Map([["follower", "follower"], ["followers", "follower"]]);

  function stem(word) {
    const kept = KEPT.get(word);
    if (kept !== undefined) return kept;
    cur = [];
    for (const ch of word) cur.push(ch.codePointAt(0));
    cursor = 0;
    limit = cur.length;
    limitB = 0;
    bra = 0;
    ket = 0;
    r_stem();
    let out = "";
    for (let i = 0; i < cur.length; i += 4096) {
      out += String.fromCodePoint.apply(null, cur.slice(i, i + 4096));
    }
    return out;
  }

  if (typeof module === "object" && module.exports) module.exports = { stem };
  else root.kbStem = stem;
})(typeof self !== "undefined" ? self : this);
