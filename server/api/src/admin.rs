//! Admin CLI commands: things an operator does on the server machine itself.

use std::io::BufRead;

use anyhow::Context;
use artel_core::workspace::Workspace;
use artel_core::StoreError;

use crate::config::{CreateOwnerArgs, DataConfig, ServeConfig};
use crate::http::setup::{new_user, NewUser};
use crate::state::AppState;

/// `artel admin create-owner`: a new workspace with its owner. Unlike the setup
/// endpoint it works whether or not workspaces exist.
pub async fn create_owner(data: &DataConfig, args: CreateOwnerArgs) -> anyhow::Result<()> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        args.password
            .map(|s| s.expose().to_string())
            .context("give the password with --password-stdin or ARTEL_OWNER_PASSWORD")?
    };
    let language = args.language.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let state = AppState::open_default(data, &ServeConfig::default()).await?;
    let now = state.clock.now();
    let workspace = Workspace::new(&args.workspace, args.slug.as_deref(), now).map_err(|e| anyhow::anyhow!("{e}"))?;
    let owner = new_user(
        &state,
        NewUser {
            workspace_id: workspace.id,
            role: artel_core::user::Role::Owner,
            name: &args.name,
            email: &args.email,
            password: &password,
            time_zone: Some(&args.time_zone),
            language: Some(language),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    state.store.create_workspace(&workspace, &owner, false).await.map_err(|e| match e {
        StoreError::Conflict("workspace slug") => {
            anyhow::anyhow!("workspace slug {:?} is taken; pass --slug", workspace.slug)
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    state.store.close().await;
    println!("created workspace {:?} (slug {}) with owner {}", workspace.name, workspace.slug, owner.email);
    Ok(())
}
