//! HMAC-SHA256 signatures: computing them and matching the `svix-signature` list.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac as _;
use subtle::ConstantTimeEq as _;

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
    let mut mac = secret.keyed().clone();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(format_seconds(timestamp, &mut digits));
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

/// Decodes every well-formed `v1` entry of a signature header into a stack buffer.
///
/// Entries are separated by one or more spaces. Other versions (`v1a`, `v2`), entries without
/// a comma, empty signatures (`v1,`), bad base64 and wrong lengths are skipped: they can never
/// match.
fn v1_tags(header: &str) -> impl Iterator<Item = Tag> + '_ {
    header
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == VERSION)
        .filter_map(|(_, encoded)| decode_tag(encoded))
}

fn decode_tag(encoded: &str) -> Option<Tag> {
    if encoded.len() != ENCODED_TAG_LEN {
        return None;
    }
    // Room for the decoder's length estimate; a valid tag fills exactly TAG_LEN of it.
    let mut buf = [0u8; TAG_LEN + 3];
    let len = STANDARD.decode_slice(encoded, &mut buf).ok()?;
    if len != TAG_LEN {
        return None;
    }
    let mut tag = [0; TAG_LEN];
    tag.copy_from_slice(&buf[..TAG_LEN]);
    Some(tag)
}

/// Whether any `v1` entry of `header` equals any of `expected`, compared in constant time.
pub(crate) fn header_matches(header: &str, expected: &[Tag]) -> bool {
    v1_tags(header).any(|candidate| {
        expected
            .iter()
            .any(|tag| bool::from(candidate.as_slice().ct_eq(tag.as_slice())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_what_cannot_match() {
        let tag = [7u8; TAG_LEN];
        let good = encode_entry(&tag);
        let b64 = &good[3..];
        assert!(header_matches(&good, &[tag]));
        assert!(header_matches(&format!("v1a,{b64}  junk {good}"), &[tag]));
        assert!(!header_matches(&format!("v2,{b64}"), &[tag]));
        assert!(!header_matches("v1,", &[tag]));
        assert!(!header_matches("v1, v1,,", &[tag]));
        assert!(!header_matches(&format!("v1,{}", &b64[..40]), &[tag]));
        assert!(!header_matches(&format!("v1,{b64}{b64}"), &[tag]));
        assert!(!header_matches(&good, &[]));
    }
}
