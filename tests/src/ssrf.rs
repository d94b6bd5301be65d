//! Hosts that lead into the server's own network by a route other than a plain
//! private address: every outgoing-call check (webhooks, rule webhooks, push
//! endpoints) must refuse each of them.

/// URL hosts (IPv6 in brackets) that must be refused as targets.
pub const INTERNAL_HOSTS: &[&str] = &[
    // NAT64 to loopback and to cloud metadata; local-use NAT64 whatever it embeds.
    "[64:ff9b::7f00:1]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b:1::808:808]",
    // 6to4 of 127.0.0.1 and of 10.0.0.1.
    "[2002:7f00:1::1]",
    "[2002:a00:1::1]",
    // Teredo.
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    // Site-local, SIIT ::ffff:0:0:0/96.
    "[fec0::1]",
    "[::ffff:0:7f00:1]",
    // IETF protocol assignments (192.0.0.170 is the NAT64 discovery address).
    "192.0.0.170",
];
