//! Request and response bodies: what a body holds, in which media type, and how the generated
//! code reads and answers it.

use super::*;
use heck::ToPascalCase;
use openapiv3::{Components, ReferenceOr, RequestBody};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// What a body holds, in which media type.
#[derive(Debug, Clone)]
pub(super) enum BodyType {
    /// JSON of a generated type (a component, or one hoisted from an inline schema), in the
    /// JSON media type given (`application/json`, or a `+json` one such as
    /// `application/problem+json`).
    Model(Ident, String),
    /// Any JSON value (a JSON media type without a schema), in the media type given.
    Any(String),
    /// `multipart/form-data` of a generated form type (request bodies only).
    Multipart(Ident),
    /// A generated type sent as JSON (in the media type given) or as a form, as the request's
    /// `Content-Type` says (request bodies only).
    JsonOrForm(Ident, String),
    /// `application/x-www-form-urlencoded` of a generated type (request bodies only).
    Form(Ident),
    /// The same, with objects inside written with brackets (`address[city]=Oslo`), as the
    /// media type's `encoding` declares them (`style: deepObject`).
    NestedForm(Ident),
    /// A generated enum of the body in each media type the document offers it in, as different
    /// schemas (JSON or multipart, JSON or text): read as the request's `Content-Type` says,
    /// by its generated reader (request bodies only).
    Alternatives {
        ident: Ident,
        reader: Ident,
        media: Vec<(String, BodyType)>,
    },
    /// Text in the media type given (`text/*`, XML), as a `String`.
    Text(String),
    /// Bytes in the media type given (`application/octet-stream`, images ...).
    Binary(String),
}

impl BodyType {
    /// The type, as a path valid in every generated module.
    pub(super) fn tokens(&self) -> TokenStream {
        match self {
            Self::Model(ident, _)
            | Self::Form(ident)
            | Self::NestedForm(ident)
            | Self::Multipart(ident)
            | Self::Alternatives { ident, .. }
            | Self::JsonOrForm(ident, _) => quote! { crate::models::#ident },
            Self::Any(_) => quote! { serde_json::Value },
            Self::Text(_) => quote! { String },
            Self::Binary(_) => quote! { Vec<u8> },
        }
    }

    /// The type utoipa documents the body as: a binary body as OpenAPI 3.0 says one, a string
    /// of format `binary` (not the array of integers a `Vec<u8>` is).
    pub(super) fn documented(&self) -> TokenStream {
        match self {
            Self::Binary(_) => quote! { inline(crate::operations::BinaryContent) },
            _ => self.tokens(),
        }
    }

    /// The media type, as documented.
    pub(super) fn media_type(&self) -> &str {
        match self {
            Self::Form(_) | Self::NestedForm(_) => FORM,
            Self::Alternatives { media, .. } => media.first().map_or(JSON, |(media, _)| media),
            Self::Multipart(_) => MULTIPART,
            Self::Model(_, media)
            | Self::Any(media)
            | Self::Text(media)
            | Self::Binary(media)
            | Self::JsonOrForm(_, media) => media,
        }
    }

    /// The response of `status` with the body in `body`.
    pub(super) fn response(&self, status: &TokenStream) -> TokenStream {
        match self {
            Self::Model(_, media) | Self::Any(media) if media != JSON => quote! {
                (#status, [(axum::http::header::CONTENT_TYPE, #media)], axum::Json(body)).into_response()
            },
            // (Refused in responses.)
            Self::Model(..)
            | Self::Any(_)
            | Self::Form(_)
            | Self::NestedForm(_)
            | Self::Multipart(_)
            | Self::Alternatives { .. }
            | Self::JsonOrForm(..) => {
                quote! { (#status, axum::Json(body)).into_response() }
            }
            Self::Text(media) | Self::Binary(media) => quote! {
                (#status, [(axum::http::header::CONTENT_TYPE, #media)], body).into_response()
            },
        }
    }

    /// The extractor's type.
    pub(super) fn reader(&self, required: bool) -> TokenStream {
        let ty = self.tokens();
        let reader = match self {
            Self::Model(..) | Self::Any(_) => quote! { ::stubgen_runtime::JsonBody<#ty> },
            Self::Form(_) => quote! { ::stubgen_runtime::FormBody<#ty> },
            Self::NestedForm(_) => quote! { ::stubgen_runtime::NestedFormBody<#ty> },
            Self::Alternatives { reader, .. } => quote! { crate::models::#reader },
            Self::Multipart(_) => quote! { ::stubgen_runtime::MultipartBody<#ty> },
            Self::JsonOrForm(..) => quote! { ::stubgen_runtime::JsonOrFormBody<#ty> },
            Self::Text(media) => {
                let marker = media_marker(media);
                quote! { ::stubgen_runtime::TextBody<crate::operations::#marker> }
            }
            Self::Binary(media) => {
                let marker = media_marker(media);
                quote! { ::stubgen_runtime::BinaryBody<crate::operations::#marker> }
            }
        };
        if required {
            reader
        } else {
            quote! { ::stubgen_runtime::OptionalBody<#reader> }
        }
    }

    /// The value the service receives from what [`Self::extractor`] bound.
    pub(super) fn argument(required: bool) -> TokenStream {
        if required {
            quote! { body.0 }
        } else {
            quote! { body.0.map(|body| body.0) }
        }
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";

/// The marker type that names a request media type (`application/octet-stream` is
/// `MediaApplicationOctetStream`, `*/*` is `MediaAny`).
pub(super) fn media_marker(media: &str) -> Ident {
    let words = media
        .split(';')
        .next()
        .unwrap_or_default()
        .replace('*', "any")
        .to_pascal_case();
    format_ident!("Media{words}")
}
pub(super) fn json_body(
    body: &ReferenceOr<RequestBody>,
    components: &Components,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<JsonBody, GenerateError> {
    let (body, pointer) = resolve_component(body, "requestBodies", pointer.clone(), |name| {
        components.request_bodies.get(name)
    })?;
    let ty = request_body_type(&body.content, &pointer.join("content"), hint, hoisted)?
        .ok_or_else(|| unsupported(&pointer, "a request body without content"))?;
    Ok(JsonBody {
        ty,
        required: body.required,
        description: body.description.clone(),
    })
}

/// The body type of a request's content map. A request in several media types is read in
/// each: JSON and a form of one schema are, by the request's `Content-Type`; any other set is
/// refused, never narrowed to one of them silently.
fn request_body_type(
    content: &openapiv3::Content,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<Option<BodyType>, GenerateError> {
    if content.len() < 2 {
        return single_json_schema(content, pointer, hint, hoisted);
    }
    let essence = |media: &str| {
        media
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let json = content
        .iter()
        .find(|(media, _)| essence(media) == JSON || essence(media).ends_with("+json"));
    let form = content.iter().find(|(media, _)| essence(media) == FORM);
    match (content.len(), json, form) {
        (2, Some((json_media, json)), Some((form_media, form))) if json.schema == form.schema => {
            if let Some(schema) = &form.schema {
                let schema_pointer = pointer.join(form_media).join("schema");
                if let Some((_, member)) =
                    nested_form_members(schema, &schema_pointer, hoisted)?.first()
                {
                    return Err(unsupported(
                        member,
                        "an object inside a form body that is also JSON",
                    ));
                }
            }
            let mut only_json = openapiv3::Content::new();
            only_json.insert(json_media.clone(), json.clone());
            match single_json_schema(&only_json, pointer, hint, hoisted)? {
                Some(BodyType::Model(ident, media)) => Ok(Some(BodyType::JsonOrForm(ident, media))),
                _ => Err(unsupported(
                    pointer,
                    "a JSON and form body without a schema",
                )),
            }
        }
        _ => alternatives(content, pointer, hint, hoisted).map(Some),
    }
}

/// A body the document offers in several media types of different schemas: an enum with a
/// variant per media type, and a reader that reads the one the request's `Content-Type` names
/// (the most specific first: `*/*` last), 415 naming them all otherwise.
fn alternatives(
    content: &openapiv3::Content,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<BodyType, GenerateError> {
    let mut media = Vec::new();
    for (media_type, item) in content {
        let mut one = openapiv3::Content::new();
        one.insert(media_type.clone(), item.clone());
        let words = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .replace('*', "any")
            .to_pascal_case();
        let body = single_json_schema(&one, pointer, &format!("{hint}{words}"), hoisted)?
            .unwrap_or_else(|| BodyType::Any(media_type.clone()));
        if matches!(
            body,
            BodyType::Alternatives { .. } | BodyType::JsonOrForm(..)
        ) {
            return Err(unsupported(
                pointer,
                "a body of alternatives inside alternatives",
            ));
        }
        media.push((media_type.clone(), body));
    }
    // The most specific media type is tried first: a range after the types it covers.
    let rank = |media: &str| {
        match media
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "*/*" => 3,
            range if range.ends_with("/*") => 2,
            // It takes any JSON type: after the `+json` ones named on their own.
            JSON => 1,
            _ => 0,
        }
    };
    media.sort_by_key(|(media, _)| rank(media));
    let ident = hoisted.name(hint);
    let reader = hoisted.name(&format!("{hint}Reader"));
    let mut variants = Vec::new();
    let mut reads = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (media_type, body) in &media {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        let base = match essence {
            JSON => "Json".to_owned(),
            FORM => "Form".to_owned(),
            MULTIPART => "Multipart".to_owned(),
            other => pascal_name(&other.replace('*', "any"), "Media"),
        };
        let mut name = base.clone();
        let mut suffix = 1;
        while !names.insert(name.clone()) {
            suffix += 1;
            name = format!("{base}{suffix}");
        }
        let variant = format_ident!("{name}");
        let ty = body.tokens();
        let doc = format!(" As `{media_type}`.");
        variants.push(quote! { #[doc = #doc] #variant(#ty), });
        let inner = body.reader(true);
        // Without parameters and lower-cased, as the runtime reads the request's `Content-Type`.
        let sent_in = essence.to_ascii_lowercase();
        reads.push(quote! {
            if ::stubgen_runtime::sent_in(&request, #sent_in) {
                return <#inner as axum::extract::FromRequest<S>>::from_request(request, state)
                    .await
                    .map(|body| Self(#ident::#variant(body.0)));
            }
        });
    }
    let all = media
        .iter()
        .map(|(media, _)| media.as_str())
        .collect::<Vec<_>>()
        .join(" or ");
    let doc = format!(" The request body, in each media type the document offers it in: {all}.");
    let reader_doc =
        format!(" Reads [`{ident}`] as the request's `Content-Type` says; 415 for another.");
    hoisted.items.push(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #ident {
            #(#variants)*
        }

        #[doc = #reader_doc]
        #[derive(Debug)]
        pub struct #reader(pub #ident);

        impl<S: Send + Sync> axum::extract::FromRequest<S> for #reader {
            type Rejection = ::stubgen_runtime::BodyRejection;

            async fn from_request(
                request: axum::extract::Request,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                #(#reads)*
                Err(::stubgen_runtime::BodyRejection::unsupported_media_type(#all))
            }
        }
    });
    Ok(BodyType::Alternatives {
        ident,
        reader,
        media,
    })
}

/// The body type of a content map: its one media type, or its JSON one when a response offers
/// several (any documented representation is a valid answer). A JSON or form body is the
/// `$ref`'d component, a type hoisted from its inline schema (named from `hint`), or any JSON
/// value when it has no schema.
pub(super) fn single_json_schema(
    content: &openapiv3::Content,
    pointer: &Pointer,
    hint: &str,
    hoisted: &mut Hoisted,
) -> Result<Option<BodyType>, GenerateError> {
    let is_json = |media: &str| {
        let essence = media
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        essence == JSON || essence.ends_with("+json")
    };
    let (media_type, media) = match content.len() {
        0 => return Ok(None),
        1 => content.iter().next().expect("one media type"),
        // `application/json` itself before another JSON type.
        _ => content
            .iter()
            .find(|(media, _)| media.as_str() == JSON)
            .or_else(|| content.iter().find(|(media, _)| is_json(media)))
            .ok_or_else(|| unsupported(pointer, "several media types, none of them JSON"))?,
    };
    let schema_pointer = pointer.join(media_type).join("schema");
    let model = |hoisted: &mut Hoisted| -> Result<Option<Ident>, GenerateError> {
        Ok(match &media.schema {
            Some(ReferenceOr::Reference { reference }) => {
                Some(schema_ref_type(reference, &schema_pointer)?)
            }
            Some(ReferenceOr::Item(schema)) => {
                Some(named_inline_type(schema, &schema_pointer, hint, hoisted)?)
            }
            None => None,
        })
    };
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let essence = essence.as_str();
    Ok(Some(if is_json(media_type) {
        // Kept as documented, parameters and all: the answer says what the document says.
        let media = media_type.clone();
        match model(hoisted)? {
            Some(model) => BodyType::Model(model, media),
            None => BodyType::Any(media),
        }
    } else if essence == FORM {
        let nested = match &media.schema {
            Some(schema) => nested_form_members(schema, &schema_pointer, hoisted)?,
            None => Vec::new(),
        };
        // Each object inside must say how it is written: with brackets (`deepObject`), the
        // one way a server can read back.
        if let Some((_, member)) = nested.iter().find(|(name, _)| {
            media
                .encoding
                .get(name)
                .and_then(|encoding| encoding.style.as_ref())
                != Some(&openapiv3::QueryStyle::DeepObject)
        }) {
            return Err(unsupported(
                member,
                "an object inside an application/x-www-form-urlencoded body without `encoding: {style: deepObject}` (a form has no standard encoding of one)",
            ));
        }
        let model = model(hoisted)?
            .ok_or_else(|| unsupported(&schema_pointer, "a form body without a schema"))?;
        if nested.is_empty() {
            BodyType::Form(model)
        } else {
            BodyType::NestedForm(model)
        }
    } else if essence.starts_with("text/") || essence.ends_with("/xml") || essence.ends_with("+xml")
    {
        BodyType::Text(media_type.clone())
    } else if essence == MULTIPART {
        let schema = media
            .schema
            .as_ref()
            .ok_or_else(|| unsupported(pointer, "a multipart/form-data body without a schema"))?;
        BodyType::Multipart(multipart_form(schema, &schema_pointer, hint, hoisted)?)
    } else {
        BodyType::Binary(media_type.clone())
    }))
}

/// The members of a form body that are objects or arrays of objects (their names and pointers),
/// which `application/x-www-form-urlencoded` has no standard encoding of (`a[b]=` and `a.b=`
/// are each some framework's).
fn nested_form_members(
    schema: &ReferenceOr<openapiv3::Schema>,
    pointer: &Pointer,
    hoisted: &Hoisted,
) -> Result<Vec<(String, Pointer)>, GenerateError> {
    nested_form_members_within(schema, pointer, hoisted, &mut Vec::new())
}

/// [`nested_form_members`], through the components `seen` on the way (an `allOf` may reach
/// itself through them: each is looked into once).
fn nested_form_members_within(
    schema: &ReferenceOr<openapiv3::Schema>,
    pointer: &Pointer,
    hoisted: &Hoisted,
    seen: &mut Vec<String>,
) -> Result<Vec<(String, Pointer)>, GenerateError> {
    use openapiv3::{SchemaKind, Type};
    if let ReferenceOr::Reference { reference } = schema {
        if seen.contains(reference) {
            return Ok(Vec::new());
        }
        seen.push(reference.clone());
    }
    let (schema, pointer) = super::multipart::resolved(schema, pointer, hoisted)?;
    let properties = match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => &object.properties,
        SchemaKind::Any(any) => &any.properties,
        SchemaKind::AllOf { all_of } => {
            let mut nested = Vec::new();
            for (index, branch) in all_of.iter().enumerate() {
                let branch_pointer = pointer.join("allOf").join(index.to_string());
                nested.extend(nested_form_members_within(
                    branch,
                    &branch_pointer,
                    hoisted,
                    seen,
                )?);
            }
            return Ok(nested);
        }
        _ => return Ok(Vec::new()),
    };
    let mut nested = Vec::new();
    for (name, property) in properties {
        let property_pointer = pointer.join("properties").join(name);
        let (property, _) =
            super::multipart::resolved(&property.clone().unbox(), &property_pointer, hoisted)?;
        if super::multipart::is_object(&property)
            || super::multipart::items_are_objects(&property, hoisted)
        {
            nested.push((name.clone(), property_pointer));
        }
    }
    Ok(nested)
}
