//! Which IP addresses `web_fetch` may connect to: public unicast only.
//!
//! Every block of the IANA IPv4 and IPv6 Special-Purpose Address
//! Registries (RFC 6890 and its successors) is refused, plus multicast,
//! IPv6 site-local and IPv4-compatible addresses, and, for IPv6, anything
//! outside global unicast 2000::/3. The blocks are data ([`V4`], [`V6`]),
//! each with its name. Three IPv6 forms make the network contact the IPv4
//! address in their low 32 bits ([`CARRIES_V4`]: IPv4-mapped and the two
//! NAT64 prefixes in their /96 form); those are judged by that IPv4 address.
//! 6to4 and Teredo also embed one but are refused outright.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address block: network, prefix length and what it is for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block {
    net: IpAddr,
    len: u8,
    name: &'static str,
}

impl Block {
    const fn v4(net: [u8; 4], len: u8, name: &'static str) -> Self {
        let [a, b, c, d] = net;
        Self {
            net: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            len,
            name,
        }
    }

    const fn v6(net: [u16; 8], len: u8, name: &'static str) -> Self {
        let [a, b, c, d, e, f, g, h] = net;
        Self {
            net: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
            len,
            name,
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let (net, ip, bits) = match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => (u32::from(net).into(), u32::from(ip).into(), 32),
            (IpAddr::V6(net), IpAddr::V6(ip)) => (u128::from(net), u128::from(ip), 128),
            _ => return false,
        };
        // A shift by 128 (a /0 on IPv6) overflows: every address matches.
        (net ^ ip)
            .checked_shr(bits - u32::from(self.len))
            .unwrap_or(0)
            == 0
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.net, self.len, self.name)
    }
}

/// Refused IPv4 blocks. First match names the block, so a block nested in
/// another comes first.
#[rustfmt::skip]
static V4: [Block; 20] = [
    Block::v4([0, 0, 0, 0], 8, "this network"),
    Block::v4([10, 0, 0, 0], 8, "private-use"),
    Block::v4([100, 64, 0, 0], 10, "shared address space"),
    Block::v4([127, 0, 0, 0], 8, "loopback"),
    Block::v4([169, 254, 0, 0], 16, "link-local"),
    Block::v4([172, 16, 0, 0], 12, "private-use"),
    Block::v4([192, 0, 0, 170], 31, "NAT64/DNS64 discovery"),
    Block::v4([192, 0, 0, 0], 24, "IETF protocol assignments"),
    Block::v4([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
    Block::v4([192, 31, 196, 0], 24, "AS112-v4"),
    Block::v4([192, 52, 193, 0], 24, "AMT"),
    Block::v4([192, 88, 99, 0], 24, "6to4 relay anycast"),
    Block::v4([192, 168, 0, 0], 16, "private-use"),
    Block::v4([192, 175, 48, 0], 24, "direct delegation AS112"),
    Block::v4([198, 18, 0, 0], 15, "benchmarking"),
    Block::v4([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
    Block::v4([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
    Block::v4([224, 0, 0, 0], 4, "multicast"),
    Block::v4([255, 255, 255, 255], 32, "limited broadcast"),
    Block::v4([240, 0, 0, 0], 4, "reserved"),
];

/// IPv6 forms whose low 32 bits are an IPv4 address the network contacts
/// on our behalf; they are judged by that address.
#[rustfmt::skip]
static CARRIES_V4: [Block; 3] = [
    Block::v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped"),
    Block::v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "NAT64 well-known prefix"),
    // RFC 8215 lets the operator pick any layout inside 64:ff9b:1::/48;
    // only this /96 form is decoded, the rest of the /48 is refused (V6).
    Block::v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 96, "NAT64 local-use prefix"),
];

/// Refused IPv6 blocks, checked after [`CARRIES_V4`]. First match names the
/// block, so a block nested in another comes first.
#[rustfmt::skip]
static V6: [Block; 17] = [
    Block::v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified"),
    Block::v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"),
    Block::v6([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible (deprecated)"),
    Block::v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "NAT64 local-use, undecodable layout"),
    Block::v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
    Block::v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy prefix"),
    Block::v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo"),
    Block::v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignments"),
    Block::v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    Block::v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
    Block::v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "direct delegation AS112"),
    Block::v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
    Block::v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "SRv6 SIDs"),
    Block::v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local"),
    Block::v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
    Block::v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)"),
    Block::v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
];

/// Global unicast: every IPv6 address outside it is refused.
const GLOBAL_UNICAST: Block = Block::v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3, "global unicast");
static OUTSIDE_GLOBAL_UNICAST: Block = Block::v6(
    [0, 0, 0, 0, 0, 0, 0, 0],
    0,
    "outside global unicast 2000::/3",
);

/// True when `ip` must never be contacted.
pub(crate) fn is_forbidden(ip: IpAddr) -> bool {
    refused_by(ip).is_some()
}

/// The block that makes `ip` off limits, `None` for a public address.
/// For an address that carries an IPv4 address, the IPv4 block.
pub(crate) fn refused_by(ip: IpAddr) -> Option<&'static Block> {
    match ip {
        IpAddr::V4(v4) => V4.iter().find(|b| b.contains(IpAddr::V4(v4))),
        IpAddr::V6(v6) => {
            if CARRIES_V4.iter().any(|b| b.contains(ip)) {
                let [.., a, b, c, d] = v6.octets();
                return refused_by(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));
            }
            V6.iter()
                .find(|b| b.contains(ip))
                .or((!GLOBAL_UNICAST.contains(ip)).then_some(&OUTSIDE_GLOBAL_UNICAST))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block refusing `text`, as "network/len", or `None` if allowed.
    fn verdict(text: &str) -> Option<String> {
        let ip: IpAddr = text.parse().expect(text);
        assert_eq!(is_forbidden(ip), refused_by(ip).is_some());
        refused_by(ip).map(|b| format!("{}/{}", b.net, b.len))
    }

    /// Edges of every block: first and last address inside, and the
    /// neighbours just outside with their own verdict (`None`: public).
    const EDGES: &[(&str, Option<&str>)] = &[
        // 0.0.0.0/8
        ("0.0.0.0", Some("0.0.0.0/8")),
        ("0.255.255.255", Some("0.0.0.0/8")),
        ("1.0.0.0", None),
        // 10.0.0.0/8
        ("9.255.255.255", None),
        ("10.0.0.0", Some("10.0.0.0/8")),
        ("10.255.255.255", Some("10.0.0.0/8")),
        ("11.0.0.0", None),
        // 100.64.0.0/10
        ("100.63.255.255", None),
        ("100.64.0.0", Some("100.64.0.0/10")),
        ("100.127.255.255", Some("100.64.0.0/10")),
        ("100.128.0.0", None),
        // 127.0.0.0/8
        ("126.255.255.255", None),
        ("127.0.0.0", Some("127.0.0.0/8")),
        ("127.255.255.255", Some("127.0.0.0/8")),
        ("128.0.0.0", None),
        // 169.254.0.0/16
        ("169.253.255.255", None),
        ("169.254.0.0", Some("169.254.0.0/16")),
        ("169.254.169.254", Some("169.254.0.0/16")),
        ("169.254.255.255", Some("169.254.0.0/16")),
        ("169.255.0.0", None),
        // 172.16.0.0/12
        ("172.15.255.255", None),
        ("172.16.0.0", Some("172.16.0.0/12")),
        ("172.31.255.255", Some("172.16.0.0/12")),
        ("172.32.0.0", None),
        // 192.0.0.0/24 and its 192.0.0.170/31
        ("191.255.255.255", None),
        ("192.0.0.0", Some("192.0.0.0/24")),
        ("192.0.0.8", Some("192.0.0.0/24")),
        ("192.0.0.169", Some("192.0.0.0/24")),
        ("192.0.0.170", Some("192.0.0.170/31")),
        ("192.0.0.171", Some("192.0.0.170/31")),
        ("192.0.0.172", Some("192.0.0.0/24")),
        ("192.0.0.255", Some("192.0.0.0/24")),
        ("192.0.1.0", None),
        // 192.0.2.0/24
        ("192.0.1.255", None),
        ("192.0.2.0", Some("192.0.2.0/24")),
        ("192.0.2.255", Some("192.0.2.0/24")),
        ("192.0.3.0", None),
        // 192.31.196.0/24
        ("192.31.195.255", None),
        ("192.31.196.0", Some("192.31.196.0/24")),
        ("192.31.196.255", Some("192.31.196.0/24")),
        ("192.31.197.0", None),
        // 192.52.193.0/24
        ("192.52.192.255", None),
        ("192.52.193.0", Some("192.52.193.0/24")),
        ("192.52.193.255", Some("192.52.193.0/24")),
        ("192.52.194.0", None),
        // 192.88.99.0/24
        ("192.88.98.255", None),
        ("192.88.99.0", Some("192.88.99.0/24")),
        ("192.88.99.255", Some("192.88.99.0/24")),
        ("192.88.100.0", None),
        // 192.168.0.0/16
        ("192.167.255.255", None),
        ("192.168.0.0", Some("192.168.0.0/16")),
        ("192.168.255.255", Some("192.168.0.0/16")),
        ("192.169.0.0", None),
        // 192.175.48.0/24
        ("192.175.47.255", None),
        ("192.175.48.0", Some("192.175.48.0/24")),
        ("192.175.48.255", Some("192.175.48.0/24")),
        ("192.175.49.0", None),
        // 198.18.0.0/15
        ("198.17.255.255", None),
        ("198.18.0.0", Some("198.18.0.0/15")),
        ("198.19.255.255", Some("198.18.0.0/15")),
        ("198.20.0.0", None),
        // 198.51.100.0/24
        ("198.51.99.255", None),
        ("198.51.100.0", Some("198.51.100.0/24")),
        ("198.51.100.255", Some("198.51.100.0/24")),
        ("198.51.101.0", None),
        // 203.0.113.0/24
        ("203.0.112.255", None),
        ("203.0.113.0", Some("203.0.113.0/24")),
        ("203.0.113.255", Some("203.0.113.0/24")),
        ("203.0.114.0", None),
        // 224.0.0.0/4, 240.0.0.0/4, 255.255.255.255/32
        ("223.255.255.255", None),
        ("224.0.0.0", Some("224.0.0.0/4")),
        ("239.255.255.255", Some("224.0.0.0/4")),
        ("240.0.0.0", Some("240.0.0.0/4")),
        ("255.255.255.254", Some("240.0.0.0/4")),
        ("255.255.255.255", Some("255.255.255.255/32")),
        // ::/128, ::1/128, ::/96 (IPv4-compatible), the rest of ::/8
        ("::", Some("::/128")),
        ("::1", Some("::1/128")),
        ("::2", Some("::/96")),
        ("::127.0.0.1", Some("::/96")),
        ("::8.8.8.8", Some("::/96")),
        ("::ffff:ffff", Some("::/96")),
        ("::1:0:0", Some("::/0")),
        ("::fffe:ffff:ffff", Some("::/0")),
        // ::ffff:0:0/96: judged by the IPv4 address, edges outside refused
        ("::ffff:0.0.0.0", Some("0.0.0.0/8")),
        ("::ffff:127.0.0.1", Some("127.0.0.0/8")),
        ("::ffff:10.0.0.1", Some("10.0.0.0/8")),
        ("::ffff:169.254.169.254", Some("169.254.0.0/16")),
        ("::ffff:255.255.255.255", Some("255.255.255.255/32")),
        ("::ffff:8.8.8.8", None),
        ("::1:0:0:0", Some("::/0")),
        ("::ffff:0:0:0", Some("::/0")), // IPv4-translated (SIIT), not decoded
        // 64:ff9b::/96: judged by the IPv4 address, edges outside refused
        ("64:ff9b::7f00:1", Some("127.0.0.0/8")),
        ("64:ff9b::a00:1", Some("10.0.0.0/8")),
        ("64:ff9b::", Some("0.0.0.0/8")),
        ("64:ff9b::ffff:ffff", Some("255.255.255.255/32")),
        ("64:ff9b::808:808", None),
        ("64:ff9b::1:0:0", Some("::/0")),
        ("64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", Some("::/0")),
        // 64:ff9b:1::/48: its /96 form judged by the IPv4 address, the
        // rest refused
        ("64:ff9b:1::7f00:1", Some("127.0.0.0/8")),
        ("64:ff9b:1::a00:1", Some("10.0.0.0/8")),
        ("64:ff9b:1::a9fe:a9fe", Some("169.254.0.0/16")),
        ("64:ff9b:1::808:808", None),
        ("64:ff9b:1::1:808:808", Some("64:ff9b:1::/48")),
        ("64:ff9b:1:a00:0:100::", Some("64:ff9b:1::/48")), // 10.0.0.1, /48 layout
        ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Some("64:ff9b:1::/48")),
        ("64:ff9b:2::", Some("::/0")),
        // 100::/64 and 100:0:0:1::/64
        ("ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("::/0")),
        ("100::", Some("100::/64")),
        ("100::ffff:ffff:ffff:ffff", Some("100::/64")),
        ("100:0:0:1::", Some("100:0:0:1::/64")),
        ("100:0:0:1:ffff:ffff:ffff:ffff", Some("100:0:0:1::/64")),
        ("100:0:0:2::", Some("::/0")),
        // 2000::/3 starts the public space
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("::/0")),
        ("2000::", None),
        // 2001::/23 with Teredo 2001::/32
        ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("2001::", Some("2001::/32")),
        ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", Some("2001::/32")),
        ("2001:1::", Some("2001::/23")),
        ("2001:2::1", Some("2001::/23")),
        ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", Some("2001::/23")),
        ("2001:200::", None),
        // 2001:db8::/32
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("2001:db8::", Some("2001:db8::/32")),
        (
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            Some("2001:db8::/32"),
        ),
        ("2001:db9::", None),
        // 2002::/16, refused whatever it embeds
        ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("2002::", Some("2002::/16")),
        ("2002:7f00:1::", Some("2002::/16")),
        ("2002:808:808::", Some("2002::/16")),
        ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("2002::/16")),
        ("2003::", None),
        // 2620:4f:8000::/48
        ("2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", None),
        ("2620:4f:8000::", Some("2620:4f:8000::/48")),
        (
            "2620:4f:8000:ffff:ffff:ffff:ffff:ffff",
            Some("2620:4f:8000::/48"),
        ),
        ("2620:4f:8001::", None),
        // 3fff::/20
        ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("3fff::", Some("3fff::/20")),
        ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", Some("3fff::/20")),
        ("3fff:1000::", None),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
        ("4000::", Some("::/0")),
        // 5f00::/16
        ("5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("::/0")),
        ("5f00::", Some("5f00::/16")),
        ("5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("5f00::/16")),
        ("5f01::", Some("::/0")),
        // fc00::/7, fe80::/10, fec0::/10, ff00::/8
        ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("::/0")),
        ("fc00::", Some("fc00::/7")),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("fc00::/7")),
        ("fe00::", Some("::/0")),
        ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("::/0")),
        ("fe80::", Some("fe80::/10")),
        ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("fe80::/10")),
        ("fec0::", Some("fec0::/10")),
        ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("fec0::/10")),
        ("ff00::", Some("ff00::/8")),
        ("ff02::1", Some("ff00::/8")),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some("ff00::/8")),
    ];

    #[test]
    fn every_block_edge_has_its_verdict() {
        let wrong: Vec<String> = EDGES
            .iter()
            .filter_map(|&(addr, want)| {
                let got = verdict(addr);
                (got.as_deref() != want).then(|| format!("{addr}: got {got:?}, want {want:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn every_table_block_is_refused_first_to_last() {
        for block in V4.iter().chain(&V6) {
            let (first, last) = match block.net {
                IpAddr::V4(net) => {
                    let host = u32::MAX.checked_shr(u32::from(block.len)).unwrap_or(0);
                    let first = u32::from(net);
                    (
                        Ipv4Addr::from(first).into(),
                        Ipv4Addr::from(first | host).into(),
                    )
                }
                IpAddr::V6(net) => {
                    let host = u128::MAX.checked_shr(u32::from(block.len)).unwrap_or(0);
                    let first = u128::from(net);
                    (
                        Ipv6Addr::from(first).into(),
                        Ipv6Addr::from(first | host).into(),
                    )
                }
            };
            // The network address is exact: no stray host bits in the table.
            assert!(block.contains(first) && block.contains(last), "{block}");
            assert!(is_forbidden(first), "{block}: {first} allowed");
            assert!(is_forbidden(last), "{block}: {last} allowed");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "2c0f:fb50:4003::1",
            "::ffff:1.1.1.1",
            "64:ff9b::808:808",
            "64:ff9b::101:101",
            "64:ff9b:1::808:808",
        ] {
            assert_eq!(verdict(a), None, "{a} should be allowed");
        }
    }

    /// A Teredo address (RFC 4380 §4): server, flags, then the client's
    /// port and IPv4 address, both bit-inverted.
    fn teredo(server: Ipv4Addr, port: u16, client: Ipv4Addr) -> IpAddr {
        let [s0, s1, s2, s3] = server.octets();
        let [c0, c1, c2, c3] = (!u32::from(client)).to_be_bytes();
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0,
            u16::from_be_bytes([s0, s1]),
            u16::from_be_bytes([s2, s3]),
            0x8000,
            !port,
            u16::from_be_bytes([c0, c1]),
            u16::from_be_bytes([c2, c3]),
        ))
    }

    #[test]
    fn teredo_is_refused_whatever_client_it_embeds() {
        let server = Ipv4Addr::new(65, 54, 227, 120);
        // RFC 4380's example client 192.0.2.45:40000, as Wikipedia spells it.
        assert_eq!(
            teredo(server, 40000, Ipv4Addr::new(192, 0, 2, 45)),
            "2001:0:4136:e378:8000:63bf:3fff:fdd2"
                .parse::<IpAddr>()
                .expect("addr")
        );
        for client in [
            Ipv4Addr::new(127, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(169, 254, 169, 254),
            Ipv4Addr::new(8, 8, 8, 8),
        ] {
            let ip = teredo(server, 80, client);
            let block = refused_by(ip).map(|b| b.to_string());
            assert_eq!(
                block.as_deref(),
                Some("2001::/32 (Teredo)"),
                "{client}: {ip}"
            );
        }
    }
}
