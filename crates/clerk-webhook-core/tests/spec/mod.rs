//! Clerk's webhook OpenAPI spec, as the tests and `scripts/spec-diff.sh` read it: the copy
//! in `tests/fixtures/clerk-spec/` (see its `SOURCE.md`), never `../shared`.
//!
//! Included by the `spec_*` tests and by the `spec_diff` example (`#[path]`), so every item
//! is used by some of them only.
#![allow(dead_code, unreachable_pub, missing_docs)]

pub mod check;
pub mod diff;
pub mod generate;
pub mod table;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

/// The repository's copy of the spec.
pub const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/clerk-spec/webhooks-2025-04-15.yml"
);

/// A parsed spec.
#[derive(Debug, Clone)]
pub struct Spec {
    root: Value,
}

impl Spec {
    /// The repository's copy (tests only: panics when it is missing or broken).
    #[must_use]
    #[allow(clippy::panic)] // Tests fail by panicking.
    pub fn repository_copy() -> Self {
        Self::read(Path::new(SPEC_PATH)).unwrap_or_else(|error| panic!("{error}"))
    }

    /// Reads and parses a spec file.
    ///
    /// # Errors
    /// When the file cannot be read or is not a webhook spec.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        Self::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Parses a spec from YAML (or JSON) text.
    ///
    /// # Errors
    /// When it is not YAML, or has no `x-webhooks` (or `webhooks`) section.
    pub fn parse(text: &str) -> Result<Self, String> {
        let root: Value =
            serde_yaml_ng::from_str(text).map_err(|error| format!("not YAML: {error}"))?;
        let spec = Self { root };
        if spec.webhooks().is_none() {
            return Err("no `x-webhooks` or `webhooks` section: not a webhook spec".to_owned());
        }
        if let Some(dangling) = spec.dangling_ref(&spec.root) {
            return Err(format!("`$ref: {dangling}` points nowhere in the file"));
        }
        Ok(spec)
    }

    /// The first `$ref` that does not resolve within the file, if any.
    fn dangling_ref<'a>(&self, value: &'a Value) -> Option<&'a str> {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str)
                    && self.pointer(reference).is_none()
                {
                    return Some(reference);
                }
                map.values().find_map(|v| self.dangling_ref(v))
            }
            Value::Array(items) => items.iter().find_map(|v| self.dangling_ref(v)),
            _ => None,
        }
    }

    fn webhooks(&self) -> Option<&Map<String, Value>> {
        self.root
            .get("x-webhooks")
            .or_else(|| self.root.get("webhooks"))
            .and_then(Value::as_object)
    }

    /// Every event type the spec describes, sorted.
    #[must_use]
    pub fn event_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .webhooks()
            .map(|hooks| hooks.keys().cloned().collect())
            .unwrap_or_default();
        types.sort();
        types
    }

    fn request_body(&self, event_type: &str) -> Option<&Value> {
        self.webhooks()?
            .get(event_type)?
            .get("post")?
            .get("requestBody")?
            .get("content")?
            .get("application/json")
    }

    /// The schema of the whole delivery body of `event_type`.
    #[must_use]
    pub fn payload_schema(&self, event_type: &str) -> Option<&Value> {
        self.request_body(event_type)?.get("schema")
    }

    /// The schema of `data` for `event_type`, unresolved (usually a `$ref`).
    #[must_use]
    pub fn data_schema(&self, event_type: &str) -> Option<&Value> {
        self.property_schema(self.payload_schema(event_type)?, "data", 0)
    }

    /// The component schema(s) `data` is: `User`, or `OrganizationInvitation + inline` for an
    /// `allOf` that extends one.
    #[must_use]
    pub fn data_schema_name(&self, event_type: &str) -> Option<String> {
        let schema = self.data_schema(event_type)?;
        if let Some(name) = ref_name(schema) {
            return Some(name.to_owned());
        }
        let parts = schema.get("allOf").and_then(Value::as_array)?;
        let mut names: Vec<&str> = parts.iter().filter_map(ref_name).collect();
        if names.len() < parts.len() {
            names.push("inline");
        }
        Some(names.join(" + "))
    }

    /// Finds property `name`'s schema in `schema`, through `$ref` and `allOf`.
    fn property_schema<'a>(
        &'a self,
        schema: &'a Value,
        name: &str,
        depth: u32,
    ) -> Option<&'a Value> {
        if depth > 32 {
            return None;
        }
        let schema = self.resolve(schema);
        if let Some(found) = schema.get("properties").and_then(|p| p.get(name)) {
            return Some(found);
        }
        schema
            .get("allOf")
            .and_then(Value::as_array)?
            .iter()
            .find_map(|part| self.property_schema(part, name, depth + 1))
    }

    /// The spec's example delivery body for `event_type` (inline `example`, or the first of
    /// `examples`, following a `$ref` into `components/examples`).
    #[must_use]
    pub fn example(&self, event_type: &str) -> Option<&Value> {
        let body = self.request_body(event_type)?;
        if let Some(example) = body.get("example") {
            return Some(example);
        }
        let first = body.get("examples")?.as_object()?.values().next()?;
        let example = match first.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.pointer(reference)?,
            None => first,
        };
        example.get("value")
    }

    fn pointer(&self, reference: &str) -> Option<&Value> {
        self.root.pointer(reference.strip_prefix('#')?)
    }

    /// Follows `$ref`s (a dangling one resolves to itself).
    #[must_use]
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..32 {
            match schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.pointer(r))
            {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    /// `schema` with its `$ref` and `allOf` merged in: what a value of it must satisfy, as
    /// one flat description. `oneOf`/`anyOf` stay as alternatives.
    #[must_use]
    pub fn merged(&self, schema: &Value) -> Merged {
        self.merged_at(schema, 0)
    }

    fn merged_at(&self, schema: &Value, depth: u32) -> Merged {
        let mut merged = Merged::own(schema);
        // Deeper than any real chain: a cycle of `$ref`/`allOf`; stop merging there.
        if depth > 32 {
            return merged;
        }
        // Every `$ref` resolves: `parse` checked.
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
            && let Some(target) = self.pointer(reference)
        {
            let mut inner = self.merged_at(target, depth + 1);
            inner
                .ref_name
                .get_or_insert_with(|| short_name(reference).to_owned());
            merged.absorb(inner);
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            merged.absorb(self.merged_at(part, depth + 1));
        }
        merged
    }
}

/// The last segment of `#/components/schemas/Name`.
#[must_use]
pub fn short_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The name a `$ref` schema points to.
#[must_use]
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref").and_then(Value::as_str).map(short_name)
}

/// One schema with its `$ref` and `allOf` merged in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    /// `type`.
    pub kind: Option<String>,
    /// `format`.
    pub format: Option<String>,
    /// `nullable` (true when any merged part says so).
    pub nullable: bool,
    /// `enum`.
    pub enumeration: Option<Vec<Value>>,
    /// `x-speakeasy-unknown-values: allow`: values beyond `enum` may come.
    pub open_enum: bool,
    /// `properties`, in the spec's order.
    pub properties: Vec<(String, Value)>,
    /// `required`.
    pub required: BTreeSet<String>,
    /// `additionalProperties`.
    pub additional: Option<Value>,
    /// `items`.
    pub items: Option<Value>,
    /// `oneOf` and `anyOf` alternatives.
    pub alternatives: Vec<Value>,
    /// The component schema this came from, when it was a `$ref`.
    pub ref_name: Option<String>,
}

impl Merged {
    fn own(schema: &Value) -> Self {
        let text = |key: &str| schema.get(key).and_then(Value::as_str).map(str::to_owned);
        let list = |key: &str| {
            schema
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let mut alternatives = list("oneOf");
        alternatives.extend(list("anyOf"));
        Self {
            kind: text("type"),
            format: text("format"),
            nullable: schema.get("nullable").and_then(Value::as_bool) == Some(true),
            enumeration: schema.get("enum").and_then(Value::as_array).cloned(),
            open_enum: text("x-speakeasy-unknown-values").as_deref() == Some("allow"),
            properties: schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            required: list("required")
                .iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect(),
            additional: schema.get("additionalProperties").cloned(),
            items: schema.get("items").cloned(),
            alternatives,
            ref_name: None,
        }
    }

    /// Adds `other`'s constraints: the union of properties and required names; a property
    /// both describe must satisfy both (`allOf`).
    pub fn absorb(&mut self, other: Self) {
        self.kind = self.kind.take().or(other.kind);
        self.format = self.format.take().or(other.format);
        self.nullable |= other.nullable;
        self.enumeration = self.enumeration.take().or(other.enumeration);
        self.open_enum |= other.open_enum;
        for (name, schema) in other.properties {
            match self.properties.iter_mut().find(|(mine, _)| *mine == name) {
                Some((_, mine)) => {
                    *mine = serde_json::json!({ "allOf": [mine.clone(), schema] });
                }
                None => self.properties.push((name, schema)),
            }
        }
        self.required.extend(other.required);
        self.additional = self.additional.take().or(other.additional);
        self.items = self.items.take().or(other.items);
        self.alternatives.extend(other.alternatives);
        self.ref_name = self.ref_name.take().or(other.ref_name);
    }

    /// This schema without its alternatives, merged with one of them.
    #[must_use]
    pub fn with_alternative(&self, alternative: Self) -> Self {
        let mut base = self.clone();
        base.alternatives.clear();
        base.absorb(alternative);
        base
    }

    /// Whether this describes a JSON object.
    #[must_use]
    pub fn is_object(&self) -> bool {
        self.kind.as_deref() == Some("object")
            || (self.kind.is_none() && !self.properties.is_empty())
    }

    /// Whether the object takes properties beyond `properties` (OpenAPI's default: yes).
    #[must_use]
    pub fn allows_more(&self) -> bool {
        self.additional != Some(Value::Bool(false))
    }
}
