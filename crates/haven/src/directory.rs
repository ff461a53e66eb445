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
        /// JSON files, CSV files, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the directory as HSDS 3.0 JSON: every organization, then every
    /// service as a full record (confidential addresses left out).
    Export {
        /// Where to write [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|e| e.is_file())
                .collect();
            entries.sort();
            for e in entries {
                files.push(read_one(&e)?);
            }
        } else {
            files.push(read_one(p)?);
        }
    }
    Ok(files)
}

fn read_one(p: &Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    Ok((p.display().to_string(), text))
}

fn print_report(r: &ImportReport) {
    let verb = if r.dry_run {
        "would import"
    } else {
        "imported"
    };
    println!(
        "{verb} {} organizations, {} locations, {} services; {} rejected",
        r.organizations,
        r.locations,
        r.services,
        r.rejected.len()
    );
    for x in &r.rejected {
        match &x.id {
            Some(id) => println!("rejected: {} (id {id}): {}", x.source, x.reason),
            None => println!("rejected: {}: {}", x.source, x.reason),
        }
    }
    for n in &r.notes {
        println!("note: {n}");
    }
}

pub async fn run(state: &AppState, cmd: DirectoryCommand) -> Result<crate::Outcome> {
    match cmd {
        DirectoryCommand::Import { paths, dry_run } => {
            let files = read_inputs(&paths)?;
            let batch = directory::batch_from_files(files)
                .map_err(|e| anyhow::anyhow!(e.body().message))?;
            let report = directory::import(state, None, batch, dry_run, None)
                .await
                .map_err(|e| anyhow::anyhow!(e.body().message))?;
            print_report(&report);
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
