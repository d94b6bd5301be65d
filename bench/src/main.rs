//! artel-bench: measures Artel's real-time path from outside, over the public
//! API, against servers on this machine only. See BENCHMARKS.md at the
//! repository root for the figures and the commands that produce them.

mod cli;
mod frames;
mod idle;
mod load;
mod proc;
mod recv;
mod search;
mod sends;
mod setup;
mod stats;
mod ws;

use clap::Parser;

use crate::cli::{Cli, Mode};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Every mode is bounded by its own duration; this is a backstop so a wedged
    // server can never keep the tool running.
    let run = async {
        match cli.mode {
            Mode::Load(a) => load::run(a).await,
            Mode::Sends(a) => sends::run(a).await,
            Mode::Idle(a) => idle::run(a).await,
            Mode::Search(a) => search::run(a).await,
        }
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3600), run).await {
        Ok(result) => result,
        Err(_) => anyhow::bail!("gave up after an hour"),
    }
}
