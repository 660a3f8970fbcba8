//! The whole handler on arbitrary bytes as the event payload, under a policy chosen by the first
//! byte. Oracle: every answer is an ALB response of the documented shape (see `check_response`).
#![no_main]

use alb_client_ip::client_ip::{ProxyCount, TrustPolicy, TrustedRanges};
use alb_client_ip::config::Config;
use alb_client_ip::handler::handle_bytes;
use alb_client_ip_fuzz::check_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, payload)) = data.split_first() else {
        return;
    };
    let policy = if first & 0x80 == 0 {
        TrustPolicy::Count(ProxyCount::new(first % 31).unwrap_or_default())
    } else {
        TrustPolicy::Ranges(TrustedRanges::new(
            ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32"]
                .iter()
                .filter_map(|s| s.parse().ok()),
        ))
    };
    check_response(&handle_bytes(&Config::with_policy(policy), payload));
});
