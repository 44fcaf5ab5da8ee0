use crate::clients::new_client;
use crate::db_test;
use crate::helpers::TestApp;
use serde_json::{json, Value};

async fn every_client_change_shows_up_in_its_history(app: &TestApp) {
    let token = app.token("admin").await;
    let body = new_client(app, &token, "91430104MA4AUD001").await;
    let created: Value = app
        .post_json("/api/v1/clients", &token, &body)
        .await
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id");
    let path = format!("/api/v1/clients/{id}");
    let update = app
        .patch_json(
            &path,
            &token,
            &json!({ "name": "审计测试改名有限公司", "location": { "lat": 28.3, "lon": 112.9 } }),
        )
        .await;
    assert_eq!(update.status(), 200);
    // A refused update and a no-op update leave no trace.
    let refused = app
        .patch_json(
            &path,
            &token,
            &json!({ "contacts": [{ "name": "甲", "phone": "1" }] }),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let same = app
        .patch_json(&path, &token, &json!({ "name": "审计测试改名有限公司" }))
        .await;
    assert_eq!(same.status(), 200);

    let history = app.get_json(&format!("{path}/history"), &token).await;
    assert_eq!(history["total"], 2);
    let newest = &history["items"][0];
    assert_eq!(newest["action"], "update");
    assert_eq!(
        newest["actor_name"],
        app.get_json("/api/v1/me", &token).await["display_name"]
    );
    assert!(newest["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(newest["ip"]
        .as_str()
        .is_some_and(|ip| ip.starts_with("127.0.0.1")));
    let changes = newest["changes"].as_array().expect("changes");
    let fields: Vec<&str> = changes
        .iter()
        .map(|c| c["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["location.lat", "name"]);
    assert_eq!(changes[1]["before"], body["name"]);
    assert_eq!(changes[1]["after"], "审计测试改名有限公司");
    let creation = &history["items"][1];
    assert_eq!(creation["action"], "create");
    assert!(creation["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|c| c["field"] == "uscc" && c["after"] == body["uscc"]));

    // The whole log: administrators only, filterable.
    let log = app
        .get_json(
            &format!("/api/v1/audit?entity=client&entity_id={id}&action=update"),
            &token,
        )
        .await;
    assert_eq!(log["total"], 1);
    let manager = app.token("manager").await;
    assert_eq!(app.get("/api/v1/audit", &manager).await.status(), 403);
    assert_eq!(
        app.get("/api/v1/audit?from=yesterday", &token)
            .await
            .status(),
        422
    );
    // Someone who cannot see the client cannot see its history either.
    let viewer_scope_other = app
        .get(&format!("{path}/history"), &app.token("leader").await)
        .await;
    assert_eq!(
        viewer_scope_other.status(),
        200,
        "the province leader sees every client"
    );
}
db_test!(every_client_change_shows_up_in_its_history);

async fn history_is_not_visible_outside_the_data_scope(app: &TestApp) {
    let admin = app.token("admin").await;
    let me = app
        .get_json("/api/v1/me", &app.token("manager").await)
        .await;
    let all = app.get_json("/api/v1/clients?per_page=200", &admin).await;
    let foreign = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["account_manager_id"] != me["id"])
        .expect("foreign");
    let response = app
        .get(
            &format!(
                "/api/v1/clients/{}/history",
                foreign["id"].as_str().expect("id")
            ),
            &app.token("manager").await,
        )
        .await;
    assert_eq!(response.status(), 404);
}
db_test!(history_is_not_visible_outside_the_data_scope);
