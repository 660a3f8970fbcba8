//! The census of networks: what an address or a range is, each network defined once, as data.
//!
//! `networks.txt` holds IANA's special-purpose registries of both families and private space as
//! one table, each row with its RFC and three facts: private (a VPC numbers its machines from
//! it), public (it counts towards every public address) and client (an address in it can open a
//! connection). A more specific row overrides the rows around it (64:ff9b::/96 is public inside
//! the non-public ::/3). Every rule on what an address is reads this table: [`is_private`],
//! [`can_be_client`] and [`not_public`].

use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;

/// The table, read once.
const CENSUS: &str = include_str!("networks.txt");

/// The addresses whose fact in `column` (2: private, 3: public, 4: client) reads `value`, sorted
/// and disjoint, worked out once per column (each column is always asked with the same value).
fn facts(column: usize, value: &str) -> &'static [IpNet] {
    static SETS: [OnceLock<Vec<IpNet>>; 5] = [const { OnceLock::new() }; 5];
    SETS.get(column)
        .map_or(&[], |set| set.get_or_init(|| rows_where(column, value)))
}

/// Each row whose fact in `column` reads `value`, less the more specific rows that read
/// otherwise, merged.
fn rows_where(column: usize, value: &str) -> Vec<IpNet> {
    let row = |line: &str| {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let net = cells.first()?.parse().ok()?;
        Some((net, *cells.get(column)? == value))
    };
    let rows: Vec<(IpNet, bool)> = CENSUS.lines().filter_map(row).collect();
    let mut nets = Vec::new();
    for &(net, _) in rows.iter().filter(|(_, reads)| *reads) {
        let inside = |(h, reads): &&(IpNet, bool)| !reads && h.prefix_len() > net.prefix_len();
        let holes: Vec<IpNet> = rows.iter().filter(inside).map(|(hole, _)| *hole).collect();
        carve(net, &holes, &mut nets);
    }
    IpNet::aggregate(&nets)
}

/// `net` less `holes`, as the fewest networks, pushed onto `out`.
fn carve(net: IpNet, holes: &[IpNet], out: &mut Vec<IpNet>) {
    if !holes.iter().any(|hole| meet(*hole, net)) {
        out.push(net);
    } else if !holes.iter().any(|hole| hole.contains(&net)) {
        let halves = net.subnets(net.prefix_len() + 1).into_iter().flatten();
        halves.for_each(|half| carve(half, holes, out));
    }
}

/// Whether `ip` lies in one of `nets`, sorted and disjoint, each its own network address
/// (IPv4-mapped addresses as IPv4): only the last network starting at or before the address can
/// hold it, and it does when it ends at or after it (every IPv4 address sorts before IPv6).
pub(crate) fn holds(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    let after = nets.partition_point(|n| n.addr() <= ip);
    let last = after.checked_sub(1).and_then(|i| nets.get(i));
    last.is_some_and(|n| ip <= n.broadcast())
}

/// Whether two networks share an address.
pub(crate) fn meet(a: IpNet, b: IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Whether `ip` lies in private space, as a VPC's machines have it: RFC 1918's 10.0.0.0/8,
/// 172.16.0.0/12 and 192.168.0.0/16, the shared address space 100.64.0.0/10 (RFC 6598), and IPv6
/// unique local addresses, fc00::/7 (RFC 4193). Loopback and link-local are not private space.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    holds(facts(2, "yes"), ip)
}

/// Every network no public client connects from: the rows not public, sorted and disjoint.
pub(crate) fn not_public() -> &'static [IpNet] {
    facts(3, "no")
}

/// Whether a client can have this address, the one rule every answer is held to: not in "this
/// network" 0.0.0.0/8, ::, multicast, 240.0.0.0/4 (reserved and broadcast; Cloudflare's Pseudo
/// IPv4 hands them out) or discard-only 100::/64. Loopback, link-local, documentation and
/// benchmarking space can be a client (a same-host proxy, VPC Lattice, tests).
pub(crate) fn can_be_client(ip: IpAddr) -> bool {
    !holds(facts(4, "no"), ip)
}

/// 240.0.0.0/4, broadcast included.
pub(crate) fn is_class_e(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn every_row_of_the_census_is_read() {
        let data = CENSUS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        for line in data {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let net: IpNet = columns[0].parse().unwrap();
            assert_eq!(net.trunc(), net, "{line}");
            assert!(columns[1].parse::<u16>().is_ok(), "an RFC number: {line}");
            for fact in &columns[2..5] {
                assert!(matches!(*fact, "yes" | "no"), "{line}");
            }
            assert!(columns.len() > 5, "a name: {line}");
        }
    }

    #[test]
    fn private_space_is_the_five_networks_a_vpc_can_number_from() {
        for (address, want) in [
            ("10.1.2.3", true),
            ("172.31.255.255", true),
            ("172.32.0.1", false),
            ("192.168.0.1", true),
            ("100.64.0.1", true),
            ("100.128.0.1", false),
            ("fd00::1", true),
            ("::ffff:10.0.0.1", true),
            ("127.0.0.1", false),
            ("169.254.171.1", false),
            ("2001:db8::1", false),
            ("8.8.8.8", false),
        ] {
            assert_eq!(is_private(ip(address)), want, "{address}");
        }
        assert_eq!(facts(2, "yes").len(), 5);
    }

    #[test]
    fn a_client_can_have_any_address_but_the_census_s_no_client_rows() {
        for (address, want) in [
            ("8.8.8.8", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("127.0.0.1", true),
            ("::1", true),
            ("169.254.171.5", true),
            ("fe80::1", true),
            ("192.0.2.1", true),
            ("3fff::1", true),
            ("198.18.0.1", true),
            ("224.0.0.1", false),
            ("::ffff:224.0.0.1", false),
            ("239.255.255.255", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("::", false),
            ("ff02::1", false),
            ("100::1", false),
            ("100:0:0:1::1", true),
            ("2002:c000:204::1", true),
            ("64:ff9b::c000:201", true),
            ("2001:db8::1", true),
        ] {
            assert_eq!(can_be_client(ip(address)), want, "{address}");
        }
    }

    #[test]
    fn not_public_is_the_special_space_less_its_public_rows() {
        let not_public = |address| holds(not_public(), ip(address));
        for (address, want) in [
            ("10.0.0.1", true),
            ("127.0.0.1", true),
            ("192.0.2.1", true),
            ("198.19.255.255", true),
            ("198.20.0.1", false),
            ("192.88.99.1", true),
            ("8.8.8.8", false),
            ("3fff::1", true),
            ("3fff:1000::1", false),
            ("2001:db8::1", true),
            ("2001:1ff::1", true),
            ("2001:200::1", false),
            // 6to4 and NAT64: public, the decisions the census states.
            ("2002::1", false),
            ("64:ff9b::c000:201", false),
            ("64:ff9b::1:0:0", true),
            ("64:ff9b:1::1", true),
            ("::2", true),
            ("4000::1", true),
            ("fc00::1", true),
            ("2600::1", false),
        ] {
            assert_eq!(not_public(address), want, "{address}");
        }
        let nets = super::not_public();
        assert!(nets.windows(2).all(|w| w[0].broadcast() < w[1].network()));
    }

    #[test]
    fn carving_leaves_exactly_the_holes_out() {
        let mut out = Vec::new();
        let holes = ["64:ff9b::/96".parse().unwrap()];
        carve("::/3".parse().unwrap(), &holes, &mut out);
        assert_eq!(out.len(), 96 - 3);
        assert!(!holds(&IpNet::aggregate(&out), ip("64:ff9b::1")));
        assert!(holds(&IpNet::aggregate(&out), ip("64:ff9b:0:0:0:1::")));
    }
}
