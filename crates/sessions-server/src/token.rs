//! Bearer tokens: 256 random bits, URL-safe base64; only their SHA-256 is ever stored.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// Random bytes per token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// A freshly minted token, in clear. Show it once, store only [`hash`].
pub struct IssuedToken(String);

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedToken(<redacted>)")
    }
}

impl IssuedToken {
    /// Draws a new token from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> [u8; 32] {
        hash(&self.0)
    }
}

/// The SHA-256 of a token as presented: what the store looks sessions up by.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits() {
        let first = IssuedToken::generate().unwrap();
        let second = IssuedToken::generate().unwrap();
        assert_ne!(first.as_str(), second.as_str());
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(first.as_str())
            .unwrap();
        assert_eq!(decoded.len() * 8, 256);
    }

    #[test]
    fn the_hash_is_sha256_of_the_token() {
        let token = IssuedToken::generate().unwrap();
        assert_eq!(token.hash(), hash(token.as_str()));
        assert_eq!(
            hash("abc")
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<String>(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
