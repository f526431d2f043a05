//! Parameter serialization styles (OpenAPI 3.0 §4.7.12.4): what a parameter looks like on the
//! wire when it is not a plain `name=value` (repeated for an array). The readers turn each
//! styled parameter back into that plain shape before reading the operation's struct: a
//! delimited array into repeated pairs, an object into one pair whose value is its own
//! form-encoded properties, read by [`form_object`].

use serde::{Deserialize as _, de::DeserializeOwned};

/// How one parameter is serialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// An array in one value, its items separated by the character: `,` for `form` or `simple`
    /// with `explode: false`, ` ` for `spaceDelimited`, `|` for `pipeDelimited`.
    Delimited(char),
    /// An object as `name[property]=value` pairs (`deepObject`).
    DeepObject,
    /// An array as `name[]=item` or `name[0]=item` pairs: `deepObject` on an array, which
    /// OpenAPI leaves undefined and APIs such as Stripe's send so.
    DeepArray,
    /// An object whose properties stand as parameters of their own (`form`, `explode: true`),
    /// with the names of its properties.
    ExplodedObject(&'static [&'static str]),
    /// An object as `name=property,value,property,value` (`form` or `simple`, `explode: false`).
    DelimitedObject,
    /// A parameter that may be sent empty (`allowEmptyValue: true`).
    AllowEmpty,
}

/// A parameter with a style of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamStyle {
    /// Its name, as the operation's struct reads it.
    pub name: &'static str,
    pub style: Style,
}

/// The styled parameters of an operation's generated parameter struct.
pub trait ParamStyles {
    const STYLES: &'static [ParamStyle] = &[];
}

/// The pairs as the operation's struct reads them: each styled parameter in the plain shape;
/// or why they cannot be.
pub(crate) fn normalize(
    pairs: Vec<(String, String)>,
    styles: &[ParamStyle],
) -> Result<Vec<(String, String)>, String> {
    let mut plain = Vec::new();
    // Each object parameter's own properties, as pairs.
    let mut objects: Vec<(&'static str, Vec<(String, String)>)> = Vec::new();
    let mut object = |name: &'static str, property: String, value: String| match objects
        .iter_mut()
        .find(|(object, _)| *object == name)
    {
        Some((_, properties)) => properties.push((property, value)),
        None => objects.push((name, vec![(property, value)])),
    };
    for (key, value) in pairs {
        let own = styles.iter().find(|param| param.name == key);
        match own.map(|param| (param.name, param.style)) {
            Some((_, Style::Delimited(separator))) if !value.is_empty() => {
                plain.extend(
                    value
                        .split(separator)
                        .map(|item| (key.clone(), item.to_owned())),
                );
            }
            Some((name, Style::DelimitedObject)) => {
                let items: Vec<&str> = value.split(',').collect();
                if !items.len().is_multiple_of(2) {
                    return Err(format!("{name}: a property without its value"));
                }
                for pair in items.chunks(2) {
                    object(name, pair[0].to_owned(), pair[1].to_owned());
                }
            }
            _ => {
                let deep = styles.iter().find_map(|param| {
                    let property = key
                        .strip_prefix(param.name)?
                        .strip_prefix('[')?
                        .strip_suffix(']')?;
                    matches!(param.style, Style::DeepObject | Style::DeepArray)
                        .then_some((param, property))
                });
                let exploded = styles.iter().find(|param| {
                    matches!(param.style, Style::ExplodedObject(properties) if properties.contains(&key.as_str()))
                });
                match (deep, exploded) {
                    (Some((param, _)), _) if param.style == Style::DeepArray => {
                        plain.push((param.name.to_owned(), value));
                    }
                    (Some((param, property)), _) => object(param.name, property.to_owned(), value),
                    (None, Some(param)) => object(param.name, key, value),
                    (None, None) => plain.push((key, value)),
                }
            }
        }
    }
    for (name, properties) in objects {
        let encoded = serde_html_form::to_string(&properties).unwrap_or_default();
        plain.push((name.to_owned(), encoded));
    }
    Ok(plain)
}

/// Whether `name` may be sent with an empty value.
pub(crate) fn allows_empty(name: &str, styles: &[ParamStyle]) -> bool {
    styles
        .iter()
        .any(|param| param.name == name && param.style == Style::AllowEmpty)
}

/// Reads an object parameter from the form-encoded properties [`normalize`] gathered.
pub fn form_object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let encoded = String::deserialize(deserializer)?;
    serde_html_form::from_str(&encoded).map_err(serde::de::Error::custom)
}

/// [`form_object`] for a parameter that may be absent.
pub fn optional_form_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    form_object(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        serde_html_form::from_str(query).unwrap()
    }

    fn normalized(query: &str, styles: &[ParamStyle]) -> String {
        serde_html_form::to_string(normalize(pairs(query), styles).unwrap()).unwrap()
    }

    const STYLES: &[ParamStyle] = &[
        ParamStyle {
            name: "ids",
            style: Style::Delimited(','),
        },
        ParamStyle {
            name: "words",
            style: Style::Delimited(' '),
        },
        ParamStyle {
            name: "filter",
            style: Style::DeepObject,
        },
        ParamStyle {
            name: "point",
            style: Style::DelimitedObject,
        },
        ParamStyle {
            name: "expand",
            style: Style::DeepArray,
        },
        ParamStyle {
            name: "range",
            style: Style::ExplodedObject(&["from", "to"]),
        },
    ];

    #[test]
    fn styled_parameters_become_plain_pairs() {
        assert_eq!(
            normalized("ids=1,2,3&x=a,b", STYLES),
            "ids=1&ids=2&ids=3&x=a%2Cb"
        );
        assert_eq!(
            normalized("words=a%20b+c", STYLES),
            "words=a&words=b&words=c"
        );
        assert_eq!(
            normalized("filter[name]=ann&filter[age]=3&other=1", STYLES),
            "other=1&filter=name%3Dann%26age%3D3"
        );
        assert_eq!(normalized("point=x,1,y,2", STYLES), "point=x%3D1%26y%3D2");
        assert!(normalize(pairs("point=x,1,y"), STYLES).is_err());
        assert_eq!(
            normalized("from=1&to=9&x=0", STYLES),
            "x=0&range=from%3D1%26to%3D9"
        );
        assert_eq!(
            normalized("expand[]=a&expand[1]=b&expand=c", STYLES),
            "expand=a&expand=b&expand=c"
        );
        // An empty list stays empty, for the reader to refuse.
        assert_eq!(normalized("ids=", STYLES), "ids=");
    }

    #[test]
    fn an_object_reads_from_its_gathered_properties() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Filter {
            name: String,
            age: i32,
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Query {
            #[serde(deserialize_with = "form_object")]
            filter: Filter,
        }
        let query: Query =
            serde_html_form::from_str(&normalized("filter[name]=ann&filter[age]=3", STYLES))
                .unwrap();
        assert_eq!(
            query.filter,
            Filter {
                name: "ann".to_owned(),
                age: 3
            }
        );
        let refused = serde_html_form::from_str::<Query>(&normalized(
            "filter[name]=ann&filter[age]=old",
            STYLES,
        ));
        assert!(refused.is_err());
    }
}
