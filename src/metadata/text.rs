//! The character rule for everything a person reads: human-readable members (`client_name`,
//! `software_id`, `software_version`, `contacts`, `default_acr_values`, `client_name#…`) and, on
//! top of their own syntax rules, every URL member. A consent page shows these values; a
//! right-to-left override (U+202E) or a zero-width space can make one name look like another.

use crate::error::ApiError;

/// Longest `client_name` (and `client_name#…`) in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 200;
/// Longest `software_id` in characters.
pub const MAX_SOFTWARE_ID_CHARS: usize = 200;
/// Longest `software_version` in characters.
pub const MAX_SOFTWARE_VERSION_CHARS: usize = 64;
/// Longest `contacts[i]` in characters (an e-mail address is at most 254; room for a `mailto:`
/// or a phone number with a label).
pub const MAX_CONTACT_CHARS: usize = 320;
/// Longest `default_acr_values[i]` in characters.
pub const MAX_ACR_VALUE_CHARS: usize = 200;
/// Longest URL member (`redirect_uris[i]`, `client_uri`, `jwks_uri`, …) in bytes.
pub const MAX_URL_BYTES: usize = 2000;

/// What a forbidden character is, for the error description; `None` when it is allowed.
///
/// Refused: C0 and C1 controls (`char::is_control`, tab and newline included), the bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the zero-width space,
/// non-joiner and joiner (U+200B–U+200D), the byte order mark / zero-width no-break space
/// (U+FEFF) and the line and paragraph separators (U+2028, U+2029).
pub fn forbidden(c: char) -> Option<&'static str> {
    match c {
        c if c.is_control() => Some("a control character"),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("a bidirectional control"),
        '\u{200B}'..='\u{200D}' | '\u{FEFF}' => Some("an invisible character"),
        '\u{2028}' | '\u{2029}' => Some("a line or paragraph separator"),
        _ => None,
    }
}

/// The description of the first forbidden character of `value`, naming its code point (never
/// the value itself, which may be long or unprintable).
pub fn first_forbidden(value: &str) -> Option<String> {
    value
        .chars()
        .find_map(|c| forbidden(c).map(|what| format!("U+{:04X} ({what})", c as u32)))
}

/// A human-readable value: no forbidden character and at most `max_chars` characters.
pub fn check(member: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    if let Some(what) = first_forbidden(value) {
        return Err(ApiError::invalid_metadata(
            member,
            format!("{what} is not allowed"),
        ));
    }
    check_chars(member, value, max_chars)
}

/// Only the length part of [`check`].
pub fn check_chars(member: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    // Counting stops just past the cap, so a long value costs no more than a short one.
    if value.chars().take(max_chars + 1).count() > max_chars {
        return Err(ApiError::invalid_metadata(
            member,
            format!("at most {max_chars} characters"),
        ));
    }
    Ok(())
}

/// The URL form of the rule, as a plain description for the URL checks that build their own
/// error: a forbidden character (whitespace included: a URL has none) or more than
/// [`MAX_URL_BYTES`] bytes.
pub fn url_problem(raw: &str) -> Option<String> {
    if raw.len() > MAX_URL_BYTES {
        return Some(format!("at most {MAX_URL_BYTES} bytes"));
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        // The wording the URL rules have always used.
        return Some("control characters and whitespace are not allowed".into());
    }
    first_forbidden(raw).map(|what| format!("{what} is not allowed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_each_class_and_names_the_code_point() {
        for (c, what) in [
            ('\u{0}', "control"),
            ('\t', "control"),
            ('\u{7f}', "control"),
            ('\u{85}', "control"),
            ('\u{9f}', "control"),
            ('\u{202A}', "bidirectional"),
            ('\u{202E}', "bidirectional"),
            ('\u{2066}', "bidirectional"),
            ('\u{2069}', "bidirectional"),
            ('\u{200B}', "invisible"),
            ('\u{200D}', "invisible"),
            ('\u{FEFF}', "invisible"),
            ('\u{2028}', "separator"),
            ('\u{2029}', "separator"),
        ] {
            let value = format!("App{c}Name");
            let err = first_forbidden(&value).unwrap_or_else(|| panic!("{c:?} allowed"));
            assert!(err.contains(what), "{c:?}: {err}");
            assert!(err.starts_with(&format!("U+{:04X}", c as u32)), "{err}");
        }
    }

    #[test]
    fn allows_ordinary_text_in_any_script() {
        for ok in [
            "My App",
            "Mon appli é",
            "我的應用",
            "تطبيقي",
            "אפליקציה",
            "App\u{00A0}Name",
            "emoji 🚀",
            "\u{200E}mark",
        ] {
            assert_eq!(first_forbidden(ok), None, "{ok:?}");
        }
        // U+200E (left-to-right mark) is not an embedding or override: Hebrew and Arabic names
        // use it legitimately.
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(check("client_name", &"é".repeat(200), 200).is_ok());
        let err = check("client_name", &"é".repeat(201), 200).unwrap_err();
        assert!(err
            .description()
            .contains("client_name: at most 200 characters"));
    }

    #[test]
    fn url_problems() {
        assert_eq!(url_problem("https://a.example/"), None);
        assert!(url_problem(&format!("https://a.example/{}", "a".repeat(2000))).is_some());
        assert!(url_problem("https://a.example/\u{202E}").is_some());
        assert!(url_problem("https://a.example/ x").is_some());
    }
}
