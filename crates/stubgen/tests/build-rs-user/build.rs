//! Generates the server stubs of `todo.yaml` into `OUT_DIR` at every build that sees it change.

use std::{env, fs, path::Path};

fn main() {
    let document = "todo.yaml";
    println!("cargo:rerun-if-changed={document}");
    let text = fs::read_to_string(document).expect("todo.yaml reads");
    let generator = stubgen::Generator::new(stubgen::Options {
        api_trait: "TodoApi".to_owned(),
        // No rustfmt process in a build script.
        format: stubgen::Format::Prettyplease,
        ..stubgen::Options::default()
    });
    let files = generator
        .generate_document(&text)
        .unwrap_or_else(|err| panic!("{document}: {err}"));
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for file in files {
        fs::write(Path::new(&out).join(file.name), file.contents).expect("OUT_DIR is writable");
    }
}
