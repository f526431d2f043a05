//! Laying generated tokens out as source text.

use std::{
    io::Write as _,
    process::{Command, Stdio},
};

use crate::{Error, Format};

/// prettyplease lays the tokens out; with [`Format::Rustfmt`], rustfmt then makes them exactly
/// what `cargo fmt` keeps, so checked-in files stay fresh under both.
pub(crate) fn format_rust(
    tokens: proc_macro2::TokenStream,
    header: &str,
    format: Format,
) -> Result<String, Error> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|err| Error::Format(format!("invalid Rust emitted: {err}")))?;
    let unformatted = format!("{header}{}", prettyplease::unparse(&file));
    match format {
        Format::Prettyplease => Ok(unformatted),
        Format::Rustfmt => rustfmt(&unformatted),
    }
}

fn rustfmt(text: &str) -> Result<String, Error> {
    let failed = |what: &str, err: &dyn std::fmt::Display| Error::Format(format!("{what}: {err}"));
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            failed(
                "cannot run rustfmt (install it with `rustup component add rustfmt`, or use Format::Prettyplease)",
                &err,
            )
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Format("rustfmt's input is not piped".to_owned()))?;
    stdin
        .write_all(text.as_bytes())
        .map_err(|err| failed("cannot feed rustfmt", &err))?;
    drop(stdin);
    let output = child
        .wait_with_output()
        .map_err(|err| failed("rustfmt did not finish", &err))?;
    if !output.status.success() {
        return Err(Error::Format(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout).map_err(|err| failed("rustfmt printed invalid UTF-8", &err))
}
