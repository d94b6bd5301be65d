//! Command-line entry: parse, set up logging, run the chosen subcommand.

use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;

use crate::config::{AdminCommand, Cli, Command};
use crate::{admin, server, telemetry};

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(serve) => {
            let listener = TcpListener::bind(serve.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", serve.listen))?;
            server::run(cli.data, serve, listener, server::shutdown_signal()).await
        }
        Command::Migrate => {
            let engine = artel_store::migrate_only(&cli.data.store_config()).await?;
            println!("migrations applied ({engine})");
            Ok(())
        }
        Command::Reindex(search) => crate::search::reindex::run_cli(&cli.data, &search).await,
        Command::Admin(AdminCommand::CreateOwner(args)) => admin::create_owner(&cli.data, args).await,
        Command::Admin(AdminCommand::RotateJwtKey) => {
            if cli.data.jwt_secret.is_some() {
                anyhow::bail!("ARTEL_JWT_SECRET is set: rotate by changing it on every node");
            }
            let kid = crate::auth::jwt::JwtKeys::rotate(&cli.data.data_dir)?;
            println!("new signing key {kid}; restart the server to use it");
            Ok(())
        }
    }
}
