//! JSON pointers and same-document `$ref` resolution.

use serde_json::Value;

use crate::error::{DriftError, Side};

/// One document being normalized: every lookup goes through here so errors name the side.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub root: &'a Value,
    pub side: Side,
}

impl<'a> Doc<'a> {
    pub fn new(root: &'a Value, side: Side) -> Self {
        Self { root, side }
    }

    /// The value at `pointer` (RFC 6901). Like `Value::pointer`, without allocating a string
    /// per token unless the token is escaped: lookups are most of a large comparison's work.
    pub fn get(&self, pointer: &str) -> Option<&'a Value> {
        if pointer.is_empty() {
            return Some(self.root);
        }
        let mut current = self.root;
        for token in pointer.strip_prefix('/')?.split('/') {
            current = if token.contains('~') {
                step(current, &token.replace("~1", "/").replace("~0", "~"))?
            } else {
                step(current, token)?
            };
        }
        Some(current)
    }

    /// The pointer a `$ref` string (found in the object at `at`) designates; it must exist.
    pub fn ref_target(&self, reference: &str, at: &str) -> Result<String, DriftError> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(DriftError::ExternalRef {
                side: self.side,
                reference: reference.to_owned(),
                at: at.to_owned(),
            });
        };
        let pointer = percent_decode(fragment).filter(|pointer| {
            (pointer.is_empty() || pointer.starts_with('/')) && self.get(pointer).is_some()
        });
        if let Some(pointer) = pointer {
            Ok(pointer)
        } else {
            Err(DriftError::UnresolvableRef {
                side: self.side,
                reference: reference.to_owned(),
                at: at.to_owned(),
            })
        }
    }

    /// Follow `$ref`s from the object at `pointer` (parameters, responses, request bodies,
    /// headers, path items) to the object that holds the content.
    pub fn deref(&self, pointer: &str) -> Result<(String, &'a Value), DriftError> {
        let mut current = pointer.to_owned();
        let mut seen = Vec::new();
        loop {
            let value = self
                .get(&current)
                .ok_or_else(|| self.malformed(&current, "missing"))?;
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return Ok((current, value));
            };
            if seen.contains(&current) {
                return Err(DriftError::CyclicRef {
                    side: self.side,
                    at: current,
                });
            }
            let next = self.ref_target(reference, &current)?;
            seen.push(std::mem::replace(&mut current, next));
        }
    }

    pub fn malformed(&self, at: &str, message: &str) -> DriftError {
        DriftError::Malformed {
            side: self.side,
            at: at.to_owned(),
            message: message.to_owned(),
        }
    }
}

fn step<'a>(value: &'a Value, token: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(token),
        Value::Array(items) => {
            // RFC 6901: no leading zeros, no signs.
            if token.len() > 1 && token.starts_with('0') || token.starts_with('+') {
                return None;
            }
            items.get(token.parse::<usize>().ok()?)
        }
        _ => None,
    }
}

/// Append one reference token to a pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn join(pointer: &str, token: &str) -> String {
    let mut joined = String::with_capacity(pointer.len() + token.len() + 1);
    joined.push_str(pointer);
    joined.push('/');
    if token.contains(['~', '/']) {
        joined.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        joined.push_str(token);
    }
    joined
}

/// A URI fragment or path as the text it encodes: `%7B` is `{` (`$ref` fragments are URI
/// fragments, so a pointer to `/paths/~1a{id}` may arrive as `#/paths/~1a%7Bid%7D`). A `%` not
/// followed by two hexadecimal digits is itself; `None` when the bytes it decodes to are not
/// UTF-8 (no pointer or file name is such text). The generator (`stubgen`) reads `$ref`s the
/// same way.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|byte| char::from(*byte).to_digit(16))
        };
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                // Two hexadecimal digits: at most 0xFF.
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_escapes_tokens() {
        assert_eq!(join("/paths", "/a~b"), "/paths/~1a~0b");
    }

    #[test]
    fn lookups_follow_rfc_6901() {
        let root = serde_json::json!({"a/b": {"c~d": [10, 20]}, "": 1});
        let doc = Doc::new(&root, Side::Spec);
        assert_eq!(doc.get("/a~1b/c~0d/1"), Some(&serde_json::json!(20)));
        assert_eq!(doc.get(""), Some(&root));
        assert_eq!(doc.get("/"), Some(&serde_json::json!(1)));
        assert_eq!(doc.get("/a~1b/c~0d/01"), None);
        assert_eq!(doc.get("/a~1b/c~0d/2"), None);
        assert_eq!(doc.get("a"), None);
        for pointer in ["/a~1b/c~0d/0", "/missing", "/a~1b"] {
            assert_eq!(doc.get(pointer), root.pointer(pointer), "{pointer}");
        }
    }

    #[test]
    fn percent_decoding() {
        let decoded = |text| percent_decode(text);
        assert_eq!(
            decoded("/paths/~1a%7Bid%7D").as_deref(),
            Some("/paths/~1a{id}")
        );
        assert_eq!(decoded("/caf%C3%a9").as_deref(), Some("/café"));
        // A `%` without two hexadecimal digits after it is itself (a sign is no digit).
        for text in [
            "/x%",
            "/x%7",
            "/x%zz",
            "/x%+1",
            "/x%-1",
            "/x%\u{e9}1",
            "/%%41",
        ] {
            let expected = text.replace("%%41", "%A");
            assert_eq!(decoded(text).as_deref(), Some(&*expected), "{text}");
        }
        // Bytes that are not UTF-8 are no pointer.
        assert_eq!(decoded("/x%FF"), None);
        assert_eq!(decoded("/x%C3"), None);
    }
}
