//! The whole handler on arbitrary bytes as the event payload, under a policy chosen by the first
//! byte. Oracles: only bytes that are not JSON are refused before the handler (as the Lambda
//! runtime refuses them), and every answer is an ALB response of the documented shape (see
//! `check_response`).
#![no_main]

use alb_client_ip_fuzz::{check_response, config, invoke};
use lambda_client_ip::{ProxyCount, TrustPolicy, TrustedRanges};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, payload)) = data.split_first() else {
        return;
    };
    let policy = if first & 0x80 == 0 {
        TrustPolicy::Count(ProxyCount::new(first % 31).unwrap_or_default())
    } else {
        let ranges = "10.0.0.0/8, 2001:db8::/32, 192.0.2.1/32".parse::<TrustedRanges>();
        TrustPolicy::Ranges(ranges.expect("valid ranges"))
    };
    if let Some(response) = invoke(&config(policy), payload) {
        check_response(&response);
    }
});
