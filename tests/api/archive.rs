//! Completeness per unit, the versioned requirement matrix, and the hazchem screening.

use crate::db_test;
use crate::documents::upload_approved;
use crate::helpers::{today, TestApp};
use chrono::TimeDelta;
use serde_json::{json, Value};

fn required_missing(archive: &Value) -> Vec<String> {
    archive["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(|m| m.as_str().map(str::to_owned))
        .collect()
}

async fn completeness_counts_a_client_once_its_documents_are_approved(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let director = app.token("director").await;
    let clients = app.get_json("/api/v1/clients?per_page=200", &manager).await;
    let total_own = clients["total"].as_u64().expect("total");
    let before = app.get_json("/api/v1/archive/completeness", &admin).await;
    let root_before = app.get_json("/api/v1/archive/completeness", &admin).await;
    assert_eq!(
        root_before["total"]["clients"].as_u64(),
        Some(
            app.get_json("/api/v1/clients?per_page=1", &admin).await["total"]
                .as_u64()
                .expect("n")
        )
    );
    assert!(
        root_before["children"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
            > 1
    );
    let mine = app.get_json("/api/v1/archive/completeness", &manager).await;
    assert_eq!(mine["total"]["clients"].as_u64(), Some(total_own));

    // An incomplete client: upload and approve whatever it lacks.
    let incomplete = app
        .get_json("/api/v1/archive/incomplete?per_page=200", &admin)
        .await;
    let row = incomplete["items"][0].clone();
    let client = row["client_id"].as_str().expect("client").to_owned();
    let docs = app
        .get_json(&format!("/api/v1/clients/{client}/documents"), &admin)
        .await;
    for doc_type in required_missing(&docs["archive"]) {
        let meta = match doc_type.as_str() {
            "letter_to_client" => json!({"doc_type": doc_type}),
            "business_licence" => json!({"doc_type": doc_type, "long_term": true}),
            "hazchem_permit" => {
                json!({"doc_type": doc_type, "business_scope": "危险化学品经营：汽油、柴油",
                                       "valid_to": (today() + TimeDelta::days(900)).to_string()})
            }
            _ => {
                json!({"doc_type": doc_type, "valid_to": (today() + TimeDelta::days(300)).to_string()})
            }
        };
        upload_approved(app, &client, meta).await;
    }
    let docs = app
        .get_json(&format!("/api/v1/clients/{client}/documents"), &admin)
        .await;
    assert_eq!(docs["archive"]["complete"], true, "{}", docs["archive"]);
    let after = app.get_json("/api/v1/archive/completeness", &admin).await;
    assert_eq!(
        after["total"]["complete"].as_u64(),
        before["total"]["complete"].as_u64().map(|n| n + 1)
    );
    let still = app
        .get_json("/api/v1/archive/incomplete?per_page=200", &admin)
        .await;
    assert!(!still["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|r| r["client_id"] == client.as_str()));

    // Drill-down by type lists only clients missing that type.
    let by_type = app
        .get_json(
            "/api/v1/archive/incomplete?doc_type=letter_to_client&per_page=200",
            &director,
        )
        .await;
    for row in by_type["items"].as_array().expect("items") {
        assert!(row["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["doc_type"] == "letter_to_client"));
    }
    // A unit outside the caller's scope is not there; nonsense is a 422.
    let units = app.get_json("/api/v1/org-units", &admin).await;
    let zhuzhou = units
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["code"] == "430200")
        .and_then(|u| u["id"].as_str())
        .expect("unit");
    let hidden = app
        .get(
            &format!("/api/v1/archive/completeness?org_unit_id={zhuzhou}"),
            &director,
        )
        .await;
    assert_eq!(hidden.status(), 404);
    assert_eq!(
        app.get("/api/v1/archive/completeness?as_of=someday", &director)
            .await
            .status(),
        422
    );
}
db_test!(completeness_counts_a_client_once_its_documents_are_approved);

async fn the_requirement_matrix_is_versioned(app: &TestApp) {
    let admin = app.token("admin").await;
    let director = app.token("director").await;
    let first = app
        .get_json("/api/v1/archive/requirements", &director)
        .await;
    assert_eq!(first["current"]["version"], 1);
    let mut matrix = first["current"]["matrix"].clone();
    let bad = json!({"groups": {}, "expiring_days": 0});
    let refused = app
        .client
        .put(app.url("/api/v1/archive/requirements"))
        .bearer_auth(&admin)
        .json(&bad)
        .send()
        .await
        .expect("put");
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("problem");
    assert!(problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .any(|e| e["field"] == "expiring_days"));
    let as_director = app
        .client
        .put(app.url("/api/v1/archive/requirements"))
        .bearer_auth(&director)
        .json(&matrix)
        .send()
        .await
        .expect("put");
    assert_eq!(as_director.status(), 403);

    // End users no longer need a letter to client: fewer are incomplete afterwards.
    let before = app.get_json("/api/v1/archive/completeness", &admin).await;
    matrix["groups"]["end_user"]
        .as_object_mut()
        .expect("row")
        .remove("letter_to_client");
    let saved = app
        .client
        .put(app.url("/api/v1/archive/requirements"))
        .bearer_auth(&admin)
        .json(&matrix)
        .send()
        .await
        .expect("put");
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.expect("json");
    assert_eq!(saved["current"]["version"], 2);
    assert_eq!(saved["versions"].as_array().map(Vec::len), Some(2));
    let after = app.get_json("/api/v1/archive/completeness", &admin).await;
    assert_eq!(after["requirements_version"], 2);
    let missing = |r: &Value| {
        r["total"]["missing_by_type"]["letter_to_client"]
            .as_u64()
            .unwrap_or(0)
    };
    assert!(
        missing(&after) < missing(&before),
        "{} vs {}",
        missing(&after),
        missing(&before)
    );
}
db_test!(the_requirement_matrix_is_versioned);

async fn hazchem_screening_lists_resellers_without_a_diesel_permit(app: &TestApp) {
    let admin = app.token("admin").await;
    let director = app.token("director").await;
    let manager = app.token("manager").await;
    let list = app
        .get_json("/api/v1/compliance/hazchem?per_page=200", &admin)
        .await;
    let rows = list["items"].as_array().expect("items").clone();
    assert!(!rows.is_empty(), "the demo county has diesel resellers");
    for row in &rows {
        assert!(row["category"] == "filling_station" || row["category"] == "trader");
    }
    let client = rows[0]["client_id"].as_str().expect("client").to_owned();
    let listed = |list: &Value| {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["client_id"] == client.as_str())
    };

    // A permit whose scope excludes hazardous chemicals does not take it off the list.
    let valid_to = (today() + TimeDelta::days(700)).to_string();
    upload_approved(
        app,
        &client,
        json!({"doc_type": "hazchem_permit", "business_scope": "成品油批发（不含危化品）", "valid_to": valid_to}),
    )
    .await;
    let list = app
        .get_json("/api/v1/compliance/hazchem?per_page=200", &admin)
        .await;
    assert!(listed(&list));
    let row = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["client_id"] == client.as_str())
        .cloned()
        .expect("row");
    assert_eq!(row["permit"]["problem"], "scope_lacks_diesel");

    // Dispatch: one visit task for its account manager, once.
    let body = json!({"client_ids": [client]});
    let dispatched = app
        .post_json("/api/v1/compliance/hazchem/dispatch", &admin, &body)
        .await;
    assert_eq!(dispatched.status(), 200);
    let result: Value = dispatched.json().await.expect("json");
    assert_eq!(result, json!({"created": 1, "already_open": 0}));
    let again: Value = app
        .post_json("/api/v1/compliance/hazchem/dispatch", &admin, &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again, json!({"created": 0, "already_open": 1}));
    let tasks = app
        .get_json(
            &format!("/api/v1/tasks?kind=visit&client_id={client}"),
            &admin,
        )
        .await;
    assert_eq!(tasks["total"], 1);
    assert_eq!(tasks["items"][0]["source"], "hazchem_screening");
    assert!(tasks["items"][0]["detail"]
        .as_str()
        .unwrap_or("")
        .contains("柴油"));
    assert_eq!(
        app.post_json("/api/v1/compliance/hazchem/dispatch", &manager, &body)
            .await
            .status(),
        403
    );
    let stranger = json!({"client_ids": [uuid::Uuid::new_v4()]});
    let refused = app
        .post_json("/api/v1/compliance/hazchem/dispatch", &admin, &stranger)
        .await;
    assert_eq!(refused.status(), 422);
    let past = json!({"client_ids": [client], "due_date": "2020-01-01"});
    assert_eq!(
        app.post_json("/api/v1/compliance/hazchem/dispatch", &admin, &past)
            .await
            .status(),
        422
    );

    // A director dispatches only within the county: a client elsewhere is not on their list.
    let director_list = app
        .get_json("/api/v1/compliance/hazchem?per_page=200", &director)
        .await;
    if !listed(&director_list) {
        let elsewhere = app
            .post_json("/api/v1/compliance/hazchem/dispatch", &director, &body)
            .await;
        assert_eq!(elsewhere.status(), 422);
    }

    // A permit covering diesel takes it off.
    upload_approved(
        app,
        &client,
        json!({"doc_type": "hazchem_permit", "business_scope": "危险化学品经营：柴油[闭杯闪点≤60℃]", "valid_to": valid_to}),
    )
    .await;
    let list = app
        .get_json("/api/v1/compliance/hazchem?per_page=200", &admin)
        .await;
    assert!(!listed(&list));
}
db_test!(hazchem_screening_lists_resellers_without_a_diesel_permit);

async fn completeness_of_a_manager_matches_a_count_of_their_archives(app: &TestApp) {
    let manager = app.token("manager").await;
    let clients = app.get_json("/api/v1/clients?per_page=200", &manager).await;
    let clients = clients["items"].as_array().expect("items");
    assert!(!clients.is_empty());
    let (mut complete, mut expiring, mut expired) = (0u64, 0u64, 0u64);
    let mut missing: std::collections::BTreeMap<String, u64> = Default::default();
    for client in clients {
        let id = client["id"].as_str().expect("id");
        let docs = app
            .get_json(&format!("/api/v1/clients/{id}/documents"), &manager)
            .await;
        let archive = &docs["archive"];
        if archive["complete"] == true {
            complete += 1;
        }
        for doc_type in required_missing(archive) {
            *missing.entry(doc_type).or_default() += 1;
        }
        let required: Vec<&Value> = archive["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["requirement"] == "required")
            .collect();
        if required.iter().any(|i| i["status"] == "expiring") {
            expiring += 1;
        }
        if required.iter().any(|i| i["status"] == "expired") {
            expired += 1;
        }
    }
    let report = app.get_json("/api/v1/archive/completeness", &manager).await;
    let total = &report["total"];
    assert_eq!(total["clients"].as_u64(), Some(clients.len() as u64));
    assert_eq!(total["complete"].as_u64(), Some(complete));
    assert_eq!(total["expiring"].as_u64(), Some(expiring));
    assert_eq!(total["expired"].as_u64(), Some(expired));
    let reported: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(total["missing_by_type"].clone()).expect("missing");
    assert_eq!(reported, missing);
    let rate = total["rate"].as_f64().expect("rate");
    assert!((rate - complete as f64 / clients.len() as f64).abs() < 1e-9);

    // The drill-down lists exactly the incomplete ones.
    let incomplete = app
        .get_json("/api/v1/archive/incomplete?per_page=200", &manager)
        .await;
    assert_eq!(
        incomplete["total"].as_u64(),
        Some(clients.len() as u64 - complete)
    );
}
db_test!(completeness_of_a_manager_matches_a_count_of_their_archives);
