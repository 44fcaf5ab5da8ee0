//! Organisation and people administration: the org tree (no cycles, levels kept), users,
//! deactivation, and reassigning a leaver's clients with effective-dated ownership.

use crate::db_test;
use crate::helpers::{TestApp, PASSWORD};
use serde_json::{json, Value};

async fn units(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json("/api/v1/org-units", token)
        .await
        .as_array()
        .expect("units")
        .clone()
}

fn unit_by_code<'a>(units: &'a [Value], code: &str) -> &'a Value {
    units
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("unit {code}"))
}

async fn delete(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn field_errors(response: reqwest::Response) -> Vec<String> {
    let body: Value = response.json().await.expect("problem");
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn the_tree_is_edited_without_cycles_or_level_jumps(app: &TestApp) {
    let admin = app.token("admin").await;
    let all = units(app, &admin).await;
    let province = unit_by_code(&all, "430000").clone();
    let changsha = unit_by_code(&all, "430100").clone();
    let zhuzhou = unit_by_code(&all, "430200").clone();
    let yuelu = unit_by_code(&all, "430104").clone();

    // A county under a city.
    let created = app
        .post_json(
            "/api/v1/org-units",
            &admin,
            &json!({ "parent_id": changsha["id"], "level": "county", "name": " 湘江新区 ", "code": "430199" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let new_unit: Value = created.json().await.expect("unit");
    assert_eq!(new_unit["name"], "湘江新区", "names are trimmed");

    // Levels: a county under the province, a second province, a bad code, a duplicate code.
    let wrong_level = app
        .post_json(
            "/api/v1/org-units",
            &admin,
            &json!({ "parent_id": province["id"], "level": "county", "name": "某县", "code": "430198" }),
        )
        .await;
    assert_eq!(wrong_level.status(), 422);
    assert_eq!(field_errors(wrong_level).await, ["parent_id"]);
    let second_province = app
        .post_json(
            "/api/v1/org-units",
            &admin,
            &json!({ "parent_id": null, "level": "province", "name": "湖北省", "code": "420000" }),
        )
        .await;
    assert_eq!(second_province.status(), 422);
    let bad = app
        .post_json(
            "/api/v1/org-units",
            &admin,
            &json!({ "parent_id": changsha["id"], "level": "county", "name": "", "code": "43A", "base_lat": 95.0 }),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let mut fields = field_errors(bad).await;
    fields.sort();
    assert_eq!(fields, ["base_lat", "base_lon", "code", "name"]);
    let duplicate = app
        .post_json(
            "/api/v1/org-units",
            &admin,
            &json!({ "parent_id": changsha["id"], "level": "county", "name": "另一个", "code": "430199" }),
        )
        .await;
    assert_eq!(duplicate.status(), 409);
    let same_name = app
        .post_json(
            "/api/v1/org-units",
            &admin,
            &json!({ "parent_id": changsha["id"], "level": "county", "name": "湘江新区", "code": "430197" }),
        )
        .await;
    assert_eq!(same_name.status(), 422, "sibling names are unique");

    // Moves: a county to another city is fine; a city under its own county, or a unit under
    // itself, is a cycle; a city under a city skips a level.
    let path = |u: &Value| format!("/api/v1/org-units/{}", u["id"].as_str().expect("id"));
    let moved = app
        .patch_json(
            &path(&new_unit),
            &admin,
            &json!({ "parent_id": zhuzhou["id"] }),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.expect("unit");
    assert_eq!(moved["parent_id"], zhuzhou["id"]);
    for (unit, parent) in [
        (&changsha, &yuelu),
        (&changsha, &changsha),
        (&changsha, &zhuzhou),
    ] {
        let response = app
            .patch_json(&path(unit), &admin, &json!({ "parent_id": parent["id"] }))
            .await;
        assert_eq!(
            response.status(),
            422,
            "moving {} under {}",
            unit["name"],
            parent["name"]
        );
        assert_eq!(field_errors(response).await, ["parent_id"]);
    }
    let after = units(app, &admin).await;
    assert_eq!(
        unit_by_code(&after, "430100")["parent_id"],
        province["id"],
        "refused moves change nothing"
    );

    // Deleting: a unit with people or clients is refused; an empty one goes.
    let in_use = delete(app, &path(&yuelu), &admin).await;
    assert_eq!(in_use.status(), 409);
    let problem: Value = in_use.json().await.expect("problem");
    assert!(problem["detail_zh"]
        .as_str()
        .unwrap_or_default()
        .contains("人员"));
    assert_eq!(delete(app, &path(&new_unit), &admin).await.status(), 204);
    assert_eq!(delete(app, &path(&new_unit), &admin).await.status(), 404);

    // Only administrators administer the tree; every change is in the audit trail.
    let director = app.token("director").await;
    let refused = app
        .patch_json(&path(&yuelu), &director, &json!({ "name": "改名" }))
        .await;
    assert_eq!(refused.status(), 403);
    let audit = app.get_json("/api/v1/audit?entity=org_unit", &admin).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["delete", "update", "create"]);
}
db_test!(the_tree_is_edited_without_cycles_or_level_jumps);

async fn users_are_created_edited_and_validated(app: &TestApp) {
    let admin = app.token("admin").await;
    let all = units(app, &admin).await;
    let yuelu = unit_by_code(&all, "430104").clone();
    let created = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({
                "username": "zhang.san", "display_name": "张三", "role": "account_manager",
                "org_unit_id": yuelu["id"], "password": "Xiang!jiang2026",
                "employee_id": "HN-90001", "email": "Zhang.San@Example.com", "phone": "13907310000"
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.expect("user");
    assert_eq!(user["email"], "zhang.san@example.com");
    assert_eq!(user["has_password"], true);
    assert_eq!(user["client_count"], 0);
    assert_eq!(
        app.login("zhang.san", "Xiang!jiang2026").await.status(),
        200
    );

    // Field by field; nothing written.
    let bad = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({
                "username": "a b", "display_name": " ", "role": "account_manager",
                "org_unit_id": yuelu["id"], "password": "short", "email": "not-mail", "phone": "123"
            }),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let mut fields = field_errors(bad).await;
    fields.sort();
    assert_eq!(
        fields,
        ["display_name", "email", "password", "phone", "username"]
    );
    let unknown_role = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({ "username": "li.si", "display_name": "李四", "role": "boss", "org_unit_id": yuelu["id"] }),
        )
        .await;
    assert_eq!(unknown_role.status(), 400);
    for (field, body) in [
        (
            "username",
            json!({ "username": "zhang.san", "display_name": "重名", "role": "viewer", "org_unit_id": yuelu["id"] }),
        ),
        (
            "employee_id",
            json!({ "username": "zhang.si", "display_name": "工号重", "role": "viewer", "org_unit_id": yuelu["id"], "employee_id": "HN-90001" }),
        ),
        (
            "email",
            json!({ "username": "zhang.wu", "display_name": "邮箱重", "role": "viewer", "org_unit_id": yuelu["id"], "email": "ZHANG.SAN@example.com" }),
        ),
    ] {
        let response = app.post_json("/api/v1/users", &admin, &body).await;
        assert_eq!(response.status(), 409, "duplicate {field}");
        assert_eq!(field_errors(response).await, [field]);
    }

    // An SSO-only user has no password and cannot sign in with one.
    let sso_only = app
        .post_json(
            "/api/v1/users",
            &admin,
            &json!({ "username": "sso.only", "display_name": "单点", "role": "viewer", "org_unit_id": yuelu["id"] }),
        )
        .await;
    assert_eq!(sso_only.status(), 201);
    let sso_only: Value = sso_only.json().await.expect("user");
    assert_eq!(sso_only["has_password"], false);
    assert_eq!(app.login("sso.only", "Anything!2026").await.status(), 401);

    // Edit: role change and a password reset sign the user out.
    let user_path = format!("/api/v1/users/{}", user["id"].as_str().expect("id"));
    let session: Value = app
        .login("zhang.san", "Xiang!jiang2026")
        .await
        .json()
        .await
        .expect("login");
    let session = session["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/v1/me", &session).await.status(), 200);
    let edited = app
        .patch_json(
            &user_path,
            &admin,
            &json!({ "role": "director", "display_name": "张三丰", "phone": "" }),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.expect("user");
    assert_eq!(edited["role"], "director");
    assert_eq!(
        edited["phone"],
        Value::Null,
        "an empty text clears the field"
    );
    assert_eq!(app.get("/api/v1/me", &session).await.status(), 401);
    let weak = app
        .patch_json(
            &user_path,
            &admin,
            &json!({ "password": "zhang.san-2026X" }),
        )
        .await;
    assert_eq!(
        weak.status(),
        422,
        "the password may not contain the username"
    );

    // Non-admins may not administer people; they read users of their own subtree only.
    let director = app.token("director").await;
    let refused = app
        .post_json(
            "/api/v1/users",
            &director,
            &json!({ "username": "x.y", "display_name": "X", "role": "viewer", "org_unit_id": yuelu["id"] }),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let admin_id = app.get_json("/api/v1/me", &admin).await["id"].clone();
    let province_user = app
        .get(
            &format!("/api/v1/users/{}", admin_id.as_str().expect("id")),
            &director,
        )
        .await;
    assert_eq!(
        province_user.status(),
        404,
        "outside the director's subtree"
    );
    assert_eq!(app.get(&user_path, &director).await.status(), 200);

    // An administrator cannot lock themselves out.
    let me_path = format!("/api/v1/users/{}", admin_id.as_str().expect("id"));
    let self_lockout = app
        .patch_json(&me_path, &admin, &json!({ "active": false }))
        .await;
    assert_eq!(self_lockout.status(), 409);
}
db_test!(users_are_created_edited_and_validated);

async fn a_leavers_clients_move_in_one_action_with_history(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app
        .get_json("/api/v1/me", &app.token("manager").await)
        .await;
    let manager_id = manager["id"].as_str().expect("id").to_owned();
    let colleagues = app
        .get_json(
            &format!(
                "/api/v1/users?role=account_manager&org_unit_id={}",
                manager["org_unit_id"].as_str().expect("unit")
            ),
            &admin,
        )
        .await;
    let successor = colleagues
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] != manager["id"])
        .expect("a second account manager in the demo county")
        .clone();
    let successor_id = successor["id"].as_str().expect("id").to_owned();
    let before = app
        .get_json(&format!("/api/v1/users/{manager_id}"), &admin)
        .await;
    let owned = before["client_count"].as_u64().expect("count");
    assert!(owned > 0, "the demo account manager owns clients");
    let successor_before = successor["client_count"].as_u64().expect("count");

    // Deactivation waits until the clients are handed over.
    let manager_path = format!("/api/v1/users/{manager_id}");
    let refused = app
        .patch_json(&manager_path, &admin, &json!({ "active": false }))
        .await;
    assert_eq!(refused.status(), 409);
    assert_eq!(field_errors(refused).await, ["active"]);

    // The target must be an active account manager.
    let director = app
        .get_json("/api/v1/me", &app.token("director").await)
        .await;
    let reassign_path = format!("/api/v1/users/{manager_id}/reassign-clients");
    let wrong_target = app
        .post_json(
            &reassign_path,
            &admin,
            &json!({ "to_user_id": director["id"] }),
        )
        .await;
    assert_eq!(wrong_target.status(), 422);
    assert_eq!(field_errors(wrong_target).await, ["to_user_id"]);

    let a_client = app
        .get_json(
            &format!("/api/v1/clients?account_manager_id={manager_id}&per_page=1"),
            &admin,
        )
        .await["items"][0]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let moved = app
        .post_json(
            &reassign_path,
            &admin,
            &json!({ "to_user_id": successor_id }),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.expect("result");
    assert_eq!(moved["moved"].as_u64(), Some(owned));
    let after = app
        .get_json(&format!("/api/v1/users/{successor_id}"), &admin)
        .await;
    assert_eq!(
        after["client_count"].as_u64(),
        Some(successor_before + owned)
    );

    // Ownership is effective-dated: the leaver's period ends when the successor's begins.
    let owners = app
        .get_json(&format!("/api/v1/clients/{a_client}/owners"), &admin)
        .await;
    let owners = owners.as_array().expect("periods");
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["account_manager_id"], manager_id.as_str());
    assert_eq!(owners[0]["valid_to"], moved["effective_from"]);
    assert_eq!(owners[1]["account_manager_id"], successor_id.as_str());
    assert_eq!(owners[1]["valid_from"], moved["effective_from"]);
    assert_eq!(owners[1]["valid_to"], Value::Null);
    let history = app
        .get_json(&format!("/api/v1/clients/{a_client}/history"), &admin)
        .await;
    assert_eq!(
        history["items"][0]["changes"][0]["field"],
        "account_manager_id"
    );
    assert_eq!(
        history["items"][0]["changes"][0]["after"],
        successor_id.as_str()
    );

    // Now the leaver can be deactivated: their session ends and they cannot sign in; the user
    // stays (with their history) and is listed among the deactivated.
    let leaver_session = app.token("manager").await;
    let deactivated = app
        .patch_json(&manager_path, &admin, &json!({ "active": false }))
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(app.get("/api/v1/me", &leaver_session).await.status(), 401);
    assert_eq!(app.login("manager", PASSWORD).await.status(), 401);
    let inactive = app.get_json("/api/v1/users?active=false", &admin).await;
    assert!(inactive
        .as_array()
        .expect("users")
        .iter()
        .any(|u| u["id"] == manager_id.as_str()));
    let active = app.get_json("/api/v1/users", &admin).await;
    assert!(!active
        .as_array()
        .expect("users")
        .iter()
        .any(|u| u["id"] == manager_id.as_str()));
    let bad_filter = app
        .get("/api/v1/users?active=maybe&role=boss", &admin)
        .await;
    assert_eq!(bad_filter.status(), 422);
}
db_test!(a_leavers_clients_move_in_one_action_with_history);

async fn account_managers_read_their_units_list_without_phones(app: &TestApp) {
    let token = app.token("manager").await;
    let own = app.get_json("/api/v1/clients?per_page=200", &token).await;
    let unit = app
        .get_json("/api/v1/clients?per_page=200&view=unit", &token)
        .await;
    let me = app.get_json("/api/v1/me", &token).await;
    assert!(unit["total"].as_u64() > own["total"].as_u64());
    let items = unit["items"].as_array().expect("items");
    assert!(items.iter().all(|c| c["org_unit_id"] == me["org_unit_id"]));
    assert!(items
        .iter()
        .filter_map(|c| c["contact_phone"].as_str())
        .all(|p| p.contains('*')));
    assert!(own["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["contact_phone"].as_str())
        .any(|p| !p.contains('*')));
    // Colleagues' clients stay unreadable one by one.
    let foreign = items
        .iter()
        .find(|c| c["account_manager_id"] != me["id"])
        .expect("a colleague's client");
    let response = app
        .get(
            &format!("/api/v1/clients/{}", foreign["id"].as_str().expect("id")),
            &token,
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        app.get("/api/v1/clients?view=everything", &token)
            .await
            .status(),
        422
    );
}
db_test!(account_managers_read_their_units_list_without_phones);

async fn reading_contact_details_leaves_a_trace(app: &TestApp) {
    let director = app.token("director").await;
    let client = app.get_json("/api/v1/clients?per_page=1", &director).await["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.get_json(&format!("/api/v1/clients/{client}"), &director)
        .await;
    let admin = app.token("admin").await;
    let reads = app
        .get_json(
            &format!("/api/v1/audit?action=read&entity=client&entity_id={client}"),
            &admin,
        )
        .await;
    assert_eq!(reads["total"], 1);
    assert_eq!(reads["items"][0]["action"], "read");
    assert!(reads["items"][0]["changes"]
        .as_array()
        .is_some_and(Vec::is_empty));
    // A viewer sees masked phones, so nothing sensitive was read.
    let viewer = app.token("viewer").await;
    app.get_json(&format!("/api/v1/clients/{client}"), &viewer)
        .await;
    let reads = app
        .get_json(
            &format!("/api/v1/audit?action=read&entity=client&entity_id={client}"),
            &admin,
        )
        .await;
    assert_eq!(reads["total"], 1);
    // The history tab lists changes only.
    let history = app
        .get_json(&format!("/api/v1/clients/{client}/history"), &admin)
        .await;
    assert!(history["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|e| e["action"] != "read"));
}
db_test!(reading_contact_details_leaves_a_trace);
