use crate::db_test;
use crate::helpers::TestApp;
use serde_json::Value;

async fn health_and_readiness_answer(app: &TestApp) {
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let expected = match app.backend {
        crate::helpers::Backend::Sqlite => "sqlite",
        crate::helpers::Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], expected);
}
db_test!(health_and_readiness_answer);

async fn openapi_and_docs_are_served_offline(app: &TestApp) {
    let spec: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(spec["paths"]["/api/v1/clients"]["get"].is_object());
    assert!(spec["paths"]["/api/v1/clients/{id}"]["patch"].is_object());
    let docs = app
        .client
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("request");
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.expect("html");
    assert!(html.contains("swagger-ui"));
    assert!(!html.contains("https://"), "docs must not load from a CDN");
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(bundle.status(), 200);
}
db_test!(openapi_and_docs_are_served_offline);

async fn page_routes_fall_back_to_the_app(app: &TestApp) {
    for path in ["/", "/clients", "/clients/123"] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html"));
    }
    let missing = app
        .client
        .get(app.url("/missing.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
}
db_test!(page_routes_fall_back_to_the_app);

#[test]
fn committed_openapi_spec_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api-spec/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == api::openapi::spec_json(),
        "api-spec/openapi.json is stale: run `make openapi` and commit it"
    );
}
