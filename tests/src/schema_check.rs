//! Checks a JSON value against a schema of the OpenAPI document, for the subset
//! utoipa writes (`$ref`, `oneOf`, `anyOf`, `allOf`, `type`, `properties`,
//! `required`, `enum`, `items`, `additionalProperties`, the `uuid` and
//! `date-time` formats). Stricter than JSON Schema in one way: an object may not
//! carry a property its schema does not declare, so a field serde writes and the
//! document forgot fails too.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

pub struct SchemaCheck<'a> {
    schemas: &'a Map<String, Value>,
}

impl<'a> SchemaCheck<'a> {
    /// Over the `components.schemas` of an OpenAPI document.
    pub fn new(doc: &'a Value) -> Self {
        SchemaCheck { schemas: doc["components"]["schemas"].as_object().expect("components.schemas") }
    }

    /// `Ok` when `value` is a valid instance of the component `name`; otherwise
    /// where and why it is not.
    pub fn check(&self, name: &str, value: &Value) -> Result<(), String> {
        let schema = self.schemas.get(name).ok_or_else(|| format!("no schema {name}"))?;
        self.validate(schema, value, "$", true)
    }

    fn resolve(&self, schema: &'a Value) -> Result<&'a Value, String> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/components/schemas/").ok_or_else(|| format!("odd $ref {r}"))?;
                let target = self.schemas.get(name).ok_or_else(|| format!("$ref to missing {name}"))?;
                self.resolve(target)
            }
            None => Ok(schema),
        }
    }

    /// The property names a schema declares (through refs and allOf).
    fn declared(&self, schema: &'a Value, out: &mut BTreeSet<String>) -> Result<(), String> {
        let schema = self.resolve(schema)?;
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            out.extend(props.keys().cloned());
        }
        for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.declared(part, out)?;
        }
        Ok(())
    }

    fn validate(&self, schema: &'a Value, v: &Value, at: &str, strict: bool) -> Result<(), String> {
        let schema = self.resolve(schema)?;
        if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
            let errors: Vec<String> =
                options.iter().filter_map(|o| self.validate(o, v, at, strict).err()).collect();
            match options.len() - errors.len() {
                1 => {}
                0 => return Err(format!("{at}: matches no oneOf option: {}", errors.join(" | "))),
                n => return Err(format!("{at}: matches {n} oneOf options, not exactly one")),
            }
        }
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            let errors: Vec<String> =
                options.iter().filter_map(|o| self.validate(o, v, at, strict).err()).collect();
            if errors.len() == options.len() {
                return Err(format!("{at}: matches no anyOf option: {}", errors.join(" | ")));
            }
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.validate(part, v, at, false)?;
            }
            if strict {
                if let Some(obj) = v.as_object() {
                    let mut known = BTreeSet::new();
                    self.declared(schema, &mut known)?;
                    if let Some(extra) = obj.keys().find(|k| !known.contains(*k)) {
                        return Err(format!("{at}: property `{extra}` is not in the schema"));
                    }
                }
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(v) {
                return Err(format!("{at}: {v} is not one of {allowed:?}"));
            }
        }
        if let Some(c) = schema.get("const") {
            if c != v {
                return Err(format!("{at}: {v} is not {c}"));
            }
        }
        if let Some(ty) = schema.get("type") {
            let types: Vec<&str> = match ty {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => return Err(format!("{at}: odd type {ty}")),
            };
            if !types.iter().any(|t| type_matches(t, v)) {
                return Err(format!("{at}: {v} is not of type {ty}"));
            }
        }
        if let (Some(format), Some(s)) = (schema.get("format").and_then(Value::as_str), v.as_str()) {
            let ok = match format {
                "uuid" => uuid::Uuid::parse_str(s).is_ok(),
                "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                _ => true,
            };
            if !ok {
                return Err(format!("{at}: {s:?} is not a {format}"));
            }
        }
        if let Some(obj) = v.as_object() {
            self.validate_object(schema, obj, at, strict)?;
        }
        if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
            for (i, item) in list.iter().enumerate() {
                self.validate(items, item, &format!("{at}[{i}]"), true)?;
            }
        }
        Ok(())
    }

    fn validate_object(
        &self,
        schema: &'a Value,
        obj: &Map<String, Value>,
        at: &str,
        strict: bool,
    ) -> Result<(), String> {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                return Err(format!("{at}: required property `{name}` is missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (key, value) in obj {
            let here = format!("{at}.{key}");
            match (props.and_then(|p| p.get(key)), additional) {
                (Some(prop), _) => self.validate(prop, value, &here, true)?,
                (None, Some(Value::Bool(false))) => {
                    return Err(format!("{at}: property `{key}` is not allowed"))
                }
                (None, Some(extra @ Value::Object(_))) => self.validate(extra, value, &here, true)?,
                (None, Some(Value::Bool(true))) => {}
                // No `properties` at all: a free-form object (`Object`).
                (None, _) if props.is_none() => {}
                (None, _) if strict && !schema.get("allOf").is_some_and(Value::is_array) => {
                    return Err(format!("{at}: property `{key}` is not in the schema"))
                }
                (None, _) => {}
            }
        }
        Ok(())
    }
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}
