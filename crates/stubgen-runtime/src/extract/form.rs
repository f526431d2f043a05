//! `application/x-www-form-urlencoded` request bodies.

use axum::http::StatusCode;

use super::media::{body_bytes, media_type, unsupported_media_type};
use crate::BodyRejection;

/// An `application/x-www-form-urlencoded` request body, read into its generated type and
/// checked like a [`JsonBody`]: 400 naming the field, 413, or 415 for another content type.
#[derive(Debug, Clone, PartialEq)]
pub struct FormBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for FormBody<T>
where
    T: serde::de::DeserializeOwned + crate::validate::Validate,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        const FORM: &str = "application/x-www-form-urlencoded";
        if media_type(&request).as_deref() != Some(FORM) {
            return Err(unsupported_media_type(FORM));
        }
        let bytes = body_bytes(request, state).await?;
        let invalid = |message: String| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: format!("Invalid request body: {message}"),
        };
        if let Some(field) = first_field_not_utf8(&bytes) {
            return Err(invalid(format!("{field} is not UTF-8 text")));
        }
        let deserializer = serde_html_form::Deserializer::from_bytes(&bytes);
        let body: T = serde_path_to_error::deserialize(deserializer)
            .map_err(|err| invalid(super::messages::at_path(&err)))?;
        body.validate().map_err(|err| invalid(err.to_string()))?;
        if bytes.contains(&0) || bytes.windows(3).any(|window| window == b"%00") {
            return Err(invalid("a field contains a NUL character".to_owned()));
        }
        Ok(Self(body))
    }
}

/// The name of the first field whose name or value, percent-decoded, is not UTF-8 (a form
/// decoder would replace such bytes with U+FFFD, and the service would read other text than
/// was sent); `a field` when the name itself is not.
pub(super) fn first_field_not_utf8(bytes: &[u8]) -> Option<String> {
    for pair in bytes.split(|byte| *byte == b'&') {
        let mut halves = pair.splitn(2, |byte| *byte == b'=');
        let name = percent_decoded(halves.next().unwrap_or_default());
        let value = percent_decoded(halves.next().unwrap_or_default());
        match (String::from_utf8(name), std::str::from_utf8(&value)) {
            (Ok(_), Ok(_)) => {}
            (Ok(name), Err(_)) => {
                let shown: String = name.chars().take(64).collect();
                return Some(format!("`{}`", shown.escape_debug()));
            }
            (Err(_), _) => return Some("a field name".to_owned()),
        }
    }
    None
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn percent_decoded(text: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        let hex = |at: usize| text.get(at).and_then(|byte| (*byte as char).to_digit(16));
        match text[index] {
            b'+' => decoded.push(b' '),
            b'%' if hex(index + 1).is_some() && hex(index + 2).is_some() => {
                let (high, low) = (hex(index + 1).unwrap_or(0), hex(index + 2).unwrap_or(0));
                decoded.push((high * 16 + low) as u8);
                index += 2;
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::first_field_not_utf8;

    #[test]
    fn a_field_that_is_not_utf8_is_named() {
        assert_eq!(first_field_not_utf8(b"name=ann&age=3"), None);
        assert_eq!(first_field_not_utf8(b"name=%C3%A9+x"), None);
        assert_eq!(
            first_field_not_utf8(b"age=3&name=%FF"),
            Some("`name`".to_owned())
        );
        assert_eq!(
            first_field_not_utf8(br"name=\xff"),
            None,
            "a backslash is text"
        );
        assert_eq!(
            first_field_not_utf8(&[b'n', b'=', 0xff]),
            Some("`n`".to_owned())
        );
        assert_eq!(
            first_field_not_utf8(b"%FF=1"),
            Some("a field name".to_owned())
        );
    }
}
