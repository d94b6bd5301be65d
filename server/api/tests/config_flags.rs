//! Boolean settings read from the environment take the spellings other servers
//! accept (1/0, yes/no, true/false, on/off, any case), for every boolean flag of
//! `artel serve`. Its own test binary: the environment is process-wide.

use artel::config::{Cli, Command};
use clap::{ArgAction, CommandFactory, Parser};

const TRUE: &[&str] = &["1", "yes", "YES", "true", "True", "on", "On"];
const FALSE: &[&str] = &["0", "no", "No", "false", "FALSE", "off", "OFF"];

/// (env name, arg id) of every boolean flag of `serve` that has an environment variable.
fn serve_bool_flags() -> Vec<(String, String)> {
    let cmd = Cli::command();
    let serve = cmd.find_subcommand("serve").expect("serve subcommand");
    serve
        .get_arguments()
        .filter(|a| matches!(a.get_action(), ArgAction::SetTrue))
        .filter_map(|a| {
            let env = a.get_env()?.to_str()?.to_string();
            Some((env, a.get_id().to_string()))
        })
        .collect()
}

fn flag(cli: &Cli, id: &str) -> bool {
    let Command::Serve(serve) = &cli.command else { panic!("not serve") };
    match id {
        "trust_proxy_headers" => serve.trust_proxy_headers,
        "push_allow_http_loopback" => serve.push_allow_http_loopback,
        other => panic!("boolean flag {other} is not covered by this test: add it"),
    }
}

#[test]
fn every_boolean_setting_takes_the_usual_spellings() {
    let flags = serve_bool_flags();
    let mut ids: Vec<&str> = flags.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["push_allow_http_loopback", "trust_proxy_headers"]);
    for (env, id) in &flags {
        for (values, want) in [(TRUE, true), (FALSE, false)] {
            for v in values {
                std::env::set_var(env, v);
                let cli = Cli::try_parse_from(["artel", "serve"])
                    .unwrap_or_else(|e| panic!("{env}={v} must parse: {e}"));
                assert_eq!(flag(&cli, id), want, "{env}={v}");
            }
        }
        std::env::set_var(env, "maybe");
        assert!(Cli::try_parse_from(["artel", "serve"]).is_err(), "{env}=maybe must be refused");
        std::env::remove_var(env);
        // The bare command-line flag still switches it on, and its absence leaves it off.
        let on =
            Cli::try_parse_from(["artel", "serve", &format!("--{}", id.replace('_', "-"))]).expect("flag");
        assert!(flag(&on, id), "--{id}");
        let off = Cli::try_parse_from(["artel", "serve"]).expect("no flag");
        assert!(!flag(&off, id), "no --{id}");
    }
}
