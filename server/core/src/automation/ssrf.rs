//! Which addresses an outgoing webhook may reach. Targets inside the server's own
//! network (loopback, private, link-local — cloud metadata lives there —, unique
//! local, CGNAT, multicast, unspecified) are refused unless the workspace's admin
//! allowed private targets; the API checks every resolved address, at creation
//! and again right before each delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True when `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT 100.64/10 and benchmarking 198.18/15.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // IPv4-compatible (deprecated) ::a.b.c.d and the documentation prefix.
        || (ip.segments()[..6].iter().all(|s| *s == 0))
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().expect("an IP address"))
    }

    #[test]
    fn internal_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "ff02::1",
        ] {
            assert!(!public(s), "{s} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in ["8.8.8.8", "93.184.216.34", "172.32.0.1", "2a00:1450:4001:81b::200e", "::ffff:8.8.8.8"] {
            assert!(public(s), "{s} is public");
        }
    }
}
