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
