//! `haven relief`: the rules engine from the command line, for partners and
//! auditors checking it with their own facts files (docs/relief-facts.md).
//! No configuration, database or key is read.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use haven_domain::relief::{self, Parameters};
use std::path::PathBuf;
use time::Date;

#[derive(Subcommand, Debug)]
pub enum ReliefCommand {
    /// Evaluate every pathway for a facts file and print the result as JSON.
    Evaluate {
        /// The facts file (JSON, format haven.relief-facts/1).
        #[arg(long)]
        facts: PathBuf,
        /// The evaluation date, YYYY-MM-DD [default: today, UTC].
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Print the parameter table (durations, caps, thresholds with their
    /// effective dates and sources) as JSON.
    Parameters,
}

pub fn run(cmd: &ReliefCommand) -> Result<()> {
    match cmd {
        ReliefCommand::Evaluate { facts, as_of } => {
            let as_of = match as_of {
                Some(s) => parse_date(s)?,
                None => time::OffsetDateTime::now_utc().date(),
            };
            let text = std::fs::read_to_string(facts)
                .with_context(|| format!("cannot read {}", facts.display()))?;
            let facts = match relief::parse(&text, as_of) {
                Ok(f) => f,
                Err(e) if e.field.is_empty() => bail!("the facts file is not valid: {}", e.message),
                Err(e) => bail!(
                    "the facts file is not valid: field `{}`: {}",
                    e.field,
                    e.message
                ),
            };
            let result = relief::evaluate(&facts, as_of, &Parameters::default());
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
        ReliefCommand::Parameters => {
            println!(
                "{}",
                serde_json::to_string_pretty(Parameters::default().periods())?
            );
        }
    }
    Ok(())
}

fn parse_date(s: &str) -> Result<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).with_context(|| format!("--as-of: `{s}` is not a date (YYYY-MM-DD)"))
}
