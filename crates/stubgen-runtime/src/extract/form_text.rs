//! What readers of form-encoded bytes (`application/x-www-form-urlencoded` bodies, query
//! strings) check before a decoder reads them: a decoder would read other text than was sent.

/// `… is not UTF-8 text`, naming the first field whose name or value, percent-decoded, is not.
pub(super) fn not_utf8(bytes: &[u8]) -> Option<String> {
    first_field_not_utf8(bytes).map(|field| format!("{field} is not UTF-8 text"))
}

/// `a field contains a NUL character` when one does, sent as it is or as `%00`.
pub(super) fn nul_character(bytes: &[u8]) -> Option<String> {
    (bytes.contains(&0) || bytes.windows(3).any(|window| window == b"%00"))
        .then(|| "a field contains a NUL character".to_owned())
}

/// The name of the first field whose name or value, percent-decoded, is not UTF-8 (a form
/// decoder would replace such bytes with U+FFFD, and the service would read other text than
/// was sent); `a field name` when the name itself is not.
fn first_field_not_utf8(bytes: &[u8]) -> Option<String> {
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
    use super::{first_field_not_utf8, not_utf8, nul_character};

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

    #[test]
    fn messages_and_nul_characters() {
        assert_eq!(
            not_utf8(b"age=3&name=%FF").as_deref(),
            Some("`name` is not UTF-8 text")
        );
        assert_eq!(not_utf8(b"name=ann"), None);
        for bytes in [&b"a=x%00"[..], b"a=\0", b"%00=1"] {
            assert_eq!(
                nul_character(bytes).as_deref(),
                Some("a field contains a NUL character")
            );
        }
        // `%2500` is the text `%00`.
        for bytes in [&b"a=%0"[..], b"a=%2500"] {
            assert_eq!(nul_character(bytes), None);
        }
    }
}
