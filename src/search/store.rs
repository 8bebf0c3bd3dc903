//! The index on disk: `.kb/index` in the knowledge base, outside the published site. It is
//! written whole into a fresh directory and swapped in, so a search running during a rebuild
//! sees the old index or the new one; a stamp of the sources tells when it is stale.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::indexer::NoMergePolicy;
use tantivy::{IndexWriter, TantivyDocument};

use super::surface::{self, Counter, Words};
use super::{Fields, Index};
use crate::content::{find, load};
use crate::kb::Kb;
use crate::staging::{self, StagingDir};

/// The index is built in `.kb/<this><pid>`, then swapped in.
const TMP_PREFIX: &str = ".index-new-";

/// Written last into the index directory: what the index was built from.
pub const STAMP_FILE: &str = "kb-stamp.json";
/// Beside it: the [`Digest`] of the documents the index holds.
const DIGEST_FILE: &str = "kb-docs.txt";

/// Documents are prepared in parallel in chunks of this many, then handed to the writer.
const CHUNK: usize = 512;
const WRITER_MEMORY: usize = 256 << 20;

/// Bumped whenever the schema or what goes into a document changes (its fields, or the terms
/// the analyzer makes of them: 5 keeps *follower* whole; 6 keeps the surface words in their
/// own file), so an index from an older kb is rebuilt rather than misread.
pub const SCHEMA_VERSION: u32 = 6;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    #[serde(default)]
    pub schema: u32,
    pub kb_version: String,
    /// Hash of every source file's path, size, inode and modification time, and of site.toml.
    pub sources: String,
    pub files: usize,
    pub drafts: bool,
    /// What a search of a large knowledge base checks instead of every file; None when a
    /// folder had changed too recently to tell a later change from it.
    #[serde(default)]
    pub folders: Option<Folders>,
}

impl Stamp {
    /// Whether both stamp the same sources. Their folders may differ without a source changing
    /// (an editor's swap file made and removed beside a postmortem).
    pub fn same_sources(&self, other: &Stamp) -> bool {
        (
            &self.schema,
            &self.kb_version,
            &self.sources,
            self.files,
            self.drafts,
        ) == (
            &other.schema,
            &other.kb_version,
            &other.sources,
            other.files,
            other.drafts,
        )
    }
}

/// Up to this many files (about 10 ms of `statx` at 10,000 here), `kb search` checks every
/// file for changes; above it, only their [`Folders`].
pub const CHECKED_FILE_BY_FILE: usize = 10_000;

/// The folders the sources are in, each with its modification time and inode, and site.toml's
/// stamp. Making, removing or renaming a file changes its folder's modification time, so these
/// change with a new or deleted postmortem, a `git pull` (git writes files anew), and a save by
/// an editor that writes a new file and renames it over the old one (vim, Emacs, JetBrains'
/// safe write). A save in place (VS Code) changes only the file: it is not seen here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folders {
    /// Relative to the root.
    pub paths: Vec<String>,
    pub sum: String,
}

/// A folder changed this shortly before it was stamped may change again within the same tick
/// of the file system's clock, unseen (FAT's tick is 2 s; most others' are under 10 ms).
const RACY: Duration = Duration::from_secs(2);

/// Whether every folder in `folders`, and site.toml, is as it was stamped: a few `statx`
/// instead of one per file.
pub fn folders_unchanged(root: &Path, folders: &Folders) -> bool {
    let mut sum = site_toml(root).0;
    for p in &folders.paths {
        let Ok(meta) = fs::metadata(root.join(p)) else {
            return false;
        };
        sum = sum.wrapping_add(folder_hash(p.as_bytes(), &meta));
    }
    format!("{sum:016x}") == folders.sum
}

pub fn dir(root: &Path) -> PathBuf {
    root.join(".kb").join("index")
}

/// Stamps the sources a search depends on: one `stat` per file, no reading, directories in
/// parallel. It walks the same files as loading does (`load::walk`'s rules).
pub fn stamp(root: &Path, output: &Path, drafts: bool) -> Stamp {
    let walk = Walk {
        root,
        real_root: &find::real_root(root).unwrap_or_else(|| root.to_path_buf()),
        skip: &load::skip_dirs(root, output),
        recent: SystemTime::now() - RACY,
    };
    let content = load::content_dir(root);
    // Loading refuses a content/ that leads out of the root; its listing is not read here either.
    let mut walked = match (
        find::leaves(walk.real_root, &content),
        fs::metadata(&content),
    ) {
        (None, Ok(meta)) => walk.dir(&content, &meta, 0),
        _ => Walked::default(),
    };
    let (site, site_meta) = site_toml(root);
    let sum = walked.sum.wrapping_add(site);
    let site_recent = site_meta.is_some_and(|m| too_recent(&m, walk.recent));
    let folders = (!walked.unsure && !site_recent).then(|| {
        walked.folders.sort_by(|a, b| a.path.cmp(&b.path));
        let sum = walked
            .folders
            .iter()
            .fold(site, |s, f| s.wrapping_add(f.hash));
        Folders {
            paths: walked.folders.into_iter().map(|f| f.path).collect(),
            sum: format!("{sum:016x}"),
        }
    });
    Stamp {
        schema: SCHEMA_VERSION,
        kb_version: env!("CARGO_PKG_VERSION").to_string(),
        sources: format!("{sum:016x}"),
        files: walked.files,
        drafts,
        folders,
    }
}

/// site.toml's hash, and its metadata.
fn site_toml(root: &Path) -> (u64, Option<fs::Metadata>) {
    let meta = fs::metadata(root.join("site.toml")).ok();
    (
        file_hash(&DefaultHasher::new(), b"site.toml", meta.clone()),
        meta,
    )
}

/// Whether a file or folder changed after `recent` (or its time cannot be read): too recently
/// for its stamp to vouch for it (see [`RACY`]).
fn too_recent(meta: &fs::Metadata, recent: SystemTime) -> bool {
    meta.modified().map_or(true, |t| t > recent)
}

/// A folder's path relative to the root, its inode and its modification time.
fn folder_hash(path: &[u8], meta: &fs::Metadata) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    #[cfg(unix)]
    std::os::unix::fs::MetadataExt::ino(meta).hash(&mut h);
    if let Ok(d) = meta.modified().map(|t| t.duration_since(UNIX_EPOCH)) {
        d.map_or(0, |d| d.as_nanos()).hash(&mut h);
    }
    h.finish()
}

/// Symbolic links to folders are followed this deep at most (a loop ends here).
const MAX_DEPTH: usize = 64;

/// What walking the sources sees.
struct Walk<'a> {
    root: &'a Path,
    real_root: &'a Path,
    skip: &'a [PathBuf],
    /// Folders changed after this are too recent to vouch for (see [`RACY`]).
    recent: SystemTime,
}

#[derive(Default)]
struct Walked {
    /// Order-independent sum of the per-file hashes.
    sum: u64,
    files: usize,
    folders: Vec<Folder>,
    /// A folder changed too recently or named in bytes JSON cannot hold: no [`Folders`].
    unsure: bool,
}

struct Folder {
    path: String,
    hash: u64,
}

impl Walked {
    fn join(mut self, other: Walked) -> Walked {
        self.sum = self.sum.wrapping_add(other.sum);
        self.files += other.files;
        self.folders.extend(other.folders);
        self.unsure |= other.unsure;
        self
    }
}

impl Walk<'_> {
    /// The files under `dir` (whose metadata is `meta`), and it and its folders. A link that
    /// leads out of the real root is stamped as the link itself: loading refuses it, and
    /// nothing behind it is read.
    ///
    /// This runs before every `kb search` of up to [`CHECKED_FILE_BY_FILE`] files, over every
    /// file: per file it costs one `statx` relative to the open folder (what
    /// `DirEntry::metadata` does) and a hash of bytes already in hand, with no path built.
    fn dir(&self, dir: &Path, meta: &fs::Metadata, depth: usize) -> Walked {
        let Ok(entries) = fs::read_dir(dir) else {
            return Walked::default();
        };
        let relative = dir.strip_prefix(self.root).unwrap_or(dir).as_os_str();
        let mut walked = Walked::default();
        match relative.to_str() {
            Some(path) => walked.folders.push(Folder {
                path: path.to_string(),
                hash: folder_hash(relative.as_encoded_bytes(), meta),
            }),
            None => walked.unsure = true,
        }
        walked.unsure |= too_recent(meta, self.recent);
        // The folder's path relative to the root, hashed once: each file adds its name to it.
        let mut prefix = DefaultHasher::new();
        relative.as_encoded_bytes().hash(&mut prefix);
        let mut subdirs = Vec::new();
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name();
            let name = name.as_encoded_bytes();
            if name.first() == Some(&b'.') {
                continue;
            }
            // `DirEntry::metadata` stats relative to the open folder; links need following.
            let meta = if ft.is_symlink() {
                let path = e.path();
                match find::leaves(self.real_root, &path) {
                    Some(_) => fs::symlink_metadata(&path).ok(),
                    None => fs::metadata(&path).ok(),
                }
            } else {
                e.metadata().ok()
            };
            match meta {
                Some(m) if m.is_dir() => {
                    let path = e.path();
                    if !load::left_out(&String::from_utf8_lossy(name), true)
                        && depth < MAX_DEPTH
                        && !load::is_skipped(&path, self.skip)
                    {
                        subdirs.push((path, m));
                    }
                }
                meta => {
                    walked.sum = walked.sum.wrapping_add(file_hash(&prefix, name, meta));
                    walked.files += 1;
                }
            }
        }
        subdirs
            .par_iter()
            .map(|(d, m)| self.dir(d, m, depth + 1))
            .reduce(Walked::default, Walked::join)
            .join(walked)
    }
}

/// Hashes the path relative to the root (`kb search` in the root and `kb build --root x`
/// must agree): its folder's hash, then the name; the size and the modification time.
fn file_hash(folder: &DefaultHasher, name: &[u8], meta: Option<fs::Metadata>) -> u64 {
    let mut h = folder.clone();
    name.hash(&mut h);
    if let Some(m) = meta {
        m.len().hash(&mut h);
        // A save that renames a new file over the old one (vim, rsync) shows as a new inode
        // even when it keeps the size and the modification time.
        #[cfg(unix)]
        std::os::unix::fs::MetadataExt::ino(&m).hash(&mut h);
        if let Ok(t) = m.modified()
            && let Ok(d) = t.duration_since(UNIX_EPOCH)
        {
            d.as_nanos().hash(&mut h);
        }
    }
    h.finish()
}

/// Indexes the knowledge base into a new tantivy index: in `dir` (built beside it and swapped
/// in), or in memory when `dir` is `None`. With the index, the digest of its documents and what
/// `alongside` returned: work of the caller's that needs no index, run beside the final commit.
pub fn write<T: Send>(
    kb: &Kb,
    dir: Option<&Path>,
    stamp: &Stamp,
    alongside: impl FnOnce() -> T + Send,
) -> Result<(Index, Digest, T), String> {
    let (schema, fields) = Fields::schema();
    let builder = || {
        tantivy::Index::builder()
            .schema(schema.clone())
            .settings(settings())
    };
    let Some(dir) = dir else {
        let index = builder().create_in_ram().map_err(|e| e.to_string())?;
        let index = Index::new(index).map_err(|e| e.to_string())?;
        let (digest, words, t) =
            fill(kb, &index.index, &fields, alongside).map_err(|e| e.to_string())?;
        index.reader.reload().map_err(|e| e.to_string())?;
        return Ok((index.with_words(words), digest, t));
    };
    let parent = dir.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    // What dead kb processes left (a build killed mid-index) goes first.
    staging::sweep(parent, TMP_PREFIX, false);
    let tmp = parent.join(format!("{TMP_PREFIX}{}", std::process::id()));
    let staged = StagingDir::create(tmp.clone()).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let index = builder().create_in_dir(&tmp).map_err(|e| e.to_string())?;
    super::register(&index);
    let (digest, words, t) = fill(kb, &index, &fields, alongside).map_err(|e| e.to_string())?;
    fs::write(tmp.join(DIGEST_FILE), digest.text())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    fs::write(tmp.join(surface::FILE), words.encode())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    let json = serde_json::to_string_pretty(stamp).expect("a stamp serialises");
    fs::write(tmp.join(STAMP_FILE), json).map_err(|e| format!("{}: {e}", tmp.display()))?;
    crate::output::replace_dir(&tmp, dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    drop(staged);
    let index = tantivy::Index::open_in_dir(dir).map_err(|e| e.to_string())?;
    let index = Index::in_dir(index, dir).map_err(|e| e.to_string())?;
    Ok((index.with_words(words), digest, t))
}

/// The index's settings: stored documents uncompressed. The index stays on the machine, a
/// search reads a handful of documents, and compressing them all cost more than writing them.
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_compression: tantivy::store::Compressor::None,
        ..Default::default()
    }
}

/// Adds every incident, in kb order: one segment per indexing thread (more when one fills its
/// memory), not merged. A merge wrote every posting again on one core (0.45 s of a 5.6 s build
/// at 10,000 incidents, 4.9 s at 100,000); the export, similar incidents and searches read the
/// segments as they are, with the statistics of them all, so the scores are a merged index's.
/// Each segment holds its documents in the order its thread took them from the writer's one
/// queue, so in kb order (`ord`), which equal scores and the export rely on (the export checks
/// it). The index is not sorted by `ord` to get that: a sorted index wrote its stored documents
/// twice and remapped every posting list, 2-3 % of a build and 50 MB of peak memory at 10,000.
/// `alongside` runs beside the final commit. With the documents' digest, their surface words.
fn fill<T: Send>(
    kb: &Kb,
    index: &tantivy::Index,
    fields: &Fields,
    alongside: impl FnOnce() -> T + Send,
) -> tantivy::Result<(Digest, Words, T)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, WRITER_MEMORY)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    let mut digest = Digest::new();
    let mut words = Counter::default();
    for (c, chunk) in kb.entries.chunks(CHUNK).enumerate() {
        // In order, each with its hash; and the chunk's surface words.
        let (docs, counted) = chunk
            .par_iter()
            .enumerate()
            .fold(
                || (Vec::new(), Counter::default()),
                |(mut docs, mut counter), (k, e)| {
                    let ord = c * CHUNK + k;
                    let d = document(kb, fields, ord, e);
                    counter.add(ord, text_values(&d, fields));
                    let hash = doc_hash(&d);
                    docs.push((d, hash));
                    (docs, counter)
                },
            )
            .reduce(
                || (Vec::new(), Counter::default()),
                |(mut left, a), (right, b)| {
                    left.extend(right);
                    (left, a.merge(b))
                },
            );
        words = words.merge(counted);
        for (d, hash) in docs {
            digest.add(hash);
            writer.add_document(d)?;
        }
    }
    let t = std::time::Instant::now();
    let (committed, beside) = rayon::join(
        || {
            writer.commit()?;
            writer.wait_merging_threads()
        },
        alongside,
    );
    committed?;
    if kb.config.run.timings {
        crate::say!(
            "           commit {:.3} s, {} segments",
            t.elapsed().as_secs_f64(),
            index.searchable_segment_ids()?.len()
        );
    }
    Ok((digest, words.finish(), beside))
}

/// Incident `ord`'s document, as the index holds it (before its surface words, which come
/// from its text).
fn document(kb: &Kb, fields: &Fields, ord: usize, e: &crate::kb::Entry) -> TantivyDocument {
    let names: Vec<&str> = e
        .services
        .iter()
        .map(|s| kb.services[s].name.as_str())
        .collect();
    fields.document(ord, e, &names)
}

/// What identifies an index's content: every document's fields and values, in order, with
/// the schema version and the kb that wrote it. Two indexes with the same digest hold the same
/// documents, whatever the files' stamps say, so a build whose postmortems were touched but
/// whose indexed text is the same (or whose theme changed) keeps the index.
pub struct Digest(crate::build_cache::Hash);

impl Digest {
    fn new() -> Self {
        let mut h = crate::build_cache::Hash::new();
        h.num(u128::from(SCHEMA_VERSION))
            .part(env!("CARGO_PKG_VERSION").as_bytes());
        Digest(h)
    }

    fn add(&mut self, doc: u128) {
        self.0.num(doc);
    }

    pub fn text(&self) -> String {
        format!("{:032x}", self.0.finish())
    }
}

/// The digest of the documents [`write`] would index for `kb`: made in parallel, a tenth of
/// the time indexing takes.
pub fn digest(kb: &Kb) -> Digest {
    let (_, fields) = Fields::schema();
    let hashes: Vec<u128> = kb
        .entries
        .par_iter()
        .enumerate()
        .map(|(i, e)| doc_hash(&document(kb, &fields, i, e)))
        .collect();
    let mut digest = Digest::new();
    for h in hashes {
        digest.add(h);
    }
    digest
}

fn doc_hash(d: &TantivyDocument) -> u128 {
    use tantivy::schema::Value;
    let mut h = crate::build_cache::Hash::new();
    for (field, value) in d.field_values() {
        h.num(u128::from(field.field_id()));
        if let Some(s) = value.as_str() {
            h.num(0).part(s.as_bytes());
        } else if let Some(n) = value.as_u64() {
            h.num(1).num(u128::from(n));
        } else if let Some(n) = value.as_i64() {
            h.num(2).num(n as u128);
        } else {
            // A kind of value the schema does not use: never the same as another index's.
            h.num(3).num(u128::from(std::process::id()));
        }
    }
    h.finish()
}

/// The index in `dir`, when it holds the `docs` documents `digest` describes in segments
/// whose files all pass their checksums (a damaged index is written again, as the build cache
/// treats its files): a build kept it rather than indexing the same text again. Its stamp
/// becomes `stamp` (the sources as they are now, with the same indexed text), so `kb search`
/// trusts it too.
///
/// `digest` makes the digest of the documents the build would index; it runs only when an
/// index is there to compare with (a first build would make every document twice).
pub fn reuse(
    dir: &Path,
    digest: impl FnOnce() -> Digest,
    docs: usize,
    stamp: &Stamp,
) -> Option<(Index, Digest)> {
    let stored = fs::read_to_string(dir.join(DIGEST_FILE)).ok()?;
    let digest = digest();
    if stored.trim() != digest.text() {
        return None;
    }
    let (index, old) = open(dir).ok()?;
    let searcher = index.searcher();
    let whole = searcher.num_docs() == docs as u64
        && index
            .index
            .validate_checksum()
            .is_ok_and(|bad| bad.is_empty());
    if !whole {
        return None;
    }
    if &old != stamp {
        write_stamp(dir, stamp)?;
    }
    Some((index, digest))
}

/// Replaces the stamp of the index in `dir`, built from the same sources as `stamp`, when
/// their folders differ: the next search of a large knowledge base then checks the folders as
/// they are now (after a build that left them too recent to vouch for, or an editor's swap
/// file). Only over `built` itself: an index another process swapped in meanwhile keeps its own.
pub fn restamp(dir: &Path, built: &Stamp, stamp: &Stamp) {
    if built.folders != stamp.folders && read_stamp(dir).as_ref() == Some(built) {
        let _ = write_stamp(dir, stamp);
    }
}

/// Writes `stamp` beside the index in `dir`, whole or not at all.
fn write_stamp(dir: &Path, stamp: &Stamp) -> Option<()> {
    let json = serde_json::to_string_pretty(stamp).expect("a stamp serialises");
    let tmp = dir.join(format!("{STAMP_FILE}.{}", std::process::id()));
    fs::write(&tmp, json).ok()?;
    fs::rename(&tmp, dir.join(STAMP_FILE)).ok()
}

/// The values of `d`'s text fields, what its surface words are counted from.
fn text_values<'a>(
    d: &'a tantivy::TantivyDocument,
    fields: &'a Fields,
) -> impl Iterator<Item = &'a str> + 'a {
    use tantivy::schema::Value;
    fields
        .text
        .iter()
        .flat_map(move |&f| d.get_all(f).filter_map(|v| v.as_str()))
}

/// Why an index on disk could not be used.
pub enum OpenError {
    Missing,
    /// Written by a kb with another schema.
    Outdated,
    Corrupt(String),
}

/// The stamp of the index in `dir`, without opening the index.
pub fn read_stamp(dir: &Path) -> Option<Stamp> {
    serde_json::from_slice(&fs::read(dir.join(STAMP_FILE)).ok()?).ok()
}

/// Opens the index in `dir` with the stamp it was built from.
pub fn open(dir: &Path) -> Result<(Index, Stamp), OpenError> {
    let text = match fs::read_to_string(dir.join(STAMP_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() => {
            return Err(OpenError::Missing);
        }
        Err(e) => return Err(OpenError::Corrupt(format!("{STAMP_FILE}: {e}"))),
    };
    let stamp: Stamp = serde_json::from_str(&text)
        .map_err(|e| OpenError::Corrupt(format!("{STAMP_FILE}: {e}")))?;
    if stamp.schema != SCHEMA_VERSION {
        return Err(OpenError::Outdated);
    }
    // Its surface words are read when a query wants them; without them it is incomplete.
    if !dir.join(surface::FILE).is_file() {
        return Err(OpenError::Corrupt(format!("{} is missing", surface::FILE)));
    }
    let index = tantivy::Index::open_in_dir(dir)
        .and_then(|i| Index::in_dir(i, dir))
        .map_err(|e| OpenError::Corrupt(e.to_string()))?;
    Ok((index, stamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::run::{SearchOptions, Searching};

    /// The example knowledge base's index in memory, its incidents added in the order `order`
    /// gives by a writer with `threads` threads, committed every `every` of them.
    fn indexed(kb: &Kb, order: &[usize], threads: usize, every: usize) -> Index {
        let (schema, fields) = Fields::schema();
        let index = tantivy::Index::builder()
            .schema(schema)
            .create_in_ram()
            .unwrap();
        let index = Index::new(index).unwrap();
        let mut writer: IndexWriter = index
            .index
            .writer_with_num_threads(threads, threads * 15_000_000)
            .unwrap();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let mut words = Counter::default();
        for (k, &i) in order.iter().enumerate() {
            let d = document(kb, &fields, i, &kb.entries[i]);
            words.add(i, text_values(&d, &fields));
            writer.add_document(d).unwrap();
            if (k + 1) % every == 0 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        index.reader.reload().unwrap();
        index.with_words(words.finish())
    }

    /// The example knowledge base with a copy of each postmortem under another id (so that
    /// scores tie), in `dir`.
    fn example_twice(dir: &Path) -> Kb {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        fs::copy(repo.join("site.toml"), dir.join("site.toml")).unwrap();
        for e in walkdir::WalkDir::new(repo.join("content")) {
            let e = e.unwrap();
            let to = dir.join(e.path().strip_prefix(repo).unwrap());
            if e.file_type().is_dir() {
                fs::create_dir_all(&to).unwrap();
                continue;
            }
            let text = fs::read_to_string(e.path()).unwrap();
            fs::write(&to, &text).unwrap();
            let name = to.file_name().unwrap().to_string_lossy();
            // TOML or YAML frontmatter; without an id, the file name is one.
            let copy = text.replacen("\nid = \"", "\nid = \"copy-", 1).replacen(
                "\nid: ",
                "\nid: copy-",
                1,
            );
            fs::write(to.with_file_name(format!("copy-{name}")), copy).unwrap();
        }
        let (kb, diags) = crate::build::load_kb(
            dir,
            &dir.join("public"),
            false,
            None,
            &Default::default(),
            &|_| {},
        )
        .unwrap();
        assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
        kb
    }

    /// However a writer spreads incidents over segments (here three threads, committed every
    /// five incidents), the static export, the similar incidents and `kb search`'s ranking are
    /// those of one segment, equal scores included: nothing is merged, so nothing may depend on
    /// the segments.
    #[test]
    fn segments_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let kb = example_twice(dir.path());
        let n = kb.entries.len();
        assert!(n > 20, "{n}");
        let in_order: Vec<usize> = (0..n).collect();
        let whole = indexed(&kb, &in_order, 1, n + 1);
        let split = indexed(&kb, &in_order, 3, 5);
        assert_eq!(whole.searcher().segment_readers().len(), 1);
        assert!(split.searcher().segment_readers().len() > 3);

        let a = crate::search::export::export(&whole, &kb).unwrap();
        let b = crate::search::export::export(&split, &kb).unwrap();
        assert_eq!(a.files, b.files);
        assert_eq!(
            serde_json::to_string(&a.manifest).unwrap(),
            serde_json::to_string(&b.manifest).unwrap()
        );

        let vocab = crate::search::similar::Vocabulary::new(&kb);
        let a = crate::search::similar::compute(&whole, &kb, &vocab);
        assert!(a.iter().filter(|m| !m.is_empty()).count() > n / 2);
        assert_eq!(a, crate::search::similar::compute(&split, &kb, &vocab));

        let opts = SearchOptions {
            limit: 50,
            facets: true,
        };
        let hits = |index: &Index, q: &str| {
            let r = Searching::new(index, &kb.config).search(q, &opts).unwrap();
            serde_json::to_string(&r).unwrap()
        };
        for q in [
            "replica lag",
            "database",
            "HTTP 503 from every service",
            "outage",
        ] {
            assert_eq!(hits(&whole, q), hits(&split, q), "{q}");
        }
    }

    /// The index is not sorted: documents added out of kb order would rank and export wrongly,
    /// so the export refuses them rather than publish that.
    #[test]
    fn export_refuses_an_index_out_of_kb_order() {
        let dir = tempfile::tempdir().unwrap();
        let kb = example_twice(dir.path());
        let n = kb.entries.len();
        let reversed: Vec<usize> = (0..n).rev().collect();
        let index = indexed(&kb, &reversed, 1, n + 1);
        let err = crate::search::export::export(&index, &kb).err();
        assert_eq!(
            err.as_deref(),
            Some("the search index is not in knowledge base order")
        );
    }
}
