//! serde's messages as a client may read them: the Rust types they name (`expected struct
//! UploadAvatarRequestCrop`, `expected i32`) said as the document's types instead.

/// `message` with each Rust type serde names after "expected" said in JSON's words.
pub(crate) fn public(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(found) = rest.find("expected ") {
        let (before, after) = rest.split_at(found + "expected ".len());
        out.push_str(before);
        let (said, used) = said_in_json(after);
        out.push_str(&said);
        rest = &after[used..];
    }
    out.push_str(rest);
    // What serde met, in JSON's words too.
    let out = out
        .replace("invalid type: sequence", "invalid type: array")
        .replace("invalid type: map", "invalid type: object");
    // "… did not match any variant of untagged enum Note" names a type too.
    match out.find("untagged enum ") {
        Some(at) => {
            let name_end = identifier_end(&out[at + "untagged enum ".len()..]);
            format!(
                "{}the documented schemas{}",
                &out[..at].trim_end_matches("any variant of "),
                &out[at + "untagged enum ".len() + name_end..]
            )
            .replace(
                "did not match the documented schemas",
                "matches none of the documented schemas",
            )
        }
        None => out,
    }
}

/// A serde error with the path to the member it is about (`crop.x: …`), said as [`public`].
pub(crate) fn at_path<E: std::fmt::Display>(err: &serde_path_to_error::Error<E>) -> String {
    let inner = public(&err.inner().to_string());
    match err.path().to_string().as_str() {
        "." => inner,
        path => format!("{path}: {inner}"),
    }
}

/// What serde expected, from the start of `text`, in JSON's words; and how much of `text` that
/// replaces.
fn said_in_json(text: &str) -> (String, usize) {
    for (kind, said) in [
        ("tuple struct ", "an array"),
        ("struct variant ", "an object"),
        ("struct ", "an object"),
        ("enum ", "one of the documented values"),
    ] {
        if let Some(name) = text.strip_prefix(kind) {
            return (said.to_owned(), kind.len() + identifier_end(name));
        }
    }
    let word_end = identifier_end(text);
    let word = &text[..word_end];
    let said = match word {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => {
            format!("an integer of {} bits", bits(word))
        }
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            format!("a non-negative integer of {} bits", bits(word))
        }
        "f32" | "f64" => "a number".to_owned(),
        "String" => "a string".to_owned(),
        "bool" => "a boolean".to_owned(),
        _ => {
            for (serde, json) in [
                ("a sequence", "an array"),
                ("a map", "an object"),
                ("unit", "null"),
                ("a borrowed string", "a string"),
            ] {
                if text.starts_with(serde) {
                    return (json.to_owned(), serde.len());
                }
            }
            return (String::new(), 0);
        }
    };
    (said, word_end)
}

fn bits(word: &str) -> &str {
    match &word[1..] {
        "size" => "64",
        digits => digits,
    }
}

/// Where the Rust identifier (or path, `a::B`) at the start of `text` ends.
fn identifier_end(text: &str) -> usize {
    text.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::public;

    #[test]
    fn rust_types_are_said_as_json_types() {
        assert_eq!(
            public(
                r#"invalid type: string "x", expected struct UploadAvatarRequestCrop at line 1 column 3"#
            ),
            r#"invalid type: string "x", expected an object at line 1 column 3"#
        );
        assert_eq!(
            public("invalid value: integer `99999999999`, expected i32"),
            "invalid value: integer `99999999999`, expected an integer of 32 bits"
        );
        assert_eq!(
            public(r#"invalid type: string "30", expected u64"#),
            r#"invalid type: string "30", expected a non-negative integer of 64 bits"#
        );
        assert_eq!(
            public("invalid type: map, expected a sequence"),
            "invalid type: object, expected an array"
        );
        assert_eq!(
            public("invalid type: sequence, expected struct A"),
            "invalid type: array, expected an object"
        );
        assert_eq!(
            public("invalid type: null, expected enum Shape"),
            "invalid type: null, expected one of the documented values"
        );
        assert_eq!(
            public("data did not match any variant of untagged enum Note"),
            "data matches none of the documented schemas"
        );
        assert_eq!(
            public("unknown variant `oval`, expected `round` or `square`"),
            "unknown variant `oval`, expected `round` or `square`"
        );
        assert_eq!(public("missing field `age`"), "missing field `age`");
    }
}
