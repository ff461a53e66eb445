//! `haven directory import` and `haven directory export`: the service
//! directory from and to Open Referral HSDS files, for operators.

use anyhow::{Context, Result};
use clap::Subcommand;
use haven_server::AppState;
use haven_server::features::directory::{self, ImportReport};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum DirectoryCommand {
    /// Import HSDS 3.0 JSON files, or a folder of tabular CSV files (HSDS 3.0
    /// or the older 1.x layout). Records are updated by id; every rejected
    /// row is listed with the reason, and nothing of a rejected record is
    /// imported.
    Import {
        /// A published zip (datapackage.json + data/*.csv), JSON files, CSV
        /// files, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the whole report (every rejected row and warning) to FILE
        /// as JSON; the screen shows a summary by reason.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Write the directory as HSDS 3.0 JSON: every organization, then every
    /// service as a full record (confidential addresses left out).
    Export {
        /// Where to write [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The files given, and every file in the folders given (their subfolders
/// too: a datapackage keeps its tables in `data/`), as named bytes.
fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, p, 0, &mut files)?;
        } else {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            files.push((p.display().to_string(), bytes));
        }
    }
    Ok(files)
}

fn walk(root: &Path, dir: &Path, depth: u8, files: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|e| {
            !e.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            if depth < 3 {
                walk(root, &e, depth + 1, files)?;
            }
        } else if e.is_file() {
            let bytes = std::fs::read(&e).with_context(|| format!("reading {}", e.display()))?;
            let name = e.strip_prefix(root).unwrap_or(&e).display().to_string();
            files.push((name, bytes));
        }
    }
    Ok(())
}

/// A reason without its particulars (quoted values, ids, numbers), so that
/// rows refused for the same reason are counted together.
fn reason_kind(reason: &str) -> String {
    let mut unquoted = String::new();
    for (i, part) in reason.split('"').enumerate() {
        // Odd parts were between quotes.
        unquoted.push_str(if i % 2 == 1 { "…" } else { part });
    }
    unquoted
        .split(' ')
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) && w.len() > 3 {
                "…"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_group(title: &str, rows: &[haven_domain::directory::import::Rejection], all: bool) {
    if rows.is_empty() {
        return;
    }
    let mut groups: std::collections::BTreeMap<String, Vec<_>> = std::collections::BTreeMap::new();
    for x in rows {
        groups.entry(reason_kind(&x.reason)).or_default().push(x);
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    println!("{title} ({}):", rows.len());
    for (kind, xs) in groups {
        println!("  {:>5}  {kind}", xs.len());
        let shown = if all { xs.len() } else { 3 };
        for x in xs.iter().take(shown) {
            match &x.id {
                Some(id) => println!("         {} (id {id}): {}", x.source, x.reason),
                None => println!("         {}: {}", x.source, x.reason),
            }
        }
        if xs.len() > shown {
            println!(
                "         … and {} more (--report FILE lists every one)",
                xs.len() - shown
            );
        }
    }
}

fn print_report(r: &ImportReport, all: bool) {
    let verb = if r.dry_run {
        "would import"
    } else {
        "imported"
    };
    println!(
        "{verb} {} organizations, {} locations, {} services; {} rows rejected, {} warnings",
        r.organizations,
        r.locations,
        r.services,
        r.rejected.len(),
        r.warnings.len()
    );
    print_group("rejected: not imported", &r.rejected, all);
    print_group(
        "warnings: imported with a change, or a detail left out",
        &r.warnings,
        all,
    );
    for n in &r.notes {
        println!("note: {n}");
    }
}

/// `import --dry-run` when there is no database yet: checked and reported
/// without creating the database or the key file. `None` for everything
/// else, which needs the database.
pub fn run_without_database(
    cmd: &DirectoryCommand,
    database_exists: bool,
) -> Result<Option<crate::Outcome>> {
    let DirectoryCommand::Import {
        paths,
        dry_run: true,
        report: report_file,
    } = cmd
    else {
        return Ok(None);
    };
    if database_exists {
        return Ok(None);
    }
    eprintln!("reading {} input(s)…", paths.len());
    let files = directory::package::unpack(read_inputs(paths)?)
        .map_err(|e| anyhow::anyhow!(e.body().message))?;
    let batch =
        directory::batch_from_files(files).map_err(|e| anyhow::anyhow!(e.body().message))?;
    let report = directory::check_without_directory(batch);
    finish_report(&report, report_file.as_deref())?;
    Ok(Some(crate::Outcome::Done))
}

fn finish_report(report: &ImportReport, file: Option<&Path>) -> Result<()> {
    print_report(report, false);
    if let Some(path) = file {
        std::fs::write(path, serde_json::to_string_pretty(report)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("the whole report: {}", path.display());
    }
    Ok(())
}

pub async fn run(state: &AppState, cmd: DirectoryCommand) -> Result<crate::Outcome> {
    match cmd {
        DirectoryCommand::Import {
            paths,
            dry_run,
            report: report_file,
        } => {
            eprintln!("reading {} input(s)…", paths.len());
            let files = directory::package::unpack(read_inputs(&paths)?)
                .map_err(|e| anyhow::anyhow!(e.body().message))?;
            let batch = directory::batch_from_files(files)
                .map_err(|e| anyhow::anyhow!(e.body().message))?;
            let report = directory::import(state, None, batch, dry_run, None)
                .await
                .map_err(|e| anyhow::anyhow!(e.body().message))?;
            finish_report(&report, report_file.as_deref())?;
            Ok(crate::Outcome::Done)
        }
        DirectoryCommand::Export { out } => {
            let items = directory::export_all(state)
                .await
                .map_err(|e| anyhow::anyhow!(e.body().message))?;
            let json = serde_json::to_string_pretty(&items)?;
            match out {
                Some(path) => std::fs::write(&path, json)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(crate::Outcome::Done)
        }
    }
}
