//! The VPC link named, not guessed: `CLIENT_IP_HEADER=forwarded` needs `VPC_LINK_CIDRS`, the VPC
//! link's subnets; believing `Forwarded` from every private address is an explicit opt-in whose
//! value says the risk (`any-private-address-insiders-can-forge`), and a source built that way
//! says at start who can then forge the answer.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use support::{count, lookup, ranges};

use http::{HeaderMap, HeaderValue};
use lambda_client_ip::{ANY_PRIVATE_ADDRESS, Peer, SettingError, Source, VpcLink};

/// The answer to a `Forwarded` request whose ALB peer is `peer`.
fn answer(source: &Source, forwarded: &str, peer: &str) -> String {
    let mut headers = HeaderMap::new();
    headers.insert("forwarded", HeaderValue::from_str(forwarded).unwrap());
    headers.insert("x-forwarded-for", HeaderValue::from_str(peer).unwrap());
    match source.resolve(&headers, Peer::Appended) {
        Ok(client) => client.ip().to_string(),
        Err(e) => e.code().to_owned(),
    }
}

#[test]
fn forwarded_without_the_vpc_link_is_refused_with_what_to_set_and_the_opt_in() {
    for vars in [
        &[
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
        ][..],
        &[
            ("CLIENT_IP_HEADER", "Forwarded"),
            ("TRUSTED_PROXY_CIDRS", "cloudflare"),
        ],
        &[
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
            ("VPC_LINK_CIDRS", " \t"),
        ],
    ] {
        let err = lookup(vars).unwrap_err();
        assert!(
            matches!(err, SettingError::ForwardedWithoutVpcLink { .. }),
            "{vars:?}: {err:?}"
        );
        let text = err.to_string();
        for said in [
            "CLIENT_IP_HEADER=",
            "needs VPC_LINK_CIDRS",
            "the VPC link's subnets",
            "public subnets of your VPC are accepted",
            "VPC_LINK_CIDRS=any-private-address-insiders-can-forge",
            "any machine in the VPC or a peered network that can reach the internal ALB",
        ] {
            assert!(text.contains(said), "{vars:?}: {text}");
        }
    }
    // Neither a count nor ranges: that refusal comes first, as before.
    let err = lookup(&[("CLIENT_IP_HEADER", "forwarded")]).unwrap_err();
    assert!(matches!(err, SettingError::ForwardedWithoutTrust { .. }));
}

#[test]
fn the_opt_in_and_the_subnets_build_what_the_typed_constructors_build() {
    let forwarded = |extra: (&str, &str)| {
        lookup(&[
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
            extra,
        ])
    };
    assert_eq!(
        ANY_PRIVATE_ADDRESS,
        "any-private-address-insiders-can-forge"
    );
    let loose = Source::forwarded(count(0), VpcLink::AnyPrivateAddress).unwrap();
    for value in [
        ANY_PRIVATE_ADDRESS,
        " Any-Private-Address-Insiders-Can-Forge ",
    ] {
        assert_eq!(
            forwarded(("VPC_LINK_CIDRS", value)).unwrap(),
            loose,
            "{value}"
        );
    }
    let tight = Source::forwarded(
        count(0),
        VpcLink::Subnets(ranges("10.0.1.0/24, 10.0.2.0/24")),
    );
    let got = forwarded(("VPC_LINK_CIDRS", "10.0.1.0/24, 10.0.2.0/24"));
    assert_eq!(got.unwrap(), tight.unwrap());
    // A public subnet is the user's own VPC (AWS allows publicly routable VPC CIDRs, and
    // 198.18.0.0/15): named, its VPC link is the writer, which no private-space rule could see.
    let public = forwarded(("VPC_LINK_CIDRS", "198.18.0.0/24, 11.0.1.0/24")).unwrap();
    assert_eq!(answer(&public, "for=192.0.2.9", "11.0.1.5"), "192.0.2.9");
    assert_eq!(answer(&public, "for=192.0.2.9", "198.18.0.7"), "192.0.2.9");
    assert_eq!(answer(&loose, "for=192.0.2.9", "11.0.1.5"), "11.0.1.5");
    assert_eq!(answer(&public, "for=192.0.2.9", "10.0.1.5"), "10.0.1.5");
}

#[test]
fn a_near_miss_of_the_opt_in_is_refused_naming_the_variable() {
    for value in [
        "any-private-address",
        "any private address insiders can forge",
        "10.0.1.0/24, any-private-address-insiders-can-forge",
    ] {
        let err = lookup(&[
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
            ("VPC_LINK_CIDRS", value),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("VPC_LINK_CIDRS={value:?} is not accepted")),
            "{text}"
        );
        // The exact spelling of the opt-in, and that it stands alone.
        assert!(
            text.contains(&format!("VPC_LINK_CIDRS={ANY_PRIVATE_ADDRESS} alone")),
            "{text}"
        );
    }
    // Anything else that is not a subnet is refused as a range list.
    let err = lookup(&[
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TRUSTED_PROXY_COUNT", "0"),
        ("VPC_LINK_CIDRS", "vpc-link"),
    ])
    .unwrap_err();
    assert!(
        matches!(
            err,
            SettingError::Value {
                variable: "VPC_LINK_CIDRS",
                ..
            }
        ),
        "{err:?}"
    );
    // And the opt-in without `forwarded` is refused like any other value.
    let err = lookup(&[("VPC_LINK_CIDRS", ANY_PRIVATE_ADDRESS)]).unwrap_err();
    assert!(matches!(err, SettingError::VpcLinkWithoutForwarded { .. }));
}

#[test]
fn the_opt_in_believes_any_private_peer_and_says_so_at_start() {
    let loose = lookup(&[
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TRUSTED_PROXY_COUNT", "0"),
        ("VPC_LINK_CIDRS", ANY_PRIVATE_ADDRESS),
    ])
    .unwrap();
    let tight = lookup(&[
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TRUSTED_PROXY_COUNT", "0"),
        ("VPC_LINK_CIDRS", "10.0.1.0/24"),
    ])
    .unwrap();
    // An insider at 10.0.2.5 forges Forwarded: believed only under the opt-in.
    assert_eq!(answer(&loose, "for=6.6.6.6", "10.0.2.5"), "6.6.6.6");
    assert_eq!(answer(&tight, "for=6.6.6.6", "10.0.2.5"), "10.0.2.5");
    assert_eq!(
        answer(&tight, "for=203.0.113.9", "10.0.1.25"),
        "203.0.113.9"
    );
    // A public peer is never the writer under the opt-in.
    assert_eq!(
        answer(&loose, "for=6.6.6.6", "198.51.100.66"),
        "198.51.100.66"
    );
    let warning = loose.start_warning().expect("the opt-in is warned about");
    for said in [
        ANY_PRIVATE_ADDRESS,
        "any machine in the VPC or a peered network that can reach the internal ALB",
        "forge",
        "VPC link's subnets",
    ] {
        assert!(warning.contains(said), "{warning}");
    }
    // The typed API's AnyPrivateAddress is the same source, with the same warning.
    let typed = Source::forwarded(ranges("cloudflare"), VpcLink::AnyPrivateAddress).unwrap();
    assert_eq!(typed.start_warning(), Some(warning));
    for quiet in [
        tight,
        Source::default(),
        lookup(&[("TRUSTED_PROXY_CIDRS", "cloudfront")]).unwrap(),
        lookup(&[
            ("CLIENT_IP_HEADER", "cf-connecting-ip"),
            ("TRUSTED_PROXY_CIDRS", "cloudflare"),
        ])
        .unwrap(),
    ] {
        assert_eq!(quiet.start_warning(), None, "{quiet}");
    }
}
