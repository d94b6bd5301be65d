//! Text the databases cannot store alike, refused at the edge. Postgres `text`
//! and `jsonb` refuse the NUL character (U+0000) where SQLite stores it, so a
//! NUL that got in failed a statement on one engine only, and with it a whole
//! group commit. Every JSON body, query string, path and socket frame is
//! checked once, here, rather than field by field. NUL is the only such
//! character: a Rust string is valid UTF-8 (no lone surrogates), and Postgres
//! in UTF-8 stores every other code point.

use serde_json::Value;

/// The reason given with the field.
pub const NUL_REASON: &str = "must not contain NUL (\\u0000) characters";

/// Where the first NUL in a JSON value is, as a path like the one serde names a
/// mistyped field by (`items[2].name`); `.` for the top level.
pub fn nul_in_value(value: &Value) -> Option<String> {
    let mut path = String::new();
    find_nul(value, &mut path).then(|| if path.is_empty() { ".".to_string() } else { path })
}

fn find_nul(value: &Value, path: &mut String) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_nul(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(map) => map.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key.replace('\0', "\\u0000"));
            let found = key.contains('\0') || find_nul(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Whether JSON text may hold a NUL: a `\u0000` escape (a raw NUL byte is not
/// valid JSON and fails parsing anyway). No allocation, so every socket frame
/// can afford it; `nul_in_value` names the field once one is found.
pub fn json_text_has_nul(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0 => return true,
            // An escape: `\\` must be skipped whole, or `\\u0000` (a backslash
            // followed by the text "u0000") would read as a NUL.
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                    return true;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// The first query parameter whose name or decoded value holds a NUL (`%00`);
/// `query` when the string holds one but does not parse.
pub fn nul_in_query(query: &str) -> Option<String> {
    if !query.contains("%00") {
        return None;
    }
    match serde_urlencoded::from_str::<Vec<(String, String)>>(query) {
        Ok(pairs) => pairs
            .into_iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, _)| k.replace('\0', "\\u0000")),
        Err(_) => Some("query".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("test JSON")
    }

    #[test]
    fn names_the_field_holding_a_nul() {
        let v = json(r#"{"a":"x","items":[{"n":"ok"},{"n":"b\u0000"}]}"#);
        assert_eq!(nul_in_value(&v).as_deref(), Some("items[1].n"));
        let v = json(r#"{"custom":{"k\u0000":1}}"#);
        assert_eq!(nul_in_value(&v).as_deref(), Some("custom.k\\u0000"));
        assert_eq!(nul_in_value(&Value::String("\0".into())).as_deref(), Some("."));
        let v = json(r#"{"a":"\\u0000","b":[1,true,null]}"#);
        assert_eq!(nul_in_value(&v), None);
    }

    #[test]
    fn scans_json_text_for_nul_escapes_only() {
        assert!(json_text_has_nul(r#"{"body":"a\u0000b"}"#));
        assert!(!json_text_has_nul(r#"{"body":"a\\u0000b"}"#));
        assert!(json_text_has_nul(r#"{"body":"a\\\u0000b"}"#));
        assert!(!json_text_has_nul(r#"{"body":"a\u0001b \n"}"#));
        assert!(!json_text_has_nul(r#"{"body":"trailing\"#));
    }

    #[test]
    fn names_the_query_parameter_holding_a_nul() {
        assert_eq!(nul_in_query("limit=5&text=a%00b").as_deref(), Some("text"));
        assert_eq!(nul_in_query("tag=a%2500b"), None);
        assert_eq!(nul_in_query("text=ab"), None);
    }
}
