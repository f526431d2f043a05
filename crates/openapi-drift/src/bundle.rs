//! `$ref`s into other files, for a document read from disk: every file referred to (relative to
//! the file that refers to it) is copied whole under `/x-openapi-drift-files/<n>` of the main
//! document, and every reference into it is rewritten to point there. Nothing is inlined, so
//! recursive references across files stay finite. References to URLs are left as they are (the
//! comparison then reports them as external).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde_json::Value;

use crate::error::DriftError;

/// Where the copied files live in the main document: an extension key, which no part of the
/// comparison reads except through a `$ref`.
const FILES: &str = "x-openapi-drift-files";

/// Rewrites `doc` (read from `path`) so that every `$ref` into another file points into a copy
/// of that file inside `doc`.
pub(crate) fn bundle(doc: &mut Value, path: &Path) -> Result<(), DriftError> {
    if !refers_elsewhere(doc) {
        return Ok(());
    }
    let mut files = Files::default();
    let base = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .to_path_buf();
    rewrite(doc, &base, "", &mut files)?;
    // Each copied file's own references, relative to its own directory.
    let mut index = 0;
    while index < files.copies.len() {
        let (dir, mut copy) = (
            files.copies[index].0.clone(),
            std::mem::take(&mut files.copies[index].1),
        );
        let prefix = format!("/{FILES}/{index}");
        rewrite(&mut copy, &dir, &prefix, &mut files)?;
        files.copies[index].1 = copy;
        index += 1;
    }
    let copies: Vec<Value> = files.copies.into_iter().map(|(_, copy)| copy).collect();
    if let Value::Object(root) = doc {
        root.insert(FILES.to_owned(), Value::Array(copies));
    }
    Ok(())
}

#[derive(Default)]
struct Files {
    /// File → its index among the copies.
    index: BTreeMap<PathBuf, usize>,
    /// Each copy's directory (for its own relative references) and contents.
    copies: Vec<(PathBuf, Value)>,
}

impl Files {
    fn index_of(&mut self, file: PathBuf) -> Result<usize, DriftError> {
        let file = file.canonicalize().map_err(|source| DriftError::Io {
            path: file.clone(),
            source,
        })?;
        if let Some(index) = self.index.get(&file) {
            return Ok(*index);
        }
        let text = std::fs::read_to_string(&file).map_err(|source| DriftError::Io {
            path: file.clone(),
            source,
        })?;
        let mut copy = crate::load::parse(&text).map_err(|message| DriftError::Parse {
            origin: Some(file.clone()),
            message,
        })?;
        crate::tolerate::tolerate(&mut copy);
        let index = self.copies.len();
        let dir = file
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .to_path_buf();
        self.copies.push((dir, copy));
        self.index.insert(file, index);
        Ok(index)
    }
}

fn refers_elsewhere(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, value)| {
            (key == "$ref" && value.as_str().is_some_and(|r| !r.starts_with('#')))
                || refers_elsewhere(value)
        }),
        Value::Array(items) => items.iter().any(refers_elsewhere),
        _ => false,
    }
}

/// Rewrites the `$ref`s in `value`, part of a document in `dir` whose own pointers are under
/// `prefix` in the main document.
fn rewrite(
    value: &mut Value,
    dir: &Path,
    prefix: &str,
    files: &mut Files,
) -> Result<(), DriftError> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                let (file, fragment) = reference
                    .split_once('#')
                    .unwrap_or((reference.as_str(), ""));
                let is_url = file.contains("://");
                if !is_url {
                    let target = if file.is_empty() {
                        prefix.to_owned()
                    } else {
                        format!("/{FILES}/{}", files.index_of(dir.join(file))?)
                    };
                    *reference = format!("#{target}{fragment}");
                }
            }
            for (key, child) in map.iter_mut() {
                // Examples and defaults are data: a `$ref` key there is no reference.
                if !matches!(
                    key.as_str(),
                    "example" | "examples" | "default" | "const" | "enum"
                ) {
                    rewrite(child, dir, prefix, files)?;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, dir, prefix, files)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_into_other_files_point_into_copies_of_them() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        std::fs::write(
            dir.join("api.yaml"),
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      \
             responses:\n        '200':\n          description: ok\n          content:\n            \
             application/json:\n              schema: {$ref: 'schemas/pet.yaml#/Pet'}\n",
        )
        .unwrap();
        // The other file refers to itself (recursively) and to a third file.
        std::fs::write(
            dir.join("schemas/pet.yaml"),
            "Pet:\n  type: object\n  properties:\n    parent: {$ref: '#/Pet'}\n    \
             tag: {$ref: 'tag.yaml'}\n",
        )
        .unwrap();
        std::fs::write(dir.join("schemas/tag.yaml"), "type: string\nmaxLength: 5\n").unwrap();
        let doc = crate::load_path(&dir.join("api.yaml")).expect("the files load");
        let schema = &doc["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        assert_eq!(schema["$ref"], "#/x-openapi-drift-files/0/Pet");
        assert_eq!(
            doc[FILES][0]["Pet"]["properties"]["parent"]["$ref"],
            "#/x-openapi-drift-files/0/Pet"
        );
        assert_eq!(
            doc[FILES][0]["Pet"]["properties"]["tag"]["$ref"],
            "#/x-openapi-drift-files/1"
        );
        assert!(crate::compare(&doc, &doc).unwrap().is_consistent());
        // A change in the third file is seen through both references.
        std::fs::write(dir.join("schemas/tag.yaml"), "type: string\nmaxLength: 3\n").unwrap();
        let changed = crate::load_path(&dir.join("api.yaml")).unwrap();
        let report = crate::compare(&doc, &changed).unwrap();
        assert_eq!(report.findings.len(), 1, "{report}");
        assert_eq!(report.findings[0].place, "GET /pets → 200 → tag");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "openapi-drift-bundle-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
