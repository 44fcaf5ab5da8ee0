//! Client intelligence end to end: the recompute over the demo province, the dashboard, the
//! classification list with reasons, transitions, the client panel, churn reasons, and an
//! order arriving for a churned client making it a returning one.

use crate::db_test;
use crate::helpers::{error_fields, today, TestApp};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

async fn recompute_with_history(app: &TestApp) {
    let now = Utc.from_utc_datetime(&today().and_hms_opt(9, 0, 0).expect("time"));
    api::intel::recompute_with_history(&app.store, today(), 5, now)
        .await
        .expect("recompute");
}

async fn the_dashboard_shows_every_client_once_by_class_and_grade(app: &TestApp) {
    let admin = app.token("admin").await;
    // Before any recompute the dashboard is empty, not an error.
    let empty = app.get_json("/api/v1/analytics/dashboard", &admin).await;
    assert_eq!(empty["clients"], 0);
    assert!(empty["as_of"].is_null());
    recompute_with_history(app).await;
    let clients = app.get_json("/api/v1/clients?per_page=1", &admin).await["total"]
        .as_u64()
        .expect("total");
    let d = app.get_json("/api/v1/analytics/dashboard", &admin).await;
    assert_eq!(d["as_of"], today().to_string());
    assert_eq!(d["clients"].as_u64(), Some(clients));
    let sum = |list: &Value| -> u64 {
        list.as_array()
            .expect("list")
            .iter()
            .map(|c| c["clients"].as_u64().expect("n"))
            .sum()
    };
    assert_eq!(
        sum(&d["by_class"]),
        clients,
        "classes are exclusive and total"
    );
    assert_eq!(sum(&d["by_grade"]), clients);
    assert_eq!(d["by_class"].as_array().expect("classes").len(), 7);
    let unit_total: u64 = d["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| u["clients"].as_u64().expect("n"))
        .sum();
    assert_eq!(unit_total, clients, "the cities partition the province");
    // Key clients: about a fifth of the buyers make 80 % of the volume.
    let share = d["key_clients"]["volume_share"].as_f64().expect("share");
    assert!((0.8..0.95).contains(&share), "key share {share}");
    // Twelve months of volume by product, with the year before.
    let trend = d["volume_trend"].as_array().expect("trend");
    assert!(!trend.is_empty());
    assert!(trend.iter().any(|p| p["tonnes_year_ago"].is_number()));
    // Transitions exist between the weekly snapshots and are real changes.
    let week = &d["transitions_week"];
    assert!(week["from_week"].is_string() && week["to_week"].is_string());
    for change in week["changes"].as_array().expect("changes") {
        assert_ne!(change["from"], change["to"]);
    }
    // At-risk clients say why, in numbers, in both languages, largest volume at risk first.
    let top = d["top_at_risk"].as_array().expect("top");
    assert!(!top.is_empty());
    let risks: Vec<f64> = top
        .iter()
        .map(|r| r["expected_volume_at_risk_t"].as_f64().expect("risk"))
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]));
    for row in top {
        let zh = row["sentence_zh"].as_str().expect("zh");
        assert!(
            zh.contains("天") && zh.chars().any(|c| c.is_ascii_digit()),
            "{zh}"
        );
        assert!(row["sentence_en"].as_str().expect("en").contains("days"));
    }
    // A director sees only the county's clients; a unit outside their scope is 404.
    let director = app.token("director").await;
    let county = app.get_json("/api/v1/analytics/dashboard", &director).await;
    assert!(county["clients"].as_u64().expect("n") < clients);
    let units = app.get_json("/api/v1/org-units", &admin).await;
    let zhuzhou = units
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["code"] == "430200")
        .and_then(|u| u["id"].as_str())
        .expect("unit")
        .to_owned();
    let hidden = app
        .get(
            &format!("/api/v1/analytics/dashboard?org_unit_id={zhuzhou}"),
            &director,
        )
        .await;
    assert_eq!(hidden.status(), 404);
    let drilled = app
        .get_json(
            &format!("/api/v1/analytics/dashboard?org_unit_id={zhuzhou}"),
            &admin,
        )
        .await;
    assert!(drilled["clients"].as_u64().expect("n") < clients);
    let bad = app
        .get("/api/v1/analytics/dashboard?org_unit_id=nope", &admin)
        .await;
    assert_eq!(bad.status(), 422);
}
db_test!(the_dashboard_shows_every_client_once_by_class_and_grade);

async fn the_classification_list_explains_each_class(app: &TestApp) {
    recompute_with_history(app).await;
    let admin = app.token("admin").await;
    let page = app
        .get_json(
            "/api/v1/analytics/classification?class=at_risk&per_page=200",
            &admin,
        )
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(page["total"].as_u64(), Some(items.len() as u64));
    for item in items {
        assert_eq!(item["class"], "at_risk");
        let reasons = &item["reasons"];
        let silent = reasons["days_since_last"].as_f64().expect("days");
        let limit = reasons["typical_interval_days"]
            .as_f64()
            .map_or(30.0, |i| (2.0 * i).max(30.0));
        let recent = reasons["recent_tonnes"].as_f64().expect("recent");
        let base = reasons["baseline_tonnes"].as_f64().unwrap_or(0.0);
        assert!(
            silent > limit || recent < 0.3 * base,
            "an at-risk client must meet the rule: {reasons}"
        );
        assert!(item["p_alive"]
            .as_f64()
            .is_some_and(|p| (0.0..=1.0).contains(&p)));
    }
    let bad = app
        .get("/api/v1/analytics/classification?class=unknown", &admin)
        .await;
    assert_eq!(bad.status(), 422);
    let manager = app.token("manager").await;
    let own = app
        .get_json("/api/v1/analytics/classification?per_page=200", &manager)
        .await;
    let me = app.get_json("/api/v1/me", &manager).await;
    for item in own["items"].as_array().expect("items") {
        let client = app
            .get_json(
                &format!(
                    "/api/v1/clients/{}",
                    item["client_id"].as_str().expect("id")
                ),
                &manager,
            )
            .await;
        assert_eq!(client["account_manager_id"], me["id"]);
    }
}
db_test!(the_classification_list_explains_each_class);

async fn churn_reasons_are_recorded_only_for_churned_clients(app: &TestApp) {
    recompute_with_history(app).await;
    let admin = app.token("admin").await;
    let churned = app
        .get_json(
            "/api/v1/analytics/classification?class=churned&per_page=1",
            &admin,
        )
        .await;
    let churned = churned["items"][0]["client_id"]
        .as_str()
        .expect("a churned client")
        .to_owned();
    let stable = app
        .get_json(
            "/api/v1/analytics/classification?class=stable&per_page=1",
            &admin,
        )
        .await;
    let stable = stable["items"][0]["client_id"]
        .as_str()
        .expect("a stable client")
        .to_owned();
    let path = |id: &str| format!("/api/v1/clients/{id}/churn-reasons");
    let missing = app
        .post_json(&path(&churned), &admin, &json!({"reason": "competitor"}))
        .await;
    assert_eq!(missing.status(), 422);
    let problem: Value = missing.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "competitor");
    let gap = app
        .post_json(
            &path(&churned),
            &admin,
            &json!({"reason": "competitor", "competitor": "某民营油库", "price_gap_yuan_per_t": 99999}),
        )
        .await;
    assert_eq!(gap.status(), 422);
    let created = app
        .post_json(
            &path(&churned),
            &admin,
            &json!({"reason": "competitor", "competitor": "某民营油库", "price_gap_yuan_per_t": -120.5, "note": "价格低"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let not_churned = app
        .post_json(&path(&stable), &admin, &json!({"reason": "natural"}))
        .await;
    assert_eq!(not_churned.status(), 409);
    let panel = app
        .get_json(&format!("/api/v1/clients/{churned}/intel"), &admin)
        .await;
    assert_eq!(panel["current"]["class"], "churned");
    assert_eq!(panel["churn_reasons"][0]["competitor"], "某民营油库");
    assert_eq!(panel["churn_reasons"][0]["price_gap_yuan_per_t"], -120.5);
    assert!(!panel["class_history"]
        .as_array()
        .expect("history")
        .is_empty());
    let report = app
        .get_json("/api/v1/analytics/churn-reasons", &admin)
        .await;
    let competitor = report["by_reason"]
        .as_array()
        .expect("reasons")
        .iter()
        .find(|r| r["reason"] == "competitor")
        .expect("competitor");
    assert_eq!(competitor["clients"], 1);
    let viewer = app.token("viewer").await;
    let refused = app
        .post_json(&path(&churned), &viewer, &json!({"reason": "natural"}))
        .await;
    assert_eq!(refused.status(), 403);
}
db_test!(churn_reasons_are_recorded_only_for_churned_clients);

async fn an_order_for_a_churned_client_makes_it_returning_at_the_next_recompute(app: &TestApp) {
    recompute_with_history(app).await;
    let admin = app.token("admin").await;
    let churned = app
        .get_json(
            "/api/v1/analytics/classification?class=churned&per_page=1",
            &admin,
        )
        .await;
    let client = churned["items"][0]["client_id"]
        .as_str()
        .expect("churned")
        .to_owned();
    let response = app
        .post_json(
            "/api/v1/sales/orders",
            &admin,
            &json!({"orders": [{
                "order_no": "BACK-1", "client_id": client, "order_date": today().to_string(),
                "product": "diesel_0", "tonnes": 25.0, "amount_yuan": 195000.0
            }]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let run = app
        .post_json(
            "/api/v1/jobs/recompute_intel/run",
            &admin,
            &json!({"as_of": today().to_string()}),
        )
        .await;
    assert_eq!(run.status(), 200);
    let report: Value = run.json().await.expect("json");
    assert_eq!(report["job"], "recompute_intel");
    let panel = app
        .get_json(&format!("/api/v1/clients/{client}/intel"), &admin)
        .await;
    assert_eq!(panel["current"]["class"], "returning");
    assert!(panel["current"]["sentence_zh"]
        .as_str()
        .expect("zh")
        .contains("此前中断"));
    // This week's snapshot now holds the return, and it counts as a transition into it.
    let history = panel["class_history"].as_array().expect("history");
    assert_eq!(history.last().expect("snapshot")["class"], "returning");
    let transitions = app.get_json("/api/v1/analytics/transitions", &admin).await;
    assert!(transitions["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|c| c["to"] == "returning"));
    assert!(panel["monthly_by_product"]
        .as_array()
        .expect("monthly")
        .iter()
        .any(|m| m["product"] == "diesel_0"));
    // On PostgreSQL each run builds the figures in a new table and swaps it in: after two runs
    // the table still has the migrations' key and indexes under their names, and nothing is
    // left over.
    if app.backend == crate::helpers::Backend::Postgres {
        use sea_orm::ConnectionTrait;
        let rows = app
            .store
            .connection()
            .query_all(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT c.relname, pg_get_indexdef(x.indexrelid), x.indisprimary FROM pg_index x \
                 JOIN pg_class c ON c.oid = x.indexrelid \
                 WHERE x.indrelid = CAST('client_intel' AS regclass) ORDER BY c.relname",
            ))
            .await
            .expect("indexes");
        let indexes: Vec<(String, String, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get_by_index(0).expect("name"),
                    r.try_get_by_index(1).expect("definition"),
                    r.try_get_by_index(2).expect("primary"),
                )
            })
            .collect();
        let names: Vec<&str> = indexes.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "client_intel_pkey",
                "ix_client_intel_class",
                "ix_client_intel_risk"
            ]
        );
        assert!(indexes[0].2, "the primary key is a constraint again");
        assert!(indexes[0].1.contains("UNIQUE") && indexes[0].1.ends_with("(client_id)"));
        assert!(indexes[2].1.ends_with("(volume_at_risk_t)"), "{indexes:?}");
        let leftover = app
            .store
            .connection()
            .query_one(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT to_regclass('client_intel_next') IS NULL",
            ))
            .await
            .expect("query")
            .expect("row");
        assert!(leftover.try_get_by_index::<bool>(0).expect("bool"));
    }
}
db_test!(an_order_for_a_churned_client_makes_it_returning_at_the_next_recompute);

async fn a_new_intel_rule_set_is_versioned_checked_and_used_by_the_next_recompute(app: &TestApp) {
    let admin = app.token("admin").await;
    let history = app.get_json("/api/v1/rules/intel", &admin).await;
    assert_eq!(history["current"]["version"], 1);
    let mut rules = history["current"]["rules"].clone();
    assert_eq!(rules["classification"]["window_days"], 90);

    // A bad rule set is refused field by field and changes nothing.
    let mut bad = rules.clone();
    bad["classification"]["window_days"] = json!(0);
    bad["grading"]["key_volume_share"] = json!(1.5);
    let refused = app.put_json("/api/v1/rules/intel", &admin, &bad).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("problem");
    let fields: Vec<&str> = error_fields(&problem);
    assert!(fields.contains(&"classification.window_days"), "{problem}");
    assert!(fields.contains(&"grading.key_volume_share"), "{problem}");
    assert!(problem["errors"][0]["message_zh"].is_string(), "{problem}");
    let mut misspelt = rules.clone();
    misspelt["grading"]["key_share"] = json!(0.5);
    let refused = app.put_json("/api/v1/rules/intel", &admin, &misspelt).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        app.get_json("/api/v1/rules/intel", &admin).await["versions"]
            .as_array()
            .expect("versions")
            .len(),
        1
    );
    // Only administrators change rules.
    let director = app.token("director").await;
    let forbidden = app.put_json("/api/v1/rules/intel", &director, &rules).await;
    assert_eq!(forbidden.status(), 403);

    // A client counts as churned after 120 silent days instead of 90: version 2, and the next
    // recompute uses it and records it.
    recompute_with_history(app).await;
    let churned_before = app
        .get_json(
            "/api/v1/analytics/classification?class=churned&per_page=1",
            &admin,
        )
        .await["total"]
        .as_u64()
        .expect("total");
    rules["classification"]["window_days"] = json!(120);
    rules.as_object_mut().expect("rules").remove("version");
    let saved = app.put_json("/api/v1/rules/intel", &admin, &rules).await;
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.expect("history");
    assert_eq!(saved["current"]["version"], 2);
    assert!(saved["current"]["created_by_name"].is_string());
    assert_eq!(saved["versions"].as_array().expect("versions").len(), 2);
    assert_eq!(saved["versions"][1]["version"], 1);
    let run = app
        .post_json(
            "/api/v1/jobs/recompute_intel/run",
            &admin,
            &json!({"as_of": today().to_string()}),
        )
        .await;
    assert_eq!(run.status(), 200);
    let after = app
        .get_json(
            "/api/v1/analytics/classification?class=churned&per_page=1",
            &admin,
        )
        .await;
    assert!(
        after["total"].as_u64().expect("total") <= churned_before,
        "a longer silence can only churn fewer clients"
    );
    assert_eq!(after["items"][0]["rule_version"], 2);
    let audit = app.get_json("/api/v1/audit?entity=rule_set", &admin).await;
    assert!(audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .any(|e| e["changes"][0]["field"] == "intel_rules"));
}
db_test!(a_new_intel_rule_set_is_versioned_checked_and_used_by_the_next_recompute);

/// The current week's class snapshot is the current figures themselves; a run in another week
/// archives them as their week's snapshot. Going back a week and forward again must leave every
/// client's class history and the transitions exactly as the backfill wrote them.
async fn a_run_in_another_week_archives_the_current_classes(app: &TestApp) {
    recompute_with_history(app).await;
    let admin = app.token("admin").await;
    let mut clients = Vec::new();
    for class in ["stable", "at_risk", "churned", "new"] {
        let list = app
            .get_json(
                &format!("/api/v1/analytics/classification?class={class}&per_page=2"),
                &admin,
            )
            .await;
        for item in list["items"].as_array().expect("items") {
            clients.push(item["client_id"].as_str().expect("id").to_owned());
        }
    }
    assert!(clients.len() >= 6, "{clients:?}");
    let week = |date: chrono::NaiveDate| store::intel::week_of(date).to_string();
    let (this_week, last_week) = (week(today()), week(today() - chrono::TimeDelta::weeks(1)));
    let snapshot = || async {
        let mut histories = Vec::new();
        for client in &clients {
            let panel = app
                .get_json(&format!("/api/v1/clients/{client}/intel"), &admin)
                .await;
            histories.push(panel["class_history"].clone());
        }
        let latest = app.get_json("/api/v1/analytics/transitions", &admin).await;
        let earlier = app
            .get_json(
                &format!(
                    "/api/v1/analytics/transitions?from_week={}&to_week={last_week}",
                    week(today() - chrono::TimeDelta::weeks(2))
                ),
                &admin,
            )
            .await;
        (histories, latest, earlier)
    };
    let before = snapshot().await;
    let weeks: Vec<&str> = before.0[0]
        .as_array()
        .expect("history")
        .iter()
        .map(|s| s["week"].as_str().expect("week"))
        .collect();
    assert_eq!(
        weeks.len(),
        6,
        "five weeks of backfill and this week: {weeks:?}"
    );
    assert_eq!(weeks.last(), Some(&this_week.as_str()));
    assert_eq!(before.1["to_week"], this_week.as_str());
    assert_eq!(before.1["from_week"], last_week.as_str());
    assert!(before.1["changed"].as_u64().expect("changed") > 0);
    for as_of in [today() - chrono::TimeDelta::weeks(1), today()] {
        let run = app
            .post_json(
                "/api/v1/jobs/recompute_intel/run",
                &admin,
                &json!({"as_of": as_of.to_string()}),
            )
            .await;
        assert_eq!(run.status(), 200, "as of {as_of}");
        let after = snapshot().await;
        assert_eq!(
            after.0, before.0,
            "class histories after the run as of {as_of}"
        );
        assert_eq!(
            after.1, before.1,
            "latest transitions after the run as of {as_of}"
        );
        assert_eq!(
            after.2, before.2,
            "earlier transitions after the run as of {as_of}"
        );
    }
}
db_test!(a_run_in_another_week_archives_the_current_classes);
