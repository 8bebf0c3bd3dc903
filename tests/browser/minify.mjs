// esbuild's minified copies of the built-in theme's scripts and stylesheet, which kb serves in
// place of a file the knowledge base's theme leaves as built in (src/render/theme.rs).
//
//   npm --prefix tests/browser run minify          writes src/render/minified/
//   npm --prefix tests/browser run minify -- --check   fails when a copy is not what esbuild makes
//
// Each copy starts with a line naming its source and the source's CRC-32, which a unit test
// checks on every `cargo test` (no node needed): edit a source, run this again.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { transformSync, version } from 'esbuild';

// The same list as MINIFIED in src/render/theme.rs.
const NAMES = [
  'static/style.css',
  'static/js/stem.js',
  'static/js/search.js',
  'static/js/search-page.js',
  'static/js/search-start.js',
  'static/js/highlight.js',
  'static/js/list.js',
  'static/js/site.js',
];

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const name of NAMES) {
  const source = readFileSync(join(repo, 'theme', name));
  const loader = name.endsWith('.css') ? 'css' : 'js';
  // No `format`: the scripts are classic scripts sharing top-level names, which esbuild then
  // keeps as they are.
  const { code } = transformSync(source.toString('utf8'), {
    loader,
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
  });
  const crc = crc32(source).toString(16).padStart(8, '0');
  const header = `/* kb: esbuild ${version} --minify of theme/${name}, crc32 ${crc}; npm --prefix tests/browser run minify */\n`;
  const out = join(repo, 'src', 'render', 'minified', name);
  const text = header + code;
  if (check) {
    let have = '';
    try {
      have = readFileSync(out, 'utf8');
    } catch {}
    if (have !== text) {
      console.error(`${out} is not esbuild's minified theme/${name}: run npm --prefix tests/browser run minify`);
      stale++;
    }
  } else {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    console.log(`${name}: ${source.length} → ${Buffer.byteLength(code)} bytes`);
  }
}
process.exit(stale ? 1 : 0);
