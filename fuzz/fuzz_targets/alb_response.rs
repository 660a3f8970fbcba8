//! local-alb's response translation on arbitrary function responses, and on every response the
//! function itself gives to arbitrary events.
//!
//! Oracles: `translate` never panics; what it accepts has a status from 100 to 599 and header
//! lines HTTP can carry; and the function's own response to any payload the Lambda runtime hands
//! it (any JSON) is always accepted, as a 200 or a 400 (the function must never cause the ALB's
//! bare 502).
#![no_main]

use alb_client_ip::config::Config;
use alb_client_ip_fuzz::invoke;
use libfuzzer_sys::fuzz_target;
use local_alb::response::translate;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, payload)) = data.split_first() else {
        return;
    };
    let multi = flags & 1 == 1;
    if let Ok(response) = translate(payload, multi) {
        assert!((100..=599).contains(&response.status));
        for (name, value) in &response.headers {
            assert!(!name.is_empty(), "empty header name");
            assert!(
                !name
                    .bytes()
                    .chain(value.bytes())
                    .any(|b| b == b'\r' || b == b'\n'),
                "a header line HTTP cannot carry: {name:?}: {value:?}"
            );
        }
    }
    let Some(ours) = invoke(&Config::default(), payload) else {
        return;
    };
    match translate(&ours, multi) {
        Ok(response) => assert!(matches!(response.status, 200 | 400), "{}", response.status),
        Err(e) => panic!("the ALB would answer 502 for the function's response: {e}"),
    }
});
