//! The names a setting can mean, and the near-miss rule that answers a typo with "did you mean
//! …?" instead of a refusal that leaves the user guessing.

/// The name in `known` that `text` misspells, if `text` is not itself one of them: the same name
/// with underscores for dashes or a CGI or nginx `http_` prefix (`HTTP_X_REAL_IP`), or one or
/// two letters off (Levenshtein distance, from `strsim`), compared in lower case.
pub(crate) fn near_miss<'a>(text: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = text.trim().to_ascii_lowercase();
    if known.contains(&lower.as_str()) {
        return None;
    }
    let dashed = lower.replace('_', "-");
    let bare = dashed.strip_prefix("http-").unwrap_or(&dashed);
    let near = |name: &&str| *name == bare || strsim::levenshtein(name, &lower) <= 2;
    known.iter().copied().find(near)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_name_what_was_meant() {
        let known = ["cf-connecting-ip", "x-real-ip", "cloudfront"];
        for (text, want) in [
            ("CF_CONNECTING_IP", Some("cf-connecting-ip")),
            ("HTTP_X_REAL_IP", Some("x-real-ip")),
            ("cf-conecting-ip", Some("cf-connecting-ip")),
            ("cloudfrnt", Some("cloudfront")),
            ("x-real-ip", None),
            ("true-client-ip", None),
        ] {
            assert_eq!(near_miss(text, &known), want, "{text}");
        }
    }
}
