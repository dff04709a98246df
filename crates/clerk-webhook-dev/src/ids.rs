//! Fresh message ids.

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A Svix-style message id: `msg_` and 27 alphanumerics.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn message_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 27];
    getrandom::fill(&mut bytes)?;
    let suffix: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("msg_{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fresh_and_well_formed() {
        let (a, b) = (message_id().unwrap(), message_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 31);
        assert!(a[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
