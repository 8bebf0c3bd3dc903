//! Paginated lists (/incidents/, /action-items/closed/): where each page lives and the links
//! between them.

use serde::Serialize;

/// Pages linked on each side of the current one; the first and last are always linked. A
/// list of every page on every page would grow with the square of the number of pages.
const AROUND: usize = 2;

/// Where page `n` (1-based) of a paginated list under `base` lives: `base` itself, then
/// `base` + `page/n/`.
pub fn page_url(base: &str, n: usize) -> String {
    if n == 1 {
        base.to_string()
    } else {
        format!("{base}page/{n}/")
    }
}

#[derive(Serialize)]
pub struct PageLink {
    pub number: usize,
    pub url: String,
    pub current: bool,
    /// Pages are left out between this link and the one before it.
    pub gap_before: bool,
}

/// Page `n` of `total`, for the `pager` component: site-relative URLs of the previous and the
/// next pages, and of the first, the last and those around this one.
#[derive(Serialize)]
pub struct Pager {
    pub number: usize,
    pub total: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

pub fn pager(base: &str, n: usize, total: usize) -> Pager {
    let shown = |k: usize| k == 1 || k == total || k.abs_diff(n) <= AROUND;
    let mut pages = Vec::new();
    let mut last = 0;
    for k in (1..=total).filter(|&k| shown(k)) {
        pages.push(PageLink {
            number: k,
            url: page_url(base, k),
            current: k == n,
            gap_before: last != 0 && k > last + 1,
        });
        last = k;
    }
    Pager {
        number: n,
        total,
        prev: (n > 1).then(|| page_url(base, n - 1)),
        next: (n < total).then(|| page_url(base, n + 1)),
        pages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(p: &Pager) -> Vec<(usize, bool)> {
        p.pages.iter().map(|l| (l.number, l.gap_before)).collect()
    }

    #[test]
    fn few_pages_are_all_linked() {
        let p = pager("x/", 2, 4);
        assert_eq!(
            numbers(&p),
            [(1, false), (2, false), (3, false), (4, false)]
        );
        assert_eq!(p.prev.as_deref(), Some("x/"));
        assert_eq!(p.next.as_deref(), Some("x/page/3/"));
    }

    #[test]
    fn many_pages_link_the_ends_and_the_neighbours() {
        let p = pager("x/", 50, 200);
        assert_eq!(
            numbers(&p),
            [
                (1, false),
                (48, true),
                (49, false),
                (50, false),
                (51, false),
                (52, false),
                (200, true)
            ]
        );
        assert!(p.pages[3].current);
        let first = pager("x/", 1, 200);
        assert_eq!(
            numbers(&first),
            [(1, false), (2, false), (3, false), (200, true)]
        );
        assert_eq!(first.prev, None);
    }
}
