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
///
/// Every query string and form body passes here, so nothing is allocated for fields that are
/// UTF-8 as they are sent: only a half with a `%` in it is decoded, into one buffer.
fn first_field_not_utf8(bytes: &[u8]) -> Option<String> {
    let mut buffer = Vec::new();
    for pair in bytes.split(|byte| *byte == b'&') {
        let mut halves = pair.splitn(2, |byte| *byte == b'=');
        let name = halves.next().unwrap_or_default();
        let value = halves.next().unwrap_or_default();
        if !decodes_to_utf8(name, &mut buffer) {
            return Some("a field name".to_owned());
        }
        if !decodes_to_utf8(value, &mut buffer) {
            buffer.clear();
            percent_decode_into(name, &mut buffer);
            let shown: String = String::from_utf8_lossy(&buffer).chars().take(64).collect();
            return Some(format!("`{}`", shown.escape_debug()));
        }
    }
    None
}

/// Whether `text`, percent-decoded, is UTF-8 (`+`, a space once decoded, changes nothing there).
fn decodes_to_utf8(text: &[u8], buffer: &mut Vec<u8>) -> bool {
    if !text.contains(&b'%') {
        return std::str::from_utf8(text).is_ok();
    }
    buffer.clear();
    percent_decode_into(text, buffer);
    std::str::from_utf8(buffer).is_ok()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn percent_decode_into(text: &[u8], decoded: &mut Vec<u8>) {
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
        // Decoded only where escaped, each half on its own, `+` a space.
        assert_eq!(
            first_field_not_utf8(b"a+%C3%A9=ok&a+%C3%A9=%E9"),
            Some("`a é`".to_owned())
        );
        assert_eq!(
            first_field_not_utf8(&[b'n', b'=', b'%', b'4', b'1', 0xff]),
            Some("`n`".to_owned())
        );
        assert_eq!(
            first_field_not_utf8(b"%C3=%A9"),
            Some("a field name".to_owned())
        );
        assert_eq!(
            first_field_not_utf8(b"n=%C3%zz&%e2%82%ac=%E2%82%AC"),
            Some("`n`".to_owned())
        );
        assert_eq!(first_field_not_utf8(b"%e2%82%ac=%E2%82%AC&%=%&&=&x"), None);
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
