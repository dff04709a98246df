//! Reading the members of a JSON object without descending into their values, so that an
//! authentic body of any nesting depth is read without risking the stack.
//!
//! serde_json skips a value it is not asked to build (a [`RawValue`], an ignored field)
//! with a loop, not recursion, and checks its syntax on the way. Only the values this crate
//! builds afterwards (the typed `data`, the informational fields) go through serde_json's
//! recursion limit, and each of those fails alone.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The last value of each member called one of `names`, as JSON text borrowed from
/// `object` (the whole text must be one JSON object). A duplicated key takes its last
/// value, as `JSON.parse` and [`serde_json::Value`] do.
///
/// # Errors
/// When `object` is not JSON, or not an object.
pub(crate) fn members<'a, const N: usize>(
    object: &'a str,
    names: [&str; N],
) -> Result<[Option<&'a RawValue>; N], serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(object);
    let values = Members { names }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(values)
}

/// Builds `T` from a member's text, or `None` when it does not fit (a wrong type, a number
/// beyond `f64`, nesting deeper than serde_json's recursion limit).
pub(crate) fn lenient<T: serde::de::DeserializeOwned>(value: Option<&RawValue>) -> Option<T> {
    value.and_then(|value| serde_json::from_str(value.get()).ok())
}

/// A string member as an owned `String`, escapes decoded; `None` for anything else,
/// including a string with a lone surrogate, which no Rust string can hold.
pub(crate) fn string(value: Option<&RawValue>) -> Option<String> {
    value
        .filter(|value| value.get().starts_with('"'))
        .and_then(|value| serde_json::from_str(value.get()).ok())
}

struct Members<'n, const N: usize> {
    names: [&'n str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Members<'_, N> {
    type Value = [Option<&'de RawValue>; N];

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Members<'_, N> {
    type Value = [Option<&'de RawValue>; N];

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = [None; N];
        while let Some(Key(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            if let Some(position) = self.names.iter().position(|name| *name == key) {
                values[position] = Some(value);
            }
        }
        Ok(values)
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(key)))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(key.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_at_any_depth_and_the_last_duplicate_wins() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let text = format!(r#"{{"a":1,"skip":{deep},"b":"x","a":{{"c":2}},"\u0062":true}}"#);
        let [a, b, missing] = members(&text, ["a", "b", "z"]).unwrap();
        assert_eq!(a.map(RawValue::get), Some(r#"{"c":2}"#));
        assert_eq!(b.map(RawValue::get), Some("true"));
        assert!(missing.is_none());
        assert!(members("[1]", ["a"]).is_err());
        assert!(members(r#"{"a":1} x"#, ["a"]).is_err());
        assert!(members(r#"{"a":[1,}"#, ["a"]).is_err());
    }

    #[test]
    fn strings_decode_escapes_and_refuse_what_no_string_holds() {
        let [escaped, number, surrogate] = members(
            r#"{"e":"user\u002ecreated","n":7,"s":"\udc00"}"#,
            ["e", "n", "s"],
        )
        .unwrap();
        assert_eq!(string(escaped).as_deref(), Some("user.created"));
        assert_eq!(string(number), None);
        assert_eq!(string(surrogate), None);
        assert_eq!(lenient::<i64>(number), Some(7));
        assert_eq!(lenient::<String>(number), None);
    }
}
