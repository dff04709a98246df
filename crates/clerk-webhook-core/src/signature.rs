//! HMAC-SHA256 signatures: computing them and matching the `svix-signature` list.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac as _;

use crate::secret::SigningSecret;
use crate::timestamp::format_seconds;

/// Length of an HMAC-SHA256 tag.
const TAG_LEN: usize = 32;
/// Length of a tag in standard padded base64.
const ENCODED_TAG_LEN: usize = 44;
/// The only signature version this crate verifies.
const VERSION: &str = "v1";

type Tag = [u8; TAG_LEN];

/// HMAC-SHA256 over `{id}.{timestamp}.{body}`, fed in pieces so that nothing is allocated.
pub(crate) fn compute_tag(secret: &SigningSecret, id: &str, timestamp: i64, body: &[u8]) -> Tag {
    let mut digits = [0; 20];
    compute_tag_with_digits(secret, id, format_seconds(timestamp, &mut digits), body)
}

/// [`compute_tag`] with the timestamp already in canonical decimal (as Svix signs it).
pub(crate) fn compute_tag_with_digits(
    secret: &SigningSecret,
    id: &str,
    digits: &[u8],
    body: &[u8],
) -> Tag {
    let mut mac = secret.keyed().clone();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(digits);
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The header value for one signature: `v1,<base64>`.
pub(crate) fn encode_entry(tag: &Tag) -> String {
    let mut entry = String::with_capacity(VERSION.len() + 1 + ENCODED_TAG_LEN);
    entry.push_str(VERSION);
    entry.push(',');
    STANDARD.encode_string(tag, &mut entry);
    entry
}

/// A tag in standard padded base64, on the stack.
pub(crate) type EncodedTag = [u8; ENCODED_TAG_LEN];

/// Encodes a tag once per delivery, so candidates are compared as text: no decoding of
/// attacker-supplied base64 at all. Standard base64 of 32 bytes is canonical (the decoder
/// would refuse non-zero trailing bits), so text equality is tag equality.
pub(crate) fn encode_tag(tag: &Tag) -> EncodedTag {
    let mut encoded = [0u8; ENCODED_TAG_LEN];
    // 32 bytes always encode to exactly 44 characters, so this cannot fail.
    let _ = STANDARD.encode_slice(tag, &mut encoded);
    encoded
}

/// The signature of every `v1` entry of a signature header.
///
/// Entries are separated by one or more spaces. Other versions (`v1a`, `v2`), entries without
/// a comma, and empty signatures (`v1,`) are skipped: they can never match.
fn v1_signatures(header: &str) -> impl Iterator<Item = &[u8]> + '_ {
    header
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, signature)| *version == VERSION && !signature.is_empty())
        .map(|(_, signature)| signature.as_bytes())
}

/// Whether any `v1` entry of `header` equals any of `expected`, compared in constant time.
/// A candidate of the wrong length cannot match and is skipped (its length is public).
pub(crate) fn header_matches(header: &str, expected: &[EncodedTag]) -> bool {
    v1_signatures(header)
        .filter_map(|candidate| <&EncodedTag>::try_from(candidate).ok())
        .any(|candidate| {
            expected
                .iter()
                .any(|tag| constant_time_eq::constant_time_eq_n(candidate, tag))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_what_cannot_match() {
        let raw = [7u8; TAG_LEN];
        let tag = encode_tag(&raw);
        let good = encode_entry(&raw);
        let b64 = &good[3..];
        assert!(header_matches(&good, &[tag]));
        assert!(header_matches(&format!("v1a,{b64}  junk {good}"), &[tag]));
        assert!(!header_matches(&format!("v2,{b64}"), &[tag]));
        assert!(!header_matches("v1,", &[tag]));
        assert!(!header_matches("v1, v1,,", &[tag]));
        assert!(!header_matches(&format!("v1,{}", &b64[..40]), &[tag]));
        assert!(!header_matches(&format!("v1,{b64}{b64}"), &[tag]));
        assert!(!header_matches(&good, &[]));
        // The same bytes with non-zero trailing bits (a non-canonical encoding) never match.
        let non_canonical = format!(
            "v1,{}{}=",
            &b64[..42],
            if &b64[42..43] == "w" { "x" } else { "w" }
        );
        assert!(!header_matches(&non_canonical, &[tag]));
        assert_eq!(std::str::from_utf8(&tag).unwrap(), b64);
    }
}
