//! A standalone crate of stubs for any document: `Cargo.toml`, `src/lib.rs` and the three
//! generated modules, depending on `stubgen-runtime` instead of carrying copies of it.

use std::path::{Path, PathBuf};

use crate::{Error, Generator};

/// What the generated code itself names, beside the runtime; versions as this generator's own
/// workspace builds them.
const DEPENDENCIES: &[&str] = &[
    r#"axum = { version = "0.8.9", default-features = false, features = ["json"] }"#,
    r#"chrono = { version = "0.4", default-features = false, features = ["clock", "serde", "std"] }"#,
    r#"regex = "1""#,
    r#"regress = "0.12""#,
    r#"serde = { version = "1", features = ["derive"] }"#,
    r#"serde_json = "1""#,
    r#"utoipa = { version = "6", features = ["chrono"] }"#,
];

/// With [`crate::Options::derive_json_schema`].
const SCHEMARS: &str = r#"schemars = { version = "0.8", features = ["chrono"] }"#;

/// Where the generated crate takes `stubgen-runtime` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A path to the runtime's source.
    Path(PathBuf),
    /// A version from a registry.
    Version(String),
}

impl Runtime {
    /// The runtime beside this generator's source (`crates/stubgen-runtime`).
    pub fn beside_the_generator() -> Self {
        let generator = Path::new(env!("CARGO_MANIFEST_DIR"));
        Self::Path(
            generator
                .parent()
                .unwrap_or(generator)
                .join("stubgen-runtime"),
        )
    }

    fn dependency(&self) -> String {
        match self {
            Self::Path(path) => format!(
                "stubgen-runtime = {{ path = {:?} }}",
                path.display().to_string()
            ),
            Self::Version(version) => format!("stubgen-runtime = {version:?}"),
        }
    }
}

/// The crate around the generated modules.
#[derive(Debug, Clone)]
pub struct CrateOptions {
    /// The package name.
    pub name: String,
    /// How the document is named in the crate's docs.
    pub spec_name: String,
    pub runtime: Runtime,
    /// A `[workspace]` table of its own, so the crate builds wherever it is written, even inside
    /// another workspace's folders.
    pub own_workspace: bool,
}

/// A generated crate: its files, and what [`crate::Options::skip_unsupported`] left out (also
/// listed in its `src/lib.rs` docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedCrate {
    pub files: Vec<CrateFile>,
    pub left_out: Vec<crate::LeftOut>,
}

/// One file of a generated crate, relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateFile {
    pub path: PathBuf,
    pub contents: String,
}

impl Generator {
    /// Every file of a crate of stubs for the document `text` (JSON or YAML).
    pub fn generate_crate(
        &self,
        text: &str,
        krate: &CrateOptions,
    ) -> Result<GeneratedCrate, Error> {
        self.crate_of(&crate::read_document(text)?, krate)
    }

    /// Every file of a crate of stubs for the document in `file`, with the files its `$ref`s
    /// name beside it.
    pub fn generate_crate_from_file(
        &self,
        file: &std::path::Path,
        krate: &CrateOptions,
    ) -> Result<GeneratedCrate, Error> {
        self.crate_of(&self.read_file(file)?, krate)
    }

    fn crate_of(
        &self,
        spec: &openapiv3::OpenAPI,
        krate: &CrateOptions,
    ) -> Result<GeneratedCrate, Error> {
        let options = self.options();
        let header = &options.header;
        let mut dependencies: Vec<String> =
            DEPENDENCIES.iter().map(|line| (*line).to_owned()).collect();
        if options.derive_json_schema {
            dependencies.push(SCHEMARS.to_owned());
        }
        dependencies.push(krate.runtime.dependency());
        dependencies.sort();
        let comment: String = header
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| format!("# {}\n", line.trim_start_matches('/').trim()))
            .collect();
        let workspace = if krate.own_workspace {
            "\n# A workspace of its own, wherever it is written.\n[workspace]\n"
        } else {
            ""
        };
        let manifest = format!(
            "{comment}[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{}\n{workspace}",
            krate.name,
            dependencies.join("\n"),
        );
        let api_trait = &options.api_trait;
        let generated = self.generate_all(spec)?;
        let left_out: String = if generated.left_out.is_empty() {
            String::new()
        } else {
            let list: String = generated
                .left_out
                .iter()
                .map(|item| {
                    format!(
                        "//! - `{}`: {}\n",
                        item.pointer,
                        item.reason.replace('\n', " ")
                    )
                })
                .collect();
            format!("//!\n//! Left out (`skip_unsupported`):\n{list}")
        };
        let lib = format!(
            "{header}//! Server stubs generated from `{}`: implement [`{api_trait}`] and mount [`router()`].\n\
             {left_out}\
             \n\
             pub mod models;\n\
             pub mod operations;\n\
             pub mod router;\n\
             \n\
             pub use operations::{api_trait};\n\
             pub use router::{{ApiDoc, openapi, router}};\n",
            krate.spec_name
        );
        let mut files = vec![
            CrateFile {
                path: PathBuf::from("Cargo.toml"),
                contents: manifest,
            },
            CrateFile {
                path: PathBuf::from("src/lib.rs"),
                contents: lib,
            },
        ];
        for file in generated.files {
            files.push(CrateFile {
                path: Path::new("src").join(file.name),
                contents: file.contents,
            });
        }
        Ok(GeneratedCrate {
            files,
            left_out: generated.left_out,
        })
    }
}

/// A package name from a folder's name: lower case, `-` for anything not alphanumeric, and
/// `stubs-` in front when it would not start with a letter.
pub fn crate_name(folder: &Path) -> String {
    let name: String = folder
        .file_name()
        .map(|name| name.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    match name.chars().next() {
        // `--out gen` must not make a crate that `use gen::…` cannot name.
        Some(_) if crate::generate::unusable_crate_name(&name.replace('-', "_")) => {
            format!("{name}-stubs")
        }
        Some(first) if first.is_ascii_alphabetic() => name.to_owned(),
        Some(_) => format!("stubs-{name}"),
        None => "stubs".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::crate_name;
    use std::path::Path;

    #[test]
    fn a_crate_is_named_after_its_folder_as_rust_can_use_it() {
        for (folder, name) in [
            ("out/My Stubs", "my-stubs"),
            ("out/2026-api", "stubs-2026-api"),
            ("out/gen", "gen-stubs"),
            ("out/core", "core-stubs"),
            ("out/self", "self-stubs"),
            ("out/---", "stubs"),
        ] {
            assert_eq!(crate_name(Path::new(folder)), name, "{folder}");
        }
    }
}
