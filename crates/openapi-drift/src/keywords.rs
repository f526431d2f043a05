//! Which JSON Schema keywords apply to which type. A keyword constrains only values of its own
//! type (`maxLength` strings, `items` arrays, `properties` objects): on a schema whose `type`
//! excludes that type it says nothing, and both the drift engine and the generator read it so.

/// The keywords of each type; a keyword not listed applies to every type.
const KEYWORDS_OF: &[(&str, &[&str])] = &[
    ("string", &["minLength", "maxLength", "pattern"]),
    (
        "number",
        &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
    ),
    ("array", &["items", "minItems", "maxItems", "uniqueItems"]),
    (
        "object",
        &[
            "properties",
            "required",
            "additionalProperties",
            "minProperties",
            "maxProperties",
        ],
    ),
];

/// Whether `keyword` says anything of a value of type `kind` (`integer` is a `number`). A
/// `format` is taken to annotate only strings and numbers.
pub fn applies_to(keyword: &str, kind: &str) -> bool {
    if keyword == "format" {
        return matches!(kind, "string" | "number" | "integer");
    }
    KEYWORDS_OF.iter().all(|(owner, keywords)| {
        !keywords.contains(&keyword) || *owner == kind || (*owner == "number" && kind == "integer")
    })
}

#[cfg(test)]
mod tests {
    use super::applies_to;

    #[test]
    fn keywords_apply_to_their_own_type_only() {
        assert!(applies_to("maxLength", "string"));
        assert!(!applies_to("maxLength", "array"));
        assert!(applies_to("minimum", "integer"));
        assert!(!applies_to("properties", "array"));
        assert!(applies_to("items", "array"));
        assert!(!applies_to("format", "object"));
        assert!(applies_to("description", "object"));
    }
}
