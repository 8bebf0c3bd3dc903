//! Pages from the knowledge base: Tera templates (the embedded theme, overridden file by file
//! by a `theme/` folder), rendered in parallel.

pub mod charts;
pub mod data;
mod list;
mod pager;
pub mod phases;
pub mod placement;
mod reports;
mod summaries;
pub mod theme;
pub mod views;

use std::collections::BTreeSet;

use jiff::civil::Date;
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::content::incident::{Impact, LinkTarget};
use crate::content::markdown;
use crate::diagnostics::Diagnostic;
use crate::kb::Kb;
use crate::kb::lessons::Lessons;
use crate::output::{OutputError, Sink};
use theme::Theme;
use views::Detail;

/// How many incidents the home page lists.
const RECENT: usize = 12;
/// How many incidents the Atom feed carries (the newest dated ones).
const FEED: usize = 20;
/// URLs per sitemap file (the sitemaps.org limit); `KB_SITEMAP_URLS` lowers it for tests.
const SITEMAP_URLS_MAX: usize = 50_000;

struct Job<'a> {
    template: &'static str,
    path: String,
    context: Ctx<'a>,
}

/// A page's context, or what makes it when the page is rendered: the largest (every action
/// item, as template values) are made one at a time then, rather than all held through the
/// render (most of a 100,000-incident build's memory at its peak).
enum Ctx<'a> {
    Ready(Context),
    Later(Box<dyn FnOnce() -> Context + Send + 'a>),
}

impl From<Context> for Ctx<'_> {
    fn from(c: Context) -> Self {
        Ctx::Ready(c)
    }
}

#[derive(Serialize)]
struct PageInfo {
    title: String,
    kind: &'static str,
    /// Site-relative URL of this page (`incidents/x/`), for canonical links.
    url: String,
    /// Relative prefix back to the site root (`../../`), so the site works under any path.
    root: String,
}

fn page(title: impl Into<String>, kind: &'static str, url: &str) -> Value {
    let depth = url.matches('/').count();
    Value::from_serializable(&PageInfo {
        title: title.into(),
        kind,
        url: url.to_string(),
        root: "../".repeat(depth),
    })
}

#[derive(Serialize)]
struct GroupView<'a> {
    name: &'a str,
    url: String,
    description: &'a str,
    count: usize,
}

#[derive(Serialize)]
struct Stats {
    incidents: usize,
    tags: usize,
    services: usize,
    undated: usize,
    open_action_items: usize,
    overdue_action_items: usize,
}

/// The theme's templates, ready to render this knowledge base's pages (`site` is global).
pub fn engine(kb: &Kb, theme: &Theme) -> Result<tera::Tera, Vec<Diagnostic>> {
    let mut tera = theme.tera()?;
    let site = views::SiteView {
        title: &kb.config.title,
        description: &kb.config.description,
        base_url: &kb.config.base_url,
        language: &kb.config.language,
        generator: concat!("kb ", env!("CARGO_PKG_VERSION")),
        severity_levels: &kb.config.severity.levels,
    };
    tera.global_context().insert("site", &site);
    Ok(tera)
}

/// What a whole render computed across incidents, kept by `kb serve` to render an edit's
/// pages at once: each incident's summary and card (in the knowledge base's order), the
/// lesson groups, and what the pages of big tags and services show besides their incidents
/// (figures, lessons, open action items: the costliest part of an edit's pages to compute).
pub struct Across {
    pub summaries: Vec<Value>,
    pub cards: Vec<Value>,
    pub lessons: Lessons,
    groups: std::collections::HashMap<String, Context>,
}

/// The incident page's field holding the whole body as HTML (docs/theming.md).
const BODY_HTML: &str = "body_html";

/// Tags and services with at least this many incidents keep their figures for `kb serve`'s
/// quick pages; smaller ones are computed again in less time than it takes to keep them.
const KEEP_GROUP: usize = 50;

impl Across {
    /// Follows an incident that moved in the order by date ([`crate::kb::Kb::replace`]).
    pub fn moved(&mut self, moved: crate::kb::edit::Moved) {
        for list in [&mut self.summaries, &mut self.cards] {
            let v = list.remove(moved.from);
            list.insert(moved.to, v);
        }
        self.lessons.renumber(moved);
    }

    /// Whether the page of this tag or service (`kind` `tag` or `service`) keeps its figures.
    pub fn kept(&self, kind: &str, key: &str) -> bool {
        self.groups.contains_key(&format!("{kind}/{key}"))
    }
}

/// The part of the site an edit shows on at once (`kb serve`): the pages of these incidents,
/// tags and services, the home page, the pages of the incident list that show these incidents
/// (and its first), and the tag and service indexes, with what the last whole render computed
/// across incidents (only these incidents' summaries are made again; the lesson groups, and
/// the figures of big tags and services, are the last build's).
pub struct Only<'a> {
    pub incidents: Vec<usize>,
    pub tags: BTreeSet<String>,
    /// Service slugs.
    pub services: BTreeSet<String>,
    pub across: &'a Across,
    /// Only the pages of those tags and services that keep their figures ([`Across::kept`]);
    /// otherwise every page but those. At 10,000 incidents they weigh megabytes and take
    /// longer to render than all the rest, which can be shown before them.
    pub big: bool,
    /// Where in the order by date each edited incident was and is (`from`, `to`), when the
    /// edits kept every tag's and service's members except those in `regrouped`: a tag's pages
    /// of incidents outside those spans are as they were, and are not rendered. None: every
    /// page of each group.
    pub spans: Option<Vec<(usize, usize)>>,
    /// Tags and services (`tag/<key>`, `service/<key>`) an edit joined or left: every page of
    /// theirs shows the new count.
    pub regrouped: BTreeSet<String>,
}

impl Only<'_> {
    fn group(&self, kind: &str, key: &str) -> bool {
        match kind {
            "tag" => self.tags.contains(key),
            _ => self.services.contains(key),
        }
    }

    /// Whether page `k` (0-based) of the group `id`'s incidents, `per` to a page, may change:
    /// it lists an incident between where an edited one was and is.
    fn group_page(&self, id: &str, incidents: &[usize], per: usize, k: usize) -> bool {
        let Some(spans) = self.spans.as_ref().filter(|_| !self.regrouped.contains(id)) else {
            return true;
        };
        spans.iter().any(|&(from, to)| {
            let (lo, hi) = (from.min(to), from.max(to));
            let first = incidents.partition_point(|&j| j < lo);
            let end = incidents.partition_point(|&j| j <= hi);
            first < end && first / per <= k && k <= (end - 1) / per
        })
    }

    /// Pages other than incident and group pages that show an incident's title, date,
    /// severity, tags or services (reports, feed and search wait for the whole rebuild).
    fn lists(path: &str) -> bool {
        path == "index.html"
            || ["incidents/", "tags/", "services/"]
                .iter()
                .any(|p| path.starts_with(p))
    }
}

/// Renders every page of the site into `sink`, as each is rendered, or with `only` that part
/// of it. Template errors are returned as diagnostics. Returns the number of HTML pages.
#[allow(clippy::too_many_arguments)]
pub fn render(
    kb: &Kb,
    theme: &Theme,
    tera: &tera::Tera,
    today: Date,
    staging: &(dyn Sink + Sync),
    search: &crate::search::export::Manifest,
    unchanged: Option<&[bool]>,
    only: Option<&Only>,
) -> Result<(usize, Option<Across>), RenderError> {
    let (summaries, cards) = summaries::build(
        kb,
        tera,
        only.map(|o| {
            let a = &o.across;
            (&a.summaries[..], &a.cards[..], &o.incidents[..])
        }),
    );
    let list =
        |idx: &[usize]| Value::from(idx.iter().map(|i| cards[*i].clone()).collect::<Vec<_>>());

    let tag_views: Vec<GroupView> = kb
        .tags
        .iter()
        .map(|(k, g)| GroupView {
            name: &g.name,
            url: views::tag_url(k),
            description: &g.description,
            count: g.incidents.len(),
        })
        .collect();
    let service_views: Vec<GroupView> = kb
        .services
        .iter()
        .map(|(k, g)| GroupView {
            name: &g.name,
            url: views::service_url(k),
            description: &g.description,
            count: g.incidents.len(),
        })
        .collect();
    let tags_value = Value::from_serializable(&tag_views);
    let services_value = Value::from_serializable(&service_views);

    let whole = only.is_none();
    // Incident pages need nothing the other pages' preparation makes (the lesson groups, the
    // groups' figures, the data files), which leaves a core idle while one part of it runs
    // alone (the lesson groups, 0.1–0.2 s at 10,000): the two side by side.
    let prepare = || -> Result<_, RenderError> {
        let mut jobs: Vec<Job> = Vec::new();
        let mut kept_groups = std::collections::HashMap::new();
        // Each of these takes a single core for 0.1–0.2 s at 10k: side by side.
        let ((report_jobs, computed), json) = rayon::join(
            || match whole {
                true => {
                    let lessons = Lessons::new(kb);
                    (reports::jobs(kb, &lessons, today), Some(lessons))
                }
                false => (Vec::new(), None),
            },
            || match whole {
                true => {
                    let limit = kb.config.run.data_part_bytes.unwrap_or(data::PART_BYTES);
                    data::write_files(kb, today, limit, |path, bytes| staging.write(path, bytes))
                }
                false => Ok(()),
            },
        );
        jobs.extend(report_jobs);
        let lessons = computed
            .as_ref()
            .or(only.map(|o| &o.across.lessons))
            .expect("computed unless given");

        // Home.
        let all: Vec<usize> = (0..kb.entries.len()).collect();
        let (open, overdue) = kb
            .entries
            .iter()
            .flat_map(|e| &e.incident.action_items)
            .fold((0, 0), |(o, d), a| {
                let open = !a.status.is_closed();
                let late = open && a.due.is_some_and(|due| due < today);
                (o + usize::from(open), d + usize::from(late))
            });
        let stats = Value::from_serializable(&Stats {
            incidents: kb.entries.len(),
            tags: kb.tags.len(),
            services: kb.services.len(),
            undated: kb
                .entries
                .iter()
                .filter(|e| e.incident.date.is_none())
                .count(),
            open_action_items: open,
            overdue_action_items: overdue,
        });
        // An edit's second quick step renders big groups' pages only: nothing else is prepared.
        let lists = only.is_none_or(|o| !o.big);
        if lists {
            let mut ctx = Context::new();
            ctx.insert_value("page", page(kb.config.title.clone(), "home", ""));
            ctx.insert_value("recent", list(&all[..all.len().min(RECENT)]));
            ctx.insert_value("tags", tags_value.clone());
            ctx.insert_value("services", services_value.clone());
            ctx.insert_value("stats", stats.clone());
            ctx.insert_value("headline", reports::headline(kb, today));
            jobs.push(Job {
                template: "index.html",
                path: "index.html".into(),
                context: ctx.into(),
            });
        }

        // All incidents, newest first, a page at a time; the data its script filters over.
        let shown = |r: std::ops::Range<usize>| {
            lists && only.is_none_or(|o| r.start == 0 || o.incidents.iter().any(|i| r.contains(i)))
        };
        jobs.extend(list::jobs(kb, &cards, &stats, shown));
        // Fetched only when the list is filtered: an edit's quick pages leave it to the rebuild.
        let list_data = whole.then(|| list::data(kb));

        // Tags and services.
        for (kind, groups, groups_value, url_of, one, many) in [
            (
                "tag",
                &kb.tags,
                &tags_value,
                views::tag_url as fn(&str) -> String,
                "tag.html",
                "tags.html",
            ),
            (
                "service",
                &kb.services,
                &services_value,
                views::service_url,
                "service.html",
                "services.html",
            ),
        ] {
            let plural = if kind == "tag" { "tags" } else { "services" };
            let mut ctx = Context::new();
            let title = if kind == "tag" { "Tags" } else { "Services" };
            ctx.insert_value(
                "page",
                page(
                    title,
                    if kind == "tag" { "tags" } else { "services" },
                    &format!("{plural}/"),
                ),
            );
            ctx.insert_value(plural, groups_value.clone());
            jobs.push(Job {
                template: many,
                path: format!("{plural}/index.html"),
                context: ctx.into(),
            });
            // The groups' figures are the costliest part to prepare (0.5 s at 10k on one core).
            let per = list::per_page(kb);
            // Each group's pages, and its figures when kept for kb serve.
            type Pages<'a> = (Vec<Job<'a>>, Option<(String, Context)>);
            let group_jobs: Vec<Pages> = groups
                .par_iter()
                .filter(|(key, _)| {
                    only.is_none_or(|o| o.group(kind, key) && o.big == o.across.kept(kind, key))
                })
                .map(|(key, g)| {
                    let url = url_of(key);
                    let view = Value::from_serializable(&GroupView {
                        name: &g.name,
                        url: url.clone(),
                        description: &g.description,
                        count: g.incidents.len(),
                    });
                    // Its incidents a page at a time, as /incidents/: a tag of 20,000 incidents
                    // was one page of 20 MB. The first page has the figures, lessons and items.
                    let total = g.incidents.len().div_ceil(per).max(1);
                    let id = format!("{kind}/{key}");
                    // An edit's quick pages: the first (its figures may be made again) and those
                    // of this group's pages it changes.
                    let wanted = |k: usize| {
                        k == 0 || only.is_none_or(|o| o.group_page(&id, &g.incidents, per, k))
                    };
                    let paged = |ctx: &mut Context, k: usize| {
                        let range = k * per..((k + 1) * per).min(g.incidents.len());
                        ctx.insert_value("incidents", list(&g.incidents[range.clone()]));
                        ctx.insert("pager", &pager::pager(&url, k + 1, total));
                        ctx.insert("first", &(range.start + 1));
                        ctx.insert("last", &range.end);
                    };
                    let mut jobs: Vec<Job> = (1..total)
                        .filter(|&k| wanted(k))
                        .map(|k| {
                            let here = pager::page_url(&url, k + 1);
                            let mut ctx = Context::new();
                            let title = format!("{}, page {}", g.name, k + 1);
                            ctx.insert_value("page", page(title, kind, &here));
                            ctx.insert_value("group", view.clone());
                            paged(&mut ctx, k);
                            Job {
                                template: "group-page.html",
                                path: format!("{here}index.html"),
                                context: ctx.into(),
                            }
                        })
                        .collect();
                    let mut ctx = Context::new();
                    ctx.insert_value("page", page(g.name.clone(), kind, &url));
                    ctx.insert_value(kind, view);
                    paged(&mut ctx, 0);
                    let kept = only.and_then(|o| o.across.groups.get(&id));
                    let extra = kept.cloned().unwrap_or_else(|| {
                        let mut extra = Context::new();
                        reports::group_context(kb, kind, key, g, lessons, today, &mut extra);
                        extra
                    });
                    // Only big groups' figures are kept (for kb serve): the rest move into the page.
                    let keep = whole && g.incidents.len() >= KEEP_GROUP;
                    let kept = keep.then(|| (id.clone(), extra.clone()));
                    ctx.extend(extra);
                    jobs.insert(
                        0,
                        Job {
                            template: one,
                            path: format!("{url}index.html"),
                            context: ctx.into(),
                        },
                    );
                    (jobs, kept)
                })
                .collect();
            for (group, keep) in group_jobs {
                jobs.extend(group);
                kept_groups.extend(keep);
            }
        }

        // Search: the manifest and the engine go inline, so a visit opening `/search/?q=…` costs
        // the page, the query's files, then its results' stubs: three round trips.
        let mut ctx = Context::new();
        ctx.insert_value("page", page("Search", "search", "search/"));
        ctx.insert("search_manifest", &script_json(search));
        ctx.insert("search_script", &theme.inline_script(SEARCH_SCRIPTS));
        ctx.insert(
            "search_page_script",
            &theme.inline_script(&["js/search-page.js"]),
        );
        jobs.push(Job {
            template: "search.html",
            path: "search/index.html".into(),
            context: ctx.into(),
        });

        // Feeds and data: the newest incidents as Atom, every page in the sitemap, every
        // incident as JSON.
        let dated: Vec<&crate::kb::Entry> = kb
            .entries
            .iter()
            .filter(|e| e.incident.date.is_some())
            .take(FEED)
            .collect();
        let feed: Vec<views::FeedEntry> = dated.iter().map(|e| views::feed_entry(e)).collect();
        let mut ctx = Context::new();
        ctx.insert_value("page", page("Latest incidents", "feed", "atom.xml"));
        ctx.insert("updated", &feed.first().map(|f| f.updated.clone()));
        ctx.insert("entries", &feed);
        jobs.push(Job {
            template: "atom.xml",
            path: "atom.xml".into(),
            context: ctx.into(),
        });
        // An edit's quick pages leave the sitemap to the rebuild (at 10,000 it takes 50 ms).
        if whole {
            let maps = sitemaps(kb, &jobs);
            jobs.extend(maps);
        }
        json.map_err(RenderError::Output)?;
        for (path, bytes) in list_data
            .iter()
            .flat_map(|d| [(list::DATA, &d.0), (list::FACETS, &d.1)])
        {
            staging.write(path, bytes).map_err(RenderError::Output)?;
        }

        // 404.
        let mut ctx = Context::new();
        ctx.insert_value("page", page("Page not found", "404", ""));
        jobs.push(Job {
            template: "404.html",
            path: "404.html".into(),
            context: ctx.into(),
        });
        Ok((jobs, kept_groups, computed))
    };

    let write = |job: Job| write_job(tera, Some(theme), staging, job);
    // The whole body as HTML beside its blocks, only for a theme that prints it: rendering it
    // again was 0.5 % of a build's instructions where sections are placed (near-duplicate
    // shape, 1,000).
    let body_html = theme.templates_name(BODY_HTML);
    let summary = |j: usize| summaries[j].clone();
    let incident_pages = || -> Vec<Result<(), RenderError>> {
        (0..kb.entries.len())
            .into_par_iter()
            .filter(|i| only.is_none_or(|o| !o.big && o.incidents.contains(i)))
            .map(|i| {
                // An unchanged page the sink still has is not rendered again (kb serve).
                let path = format!(
                    "{}index.html",
                    views::incident_url(&kb.entries[i].incident.id)
                );
                // Attachments are copied whether or not the page is kept: they may have changed.
                copy_assets(&kb.entries[i].incident, staging)?;
                if unchanged.is_some_and(|u| u[i]) && staging.keep(&path) {
                    return Ok(());
                }
                write(incident_job(kb, today, &summary, i, body_html))
            })
            .collect()
    };
    let (prepared, incident_results) = rayon::join(prepare, incident_pages);
    let (mut jobs, kept_groups, computed) = prepared?;
    if let Some(o) = only {
        let group = |j: &Job| matches!(j.template, "tag.html" | "service.html" | "group-page.html");
        jobs.retain(|j| Only::lists(&j.path) && (!o.big || group(j)));
    }

    let pages = jobs.len() + kb.entries.len();
    let results: Vec<Result<(), RenderError>> = jobs.into_par_iter().map(write).collect();
    let mut errors: Vec<Diagnostic> = Vec::new();
    for e in incident_results
        .into_iter()
        .chain(results)
        .filter_map(Result::err)
    {
        match e {
            // A failed write ends the build, whatever else went wrong.
            RenderError::Output(e) => return Err(RenderError::Output(e)),
            RenderError::Templates(ds) => {
                for d in ds {
                    if !errors.contains(&d) {
                        errors.push(d);
                    }
                }
            }
        }
    }
    for p in theme.static_files().filter(|_| whole) {
        staging
            .write(&p.path, &p.bytes)
            .map_err(RenderError::Output)?;
    }
    if errors.is_empty() {
        let across = computed.map(|lessons| Across {
            summaries,
            cards,
            lessons,
            groups: kept_groups,
        });
        Ok((pages, across))
    } else {
        Err(RenderError::Templates(errors))
    }
}

/// Copies an incident's images and attachments beside its page, where its rendered links
/// point ([`crate::content::assets::out_url`]).
fn copy_assets(
    inc: &crate::content::Incident,
    sink: &(dyn Sink + Sync),
) -> Result<(), RenderError> {
    for a in &inc.assets {
        let bytes = std::fs::read(&a.file).map_err(|e| {
            RenderError::Templates(vec![Diagnostic::error(
                inc.path.clone(),
                format!("cannot read the attachment `{}`: {e}", a.written),
            )])
        })?;
        let out = percent_encoding::percent_decode_str(&a.out).decode_utf8_lossy();
        sink.write(&format!("{}{out}", views::incident_url(&inc.id)), &bytes)
            .map_err(RenderError::Output)?;
    }
    Ok(())
}

/// Why pages could not be written: the theme's templates failed on some (errors in the
/// content or theme), or the output could not be written.
#[derive(Debug)]
pub enum RenderError {
    Templates(Vec<Diagnostic>),
    Output(OutputError),
}

fn write_job(
    tera: &tera::Tera,
    theme: Option<&Theme>,
    sink: &(dyn Sink + Sync),
    job: Job,
) -> Result<(), RenderError> {
    let context = match job.context {
        Ctx::Ready(c) => c,
        Ctx::Later(make) => make(),
    };
    // Each thread renders into one buffer, grown to its largest page once: a page rendered
    // into a new string grew it several times and checked its UTF-8 after.
    thread_local! {
        static PAGE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    PAGE.with_borrow_mut(|html| {
        html.clear();
        tera.render_to(job.template, &context, &mut *html)
            .map_err(|e| {
                RenderError::Templates(vec![theme::template_error(job.template, &e, theme)])
            })?;
        sink.write(&job.path, html).map_err(RenderError::Output)
    })
}

/// `card_html | with_root(root=root)`: the card with the page's root in place of each
/// [`summaries::CARD_ROOT`], as `replace(from="<kb-root>", to=root)` gives it, safety and escaping
/// included, in one pass (Tera's `replace` built a searcher and copied the card three times;
/// 5 % of rendering the pages, most of it for cards).
pub(super) fn with_root(
    html: tera::StringInput,
    kwargs: tera::Kwargs,
    state: &tera::State,
) -> tera::TeraResult<Value> {
    let root = kwargs.must_get::<tera::StringInput>("root")?;
    if state.autoescaping_enabled() && (html.is_safe() || root.is_safe()) {
        let out = put_root(&html.rendered(state)?, &root.rendered(state)?);
        Ok(Value::safe_string(&out))
    } else {
        Ok(Value::from(put_root(html.as_str(), root.as_str())))
    }
}

/// `html` with `root` for every [`summaries::CARD_ROOT`].
fn put_root(html: &str, root: &str) -> String {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(summaries::CARD_ROOT));
    let mut out = String::with_capacity(html.len() + 4 * root.len());
    let mut at = 0;
    for found in FINDER.find_iter(html.as_bytes()) {
        out.push_str(&html[at..found]);
        out.push_str(root);
        at = found + summaries::CARD_ROOT.len();
    }
    out.push_str(&html[at..]);
    out
}

/// Renders the pages of the incidents at `which` only (`kb serve` shows an edit at once this
/// way, then renders the whole site).
pub fn incident_pages(
    kb: &Kb,
    (theme, tera): (&Theme, &tera::Tera),
    today: Date,
    sink: &(dyn Sink + Sync),
    which: &[usize],
) -> Result<(), RenderError> {
    let summary = |j: usize| Value::from_serializable(&views::summary(kb, &kb.entries[j]));
    let body_html = theme.templates_name(BODY_HTML);
    for &i in which {
        write_job(
            tera,
            None,
            sink,
            incident_job(kb, today, &summary, i, body_html),
        )?;
    }
    Ok(())
}

/// Which incident pages of `now` are what they were in `prev` (rendered with the same
/// templates, config and date), given the postmortems `reread` since: those whose own file was
/// not read again and whose related incidents, backlinks, recurrence and resolved links are the
/// same incidents, none of them read again either. It follows what [`incident_job`] reads; the
/// serve tests compare the result with a clean build after each kind of change.
pub fn unchanged_incident_pages(
    prev: &Kb,
    now: &Kb,
    reread: &std::collections::HashSet<String>,
) -> Vec<bool> {
    // Summaries show services by their display name, which any postmortem can set.
    let names = |kb: &Kb| -> Vec<(String, String)> {
        kb.services
            .iter()
            .map(|(k, g)| (k.clone(), g.name.clone()))
            .collect()
    };
    if names(prev) != names(now) {
        return vec![false; now.entries.len()];
    }
    let same = |p: usize, n: usize| {
        let (a, b) = (&prev.entries[p].incident, &now.entries[n].incident);
        a.id == b.id && a.path == b.path && !reread.contains(&b.path)
    };
    let same_list =
        |p: &[usize], n: &[usize]| p.len() == n.len() && p.iter().zip(n).all(|(a, b)| same(*a, *b));
    now.entries
        .par_iter()
        .enumerate()
        .map(|(n, e)| {
            let Some(&p) = prev.by_id.get(&e.incident.id) else {
                return false;
            };
            let old = &prev.entries[p];
            let related = old.related.len() == e.related.len()
                && old
                    .related
                    .iter()
                    .zip(&e.related)
                    .all(|(a, b)| a.reasons == b.reasons && same(a.index, b.index));
            let backlinks = same_list(&old.backlinks, &e.backlinks);
            let recurrence = |kb: &Kb, x: &crate::kb::Entry| {
                x.incident
                    .recurrence_of
                    .as_ref()
                    .and_then(|r| kb.by_id.get(&r.id).copied())
            };
            let recurrence = match (recurrence(prev, old), recurrence(now, e)) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b),
                _ => false,
            };
            let links = old.resolved_links.len() == e.resolved_links.len()
                && e.resolved_links.iter().all(|(t, b)| {
                    old.resolved_links.get(t).is_some_and(|a| {
                        prev.entries[*a].incident.id == now.entries[*b].incident.id
                    })
                });
            same(p, n)
                && old.tags == e.tags
                && old.services == e.services
                && related
                && backlinks
                && recurrence
                && links
        })
        .collect()
}

/// An incident's page: the body is rendered here, with links resolved.
fn incident_job(
    kb: &Kb,
    today: Date,
    summary: &(dyn Fn(usize) -> Value + Sync),
    i: usize,
    body_html: bool,
) -> Job<'static> {
    let e = &kb.entries[i];
    let inc = &e.incident;
    let resolve = |t: &LinkTarget| {
        e.resolved_links
            .get(t)
            .map(|j| format!("../{}/", kb.entries[*j].incident.id))
    };
    let skip_h1 = inc.inferred.contains("title") || sections_h1_is_title(&inc.body, &inc.title);
    let rendered = markdown::render_cut(
        &inc.body,
        &resolve,
        skip_h1,
        kb.config.markdown.unsafe_html,
        &placement::cuts(inc),
        body_html,
    );
    let (blocks, contents) = placement::blocks(inc, &rendered.html, &rendered.toc, rendered.parts);
    let action_items = views::action_items(&inc.action_items, today);
    // Internal markers and the id (always derivable) are not worth a note.
    let inferred: Vec<&'static str> = inc
        .inferred
        .iter()
        .copied()
        .filter(|f| !f.contains('-') && !matches!(*f, "id" | "frontmatter"))
        .collect();
    let detail = Detail {
        path: &inc.path,
        authors: &inc.authors,
        symptoms: &inc.symptoms,
        // Read from the body, these are in the body already: the panel does not repeat them.
        trigger: inc
            .trigger
            .as_deref()
            .filter(|_| !inc.inferred.contains("trigger")),
        contributing_factors: &inc.contributing_factors,
        impact: inc.impact.clone().and_then(|mut i| {
            if inc.inferred.contains("impact") {
                i.description = None;
            }
            (i != Impact::default()).then_some(i)
        }),
        detection_method: inc.detection.as_ref().and_then(|d| d.method.as_deref()),
        detection_source: inc
            .detection
            .as_ref()
            .and_then(|d| d.source.as_deref())
            .filter(|_| !inc.inferred.contains("detection")),
        timestamps: views::timestamps(&inc.timestamps),
        ttd: inc.timestamps.ttd().map(views::display_duration),
        ttm: inc.timestamps.ttm().map(views::display_duration),
        ttr: inc.timestamps.ttr().map(views::display_duration),
        open_action_items: action_items
            .iter()
            .filter(|a| !a.item.status.is_closed())
            .count(),
        overdue_action_items: action_items.iter().filter(|a| a.overdue).count(),
        action_items_owned: action_items
            .iter()
            .any(|a| a.item.owner.as_ref().is_some_and(|o| !o.is_empty())),
        action_items_due: action_items.iter().any(|a| a.item.due.is_some()),
        action_items,
        lessons: &inc.lessons,
        has_lessons: !inc.lessons.is_empty(),
        links: &inc.links,
        recurrence_of: inc.recurrence_of.as_ref().map(|r| r.id.as_str()),
        toc: rendered.toc,
        body_html: rendered.html,
        blocks,
        contents,
        inferred_text: inferred
            .iter()
            .map(|f| f.replace('_', " "))
            .collect::<Vec<_>>()
            .join(", "),
        inferred,
        has_frontmatter: inc.has_frontmatter,
        updated: views::updated(inc),
        edit_url: kb.config.repository.edit_link(&inc.path),
        description: views::description(&inc.summary),
        phases: phases::phases(&inc.timestamps),
    };
    let related: Vec<Value> = e
        .related
        .iter()
        .map(|r| {
            let mut m = tera::Map::new();
            m.insert("incident".into(), summary(r.index));
            m.insert("reasons".into(), Value::from_serializable(&r.reasons));
            m.insert("reasons_text".into(), Value::from(r.reasons.join("; ")));
            Value::from(m)
        })
        .collect();
    let recurrence = inc
        .recurrence_of
        .as_ref()
        .and_then(|r| kb.by_id.get(&r.id))
        .map(|j| summary(*j));
    let url = views::incident_url(&inc.id);
    let mut ctx = Context::new();
    ctx.insert_value("page", page(inc.title.clone(), "incident", &url));
    ctx.insert_value("incident", summary(i));
    ctx.insert_value("detail", Value::from_serializable(&detail));
    ctx.insert_value("related", Value::from(related));
    ctx.insert_value(
        "backlinks",
        Value::from(e.backlinks.iter().map(|j| summary(*j)).collect::<Vec<_>>()),
    );
    ctx.insert_value("recurrence", Value::from(recurrence));
    Job {
        template: "incident.html",
        path: format!("{url}index.html"),
        context: ctx.into(),
    }
}

/// The search page's engine, in the order it runs, in the page's head; `js/search-page.js`
/// goes after the page's elements.
const SEARCH_SCRIPTS: &[&str] = &["js/stem.js", "js/search.js", "js/search-start.js"];

/// JSON safe inside a `<script>` element: `<`, `>` and `&` as escapes, so text from a
/// postmortem can never close the element.
fn script_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .expect("serializable")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// True when the body opens with a `# ` heading equal to the title (shown by the page already).
fn sections_h1_is_title(body: &str, title: &str) -> bool {
    body.trim_start()
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# "))
        .is_some_and(|h| h.trim().eq_ignore_ascii_case(title.trim()))
}

/// The sitemap of every page: `jobs` are the site's other pages but incident, tag and service
/// pages (the further pages of paginated lists are read from them).
fn sitemaps(kb: &Kb, jobs: &[Job<'_>]) -> Vec<Job<'static>> {
    let mut urls: Vec<views::SitemapUrl> = [
        "",
        "incidents/",
        "tags/",
        "services/",
        "lessons/",
        "action-items/",
        "action-items/closed/",
        "action-items/open/",
        "insights/",
        "search/",
    ]
    .iter()
    .map(|u| views::SitemapUrl {
        loc: u.to_string(),
        lastmod: None,
    })
    .collect();
    // Further pages of paginated lists.
    urls.extend(
        jobs.iter()
            .filter(|j| j.path.contains("/page/"))
            .map(|j| views::SitemapUrl {
                loc: j.path.trim_end_matches("index.html").to_string(),
                lastmod: None,
            }),
    );
    urls.extend(kb.tags.keys().map(|k| views::SitemapUrl {
        loc: views::tag_url(k),
        lastmod: None,
    }));
    urls.extend(kb.services.keys().map(|k| views::SitemapUrl {
        loc: views::service_url(k),
        lastmod: None,
    }));
    urls.extend(kb.entries.iter().map(|e| views::SitemapUrl {
        loc: views::incident_url(&e.incident.id),
        lastmod: e.incident.date.map(|d| d.to_string()),
    }));
    // The protocol caps a sitemap at 50,000 URLs: beyond that, sitemap.xml is an index of
    // sitemap-N.xml files.
    let per_file = kb
        .config
        .run
        .sitemap_urls
        .filter(|n| (1..=SITEMAP_URLS_MAX).contains(n))
        .unwrap_or(SITEMAP_URLS_MAX);
    let chunks: Vec<&[views::SitemapUrl]> = urls.chunks(per_file).collect();
    let mut maps = Vec::new();
    let mut sitemap = |path: String, urls: &[views::SitemapUrl], parts: &[String]| {
        let mut ctx = Context::new();
        ctx.insert_value("page", page("Sitemap", "sitemap", &path));
        ctx.insert("urls", urls);
        ctx.insert("sitemaps", parts);
        maps.push(Job {
            template: "sitemap.xml",
            path,
            context: ctx.into(),
        });
    };
    if chunks.len() <= 1 {
        sitemap("sitemap.xml".into(), &urls, &[]);
    } else {
        let parts: Vec<String> = (1..=chunks.len())
            .map(|n| format!("sitemap-{n}.xml"))
            .collect();
        for (part, chunk) in parts.iter().zip(&chunks) {
            sitemap(part.clone(), chunk, &[]);
        }
        sitemap("sitemap.xml".into(), &[], &parts);
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `with_root` prints what `replace(from="<kb-root>", to=root)` prints, whether the card,
    /// the root or neither is safe, with autoescaping on (`.html`) and off (`.txt`).
    #[test]
    fn with_root_is_replace_in_one_pass() {
        let mut tera = tera::Tera::default();
        tera.register_filter("with_root", with_root);
        let mut templates = Vec::new();
        for ext in ["html", "txt"] {
            for filter in ["with_root(root=r)", r#"replace(from="<kb-root>", to=r)"#] {
                let name = format!("{filter}.{ext}");
                templates.push((
                    name.clone(),
                    format!("{{{{ c | {filter} }}}}|{{{{ u | {filter} }}}}"),
                ));
            }
        }
        tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .unwrap();
        let cards = [
            "<li><a href=\"<kb-root>incidents/x/\">A & B</a> <a href=\"<kb-root>tags/y/\">y</a></li>",
            "no root here <b>",
            "<kb-root><kb-root>",
            "",
        ];
        let roots = [
            Value::from("../../"),
            Value::from("a&<\"b/"),
            Value::safe_string("<i>safe</i>/"),
        ];
        let mut compared = 0;
        for card in cards {
            for root in &roots {
                let mut ctx = Context::new();
                ctx.insert_value("c", Value::safe_string(card));
                ctx.insert_value("u", Value::from(card));
                ctx.insert_value("r", root.clone());
                for ext in ["html", "txt"] {
                    let ours = tera
                        .render(&format!("with_root(root=r).{ext}"), &ctx)
                        .unwrap();
                    let theirs = tera
                        .render(&format!(r#"replace(from="<kb-root>", to=r).{ext}"#), &ctx)
                        .unwrap();
                    assert_eq!(ours, theirs, "{card:?} with {root:?} in .{ext}");
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 24);
        // The root went in where the card said, escaped on an HTML page.
        let mut ctx = Context::new();
        ctx.insert_value("c", Value::safe_string(cards[0]));
        ctx.insert_value("u", Value::from(""));
        ctx.insert_value("r", roots[1].clone());
        let html = tera.render("with_root(root=r).html", &ctx).unwrap();
        assert!(html.starts_with("<li><a href=\"a&amp;&lt;&quot;b/incidents/x/\">A & B</a>"));
    }
}
