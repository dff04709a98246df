//! A proptest strategy for any value a spec schema allows: required properties always,
//! optional ones sometimes absent, nullable ones sometimes `null`, enums (and, where the spec
//! allows unknown values, others), formats, `oneOf`/`anyOf`/`allOf`, free-form metadata
//! objects, arrays, integers up to the int64 edges, empty and non-ASCII strings, and
//! unknown properties where the schema does not forbid them.

#![allow(clippy::panic)] // A test helper: a spec it cannot generate for fails the test.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{Map, Number, Value};

use super::{Merged, Spec};

/// Values of `data` for `event_type`.
///
/// # Panics
/// When the spec has no `data` schema for it (a test helper: the test fails).
pub fn data_strategy(spec: &Spec, event_type: &str) -> BoxedStrategy<Value> {
    let schema = spec
        .data_schema(event_type)
        .unwrap_or_else(|| panic!("the spec has no data schema for {event_type}"));
    Generator { spec, depth: 0 }.schema(schema)
}

struct Generator<'a> {
    spec: &'a Spec,
    depth: u32,
}

impl Generator<'_> {
    fn schema(&mut self, schema: &Value) -> BoxedStrategy<Value> {
        let merged = self.spec.merged(schema);
        self.merged(&merged)
    }

    fn merged(&mut self, merged: &Merged) -> BoxedStrategy<Value> {
        self.depth += 1;
        assert!(
            self.depth < 24,
            "the spec's schemas nest too deeply (a cycle?)"
        );
        let value = if merged.alternatives.is_empty() {
            self.plain(merged)
        } else {
            let choices: Vec<BoxedStrategy<Value>> = merged
                .alternatives
                .iter()
                .map(|alternative| {
                    let alternative = self.spec.merged(alternative);
                    let mut chosen = merged.with_alternative(alternative);
                    // Nullability is the outer schema's: it is handled once, below.
                    chosen.nullable = false;
                    self.merged(&chosen)
                })
                .collect();
            proptest::strategy::Union::new(choices).boxed()
        };
        self.depth -= 1;
        if merged.nullable {
            prop_oneof![1 => Just(Value::Null), 4 => value].boxed()
        } else {
            value
        }
    }

    fn plain(&mut self, merged: &Merged) -> BoxedStrategy<Value> {
        if let Some(values) = &merged.enumeration {
            let values: Vec<Value> = values.iter().filter(|v| !v.is_null()).cloned().collect();
            if !values.is_empty() {
                let known = proptest::sample::select(values).boxed();
                return if merged.open_enum {
                    prop_oneof![4 => known, 1 => text().prop_map(Value::String)].boxed()
                } else {
                    known
                };
            }
        }
        match merged.kind.as_deref() {
            Some("string") => string(merged.format.as_deref()),
            Some("integer") => integer(merged.format.as_deref()),
            Some("number") => number().boxed(),
            Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
            Some("array") => {
                let items = match &merged.items {
                    Some(items) => self.schema(items),
                    None => any_json(),
                };
                proptest::collection::vec(items, 0..=2)
                    .prop_map(Value::Array)
                    .boxed()
            }
            _ if merged.is_object() => self.object(merged),
            Some("object") | None => any_object(),
            Some(other) => panic!("the spec uses a type this generator does not know: {other}"),
        }
    }

    fn object(&mut self, merged: &Merged) -> BoxedStrategy<Value> {
        let mut fields: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
        for (name, schema) in &merged.properties {
            let value = self.schema(schema);
            let key = name.clone();
            let field = if merged.required.contains(name) {
                value.prop_map(move |v| Some((key.clone(), v))).boxed()
            } else {
                proptest::option::weighted(0.7, value)
                    .prop_map(move |v| v.map(|v| (key.clone(), v)))
                    .boxed()
            };
            fields.push(field);
        }
        let unknown = if merged.allows_more() {
            proptest::collection::btree_map(unknown_key(), any_json(), 0..=1).boxed()
        } else {
            Just(std::collections::BTreeMap::new()).boxed()
        };
        (fields, unknown)
            .prop_map(|(fields, unknown)| {
                let mut object: Map<String, Value> = fields.into_iter().flatten().collect();
                for (key, value) in unknown {
                    object.entry(key).or_insert(value);
                }
                Value::Object(object)
            })
            .boxed()
    }
}

/// Strings: empty, plain, any Unicode (control characters included), and awkward ones.
/// (Built from characters, not regexes: regex strategies are slow in a debug build.)
pub fn text() -> BoxedStrategy<String> {
    let plain = prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('0', '9'),
        1 => Just('_'),
    ];
    let unicode = prop_oneof![3 => proptest::char::range('a', 'z'), 2 => any::<char>()];
    prop_oneof![
        1 => Just(String::new()),
        4 => proptest::collection::vec(plain, 1..=12).prop_map(String::from_iter),
        3 => proptest::collection::vec(unicode, 1..=8).prop_map(String::from_iter),
        2 => proptest::sample::select(vec![
            "Zoë Ådne Øvergård",
            "日本語のユーザー",
            "👩‍💻🚀",
            "\"quoted\" \\ back\\slash",
            "line\nbreak\ttab\r",
            "\u{0}nul and \u{1f} unit separator",
            "\u{2028}\u{2029}\u{feff}",
            "O'Brien <script>",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn lowercase(length: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::char::range('a', 'z'), length).prop_map(String::from_iter)
}

fn string(format: Option<&str>) -> BoxedStrategy<Value> {
    match format {
        Some("email") => prop_oneof![
            3 => (lowercase(1..=8), lowercase(1..=8), proptest::sample::select(vec!["com", "org", "io"]))
                .prop_map(|(user, domain, tld)| format!("{user}@{domain}.{tld}")),
            1 => Just("zoë@exämple.org".to_owned()),
            1 => text(),
        ]
        .prop_map(Value::String)
        .boxed(),
        _ => text().prop_map(Value::String).boxed(),
    }
}

/// Integers up to the edges of their format (int64 unless the spec says int32).
fn integer(format: Option<&str>) -> BoxedStrategy<Value> {
    let (min, max) = if format == Some("int32") {
        (i64::from(i32::MIN), i64::from(i32::MAX))
    } else {
        (i64::MIN, i64::MAX)
    };
    prop_oneof![
        1 => Just(min),
        1 => Just(max),
        1 => Just(0_i64),
        1 => Just(-1_i64),
        4 => min..=max,
        4 => 0_i64..=4_102_444_800_000, // Unix milliseconds up to 2100
    ]
    .prop_map(Value::from)
    .boxed()
}

/// Doubles that print and parse back exactly (multiples of 1/256).
fn number() -> impl Strategy<Value = Value> {
    (-1_000_000_i32..=1_000_000)
        .prop_map(|n| Number::from_f64(f64::from(n) / 256.0).map_or(Value::Null, Value::Number))
}

fn unknown_key() -> impl Strategy<Value = String> {
    lowercase(1..=6).prop_map(|name| format!("x_unknown_{name}"))
}

/// Any JSON value, nested at most twice (metadata, untyped fields).
pub fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        integer(None),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..=3).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..=3)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A free-form object (`public_metadata`, `data`, …).
pub fn any_object() -> BoxedStrategy<Value> {
    proptest::collection::btree_map(text(), any_json(), 0..=3)
        .prop_map(|map| Value::Object(map.into_iter().collect()))
        .boxed()
}
