//! The `kb` command line: argument parsing and printing only; the work is in the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kb::build::{self, BuildError, BuildOptions};
use kb::diagnostics::{Diagnostic, count};

mod alloc;

// A build allocates and frees millions of small strings and values across rayon's threads:
// glibc's allocator spent about a sixth of a 10,000-incident build in malloc and free.
#[global_allocator]
static ALLOC: alloc::MiMalloc = alloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them, and gives memory
/// it no longer uses back to the kernel in small pieces; the kernel then zeroes a whole 2 MB
/// page again for each piece touched anew. That zeroing grew faster than the postmortems: at
/// 100,000 it was a third of `kb check`'s CPU (system time 14–17 s; 3.5 s without huge pages),
/// and a clean build took 101–103 s without them against 105–109 s with them (bench/results.md,
/// 2026-12-04).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[derive(Parser)]
#[command(
    name = "kb",
    version,
    about = "An incident knowledge base: postmortems in, a searchable static site out",
    after_help = "Examples:
  kb init my-incidents && cd my-incidents
  kb new \"Replica lag took checkout down\" --severity SEV2 --tags replication
  kb serve                          # preview at http://127.0.0.1:1111/, reloads as you write
  kb check                          # every problem, file:line:col, with hints
  kb build                          # the site, into public/
  kb search replica lag             # past incidents by symptom, from the terminal

Exit status for every command: 0 success, 1 content errors, 2 usage errors."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors (no warnings, no summary lines)
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more: each build stage as it starts, with the time since the start
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
}

/// `--quiet`: warnings and summary lines are not printed.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

// Errors and notes go to stderr through `kb::say!`, whatever `--quiet` says: a closed stderr
// drops them rather than panicking, and the exit status still says how it went.
use kb::say;

/// A summary or progress line on stderr, unless `--quiet` ([`say`] otherwise).
macro_rules! note {
    ($($arg:tt)*) => {
        if !quiet() {
            say!($($arg)*);
        }
    };
}

#[derive(Subcommand)]
enum Command {
    /// Build the static site from the postmortems in content/
    #[command(
        after_help = "Examples:\n  kb build\n  kb build --root ~/postmortems --output /tmp/site\n  kb build --base-url https://example.com/incidents/\n  kb build --clean      # ignore the build cache in .kb/build/ and index again"
    )]
    Build {
        /// The knowledge base folder (with content/ and an optional site.toml)
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site [default: <root>/public]
        #[arg(long)]
        output: Option<PathBuf>,
        /// Include postmortems with `status: draft`
        #[arg(long)]
        drafts: bool,
        /// Override site.toml's base_url (e.g. for a preview deployment)
        #[arg(long)]
        base_url: Option<String>,
        /// Do all the work again, ignoring the build cache in .kb/build/ (which is then
        /// written afresh) and indexing for search even when .kb/index holds the same
        /// documents; the output is the same either way
        #[arg(long)]
        clean: bool,
    },
    /// Find past incidents by symptom, best first
    #[command(after_help = SEARCH_HELP)]
    Search {
        /// What you see: words are ranked (not all required); +word requires, -word excludes,
        /// "a phrase" matches exactly; filters tag: service: severity: since: until:
        #[arg(required = true, num_args = 1.., value_name = "QUERY")]
        query: Vec<String>,
        /// The knowledge base folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// How many results to show
        #[arg(long, short = 'n', default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
        limit: u16,
        /// Add counts per tag, severity, service and year for everything that matched
        #[arg(long)]
        facets: bool,
        /// Search postmortems with `status: draft` too
        #[arg(long)]
        drafts: bool,
        /// Use the index as it is, without checking the postmortems for changes (results may
        /// be stale)
        #[arg(long)]
        no_refresh: bool,
        /// Check every file for changes, even in a knowledge base of more than 10,000 files,
        /// where only their folders are checked (a save in place is seen only by this, a
        /// build, or a running kb serve), and even while a kb serve vouches for the index:
        /// one stat per file, ~100 ms at 100,000 here
        #[arg(long, conflicts_with = "no_refresh")]
        refresh: bool,
        /// Output format
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Same as --format json
        #[arg(long)]
        json: bool,
    },
    /// Create a new knowledge base: site.toml (every option, commented), one example
    /// postmortem, a .gitignore
    #[command(
        after_help = "Examples:\n  kb init my-incidents\n  kb init            # in the current folder\n\nNever overwrites: when one of the files exists, nothing is written (exit 2)."
    )]
    Init {
        /// The folder to create it in (created when missing)
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Start a postmortem: content/YYYY/YYYY-MM-DD-<slug>.md from the template, as a draft
    #[command(after_help = NEW_HELP)]
    New {
        /// The incident's title
        title: String,
        /// The knowledge base folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// One of site.toml's severity levels
        #[arg(long)]
        severity: Option<String>,
        /// Comma-separated tags (aliases are mapped to their canonical tag)
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Comma-separated services
        #[arg(long, value_delimiter = ',')]
        services: Vec<String>,
        /// The incident's date, YYYY-MM-DD [default: today]
        #[arg(long)]
        date: Option<jiff::civil::Date>,
        /// Open the new file in $VISUAL or $EDITOR
        #[arg(long)]
        edit: bool,
    },
    /// Report every problem in the knowledge base: errors, warnings, review items
    #[command(after_help = CHECK_HELP)]
    Check {
        /// The knowledge base folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Check postmortems with `status: draft` too
        #[arg(long)]
        drafts: bool,
        /// Output: rustc-style text, JSON (docs/check.md), or GitHub Actions annotations
        #[arg(long, value_enum, default_value = "human")]
        format: CheckFormat,
        /// Same as --format json
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) on warnings too
        #[arg(long)]
        strict: bool,
    },
    /// Build, serve the site locally, and rebuild and reload the browser as files change
    #[command(after_help = SERVE_HELP)]
    Serve {
        /// The knowledge base folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port to listen on (0: any free port)
        #[arg(long, short = 'p', default_value_t = 1111)]
        port: u16,
        /// Address to listen on; the default serves this machine only
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in the default browser once it is built
        #[arg(long)]
        open: bool,
        /// Include postmortems with `status: draft`
        #[arg(long)]
        drafts: bool,
        /// Poll the files for changes (for file systems that send no change events)
        #[arg(long)]
        poll: bool,
        /// The address the preview is reached at, when not the listening one (e.g.
        /// http://devbox:1111/ with --bind 0.0.0.0): its host name is accepted, and pages link to it
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Seconds a connection may take to send a request's head (tests use a short one)
        #[arg(long, hide = true, value_name = "SECS", value_parser = seconds)]
        header_timeout: Option<Duration>,
        /// Seconds a connection may go without reading what it is sent (tests use a short one)
        #[arg(long, hide = true, value_name = "SECS", value_parser = seconds)]
        write_timeout: Option<Duration>,
    },
    /// Print a shell completion script: `kb completions bash > ~/.local/share/bash-completion/completions/kb`
    #[command(
        after_help = "Examples:\n  kb completions bash > ~/.local/share/bash-completion/completions/kb\n  kb completions zsh > ~/.zfunc/_kb\n  kb completions fish > ~/.config/fish/completions/kb.fish"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print every incident as data: parsed fields and computed metrics, one JSON object per
    /// line (the records of /incidents.json; fields in docs/data.md)
    #[command(after_help = EXPORT_HELP)]
    Export {
        /// The knowledge base folder
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Include postmortems with `status: draft`
        #[arg(long)]
        drafts: bool,
        /// Output format: one record per line, or the /incidents.json document
        #[arg(long, value_enum, default_value = "ndjson")]
        format: ExportFormat,
        /// Same as --format ndjson (the default)
        #[arg(long, conflicts_with = "json")]
        ndjson: bool,
        /// Same as --format json
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    Human,
    Json,
    Github,
}

const NEW_HELP: &str = "Examples:
  kb new \"Replica lag took checkout down\" --severity SEV2 --tags replication,mysql
  kb new \"Expired certificate on the partner API\" --date 2024-03-07 --edit

The file starts as `status: draft` (kb build leaves drafts out; kb serve --drafts shows them).
site.toml's [new] template names another template. Never overwrites an existing file.";

const CHECK_HELP: &str = "Examples:
  kb check
  kb check --strict --format github     # in CI: annotations on the pull request
  kb check --json | jq '.diagnostics[] | select(.code == \"no-owner\")'

Besides what kb build reports, it flags links to nothing (as errors), files without
frontmatter, missing recommended fields, and open action items without an owner or overdue.
Exit status: 0 no errors (warnings allowed unless --strict), 1 errors, 2 usage errors.";

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportFormat {
    Ndjson,
    Json,
}

const SERVE_HELP: &str = "Examples:
  kb serve
  kb serve --port 8080 --open
  kb serve --root ~/postmortems --drafts --poll
  kb serve --bind 0.0.0.0 --base-url http://devbox:1111/

Builds into <root>/.kb/serve (never public/), serves it, and rebuilds when a postmortem, the
theme or site.toml changes; open pages reload by themselves. A failed build keeps the last good
site and shows its errors over the page. Only requests addressed to localhost, a loopback
address, the --bind address (any address with 0.0.0.0) or the --base-url host are answered
(docs/serve.md). Ctrl-C stops. Exit status: 0 after Ctrl-C, 2 when the port is taken, the root
is not a folder or --base-url is not an http(s) URL.";

/// A positive number of seconds (`--header-timeout 0.5`).
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

const EXPORT_HELP: &str = "Examples:
  kb export > incidents.ndjson
  kb export --root ~/postmortems --json | jq '.incidents | length'

Overdue action items are judged against today (or SOURCE_DATE_EPOCH). Exit status: 0,
1 content errors (nothing is printed), 2 usage errors.";

const SEARCH_HELP: &str = "Examples:
  kb search replica lag writes rejected
  kb search 'tag:replication severity:SEV1 since:2023-01-01 \"read only\"'
  kb search --json --limit 20 all services 503
  kb search --facets data dropped

The index lives in <root>/.kb/index; kb build writes it, and kb search refreshes it
first whenever a postmortem or site.toml changed. Past 10,000 files it checks their
folders: a new, deleted or renamed file shows, a save in place only with --refresh (or
after kb build, or at once while kb serve runs). Exit status: 0 (also when nothing
matches), 1 content errors, 2 a query or usage error.";

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn color(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print_diagnostics(diags: &[Diagnostic]) {
    let color = color(std::io::stderr().is_terminal());
    let mut err = std::io::stderr().lock();
    for d in diags.iter().filter(|d| d.is_error() || !quiet()) {
        let _ = writeln!(err, "{}\n", d.render(color));
    }
}

/// How writing to stdout ended; every command's stdout goes through here. A closed pipe
/// (`kb search … | head -1`) is the reader's choice, not an error: the output ends quietly,
/// where `print!` would panic. Another failure (a full disk) is an error, exit 1.
fn stdout_result(written: std::io::Result<()>) -> Result<(), ExitCode> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            say!("error: writing the output: {e}");
            Err(ExitCode::from(kb::error::USAGE))
        }
    }
}

/// Writes `text` to stdout (see [`stdout_result`]).
fn emit(text: impl AsRef<[u8]>) -> Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    stdout_result(out.write_all(text.as_ref()).and_then(|()| out.flush()))
}

/// Reports a command's error and gives its exit status (`kb::error::exit_status`). Content
/// errors come as their diagnostics, then `summary` with `{errors}` replaced by their count.
fn failed(e: &(dyn std::error::Error + 'static), summary: &str) -> ExitCode {
    if let Some(BuildError::Content(diags)) = e.downcast_ref::<BuildError>() {
        print_diagnostics(diags);
        let errors = count(diags.iter().filter(|d| d.is_error()).count(), "error");
        if !summary.is_empty() {
            say!("error: {}", summary.replace("{errors}", &errors));
        }
    } else {
        say!("error: {}", kb::error::chain(e));
    }
    ExitCode::from(kb::error::exit_status(e))
}

/// This run's settings from the environment, read once here (the library reads none).
fn run_options() -> Result<kb::config::RunOptions, String> {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    Ok(kb::config::RunOptions {
        // Reproducible builds: a malformed value must not silently become today.
        source_date: build::source_date_epoch(std::env::var_os("SOURCE_DATE_EPOCH").as_deref())?,
        timings: std::env::var_os("KB_TIMINGS").is_some(),
        sitemap_urls: number("KB_SITEMAP_URLS"),
        list_page: number("KB_LIST_PAGE"),
        static_tier: number("KB_STATIC_TIER"),
        static_shard: number("KB_STATIC_SHARD"),
        data_part_bytes: number("KB_DATA_PART_BYTES"),
    })
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    QUIET.store(cli.quiet, std::sync::atomic::Ordering::Relaxed);
    let verbose = cli.verbose;
    // The environment is read here, once; the library is handed what it says.
    let run = match run_options() {
        Ok(r) => r,
        Err(m) => {
            say!("error: {m}");
            return ExitCode::from(kb::error::USAGE);
        }
    };
    // A build, search or serve stopped by a signal removes its unfinished output and index.
    // `kb serve` stops on Ctrl-C by itself, cleanly (exit 0).
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let signals: &[i32] = match cli.command {
        Command::Serve { .. } => &[SIGTERM, SIGHUP],
        _ => &[SIGINT, SIGTERM, SIGHUP],
    };
    if let Err(e) = kb::staging::remove_on_signals(signals) {
        say!("warning: cannot handle signals ({e}); Ctrl-C may leave temporary folders");
    }
    match cli.command {
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Into memory first: clap_complete panics when a write fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kb", &mut script);
            emit(script).err().unwrap_or(ExitCode::SUCCESS)
        }
        Command::Search {
            query,
            root,
            limit,
            facets,
            drafts,
            no_refresh,
            refresh,
            format,
            json,
        } => search(
            &root,
            &query.join(" "),
            &kb::search::SearchOptions {
                limit: limit.into(),
                facets,
            },
            drafts,
            match (no_refresh, refresh) {
                (true, _) => build::Check::Trust,
                (_, true) => build::Check::EveryFile,
                _ => build::Check::Auto,
            },
            json || format == Format::Json,
            &run,
        ),
        Command::Init { dir } => match kb::scaffold::init(&dir) {
            Ok(written) => {
                for p in &written {
                    note!("created {}", p.display());
                }
                let root = dir.display();
                note!(
                    "\nNext: `kb serve --root {root}` to preview, `kb new \"Title\" --root {root}` for a postmortem, `kb build --root {root}` to publish."
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                say!("error: {}", e.0);
                ExitCode::from(kb::error::USAGE)
            }
        },
        Command::New {
            title,
            root,
            severity,
            tags,
            services,
            date,
            edit,
        } => {
            let req = kb::scaffold::NewPostmortem {
                title,
                date: date.unwrap_or_else(|| run.today()),
                severity,
                tags,
                services,
            };
            match kb::scaffold::new_postmortem(&root, &req) {
                Ok(path) => {
                    let shown = path.strip_prefix(".").unwrap_or(&path).display();
                    if let Err(code) = emit(format!("{shown}\n")) {
                        return code;
                    }
                    if edit {
                        return open_editor(&path);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    say!("error: {}", e.0);
                    ExitCode::from(kb::error::USAGE)
                }
            }
        }
        Command::Check {
            root,
            drafts,
            format,
            json,
            strict,
        } => check(
            &root,
            drafts,
            if json { CheckFormat::Json } else { format },
            strict,
            &run,
        ),
        Command::Serve {
            root,
            port,
            bind,
            open,
            drafts,
            poll,
            base_url,
            header_timeout,
            write_timeout,
        } => {
            let mut opts = kb::serve::ServeOptions::new(root, bind, port);
            opts.drafts = drafts;
            opts.poll = poll;
            opts.base_url = base_url;
            opts.header_timeout = header_timeout.unwrap_or(opts.header_timeout);
            opts.write_timeout = write_timeout.unwrap_or(opts.write_timeout);
            opts.run = run;
            let ready = |url: &str| {
                note!("Serving {url} (Ctrl-C to stop)");
                if open {
                    open_browser(url);
                }
            };
            match kb::serve::serve(opts, ready) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => failed(&e, ""),
            }
        }
        Command::Export {
            root,
            drafts,
            format,
            ndjson,
            json,
        } => export(
            &root,
            drafts,
            json || (format == ExportFormat::Json && !ndjson),
            &run,
        ),
        Command::Build {
            root,
            output,
            drafts,
            base_url,
            clean,
        } => {
            let started = std::time::Instant::now();
            let bar = (std::io::stderr().is_terminal() && !quiet() && !verbose).then(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.enable_steady_tick(Duration::from_millis(100));
                bar
            });
            let progress_bar = bar.clone();
            let opts = BuildOptions {
                root,
                output,
                drafts,
                base_url,
                run,
                keep_sources: false,
                on_read: Some(Box::new(alloc::fit_to)),
                progress: Some(Box::new(move |stage: &str| {
                    if verbose {
                        say!("{:>8.3} s  {stage}", started.elapsed().as_secs_f64());
                    }
                    if let Some(b) = &progress_bar {
                        b.set_message(stage.to_string());
                    }
                })),
            };
            let result = build::build_reusing(&opts, !clean);
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            match result {
                Ok(report) => {
                    if verbose {
                        for n in &report.notes {
                            say!("{n}");
                        }
                    }
                    print_diagnostics(&report.diagnostics);
                    let warnings = report.diagnostics.len();
                    note!(
                        "Built {}, {}, {}, {} in {:.2} s{} → {}",
                        count(report.incidents, "incident"),
                        count(report.tags, "tag"),
                        count(report.services, "service"),
                        count(report.pages, "page"),
                        report.elapsed.as_secs_f64(),
                        if warnings > 0 {
                            format!(" ({})", count(warnings, "warning"))
                        } else {
                            String::new()
                        },
                        report.output.display()
                    );
                    // The process ends here: the memory goes back with it, unfreed.
                    std::mem::forget(report.made);
                    ExitCode::SUCCESS
                }
                Err(e) => failed(
                    &e,
                    "build failed with {errors}; the previous output was left untouched",
                ),
            }
        }
    }
}

fn search(
    root: &std::path::Path,
    query: &str,
    opts: &kb::search::SearchOptions,
    drafts: bool,
    check: build::Check,
    json: bool,
    run: &kb::config::RunOptions,
) -> ExitCode {
    // site.toml is read with each index the query runs on (again after a rebuild, which a
    // changed site.toml causes), and only after it: a root that is no folder is a usage error.
    let query_index = |index: &kb::search::Index| {
        let config = kb::config::Config::load(root).map_err(Box::new)?;
        Ok::<_, Box<kb::diagnostics::Diagnostic>>(
            kb::search::run::Searching::new(index, &config).search(query, opts),
        )
    };
    let (result, warnings, note) =
        match build::with_fresh_index(root, drafts, check, run, query_index) {
            Ok(x) => x,
            Err(e) => {
                return failed(
                    &e,
                    "the search index could not be built; fix the {errors} above",
                );
            }
        };
    if let Some(note) = note {
        print_diagnostics(&warnings);
        note!("note: {note}");
    }
    let result = match result {
        Ok(r) => r,
        Err(d) => {
            print_diagnostics(&[*d]);
            return ExitCode::from(kb::error::CONTENT);
        }
    };
    match result {
        Ok(results) => {
            let text = if json {
                serde_json::to_string_pretty(&results).expect("results serialise") + "\n"
            } else {
                let color = color(std::io::stdout().is_terminal());
                kb::search::print::human(&results, color)
            };
            emit(text).err().unwrap_or(ExitCode::SUCCESS)
        }
        Err(e) => {
            say!("{}", e.render(query));
            ExitCode::from(kb::error::USAGE)
        }
    }
}

fn export(
    root: &std::path::Path,
    drafts: bool,
    json: bool,
    run: &kb::config::RunOptions,
) -> ExitCode {
    let (kb, warnings) = match build::linked_kb(root, drafts, run) {
        Ok(x) => x,
        Err(e) => return failed(&e, "{errors} in the postmortems; nothing exported"),
    };
    print_diagnostics(&warnings);
    let today = run.today();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = if json {
        serde_json::to_writer(&mut out, &kb::render::data::document(&kb, today))
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        kb::render::data::records(&kb, today)
            .iter()
            .try_for_each(|r| {
                serde_json::to_writer(&mut out, r).map_err(std::io::Error::from)?;
                writeln!(out)
            })
    };
    stdout_result(written.and_then(|()| out.flush()))
        .err()
        .unwrap_or(ExitCode::SUCCESS)
}

/// Opens `url` with the desktop's opener; a missing opener is only a note.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        say!("note: could not open a browser ({opener}: {e}); open {url} yourself");
    }
}

/// Opens `path` in `$VISUAL` or `$EDITOR` and waits for it.
fn open_editor(path: &std::path::Path) -> ExitCode {
    let Some(editor) = std::env::var_os("VISUAL")
        .or_else(|| std::env::var_os("EDITOR"))
        .filter(|e| !e.is_empty())
    else {
        say!("note: set $EDITOR to open new postmortems with --edit");
        return ExitCode::SUCCESS;
    };
    // $EDITOR may carry arguments ("code --wait"): let the shell split it.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec $0 \"$1\"")
        .arg(&editor)
        .arg(path)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            say!("error: the editor exited with {s}");
            ExitCode::from(kb::error::USAGE)
        }
        Err(e) => {
            say!("error: cannot start the editor: {e}");
            ExitCode::from(kb::error::USAGE)
        }
    }
}

fn check(
    root: &std::path::Path,
    drafts: bool,
    format: CheckFormat,
    strict: bool,
    run: &kb::config::RunOptions,
) -> ExitCode {
    let diags = match kb::check::check(root, drafts, run) {
        Ok(d) => d,
        // Only an unreadable site.toml stops the check early.
        Err(BuildError::Content(d)) => d,
        Err(e) => return failed(&e, ""),
    };
    match format {
        CheckFormat::Human => {
            print_diagnostics(&diags);
            let report = kb::check::report(&diags);
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            if diags.is_empty() {
                note!("No problems found");
            } else {
                note!(
                    "{} error{}, {} warning{}",
                    report.errors,
                    plural(report.errors),
                    report.warnings,
                    plural(report.warnings)
                );
            }
        }
        CheckFormat::Json => {
            let report = serde_json::to_string_pretty(&kb::check::report(&diags));
            if let Err(code) = emit(report.expect("serializable") + "\n") {
                return code;
            }
        }
        CheckFormat::Github => {
            if let Err(code) = emit(kb::check::github(&diags)) {
                return code;
            }
        }
    }
    let errors = diags.iter().any(|d| d.is_error());
    if errors || (strict && !diags.is_empty()) {
        ExitCode::from(kb::error::CONTENT)
    } else {
        ExitCode::SUCCESS
    }
}
