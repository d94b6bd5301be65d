//! Structured logs via tracing. `RUST_LOG` filters (default: info for Artel, warn
//! for libraries); `--log-format json` for log shippers.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,artel=info,artel_store=info,tower_http=info"));
    // Colour codes only for a person at a terminal: in a file or a log shipper
    // they are noise around every level and field name.
    let ansi = std::io::stdout().is_terminal();
    let builder = fmt().with_env_filter(filter).with_target(true).with_ansi(ansi);
    // A second init (tests starting several servers) is harmless: ignore it.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
