//! JSON read as its schema means it: serde's derived structs also take an array of their
//! fields (`["Ann", 3]` for `{name, age}`; serde#1587), which no OpenAPI document allows, and
//! `serde_json` offers it them. [`Strict`] reads a JSON value through serde like
//! `serde_json::Value` does, but gives a struct an object or nothing, at every depth.
//!
//! (A type serde reads through its own buffer, an untagged or internally tagged enum, reads its
//! variants from that buffer, which still takes arrays: its branches are checked by the
//! generated `Validate` and by their required members.)

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde_json::{Error, Value};

/// A JSON value, read strictly (see the module's docs).
pub(crate) struct Strict(pub(crate) Value);

/// `value` read into `T` as [`Strict`] reads it: what generated code calls where it reads a
/// value it holds (a discriminated branch, once its tag is known).
/// Its error names the member it is about (`keeper: …`).
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(Strict(value))
        .map_err(|err| de::Error::custom(super::messages::at_path(&err)))
}

fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(value) => Unexpected::Bool(*value),
        Value::Number(number) => match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(value), _, _) => Unexpected::Signed(value),
            (_, Some(value), _) => Unexpected::Unsigned(value),
            (_, _, Some(value)) => Unexpected::Float(value),
            _ => Unexpected::Other("number"),
        },
        Value::String(text) => Unexpected::Str(text),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => {
                let count = items.len();
                let mut seq = Items(items.into_iter());
                let read = visitor.visit_seq(&mut seq)?;
                match seq.0.len() {
                    0 => Ok(read),
                    _ => Err(de::Error::invalid_length(count, &"fewer items")),
                }
            }
            Value::Object(members) => visitor.visit_map(Members {
                members: members.into_iter(),
                value: None,
            }),
            scalar => scalar.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            value => visitor.visit_some(Strict(value)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(variant) => visitor.visit_enum(Variant {
                variant,
                value: None,
            }),
            Value::Object(members) if members.len() == 1 => {
                let Some((variant, value)) = members.into_iter().next() else {
                    return Err(de::Error::invalid_length(0, &"one member"));
                };
                visitor.visit_enum(Variant {
                    variant,
                    value: Some(value),
                })
            }
            other => other.deserialize_enum(name, variants, visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct identifier ignored_any
    }
}

struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Strict(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Members {
    members: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Members {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.members.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let key: de::value::StringDeserializer<Error> = key.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a value without its key"))?;
        seed.deserialize(Strict(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

struct Variant {
    variant: String,
    value: Option<Value>,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = Payload;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Payload), Error> {
        let variant: de::value::StringDeserializer<Error> = self.variant.into_deserializer();
        Ok((seed.deserialize(variant)?, Payload(self.value)))
    }
}

/// What an enum variant carries.
struct Payload(Option<Value>);

impl<'de> VariantAccess<'de> for Payload {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.0 {
            Some(value) => seed.deserialize(Strict(value)),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"a newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Some(value @ Value::Array(_)) => Strict(value).deserialize_any(visitor),
            other => Err(de::Error::invalid_type(
                other.as_ref().map_or(Unexpected::UnitVariant, unexpected),
                &"a tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Some(value @ Value::Object(_)) => Strict(value).deserialize_any(visitor),
            other => Err(de::Error::invalid_type(
                other.as_ref().map_or(Unexpected::UnitVariant, unexpected),
                &"a struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Strict;
    use serde_json::json;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Person {
        name: String,
        age: u8,
        address: Option<Address>,
        kind: Option<Kind>,
        tags: Option<Vec<String>>,
        extra: Option<std::collections::BTreeMap<String, Address>>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Address {
        city: String,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Friend,
        Colleague,
    }

    fn read(value: serde_json::Value) -> Result<Person, String> {
        serde_path_to_error::deserialize(Strict(value)).map_err(|err| err.to_string())
    }

    #[test]
    fn structs_are_read_from_objects_only_at_any_depth() {
        let person = read(json!({
            "name": "Ann", "age": 30, "address": {"city": "Oslo"}, "kind": "friend",
            "tags": ["a"], "extra": {"home": {"city": "Bergen"}}
        }))
        .unwrap();
        assert_eq!(
            person.address,
            Some(Address {
                city: "Oslo".to_owned()
            })
        );
        assert_eq!(person.kind, Some(Kind::Friend));
        assert_eq!(person.extra.unwrap()["home"].city, "Bergen");
        assert!(
            read(json!(["Ann", 30]))
                .unwrap_err()
                .contains("invalid type: sequence")
        );
        let nested = read(json!({"name": "Ann", "age": 30, "address": ["Oslo"]})).unwrap_err();
        assert!(
            nested.starts_with("address: invalid type: sequence"),
            "{nested}"
        );
        let in_map = read(json!({"name": "Ann", "age": 3, "extra": {"a": ["Oslo"]}})).unwrap_err();
        assert!(
            in_map.starts_with("extra.a: invalid type: sequence"),
            "{in_map}"
        );
        // Everything else reads as serde_json reads it.
        assert!(
            read(json!({"name": "Ann", "age": 300}))
                .unwrap_err()
                .contains("age")
        );
        assert!(
            read(json!({"name": "Ann", "age": 3, "kind": "enemy"}))
                .unwrap_err()
                .contains("unknown variant")
        );
        assert!(read(json!({"name": "Ann", "age": 3, "address": null})).is_ok());
        assert!(
            read(json!({"name": "Ann"}))
                .unwrap_err()
                .contains("missing field `age`")
        );
    }
}
