//! Fresh message ids and secrets.

use clerk_webhook_core::SECRET_PREFIX;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random bytes from the operating system.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// A Svix-style message id: `msg_` and 27 alphanumerics.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn message_id() -> Result<String, getrandom::Error> {
    let bytes = random_bytes::<27>()?;
    let suffix: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("msg_{suffix}"))
}

/// A fresh signing secret: `whsec_` and 24 random bytes in base64, like Svix's.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn signing_secret() -> Result<String, getrandom::Error> {
    use base64::Engine as _;
    let key = random_bytes::<24>()?;
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_secrets_are_fresh_and_well_formed() {
        let (a, b) = (message_id().unwrap(), message_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 31);
        let secret = signing_secret().unwrap();
        assert!(clerk_webhook_core::WebhookVerifier::new(&secret).is_ok());
        assert_ne!(secret, signing_secret().unwrap());
    }
}
