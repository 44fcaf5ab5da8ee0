//! The expiry-alerts job and the task model: tiers, escalation, no duplicates, closing by the
//! approved renewal.

use crate::db_test;
use crate::documents::{own_client, upload_approved};
use crate::helpers::{today, TestApp};
use chrono::TimeDelta;
use serde_json::{json, Value};

async fn run(app: &TestApp, admin: &str, as_of: chrono::NaiveDate) -> Value {
    let response = app
        .post_json(
            "/api/v1/jobs/expiry_alerts/run",
            admin,
            &json!({"as_of": as_of.to_string()}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("report")
}

async fn renew_tasks(app: &TestApp, token: &str, client: &str) -> Vec<Value> {
    app.get_json(
        &format!("/api/v1/tasks?kind=renew_document&client_id={client}&per_page=200"),
        token,
    )
    .await["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["title"].as_str().unwrap_or("").contains("授权委托书"))
        .cloned()
        .collect()
}

async fn expiry_alerts_raise_escalate_and_close_one_task(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let client = own_client(app).await;
    let valid_to = today() + TimeDelta::days(75);
    let letter = upload_approved(
        app,
        &client,
        json!({"doc_type": "authorisation_letter", "number": "SQ-1", "valid_to": valid_to.to_string()}),
    )
    .await;

    // 61 days before: nothing yet.
    run(app, &admin, valid_to - TimeDelta::days(61)).await;
    assert!(renew_tasks(app, &manager, &client).await.is_empty());

    // 60 days before: one task for the account manager.
    let first = run(app, &admin, valid_to - TimeDelta::days(60)).await;
    assert!(first["created"].as_u64().unwrap_or(0) >= 1);
    let tasks = renew_tasks(app, &manager, &client).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["tier"], "days_60");
    assert_eq!(tasks[0]["status"], "open");
    assert_eq!(tasks[0]["document_id"], letter["id"]);
    assert_eq!(tasks[0]["due_date"], valid_to.to_string());
    let levels = |t: &Value| -> Vec<String> {
        t["assignees"]
            .as_array()
            .expect("assignees")
            .iter()
            .map(|a| a["level"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(levels(&tasks[0]), vec!["account_manager"]);
    let task_id = tasks[0]["id"].as_str().expect("id").to_owned();

    // Re-running the same day, and later tiers, never duplicate it.
    let again = run(app, &admin, valid_to - TimeDelta::days(60)).await;
    assert_eq!(again["created"], 0);
    for (days, tier, want) in [
        (-30, "days_30", vec!["account_manager"]),
        (-7, "days_7", vec!["account_manager"]),
        (0, "expired", vec!["account_manager"]),
        (7, "expired", vec!["account_manager", "director"]),
        (30, "expired", vec!["account_manager", "director", "leader"]),
    ] {
        run(app, &admin, valid_to + TimeDelta::days(days)).await;
        let tasks = renew_tasks(app, &manager, &client).await;
        assert_eq!(tasks.len(), 1, "day {days}");
        assert_eq!(tasks[0]["id"], task_id.as_str());
        assert_eq!(tasks[0]["tier"], tier, "day {days}");
        assert_eq!(levels(&tasks[0]), want, "day {days}");
    }
    // The director now holds it too and sees it among their own.
    let director = app.token("director").await;
    let mine = app
        .get_json("/api/v1/tasks?mine=true&per_page=200", &director)
        .await;
    assert!(mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|t| t["id"] == task_id.as_str()));
    let overdue = app
        .get_json("/api/v1/tasks?status=overdue&per_page=200", &manager)
        .await;
    // The job ran with a later date than the server's today, so the task is not overdue yet.
    assert!(!overdue["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|t| t["id"] == task_id.as_str()));

    // The renewed letter, once approved, closes the task with itself as the evidence.
    let renewed = upload_approved(
        app,
        &client,
        json!({"doc_type": "authorisation_letter", "number": "SQ-2",
               "valid_to": (valid_to + TimeDelta::days(365)).to_string()}),
    )
    .await;
    let task = app
        .get_json(&format!("/api/v1/tasks/{task_id}"), &manager)
        .await;
    assert_eq!(task["status"], "closed");
    assert_eq!(task["evidence"]["kind"], "document");
    assert_eq!(task["evidence"]["id"], renewed["id"]);
    // And the job does not raise it again.
    run(app, &admin, valid_to + TimeDelta::days(31)).await;
    let all = renew_tasks(app, &manager, &client).await;
    assert_eq!(all.len(), 1, "{all:#?}");
}
db_test!(expiry_alerts_raise_escalate_and_close_one_task);

async fn jobs_and_tasks_refuse_what_they_should(app: &TestApp) {
    let manager = app.token("manager").await;
    let admin = app.token("admin").await;
    let body = json!({});
    assert_eq!(
        app.post_json("/api/v1/jobs/expiry_alerts/run", &manager, &body)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_json("/api/v1/jobs/no_such_job/run", &admin, &body)
            .await
            .status(),
        404
    );
    let bad = app
        .post_json(
            "/api/v1/jobs/expiry_alerts/run",
            &admin,
            &json!({"as_of": "2026-02-30"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        app.get("/api/v1/tasks?status=lost", &manager)
            .await
            .status(),
        422
    );
    let missing = app
        .get(&format!("/api/v1/tasks/{}", uuid::Uuid::new_v4()), &manager)
        .await;
    assert_eq!(missing.status(), 404);
    // The run is audited.
    let ok = app
        .post_json("/api/v1/jobs/expiry_alerts/run", &admin, &body)
        .await;
    assert_eq!(ok.status(), 200);
    let audit = app.get_json("/api/v1/audit?entity=job_run", &admin).await;
    assert!(audit["total"].as_u64().unwrap_or(0) >= 1, "{audit}");
}
db_test!(jobs_and_tasks_refuse_what_they_should);

async fn a_manager_sees_the_tasks_of_their_clients_and_those_assigned_to_them(app: &TestApp) {
    let admin = app.token("admin").await;
    let manager = app.token("manager").await;
    let me = app.get_json("/api/v1/me", &manager).await;
    let my_id = me["id"].as_str().expect("id").to_owned();
    // A renewal of one of the manager's letters, and visits for every client on the
    // province's hazchem list, across many managers.
    let client = own_client(app).await;
    let valid_to = today() + TimeDelta::days(20);
    upload_approved(
        app,
        &client,
        json!({"doc_type": "authorisation_letter", "number": "SQ-9", "valid_to": valid_to.to_string()}),
    )
    .await;
    run(app, &admin, today()).await;
    let dispatched = app
        .post_json("/api/v1/compliance/hazchem/dispatch", &admin, &json!({}))
        .await;
    assert_eq!(dispatched.status(), 200);
    let own: Vec<String> = app.get_json("/api/v1/clients?per_page=200", &manager).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    let assigned_to = |task: &Value, user: &str| {
        task["assignees"]
            .as_array()
            .expect("assignees")
            .iter()
            .any(|a| a["user_id"] == user)
    };

    let visible = app.get_json("/api/v1/tasks?per_page=200", &manager).await;
    let visible = visible["items"].as_array().expect("items");
    assert!(!visible.is_empty());
    for task in visible {
        let client = task["client_id"].as_str().expect("client");
        assert!(
            own.iter().any(|c| c == client) || assigned_to(task, &my_id),
            "{task}"
        );
    }
    let due: Vec<&str> = visible
        .iter()
        .filter_map(|t| t["due_date"].as_str())
        .collect();
    assert!(due.windows(2).all(|w| w[0] <= w[1]), "soonest due first");
    let mine = app
        .get_json("/api/v1/tasks?mine=true&per_page=200", &manager)
        .await;
    for task in mine["items"].as_array().expect("items") {
        assert!(assigned_to(task, &my_id), "{task}");
    }

    // Someone else's task is not there, and reading it directly is a 404.
    let all = app.get_json("/api/v1/tasks?per_page=200", &admin).await;
    assert!(all["total"].as_u64() > Some(visible.len() as u64));
    let foreign = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| !assigned_to(t, &my_id) && !own.iter().any(|c| t["client_id"] == c.as_str()))
        .expect("a task of another manager's client");
    let id = foreign["id"].as_str().expect("id");
    assert!(!visible.iter().any(|t| t["id"] == id));
    assert_eq!(
        app.get(&format!("/api/v1/tasks/{id}"), &manager)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/tasks/{id}"), &admin)
            .await
            .status(),
        200
    );

    // A viewer reads the province's tasks but dispatches nothing.
    let viewer = app.token("viewer").await;
    let seen = app.get_json("/api/v1/tasks?per_page=1", &viewer).await;
    assert_eq!(seen["total"], all["total"]);
    assert_eq!(
        app.post_json("/api/v1/compliance/hazchem/dispatch", &viewer, &json!({}))
            .await
            .status(),
        403
    );
}
db_test!(a_manager_sees_the_tasks_of_their_clients_and_those_assigned_to_them);

async fn racing_inserts_of_one_dedupe_key_create_one_task(app: &TestApp) {
    use domain::task::{AssigneeLevel, TaskKind, TaskSource};
    use store::tasks::NewTask;
    let manager = app.token("manager").await;
    let me = app.get_json("/api/v1/me", &manager).await;
    let my_id: uuid::Uuid = me["id"].as_str().expect("id").parse().expect("uuid");
    let client: uuid::Uuid = own_client(app).await.parse().expect("uuid");
    let task = |n: u32| NewTask {
        id: uuid::Uuid::now_v7(),
        kind: TaskKind::Visit,
        source: TaskSource::HazchemScreening,
        client_id: client,
        title: format!("走访 {n}"),
        title_en: format!("Visit {n}"),
        detail: String::new(),
        detail_en: String::new(),
        due_date: today(),
        tier: None,
        document_id: None,
        dedupe_key: Some(format!("hazchem:{client}")),
        assignees: vec![(my_id, AssigneeLevel::AccountManager)],
        created_at: chrono::Utc::now(),
    };
    // Neither writer has seen the other's task: the unique index decides, and the loser
    // counts nothing instead of failing.
    let (a, b) = (task(1), task(2));
    let (first, second) = tokio::join!(
        app.store.create_tasks(std::slice::from_ref(&a), None),
        app.store.create_tasks(std::slice::from_ref(&b), None)
    );
    assert_eq!(first.expect("first") + second.expect("second"), 1);
    let again = app
        .store
        .create_tasks(&[task(3)], None)
        .await
        .expect("again");
    assert_eq!(again, 0);
    let listed = app
        .get_json(
            &format!("/api/v1/tasks?kind=visit&client_id={client}"),
            &manager,
        )
        .await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(
        listed["items"][0]["assignees"].as_array().map(Vec::len),
        Some(1)
    );
}
db_test!(racing_inserts_of_one_dedupe_key_create_one_task);
