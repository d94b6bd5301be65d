//! The OpenAPI document is part of the API: clients are generated from it, so any
//! change to it shows up in review as a snapshot diff.

use artel_tests::{Backend, TestApp};

#[tokio::test]
async fn openapi_document_matches_snapshot() {
    let app = TestApp::start(Backend::Sqlite).await;
    let resp = app.http.get(app.url("/openapi.json")).send().await.expect("request");
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    // Every served endpoint of this issue is described.
    for path in [
        "/health",
        "/ready",
        "/setup",
        "/auth/login",
        "/auth/refresh",
        "/me",
        "/users/{id}",
        "/invites/accept",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the document");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

/// Clients are generated from the document, so it must be valid for generators:
/// every operation has its own `operationId` and every `$ref` names a listed schema.
#[tokio::test]
async fn operation_ids_are_unique_and_refs_resolve() {
    let app = TestApp::start(Backend::Sqlite).await;
    let doc: serde_json::Value =
        app.http.get(app.url("/openapi.json")).send().await.expect("request").json().await.expect("json");
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id =
                op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} is used by both {other} and {method} {path}");
            }
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut missing = std::collections::BTreeSet::new();
    collect_missing_refs(&doc, schemas, &mut missing);
    assert!(missing.is_empty(), "referenced but not in components: {missing:?}");
}

fn collect_missing_refs(
    node: &serde_json::Value,
    schemas: &serde_json::Map<String, serde_json::Value>,
    missing: &mut std::collections::BTreeSet<String>,
) {
    match node {
        serde_json::Value::Object(map) => {
            if let Some(name) =
                map.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                if !schemas.contains_key(name) {
                    missing.insert(name.to_owned());
                }
            }
            map.values().for_each(|v| collect_missing_refs(v, schemas, missing));
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| collect_missing_refs(v, schemas, missing))
        }
        _ => {}
    }
}
