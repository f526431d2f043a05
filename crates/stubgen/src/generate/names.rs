//! Rust names for whatever a document calls things. Any string becomes a valid identifier,
//! readable and in the casing Rust expects (so the generated crate builds without a warning):
//! characters Rust cannot take separate words, a name starting with a digit gets a prefix, an
//! empty one a stand-in, a keyword is escaped (`r#type`) or suffixed where Rust allows no raw
//! form (`self_`), and a type never shadows a name of the prelude the generated code uses.
//! serde and utoipa keep the document's own name.

use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::{Ident, Span};

/// Strict and reserved keywords of every edition: as identifiers they need `r#`.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that have no raw form.
const UNRAWABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Names generated code uses unqualified beside the models: a model may not take them.
const PRELUDE: &[&str] = &[
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "Err",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "Unpin",
    "Vec",
];

/// The words of `name`, with every character Rust identifiers cannot hold as a separator.
fn words(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// A snake_case name for a field, method, parameter or function: `sort-by` → `sort_by`,
/// `123 test @#$ tags` → `_123_test_tags`, `` → `value`.
pub(crate) fn snake_name(name: &str) -> String {
    let snake = words(name).to_snake_case();
    if snake.is_empty() {
        "value".to_owned()
    } else if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else {
        snake
    }
}

/// A PascalCase name for a type or variant, `kind` in front when it would not start with a
/// letter (`123Number` → `Schema123Number`) and behind a prelude name (`Result` →
/// `ResultSchema`).
pub(crate) fn pascal_name(name: &str, kind: &str) -> String {
    let pascal = words(name).to_pascal_case();
    if !pascal.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("{kind}{pascal}")
    } else if PRELUDE.contains(&pascal.as_str()) || pascal == "Self" {
        format!("{pascal}{kind}")
    } else {
        pascal
    }
}

/// The identifier `name`, escaped when it is a keyword. A name that is not an identifier at all
/// is made one ([`snake_name`]), so this never fails.
/// Whether `name` cannot be a crate's name in Rust code: a keyword of any edition (`gen`), or
/// a crate every program already has (`core`, `std`), which it would shadow.
pub(crate) fn unusable_crate_name(name: &str) -> bool {
    KEYWORDS.contains(&name)
        || UNRAWABLE.contains(&name)
        || ["std", "core", "alloc", "proc_macro", "test"].contains(&name)
}

pub(crate) fn rust_ident(name: &str) -> Ident {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let name = if plain {
        name.to_owned()
    } else {
        snake_name(name)
    };
    if UNRAWABLE.contains(&name.as_str()) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name.as_str()) {
        Ident::new_raw(&name, Span::call_site())
    } else {
        Ident::new(&name, Span::call_site())
    }
}

/// [`rust_ident`] of [`snake_name`].
pub(crate) fn snake_ident(name: &str) -> Ident {
    rust_ident(&snake_name(name))
}

/// [`rust_ident`] of [`pascal_name`].
pub(crate) fn pascal_ident(name: &str, kind: &str) -> Ident {
    rust_ident(&pascal_name(name, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_string_is_a_valid_readable_identifier() {
        assert_eq!(snake_ident("sort-by").to_string(), "sort_by");
        assert_eq!(snake_ident("createdAt").to_string(), "created_at");
        assert_eq!(snake_ident("123Number").to_string(), "_123number");
        assert_eq!(
            snake_ident("123_test_@#$%_special_tags").to_string(),
            "_123_test_special_tags"
        );
        assert_eq!(snake_ident("").to_string(), "value");
        assert_eq!(snake_ident("@#$").to_string(), "value");
        assert_eq!(snake_ident("self").to_string(), "self_");
        assert_eq!(snake_ident("super").to_string(), "super_");
        assert_eq!(snake_ident("type").to_string(), "r#type");
        assert_eq!(snake_ident("yield").to_string(), "r#yield");
        assert_eq!(snake_ident("café crème").to_string(), "caf_cr_me");
        assert_eq!(
            pascal_ident("123Number", "Schema").to_string(),
            "Schema123number"
        );
        assert_eq!(pascal_ident("", "Schema").to_string(), "Schema");
        assert_eq!(pascal_ident("Result", "Schema").to_string(), "ResultSchema");
        assert_eq!(pascal_ident("ok", "Schema").to_string(), "OkSchema");
        assert_eq!(pascal_ident("self", "Schema").to_string(), "SelfSchema");
        assert_eq!(
            pascal_ident("error-model", "Schema").to_string(),
            "ErrorModel"
        );
        assert_eq!(rust_ident("Self").to_string(), "Self_");
        assert_eq!(rust_ident("not an ident").to_string(), "not_an_ident");
    }
}
