//! A ranges file named by `CLIENT_IP_RANGES_FILE` replaces the bundled lists for the process: a
//! process of its own, since the lists it installs stay.

use std::collections::HashMap;
use std::net::IpAddr;

use http::HeaderMap;
use lambda_client_ip::{Peer, Preset, SettingError, Source};

fn from_lookup(env: &[(&str, &str)]) -> Result<Source, SettingError> {
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    Source::from_lookup(|k| env.get(k).map(|v| (*v).to_owned()))
}

#[test]
fn a_ranges_file_replaces_the_bundled_list_before_anything_reads_it() {
    let dir = std::env::temp_dir().join(format!("ranges-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (file, other) = (dir.join("ranges.txt"), dir.join("other.txt"));
    // Cloudflare's bundled list and one more range, published after the bundled snapshot (read
    // as text: reading the preset would read the bundled lists, after which none is installed).
    let bundled = include_str!("../src/presets/cloudflare.txt");
    let fresh: String = bundled
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|net| format!("{net}\n"))
        .chain(["198.51.100.0/24\n".to_owned()])
        .collect();
    let fresh = format!("# cloudflare: a fresh copy\n# published: 2026-12-01\n{fresh}");
    std::fs::write(&file, &fresh).unwrap();
    std::fs::write(&other, fresh.replace("198.51.100.0/24", "203.0.113.0/24")).unwrap();

    let path = file.to_str().unwrap();
    let missing = dir.join("missing.txt");
    let err = from_lookup(&[("CLIENT_IP_RANGES_FILE", missing.to_str().unwrap())]).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "CLIENT_IP_RANGES_FILE={:?} is not accepted: the file cannot be read",
            missing.to_str().unwrap()
        )),
        "{err}"
    );

    let env = [
        ("CLIENT_IP_RANGES_FILE", path),
        ("TRUSTED_PROXY_CIDRS", "cloudflare"),
        ("CLIENT_IP_HEADER", "cf-connecting-ip"),
    ];
    let source = from_lookup(&env).unwrap();
    assert_eq!(Preset::Cloudflare.published(), "2026-12-01");
    assert_eq!(Preset::CloudFront.published(), "2026-08-22");
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        "192.0.2.55, 198.51.100.7".parse().unwrap(),
    );
    headers.insert("cf-connecting-ip", "192.0.2.55".parse().unwrap());
    let client = source.resolve(&headers, Peer::Appended).unwrap();
    assert_eq!(client.ip(), "192.0.2.55".parse::<IpAddr>().unwrap());

    // The same file again is accepted; other lists are refused, never silently ignored.
    assert!(from_lookup(&env).is_ok());
    let err = from_lookup(&[("CLIENT_IP_RANGES_FILE", other.to_str().unwrap())]).unwrap_err();
    assert!(err.to_string().ends_with("the file comes too late: this process installed other lists, or read the bundled ones, before."), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
