//! The pages that read across incidents: lessons, action items, insights, and the figures on
//! each tag and service page. Numbers come from `kb::stats` and `kb::lessons`; this module
//! shapes them for the templates.

use jiff::civil::Date;
use serde::Serialize;
use tera::{Context, Value};

use super::charts::{self, Chart};
use super::pager::{page_url, pager};
use super::views::{self, display_date, display_duration};
use super::{Ctx, Job, page};
use crate::content::incident::ActionItem;
use crate::kb::lessons::{self, Kind, Lessons, Scoped};
use crate::kb::stats::{self, FollowThrough, Standing};
use crate::kb::{Group, Kb};

/// Incidents named under a lesson before "and N more".
const LESSON_INCIDENTS: usize = 5;
/// Closed items /action-items/ lists, newest incidents first (/action-items/closed/ has all).
const DONE_SHOWN: usize = 200;
/// Overdue, open and unowned items /action-items/ lists in each of those sections, most urgent
/// first (/action-items/open/ has every open item).
const OPEN_SHOWN: usize = 200;
/// Lessons a tag or service page lists, most recurring first.
const LESSONS_PER_GROUP: usize = 100;
/// Open action items a tag or service page lists, most urgent first (every one is on
/// /action-items/open/): a busy tag over years would otherwise weigh megabytes.
const ITEMS_PER_GROUP: usize = 100;

#[derive(Clone, Serialize)]
struct Link {
    title: String,
    url: String,
    date: Option<String>,
}

fn incident_link(kb: &Kb, i: usize) -> Link {
    let inc = &kb.entries[i].incident;
    Link {
        title: inc.title.clone(),
        url: views::incident_url(&inc.id),
        date: inc.date.map(display_date),
    }
}

#[derive(Serialize)]
struct LessonView {
    text: String,
    kind: &'static str,
    /// Incidents (within the page's scope) that drew this lesson.
    count: usize,
    incidents: Vec<Link>,
    more: usize,
    /// The tags of its incidents, most common first (only /lessons/ shows them).
    tags: Vec<views::NameUrl>,
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::General => "",
        Kind::WentWell => "went well",
        Kind::WentWrong => "went wrong",
        Kind::GotLucky => "got lucky",
    }
}

/// A lesson group seen from a scope: `incidents`, those of the group in it.
fn lesson_view(kb: &Kb, g: &lessons::Group, incidents: &[usize]) -> LessonView {
    LessonView {
        text: g.text.clone(),
        kind: kind_label(g.kind),
        count: incidents.len(),
        more: incidents.len().saturating_sub(LESSON_INCIDENTS),
        incidents: incidents
            .iter()
            .take(LESSON_INCIDENTS)
            .map(|i| incident_link(kb, *i))
            .collect(),
        tags: Vec::new(),
    }
}

/// Tag chips a lesson on /lessons/ carries.
const LESSON_TAGS: usize = 6;

/// The tags of a lesson's incidents, most incidents first, then the most specific (the tag
/// with the fewest incidents), then by name.
fn lesson_tags<'k>(kb: &'k Kb, g: &lessons::Group) -> Vec<&'k crate::kb::taxonomy::TagRef> {
    let mut counted: Vec<(&crate::kb::taxonomy::TagRef, usize)> = Vec::new();
    for &i in &g.incidents {
        for t in &kb.entries[i].tags {
            match counted.iter_mut().find(|(c, _)| c.name == t.name) {
                Some((_, n)) => *n += 1,
                None => counted.push((t, 1)),
            }
        }
    }
    let size =
        |t: &crate::kb::taxonomy::TagRef| kb.tags.get(&t.name).map_or(0, |g| g.incidents.len());
    counted.sort_by(|(a, n), (b, m)| {
        m.cmp(n)
            .then(size(a).cmp(&size(b)))
            .then(a.name.cmp(&b.name))
    });
    counted.into_iter().map(|(t, _)| t).collect()
}

#[derive(Clone, Serialize)]
struct ItemRow<'a> {
    title: &'a str,
    owner: Option<&'a str>,
    status: &'static str,
    standing: &'static str,
    /// `standing` as a class name: what the built-in theme's filters made of it per row (two
    /// `replace` calls a row were 1.2 % of a 1,000-incident build).
    standing_class: &'static str,
    due: Option<String>,
    due_iso: Option<String>,
    link: Option<&'a str>,
    incident: Link,
}

fn standing_class(s: Standing) -> &'static str {
    match s {
        Standing::Overdue => "overdue",
        Standing::Open => "open",
        Standing::InProgress => "in-progress",
        Standing::Done => "done",
        Standing::WontDo => "wont-do",
    }
}

fn standing_name(s: Standing) -> &'static str {
    match s {
        Standing::Overdue => "overdue",
        Standing::Open => "open",
        Standing::InProgress => "in progress",
        Standing::Done => "done",
        Standing::WontDo => "won't do",
    }
}

fn item_row<'a>(kb: &'a Kb, i: usize, a: &'a ActionItem, today: Date) -> ItemRow<'a> {
    let s = stats::standing(a, today);
    ItemRow {
        title: &a.title,
        owner: a.owner.as_deref(),
        status: standing_name(match s {
            Standing::Overdue if a.status == crate::content::incident::ItemStatus::InProgress => {
                Standing::InProgress
            }
            Standing::Overdue => Standing::Open,
            s => s,
        }),
        standing: standing_name(s),
        standing_class: standing_class(s),
        due: a.due.map(display_date),
        due_iso: a.due.map(|d| d.to_string()),
        link: a.link.as_deref(),
        incident: incident_link(kb, i),
    }
}

#[derive(Serialize)]
struct Follow {
    name: String,
    url: Option<String>,
    total: usize,
    done: usize,
    open: usize,
    overdue: usize,
    without_owner: usize,
    rate: Option<u32>,
}

fn follow(name: String, url: Option<String>, f: FollowThrough) -> Follow {
    Follow {
        name,
        url,
        total: f.total,
        done: f.done,
        open: f.open,
        overdue: f.overdue,
        without_owner: f.without_owner,
        rate: f.rate(),
    }
}

#[derive(Serialize)]
struct DurationView {
    name: &'static str,
    median: Option<String>,
    p90: Option<String>,
    count: usize,
    missing: usize,
    chart: Chart,
}

#[derive(Serialize)]
struct SeverityCount {
    name: String,
    class: String,
    count: usize,
}

#[derive(Serialize)]
struct Counted {
    name: String,
    url: Option<String>,
    count: usize,
}

/// Figures over a set of incidents: what a tag, a service and /insights/ show.
#[derive(Serialize)]
struct Figures {
    incidents: usize,
    severities: Vec<SeverityCount>,
    durations: Vec<DurationView>,
    over_time: Chart,
    /// Heading for `co_tags` (none on /insights/, which has no tag of its own).
    co_title: &'static str,
    co_tags: Vec<Counted>,
    follow: Follow,
}

/// The names of the severity slots of `stats::severity_slot`, for chart series.
fn series(kb: &Kb) -> Vec<String> {
    let mut s = kb.config.severity.levels.clone();
    s.push("other level".into());
    s.push("no severity".into());
    s
}

/// Co-occurring tags a page shows.
const CO_TAGS: usize = 12;

/// `tag`: the tag whose page this is (its co-occurring tags are shown), `Some("")` for a
/// service (the tags of its incidents), `None` for the whole knowledge base.
fn figures(kb: &Kb, id: &str, incidents: &[usize], tag: Option<&str>, today: Date) -> Figures {
    let levels = kb.config.severity.levels.len();
    let severities = stats::by_severity(kb, incidents)
        .into_iter()
        .map(|(slot, name, count)| SeverityCount {
            name: name.unwrap_or_else(|| "none".into()),
            class: charts::severity_class(slot, levels),
            count,
        })
        .collect();
    let durations = stats::durations(kb, incidents)
        .into_iter()
        .zip(stats::DURATIONS)
        .map(|(d, (key, name))| DurationView {
            name,
            median: d
                .median()
                .map(|s| display_duration(jiff::SignedDuration::from_secs(s))),
            p90: d
                .p90()
                .map(|s| display_duration(jiff::SignedDuration::from_secs(s))),
            count: d.values.len(),
            missing: d.missing,
            chart: charts::durations(&format!("{id}-{key}"), name, &d),
        })
        .collect();
    let over_time = charts::over_time(
        &format!("{id}-months"),
        &stats::monthly(kb, incidents),
        &series(kb),
    );
    let co_tags = tag
        .map(|t| stats::co_tags(kb, incidents, t, CO_TAGS))
        .unwrap_or_default()
        .into_iter()
        .map(|(name, count)| Counted {
            url: Some(views::tag_url(&name)),
            name,
            count,
        })
        .collect();
    let mut f = FollowThrough::default();
    for &i in incidents {
        for a in &kb.entries[i].incident.action_items {
            f.add(a, today);
        }
    }
    Figures {
        incidents: incidents.len(),
        severities,
        durations,
        over_time,
        co_title: match tag {
            Some("") => "Tags of these incidents",
            _ => "Often together with",
        },
        co_tags,
        follow: follow(String::new(), None, f),
    }
}

/// What a tag or service page adds below its title: figures, lessons, open action items.
pub(super) fn group_context(
    kb: &Kb,
    kind: &str,
    key: &str,
    g: &Group,
    lessons: &Lessons,
    today: Date,
    ctx: &mut Context,
) {
    let tag = if kind == "tag" { key } else { "" };
    ctx.insert(
        "figures",
        &figures(kb, &format!("{kind}-{key}"), &g.incidents, Some(tag), today),
    );
    let scoped = match kind {
        "tag" => lessons.by_tag.get(key),
        _ => lessons.by_service.get(key),
    };
    // Ranked, then only the shown ones made into views: a tag of thousands of incidents has
    // thousands of lessons and open items, of which a hundred each are shown.
    let mut scoped: Vec<&Scoped> = scoped.map(|l| l.iter().collect()).unwrap_or_default();
    // Most recurring within this tag or service first; stable, so ties stay newest first.
    scoped.sort_by_key(|s| std::cmp::Reverse(s.incidents.len()));
    ctx.insert("lessons_total", &scoped.len());
    let shown: Vec<LessonView> = scoped
        .iter()
        .take(LESSONS_PER_GROUP)
        .map(|s| lesson_view(kb, &lessons.groups[s.group], &s.incidents))
        .collect();
    ctx.insert("lessons", &shown);
    // Overdue first, then by due date (as written, `YYYY-MM-DD`), undated last; stable.
    let mut items: Vec<(bool, Option<String>, usize, &ActionItem)> = g
        .incidents
        .iter()
        .flat_map(|&i| {
            kb.entries[i]
                .incident
                .action_items
                .iter()
                .filter(|a| !a.status.is_closed())
                .map(move |a| (i, a))
        })
        .map(|(i, a)| {
            let overdue = stats::standing(a, today) == Standing::Overdue;
            (!overdue, a.due.map(|d| d.to_string()), i, a)
        })
        .collect();
    items.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.is_none().cmp(&b.1.is_none()))
            .then(a.1.cmp(&b.1))
    });
    ctx.insert("open_items_total", &items.len());
    let shown: Vec<ItemRow> = items
        .iter()
        .take(ITEMS_PER_GROUP)
        .map(|(_, _, i, a)| item_row(kb, *i, a, today))
        .collect();
    ctx.insert("open_items", &shown);
}

/// /lessons/, /action-items/ (and the pages of its closed items) and /insights/.
pub(super) fn jobs<'a>(kb: &'a Kb, lessons: &Lessons, today: Date) -> Vec<Job<'a>> {
    let (items, closed) = action_items_page(kb, today);
    let mut jobs = vec![lessons_page(kb, lessons), items, insights_page(kb, today)];
    jobs.extend(closed);
    jobs
}

/// Items per page of /action-items/closed/ and /action-items/open/ (a busy knowledge base has
/// tens of thousands; one page of them all weighed megabytes).
const ITEMS_PER_PAGE: usize = 1000;

#[derive(Serialize)]
struct TagLessons {
    name: String,
    url: String,
    /// The first few, shown; the rest are folded.
    lessons: Vec<LessonView>,
    folded: Vec<LessonView>,
    total: usize,
}

/// Lessons of a tag on /lessons/ shown before the rest are folded.
const LESSONS_UNFOLDED: usize = 5;

/// /lessons/: every lesson once. The ones drawn by more than one incident come first; each
/// other one sits under one tag of its incident (the tag's page lists all of its lessons).
fn lessons_page(kb: &Kb, lessons: &Lessons) -> Job<'static> {
    let groups = &lessons.groups;
    let view = |g: &lessons::Group| {
        let mut v = lesson_view(kb, g, &g.incidents);
        v.tags = lesson_tags(kb, g)
            .into_iter()
            .take(LESSON_TAGS)
            .map(|t| views::NameUrl {
                name: t.name.clone(),
                url: views::tag_url(&t.name),
                inferred: t.inferred,
            })
            .collect();
        v
    };
    let recurring: Vec<LessonView> = groups.iter().filter(|g| g.recurs()).map(view).collect();
    let mut by_tag: std::collections::BTreeMap<String, Vec<LessonView>> = Default::default();
    let mut untagged: Vec<LessonView> = Vec::new();
    for g in groups.iter().filter(|g| !g.recurs()) {
        let v = view(g);
        match lesson_tags(kb, g).first() {
            Some(t) => by_tag.entry(t.name.clone()).or_default().push(v),
            None => untagged.push(v),
        }
    }
    let fold = |name: String, url: String, mut lessons: Vec<LessonView>| {
        let folded = lessons.split_off(lessons.len().min(LESSONS_UNFOLDED));
        TagLessons {
            total: lessons.len() + folded.len(),
            name,
            url,
            lessons,
            folded,
        }
    };
    let mut by_tag: Vec<TagLessons> = by_tag
        .into_iter()
        .map(|(name, lessons)| fold(name.clone(), views::tag_url(&name), lessons))
        .collect();
    let untagged = (!untagged.is_empty()).then(|| fold(String::new(), String::new(), untagged));
    by_tag.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
    let total: usize = groups.iter().map(|g| g.incidents.len()).sum();
    let mut ctx = Context::new();
    ctx.insert_value("page", page("Lessons learned", "lessons", "lessons/"));
    ctx.insert("recurring", &recurring);
    ctx.insert("by_tag", &by_tag);
    ctx.insert("untagged", &untagged);
    ctx.insert("groups", &groups.len());
    ctx.insert("total", &total);
    Job {
        template: "lessons.html",
        path: "lessons/index.html".into(),
        context: ctx.into(),
    }
}

/// /action-items/ and the pages of open and of closed items. Their contexts are made when each page is
/// rendered, from rows held as plain structs until then.
fn action_items_page<'a>(kb: &'a Kb, today: Date) -> (Job<'a>, Vec<Job<'a>>) {
    let mut overdue = Vec::new();
    let mut open = Vec::new();
    let mut done = Vec::new();
    let mut no_owner = Vec::new();
    let mut all = FollowThrough::default();
    let mut by_owner: std::collections::BTreeMap<Option<&str>, FollowThrough> = Default::default();
    let mut by_service: std::collections::BTreeMap<&str, FollowThrough> = Default::default();
    let mut by_tag: std::collections::BTreeMap<&str, FollowThrough> = Default::default();
    let (mut open_only, mut in_progress, mut wont_do) = (0, 0, 0);
    for (i, e) in kb.entries.iter().enumerate() {
        for a in &e.incident.action_items {
            all.add(a, today);
            by_owner
                .entry(a.owner.as_deref())
                .or_default()
                .add(a, today);
            for s in &e.services {
                by_service.entry(s).or_default().add(a, today);
            }
            for t in &e.tags {
                by_tag.entry(&t.name).or_default().add(a, today);
            }
            let s = stats::standing(a, today);
            // Disjoint counts: an overdue item counts as overdue only.
            open_only += usize::from(s == Standing::Open);
            in_progress += usize::from(s == Standing::InProgress);
            wont_do += usize::from(s == Standing::WontDo);
            let row = item_row(kb, i, a, today);
            match s {
                Standing::Overdue => {
                    if a.owner.is_none() {
                        no_owner.push(item_row(kb, i, a, today));
                    }
                    overdue.push(row)
                }
                Standing::Open | Standing::InProgress => {
                    if a.owner.is_none() {
                        no_owner.push(item_row(kb, i, a, today));
                    }
                    open.push(row)
                }
                Standing::Done | Standing::WontDo => done.push(row),
            }
        }
    }
    overdue.sort_by(|a, b| a.due_iso.cmp(&b.due_iso));
    open.sort_by(|a, b| {
        a.due_iso
            .is_none()
            .cmp(&b.due_iso.is_none())
            .then(a.due_iso.cmp(&b.due_iso))
    });
    let done_total = done.len();
    // Every closed item on pages of their own, and every open one (overdue first); the main
    // page keeps the first few of each list: at 100,000 incidents it listed every open item,
    // 74 MB of HTML.
    let shown: Vec<ItemRow> = done[..done.len().min(DONE_SHOWN)].to_vec();
    let mut pages = item_pages(
        "action-items/closed/",
        "action-items-closed.html",
        "Closed action items",
        done,
    );
    let (overdue_total, open_total, no_owner_total) = (overdue.len(), open.len(), no_owner.len());
    let first = |rows: &[ItemRow<'a>]| rows[..rows.len().min(OPEN_SHOWN)].to_vec();
    let (overdue_shown, open_shown) = (first(&overdue), first(&open));
    no_owner.truncate(OPEN_SHOWN);
    let mut all_open = overdue;
    all_open.extend(open);
    pages.extend(item_pages(
        "action-items/open/",
        "action-items-open.html",
        "Open action items",
        all_open,
    ));
    let (overdue, open) = (overdue_shown, open_shown);
    let done = shown;
    let owners: Vec<Follow> = by_owner
        .into_iter()
        .map(|(o, f)| follow(o.unwrap_or("").to_string(), None, f))
        .collect();
    let services: Vec<Follow> = by_service
        .into_iter()
        .map(|(s, f)| {
            let name = kb.services.get(s).map_or(s, |g| g.name.as_str());
            follow(name.to_string(), Some(views::service_url(s)), f)
        })
        .collect();
    let tags: Vec<Follow> = by_tag
        .into_iter()
        .map(|(t, f)| follow(t.to_string(), Some(views::tag_url(t)), f))
        .collect();
    let make = move || {
        let mut ctx = Context::new();
        ctx.insert_value(
            "page",
            page("Action items", "action-items", "action-items/"),
        );
        ctx.insert("all", &follow(String::new(), None, all));
        ctx.insert("open_only", &open_only);
        ctx.insert("in_progress", &in_progress);
        ctx.insert("wont_do", &wont_do);
        ctx.insert("overdue", &overdue);
        ctx.insert("overdue_total", &overdue_total);
        ctx.insert("open", &open);
        ctx.insert("open_total", &open_total);
        ctx.insert("done", &done);
        ctx.insert("done_total", &done_total);
        ctx.insert("no_owner", &no_owner);
        ctx.insert("no_owner_total", &no_owner_total);
        ctx.insert("owners", &owners);
        ctx.insert("services", &services);
        ctx.insert("tags", &tags);
        ctx.insert("as_of", &display_date(today));
        ctx
    };
    (
        Job {
            template: "action-items.html",
            path: "action-items/index.html".into(),
            context: Ctx::Later(Box::new(make)),
        },
        pages,
    )
}

/// `rows` on pages of [`ITEMS_PER_PAGE`] under `base` (one page when there are none), each
/// page's context made when it is rendered: `items` (for the closed pages also `done`), `total`
/// (also `done_total`), `first`, `last` and `pager`.
fn item_pages<'a>(
    base: &'static str,
    template: &'static str,
    title: &'static str,
    rows: Vec<ItemRow<'a>>,
) -> Vec<Job<'a>> {
    let total = rows.len();
    let mut rows = rows.into_iter().peekable();
    let mut chunks: Vec<Vec<ItemRow>> = Vec::new();
    loop {
        chunks.push(rows.by_ref().take(ITEMS_PER_PAGE).collect());
        if rows.peek().is_none() {
            break;
        }
    }
    let pages = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(k, chunk)| {
            let url = page_url(base, k + 1);
            let path = format!("{url}index.html");
            let make = move || {
                let title = match k {
                    0 => title.to_string(),
                    _ => format!("{title}, page {}", k + 1),
                };
                let mut ctx = Context::new();
                ctx.insert_value("page", page(title, "action-items", &url));
                let items = Value::from_serializable(&chunk);
                ctx.insert_value("items", items.clone());
                ctx.insert_value("done", items);
                ctx.insert("total", &total);
                ctx.insert("done_total", &total);
                ctx.insert("first", &(k * ITEMS_PER_PAGE + 1));
                ctx.insert("last", &(k * ITEMS_PER_PAGE + chunk.len()));
                ctx.insert("pager", &pager(base, k + 1, pages));
                ctx
            };
            Job {
                template,
                path,
                context: Ctx::Later(Box::new(make)),
            }
        })
        .collect()
}

/// Unmarked recurrences /insights/ lists, newest first.
const LIKELY_SHOWN: usize = 30;
/// Recurrence chains (longest first) and near misses (newest first) /insights/ lists: at
/// 100,000 incidents all of them made a 3 MB page.
const CHAINS_SHOWN: usize = 100;
const NEAR_MISSES_SHOWN: usize = 100;

#[derive(Serialize)]
struct Likely {
    newer: Link,
    older: Link,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct Chain {
    incidents: Vec<Link>,
}

fn insights_page(kb: &Kb, today: Date) -> Job<'static> {
    let all: Vec<usize> = (0..kb.entries.len()).collect();
    // Written triggers are categories ("config-change"); one read from a Trigger section is a
    // sentence, which would only add a bar of one.
    let triggers = stats::top(
        kb.entries
            .iter()
            .filter(|e| !e.incident.inferred.contains("trigger"))
            .filter_map(|e| e.incident.trigger.as_deref()),
    );
    let categories = stats::top(kb.entries.iter().flat_map(|e| {
        e.incident
            .contributing_factors
            .iter()
            .filter_map(|f| f.category.as_deref())
    }));
    // Recurrence chains: follow `recurrence_of` back to the first incident, oldest first.
    let mut chains: Vec<Vec<usize>> = Vec::new();
    let mut placed = vec![false; kb.entries.len()];
    let parent = |i: usize| {
        kb.entries[i]
            .incident
            .recurrence_of
            .as_ref()
            .and_then(|r| kb.by_id.get(&r.id).copied())
    };
    let has_child: Vec<bool> = {
        let mut v = vec![false; kb.entries.len()];
        for i in 0..kb.entries.len() {
            if let Some(p) = parent(i) {
                v[p] = true;
            }
        }
        v
    };
    // Start from each incident nothing recurs from (the newest of a chain) and walk back.
    for i in 0..kb.entries.len() {
        if has_child[i] || parent(i).is_none() || placed[i] {
            continue;
        }
        let mut chain = vec![i];
        placed[i] = true;
        let mut at = i;
        while let Some(p) = parent(at) {
            if placed[p] {
                break;
            }
            placed[p] = true;
            chain.push(p);
            at = p;
        }
        chain.reverse();
        chains.push(chain);
    }
    chains.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let chains_total = chains.len();
    let chains: Vec<Chain> = chains
        .into_iter()
        .take(CHAINS_SHOWN)
        .map(|c| Chain {
            incidents: c.into_iter().map(|i| incident_link(kb, i)).collect(),
        })
        .collect();
    // Likely recurrences nobody marked: a newer incident whose similar incidents include an
    // older one with the same symptom on a shared service.
    let mut likely: Vec<Likely> = Vec::new();
    for (i, e) in kb.entries.iter().enumerate() {
        for r in &e.related {
            let has = |p: &str| r.reasons.iter().any(|x| x.starts_with(p));
            let marked = has("this incident is a recurrence") || has("a recurrence of this");
            if r.index > i && !marked && has("same symptom") && has("shares service") {
                likely.push(Likely {
                    newer: incident_link(kb, i),
                    older: incident_link(kb, r.index),
                    reasons: r.reasons.clone(),
                });
            }
        }
    }
    let likely_total = likely.len();
    likely.truncate(LIKELY_SHOWN);
    let near: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| kb.entries[i].incident.near_miss)
        .collect();
    let near_misses: Vec<Link> = near
        .iter()
        .take(NEAR_MISSES_SHOWN)
        .map(|&i| incident_link(kb, i))
        .collect();
    let mut ctx = Context::new();
    ctx.insert_value("page", page("Insights", "insights", "insights/"));
    ctx.insert("figures", &figures(kb, "all", &all, None, today));
    ctx.insert(
        "triggers",
        &charts::ranking("triggers", "Top triggers", &triggers, 10, "trigger"),
    );
    ctx.insert(
        "categories",
        &charts::ranking(
            "categories",
            "Contributing factors by category",
            &categories,
            10,
            "category",
        ),
    );
    ctx.insert("chains", &chains);
    ctx.insert("chains_total", &chains_total);
    ctx.insert("near_misses_total", &near.len());
    ctx.insert("likely", &likely);
    ctx.insert("likely_total", &likely_total);
    ctx.insert("near_misses", &near_misses);
    Job {
        template: "insights.html",
        path: "insights/index.html".into(),
        context: ctx.into(),
    }
}

/// The home page's figures: median time to resolve and the last 90 days against the 90
/// before.
#[derive(Serialize)]
pub(super) struct Headline {
    ttr_median: Option<String>,
    ttr_p90: Option<String>,
    ttr_count: usize,
    last_90: usize,
    previous_90: usize,
}

pub(super) fn headline(kb: &Kb, today: Date) -> Value {
    let all: Vec<usize> = (0..kb.entries.len()).collect();
    let [_, _, ttr] = stats::durations(kb, &all);
    let days = |d: Date| (today - d).get_days();
    let within = |lo: i32, hi: i32| {
        kb.entries
            .iter()
            .filter_map(|e| e.incident.date)
            .filter(|d| {
                let n = days(*d);
                n >= lo && n < hi
            })
            .count()
    };
    let fmt = |s: Option<i64>| s.map(|s| display_duration(jiff::SignedDuration::from_secs(s)));
    Value::from_serializable(&Headline {
        ttr_median: fmt(ttr.median()),
        ttr_p90: fmt(ttr.p90()),
        ttr_count: ttr.values.len(),
        last_90: within(0, 90),
        previous_90: within(90, 180),
    })
}
