//! The names a setting can mean, and the near-miss rule that answers a typo with "did you mean
//! …?" instead of a refusal that leaves the user guessing.

/// The name in `known` that `text` misspells, if `text` is not itself one of them: the same name
/// with underscores for dashes or a CGI or nginx `http_` prefix (`HTTP_X_REAL_IP`), or one or
/// two letters off (insertions, deletions and substitutions), compared in lower case.
pub(crate) fn near_miss<'a>(text: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = text.trim().to_ascii_lowercase();
    if known.contains(&lower.as_str()) {
        return None;
    }
    let dashed = lower.replace('_', "-");
    let bare = dashed.strip_prefix("http-").unwrap_or(&dashed);
    let near = |name: &&str| *name == bare || edit_distance(name, &lower) <= 2;
    known.iter().copied().find(near)
}

/// Levenshtein distance between the bytes of `a` and `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = i;
        let mut next = vec![i + 1];
        for (j, cb) in b.bytes().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = next.last().copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != cb);
            next.push(cost.min(above + 1).min(left + 1));
            diagonal = above;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
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
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
