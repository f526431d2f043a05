//! What query and header parameters share: form-encoded pairs read into a generated struct.

use axum::http::StatusCode;

use super::nul_character::first_nul_character;
use crate::BodyRejection;

/// Reads form-encoded parameters into `T`, each styled one first in its plain shape, and checks
/// them; a failure names the parameter.
pub(crate) fn read_params<T>(encoded: &[u8], what: &str) -> Result<T, BodyRejection>
where
    T: serde::de::DeserializeOwned
        + serde::Serialize
        + crate::validate::Validate
        + super::styles::ParamStyles,
{
    let invalid = |message: String| BodyRejection {
        status: StatusCode::BAD_REQUEST,
        message: format!("Invalid {what}: {message}"),
    };
    if let Some(message) = super::form_text::not_utf8(encoded) {
        return Err(invalid(message));
    }
    let pairs: Vec<(String, String)> =
        serde_html_form::from_bytes(encoded).map_err(|err| invalid(err.to_string()))?;
    // OpenAPI allows no empty value unless a parameter says `allowEmptyValue`; serde_html_form
    // would read one as absent.
    if let Some((name, _)) = pairs
        .iter()
        .find(|(name, value)| value.is_empty() && !super::styles::allows_empty(name, T::STYLES))
    {
        let name: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
        return Err(invalid(format!("{name}: an empty value")));
    }
    let plain = super::styles::normalize(pairs, T::STYLES).map_err(invalid)?;
    let encoded = serde_html_form::to_string(&plain).map_err(|err| invalid(err.to_string()))?;
    let encoded = encoded.as_bytes();
    // serde_path_to_error names the parameter that failed.
    let deserializer = serde_html_form::Deserializer::from_bytes(encoded);
    let params: T = serde_path_to_error::deserialize(deserializer)
        .map_err(|err| invalid(super::messages::at_path(&err)))?;
    params.validate().map_err(|err| invalid(err.to_string()))?;
    let kept = serde_json::to_value(&params).map_err(|err| invalid(err.to_string()))?;
    if let Some(pointer) = first_nul_character(&kept, &mut String::new()) {
        let name = pointer.trim_start_matches('/');
        return Err(invalid(format!("{name} contains a NUL character")));
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use axum::extract::FromRequestParts as _;

    use axum::http::StatusCode;

    use crate::{HeaderParams, QueryParams};

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Params {
        #[serde(rename = "x-budget", default)]
        budget: Option<i32>,
        #[serde(default)]
        tag: Vec<String>,
    }

    impl crate::extract::ParamStyles for Params {}

    impl crate::Validate for Params {
        fn validate(&self) -> Result<(), crate::ValidationError> {
            match self.budget {
                Some(budget) => {
                    crate::validate::range("x-budget", i128::from(budget), None, Some(10))
                }
                None => Ok(()),
            }
        }
    }

    async fn parts(request: axum::http::Request<()>) -> axum::http::request::Parts {
        request.into_parts().0
    }

    #[tokio::test]
    async fn query_lists_and_headers_are_read_and_checked_naming_the_parameter() {
        let mut ok = parts(
            axum::http::Request::get("/x?tag=a&tag=b")
                .header("X-Budget", "7")
                .body(())
                .unwrap(),
        )
        .await;
        let QueryParams(query) = QueryParams::<Params>::from_request_parts(&mut ok, &())
            .await
            .unwrap();
        assert_eq!(query.tag, ["a", "b"]);
        let HeaderParams(headers) = HeaderParams::<Params>::from_request_parts(&mut ok, &())
            .await
            .unwrap();
        assert_eq!(headers.budget, Some(7));

        let mut empty = parts(axum::http::Request::get("/x?x-budget=").body(()).unwrap()).await;
        let rejection = QueryParams::<Params>::from_request_parts(&mut empty, &())
            .await
            .unwrap_err();
        assert!(
            rejection.message.contains("x-budget: an empty value"),
            "{}",
            rejection.message
        );

        let mut bad = parts(
            axum::http::Request::get("/x?tag=%00")
                .header("x-budget", "11")
                .body(())
                .unwrap(),
        )
        .await;
        let rejection = HeaderParams::<Params>::from_request_parts(&mut bad, &())
            .await
            .unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
        assert!(
            rejection.message.contains("x-budget"),
            "{}",
            rejection.message
        );
        let rejection = QueryParams::<Params>::from_request_parts(&mut bad, &())
            .await
            .unwrap_err();
        assert!(rejection.message.contains("NUL"), "{}", rejection.message);
    }
}
