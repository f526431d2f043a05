//! The readers the generated handlers call, one per part of a request. Each answers what it
//! refuses as a [`crate::BodyRejection`]: the status HTTP asks for, and a message that names
//! the parameter or member without echoing its value.

mod binary;
mod cookie;
mod form;
mod form_text;
mod header;
mod json;
mod json_or_form;
mod media;
mod messages;
mod multipart;
mod nested_form;
mod nul_character;
mod optional;
mod params;
mod path;
mod query;
pub mod strict;
pub mod styles;
mod text;

pub use binary::BinaryBody;
pub use cookie::CookieParams;
pub use form::FormBody;
pub use header::HeaderParams;
pub use json::JsonBody;
pub use json_or_form::JsonOrFormBody;
pub(crate) use media::unsupported_media_type;
pub use media::{MediaType, sent_in};
pub use multipart::{FilePart, FromMultipart, MultipartBody, MultipartParts};
pub use nested_form::NestedFormBody;
pub use optional::OptionalBody;
pub use path::PathParams;
pub use query::QueryParams;
pub use styles::{ParamStyle, ParamStyles, Style};
pub use text::TextBody;
