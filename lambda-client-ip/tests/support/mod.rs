//! Helpers of the tests that build sources from environment text (feature `env`).

use std::collections::HashMap;

use lambda_client_ip::{ProxyCount, SettingError, Source, TrustedRanges};

/// `Source::from_lookup` over these variables.
pub fn lookup(vars: &[(&str, &str)]) -> Result<Source, SettingError> {
    let env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Source::from_lookup(|k| env.get(k).cloned())
}

pub fn ranges(list: &str) -> TrustedRanges {
    list.parse().unwrap()
}

pub fn count(n: u8) -> ProxyCount {
    ProxyCount::new(n).unwrap()
}
