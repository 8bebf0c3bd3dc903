//! The `kb` command line: argument parsing and printing only; the work is in the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kb::build::{self, BuildError, BuildOptions};
use kb::diagnostics::Diagnostic;

#[derive(Parser)]
#[command(
    name = "kb",
    version,
    about = "An incident knowledge base: postmortems in, a searchable static site out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the static site from the postmortems in content/
    #[command(
        after_help = "Examples:\n  kb build\n  kb build --root ~/postmortems --output /tmp/site\n  kb build --base-url https://example.com/incidents/"
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
    },
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print_diagnostics(diags: &[Diagnostic]) {
    let color = color();
    for d in diags {
        eprintln!("{}\n", d.render(color));
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            root,
            output,
            drafts,
            base_url,
        } => {
            let bar = std::io::stderr().is_terminal().then(|| {
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
                progress: Some(Box::new(move |stage: &str| {
                    if let Some(b) = &progress_bar {
                        b.set_message(stage.to_string());
                    }
                })),
            };
            let result = build::build(&opts);
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            match result {
                Ok(report) => {
                    print_diagnostics(&report.diagnostics);
                    let warnings = report.diagnostics.len();
                    eprintln!(
                        "Built {} incidents, {} tags, {} services, {} pages in {:.2} s{} → {}",
                        report.incidents,
                        report.tags,
                        report.services,
                        report.pages,
                        report.elapsed.as_secs_f64(),
                        if warnings > 0 {
                            format!(
                                " ({warnings} warning{})",
                                if warnings == 1 { "" } else { "s" }
                            )
                        } else {
                            String::new()
                        },
                        report.output.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(BuildError::Usage(msg)) => {
                    eprintln!("error: {msg}");
                    ExitCode::from(2)
                }
                Err(BuildError::Content(diags)) => {
                    print_diagnostics(&diags);
                    let errors = diags.iter().filter(|d| d.is_error()).count();
                    eprintln!(
                        "error: build failed with {errors} error{}; the previous output was left untouched",
                        if errors == 1 { "" } else { "s" }
                    );
                    ExitCode::from(1)
                }
            }
        }
    }
}
