//! Small text helpers for messages built from a server's words. The substring search is
//! written out (a plain byte scan) because `str::replace` and `str::contains` bring the
//! two-way searcher into the `.wasm`, which costs more than every call here saves. Slices are
//! taken with `get`: a panicking index would bring `core::fmt` along for its message.
//!
//! ```
//! use sehatmu_auth::core::{contains_ignore_ascii_case, replace_all};
//! assert_eq!(replace_all("a-b-c", "-", "+"), "a+b+c");
//! assert!(contains_ignore_ascii_case("Rate Limit policy", "rate limit"));
//! ```

use alloc::{borrow::ToOwned, string::String};

/// The byte offset of the first `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len())
        .find(|&at| haystack.get(at..at + needle.len()) == Some(needle))
}

/// `text` with every `needle` replaced by `with`, left to right, matches not overlapping.
pub fn replace_all(text: &str, needle: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(at) = find(text.as_bytes(), needle.as_bytes(), rest) {
        // `needle` is valid UTF-8 and matched whole, so both cuts fall on character boundaries.
        out.push_str(text.get(rest..at).unwrap_or_default());
        out.push_str(with);
        rest = at + needle.len();
    }
    out.push_str(text.get(rest..).unwrap_or_default());
    out
}

/// Whether `text` holds `needle`, ASCII letters compared without case.
pub fn contains_ignore_ascii_case(text: &str, needle: &str) -> bool {
    find(
        text.to_ascii_lowercase().as_bytes(),
        needle.to_ascii_lowercase().as_bytes(),
        0,
    )
    .is_some()
}

/// `text` on one line, runs of white space folded, cut to at most `max_chars` characters
/// (with `…` where it was cut).
pub fn one_line(text: &str, max_chars: usize) -> String {
    // One pass over the characters, not `split_whitespace`: its searcher costs the `.wasm`
    // more than this loop. A run of white space becomes one space before the next word.
    let mut out = String::new();
    let mut count = 0;
    let mut gap = false;
    for ch in text.chars() {
        if ch.is_whitespace() {
            gap = !out.is_empty();
            continue;
        }
        for (due, ch) in [(gap, ' '), (true, ch)] {
            if !due {
                continue;
            }
            if count == max_chars {
                out.push('…');
                return out;
            }
            out.push(ch);
            count += 1;
        }
        gap = false;
    }
    out
}

/// `text` cut to at most `max_bytes` bytes of UTF-8, at a character boundary.
pub fn truncate_bytes(text: &str, max_bytes: usize) -> String {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_owned()
}

/// `parts` end to end, as `[..].concat()` joins them, without alloc's `join_generic_copy`:
/// its slice checks would bring integer formatting (for panic messages no one reads) into the
/// `.wasm`.
pub fn join(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `n` in decimal, as `n.to_string()` writes it, without `core::fmt` in the `.wasm`.
pub fn decimal(n: u64) -> String {
    // Most significant digit first, straight into the string: no buffer to reverse.
    let mut place = 1;
    while n / place >= 10 {
        place *= 10;
    }
    let mut out = String::new();
    while place > 0 {
        // A digit is 0..=9: the cast is exact.
        out.push(char::from(b'0' + (n / place % 10) as u8));
        place /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_joins_as_concat_does() {
        assert_eq!(join(&["a", "", "bc"]), ["a", "", "bc"].concat());
        assert_eq!(join(&[]), "");
    }

    #[test]
    fn decimal_writes_what_to_string_writes() {
        for n in [
            0,
            7,
            10,
            401,
            2_147_483_647,
            9_007_199_254_740_991,
            u64::MAX,
        ] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn one_line_folds_white_space_and_cuts() {
        assert_eq!(
            one_line("  Gateway\n\tTimeout \r\n", 100),
            "Gateway Timeout"
        );
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("ab cd", 5), "ab cd");
        assert_eq!(one_line("", 5), "");
    }

    #[test]
    fn truncate_bytes_keeps_characters_whole() {
        assert_eq!(truncate_bytes("aé", 2), "a");
        assert_eq!(truncate_bytes("aé", 3), "aé");
        assert_eq!(truncate_bytes("abc", 10), "abc");
    }

    #[test]
    fn replace_all_replaces_every_match_without_overlap() {
        assert_eq!(replace_all("aaaa", "aa", "b"), "bb");
        assert_eq!(replace_all("xéyéz", "é", "[e]"), "x[e]y[e]z");
        assert_eq!(replace_all("abc", "", "x"), "abc");
        assert_eq!(replace_all("ab", "abc", "x"), "ab");
        assert_eq!(replace_all("abc", "abc", ""), "");
    }

    #[test]
    fn contains_ignores_ascii_case_only() {
        assert!(contains_ignore_ascii_case("NOT ABLE to be", "not able"));
        assert!(!contains_ignore_ascii_case("short", "longer needle"));
        assert!(!contains_ignore_ascii_case("anything", ""));
    }
}
