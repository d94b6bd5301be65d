//! Which push endpoints may be called. Push services are public HTTPS servers;
//! an endpoint is chosen by a client, so it is treated like a webhook target:
//! https only, and every address the host resolves to must be public (the SSRF
//! rules of automation), checked again at each delivery and pinned. Tests (and
//! only tests) may allow plain http to a loopback address.

use std::net::{IpAddr, SocketAddr};

use artel_core::automation::ssrf;
use reqwest::Url;

use artel_core::push::MAX_ENDPOINT_CHARS;

/// Why an endpoint's host cannot be used.
#[derive(Debug)]
pub enum ResolveError {
    Refused(String),
    Unresolvable(String),
}

fn loopback_literal(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Parses and checks an endpoint's shape (scheme, host, no credentials, no
/// literal private address). Err is a reason for the client.
pub fn parse(raw: &str, allow_http_loopback: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_ENDPOINT_CHARS {
        return Err(format!("must be an https URL of at most {MAX_ENDPOINT_CHARS} characters"));
    }
    let url = Url::parse(raw).map_err(|_| "is not a valid URL".to_string())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    let loopback_ok = allow_http_loopback && loopback_literal(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback_ok => {}
        _ => return Err("must use https".into()),
    }
    if !loopback_ok {
        if url.host_str().is_some_and(|h| h.eq_ignore_ascii_case("localhost")) {
            return Err("must be a public push service".into());
        }
        let host = url.host_str().unwrap_or("");
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            if !ssrf::is_public(ip) {
                return Err("must be a public push service".into());
            }
        }
    }
    Ok(url)
}

/// Resolves the host and returns the address to connect to; every address
/// must be public unless it is an allowed loopback endpoint.
pub async fn resolve(url: &Url, allow_http_loopback: bool) -> Result<SocketAddr, ResolveError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let host = url.host_str().unwrap_or("");
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    let addrs: Vec<SocketAddr> = match literal {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| ResolveError::Unresolvable(format!("cannot resolve {host}")))?
            .collect(),
    };
    let first = *addrs.first().ok_or_else(|| ResolveError::Unresolvable("no address".into()))?;
    // Only a host written as loopback (`localhost`, 127.0.0.1, ::1) is exempt: a
    // name that merely resolves there (`localhost.`) is refused like any other.
    let loopback_ok =
        allow_http_loopback && loopback_literal(url) && addrs.iter().all(|a| a.ip().is_loopback());
    if !loopback_ok {
        if let Some(bad) = ssrf::first_non_public(addrs.iter().map(SocketAddr::ip)) {
            return Err(ResolveError::Refused(format!("{host} resolves to a non-public address ({bad})")));
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_unless_loopback_is_allowed() {
        assert!(parse("https://fcm.googleapis.com/fcm/send/abc", false).is_ok());
        assert!(parse("http://push.example.com/x", false).is_err());
        assert!(parse("https://127.0.0.1/x", false).is_err());
        assert!(parse("https://10.1.2.3/x", false).is_err());
        assert!(parse("https://[::1]/x", false).is_err());
        assert!(parse("https://localhost/x", false).is_err());
        assert!(parse("https://u:p@push.example.com/x", false).is_err());
        assert!(parse("ftp://push.example.com/x", false).is_err());
        assert!(parse("http://127.0.0.1:9999/push/1", true).is_ok());
        assert!(parse("http://10.0.0.1/push/1", true).is_err());
    }

    #[tokio::test]
    async fn a_name_that_leads_inside_is_refused_even_when_loopback_is_allowed() {
        // `localhost.` resolves to loopback where a resolver answers for it, and
        // not at all in a sandbox: refused either way.
        let url = parse("https://localhost./x", true).expect("shape is fine");
        assert!(resolve(&url, true).await.is_err());
        // Literal addresses that lead inside are refused by their shape already.
        for raw in ["https://[64:ff9b::7f00:1]/x", "https://[2002:a00:1::1]/x", "https://[fec0::1]/x"] {
            assert!(parse(raw, true).is_err(), "{raw} must be refused");
        }
        let url = parse("http://127.0.0.1:9999/push/1", true).expect("loopback");
        assert!(resolve(&url, true).await.is_ok());
    }
}
