//! What a newer spec adds or changes: event types, and every field of each event's `data`
//! (nested objects, array items and `oneOf`/`anyOf` alternatives included).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::{Merged, Spec};

/// Each field of `data`, by path (`data.email_addresses[].verification<verification_otp>.status`),
/// described as `type[/format][, enum …][, nullable][, required]`.
pub type Fields = BTreeMap<String, String>;

/// The entry naming the component schema of `data`.
const SCHEMA: &str = "schema";

/// Every event type's data fields.
#[must_use]
pub fn describe(spec: &Spec) -> BTreeMap<String, Fields> {
    spec.event_types()
        .into_iter()
        .map(|event_type| {
            let mut fields = Fields::new();
            if let Some(schema) = spec.data_schema(&event_type) {
                let name = spec.data_schema_name(&event_type);
                fields.insert(
                    SCHEMA.to_owned(),
                    name.unwrap_or_else(|| "inline".to_owned()),
                );
                let merged = spec.merged(schema);
                fields.insert("data".to_owned(), summary(&merged, true));
                walk(spec, &merged, "data", &mut fields, 0);
            }
            (event_type, fields)
        })
        .collect()
}

fn walk(spec: &Spec, merged: &Merged, path: &str, fields: &mut Fields, depth: u32) {
    if depth > 16 {
        return;
    }
    for (index, alternative) in merged.alternatives.iter().enumerate() {
        let name = super::ref_name(alternative).map_or_else(|| format!("#{index}"), str::to_owned);
        let chosen = merged.with_alternative(spec.merged(alternative));
        let path = format!("{path}<{name}>");
        fields.insert(path.clone(), summary(&chosen, true));
        walk(spec, &chosen, &path, fields, depth + 1);
    }
    if !merged.alternatives.is_empty() {
        return;
    }
    for (name, schema) in &merged.properties {
        let property = spec.merged(schema);
        let path = format!("{path}.{name}");
        fields.insert(
            path.clone(),
            summary(&property, merged.required.contains(name)),
        );
        walk(spec, &property, &path, fields, depth + 1);
    }
    if let Some(items) = &merged.items {
        let items = spec.merged(items);
        let path = format!("{path}[]");
        fields.insert(path.clone(), summary(&items, true));
        walk(spec, &items, &path, fields, depth + 1);
    }
}

fn summary(merged: &Merged, required: bool) -> String {
    let mut text = merged
        .kind
        .clone()
        .unwrap_or_else(|| if merged.is_object() { "object" } else { "any" }.to_owned());
    if let Some(format) = &merged.format {
        let _ = write!(text, "/{format}");
    }
    if let Some(values) = &merged.enumeration {
        let values: Vec<String> = values.iter().map(Value::to_string).collect();
        let _ = write!(text, ", enum {}", values.join("|"));
        if merged.open_enum {
            text.push_str(" (open)");
        }
    }
    if merged.nullable {
        text.push_str(", nullable");
    }
    if required {
        text.push_str(", required");
    }
    text
}

/// The differences from `old` to `new`, as the lines `scripts/spec-diff.sh` prints.
#[must_use]
pub fn diff(old: &Spec, new: &Spec) -> String {
    let (old, new) = (describe(old), describe(new));
    let mut out = String::new();
    let added: Vec<_> = new.keys().filter(|t| !old.contains_key(*t)).collect();
    let removed: Vec<_> = old.keys().filter(|t| !new.contains_key(*t)).collect();
    if !added.is_empty() {
        out.push_str("Event types added (type them in ClerkEvent):\n");
        let known_schemas: Vec<&String> = old.values().filter_map(|f| f.get(SCHEMA)).collect();
        for event_type in added {
            let fields = &new[event_type];
            let schema = fields.get(SCHEMA).map_or("?", String::as_str);
            let _ = writeln!(out, "  + {event_type} (data: {schema})");
            // A schema the old spec already had is described where it changed, below.
            if !known_schemas.iter().any(|known| known.as_str() == schema) {
                for (path, description) in fields.iter().filter(|(p, _)| *p != SCHEMA) {
                    let _ = writeln!(out, "      {path}: {description}");
                }
            }
        }
    }
    if !removed.is_empty() {
        out.push_str("Event types removed (keep typing them; list them as beyond the spec):\n");
        for event_type in removed {
            let _ = writeln!(out, "  - {event_type}");
        }
    }
    // Event types with the same changes (user.created and user.updated share `User`) are
    // reported together.
    let mut changes: BTreeMap<Vec<String>, Vec<&String>> = BTreeMap::new();
    for (event_type, new_fields) in &new {
        let Some(old_fields) = old.get(event_type) else {
            continue;
        };
        let lines = field_changes(old_fields, new_fields);
        if !lines.is_empty() {
            changes.entry(lines).or_default().push(event_type);
        }
    }
    if !changes.is_empty() {
        out.push_str("Fields added, changed or removed:\n");
        for (lines, event_types) in changes {
            let names: Vec<&str> = event_types.iter().map(|t| t.as_str()).collect();
            let _ = writeln!(out, "  {}:", names.join(", "));
            for line in lines {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if out.is_empty() {
        out.push_str("No event type or field differs.\n");
    }
    out
}

fn field_changes(old: &Fields, new: &Fields) -> Vec<String> {
    let mut lines = Vec::new();
    for (path, description) in new {
        match old.get(path) {
            None => lines.push(format!("+ {path}: {description}")),
            Some(before) if before != description => {
                lines.push(format!("~ {path}: {before} -> {description}"));
            }
            Some(_) => {}
        }
    }
    for path in old.keys().filter(|path| !new.contains_key(*path)) {
        lines.push(format!("- {path}"));
    }
    lines
}
