//! Client service end to end: a complaint raised on the phone at 09:00 is assigned to the
//! client's account manager, escalated by the SLA job to the director and then the leader when
//! its targets pass, responded to, resolved, reopened by an unhappy return visit, closed by a
//! happy one with the client's rating, and counted in the report; bad input and closed tickets
//! change nothing; a call centre raises tickets idempotently; a service-fault churn reason
//! links to its ticket.

use crate::db_test;
use crate::helpers::{error_fields, now, TestApp};
use crate::visits::me;
use chrono::TimeDelta;
use serde_json::{json, Value};

const TICKETS: &str = "/api/v1/tickets";

/// A client of `manager`'s and one that is not theirs.
async fn clients(app: &TestApp, admin: &str, manager_id: &str) -> (String, String) {
    let own = app
        .get_json(
            &format!("/api/v1/clients?per_page=1&account_manager_id={manager_id}"),
            admin,
        )
        .await["items"][0]["id"]
        .as_str()
        .expect("own client")
        .to_owned();
    let page = app.get_json("/api/v1/clients?per_page=50", admin).await;
    let foreign = page["items"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["account_manager_id"] != manager_id)
        .and_then(|c| c["id"].as_str())
        .expect("foreign client")
        .to_owned();
    (own, foreign)
}

fn complaint(client: &str) -> Value {
    json!({
        "client_id": client, "ticket_type": "complaint_quality", "severity": "normal",
        "title": "柴油浑浊", "description": "客户反映 11 月 18 日到货的 0# 柴油浑浊，有沉淀",
        "order_no": "SO-2026-11-0042", "reporter": "王站长", "reporter_phone": "13800000000"
    })
}

async fn ticket_count(app: &TestApp, token: &str) -> u64 {
    app.get_json(&format!("{TICKETS}?per_page=1"), token).await["total"]
        .as_u64()
        .expect("total")
}

async fn act(app: &TestApp, token: &str, id: &str, action: &str, note: &str) -> reqwest::Response {
    app.post_json(
        &format!("{TICKETS}/{id}/actions"),
        token,
        &json!({"action": action, "note": note}),
    )
    .await
}

async fn return_visit(app: &TestApp, token: &str, id: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("{TICKETS}/{id}/return-visits"), token, body)
        .await
}

async fn problem_code(response: reqwest::Response) -> String {
    let problem: Value = response.json().await.expect("problem");
    problem["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn kinds(ticket: &Value) -> Vec<&str> {
    ticket["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect()
}

async fn sla_job(app: &TestApp, hours: i64) -> domain::task::JobReport {
    api::jobs::service_sla(&app.store, now() + TimeDelta::hours(hours))
        .await
        .expect("sla job")
}

async fn a_complaint_is_assigned_escalated_resolved_and_closed_by_its_return_visit(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let director = app.token("director").await;
    let manager_id = me(app, &manager).await;
    let (client, _) = clients(app, &admin, &manager_id).await;

    // 09:00: raised on the phone by the account manager, with a photo of the sample.
    let photo: Value = app
        .client
        .post(app.url("/api/v1/visits/photos"))
        .bearer_auth(&manager)
        .header("Content-Type", "image/png")
        .body(crate::documents::png())
        .send()
        .await
        .expect("photo")
        .json()
        .await
        .expect("photo");
    let photo = photo["id"].as_str().expect("photo id").to_owned();
    let mut body = complaint(&client);
    body["photo_ids"] = json!([photo]);
    let created = app.post_json(TICKETS, &manager, &body).await;
    assert_eq!(created.status(), 201);
    let t: Value = created.json().await.expect("ticket");
    let id = t["id"].as_str().expect("id").to_owned();
    assert_eq!(t["status"], "open");
    assert_eq!(t["channel"], "field");
    assert_eq!(t["assignee_id"], manager_id.as_str());
    assert_eq!(t["escalation_level"], "account_manager");
    assert_eq!(t["target"]["respond_hours"], 4);
    assert_eq!(t["target"]["resolve_hours"], 72);
    assert_eq!(t["policy_version"], 1);
    assert!(t["number"]
        .as_str()
        .expect("number")
        .starts_with("KF20261120-"));
    assert_eq!(kinds(&t), ["created", "assigned"]);
    let due: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(t["clock"]["respond_due"].clone()).expect("due");
    assert_eq!(due, now() + TimeDelta::hours(4));
    // The director sees it in the unit; the report counts it.
    let seen = app.get_json(&format!("{TICKETS}/{id}"), &director).await;
    assert_eq!(seen["id"], id.as_str());
    assert_eq!(seen["photo_ids"], json!([photo]));
    let picture = app
        .get(&format!("/api/v1/visits/photos/{photo}"), &director)
        .await;
    assert_eq!(
        picture.status(),
        200,
        "the director sees the ticket's photo"
    );
    // On demand at the server's clock (09:00, the moment it was raised): nothing is late.
    let run = app
        .post_json("/api/v1/jobs/service_sla/run", &admin, &json!({}))
        .await;
    assert_eq!(run.status(), 200);
    let run: Value = run.json().await.expect("report");
    assert_eq!(
        (run["job"].as_str(), run["updated"].as_u64()),
        (Some("service_sla"), Some(0))
    );

    // Three hours on nothing is late; five hours on the response is: the director.
    let early = sla_job(app, 3).await;
    assert_eq!(early.updated, 0);
    let late = sla_job(app, 5).await;
    assert_eq!(late.updated, 1, "{late:?}");
    let again = sla_job(app, 5).await;
    assert_eq!(again.updated, 0, "an escalation happens once");
    let t = app.get_json(&format!("{TICKETS}/{id}"), &admin).await;
    assert_eq!(t["escalation_level"], "director");
    let escalation = t["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "escalated")
        .expect("escalated step");
    assert_eq!(escalation["level"], "director");
    assert!(escalation["note"]
        .as_str()
        .expect("note")
        .contains("超过响应时限"));
    let board = app
        .get_json(
            &format!("{TICKETS}?level=director&status=active"),
            &director,
        )
        .await;
    assert!(board["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["id"] == id.as_str()));

    // Closing now is refused: it needs a return visit, and a return visit needs a resolution.
    let close = act(app, &manager, &id, "close", "").await;
    assert_eq!(close.status(), 409);
    assert_eq!(problem_code(close).await, "return_visit_required");
    let early_rv = return_visit(
        app,
        &manager,
        &id,
        &json!({"method": "call", "solved": true, "satisfaction": 5}),
    )
    .await;
    assert_eq!(early_rv.status(), 409);
    assert_eq!(problem_code(early_rv).await, "not_resolved");

    // Responded; still unresolved at 73 hours: the leader.
    let responded = act(app, &manager, &id, "respond", "已联系油库安排取样复检").await;
    assert_eq!(responded.status(), 200);
    let t: Value = responded.json().await.expect("ticket");
    assert_eq!(t["status"], "in_progress");
    assert!(t["responded_at"].is_string());
    let twice = act(app, &manager, &id, "respond", "再次响应").await;
    assert_eq!(twice.status(), 409);
    let leader = sla_job(app, 73).await;
    assert_eq!(leader.updated, 1);
    let t = app.get_json(&format!("{TICKETS}/{id}"), &admin).await;
    assert_eq!(t["escalation_level"], "leader");

    // Resolved; the client is not satisfied: reopened.
    assert_eq!(
        act(app, &manager, &id, "resolve", "复检合格，已调换一车")
            .await
            .status(),
        200
    );
    let unhappy = return_visit(
        app,
        &manager,
        &id,
        &json!({"method": "call", "solved": false, "satisfaction": 2, "note": "仍有沉淀"}),
    )
    .await;
    assert_eq!(unhappy.status(), 200);
    let t: Value = unhappy.json().await.expect("ticket");
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["reopened"], 1);
    assert!(t["resolved_at"].is_null());

    // Resolved again; a rating of 6 is refused and changes nothing; then closed with a 4.
    assert_eq!(
        act(app, &manager, &id, "resolve", "更换滤芯并再次送检")
            .await
            .status(),
        200
    );
    let before = app.get_json(&format!("{TICKETS}/{id}"), &admin).await;
    let bad = return_visit(
        app,
        &manager,
        &id,
        &json!({"method": "visit", "solved": true, "satisfaction": 6}),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("problem");
    assert_eq!(error_fields(&problem), ["satisfaction"]);
    assert_eq!(
        app.get_json(&format!("{TICKETS}/{id}"), &admin).await,
        before
    );
    let happy = return_visit(
        app,
        &manager,
        &id,
        &json!({"method": "visit", "solved": true, "satisfaction": 4, "note": "油品正常"}),
    )
    .await;
    assert_eq!(happy.status(), 200);
    let t: Value = happy.json().await.expect("ticket");
    assert_eq!(t["status"], "closed");
    assert_eq!(t["satisfaction"], 4);
    // Oldest first. The server's clock stands still in tests while the job ran "later", so
    // the two escalations come last.
    assert_eq!(
        kinds(&t),
        [
            "created",
            "assigned",
            "responded",
            "resolved",
            "return_visit",
            "reopened",
            "resolved",
            "return_visit",
            "closed",
            "escalated",
            "escalated"
        ]
    );

    // A closed ticket's history is final: every step and another return visit are refused.
    for action in ["respond", "comment", "resolve", "close"] {
        let refused = act(app, &admin, &id, action, "补充说明").await;
        assert_eq!(refused.status(), 409, "{action}");
        assert_eq!(problem_code(refused).await, "ticket_closed");
    }
    let again = return_visit(
        app,
        &admin,
        &id,
        &json!({"method": "call", "solved": true, "satisfaction": 5}),
    )
    .await;
    assert_eq!(again.status(), 409);
    let deleted = app
        .client
        .delete(app.url(&format!("{TICKETS}/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_client_error(), "{}", deleted.status());
    assert_eq!(
        app.get_json(&format!("{TICKETS}/{id}"), &admin).await,
        t,
        "nothing changed"
    );

    // The report: one ticket, responded in time (at once), resolved in time, rated 4.
    let report = app.get_json("/api/v1/service/report", &director).await;
    assert_eq!(report["total"]["tickets"], 1);
    assert_eq!(report["total"]["respond_compliance"], 1.0);
    assert_eq!(report["total"]["satisfaction_mean"], 4.0);
    assert_eq!(report["total"]["rated"], 1);
    assert_eq!(report["by_assignee"][0]["id"], manager_id.as_str());
    assert_eq!(report["top_clients"][0]["client_id"], client.as_str());
    assert_eq!(report["categories"][0]["ticket_type"], "complaint_quality");
    let xlsx = app.get("/api/v1/service/report.xlsx", &director).await;
    assert_eq!(xlsx.status(), 200);
    assert_eq!(&xlsx.bytes().await.expect("bytes")[..2], b"PK");
    let audit = app
        .get_json(
            &format!("/api/v1/audit?entity=ticket&entity_id={id}"),
            &admin,
        )
        .await;
    // Raised, responded, resolved, reopened, resolved, closed: each step a person took.
    assert_eq!(audit["total"], 6, "{audit}");
}
db_test!(a_complaint_is_assigned_escalated_resolved_and_closed_by_its_return_visit);

async fn bad_tickets_are_refused_and_change_nothing(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let viewer = app.token("viewer").await;
    let manager_id = me(app, &manager).await;
    let (own, foreign) = clients(app, &admin, &manager_id).await;
    let count = ticket_count(app, &admin).await;

    // Another manager's client: not found for this one.
    let out = app.post_json(TICKETS, &manager, &complaint(&foreign)).await;
    assert_eq!(out.status(), 404);
    // Field by field.
    let mut body = complaint(&own);
    body["title"] = json!("  ");
    body["description"] = json!("x".repeat(2001));
    body["photo_ids"] = json!([uuid::Uuid::new_v4()]);
    let bad = app.post_json(TICKETS, &manager, &body).await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("problem");
    assert_eq!(error_fields(&problem), ["title", "description"]);
    let mut photo = complaint(&own);
    photo["photo_ids"] = json!([uuid::Uuid::new_v4()]);
    let bad = app.post_json(TICKETS, &manager, &photo).await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("problem");
    assert_eq!(error_fields(&problem), ["photo_ids[0]"]);
    let mut kind = complaint(&own);
    kind["ticket_type"] = json!("complaint_weather");
    let bad = app.post_json(TICKETS, &manager, &kind).await;
    assert!(bad.status().is_client_error(), "{}", bad.status());
    // A viewer writes nothing.
    let viewer_try = app.post_json(TICKETS, &viewer, &complaint(&own)).await;
    assert_eq!(viewer_try.status(), 403);
    assert_eq!(ticket_count(app, &admin).await, count);

    // An action without its note, an unknown action.
    let t: Value = app
        .post_json(TICKETS, &manager, &complaint(&own))
        .await
        .json()
        .await
        .expect("ticket");
    let id = t["id"].as_str().expect("id");
    let no_note = act(app, &manager, id, "respond", " ").await;
    assert_eq!(no_note.status(), 422);
    let unknown = act(app, &manager, id, "delete", "x").await;
    assert!(unknown.status().is_client_error());
    assert_eq!(
        app.get_json(&format!("{TICKETS}/{id}"), &manager).await["status"],
        "open"
    );

    // SLA rule set: holes and bad hours refused; a valid one is version 2 and new tickets take it.
    let rules = app.get_json("/api/v1/rules/sla", &admin).await;
    let mut policy = rules["current"].clone();
    policy["targets"][0]["respond_hours"] = json!(0);
    let refused = app.put_json("/api/v1/rules/sla", &admin, &policy).await;
    assert_eq!(refused.status(), 422);
    let refused = app
        .put_json("/api/v1/rules/sla", &manager, &rules["current"])
        .await;
    assert_eq!(refused.status(), 403);
    let mut policy = rules["current"].clone();
    for t in policy["targets"].as_array_mut().expect("targets") {
        if t["ticket_type"] == "complaint_quality" && t["severity"] == "normal" {
            t["respond_hours"] = json!(2);
            t["resolve_hours"] = json!(48);
        }
    }
    let saved = app.put_json("/api/v1/rules/sla", &admin, &policy).await;
    assert_eq!(saved.status(), 200);
    let t: Value = app
        .post_json(TICKETS, &manager, &complaint(&own))
        .await
        .json()
        .await
        .expect("ticket");
    assert_eq!(t["policy_version"], 2);
    assert_eq!(t["target"]["respond_hours"], 2);
}
db_test!(bad_tickets_are_refused_and_change_nothing);

async fn a_call_centre_raises_tickets_once_per_reference(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let manager_id = me(app, &manager).await;
    let (own, _) = clients(app, &admin, &manager_id).await;
    let created = app
        .post_json(
            "/api/v1/integrator-tokens",
            &admin,
            &json!({"name": "呼叫中心", "scopes": ["tickets:write"], "expires_in_days": 30}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let secret = created.json::<Value>().await.expect("token")["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let mut body = complaint(&own);
    body["ticket_type"] = json!("complaint_delivery");
    body["severity"] = json!("high");
    body["external_ref"] = json!("CC-20261120-0007");
    let first = app.post_json(TICKETS, &secret, &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("ticket");
    assert_eq!(first["channel"], "call_centre");
    assert!(first["raised_by"].is_null());
    assert!(first["raised_by_name"]
        .as_str()
        .expect("name")
        .contains("呼叫中心"));
    // A delivery complaint of high severity has tighter targets than the normal one.
    assert!(first["target"]["resolve_hours"].as_i64().expect("hours") < 24);
    let again = app.post_json(TICKETS, &secret, &body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("ticket");
    assert_eq!(again["id"], first["id"]);
    let read = app
        .get(
            &format!("{TICKETS}/{}", first["id"].as_str().expect("id")),
            &secret,
        )
        .await;
    assert_eq!(read.status(), 200);
    // The machine reaches nothing else of the tickets.
    assert_eq!(app.get(TICKETS, &secret).await.status(), 403);
    let step = act(
        app,
        &secret,
        first["id"].as_str().expect("id"),
        "respond",
        "x",
    )
    .await;
    assert_eq!(step.status(), 403);
    // The account manager finds it among theirs.
    let mine = app
        .get_json(&format!("{TICKETS}?mine=true"), &manager)
        .await;
    assert!(mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["id"] == first["id"]));
}
db_test!(a_call_centre_raises_tickets_once_per_reference);

async fn a_service_fault_churn_reason_links_to_its_ticket(app: &TestApp) {
    let admin = app.token("admin").await;
    api::intel::recompute_with_history(&app.store, crate::helpers::today(), 5, now())
        .await
        .expect("recompute");
    let churned = app
        .get_json(
            "/api/v1/analytics/classification?class=churned&per_page=2",
            &admin,
        )
        .await;
    let client = churned["items"][0]["client_id"]
        .as_str()
        .expect("churned")
        .to_owned();
    let other = churned["items"][1]["client_id"]
        .as_str()
        .expect("churned")
        .to_owned();
    let t: Value = app
        .post_json(TICKETS, &admin, &complaint(&client))
        .await
        .json()
        .await
        .expect("ticket");
    let ticket = t["id"].as_str().expect("id").to_owned();
    let path = |id: &str| format!("/api/v1/clients/{id}/churn-reasons");
    // Only a service fault cites a ticket, and only one of the same client.
    let wrong_reason = app
        .post_json(
            &path(&client),
            &admin,
            &json!({"reason": "competitor", "competitor": "某民营油库", "ticket_id": ticket}),
        )
        .await;
    assert_eq!(wrong_reason.status(), 422);
    let wrong_client = app
        .post_json(
            &path(&other),
            &admin,
            &json!({"reason": "service_fault", "ticket_id": ticket}),
        )
        .await;
    assert_eq!(wrong_client.status(), 422);
    let problem: Value = wrong_client.json().await.expect("problem");
    assert_eq!(error_fields(&problem), ["ticket_id"]);
    let linked = app
        .post_json(
            &path(&client),
            &admin,
            &json!({"reason": "service_fault", "ticket_id": ticket, "note": "油品质量问题处理不及时"}),
        )
        .await;
    assert_eq!(linked.status(), 201);
    let reason: Value = linked.json().await.expect("reason");
    assert_eq!(reason["ticket_id"], ticket.as_str());
    let t = app.get_json(&format!("{TICKETS}/{ticket}"), &admin).await;
    assert_eq!(t["churn_reason_ids"], json!([reason["id"]]));
}
db_test!(a_service_fault_churn_reason_links_to_its_ticket);
