//! `application/x-www-form-urlencoded` encoding, exactly as `URLSearchParams` serialises it.
//!
//! ```
//! use sehatmu_auth::core::form_encode;
//! assert_eq!(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
//! ```

use alloc::string::String;

/// Encodes one name or value: ASCII letters, digits and `*-._` stay, a space becomes `+`, every
/// other byte of the UTF-8 text becomes `%XX`.
pub fn form_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_unreserved_set() {
        assert_eq!(form_encode("AZaz09*-._"), "AZaz09*-._");
    }

    #[test]
    fn encodes_reserved_control_and_non_ascii_bytes() {
        assert_eq!(form_encode("~+%\0"), "%7E%2B%25%00");
        assert_eq!(form_encode("😀"), "%F0%9F%98%80");
        assert_eq!(form_encode(" "), "+");
    }
}
