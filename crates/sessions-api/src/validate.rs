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
pub fn pattern(pointer: &str, value: &str, regex: &regex::Regex) -> Result<(), ValidationError> {
    if regex.is_match(value) {
        Ok(())
    } else {
        broken(
            pointer,
            format!("must match the pattern {}", regex.as_str()),
        )
    }
}

/// `minimum`/`maximum` of an integer, inclusive.
pub fn range(
    pointer: &str,
    value: i64,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<(), ValidationError> {
    if let Some(min) = min.filter(|min| value < *min) {
        return broken(pointer, format!("must be at least {min}"));
    }
    if let Some(max) = max.filter(|max| value > *max) {
        return broken(pointer, format!("must be at most {max}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let no_nul = regex::Regex::new("^[^\\u0000]*$").unwrap();
        assert!(pattern("/f", "abc", &no_nul).is_ok());
        assert!(pattern("/f", "a\0c", &no_nul).is_err());
        assert!(pattern("/f", "xaby", &regex::Regex::new("ab").unwrap()).is_ok());
        assert!(range("limit", 1, Some(1), Some(100)).is_ok());
        assert!(range("limit", 100, Some(1), Some(100)).is_ok());
        assert!(range("limit", 0, Some(1), Some(100)).is_err());
        assert!(range("limit", 101, Some(1), Some(100)).is_err());
    }

    #[test]
    fn nested_errors_name_the_whole_path() {
        struct Item(i64);
        impl Validate for Item {
            fn validate(&self) -> Result<(), ValidationError> {
                range("/n", self.0, Some(0), None)
            }
        }
        let error = vec![Item(1), Item(-1)].validate().unwrap_err();
        assert_eq!(error.within("/items").pointer, "/items/1/n");
    }
}
