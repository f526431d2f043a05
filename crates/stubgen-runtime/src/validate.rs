//! Hand-written checks the generated [`Validate`] implementations call: the spec's constraints
//! (lengths, patterns, bounds) enforced at the edge, before a value reaches the service.

/// A value that breaks a constraint of the spec, with the JSON pointer of the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer} {problem}")]
pub struct ValidationError {
    /// Where the value stands in the body (`/fingerprint`), or the parameter's name.
    pub pointer: String,
    /// What is wrong with it, without echoing the value.
    pub problem: String,
}

impl ValidationError {
    /// The same error seen from the enclosing value, whose member is at `segment`.
    pub fn within(self, segment: &str) -> Self {
        Self {
            pointer: format!("{segment}{}", self.pointer),
            ..self
        }
    }
}

/// Checks a generated type against the constraints its schema declares.
pub trait Validate {
    /// Whether the type is read from a JSON object only. serde would also build a struct from
    /// an array of its fields, which no spec allows.
    const JSON_OBJECT: bool = false;

    /// `Ok` when every constraint holds; the first broken one otherwise.
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate(&self) -> Result<(), ValidationError> {
        self.iter().enumerate().try_for_each(|(index, item)| {
            item.validate()
                .map_err(|err| err.within(&format!("/{index}")))
        })
    }
}

impl<T: Validate> Validate for std::collections::BTreeMap<String, T> {
    fn validate(&self) -> Result<(), ValidationError> {
        self.iter().try_for_each(|(key, value)| {
            let segment = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
            value.validate().map_err(|err| err.within(&segment))
        })
    }
}

/// A nullable item (`Vec<Option<T>>`): `null` breaks nothing.
impl<T: Validate> Validate for Option<T> {
    fn validate(&self) -> Result<(), ValidationError> {
        self.as_ref().map_or(Ok(()), Validate::validate)
    }
}

/// A boxed value (a recursive schema) checks as the value.
impl<T: Validate> Validate for Box<T> {
    const JSON_OBJECT: bool = T::JSON_OBJECT;

    fn validate(&self) -> Result<(), ValidationError> {
        (**self).validate()
    }
}

/// Any JSON value: nothing to check.
impl Validate for serde_json::Value {}

fn broken(pointer: &str, problem: String) -> Result<(), ValidationError> {
    Err(ValidationError {
        pointer: pointer.to_owned(),
        problem,
    })
}

/// `minLength`/`maxLength`, counted in characters as JSON Schema counts them.
pub fn length(
    pointer: &str,
    value: &str,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), ValidationError> {
    let length = value.chars().count();
    if let Some(min) = min.filter(|min| length < *min) {
        return broken(pointer, format!("must be at least {min} characters long"));
    }
    if let Some(max) = max.filter(|max| length > *max) {
        return broken(pointer, format!("must be at most {max} characters long"));
    }
    Ok(())
}

/// `pattern`: the value must contain a match (JSON Schema patterns are not anchored).
///
/// `regex` is the pattern as compiled when first used. Codegen compiled it already, so it is
/// never an error; were it one, the value is refused rather than let through unchecked.
pub fn pattern(
    pointer: &str,
    value: &str,
    regex: &Result<regex::Regex, regex::Error>,
) -> Result<(), ValidationError> {
    let Ok(regex) = regex else {
        return broken(pointer, "cannot be checked against its pattern".to_owned());
    };
    if regex.is_match(value) {
        Ok(())
    } else {
        broken(
            pointer,
            format!("must match the pattern {}", regex.as_str()),
        )
    }
}

/// `pattern` with ECMA 262 features the regex crate lacks (look-around, back-references).
/// regress backtracks: the request size limit bounds the text it is given.
pub fn ecma_pattern(
    pointer: &str,
    value: &str,
    regex: &Result<regress::Regex, regress::Error>,
    source: &str,
) -> Result<(), ValidationError> {
    let Ok(regex) = regex else {
        return broken(pointer, "cannot be checked against its pattern".to_owned());
    };
    if regex.find(value).is_some() {
        Ok(())
    } else {
        broken(pointer, format!("must match the pattern {source}"))
    }
}

/// An integer `enum`.
pub fn one_of(pointer: &str, value: i128, allowed: &[i128]) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        broken(pointer, format!("must be one of {}", allowed.join(", ")))
    }
}

/// A boolean `enum`: the values allowed.
pub fn boolean_one_of(pointer: &str, value: bool, allowed: &[bool]) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        broken(pointer, format!("must be {}", allowed.join(" or ")))
    }
}

/// A number `enum`: `value` is one of `allowed`.
pub fn number_one_of(pointer: &str, value: f64, allowed: &[f64]) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        broken(pointer, format!("must be one of {}", allowed.join(", ")))
    }
}

/// `minItems`/`maxItems` of an array.
pub fn items(
    pointer: &str,
    count: usize,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), ValidationError> {
    if let Some(min) = min.filter(|min| count < *min) {
        return broken(pointer, format!("must hold at least {min} items"));
    }
    if let Some(max) = max.filter(|max| count > *max) {
        return broken(pointer, format!("must hold at most {max} items"));
    }
    Ok(())
}

/// `minProperties`/`maxProperties` of a map: its member count within them.
pub fn properties(
    pointer: &str,
    count: usize,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), ValidationError> {
    if let Some(min) = min.filter(|min| count < *min) {
        return broken(pointer, format!("must hold at least {min} members"));
    }
    if let Some(max) = max.filter(|max| count > *max) {
        return broken(pointer, format!("must hold at most {max} members"));
    }
    Ok(())
}

/// `uniqueItems`: no two items are the same JSON value (compared as JSON text, in linear time).
pub fn unique<T: serde::Serialize>(pointer: &str, items: &[T]) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for item in items {
        let text = serde_json::to_string(item).unwrap_or_default();
        if !seen.insert(text) {
            return broken(pointer, "must not hold the same item twice".to_owned());
        }
    }
    Ok(())
}

/// `minimum`/`maximum` of an integer, inclusive (i128 holds every integer type, u64 included).
pub fn range(
    pointer: &str,
    value: i128,
    min: Option<i128>,
    max: Option<i128>,
) -> Result<(), ValidationError> {
    if let Some(min) = min.filter(|min| value < *min) {
        return broken(pointer, format!("must be at least {min}"));
    }
    if let Some(max) = max.filter(|max| value > *max) {
        return broken(pointer, format!("must be at most {max}"));
    }
    Ok(())
}

/// A number's bounds, each `(bound, exclusive)`.
pub fn number_range(
    pointer: &str,
    value: f64,
    min: Option<(f64, bool)>,
    max: Option<(f64, bool)>,
) -> Result<(), ValidationError> {
    if value.is_nan() {
        return broken(pointer, "must be a number".to_owned());
    }
    match min {
        Some((min, true)) if value <= min => {
            return broken(pointer, format!("must be more than {min}"));
        }
        Some((min, false)) if value < min => {
            return broken(pointer, format!("must be at least {min}"));
        }
        _ => {}
    }
    match max {
        Some((max, true)) if value >= max => {
            return broken(pointer, format!("must be less than {max}"));
        }
        Some((max, false)) if value > max => {
            return broken(pointer, format!("must be at most {max}"));
        }
        _ => {}
    }
    Ok(())
}

/// `multipleOf`: `value / factor` is an integer, within what f64 can tell (`0.3` is a multiple
/// of `0.1`).
pub fn multiple_of(pointer: &str, value: f64, factor: f64) -> Result<(), ValidationError> {
    let quotient = value / factor;
    let tolerance = 1e-9 * quotient.abs().max(1.0);
    if quotient.is_finite() && (quotient - quotient.round()).abs() <= tolerance {
        Ok(())
    } else {
        broken(pointer, format!("must be a multiple of {factor}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_enum_takes_its_values_only() {
        assert!(number_one_of("/n", 1.5, &[0.5, 1.5]).is_ok());
        assert_eq!(
            number_one_of("/n", 2.0, &[0.5, 1.5])
                .unwrap_err()
                .to_string(),
            "/n must be one of 0.5, 1.5"
        );
    }

    #[test]
    fn a_map_holds_as_many_members_as_its_bounds_allow() {
        assert!(properties("/m", 1, Some(1), Some(3)).is_ok());
        assert!(properties("/m", 3, Some(1), Some(3)).is_ok());
        assert_eq!(
            properties("/m", 0, Some(1), Some(3))
                .unwrap_err()
                .to_string(),
            "/m must hold at least 1 members"
        );
        assert!(properties("/m", 4, Some(1), Some(3)).is_err());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(length("/a", "éé", Some(2), Some(2)).is_ok());
        assert_eq!(
            length("/a", "é", Some(2), None).unwrap_err().to_string(),
            "/a must be at least 2 characters long"
        );
        assert!(length("/a", "abc", None, Some(2)).is_err());
    }

    #[test]
    fn patterns_are_searched_and_bounds_inclusive() {
        let no_nul = regex::Regex::new("^[^\\u0000]*$");
        assert!(pattern("/f", "abc", &no_nul).is_ok());
        assert!(pattern("/f", "a\0c", &no_nul).is_err());
        assert!(pattern("/f", "xaby", &regex::Regex::new("ab")).is_ok());
        // A pattern that did not compile refuses every value: nothing passes unchecked.
        let unclosed = String::from("(");
        let broken = regex::Regex::new(&unclosed);
        assert!(broken.is_err());
        assert!(pattern("/f", "", &broken).is_err());
        assert!(range("limit", 1, Some(1), Some(100)).is_ok());
        assert!(range("limit", 100, Some(1), Some(100)).is_ok());
        assert!(range("limit", 0, Some(1), Some(100)).is_err());
        assert!(range("limit", 101, Some(1), Some(100)).is_err());
    }

    #[test]
    fn number_bounds_and_multiples() {
        assert!(number_range("/x", 1.5, Some((1.5, false)), None).is_ok());
        assert!(number_range("/x", 1.5, Some((1.5, true)), None).is_err());
        assert!(number_range("/x", 2.0, None, Some((2.0, true))).is_err());
        assert!(number_range("/x", 2.0, None, Some((2.0, false))).is_ok());
        assert!(number_range("/x", f64::NAN, None, None).is_err());
        assert!(multiple_of("/x", 0.3, 0.1).is_ok());
        assert!(multiple_of("/x", 10.0, 2.5).is_ok());
        assert!(multiple_of("/x", 10.1, 2.5).is_err());
        assert!(multiple_of("/x", 9.0, 3.0).is_ok());
        assert!(multiple_of("/x", 10.0, 3.0).is_err());
    }

    #[test]
    fn nested_errors_name_the_whole_path() {
        struct Item(i64);
        impl Validate for Item {
            fn validate(&self) -> Result<(), ValidationError> {
                range("/n", i128::from(self.0), Some(0), None)
            }
        }
        let error = vec![Item(1), Item(-1)].validate().unwrap_err();
        assert_eq!(error.within("/items").pointer, "/items/1/n");
    }
}
