//! The prospect pipeline end to end: a prospect entered in the morning (duplicates on USCC and
//! on similar names caught first), planned and visited, is moved stage by stage (won refused by
//! hand), and the ERP's first order in the afternoon makes it a won client with its prospect
//! task closed by the order; the funnel counts it.

use crate::clients::{new_client, uscc};
use crate::db_test;
use crate::helpers::{error_fields, today, TestApp};
use serde_json::{json, Value};

const PROSPECTS: &str = "/api/v1/prospects";

fn prospect_body(client: Value, demand: f64) -> Value {
    json!({
        "client": client,
        "est_monthly_demand_t": demand,
        "previous_channel": "民营加油站",
        "source": "2026 年秋季市场调查"
    })
}

async fn stage(
    app: &TestApp,
    token: &str,
    id: &str,
    to: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    app.post_json(
        &format!("{PROSPECTS}/{id}/stage"),
        token,
        &json!({"stage": to, "reason": reason}),
    )
    .await
}

async fn code(response: reqwest::Response) -> String {
    let problem: Value = response.json().await.expect("problem");
    problem["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn a_prospect_entered_in_the_morning_is_a_client_by_evening(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let director = app.token("director").await;
    let mut client = new_client(app, &manager, "91430104MA4P00001").await;
    client["name"] = json!("长沙顺风物流有限公司");
    client["tags"] = json!(["秋季调查P1"]);
    let created = app
        .post_json(PROSPECTS, &manager, &prospect_body(client.clone(), 45.0))
        .await;
    assert_eq!(created.status(), 201);
    let p: Value = created.json().await.expect("prospect");
    let id = p["client_id"].as_str().expect("id").to_owned();
    assert_eq!(p["stage"], "identified");
    assert_eq!(p["est_monthly_demand_t"], 45.0);
    assert!(
        p["director_id"].is_string(),
        "the county's director by default: {p}"
    );
    assert!(p["leader_id"].is_string());
    // It is in the archive like any client, and on the kanban.
    let card = app
        .get_json(&format!("/api/v1/clients/{id}"), &manager)
        .await;
    assert_eq!(card["uscc"], client["uscc"]);
    let column = app
        .get_json(&format!("{PROSPECTS}?stage=identified&mine=true"), &manager)
        .await;
    assert!(column["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["client_id"] == id.as_str()));

    // The same USCC again: 409 naming the record.
    let mut again = client.clone();
    again["name"] = json!("另一家公司");
    let dup = app
        .post_json(PROSPECTS, &manager, &prospect_body(again, 10.0))
        .await;
    assert_eq!(dup.status(), 409);
    let problem: Value = dup.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "client.uscc");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains(&id));
    // A similar name in the same county: warned, then created when confirmed.
    let mut twin = new_client(app, &manager, "91430104MA4P00002").await;
    twin["name"] = json!("湖南长沙顺风物流公司");
    let similar = app
        .get_json(
            &format!(
                "{PROSPECTS}/similar?name={}&org_unit_id={}",
                "湖南长沙顺风物流公司",
                twin["org_unit_id"].as_str().expect("unit")
            ),
            &manager,
        )
        .await;
    assert_eq!(similar[0]["client_id"], id.as_str());
    assert_eq!(similar[0]["prospect"], true);
    let warned = app
        .post_json(PROSPECTS, &manager, &prospect_body(twin.clone(), 5.0))
        .await;
    assert_eq!(warned.status(), 409);
    assert_eq!(code(warned).await, "similar_names");
    let mut confirmed = prospect_body(twin, 5.0);
    confirmed["confirm_similar"] = json!(true);
    assert_eq!(
        app.post_json(PROSPECTS, &manager, &confirmed)
            .await
            .status(),
        201
    );

    // A custom plan for the survey's prospects: one visit task for it.
    let plan = app
        .post_json(
            "/api/v1/plans/custom",
            &director,
            &json!({"name": "秋季调查潜在客户走访", "filter": {"tag": "秋季调查P1"},
                    "from": today().to_string(), "to": (today() + chrono::TimeDelta::days(14)).to_string(),
                    "level": "account_manager"}),
        )
        .await;
    assert_eq!(plan.status(), 201);
    let tasks = app
        .get_json(
            &format!("/api/v1/tasks?client_id={id}&kind=visit"),
            &manager,
        )
        .await;
    assert_eq!(tasks["total"], 1);
    let task = tasks["items"][0]["id"].as_str().expect("task").to_owned();

    // Visited in the morning: the check-in answers the plan's task.
    let visit = app
        .post_json(
            "/api/v1/visits",
            &manager,
            &crate::visits::check_in(&id, Some(&task), "prospect-visit-1", 28.2101, 112.9001),
        )
        .await;
    assert_eq!(visit.status(), 201);

    // Stage by stage; skipping, marking won and losing without a reason are refused.
    let skip = stage(app, &manager, &id, "negotiating", None).await;
    assert_eq!(skip.status(), 409);
    assert_eq!(code(skip).await, "stage_skipped");
    let won = stage(app, &manager, &id, "won", None).await;
    assert_eq!(won.status(), 409);
    assert_eq!(code(won).await, "won_needs_order");
    let lost = stage(app, &manager, &id, "lost", Some(" ")).await;
    assert_eq!(lost.status(), 422);
    assert_eq!(
        stage(app, &manager, &id, "contacted", None).await.status(),
        200
    );
    let moved = stage(app, &manager, &id, "negotiating", None).await;
    assert_eq!(moved.status(), 200);
    let p: Value = moved.json().await.expect("prospect");
    assert_eq!(p["stage"], "negotiating");

    // The afternoon: the ERP sends its first order by USCC.
    let order = json!({"orders": [{
        "order_no": "ERP-P1-0001", "client_uscc": client["uscc"], "order_date": today().to_string(),
        "product": "diesel_0", "tonnes": 12.5, "amount_yuan": 97500.0, "channel": "direct",
        "depot": "长沙油库"
    }]});
    let sent = app.post_json("/api/v1/sales/orders", &admin, &order).await;
    assert!(sent.status().is_success(), "{}", sent.status());
    let p = app.get_json(&format!("{PROSPECTS}/{id}"), &manager).await;
    assert_eq!(p["stage"], "won");
    assert_eq!(p["first_order_no"], "ERP-P1-0001");
    assert_eq!(p["realised_t"], 12.5);
    let t = app
        .get_json(&format!("/api/v1/tasks/{task}"), &manager)
        .await;
    assert_eq!(t["status"], "closed");
    assert_eq!(t["evidence"]["kind"], "order");
    // By evening it counts as a new client on its manager's scorecard.
    let manager_id = p["account_manager_id"]
        .as_str()
        .expect("manager")
        .to_owned();
    let month = today().format("%Y-%m").to_string();
    let computed = app
        .post_json(
            &format!("/api/v1/scorecards/{month}/compute"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(computed.status(), 200);
    let card = app
        .get_json(
            &format!("/api/v1/scorecards/{month}/users/{manager_id}"),
            &manager,
        )
        .await;
    assert!(
        card["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|e| e["component"] == "new_clients"
                && e["id"] == id.as_str()
                && e["outcome"] == "new"),
        "{card}"
    );
    // Its pipeline is final now.
    let after = stage(app, &manager, &id, "lost", Some("价格")).await;
    assert_eq!(after.status(), 409);
    assert_eq!(code(after).await, "already_won");
    // The same batch again changes nothing.
    assert!(app
        .post_json("/api/v1/sales/orders", &admin, &order)
        .await
        .status()
        .is_success());

    // The funnel: two entered, one won the same day, estimate 45 t against 12.5 t.
    let f = app
        .get_json(&format!("{PROSPECTS}/funnel?from={}", today()), &director)
        .await;
    assert_eq!(f["total"]["entered"], 2);
    assert_eq!(f["total"]["by_stage"]["won"], 1);
    assert_eq!(f["total"]["conversion_rate"], 0.5);
    assert_eq!(f["total"]["est_monthly_demand_won_t"], 45.0);
    assert_eq!(f["by_unit"].as_array().expect("units").len(), 1);
    let audit = app
        .get_json(
            &format!("/api/v1/audit?entity=prospect&entity_id={id}"),
            &admin,
        )
        .await;
    assert_eq!(audit["total"], 3, "created and two stage changes");
}
db_test!(a_prospect_entered_in_the_morning_is_a_client_by_evening);

async fn bad_prospects_are_refused_and_change_nothing(app: &TestApp) {
    let manager = app.token("manager").await;
    let viewer = app.token("viewer").await;
    let admin = app.token("admin").await;
    let before = app
        .get_json(&format!("{PROSPECTS}?per_page=1"), &admin)
        .await["total"]
        .clone();
    let clients_before = app.get_json("/api/v1/clients?per_page=1", &admin).await["total"].clone();
    let mut client = new_client(app, &manager, "91430104MA4P00003").await;
    client["uscc"] = json!("91430104MA4P000030");
    let mut body = prospect_body(client, -3.0);
    body["source"] = json!("x".repeat(201));
    let bad = app.post_json(PROSPECTS, &manager, &body).await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("problem");
    let fields = error_fields(&problem);
    for want in ["est_monthly_demand_t", "source", "client.uscc"] {
        assert!(fields.contains(&want), "{fields:?}");
    }
    // A USCC of an existing ordering client: 409 naming it.
    let existing = app.get_json("/api/v1/clients?per_page=1", &admin).await["items"][0].clone();
    let full = app
        .get_json(
            &format!("/api/v1/clients/{}", existing["id"].as_str().expect("id")),
            &admin,
        )
        .await;
    let mut client = new_client(app, &manager, "91430104MA4P00004").await;
    client["uscc"] = full["uscc"].clone();
    let taken = app
        .post_json(PROSPECTS, &admin, &prospect_body(client, 3.0))
        .await;
    assert_eq!(taken.status(), 409);
    // A director who is not one.
    let me = app.get_json("/api/v1/me", &manager).await;
    let mut body = prospect_body(new_client(app, &manager, "91430104MA4P00005").await, 3.0);
    body["director_id"] = me["id"].clone();
    let wrong = app.post_json(PROSPECTS, &manager, &body).await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(
        error_fields(&wrong.json::<Value>().await.expect("problem")),
        ["director_id"]
    );
    // A viewer writes nothing.
    let body = prospect_body(new_client(app, &manager, "91430104MA4P00006").await, 3.0);
    assert_eq!(app.post_json(PROSPECTS, &viewer, &body).await.status(), 403);
    assert_eq!(
        app.get_json(&format!("{PROSPECTS}?per_page=1"), &admin)
            .await["total"],
        before
    );
    assert_eq!(
        app.get_json("/api/v1/clients?per_page=1", &admin).await["total"],
        clients_before
    );
    let _ = uscc("91430104MA4P00007");
}
db_test!(bad_prospects_are_refused_and_change_nothing);
