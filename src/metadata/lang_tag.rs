//! Syntax check for BCP 47 language tags (RFC 5646 §2.1), used by localized metadata members
//! such as `client_name#fr-CA` (OIDC Registration §2.1). Grandfathered tags are not accepted.

fn alpha(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alphanum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `x-...`: 1 to 8 alphanumerics per subtag, at least one subtag.
fn private_use(rest: &[&str]) -> bool {
    !rest.is_empty() && rest.iter().all(|s| alphanum(s, 1, 8))
}

pub fn is_valid(tag: &str) -> bool {
    let parts: Vec<&str> = tag.split('-').collect();
    if parts[0].eq_ignore_ascii_case("x") {
        return private_use(&parts[1..]);
    }
    let mut i = 0;
    // language: 2-3 letters with up to three 3-letter extlangs, or 4-8 letters.
    let lang = parts[i];
    if !alpha(lang, 2, 8) {
        return false;
    }
    i += 1;
    if lang.len() <= 3 {
        let mut ext = 0;
        while i < parts.len() && ext < 3 && alpha(parts[i], 3, 3) {
            i += 1;
            ext += 1;
        }
    }
    // script
    if i < parts.len() && alpha(parts[i], 4, 4) {
        i += 1;
    }
    // region
    if i < parts.len() && (alpha(parts[i], 2, 2) || digits(parts[i], 3)) {
        i += 1;
    }
    // variants
    while i < parts.len() && is_variant(parts[i]) {
        i += 1;
    }
    // extensions: a singleton (not x) followed by one or more 2-8 alphanumeric subtags.
    while i < parts.len() && parts[i].len() == 1 && !parts[i].eq_ignore_ascii_case("x") {
        if !alphanum(parts[i], 1, 1) {
            return false;
        }
        i += 1;
        let start = i;
        while i < parts.len() && alphanum(parts[i], 2, 8) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if i < parts.len() && parts[i].eq_ignore_ascii_case("x") {
        return private_use(&parts[i + 1..]);
    }
    i == parts.len()
}

fn is_variant(s: &str) -> bool {
    alphanum(s, 5, 8) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit() && alphanum(s, 4, 4))
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts_well_formed_tags() {
        for tag in [
            "fr",
            "fr-CA",
            "zh-Hant-TW",
            "sr-Latn-RS",
            "es-419",
            "de-CH-1901",
            "en-US-u-ca-gregory",
            "zh-yue",
            "x-private",
            "en-x-pig-latin",
            "ja-Jpan",
        ] {
            assert!(is_valid(tag), "{tag} should be valid");
        }
    }

    #[test]
    fn refuses_malformed_tags() {
        for tag in [
            "",
            "!!",
            "f",
            "fr-",
            "-fr",
            "fr--CA",
            "fr-CA-",
            "toolonglanguage",
            "en-a",
            "x",
            "fr_CA",
            "en-US-u",
            "fr CA",
        ] {
            assert!(!is_valid(tag), "{tag:?} should be invalid");
        }
    }
}
