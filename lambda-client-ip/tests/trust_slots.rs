//! Every bundled list crossed with every trust slot, typed and as environment text: a slot takes
//! or refuses a network by what it overlaps, never by what it was called, and the typed
//! constructors and `Source::from_lookup` refuse exactly the same.
//!
//! Each list is tried whole (by name, and written out), as its first network, and as the first
//! half of a network. The slots: X-Forwarded-For's trusted ranges, a VPC link's subnets, the
//! trusted ranges of a header of your own proxy, and of each CDN's header.

// A test crate: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;

use ipnet::IpNet;
use lambda_client_ip::{
    PolicyError, Preset, ProxyCount, SettingError, Source, SourceError, TrustedRanges, VpcLink,
};

/// A slot a set of trusted ranges fills.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    /// `TRUSTED_PROXY_CIDRS` with X-Forwarded-For.
    Proxies,
    /// `VPC_LINK_CIDRS` with `forwarded`.
    VpcLink,
    /// `TRUSTED_PROXY_CIDRS` with a header of your own proxy.
    OwnHeader,
    /// `TRUSTED_PROXY_CIDRS` with the header a CDN writes.
    CdnHeader(Preset, &'static str),
}

const SLOTS: [Slot; 5] = [
    Slot::Proxies,
    Slot::VpcLink,
    Slot::OwnHeader,
    Slot::CdnHeader(Preset::CloudFront, "cloudfront-viewer-address"),
    Slot::CdnHeader(Preset::Cloudflare, "cf-connecting-ip"),
];

/// The expectations: the refusal's kind (its variant), or `None` when the slot takes the list.
fn expected(list: Preset, slot: Slot) -> Option<&'static str> {
    // No slot takes Global Accelerator's edges: each needs a hop that writes something.
    if list == Preset::GlobalAccelerator {
        return Some("NoForwardedFor");
    }
    match slot {
        Slot::Proxies => None,
        Slot::VpcLink => Some("VpcLinkShared"),
        Slot::OwnHeader => Some("SharedCdn"),
        Slot::CdnHeader(writer, _) if writer == list => None,
        Slot::CdnHeader(..) => Some("WriterNotTrusted"),
    }
}

/// A part of a list, as text and as networks.
struct Part {
    what: String,
    text: String,
    nets: Vec<IpNet>,
}

fn parts(list: Preset) -> Vec<Part> {
    let all: Vec<IpNet> = list.nets().collect();
    let written = |nets: &[IpNet]| {
        let text: Vec<String> = nets.iter().map(IpNet::to_string).collect();
        text.join(", ")
    };
    let splittable = all
        .iter()
        .find(|n| n.prefix_len() < n.max_prefix_len())
        .unwrap();
    let half = splittable
        .subnets(splittable.prefix_len() + 1)
        .unwrap()
        .next()
        .unwrap();
    vec![
        Part {
            what: format!("{list} by name"),
            text: list.name().to_owned(),
            nets: all.clone(),
        },
        Part {
            what: format!("{list} written out"),
            text: written(&all),
            nets: all.clone(),
        },
        Part {
            what: format!("{list}'s {}", all[0]),
            text: all[0].to_string(),
            nets: vec![all[0]],
        },
        Part {
            what: format!("the first half of {list}'s {splittable}"),
            text: half.to_string(),
            nets: vec![half],
        },
    ]
}

/// The kind of a refusal: its variant's name, read from its `Debug` form.
fn kind(debug: String) -> String {
    debug.split([' ', '{', '(']).next().unwrap().to_owned()
}

/// The slot filled with `nets` through the typed constructors: the refusal's kind, or `None`.
fn typed(slot: Slot, nets: &[IpNet]) -> Option<String> {
    let ranges = match TrustedRanges::new(nets.iter().copied()) {
        Ok(ranges) => ranges,
        Err(err) => return Some(kind(format!("{err:?}"))),
    };
    let count = ProxyCount::new(0).unwrap();
    let source: Result<Source, SourceError> = match slot {
        Slot::Proxies => Ok(Source::x_forwarded_for(ranges)),
        Slot::VpcLink => Source::forwarded(count, VpcLink::Subnets(ranges)),
        Slot::OwnHeader => Source::header("x-client-ip", ranges),
        Slot::CdnHeader(_, header) => Source::header(header, ranges),
    };
    source.err().map(|err| kind(format!("{err:?}")))
}

/// The slot filled with `text` through `Source::from_lookup`: the refusal (its kind and
/// message), or `None`.
fn text(slot: Slot, text: &str) -> Option<(String, String)> {
    let vars: Vec<(&str, &str)> = match slot {
        Slot::Proxies => vec![("TRUSTED_PROXY_CIDRS", text)],
        Slot::VpcLink => vec![
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
            ("VPC_LINK_CIDRS", text),
        ],
        Slot::OwnHeader => vec![
            ("CLIENT_IP_HEADER", "x-client-ip"),
            ("TRUSTED_PROXY_CIDRS", text),
        ],
        Slot::CdnHeader(_, header) => {
            vec![("CLIENT_IP_HEADER", header), ("TRUSTED_PROXY_CIDRS", text)]
        }
    };
    let env: HashMap<&str, &str> = vars.into_iter().collect();
    let err = Source::from_lookup(|k| env.get(k).map(|v| (*v).to_owned())).err()?;
    let inner = match &err {
        SettingError::Value { error, .. } => format!("{error:?}"),
        SettingError::Source { error, .. } => format!("{error:?}"),
        other => format!("{other:?}"),
    };
    Some((kind(inner), err.to_string()))
}

#[test]
fn every_list_in_every_slot_is_taken_or_refused_by_what_it_overlaps() {
    let mut checked = 0;
    for list in Preset::ALL {
        for part in parts(list) {
            for slot in SLOTS {
                let case = format!("{} in {slot:?}", part.what);
                let want = expected(list, slot);
                let typed = typed(slot, &part.nets);
                assert_eq!(typed.as_deref(), want, "typed: {case}");
                let text = text(slot, &part.text);
                assert_eq!(text.as_ref().map(|t| t.0.as_str()), want, "text: {case}");
                if let Some((_, message)) = text {
                    // The message names the variable the range was set in, and the list.
                    let variable = match slot {
                        Slot::VpcLink => "VPC_LINK_CIDRS",
                        _ => "TRUSTED_PROXY_CIDRS",
                    };
                    assert!(message.contains(variable), "{case}: {message}");
                    // ... and the list it overlaps, or the one the header needs.
                    let named = match slot {
                        Slot::CdnHeader(writer, _) if list != Preset::GlobalAccelerator => writer,
                        _ => list,
                    };
                    assert!(message.contains(named.name()), "{case}: {message}");
                    assert!(!message.contains("The header"), "{case}: {message}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, Preset::ALL.len() * 4 * SLOTS.len());
}

#[test]
fn a_refusal_says_why_the_slot_takes_no_such_network() {
    let ga = Preset::GlobalAccelerator.nets().next().unwrap();
    let err = TrustedRanges::new([ga]).unwrap_err();
    assert!(matches!(
        err,
        PolicyError::NoForwardedFor { list: Preset::GlobalAccelerator, net, .. } if net == ga
    ));
    let msg = err.to_string();
    for needle in [
        "layer 4",
        "write no X-Forwarded-For",
        "client IP preservation",
    ] {
        assert!(msg.contains(needle), "{msg}");
    }

    let cdn = Preset::Cloudflare.nets().next().unwrap();
    let subnets =
        VpcLink::Subnets(TrustedRanges::new([cdn, "10.0.1.0/24".parse().unwrap()]).unwrap());
    let err = Source::forwarded(ProxyCount::new(0).unwrap(), subnets).unwrap_err();
    assert_eq!(
        err,
        SourceError::VpcLinkShared {
            list: Preset::Cloudflare,
            net: cdn
        }
    );
    let msg = err.to_string();
    assert!(msg.starts_with("VpcLink::Subnets is not accepted"), "{msg}");
    assert!(msg.contains(&format!("{cdn} of cloudflare")), "{msg}");

    let env = HashMap::from([
        ("CLIENT_IP_HEADER", "forwarded"),
        ("TRUSTED_PROXY_COUNT", "0"),
        ("VPC_LINK_CIDRS", "10.0.1.0/24, cloudflare"),
    ]);
    let err = Source::from_lookup(|k| env.get(k).map(|v| (*v).to_owned())).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("VPC_LINK_CIDRS is not accepted"), "{msg}");
    assert!(
        msg.contains("of cloudflare, a network every customer"),
        "{msg}"
    );
}

#[test]
fn a_vpc_link_may_be_public_or_benchmarking_space_of_your_own() {
    // AWS allows publicly routable and 198.18.0.0/15 VPC CIDRs: your own VPC, so accepted.
    for subnets in [
        "198.18.0.0/24",
        "203.0.113.0/24",
        "2001:db8:1::/64",
        "52.94.0.0/24",
    ] {
        let link = VpcLink::Subnets(subnets.parse().unwrap());
        assert!(
            Source::forwarded(ProxyCount::new(0).unwrap(), link).is_ok(),
            "{subnets}"
        );
        let env = HashMap::from([
            ("CLIENT_IP_HEADER", "forwarded"),
            ("TRUSTED_PROXY_COUNT", "0"),
            ("VPC_LINK_CIDRS", subnets),
        ]);
        let source = Source::from_lookup(|k| env.get(k).map(|v| (*v).to_owned()));
        assert!(source.is_ok(), "{subnets}: {source:?}");
    }
}

#[test]
fn a_header_name_the_alb_drops_is_refused_with_the_name_it_keeps() {
    let cdn = "10.0.0.0/8";
    for (name, dashed) in [
        ("x_client_ip", "x-client-ip"),
        ("X_Client_IP", "x-client-ip"),
        ("x.client.ip", "x-client-ip"),
        ("my!header", "my-header"),
    ] {
        let err = Source::header(name, cdn.parse().unwrap()).unwrap_err();
        assert!(
            matches!(&err, SourceError::DroppedByAlb { dashed: d, .. } if d == dashed),
            "{name}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("an ALB drops every header"), "{msg}");
        assert!(msg.contains(&format!("name it {dashed:?}")), "{msg}");
        let env = HashMap::from([("CLIENT_IP_HEADER", name), ("TRUSTED_PROXY_CIDRS", cdn)]);
        let msg = Source::from_lookup(|k| env.get(k).map(|v| (*v).to_owned()))
            .unwrap_err()
            .to_string();
        let set = format!("CLIENT_IP_HEADER={name:?} is not accepted: an ALB drops");
        assert!(msg.starts_with(&set), "{msg}");
    }
    // A near miss of a known name keeps its more specific message; letters, digits and hyphens
    // pass.
    let err = Source::header("x_real_ip", cdn.parse().unwrap()).unwrap_err();
    assert!(matches!(err, SourceError::Misspelled { .. }), "{err:?}");
    assert!(Source::header("X-Client-IP-2", cdn.parse().unwrap()).is_ok());
}
