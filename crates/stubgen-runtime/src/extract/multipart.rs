//! `multipart/form-data` request bodies: files and fields, each part read as its schema says.

use axum::http::StatusCode;

use super::media::{media_type, unsupported_media_type};
use crate::BodyRejection;

/// A file sent as one part of a `multipart/form-data` body (a `type: string, format: binary`
/// property), as the client named and typed it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilePart {
    /// The part's `filename`, when the client gave one: the client's word (`../../etc/passwd`
    /// is a file name too), never a path to write to as it is.
    pub file_name: Option<String>,
    /// The part's own `Content-Type`, when the client gave one.
    pub content_type: Option<String>,
    pub bytes: axum::body::Bytes,
}

/// A type a `multipart/form-data` body reads into: the generated form types implement it.
pub trait FromMultipart: Sized {
    /// The value of the parts read, or why they do not make one (the part named).
    fn from_parts(parts: MultipartParts) -> Result<Self, String>;
}

/// The parts of a body, by name, in the order they came.
#[derive(Debug, Default)]
pub struct MultipartParts {
    parts: Vec<(String, Part)>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    File(FilePart),
}

impl MultipartParts {
    /// Takes every part named `name`.
    fn take(&mut self, name: &str) -> Vec<Part> {
        let (taken, kept) = std::mem::take(&mut self.parts)
            .into_iter()
            .partition(|(part, _)| part == name);
        self.parts = kept;
        taken.into_iter().map(|(_, part)| part).collect()
    }

    /// The file part `name`, if sent; sent twice is an error.
    pub fn file(&mut self, name: &str) -> Result<Option<FilePart>, String> {
        single(name, self.files(name)?)
    }

    /// Every file part `name` (an array of files).
    pub fn files(&mut self, name: &str) -> Result<Vec<FilePart>, String> {
        Ok(self
            .take(name)
            .into_iter()
            .map(|part| match part {
                Part::File(file) => file,
                // A file sent without a filename is still its bytes.
                Part::Text(text) => FilePart {
                    bytes: text.into_bytes().into(),
                    ..FilePart::default()
                },
            })
            .collect())
    }

    /// The field `name` of a string type (a string, a string enum) read from its text, if
    /// sent; sent twice is an error.
    pub fn text<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, String> {
        single(name, self.texts(name)?)
    }

    /// Every field `name` of a string type (an array sent as repeated parts).
    pub fn texts<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Result<Vec<T>, String> {
        self.read(name, |text| {
            if text.contains('\0') {
                return Err("contains a NUL character".to_owned());
            }
            serde_json::from_value(serde_json::Value::String(text.to_owned()))
                .map_err(|err| super::messages::public(&err.to_string()))
        })
    }

    /// The field `name` of another type (a number, a boolean or an array) read from its text
    /// as JSON, if sent; sent twice is an error.
    pub fn value<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, String> {
        single(name, self.values(name)?)
    }

    /// Every field `name` of another type, each read as JSON.
    pub fn values<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Result<Vec<T>, String> {
        self.read(name, |text| json_value(text, false))
    }

    /// The field `name` of an object type, read from its text as a JSON object (serde would
    /// also build one from an array of its fields), if sent; sent twice is an error.
    pub fn object<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, String> {
        single(name, self.objects(name)?)
    }

    /// Every field `name` of an object type, each read as a JSON object.
    pub fn objects<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Vec<T>, String> {
        self.read(name, |text| json_value(text, true))
    }

    fn read<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.take(name)
            .into_iter()
            .map(|part| {
                let text = match part {
                    Part::Text(text) => text,
                    Part::File(file) => String::from_utf8(file.bytes.to_vec())
                        .map_err(|_| format!("`{name}` is not UTF-8 text"))?,
                };
                parse(&text).map_err(|err| format!("`{name}`: {err}"))
            })
            .collect()
    }

    /// The names of the parts not taken, for a form that allows no others.
    pub fn unread(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().map(|(name, _)| name.as_str())
    }

    /// `Ok` when every part was taken; else the first other one named (its name cut short), for
    /// a form that allows no others (`additionalProperties: false`).
    pub fn none_unread(&self) -> Result<(), String> {
        match self.unread().next() {
            None => Ok(()),
            Some(name) => {
                let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
                Err(format!("`{shown}` is not a part of this form"))
            }
        }
    }
}

/// A part's text read as JSON into `T`: an object when `object`, and no NUL character in any
/// string (no value the service reads may hold one).
fn json_value<T: serde::de::DeserializeOwned>(text: &str, object: bool) -> Result<T, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| super::messages::public(&err.to_string()))?;
    if object && !value.is_object() {
        return Err("expected a JSON object".to_owned());
    }
    if let Some(pointer) = super::nul_character::first_nul_character(&value, &mut String::new()) {
        return Err(format!("{pointer} contains a NUL character"));
    }
    serde_path_to_error::deserialize(super::strict::Strict(value))
        .map_err(|err| super::messages::at_path(&err))
}

/// The one value of a part that may be sent once.
fn single<T>(name: &str, mut values: Vec<T>) -> Result<Option<T>, String> {
    match values.len() {
        0 | 1 => Ok(values.pop()),
        _ => Err(format!("`{name}` is sent more than once")),
    }
}

/// A `multipart/form-data` request body read into `T` and checked against its schema: 415 for
/// another content type, 413 past the body limit, 400 for a body that does not read or that the
/// schema refuses (the part named). Every part is held in memory until the body has been read,
/// so the body limit bounds what a request may hold: axum's `DefaultBodyLimit`, 2 MB unless the
/// router sets another (`.layer(axum::extract::DefaultBodyLimit::max(bytes))`). A part's name
/// and file name are the client's words, bounded only by that limit: never use a file name as
/// a path.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipartBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for MultipartBody<T>
where
    T: FromMultipart + crate::validate::Validate,
    S: Send + Sync,
{
    type Rejection = BodyRejection;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        const MULTIPART: &str = "multipart/form-data";
        if media_type(&request).as_deref() != Some(MULTIPART) {
            return Err(unsupported_media_type(MULTIPART));
        }
        let invalid = |message: String| BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: format!("Invalid request body: {message}"),
        };
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|rejection| invalid(rejection.body_text()))?;
        let mut parts = MultipartParts::default();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(err) => return Err(read_error(&err)),
            };
            let Some(name) = field.name().map(str::to_owned) else {
                return Err(invalid("a part without a name".to_owned()));
            };
            let file_name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|err| read_error(&err))?;
            let part = if file_name.is_some() {
                Part::File(FilePart {
                    file_name,
                    content_type,
                    bytes,
                })
            } else {
                match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => Part::Text(text),
                    Err(_) => Part::File(FilePart {
                        file_name,
                        content_type,
                        bytes,
                    }),
                }
            };
            parts.parts.push((name, part));
        }
        let body = T::from_parts(parts).map_err(invalid)?;
        body.validate().map_err(|err| invalid(err.to_string()))?;
        Ok(Self(body))
    }
}

/// 413 when the body is past its limit, else 400.
fn read_error(err: &axum::extract::multipart::MultipartError) -> BodyRejection {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        BodyRejection {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: "Request body too large".to_owned(),
        }
    } else {
        BodyRejection {
            status: StatusCode::BAD_REQUEST,
            message: format!("Invalid request body: {}", err.body_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_reads_as_the_type_its_schema_says() {
        let mut parts = MultipartParts {
            parts: vec![
                ("name".to_owned(), Part::Text("42".to_owned())),
                ("size".to_owned(), Part::Text("42".to_owned())),
                ("tag".to_owned(), Part::Text("a".to_owned())),
                ("tag".to_owned(), Part::Text("b".to_owned())),
                ("meta".to_owned(), Part::Text(r#"{"k":1}"#.to_owned())),
            ],
        };
        assert_eq!(parts.text::<String>("name"), Ok(Some("42".to_owned())));
        assert_eq!(parts.value::<i64>("size"), Ok(Some(42)));
        assert_eq!(
            parts.texts::<String>("tag"),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            parts.value::<serde_json::Value>("meta"),
            Ok(Some(serde_json::json!({"k": 1})))
        );
        assert_eq!(parts.value::<bool>("absent"), Ok(None));
        assert_eq!(parts.unread().count(), 0);
    }

    #[test]
    fn a_part_sent_twice_or_of_another_type_is_named() {
        let mut parts = MultipartParts {
            parts: vec![
                ("size".to_owned(), Part::Text("big".to_owned())),
                ("file".to_owned(), Part::Text("x".to_owned())),
                ("file".to_owned(), Part::Text("y".to_owned())),
            ],
        };
        assert!(parts.value::<i64>("size").unwrap_err().contains("`size`"));
        assert!(parts.file("file").unwrap_err().contains("more than once"));
    }
}
