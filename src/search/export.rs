//! The static search index (SEARCH.md, point 6): tantivy's own merged segment written out for
//! the browser engine (`theme/static/js/search.js`), so the browser sees the same terms,
//! frequencies, fieldnorms and doc ids as `kb search` and ranks exactly like it.
//!
//! Files under `search/` (binary ones gzip-compressed; layouts in docs/dev/static-search.md):
//! - `t/N.bin`: term-range shards. Per term and text field: the doc frequency and postings
//!   grouped in runs of equal (term frequency, fieldnorm), best BM25 contribution first. A long
//!   list keeps only its first [`TIER`] postings here, with the run that follows as the bound
//!   for the rest, which is in `t/N-K.bin`. Phrase synonyms ("disk full") are terms here too,
//!   with postings computed from the positions.
//! - `p/N.bin`: positions for other phrases, in their own term ranges.
//! - `d/N.bin`: document stubs (JSON) (title, date, severity, tags, summary, symptoms), many a file.
//! - `f/`: per tag, service and severity its documents; the documents per day, for dates.
//! - `m/N.bin`: per-document date, severity, tags and services, for the filter counts.
//! - `terms.bin`: every word as authors wrote it (lowercased) with the number of incidents
//!   using it, and `english/N.bin`, the English word list of `spelling` in word ranges: fetched
//!   only for "did you mean", the one range that would hold the unknown word.
//!
//! A small manifest (sizes, boosts, shard boundaries, synonyms, filter values) goes inline into
//! the search page.

use super::FastMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::DocSet;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, TermInfo};
use tantivy::schema::IndexRecordOption;

use super::Index;
use super::schema::TEXT_FIELDS;
use super::synonyms::Synonyms;
use crate::kb::Kb;
use crate::kb::taxonomy::normalize;

/// Bumped when a file layout changes; the engine refuses a manifest of another version.
pub const FORMAT: u32 = 4;

/// Letters (each word's, plus two) in a shard of the English word list: 47 shards of about
/// 3.4 KB gzipped; their first words add 0.3 KB to the gzipped search page.
const ENGLISH_SHARD_BYTES: usize = 16 << 10;

/// Postings a list keeps in its shard; the rest of a longer list goes to a tail file.
/// `RunOptions::static_tier` (`KB_STATIC_TIER`) overrides it, so tests can exercise tails on a small knowledge base.
///
/// Large because a tier pays only when its bound proves the top 10, and measured at 10k
/// generated incidents it proved none of the benchmark's queries at 1024, 2048 or 4096
/// (scores of common words are flat: a top document misses some list's first tier and that
/// list's bound is most of its best score). A failed proof costs a round trip and saves no
/// bytes, so lists are cut only where they are long enough that a tail is worth its trip.
const TIER: usize = 16384;
/// A shard closes once its terms reach about this many uncompressed bytes.
const SHARD_BYTES: usize = 8 << 10;

/// Positions a positions shard holds, about: at 10,000 generated incidents 3.5 bytes each, so
/// a shard is ~85 KB, what one was gzipped when it held twice as many (see [`gzip_stored`]).
const POSITION_SHARD_BYTES: usize = 24 << 10;
/// Documents per stub file and per metadata file. A query's top 10 are in about 10 stub files
/// whatever their size: 8 a file is 1.5 KB each gzipped at 10,000 generated incidents, 16 was
/// 2.4 KB. The metadata is read whole or not at all (exact filter counts, on request): two
/// files at 100,000 incidents.
pub const STUB_GROUP: usize = 8;
pub const META_CHUNK: usize = 65536;

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The exported files (path under `search/`, bytes) and the manifest for the search page.
pub struct Export {
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: Manifest,
}

/// Serialized as it is given to the search page; read back from the build cache
/// ([`crate::build_cache::search`]).
#[derive(Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Documents in the index (tantivy's `max_doc`).
    pub docs: u32,
    /// Text fields as (name, boost, total tokens).
    pub fields: Vec<(String, f32, u64)>,
    /// First term of every postings shard, and of every positions shard.
    pub shards: Vec<String>,
    pub position_shards: Vec<String>,
    /// The postings shards that hold one term, a bitmap in hex (shard 4k + b is bit b of digit
    /// k). A long list has a shard of its own ([`split`]): a word that falls in its range and
    /// is not its term is in no document, known without fetching it.
    pub lone: String,
    /// Of those, the ones whose term's lists go on in a tail file (`t/N-0.bin`), the same way:
    /// the engine asks for the tail with the shard, in the same round trip.
    pub tails: String,
    /// First word of every shard of the English word list (`english/N.bin`).
    pub english: Vec<String>,
    /// Synonym groups, each member a list of stems (several stems: a phrase).
    pub synonyms: Vec<Vec<Vec<String>>>,
    /// Values the filters accept, as indexed; ids in `m/` files index these lists.
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub severities: Vec<String>,
    /// Tag aliases (normalised) → canonical tag; tags, services and levels the site
    /// configures (on no incident, they filter to nothing rather than being unknown).
    pub aliases: std::collections::BTreeMap<String, String>,
    pub configured_tags: Vec<String>,
    pub configured_services: Vec<String>,
    pub levels: Vec<String>,
    pub stub_group: usize,
    pub meta_chunk: usize,
    /// Bytes of the `m/` files, which exact filter counts read: the page says so before.
    pub meta_bytes: u64,
    pub tier: usize,
}

/// The English word list in consecutive word ranges of about [`ENGLISH_SHARD_BYTES`]. The
/// engine asks whether an unknown word is English by fetching the one range that would hold it
/// (3.4 KB), not the whole list (127 KB).
struct EnglishShards {
    /// Each range's first word, for the manifest.
    firsts: Vec<String>,
    /// `english/N.bin`, gzipped.
    files: Vec<(String, Vec<u8>)>,
}

/// The same for every build, so made once.
fn english_shards() -> &'static EnglishShards {
    static SHARDS: std::sync::OnceLock<EnglishShards> = std::sync::OnceLock::new();
    SHARDS.get_or_init(|| {
        let words = super::spelling::english_words();
        let mut ranges: Vec<&[String]> = Vec::new();
        let (mut start, mut bytes) = (0, 0);
        for (i, w) in words.iter().enumerate() {
            bytes += w.len() + 2;
            if bytes >= ENGLISH_SHARD_BYTES || i + 1 == words.len() {
                ranges.push(&words[start..=i]);
                (start, bytes) = (i + 1, 0);
            }
        }
        let files = ranges
            .par_iter()
            .enumerate()
            .map(|(n, r)| {
                let plain = super::spelling::encode_words(r.iter().map(String::as_str));
                (format!("english/{n}.bin"), gzip(&plain))
            })
            .collect();
        EnglishShards {
            firsts: ranges.iter().map(|r| r[0].clone()).collect(),
            files,
        }
    })
}

/// One (term, field) posting list in export order.
struct List {
    field: usize,
    /// For a phrase: the doc frequency of each of its stems in this field (its BM25 weight
    /// is their idfs summed, as tantivy's phrase query weighs it); empty for a term.
    dfs: Vec<u32>,
    /// (doc, term frequency, fieldnorm id), best contribution first.
    postings: Vec<(u32, u32, u8)>,
    /// The same in doc order, and their positions (tf of them each) one after the other.
    by_doc: Vec<(u32, u32, u8)>,
    positions: Vec<u32>,
}

struct Term {
    text: String,
    lists: Vec<List>,
}

impl Term {
    fn positions(&self) -> usize {
        self.lists.iter().map(|l| l.positions.len()).sum()
    }
}

/// A term's lists in the index: (text field, segment, where its postings are), in field then
/// segment order.
type FieldInfos = Vec<(usize, usize, TermInfo)>;

/// A term as its files hold it, once its lists are encoded and dropped.
struct Encoded {
    text: String,
    /// Its entry in its postings shard, and its tail file ([`encode_term`]).
    entry: Vec<u8>,
    tail: Option<Vec<u8>>,
    /// Its entry in its positions shard after the term itself ([`encode_term_positions`]);
    /// empty for a phrase synonym, which has no positions file.
    positions: Vec<u8>,
    /// How many positions that entry holds: what positions shards are cut by.
    positions_count: usize,
}

impl Encoded {
    fn new(t: &Term, tier: usize, with_positions: bool) -> Encoded {
        let (entry, tail) = encode_term(t, tier);
        let mut positions = Vec::new();
        if with_positions {
            encode_term_positions(&mut positions, t);
        }
        Encoded {
            text: t.text.clone(),
            entry,
            tail,
            positions,
            positions_count: t.positions(),
        }
    }
}

/// Every exported file collected, in path order, with the manifest (tests, and a build that
/// rewrites a few files of an earlier export).
pub fn export(index: &Index, kb: &Kb) -> Result<Export, String> {
    let files = std::sync::Mutex::new(Vec::new());
    let manifest = export_to(index, kb, &|path, bytes| {
        files
            .lock()
            .expect("no writer panicked")
            .push((path, bytes));
        Ok(())
    })?;
    let mut files = files.into_inner().expect("no writer panicked");
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Export { files, manifest })
}

/// A file of the export: its path under `search/` and its bytes, given to [`export_to`]'s
/// caller as soon as it is made, from any thread.
pub type Emit<'a> = dyn Fn(String, Vec<u8>) -> Result<(), String> + Sync + 'a;

/// The export, each file handed to `emit` as it is made rather than all held until the end:
/// the files are most of the export's memory (0.4 GB at 100,000 incidents), and the export
/// stage had the build's peak. Returns the manifest.
pub fn export_to(index: &Index, kb: &Kb, emit: &Emit<'_>) -> Result<Manifest, String> {
    let searcher = index.searcher();
    let segments = searcher.segment_readers();
    let fields = &index.fields;
    let docs: u32 = segments.iter().map(|s| s.max_doc()).sum();
    if docs as usize != kb.entries.len() {
        return Err(format!(
            "the search index holds {docs} incidents, the knowledge base {}",
            kb.entries.len()
        ));
    }
    let mut totals = [0u64; 5];
    let mut caches = [[0f32; 256]; 5];
    let synonyms = Synonyms::new(
        &kb.config.search.synonyms,
        &kb.config.search.drop_synonyms,
        &mut index.analyzer(),
    );
    let run = &kb.config.run;
    let tier = run.static_tier.filter(|n| *n > 0).unwrap_or(TIER);
    // Every term is read, encoded and its decoded lists dropped before the next ones: decoded,
    // the whole index would be most of the build's memory at 100,000 incidents.
    let mut terms: Vec<Encoded> = Vec::new();
    let mut phrases: Vec<Encoded> = Vec::new();
    if !segments.is_empty() {
        // Documents are exported as incidents: by `ord`, the kb order. Each segment holds its
        // documents in that order (`store::fill` adds them so); together they hold every ord
        // once.
        let ords = segments
            .iter()
            .map(|seg| {
                let col = seg
                    .fast_fields()
                    .u64(super::schema::ORD)
                    .map_err(|e| format!("reading the index: {e}"))?;
                Ok((0..seg.max_doc())
                    .map(|d| col.first(d).map_or(u32::MAX, |o| o as u32))
                    .collect::<Vec<u32>>())
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut seen = vec![false; docs as usize];
        let each_once = ords.iter().flatten().all(|&o| {
            seen.get_mut(o as usize)
                .is_some_and(|s| !std::mem::replace(s, true))
        });
        if !each_once || ords.iter().any(|o| o.windows(2).any(|w| w[0] >= w[1])) {
            return Err("the search index is not in knowledge base order".into());
        }
        let mut readers = Vec::new();
        // Each segment's positions file (a section per field), read a term at a time.
        let metas = index
            .index
            .searchable_segment_metas()
            .map_err(|e| format!("reading the index: {e}"))?;
        let positions = segments
            .iter()
            .map(|seg| {
                let meta = metas
                    .iter()
                    .find(|m| m.id() == seg.segment_id())
                    .ok_or("reading the index: a segment without its meta")?;
                let file = index
                    .index
                    .segment(meta.clone())
                    .open_read(tantivy::index::SegmentComponent::Positions)
                    .map_err(|e| format!("reading the index: {e}"))?;
                tantivy::directory::CompositeFile::open(&file)
                    .map_err(|e| format!("reading the index: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        // Term → its (field, segment, term info), in field then segment order.
        let mut by_term: std::collections::BTreeMap<Vec<u8>, FieldInfos> = Default::default();
        for (fi, field) in fields.text.iter().enumerate() {
            let mut field_readers = Vec::new();
            for (si, seg) in segments.iter().enumerate() {
                let inv = seg
                    .inverted_index(*field)
                    .map_err(|e| format!("reading the index: {e}"))?;
                totals[fi] += inv.total_num_tokens();
                let norms = seg
                    .get_fieldnorms_reader(*field)
                    .map_err(|e| format!("reading the index: {e}"))?;
                // None when no document of the segment has the field.
                let field_positions = positions[si].open_read(*field);
                let mut stream = inv
                    .terms()
                    .stream()
                    .map_err(|e| format!("reading the index: {e}"))?;
                while stream.advance() {
                    by_term.entry(stream.key().to_vec()).or_default().push((
                        fi,
                        si,
                        stream.value().clone(),
                    ));
                }
                field_readers.push((inv, norms, field_positions));
            }
            caches[fi] = tf_cache(totals[fi] as f32 / docs.max(1) as f32);
            readers.push(field_readers);
        }
        let read = |key: &[u8], infos: &FieldInfos| -> Result<Term, String> {
            let lists = infos
                .chunk_by(|a, b| a.0 == b.0)
                .map(|in_field| {
                    let fi = in_field[0].0;
                    let parts = in_field
                        .iter()
                        .map(|(_, si, info)| {
                            let (inv, norms, positions) = &readers[fi][*si];
                            read_part(inv, info, norms, positions, &ords[*si])
                        })
                        .collect::<Result<Vec<_>, String>>()?;
                    let (by_doc, positions) = in_ord(parts);
                    Ok(List {
                        field: fi,
                        dfs: Vec::new(),
                        postings: by_contribution(&by_doc, &caches[fi]),
                        by_doc,
                        positions,
                    })
                })
                .collect::<Result<_, String>>()?;
            Ok(Term {
                text: String::from_utf8_lossy(key).into_owned(),
                lists,
            })
        };
        // The stems of multi-word synonyms stay decoded: their phrases' postings come from
        // their positions.
        let stems: std::collections::BTreeSet<&str> = phrase_members(&synonyms)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let kept: Vec<Term> = stems
            .iter()
            .filter_map(|s| by_term.get_key_value(s.as_bytes()))
            .map(|(k, infos)| read(k, infos))
            .collect::<Result<_, String>>()?;
        phrases = phrase_terms(&kept, &synonyms, &caches)
            .iter()
            .map(|t| Encoded::new(t, tier, false))
            .collect();
        drop(kept);
        let by_term: Vec<(Vec<u8>, FieldInfos)> = by_term.into_iter().collect();
        terms = by_term
            .par_iter()
            .map(|(k, infos)| Ok(Encoded::new(&read(k, infos)?, tier, true)))
            .collect::<Result<_, String>>()?;
    }

    // Words and phrase synonyms share the postings shards, in byte order.
    let mut keyed: Vec<&Encoded> = terms.iter().chain(&phrases).collect();
    keyed.sort_by(|a, b| a.text.as_bytes().cmp(b.text.as_bytes()));

    // Postings shards: consecutive term ranges of about SHARD_BYTES of encoded terms.
    let shards = split(
        &keyed,
        run.static_shard.filter(|n| *n > 0).unwrap_or(SHARD_BYTES),
        |t| t.entry.len(),
    );
    shards.par_iter().enumerate().try_for_each(|(n, range)| {
        encode_shard(n, &keyed[range.clone()])
            .into_iter()
            .try_for_each(|(path, bytes)| emit(path, bytes))
    })?;
    let position_shards = split(&terms, POSITION_SHARD_BYTES, |t| t.positions_count + 8);
    // The files that do not come from the postings are made beside the positions: several are
    // made on one core (the words, the metadata, the value lists), which left the other idle
    // at the end of the export once similar incidents were done.
    let (positions, rest) = rayon::join(
        || -> Result<(), String> {
            position_shards
                .par_iter()
                .enumerate()
                .try_for_each(|(n, range)| {
                    emit(
                        format!("p/{n}.bin"),
                        gzip_stored(&encode_positions(&terms[range.clone()])),
                    )
                })
        },
        || -> Result<_, String> {
            emit("terms.bin".into(), gzip(&index.surface_words().encode()))?;
            let values = FilterValues::new(kb);
            stubs(kb).into_iter().try_for_each(|(p, b)| emit(p, b))?;
            let metas = meta(kb, &values);
            let meta_bytes = metas.iter().map(|(_, b)| b.len() as u64).sum::<u64>();
            metas.into_iter().try_for_each(|(p, b)| emit(p, b))?;
            value_lists(kb, &values)
                .into_iter()
                .try_for_each(|(p, b)| emit(p, b))?;
            emit("f/days.bin".into(), gzip(&days(kb)?))?;
            Ok((values, meta_bytes))
        },
    );
    positions?;
    let (values, meta_bytes) = rest?;
    let english = english_shards();
    for (path, bytes) in &english.files {
        emit(path.clone(), bytes.clone())?;
    }
    // The word list's licence asks for its notice beside every copy.
    emit("english-NOTICE.txt".into(), super::spelling::NOTICE.into())?;

    let first = |list: &[&Encoded], ranges: &[std::ops::Range<usize>]| {
        ranges
            .iter()
            .map(|r| list[r.start].text.clone())
            .collect::<Vec<_>>()
    };
    let taxonomy = crate::kb::taxonomy::Taxonomy::new(&kb.config);
    let manifest = Manifest {
        format: FORMAT,
        docs,
        fields: TEXT_FIELDS
            .iter()
            .zip(totals)
            .map(|((name, boost), total)| (name.to_string(), *boost, total))
            .collect(),
        lone: bitmap(&shards, |r| r.len() == 1),
        tails: bitmap(&shards, |r| r.len() == 1 && keyed[r.start].tail.is_some()),
        shards: first(&keyed, &shards),
        english: english.firsts.clone(),
        position_shards: first(&terms.iter().collect::<Vec<_>>(), &position_shards),
        synonyms: synonyms.groups().to_vec(),
        tags: values.tags,
        services: values.services,
        severities: values.severities,
        aliases: taxonomy.aliases().clone().into_iter().collect(),
        configured_tags: kb.config.tags.keys().map(|t| normalize(t)).collect(),
        configured_services: kb.config.services.keys().map(|s| normalize(s)).collect(),
        levels: kb.config.severity.levels.clone(),
        stub_group: STUB_GROUP,
        meta_chunk: META_CHUNK,
        meta_bytes,
        tier,
    };
    Ok(manifest)
}

/// A term's postings in one field of one segment, documents as incidents (`ords`): (incident,
/// tf, fieldnorm id) in incident order, and their positions (tf of them each) one after the
/// other.
type Part = (Vec<(u32, u32, u8)>, Vec<u32>);

fn read_part(
    inv: &tantivy::InvertedIndexReader,
    info: &TermInfo,
    norms: &FieldNormReader,
    positions_file: &Option<tantivy::directory::FileSlice>,
    ords: &[u32],
) -> Result<Part, String> {
    let error = |e: std::io::Error| format!("reading the index: {e}");
    let mut postings = inv
        .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)
        .map_err(error)?;
    let mut by_doc = Vec::with_capacity(info.doc_freq as usize);
    let mut count = 0usize;
    while postings.doc() != tantivy::TERMINATED {
        let doc = postings.doc();
        let tf = postings.term_freq();
        count += tf as usize;
        by_doc.push((ords[doc as usize], tf, norms.fieldnorm_id(doc)));
        postings.advance();
    }
    // The term's positions, read at once: each document's are deltas from 0, one after the
    // other (read posting by posting, the reader summed the block's earlier frequencies on each
    // call: 2 % of a 10,000 build).
    let bytes = positions_file
        .as_ref()
        .ok_or("reading the index: a term without its positions")?
        .read_bytes_slice(info.positions_range.clone())
        .map_err(error)?;
    let mut reader = tantivy::positions::PositionReader::open(bytes).map_err(error)?;
    let mut positions = vec![0u32; count];
    reader.read(0, &mut positions);
    let mut at = 0;
    for &(_, tf, _) in &by_doc {
        let mut sum = 0;
        for p in &mut positions[at..at + tf as usize] {
            sum += *p;
            *p = sum;
        }
        at += tf as usize;
    }
    Ok((by_doc, positions))
}

/// One field's parts, from every segment holding the term, as one list in incident order.
/// Each segment is in incident order, so the parts are merged two at a time.
fn in_ord(parts: Vec<Part>) -> Part {
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    parts.fold(first, |(a, a_pos), (b, b_pos)| {
        let mut by_doc = Vec::with_capacity(a.len() + b.len());
        let mut positions = Vec::with_capacity(a_pos.len() + b_pos.len());
        let (mut i, mut j, mut at_a, mut at_b) = (0, 0, 0, 0);
        while i < a.len() || j < b.len() {
            let take_a = j == b.len() || (i < a.len() && a[i].0 < b[j].0);
            let (posting, from, at) = if take_a {
                i += 1;
                (a[i - 1], &a_pos, &mut at_a)
            } else {
                j += 1;
                (b[j - 1], &b_pos, &mut at_b)
            };
            by_doc.push(posting);
            let tf = posting.1 as usize;
            positions.extend_from_slice(&from[*at..*at + tf]);
            *at += tf;
        }
        (by_doc, positions)
    })
}

/// Postings best BM25 contribution first; equal ones by (tf, fieldnorm), then doc. `by_doc`
/// is in doc order.
///
/// Each (tf, fieldnorm) pair becomes one integer that sorts in that order: the contribution as
/// `f32::total_cmp` orders it, then tf and fieldnorm. A short list is sorted whole, by that
/// integer and the doc. A long one has few pairs for its postings: the pairs are sorted, then
/// each posting goes to its pair's run in the order it comes (sorting every posting of the
/// long lists was 1.6 % of a 10,000 build, a hash map of the pairs 1.2 %).
fn by_contribution(by_doc: &[(u32, u32, u8)], cache: &[f32; 256]) -> Vec<(u32, u32, u8)> {
    let key = |tf: u32, norm: u8| {
        let factor = total_order(tf_factor(cache, norm, tf));
        u128::from(!factor) << 96 | u128::from(!tf) << 64 | u128::from(norm) << 32
    };
    if by_doc.len() <= SORTED_WHOLE {
        let mut keys: Vec<u128> = by_doc
            .iter()
            .map(|&(doc, tf, norm)| key(tf, norm) | u128::from(doc))
            .collect();
        keys.sort_unstable();
        return keys
            .into_iter()
            .map(|k| (k as u32, !((k >> 64) as u32), (k >> 32) as u8))
            .collect();
    }
    // Per pair, its count and then where its run goes on: in a table for the usual small tfs,
    // in a map for the rest.
    let slot = |tf: u32, norm: u8| {
        (tf < TABLE_TFS).then(|| usize::from(norm) * TABLE_TFS as usize + tf as usize)
    };
    let mut table = vec![0usize; 256 * TABLE_TFS as usize];
    let mut other: FastMap<(u32, u8), usize> = FastMap::default();
    for &(_, tf, norm) in by_doc {
        match slot(tf, norm) {
            Some(s) => table[s] += 1,
            None => *other.entry((tf, norm)).or_default() += 1,
        }
    }
    let mut pairs: Vec<(u128, u32, u8)> = (0..table.len())
        .filter(|&s| table[s] > 0)
        .map(|s| {
            (
                (s % TABLE_TFS as usize) as u32,
                (s / TABLE_TFS as usize) as u8,
            )
        })
        .chain(other.keys().copied())
        .map(|(tf, norm)| (key(tf, norm), tf, norm))
        .collect();
    pairs.sort_unstable();
    let mut start = 0;
    for &(_, tf, norm) in &pairs {
        let run = match slot(tf, norm) {
            Some(s) => &mut table[s],
            None => other.get_mut(&(tf, norm)).expect("every pair counted"),
        };
        (start, *run) = (start + *run, start);
    }
    let mut out = vec![(0, 0, 0); by_doc.len()];
    for &posting in by_doc {
        let at = match slot(posting.1, posting.2) {
            Some(s) => &mut table[s],
            None => other
                .get_mut(&(posting.1, posting.2))
                .expect("every pair placed"),
        };
        out[*at] = posting;
        *at += 1;
    }
    out
}

/// Term frequencies below this have their (tf, fieldnorm) pairs in [`by_contribution`]'s table.
const TABLE_TFS: u32 = 16;

/// Postings in a list that [`by_contribution`] sorts whole.
const SORTED_WHOLE: usize = 256;

/// `x` as an unsigned integer ordered as `f32::total_cmp` orders floats (its own recipe, with
/// the sign bit flipped so that negatives come first).
fn total_order(x: f32) -> u32 {
    let bits = x.to_bits() as i32;
    ((bits ^ (((bits >> 31) as u32) >> 1) as i32) as u32) ^ (1 << 31)
}

/// Postings of the multi-word synonyms ("disk full", "service unavailable"), computed from
/// the positions, so that a query expanding to one reads a list as small as a word's instead
/// of the positions of every stem. Each becomes a term keyed by its stems joined with a space
/// (no indexed term holds a space); the count of occurrences is its tf, as in tantivy's
/// phrase scorer (slop 0).
///
/// `terms`, in byte order, needs only the phrases' stems.
fn phrase_terms(terms: &[Term], synonyms: &Synonyms, caches: &[[f32; 256]]) -> Vec<Term> {
    let find = |stem: &str| {
        terms
            .binary_search_by(|t| t.text.as_bytes().cmp(stem.as_bytes()))
            .ok()
            .map(|i| &terms[i])
    };
    phrase_members(synonyms)
        .into_par_iter()
        .filter_map(|member| {
            let stems: Option<Vec<&Term>> = member.iter().map(|s| find(s)).collect();
            let stems = stems?;
            let lists: Vec<List> = (0..caches.len())
                .filter_map(|field| {
                    let per: Option<Vec<&List>> = stems
                        .iter()
                        .map(|t| t.lists.iter().find(|l| l.field == field))
                        .collect();
                    let by_doc = phrase_postings(&per?);
                    (!by_doc.is_empty()).then(|| List {
                        field,
                        dfs: per_dfs(&stems, field),
                        postings: by_contribution(&by_doc, &caches[field]),
                        by_doc: Vec::new(),
                        positions: Vec::new(),
                    })
                })
                .collect();
            (!lists.is_empty()).then(|| Term {
                text: member.join(" "),
                lists,
            })
        })
        .collect()
}

/// The multi-word synonyms, each once, in order.
fn phrase_members(synonyms: &Synonyms) -> Vec<&Vec<String>> {
    let mut members: Vec<&Vec<String>> = synonyms
        .groups()
        .iter()
        .flatten()
        .filter(|m| m.len() > 1)
        .collect();
    members.sort();
    members.dedup();
    members
}

fn per_dfs(stems: &[&Term], field: usize) -> Vec<u32> {
    stems
        .iter()
        .filter_map(|t| t.lists.iter().find(|l| l.field == field))
        .map(|l| l.by_doc.len() as u32)
        .collect()
}

/// (doc, occurrences, fieldnorm id) of the stems at consecutive positions, in doc order.
fn phrase_postings(lists: &[&List]) -> Vec<(u32, u32, u8)> {
    // Where each document's positions start in `positions`, per list.
    let starts: Vec<Vec<usize>> = lists
        .iter()
        .map(|l| {
            l.by_doc
                .iter()
                .scan(0usize, |at, p| {
                    let start = *at;
                    *at += p.1 as usize;
                    Some(start)
                })
                .collect()
        })
        .collect();
    let positions = |k: usize, i: usize| {
        let l = lists[k];
        &l.positions[starts[k][i]..starts[k][i] + l.by_doc[i].1 as usize]
    };
    let mut out = Vec::new();
    for (i0, &(doc, _, norm)) in lists[0].by_doc.iter().enumerate() {
        let found: Option<Vec<usize>> = lists[1..]
            .iter()
            .map(|l| l.by_doc.binary_search_by_key(&doc, |p| p.0).ok())
            .collect();
        let Some(found) = found else { continue };
        let count = positions(0, i0)
            .iter()
            .filter(|&&p| {
                found.iter().enumerate().all(|(k, &i)| {
                    positions(k + 1, i)
                        .binary_search(&(p + k as u32 + 1))
                        .is_ok()
                })
            })
            .count();
        if count > 0 {
            out.push((doc, count as u32, norm));
        }
    }
    out
}

/// tantivy's BM25 length normalisation per fieldnorm id (`bm25.rs`), in f32 as it computes it.
fn tf_cache(average: f32) -> [f32; 256] {
    let mut cache = [0f32; 256];
    for (id, c) in cache.iter_mut().enumerate() {
        let fieldnorm = FieldNormReader::id_to_fieldnorm(id as u8) as f32;
        *c = K1 * (1.0 - B + B * fieldnorm / average);
    }
    cache
}

fn tf_factor(cache: &[f32; 256], fieldnorm_id: u8, tf: u32) -> f32 {
    let tf = tf as f32;
    tf / (tf + cache[fieldnorm_id as usize])
}

/// Splits the terms into consecutive ranges of about `target` by `size`.
fn split<T>(terms: &[T], target: usize, size: impl Fn(&T) -> usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, t) in terms.iter().enumerate() {
        let size = size(t);
        // A term of a shard's size or more is a shard of its own: the words before it are
        // not fetched with its list (at 100,000 incidents a common word's is 30–50 KB).
        if size >= target && start < i {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
        if bytes >= target {
            out.push(start..i + 1);
            start = i + 1;
            bytes = 0;
        }
    }
    if start < terms.len() {
        out.push(start..terms.len());
    }
    out
}

/// The shards for which `set` holds, as a bitmap in hex: shard 4k + b is bit b of digit k
/// ([`Manifest::lone`]).
fn bitmap(
    shards: &[std::ops::Range<usize>],
    set: impl Fn(&std::ops::Range<usize>) -> bool,
) -> String {
    shards
        .chunks(4)
        .map(|four| {
            let bits = four
                .iter()
                .enumerate()
                .filter(|(_, r)| set(r))
                .fold(0, |d, (b, _)| d | 1 << b);
            char::from_digit(bits, 16).expect("four bits")
        })
        .collect()
}

/// Signed as unsigned, small magnitudes small (0, -1, 1, -2 … → 0, 1, 2, 3 …).
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(super) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Terms front-coded: bytes shared with the previous term, then the rest.
pub(super) fn term_header(out: &mut Vec<u8>, prev: &str, term: &str) {
    let shared = prev
        .bytes()
        .zip(term.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    varint(out, shared as u64);
    varint(out, (term.len() - shared) as u64);
    out.extend_from_slice(&term.as_bytes()[shared..]);
}

fn field_mask(t: &Term) -> u8 {
    t.lists.iter().fold(0, |m, l| m | 1 << l.field)
}

/// Postings as runs of equal (tf, fieldnorm id): tf, fieldnorm id, length, doc deltas.
fn runs(out: &mut Vec<u8>, postings: &[(u32, u32, u8)]) {
    let mut i = 0;
    while i < postings.len() {
        let (_, tf, norm) = postings[i];
        let len = postings[i..]
            .iter()
            .take_while(|p| p.1 == tf && p.2 == norm)
            .count();
        varint(out, u64::from(tf));
        out.push(norm);
        varint(out, len as u64);
        let mut prev = 0;
        for p in &postings[i..i + len] {
            varint(out, u64::from(p.0 - prev));
            prev = p.0;
        }
        i += len;
    }
}

/// A term's entry in its shard, and its tail file when a list is longer than `tier`.
///
/// The entry: a field mask (bit 7: there is a tail; bit 6: a phrase); per field in the mask,
/// for a phrase the number of its stems and their doc frequencies, then the doc frequency
/// (for a phrase: documents holding it), the first min(df, tier) postings as runs; when the
/// list goes on, the tf and fieldnorm id of the next posting (the bound for the rest). The
/// term itself is written by the shard.
fn encode_term(t: &Term, tier: usize) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut out = Vec::new();
    let tail = t.lists.iter().any(|l| l.postings.len() > tier);
    let phrase = t.lists.iter().any(|l| !l.dfs.is_empty());
    out.push(field_mask(t) | if tail { 0x80 } else { 0 } | if phrase { 0x40 } else { 0 });
    let mut rest = Vec::new();
    for l in &t.lists {
        if phrase {
            varint(&mut out, l.dfs.len() as u64);
            for df in &l.dfs {
                varint(&mut out, u64::from(*df));
            }
        }
        let df = l.postings.len();
        varint(&mut out, df as u64);
        let cut = df.min(tier);
        runs(&mut out, &l.postings[..cut]);
        if cut < df {
            let (_, tf, norm) = l.postings[cut];
            varint(&mut out, u64::from(tf));
            out.push(norm);
            runs(&mut rest, &l.postings[cut..]);
        }
    }
    (out, tail.then_some(rest))
}

/// A shard (its terms front-coded, each followed by its entry) and its terms' tail files.
fn encode_shard(n: usize, terms: &[&Encoded]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    varint(&mut out, terms.len() as u64);
    let mut prev = "";
    for (k, t) in terms.iter().enumerate() {
        term_header(&mut out, prev, &t.text);
        prev = &t.text;
        out.extend_from_slice(&t.entry);
        if let Some(tail) = &t.tail {
            files.push((format!("t/{n}-{k}.bin"), gzip(tail)));
        }
    }
    files.insert(0, (format!("t/{n}.bin"), gzip(&out)));
    files
}

/// Positions, self-contained so a phrase needs no postings file: per term its field mask; per
/// field the doc frequency, then per document (in doc order) the doc delta, tf, fieldnorm id
/// and the positions as deltas.
fn encode_positions(terms: &[Encoded]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, terms.len() as u64);
    let mut prev = "";
    for t in terms {
        term_header(&mut out, prev, &t.text);
        prev = &t.text;
        out.extend_from_slice(&t.positions);
    }
    out
}

/// One term's part of [`encode_positions`], after the term itself.
fn encode_term_positions(out: &mut Vec<u8>, t: &Term) {
    out.push(field_mask(t));
    for l in &t.lists {
        varint(out, l.by_doc.len() as u64);
        let (mut last_doc, mut at) = (0, 0);
        for &(doc, tf, norm) in &l.by_doc {
            varint(out, u64::from(doc - last_doc));
            last_doc = doc;
            varint(out, u64::from(tf));
            out.push(norm);
            let mut last = 0;
            for p in &l.positions[at..at + tf as usize] {
                varint(out, u64::from(p - last));
                last = *p;
            }
            at += tf as usize;
        }
    }
}

/// What a first query reads at the default level: level 9 made these files 0.1 % smaller at
/// 10,000 incidents.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_level(bytes, 6)
}

/// Positions (the bulk, read only for quoted phrases and split words) in gzip's stored blocks:
/// varints of deltas compress poorly (26 MB to 16 MB at level 1, 10,000 near-duplicate
/// incidents), and that compression was 3 % of the build's CPU. Still gzip, so the engine
/// reads them as every other file; the shards hold half as many positions as they did, so a
/// phrase reads about the bytes it read before.
fn gzip_stored(bytes: &[u8]) -> Vec<u8> {
    gzip_level(bytes, 0)
}

thread_local! {
    // A compressor per thread and level, reused: making one allocates its tables, and a build
    // writes thousands of files.
    static DEFLATE: std::cell::RefCell<Vec<(i32, libdeflater::Compressor)>> = Default::default();
    static OUT: std::cell::RefCell<Vec<u8>> = Default::default();
}

/// `bytes` gzipped in one call (libdeflate: the whole buffer at once, which is what these files
/// are; no name, no time, so the same input gives the same bytes).
fn gzip_level(bytes: &[u8], level: i32) -> Vec<u8> {
    use libdeflater::{CompressionLvl, Compressor};
    DEFLATE.with_borrow_mut(|all| {
        let at = match all.iter().position(|(l, _)| *l == level) {
            Some(at) => at,
            None => {
                let lvl = CompressionLvl::new(level).expect("a libdeflate level, 0 to 12");
                all.push((level, Compressor::new(lvl)));
                all.len() - 1
            }
        };
        let c = &mut all[at].1;
        // Compressed into a reused buffer of the bound's size, then copied at its length: the
        // export holds every file until written, each at its compressed size, not the bound's
        // (about its uncompressed size).
        OUT.with_borrow_mut(|out| {
            out.resize(c.gzip_compress_bound(bytes.len()), 0);
            let n = c
                .gzip_compress(bytes, out)
                .expect("the output holds gzip_compress_bound bytes");
            out[..n].to_vec()
        })
    })
}

/// Longest summary a stub carries; the page shows a snippet, not the whole text.
pub const STUB_SUMMARY: usize = 320;

#[derive(Serialize)]
struct Stub<'a> {
    id: &'a str,
    title: &'a str,
    date: Option<String>,
    severity: Option<&'a str>,
    tags: Vec<&'a str>,
    services: Vec<&'a str>,
    summary: String,
    symptoms: &'a [String],
}

/// Document stubs, [`STUB_GROUP`] to a JSON file, in doc id order.
fn stubs(kb: &Kb) -> Vec<(String, Vec<u8>)> {
    kb.entries
        .par_chunks(STUB_GROUP)
        .enumerate()
        .map(|(n, chunk)| {
            let stubs: Vec<Stub> = chunk
                .iter()
                .map(|e| {
                    let inc = &e.incident;
                    Stub {
                        id: &inc.id,
                        title: &inc.title,
                        date: inc.date.map(|d| d.to_string()),
                        severity: inc.severity.as_deref(),
                        tags: e.tags.iter().map(|t| t.name.as_str()).collect(),
                        services: e
                            .services
                            .iter()
                            .map(|s| kb.services.get(s).map_or(s.as_str(), |g| &g.name))
                            .collect(),
                        summary: crate::content::infer::clip(&inc.summary, STUB_SUMMARY),
                        symptoms: &inc.symptoms,
                    }
                })
                .collect();
            let json = serde_json::to_vec(&stubs).expect("stubs serialize");
            (format!("d/{n}.bin"), gzip(&json))
        })
        .collect()
}

/// The values filters accept, as the index holds them.
struct FilterValues {
    tags: Vec<String>,
    services: Vec<String>,
    severities: Vec<String>,
}

/// A value's index in its sorted list (the id `m/` and `f/` files use).
fn value_id(list: &[String], x: &str) -> Option<usize> {
    list.binary_search_by(|s| s.as_str().cmp(x)).ok()
}

impl FilterValues {
    fn new(kb: &Kb) -> FilterValues {
        let mut tags: Vec<String> = kb
            .entries
            .iter()
            .flat_map(|e| e.tags.iter().map(|t| t.name.clone()))
            .collect();
        let mut services: Vec<String> = kb
            .entries
            .iter()
            .flat_map(|e| e.services.iter().cloned())
            .collect();
        let mut severities: Vec<String> = kb
            .entries
            .iter()
            .filter_map(|e| e.incident.severity.clone())
            .collect();
        for v in [&mut tags, &mut services, &mut severities] {
            v.sort();
            v.dedup();
        }
        FilterValues {
            tags,
            services,
            severities,
        }
    }
}

/// Per document, [`META_CHUNK`] to a file: day number + 1 (0 when undated, as a zigzag
/// varint), severity id + 1 (0 when none), then the tag ids and service ids, each list
/// prefixed by its length.
fn meta(kb: &Kb, v: &FilterValues) -> Vec<(String, Vec<u8>)> {
    kb.entries
        .chunks(META_CHUNK)
        .enumerate()
        .map(|(n, chunk)| {
            let mut out = Vec::new();
            for e in chunk {
                let inc = &e.incident;
                let day = inc.date.map_or(0, |d| super::schema::day_number(d) + 1);
                varint(&mut out, zigzag(day));
                let sev = inc
                    .severity
                    .as_deref()
                    .and_then(|s| value_id(&v.severities, s))
                    .map_or(0, |i| i + 1);
                varint(&mut out, sev as u64);
                let tags: Vec<usize> = e
                    .tags
                    .iter()
                    .filter_map(|t| value_id(&v.tags, &t.name))
                    .collect();
                let services: Vec<usize> = e
                    .services
                    .iter()
                    .filter_map(|s| value_id(&v.services, s))
                    .collect();
                for ids in [tags, services] {
                    varint(&mut out, ids.len() as u64);
                    for i in ids {
                        varint(&mut out, i as u64);
                    }
                }
            }
            (format!("m/{n}.bin"), gzip(&out))
        })
        .collect()
}

/// Per tag, service and severity, the documents holding it (`f/tN.bin`, `f/sN.bin`,
/// `f/vN.bin`, N its id in the manifest's list): ascending doc deltas. A filter reads only
/// the values it names.
fn value_lists(kb: &Kb, v: &FilterValues) -> Vec<(String, Vec<u8>)> {
    let mut lists: Vec<Vec<Vec<u32>>> = [v.tags.len(), v.services.len(), v.severities.len()]
        .iter()
        .map(|n| vec![Vec::new(); *n])
        .collect();
    for (doc, e) in kb.entries.iter().enumerate() {
        let doc = doc as u32;
        let mut add = |kind: usize, i: Option<usize>| {
            if let Some(i) = i {
                let list: &mut Vec<u32> = &mut lists[kind][i];
                if list.last() != Some(&doc) {
                    list.push(doc);
                }
            }
        };
        e.tags
            .iter()
            .for_each(|t| add(0, value_id(&v.tags, &t.name)));
        e.services
            .iter()
            .for_each(|s| add(1, value_id(&v.services, s)));
        add(
            2,
            e.incident
                .severity
                .as_deref()
                .and_then(|s| value_id(&v.severities, s)),
        );
    }
    lists
        .into_iter()
        .zip(["t", "s", "v"])
        .flat_map(|(kind, prefix)| {
            kind.into_iter().enumerate().map(move |(i, docs)| {
                let mut out = Vec::new();
                varint(&mut out, docs.len() as u64);
                let mut prev = 0;
                for d in docs {
                    varint(&mut out, u64::from(d - prev));
                    prev = d;
                }
                (format!("f/{prefix}{i}.bin"), gzip(&out))
            })
        })
        .collect()
}

/// The dates, for `since:`/`until:`: documents are in date order, newest first, undated last,
/// so a date range is a doc range. Per distinct day, newest first, the day (zigzag, then
/// decreasing deltas) and how many documents have it.
fn days(kb: &Kb) -> Result<Vec<u8>, String> {
    let mut runs: Vec<(i64, u64)> = Vec::new();
    for e in &kb.entries {
        let Some(d) = e.incident.date else { break };
        let day = super::schema::day_number(d);
        match runs.last_mut() {
            Some((last, n)) if *last == day => *n += 1,
            Some((last, _)) if *last < day => {
                return Err("the knowledge base is not in date order".into());
            }
            _ => runs.push((day, 1)),
        }
    }
    let dated: u64 = runs.iter().map(|r| r.1).sum();
    if kb.entries[dated as usize..]
        .iter()
        .any(|e| e.incident.date.is_some())
    {
        return Err("the knowledge base is not in date order".into());
    }
    let mut out = Vec::new();
    varint(&mut out, runs.len() as u64);
    let mut prev = None;
    for (day, n) in runs {
        match prev {
            None => varint(&mut out, zigzag(day)),
            Some(p) => varint(&mut out, (p - day) as u64),
        }
        varint(&mut out, n);
        prev = Some(day);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The integer keys give the order the comparator gave: contribution, tf, fieldnorm,
        /// then doc (postings come in doc order).
        #[test]
        fn postings_sort_by_contribution_as_compared(
            mut by_doc in proptest::collection::vec((0u32..5000, 1u32..40, proptest::num::u8::ANY), 0..700),
            k in proptest::collection::vec(0.0f32..3.0, 256),
        ) {
            by_doc.sort_by_key(|p| p.0);
            by_doc.dedup_by_key(|p| p.0);
            let cache: [f32; 256] = k.try_into().unwrap();
            let mut expected = by_doc.clone();
            expected.sort_by(|a, b| {
                let fa = tf_factor(&cache, a.2, a.1);
                let fb = tf_factor(&cache, b.2, b.1);
                fb.total_cmp(&fa)
                    .then(b.1.cmp(&a.1))
                    .then(a.2.cmp(&b.2))
                    .then(a.0.cmp(&b.0))
            });
            proptest::prop_assert_eq!(by_contribution(&by_doc, &cache), expected);
        }

        #[test]
        fn total_order_is_total_cmp(a in proptest::num::f32::ANY, b in proptest::num::f32::ANY) {
            proptest::prop_assert_eq!(total_order(a).cmp(&total_order(b)), a.total_cmp(&b));
        }
    }

    #[test]
    fn varints_and_front_coding() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        let mut out = Vec::new();
        term_header(&mut out, "replica", "replic");
        term_header(&mut out, "replic", "replication");
        assert_eq!(out, [6, 0, 6, 5, b'a', b't', b'i', b'o', b'n']);
    }

    fn list(by_doc: &[(u32, &[u32])]) -> List {
        List {
            field: 0,
            dfs: Vec::new(),
            postings: Vec::new(),
            by_doc: by_doc
                .iter()
                .map(|(d, p)| (*d, p.len() as u32, 7))
                .collect(),
            positions: by_doc.iter().flat_map(|(_, p)| p.iter().copied()).collect(),
        }
    }

    #[test]
    fn phrase_postings_count_consecutive_occurrences() {
        // "disk full": doc 1 has it twice (0-1, 5-6), doc 2 has both words apart, doc 3 only
        // "full", doc 4 "full disk" and then "disk full" once (3-4).
        let disk = list(&[(1, &[0, 5]), (2, &[0]), (4, &[1, 3])]);
        let full = list(&[(1, &[1, 6, 9]), (2, &[4]), (3, &[0]), (4, &[0, 4])]);
        assert_eq!(phrase_postings(&[&disk, &full]), [(1, 2, 7), (4, 1, 7)]);
        // Three words need every one in place: "no space left" at 2-4 only.
        let no = list(&[(9, &[2, 10])]);
        let space = list(&[(9, &[3, 11])]);
        let left = list(&[(9, &[4, 20])]);
        assert_eq!(phrase_postings(&[&no, &space, &left]), [(9, 1, 7)]);
    }

    #[test]
    fn a_long_list_is_a_shard_of_its_own_and_the_manifest_says_so() {
        // Sizes of consecutive terms, shards of about 4: the 10 after two small terms starts
        // a shard rather than closing theirs, and the one after it starts the next.
        let shards = split(&[1, 1, 10, 1, 1, 5, 2, 2, 1], 4, |s| *s);
        assert_eq!(shards, [0..2, 2..3, 3..5, 5..6, 6..8, 8..9]);
        // Shards 1, 3 (digit 0: 0b1010) and 5 (digit 1: 0b0010) hold one term.
        assert_eq!(bitmap(&shards, |r| r.len() == 1), "a2");
    }

    /// The reused compressors write gzip that reads back whole, and the same bytes for the same
    /// input whatever they compressed before (the output is compared across builds).
    #[test]
    fn gzip_reads_back_and_does_not_depend_on_earlier_files() {
        use flate2::read::GzDecoder;
        use std::io::Read;
        let texts: Vec<Vec<u8>> = (0..40u32)
            .map(|k| {
                (0..k * k * 37)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> (k % 24)) as u8 % (k as u8 + 3))
                    .collect()
            })
            .collect();
        for level in [0, 6, 9] {
            let forward: Vec<Vec<u8>> = texts.iter().map(|t| gzip_level(t, level)).collect();
            let backward: Vec<Vec<u8>> = std::thread::scope(|s| {
                s.spawn(|| texts.iter().rev().map(|t| gzip_level(t, level)).collect())
                    .join()
                    .unwrap()
            });
            for (k, (t, gz)) in texts.iter().zip(&forward).enumerate() {
                let mut back = Vec::new();
                GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
                assert_eq!(&back, t, "level {level}, text {k}");
                assert_eq!(
                    gz,
                    &backward[texts.len() - 1 - k],
                    "level {level}, text {k}"
                );
            }
        }
    }
}
