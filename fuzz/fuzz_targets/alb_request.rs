//! local-alb's request translation on arbitrary raw HTTP requests, then the function on the
//! event it builds.
//!
//! Input layout: 24 bytes of settings (XFF mode, client port, multi-value mode, dropping invalid
//! header names, the peer address and port, the listener port), then the raw request: a request
//! line, header lines and a body, split on CRLF as a lenient server would.
//!
//! Oracles: `build` never panics; an event is a JSON object with the target group ARN and the
//! mode's header map; in append mode the function with a count of 0 answers exactly the TCP peer,
//! whatever the client wrote (the point of the whole project); every function response has the
//! documented shape.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use alb_client_ip_fuzz::{Answer, check_response};
use libfuzzer_sys::fuzz_target;
use local_alb::event::{EventOptions, RawRequest, Uri, XffMode, build};

const SETTINGS: usize = 24;

/// A request split leniently: the request line's words, the header lines, the body.
type Parts<'a> = (Vec<&'a [u8]>, Vec<(&'a [u8], &'a [u8])>, &'a [u8]);

fn split_request(raw: &[u8]) -> Parts<'_> {
    let (head, body) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => (raw, &[][..]),
    };
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line: Vec<&[u8]> = lines
        .next()
        .unwrap_or_default()
        .splitn(3, |&b| b == b' ')
        .collect();
    let headers = lines
        .filter_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            let value = &l[colon + 1..];
            let start = value
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(value.len());
            Some((&l[..colon], &value[start..]))
        })
        .collect();
    (request_line, headers, body)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < SETTINGS {
        return;
    }
    let (settings, raw) = data.split_at(SETTINGS);
    let flags = settings[0];
    let options = EventOptions {
        xff_mode: match flags % 3 {
            0 => XffMode::Append,
            1 => XffMode::Preserve,
            _ => XffMode::Remove,
        },
        xff_client_port: flags & 0x04 != 0,
        multi_value_headers: flags & 0x08 != 0,
        drop_invalid_header_fields: flags & 0x10 != 0,
        ..EventOptions::default()
    };
    let ip = if settings[1] & 1 == 1 {
        IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(&settings[2..18]).unwrap(),
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(
            settings[2],
            settings[3],
            settings[4],
            settings[5],
        ))
    };
    // A TCP peer never has port 0.
    let port = u16::from_be_bytes([settings[18], settings[19]]).max(1);
    let peer = SocketAddr::new(ip, port);
    let listener_port = u16::from_be_bytes([settings[20], settings[21]]);

    let (request_line, headers, body) = split_request(raw);
    let method = request_line.first().copied().unwrap_or_default();
    // hyper parses the target before local-alb sees it: only what it accepts reaches `build`.
    let Ok(uri) = Uri::try_from(request_line.get(1).copied().unwrap_or_default()) else {
        return;
    };
    let version = request_line
        .get(2)
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("HTTP/1.1");
    let request = RawRequest {
        method,
        uri: &uri,
        version,
        headers: &headers,
        body,
        peer,
        listener_port,
        trace_root: "1-67891233-abcdef012345678912345678",
    };
    let Ok(event) = build(&request, &options) else {
        return;
    };
    let json: serde_json::Value = serde_json::from_slice(&event).expect("the event is JSON");
    assert!(json["requestContext"]["elb"]["targetGroupArn"].is_string());
    let map = if options.multi_value_headers {
        "multiValueHeaders"
    } else {
        "headers"
    };
    assert!(json[map].is_object(), "no {map}: {json}");

    let response = handle_bytes(&Config::default(), &event).expect("the event gets a response");
    let answer = check_response(&response);
    // A TCP peer is never unspecified, multicast or class E, in either form.
    let peer = ip.to_canonical();
    let can_connect = lambda_client_ip::parse_entry(peer.to_string().as_bytes()).is_some();
    if options.xff_mode == XffMode::Append && can_connect {
        assert_eq!(
            answer,
            Answer::Client(peer.to_string()),
            "the client's own headers moved the answer off the peer: {json}"
        );
    }
});
