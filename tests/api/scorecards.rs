//! Monthly scorecards end to end: targets imported from a workbook (bad rows refused, nothing
//! saved), the month computed from the data (each figure drilling down to its rows), a new client
//! counted for its manager, reviewed with an adjustment, locked (recompute and target changes
//! refused; an adjustment becomes a correction), and exported for payroll.

use crate::db_test;
use crate::helpers::{error_fields, today, TestApp};
use serde_json::{json, Value};

const MONTH: &str = "2026-11";

fn workbook(rows: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["用户名", "月份", "目标吨数"].iter().enumerate() {
        sheet.write(0, c as u16, *h).expect("header");
    }
    for (r, (person, month, target)) in rows.iter().enumerate() {
        let r = 1 + r as u32;
        sheet.write(r, 0, *person).expect("cell");
        sheet.write(r, 1, *month).expect("cell");
        match target.parse::<f64>() {
            Ok(v) => sheet.write_number(r, 2, v).expect("cell"),
            Err(_) => sheet.write(r, 2, *target).expect("cell"),
        };
    }
    book.save_to_buffer().expect("xlsx")
}

async fn import(app: &TestApp, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/scorecards/targets/import"))
        .bearer_auth(token)
        .header(
            "Content-Type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .body(bytes)
        .send()
        .await
        .expect("import")
}

fn card<'a>(month: &'a Value, user: &str) -> &'a Value {
    month["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["user_id"] == user)
        .expect("the person's scorecard")
}

async fn a_month_is_computed_reviewed_locked_and_exported(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let director = app.token("director").await;
    let me = app.get_json("/api/v1/me", &manager).await;
    let manager_id = me["id"].as_str().expect("id").to_owned();
    let username = me["username"].as_str().expect("username").to_owned();

    // Targets: a workbook with an unknown person and a bad number is refused row by row.
    let bad = import(
        app,
        &admin,
        workbook(&[
            (&username, MONTH, "80"),
            ("nobody", MONTH, "10"),
            (&username, "2026-13", "x"),
        ]),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("problem");
    assert_eq!(
        error_fields(&problem),
        ["rows[3].person", "rows[4].month", "rows[4].target_t"]
    );
    let ok = import(app, &admin, workbook(&[(&username, MONTH, "80")])).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.expect("saved")["saved"], 1);

    // A new client of the manager's orders in the month: counted as new.
    let client = crate::clients::new_client(app, &manager, "91430104MA4R00001").await;
    let created = app.post_json("/api/v1/clients", &manager, &client).await;
    assert_eq!(created.status(), 201);
    let order = json!({"orders": [{
        "order_no": "ERP-S1-0001", "client_uscc": client["uscc"], "order_date": today().to_string(),
        "product": "diesel_0", "tonnes": 20.0, "amount_yuan": 156000.0, "channel": "direct",
        "depot": "长沙油库"
    }]});
    assert!(app
        .post_json("/api/v1/sales/orders", &admin, &order)
        .await
        .status()
        .is_success());

    // Only administrators compute.
    let path = format!("/api/v1/scorecards/{MONTH}/compute");
    assert_eq!(
        app.post_json(&path, &director, &json!({})).await.status(),
        403
    );
    let computed = app.post_json(&path, &admin, &json!({})).await;
    assert_eq!(computed.status(), 200);
    let report: Value = computed.json().await.expect("report");
    assert!(report["scorecards"].as_u64().expect("n") > 1);

    // The manager sees one scorecard, their own; the numbers drill down to their rows.
    let mine = app
        .get_json(&format!("/api/v1/scorecards?month={MONTH}"), &manager)
        .await;
    assert_eq!(mine["items"].as_array().expect("items").len(), 1);
    let c = card(&mine, &manager_id);
    assert_eq!(c["inputs"]["target_t"], 80.0);
    assert!(c["inputs"]["new_clients"].as_u64().expect("new") >= 1);
    assert_eq!(c["status"], "computed");
    let detail = app
        .get_json(
            &format!("/api/v1/scorecards/{MONTH}/users/{manager_id}"),
            &manager,
        )
        .await;
    let evidence = detail["evidence"].as_array().expect("evidence");
    let tonnes: f64 = evidence
        .iter()
        .filter(|e| e["component"] == "volume")
        .map(|e| e["tonnes"].as_f64().expect("t"))
        .sum();
    let volume = c["inputs"]["volume_t"].as_f64().expect("volume");
    assert!((tonnes - volume).abs() < 0.01, "{tonnes} vs {volume}");
    assert!(evidence.iter().any(|e| e["component"] == "new_clients"
        && e["label"] == "ERP-S1-0001"
        && e["outcome"] == "new"));
    let weights: u64 = c["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|x| x["weight"].as_u64().expect("w"))
        .sum();
    assert_eq!(weights, 100);
    // Someone else's scorecard is not theirs to read.
    let team = app
        .get_json(&format!("/api/v1/scorecards?month={MONTH}"), &admin)
        .await;
    let other = team["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["user_id"] != manager_id.as_str())
        .expect("another manager");
    let other_id = other["user_id"].as_str().expect("id");
    assert_eq!(
        app.get(
            &format!("/api/v1/scorecards/{MONTH}/users/{other_id}"),
            &manager
        )
        .await
        .status(),
        404
    );

    // Review: the director adjusts (a reason is required), the final score moves.
    let adjust = format!("/api/v1/scorecards/{MONTH}/users/{manager_id}/adjustments");
    let no_reason = app
        .post_json(&adjust, &director, &json!({"points": 5}))
        .await;
    assert_eq!(no_reason.status(), 422);
    assert_eq!(
        app.post_json(&adjust, &manager, &json!({"points": 5, "reason": "自评"}))
            .await
            .status(),
        403
    );
    let before = c["final_score"].as_f64().expect("score");
    let adjusted = app
        .post_json(
            &adjust,
            &director,
            &json!({"points": -3, "reason": "走访记录不完整"}),
        )
        .await;
    assert_eq!(adjusted.status(), 201);
    let adjusted: Value = adjusted.json().await.expect("card");
    let want = ((before - 3.0).clamp(0.0, 100.0) * 10.0).round() / 10.0;
    assert_eq!(adjusted["final_score"].as_f64(), Some(want));

    // Lock: recompute and target changes refused; an adjustment is now a correction that
    // leaves the locked figures alone.
    let lock = format!("/api/v1/scorecards/{MONTH}/lock");
    assert_eq!(app.post_json(&lock, &admin, &json!({})).await.status(), 200);
    let again = app.post_json(&path, &admin, &json!({})).await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().await.expect("problem")["errors"][0]["code"],
        "month_locked"
    );
    assert_eq!(app.post_json(&lock, &admin, &json!({})).await.status(), 409);
    let locked_targets = import(app, &admin, workbook(&[(&username, MONTH, "90")])).await;
    assert_eq!(locked_targets.status(), 409);
    let correction = app
        .post_json(
            &adjust,
            &admin,
            &json!({"points": 2, "reason": "补录 11 月 30 日走访"}),
        )
        .await;
    assert_eq!(correction.status(), 201);
    let corrected: Value = correction.json().await.expect("card");
    assert_eq!(
        corrected["final_score"].as_f64(),
        Some(want),
        "locked figures unchanged"
    );
    assert_eq!(corrected["status"], "locked");
    let last = corrected["adjustments"]
        .as_array()
        .expect("adjustments")
        .last()
        .cloned();
    assert_eq!(last.expect("correction")["correction"], true);

    // Payroll export: administrators and leaders.
    let export = format!("/api/v1/scorecards/{MONTH}/export.xlsx");
    assert_eq!(app.get(&export, &manager).await.status(), 403);
    let file = app.get(&export, &admin).await;
    assert_eq!(file.status(), 200);
    assert_eq!(&file.bytes().await.expect("bytes")[..2], b"PK");
    let audit = app
        .get_json("/api/v1/audit?entity=scorecard_month", &admin)
        .await;
    assert_eq!(audit["total"], 2, "computed once, locked once");
}
db_test!(a_month_is_computed_reviewed_locked_and_exported);

async fn the_scheme_is_versioned_and_checked(app: &TestApp) {
    let admin = app.token("admin").await;
    let scheme = app.get_json("/api/v1/rules/scorecard", &admin).await;
    assert_eq!(scheme["current"]["weight_volume"], 50);
    let mut bad = scheme["current"].clone();
    bad["weight_volume"] = json!(70);
    let refused = app.put_json("/api/v1/rules/scorecard", &admin, &bad).await;
    assert_eq!(refused.status(), 422);
    let mut good = scheme["current"].clone();
    good["weight_volume"] = json!(40);
    good["weight_visits"] = json!(30);
    let saved = app.put_json("/api/v1/rules/scorecard", &admin, &good).await;
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.expect("history");
    assert_eq!(saved["current"]["version"], 2);
    assert_eq!(saved["versions"].as_array().expect("versions").len(), 2);
    // Bad months.
    assert_eq!(
        app.get("/api/v1/scorecards?month=2026-13", &admin)
            .await
            .status(),
        422
    );
    let bad_targets = app
        .put_json(
            "/api/v1/scorecards/targets",
            &admin,
            &json!({"targets": [{"person": "manager", "month": MONTH, "target_t": -1.0}]}),
        )
        .await;
    assert_eq!(bad_targets.status(), 422);
}
db_test!(the_scheme_is_versioned_and_checked);
