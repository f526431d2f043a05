//! Paging cursors: where the next page of a listing starts, opaque to clients.
//!
//! A cursor is the position of the last row shown (its sort key and id) with an HMAC-SHA256 tag
//! over that position, the listing and the caller's user id. A changed byte, a cursor of another
//! listing or one given to another user fails the tag and is refused. Every query is scoped to
//! the caller anyway, so even a forged position could only reach the caller's own rows. The key
//! lives in the database ([`Store::shared_key`]), so every instance honours every instance's
//! cursors.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::store::{PageKey, Store, StoreError};

/// The name the signing key is stored under.
const KEY_NAME: &str = "paging-cursor-v1";
/// Bytes of the tag kept in a cursor: 128 bits.
const TAG_BYTES: usize = 16;

/// The listings that page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Sessions,
    Devices,
}

impl Listing {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Sessions => b"sessions",
            Self::Devices => b"devices",
        }
    }
}

/// A cursor that this service did not give this caller for this listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cursor is not one this API gave the caller")]
pub struct InvalidCursor;

/// Signs and checks cursors with the key shared through the database.
#[derive(Clone)]
pub struct Cursors {
    key: [u8; 32],
}

impl std::fmt::Debug for Cursors {
    // The key signs every cursor: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors(<key redacted>)")
    }
}

impl Cursors {
    /// Loads the shared key, creating it on the first start of the first instance.
    pub async fn load(store: &dyn Store) -> Result<Self, StoreError> {
        let mut candidate = [0u8; 32];
        getrandom::fill(&mut candidate)
            .map_err(|err| StoreError::CorruptRow(format!("no randomness for a key: {err}")))?;
        Ok(Self::with_key(store.shared_key(KEY_NAME, candidate).await?))
    }

    pub fn with_key(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn tag(&self, listing: Listing, user_id: &str, position: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key size");
        // Lengths first, so no two (listing, user, position) triples feed the same bytes.
        for part in [listing.label(), user_id.as_bytes(), position] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// The cursor that resumes `listing` for `user_id` after `key`.
    pub fn encode(&self, listing: Listing, user_id: &str, key: &PageKey) -> String {
        let mut bytes = key.at.to_be_bytes().to_vec();
        bytes.extend_from_slice(key.id.as_bytes());
        let tag = self.tag(listing, user_id, &bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position a cursor stands for, if this service gave it to `user_id` for `listing`.
    pub fn decode(
        &self,
        listing: Listing,
        user_id: &str,
        cursor: &str,
    ) -> Result<PageKey, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
        if bytes.len() < 8 + TAG_BYTES {
            return Err(InvalidCursor);
        }
        let (position, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
        self.tag(listing, user_id, position)
            .verify_truncated_left(tag)
            .map_err(|_| InvalidCursor)?;
        let (at, id) = position.split_at(8);
        Ok(PageKey {
            at: i64::from_be_bytes(at.try_into().expect("8 bytes")),
            id: String::from_utf8(id.to_vec()).map_err(|_| InvalidCursor)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PageKey {
        PageKey {
            at: 1_764_000_000_000,
            id: "0b6f4a52-3c1e-4d7a-9a4e-6f0f2d9b8c11".to_owned(),
        }
    }

    #[test]
    fn a_cursor_reads_back_for_its_user_and_listing_only() {
        let cursors = Cursors::with_key([7; 32]);
        let cursor = cursors.encode(Listing::Sessions, "alice", &key());
        assert_eq!(
            cursors.decode(Listing::Sessions, "alice", &cursor),
            Ok(key())
        );
        assert_eq!(
            cursors.decode(Listing::Sessions, "bob", &cursor),
            Err(InvalidCursor)
        );
        assert_eq!(
            cursors.decode(Listing::Devices, "alice", &cursor),
            Err(InvalidCursor)
        );
        assert_eq!(
            Cursors::with_key([8; 32]).decode(Listing::Sessions, "alice", &cursor),
            Err(InvalidCursor),
            "another key"
        );
    }

    #[test]
    fn every_changed_character_is_refused() {
        let cursors = Cursors::with_key([7; 32]);
        let cursor = cursors.encode(Listing::Devices, "alice", &key());
        for index in 0..cursor.len() {
            let mut tampered = cursor.clone().into_bytes();
            tampered[index] = if tampered[index] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(tampered).unwrap();
            assert_eq!(
                cursors.decode(Listing::Devices, "alice", &tampered),
                Err(InvalidCursor),
                "{tampered}"
            );
        }
        for garbage in ["", "!!!", "AAAA", &cursor[..cursor.len() - 1]] {
            assert_eq!(
                cursors.decode(Listing::Devices, "alice", garbage),
                Err(InvalidCursor)
            );
        }
    }
}
