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
    /// An object as `name[property]=value` pairs, or a value as `name=value` (`deepObject` on
    /// an `anyOf` of an object and values: Stripe's `created` is `created[gt]=1` or
    /// `created=1`). Read by [`object_or_value`].
    DeepObjectOrValue,
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
            // Marked, so that the reader tells a value from an object's properties.
            Some((_, Style::DeepObjectOrValue)) => {
                plain.push((key, format!("{VALUE_MARK}{value}")));
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
                    matches!(
                        param.style,
                        Style::DeepObject | Style::DeepArray | Style::DeepObjectOrValue
                    )
                    .then_some((param, property))
                });
                let exploded = styles.iter().find(|param| {
                    matches!(param.style, Style::ExplodedObject(properties) if properties.contains(&key.as_str()))
                });
                match (deep, exploded) {
                    // `created[gt][x]=1`: an object inside an object parameter, which none here
                    // takes; refused rather than dropped.
                    (Some((param, property)), _) if property.contains(['[', ']']) => {
                        return Err(format!(
                            "{}: `{}` nests brackets, which this parameter does not take",
                            param.name,
                            shown(&key)
                        ));
                    }
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
        let object_or_value = styles
            .iter()
            .any(|param| param.name == name && param.style == Style::DeepObjectOrValue);
        plain.push((
            name.to_owned(),
            if object_or_value {
                format!("{OBJECT_MARK}{encoded}")
            } else {
                encoded
            },
        ));
    }
    Ok(plain)
}

/// How [`normalize`] marks a [`Style::DeepObjectOrValue`] parameter sent as a value, and as an
/// object's properties.
const VALUE_MARK: char = '=';
const OBJECT_MARK: char = '&';

/// Reads a [`Style::DeepObjectOrValue`] parameter: an object from its properties, or a value.
/// Query values are text, and the schema (an untagged enum, read through a JSON value) does not
/// say which of an object's properties are numbers: each property whose text spells a number or
/// a boolean is tried as both, at most [`AMBIGUOUS_AT_MOST`] of them (so `filter[name]=123`
/// still reads as a string where the schema says so, and a flood of properties costs little).
pub fn object_or_value<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::de::Error as _;
    let text = String::deserialize(deserializer)?;
    let Some(encoded) = text.strip_prefix(OBJECT_MARK) else {
        let value = text.strip_prefix(VALUE_MARK).unwrap_or(&text);
        let readings = [
            spelled_value(value),
            serde_json::Value::String(value.to_owned()),
        ];
        return readings
            .iter()
            .find_map(|reading| T::deserialize(reading).ok())
            .ok_or_else(|| D::Error::custom("not any of the values its schema allows"));
    };
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(encoded).map_err(D::Error::custom)?;
    let mut object = serde_json::Map::new();
    // The properties whose text reads as more than text, with what they spell.
    let mut ambiguous = Vec::new();
    for (property, value) in pairs {
        if object.contains_key(&property) {
            return Err(D::Error::custom(format!(
                "[{}] sent twice",
                shown(&property)
            )));
        }
        let spelled = spelled_value(&value);
        if !spelled.is_string() {
            ambiguous.push((property.clone(), spelled));
        }
        object.insert(property, serde_json::Value::String(value));
    }
    if ambiguous.len() > AMBIGUOUS_AT_MOST {
        return Err(D::Error::custom(format!(
            "more than {AMBIGUOUS_AT_MOST} properties that spell numbers or booleans"
        )));
    }
    // Every number-like text read as what it spells first, then fewer of them.
    for mask in (0..1u32 << ambiguous.len()).rev() {
        let mut reading = object.clone();
        for (bit, (property, spelled)) in ambiguous.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                reading.insert(property.clone(), spelled.clone());
            }
        }
        if let Ok(read) = T::deserialize(&serde_json::Value::Object(reading)) {
            return Ok(read);
        }
    }
    let named: Vec<String> = object
        .keys()
        .map(|key| format!("[{}]", shown(key)))
        .collect();
    Err(D::Error::custom(format!(
        "the object {} is not one its schema allows",
        named.join("")
    )))
}

/// How many properties of one object parameter may be read either as text or as the number or
/// boolean they spell (each doubles the readings tried).
const AMBIGUOUS_AT_MOST: usize = 6;

/// A client's property name as an error may show it: no control characters, not too long.
fn shown(property: &str) -> String {
    property
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

/// [`object_or_value`] for a parameter that may be absent.
pub fn optional_object_or_value<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    object_or_value(deserializer).map(Some)
}

/// The JSON value a query value spells: an integer, a finite number, `true`/`false`, or text.
fn spelled_value(text: &str) -> serde_json::Value {
    if let Ok(integer) = text.parse::<i64>() {
        return integer.into();
    }
    if let Ok(integer) = text.parse::<u64>() {
        return integer.into();
    }
    match text {
        "true" => return true.into(),
        "false" => return false.into(),
        _ => {}
    }
    text.parse::<f64>()
        .ok()
        .filter(|number| number.is_finite() && !text.contains(|c: char| c.is_alphabetic()))
        .and_then(serde_json::Number::from_f64)
        .map_or_else(
            || serde_json::Value::String(text.to_owned()),
            serde_json::Value::Number,
        )
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
        ParamStyle {
            name: "created",
            style: Style::DeepObjectOrValue,
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

    #[test]
    fn an_object_or_a_value_reads_as_it_was_sent() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Range {
            gt: Option<i64>,
            lte: Option<i64>,
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(untagged)]
        enum Created {
            Range(Range),
            At(i64),
            Now(Now),
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        enum Now {
            #[serde(rename = "now")]
            Now,
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Query {
            #[serde(default, deserialize_with = "optional_object_or_value")]
            created: Option<Created>,
        }
        let read = |query: &str| {
            serde_html_form::from_str::<Query>(&normalized(query, STYLES))
                .map(|query| query.created)
        };
        assert_eq!(
            read("created[gt]=1&created[lte]=9").unwrap(),
            Some(Created::Range(Range {
                gt: Some(1),
                lte: Some(9)
            }))
        );
        assert_eq!(read("created=17").unwrap(), Some(Created::At(17)));
        assert_eq!(read("created=now").unwrap(), Some(Created::Now(Now::Now)));
        assert_eq!(read("").unwrap(), None);
        // A value of no branch, a property of the wrong type, and both forms at once.
        assert!(read("created=later").is_err());
        assert!(read("created[gt]=soon").is_err());
        assert!(read("created=1&created[gt]=2").is_err());
        assert!(read("created[gt]=1&created[gt]=2").is_err());
        // An object inside the object is refused, not dropped.
        assert!(normalize(pairs("created[gt][x]=1"), STYLES).is_err());
        assert!(normalize(pairs("filter[a]b]=1"), STYLES).is_err());
    }

    #[test]
    fn an_object_of_text_and_numbers_reads_each_property_as_its_schema_says() {
        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Filter {
            name: Option<String>,
            count: Option<i64>,
            open: Option<bool>,
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Filter(Filter),
            Id(i64),
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Query {
            #[serde(deserialize_with = "object_or_value")]
            filter: Either,
        }
        let read = |query: &str| {
            serde_html_form::from_str::<Query>(&normalized(query, STYLES_OF_FILTER))
                .map(|query| query.filter)
        };
        assert_eq!(
            read("filter[name]=123&filter[count]=2&filter[open]=true").unwrap(),
            Either::Filter(Filter {
                name: Some("123".to_owned()),
                count: Some(2),
                open: Some(true)
            })
        );
        assert_eq!(
            read("filter[name]=true&filter[count]=7").unwrap(),
            Either::Filter(Filter {
                name: Some("true".to_owned()),
                count: Some(7),
                open: None
            })
        );
        assert_eq!(read("filter=9").unwrap(), Either::Id(9));
        let refused = read("filter[count]=x").unwrap_err().to_string();
        assert!(refused.contains("[count]"), "{refused}");
        // Past the bound of ambiguous properties: refused, not tried 2^n ways.
        let flood: String = (0..AMBIGUOUS_AT_MOST + 1)
            .map(|index| format!("filter[p{index}]={index}&"))
            .collect();
        assert!(read(&flood).is_err());
    }

    const STYLES_OF_FILTER: &[ParamStyle] = &[ParamStyle {
        name: "filter",
        style: Style::DeepObjectOrValue,
    }];
}
