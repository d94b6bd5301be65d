//! Which addresses an outgoing call (webhooks, rule webhooks, push endpoints) may
//! reach. Targets inside the server's own network (loopback, private, link-local —
//! cloud metadata lives there —, unique/site local, CGNAT, multicast, unspecified,
//! reserved) are refused unless the workspace's admin allowed private targets; the
//! callers check every resolved address, at creation and again right before each
//! delivery. IPv6 is allowed only in global unicast (2000::/3); forms that carry an
//! IPv4 address a gateway will connect to (IPv4-mapped, NAT64 64:ff9b::/96, 6to4)
//! are judged by that IPv4 address, and tunnels whose target cannot be read
//! reliably (Teredo and the rest of 2001::/23, local-use NAT64) are refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True when `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// The first address of `addrs` that is not public, if any: a name that resolves to
/// one public and one private address could otherwise be steered to the private one.
pub fn first_non_public(addrs: impl IntoIterator<Item = IpAddr>) -> Option<IpAddr> {
    addrs.into_iter().find(|ip| !is_public(*ip))
}

/// The IPv4 address a packet to `ip` ends up at, for the forms that embed one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    // NAT64 well-known prefix (RFC 6052): 64:ff9b::a.b.c.d.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    // 6to4 (RFC 3056): 2002:aabb:ccdd::/48 routes to a.b.c.d.
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
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
        // IETF protocol assignments 192.0.0/24 (DS-Lite, NAT64 discovery …) and the
        // deprecated 6to4 relay anycast 192.88.99/24.
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 88 && c == 99)
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Only global unicast: this leaves out loopback, unspecified, IPv4-compatible,
    // ::ffff:0:a.b.c.d (SIIT), NAT64 64:ff9b:1::/48, discard 100::/64, unique local
    // fc00::/7, site-local fec0::/10, link-local and multicast.
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    global_unicast
        // 2001::/23: IETF special purpose (Teredo 2001::/32, ORCHID, benchmarking …).
        && !(s[0] == 0x2001 && s[1] < 0x0200)
        // Documentation 2001:db8::/32 and 3fff::/20.
        && !(s[0] == 0x2001 && s[1] == 0x0db8)
        && !(s[0] == 0x3fff && s[1] < 0x1000)
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
            // NAT64 to an internal IPv4, and local-use NAT64 whatever it embeds.
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::808:808",
            // 6to4 of internal IPv4 addresses.
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:a9fe:a9fe::1",
            // Teredo and the rest of the IETF block.
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:10::1",
            // Site-local, SIIT, discard, documentation.
            "fec0::1",
            "feff::1",
            "::ffff:0:7f00:1",
            "::ffff:0:808:808",
            "100::1",
            "2001:db8::1",
            "3fff::1",
            // IETF protocol assignments and the 6to4 relay anycast.
            "192.0.0.1",
            "192.0.0.170",
            "192.88.99.1",
        ] {
            assert!(!public(s), "{s} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "8.8.8.8",
            "93.184.216.34",
            "172.32.0.1",
            "192.0.1.1",
            "2a00:1450:4001:81b::200e",
            "::ffff:8.8.8.8",
            // NAT64 and 6to4 of a public IPv4 reach that IPv4.
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4860:4860::8888",
        ] {
            assert!(public(s), "{s} is public");
        }
    }
}

#[cfg(test)]
mod first_non_public_tests {
    use super::*;

    #[test]
    fn one_internal_address_among_public_ones_is_found() {
        let ips: Vec<IpAddr> =
            ["8.8.8.8", "64:ff9b::7f00:1", "1.1.1.1"].iter().map(|s| s.parse().expect("ip")).collect();
        assert_eq!(first_non_public(ips.clone()), Some(ips[1]));
        assert_eq!(first_non_public([ips[0], ips[2]]), None);
    }
}
