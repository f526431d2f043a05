//! NUL characters, which no value the service reads may hold: PostgreSQL cannot store them.

/// The JSON pointer of the first string or object key in `value` that holds a NUL character
/// (such a key is shown escaped).
pub(crate) fn first_nul_character(
    value: &serde_json::Value,
    pointer: &mut String,
) -> Option<String> {
    use serde_json::Value;
    let descend = |pointer: &mut String, segment: &str, child: &Value| {
        let length = pointer.len();
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        let found = first_nul_character(child, pointer);
        pointer.truncate(length);
        found
    };
    match value {
        Value::String(text) if text.contains('\0') => Some(pointer.clone()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| descend(pointer, &index.to_string(), item)),
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            if key.contains('\0') {
                return Some(format!("{pointer}/{}", key.escape_debug()));
            }
            descend(pointer, key, field)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::first_nul_character;

    fn find(json: &str) -> Option<String> {
        first_nul_character(&serde_json::from_str(json).unwrap(), &mut String::new())
    }

    #[test]
    fn names_the_first_string_or_key_with_a_nul_character() {
        assert_eq!(find(r#"{"a": "x", "b": "y"}"#), None);
        assert_eq!(find(r#"{"a": "x\u0000"}"#), Some("/a".to_owned()));
        assert_eq!(
            find(r#"{"a": {"b/c": [1, "\u0000"]}}"#),
            Some("/a/b~1c/1".to_owned())
        );
        assert_eq!(find(r#"{"k\u0000": 1}"#), Some("/k\\0".to_owned()));
    }
}
