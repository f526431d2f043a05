//! What a regeneration changed, named by operation and model rather than by file.

use std::collections::BTreeMap;

use heck::ToSnakeCase as _;

/// Whether an operation or a model came, went or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
}

/// One operation or model that a regeneration touched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// `operation` (named as the trait method) or `model` (named as the type).
    pub subject: &'static str,
    pub name: String,
    pub kind: ChangeKind,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ChangeKind::Added => "added",
            ChangeKind::Changed => "changed",
            ChangeKind::Removed => "removed",
        };
        write!(f, "{} {}: {kind}", self.subject, self.name)
    }
}

/// The operations and models whose generated code differs between two generations: each maps
/// a generated file's name (`models.rs`, `operations.rs`, `router.rs`) to its text, and a file
/// absent from `old` is new.
pub fn between(old: &[(&str, &str)], new: &[(&str, &str)]) -> Vec<Change> {
    let (old, new) = (items(old), items(new));
    let mut changes = Vec::new();
    for (key, code) in &new {
        let kind = match old.get(key) {
            None => ChangeKind::Added,
            Some(previous) if previous != code => ChangeKind::Changed,
            Some(_) => continue,
        };
        changes.push(Change {
            subject: key.0,
            name: key.1.clone(),
            kind,
        });
    }
    for key in old.keys().filter(|key| !new.contains_key(*key)) {
        changes.push(Change {
            subject: key.0,
            name: key.1.clone(),
            kind: ChangeKind::Removed,
        });
    }
    changes
}

type Items = BTreeMap<(&'static str, String), String>;

/// The generated code of each operation and model, keyed by (subject, name). An operation
/// gathers its trait method, response enum, query struct and handler; a model its type and
/// impls. A file that does not parse contributes nothing.
fn items(files: &[(&str, &str)]) -> Items {
    use quote::ToTokens as _;
    let mut items = Items::new();
    let mut add = |subject: &'static str, name: String, tokens: proc_macro2::TokenStream| {
        items
            .entry((subject, name))
            .or_default()
            .push_str(&tokens.to_string());
    };
    let operation_of_type = |name: &str| {
        ["Response", "Query"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .map(|operation| operation.to_snake_case())
    };
    for (file_name, text) in files {
        let Ok(file) = syn::parse_file(text) else {
            continue;
        };
        for item in file.items {
            match (*file_name, &item) {
                ("models.rs", syn::Item::Struct(syn::ItemStruct { ident, .. }))
                | ("models.rs", syn::Item::Enum(syn::ItemEnum { ident, .. })) => {
                    add("model", ident.to_string(), item.to_token_stream());
                }
                ("models.rs", syn::Item::Impl(implementation)) => {
                    if let Some(name) = self_type_name(implementation) {
                        add("model", name, item.to_token_stream());
                    }
                }
                ("operations.rs", syn::Item::Trait(api)) => {
                    for method in &api.items {
                        if let syn::TraitItem::Fn(method) = method {
                            add(
                                "operation",
                                method.sig.ident.to_string(),
                                method.to_token_stream(),
                            );
                        }
                    }
                }
                ("operations.rs", syn::Item::Struct(syn::ItemStruct { ident, .. }))
                | ("operations.rs", syn::Item::Enum(syn::ItemEnum { ident, .. })) => {
                    if let Some(operation) = operation_of_type(&ident.to_string()) {
                        add("operation", operation, item.to_token_stream());
                    }
                }
                ("operations.rs", syn::Item::Impl(implementation)) => {
                    if let Some(operation) =
                        self_type_name(implementation).and_then(|name| operation_of_type(&name))
                    {
                        add("operation", operation, item.to_token_stream());
                    }
                }
                // Handlers are the functions utoipa documents; `router()` itself is not one.
                ("router.rs", syn::Item::Fn(handler))
                    if handler
                        .attrs
                        .iter()
                        .any(|attr| attr.path().segments.iter().any(|s| s.ident == "path")) =>
                {
                    add(
                        "operation",
                        handler.sig.ident.to_string(),
                        item.to_token_stream(),
                    );
                }
                _ => {}
            }
        }
    }
    items
}

fn self_type_name(implementation: &syn::ItemImpl) -> Option<String> {
    let syn::Type::Path(self_type) = implementation.self_ty.as_ref() else {
        return None;
    };
    Some(self_type.path.segments.last()?.ident.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_operations_and_models_that_came_went_or_changed() {
        let old_models = "
            pub struct Kept { pub a: i32 }
            pub struct Changed { pub a: i32 }
            pub struct Gone;
        ";
        let new_models = "
            pub struct Kept { pub a: i32 }
            pub struct Changed { pub a: i64 }
            pub struct Fresh;
            impl Validate for Fresh {}
        ";
        let old_operations = "
            pub trait Api { async fn get_thing(&self) -> GetThingResponse; }
            pub enum GetThingResponse { Ok }
        ";
        let new_operations = "
            pub trait Api {
                async fn get_thing(&self) -> GetThingResponse;
                async fn put_thing(&self) -> PutThingResponse;
            }
            pub enum GetThingResponse { Ok, NotFound }
            pub enum PutThingResponse { Ok }
        ";
        let router = "
            pub fn router() {}
            #[utoipa::path(get, path = \"/things\")]
            pub async fn get_thing() {}
        ";
        let old = [
            ("models.rs", old_models),
            ("operations.rs", old_operations),
            ("router.rs", router),
        ];
        let new = [
            ("models.rs", new_models),
            ("operations.rs", new_operations),
            ("router.rs", router),
        ];
        let shown: Vec<String> = between(&old, &new)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "model Changed: changed",
                "model Fresh: added",
                "operation get_thing: changed",
                "operation put_thing: added",
                "model Gone: removed",
            ]
        );
        assert!(between(&new, &new).is_empty());
    }
}
