//! The networks an address or a range is recognised by, each defined once: private space, the
//! special-purpose space no public client connects from, and the addresses no TCP client has.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Private space, as a VPC's machines have it: RFC 1918's 10.0.0.0/8, 172.16.0.0/12 and
/// 192.168.0.0/16, the shared address space 100.64.0.0/10 (RFC 6598), and IPv6 unique local
/// addresses, fc00::/7 (RFC 4193).
pub(crate) const PRIVATE: [IpNet; 5] = [
    IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)), 8),
    IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)), 12),
    IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(192, 168, 0, 0)), 16),
    IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(100, 64, 0, 0)), 10),
    IpNet::new_assert(IpAddr::V6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0)), 7),
];

/// Special-purpose space besides private space (IANA's registries): "this network", loopback,
/// link-local, IETF protocol assignments, the three documentation blocks, 6to4 relay anycast,
/// benchmarking, multicast and reserved (224.0.0.0/3); IPv6 outside global unicast 2000::/3, and
/// the IETF protocol and documentation blocks inside it.
const SPECIAL: &str = "0.0.0.0/8 127.0.0.0/8 169.254.0.0/16 192.0.0.0/24 192.0.2.0/24 \
    192.88.99.0/24 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/3 \
    ::/3 4000::/2 8000::/1 2001::/23 2001:db8::/32";

/// Whether `ip` lies in [`PRIVATE`] space (IPv4-mapped addresses as IPv4).
pub(crate) fn is_private(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    PRIVATE.iter().any(|net| net.contains(&ip))
}

/// Every network no public client connects from: private and special-purpose space.
pub(crate) fn not_public() -> impl Iterator<Item = IpNet> {
    let special = SPECIAL
        .split_whitespace()
        .filter_map(|net| net.parse().ok());
    PRIVATE.into_iter().chain(special)
}

/// Whether a TCP client can have this address. The unspecified addresses, broadcast, multicast
/// and IPv4 class E (240.0.0.0/4, reserved; Cloudflare's Pseudo IPv4 hands them out) never open a
/// connection, so an entry holding one is invalid wherever it stands.
pub(crate) fn can_be_client(ip: IpAddr) -> bool {
    !(ip.is_unspecified() || ip.is_multicast() || is_class_e(ip))
}

/// 240.0.0.0/4, broadcast included.
pub(crate) fn is_class_e(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_space_is_the_five_networks_a_vpc_can_number_from() {
        for (ip, want) in [
            ("10.1.2.3", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("192.168.0.1", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("fd00::1", true),
            ("::ffff:10.0.0.1", true),
            ("2001:db8::1", false),
            ("8.8.8.8", false),
        ] {
            assert_eq!(is_private(ip.parse().unwrap()), want, "{ip}");
        }
    }

    #[test]
    fn every_special_network_parses() {
        assert_eq!(not_public().count(), PRIVATE.len() + 15);
    }
}
