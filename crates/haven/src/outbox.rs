//! `haven outbox`: what waits to leave Haven (e-mail, SMS), for operators.

use anyhow::Result;
use clap::Subcommand;
use haven_domain::notice::Channel;
use haven_server::AppState;

#[derive(Subcommand, Debug)]
pub enum OutboxCommand {
    /// How many messages are pending, sent, failed or stopped by an opt-out,
    /// and their attempts in all.
    Status,
    /// Queue test messages (no personal data) to one address or number; a
    /// running `haven serve` sends them. Checks the SMTP or SMS settings end
    /// to end, and drives the delivery benchmark.
    Test {
        /// The e-mail address or phone number to send to.
        #[arg(long)]
        to: String,
        /// email or sms.
        #[arg(long, default_value = "email")]
        channel: String,
        /// How many messages.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
}

/// Runs an outbox command.
///
/// # Errors
/// A bad channel or address; store failures.
pub async fn run(state: &AppState, cmd: OutboxCommand) -> Result<()> {
    match cmd {
        OutboxCommand::Status => {
            let counts = state.store.delivery_counts().await?;
            if counts.is_empty() {
                println!("the outbox is empty");
            }
            for c in counts {
                println!(
                    "{:<10} {:>9} messages {:>9} attempts",
                    c.status, c.messages, c.attempts
                );
            }
        }
        OutboxCommand::Test { to, channel, count } => {
            let channel = Channel::parse(&channel)
                .ok_or_else(|| anyhow::anyhow!("--channel: \"{channel}\" is not email or sms"))?;
            let n = haven_server::features::notices::queue_test(state, channel, &to, count)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
            println!("queued {n} test messages");
        }
    }
    Ok(())
}
