//! Admin CLI commands: things an operator does on the server machine itself.

use std::io::BufRead;

use anyhow::Context;
use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use artel_core::StoreError;

use crate::config::{CreateOwnerArgs, DataConfig, ServeConfig};
use crate::http::setup::{new_user, NewUser};
use crate::state::AppState;

/// A workspace and its owner, as an operator describes them.
pub struct NewWorkspace<'a> {
    pub name: &'a str,
    pub slug: Option<&'a str>,
    pub owner_email: &'a str,
    pub owner_name: &'a str,
    pub owner_password: &'a str,
    pub time_zone: &'a str,
    pub language: Language,
}

/// Creates a workspace with its owner, whether or not other workspaces exist.
pub async fn create_workspace(state: &AppState, n: NewWorkspace<'_>) -> anyhow::Result<(Workspace, User)> {
    let now = state.clock.now();
    let workspace = Workspace::new(n.name, n.slug, now).map_err(|e| anyhow::anyhow!("{e}"))?;
    let owner = new_user(
        state,
        NewUser {
            workspace_id: workspace.id,
            role: Role::Owner,
            name: n.owner_name,
            email: n.owner_email,
            password: n.owner_password,
            time_zone: Some(n.time_zone),
            language: Some(n.language),
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
    crate::http::pipelines::create_first(state, &owner).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::http::chats::create_default_channel(state, &owner).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((workspace, owner))
}

/// `artel admin create-owner`.
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
    let result = create_workspace(
        &state,
        NewWorkspace {
            name: &args.workspace,
            slug: args.slug.as_deref(),
            owner_email: &args.email,
            owner_name: &args.name,
            owner_password: &password,
            time_zone: &args.time_zone,
            language,
        },
    )
    .await;
    state.store.close().await;
    let (workspace, owner) = result?;
    println!("created workspace {:?} (slug {}) with owner {}", workspace.name, workspace.slug, owner.email);
    Ok(())
}
