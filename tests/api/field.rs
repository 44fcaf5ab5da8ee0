//! Task list filters for the calendar, the overdue escalation, visit effectiveness and the
//! visit map, through the API on both databases.

use crate::db_test;
use crate::helpers::{error_fields, item_ids, today, TestApp};
use crate::visits::{check_in, located_client, me, visit_task};
use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use uuid::Uuid;

async fn run(app: &TestApp, statement: &sea_orm::sea_query::UpdateStatement) {
    let conn = app.store.connection();
    conn.execute(conn.get_database_backend().build(statement))
        .await
        .expect("update");
}

async fn the_calendar_filters_tasks_by_day_and_source(app: &TestApp) {
    let manager = app.token("manager").await;
    let manager_id = me(app, &manager).await;
    let (client, _, _) = located_client(app, &manager).await;
    let task = visit_task(app, &manager, &client, &manager_id).await;
    let day = today();
    let task_id = json!(task);
    let week = app
        .get_json(
            &format!(
                "/api/v1/tasks?mine=true&kind=visit&source=manual&due_from={day}&due_to={}",
                day + TimeDelta::days(6)
            ),
            &manager,
        )
        .await;
    assert!(item_ids(&week).contains(&&task_id), "{week}");
    assert!(week["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|t| t["source"] == "manual" && t["due_date"].as_str() >= Some(&day.to_string())));
    let later = app
        .get_json(
            &format!("/api/v1/tasks?due_from={}", day + TimeDelta::days(1)),
            &manager,
        )
        .await;
    assert!(!item_ids(&later).contains(&&task_id));
    let other_source = app
        .get_json("/api/v1/tasks?source=coverage_plan&mine=true", &manager)
        .await;
    assert!(!item_ids(&other_source).contains(&&task_id));
    let by_assignee = app
        .get_json(&format!("/api/v1/tasks?assignee_id={manager_id}"), &manager)
        .await;
    assert!(item_ids(&by_assignee).contains(&&task_id));

    let response = app
        .get(
            &format!(
                "/api/v1/tasks?source=rumour&due_from={day}&due_to={}",
                day - TimeDelta::days(1)
            ),
            &manager,
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(error_fields(&problem), ["source", "due_to"]);
}
db_test!(the_calendar_filters_tasks_by_day_and_source);

async fn overdue_tasks_escalate_one_level_once(app: &TestApp) {
    let manager = app.token("manager").await;
    let admin = app.token("admin").await;
    let manager_id = me(app, &manager).await;
    let (client, _, _) = located_client(app, &manager).await;
    let task = visit_task(app, &manager, &client, &manager_id).await;
    let levels = |task: &Value| -> Vec<String> {
        let mut levels: Vec<String> = task["assignees"]
            .as_array()
            .expect("assignees")
            .iter()
            .map(|a| a["level"].as_str().expect("level").to_owned())
            .collect();
        levels.sort();
        levels
    };
    let run_on = |days: i64| {
        let admin = admin.clone();
        async move {
            let response = app
                .post_json(
                    "/api/v1/jobs/overdue_escalation/run",
                    &admin,
                    &json!({ "as_of": today() + TimeDelta::days(days) }),
                )
                .await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("report")
        }
    };
    // Seven days overdue: not yet.
    run_on(7).await;
    let t = app.get_json(&format!("/api/v1/tasks/{task}"), &admin).await;
    assert_eq!(levels(&t), ["account_manager"]);
    // Eight: the director joins, once, however often the job runs.
    let report = run_on(8).await;
    assert!(
        report["updated"].as_u64().expect("updated") >= 1,
        "{report}"
    );
    run_on(9).await;
    run_on(40).await;
    let t = app.get_json(&format!("/api/v1/tasks/{task}"), &admin).await;
    assert_eq!(levels(&t), ["account_manager", "director"]);
    assert_eq!(t["status"], "open");
    assert_eq!(t["tier"], "escalated");
}
db_test!(overdue_tasks_escalate_one_level_once);

async fn effectiveness_counts_windows_once_they_have_passed(app: &TestApp) {
    let manager = app.token("manager").await;
    let admin = app.token("admin").await;
    let manager_id = me(app, &manager).await;
    let (client, lat, lon) = located_client(app, &manager).await;
    let task = visit_task(app, &manager, &client, &manager_id).await;
    let response = app
        .post_json(
            "/api/v1/visits",
            &manager,
            &check_in(&client, Some(&task), "eff-1", lat, lon),
        )
        .await;
    assert_eq!(response.status(), 201);
    // A manual task's visit is not a dynamic-class one.
    let report = app
        .get_json("/api/v1/analytics/effectiveness", &manager)
        .await;
    assert_eq!(report["total"]["visits"], 0, "{report}");

    // Make it a dynamic-class visit of 1 September, and give the client known sales only:
    // 9 t in August (0.1 t/day over the 90 days before), 3 t on 20 September.
    let task_id: Uuid = task.parse().expect("uuid");
    let client_id: Uuid = client.parse().expect("uuid");
    run(
        app,
        Query::update()
            .table(Alias::new("tasks"))
            .value(Alias::new("source"), "dynamic_class")
            .and_where(Expr::col(Alias::new("id")).eq(task_id)),
    )
    .await;
    let visited = Utc
        .with_ymd_and_hms(2026, 9, 1, 2, 0, 0)
        .single()
        .expect("time");
    run(
        app,
        Query::update()
            .table(Alias::new("visits"))
            .value(Alias::new("received_at"), visited)
            .and_where(Expr::col(Alias::new("idempotency_key")).eq("eff-1")),
    )
    .await;
    let conn = app.store.connection();
    conn.execute(
        conn.get_database_backend().build(
            Query::delete()
                .from_table(Alias::new("sales_orders"))
                .and_where(Expr::col(Alias::new("client_id")).eq(client_id)),
        ),
    )
    .await
    .expect("delete");
    let order = |no: &str, day: NaiveDate, tonnes: f64| {
        json!({"order_no": no, "client_id": client, "order_date": day, "product": "diesel_0",
               "tonnes": tonnes, "amount_yuan": tonnes * 7800.0, "channel": "direct",
               "depot": "长沙油库"})
    };
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
    let response = app
        .post_json(
            "/api/v1/sales/orders",
            &admin,
            &json!({"orders": [order("EFF-1", day(8, 1), 9.0), order("EFF-2", day(9, 20), 3.0)]}),
        )
        .await;
    assert_eq!(response.status(), 200);

    // As of 20 November: the 30- and 60-day windows have passed, the 90-day one has not.
    let report = app
        .get_json("/api/v1/analytics/effectiveness", &manager)
        .await;
    assert_eq!(report["windows"], json!([30, 60, 90]));
    let total = &report["total"];
    assert_eq!(total["visits"], 1, "{report}");
    let w = &total["windows"];
    assert_eq!(
        (
            &w[0]["measured"],
            &w[0]["recovered"],
            &w[0]["recovery_rate"]
        ),
        (&json!(1), &json!(1), &json!(100.0))
    );
    assert_eq!(
        (&w[0]["before_t"], &w[0]["after_t"]),
        (&json!(9.0), &json!(3.0))
    );
    // 3 t over 60 days is half the rate before.
    assert_eq!(
        (
            &w[1]["measured"],
            &w[1]["recovered"],
            &w[1]["recovery_rate"]
        ),
        (&json!(1), &json!(0), &json!(0.0))
    );
    assert_eq!(
        (&w[2]["measured"], &w[2]["recovery_rate"]),
        (&json!(0), &Value::Null)
    );
    let assignees = report["assignees"].as_array().expect("assignees");
    assert_eq!(assignees.len(), 1);
    assert_eq!(assignees[0]["id"], manager_id.as_str());
    assert_eq!(report["units"][0]["visits"], 1);
    // The director sees the same visit in their wider scope; the viewer of another county
    // sees none of it.
    let director = app.token("director").await;
    let theirs = app
        .get_json("/api/v1/analytics/effectiveness", &director)
        .await;
    assert_eq!(theirs["total"]["visits"], 1, "{theirs}");
}
db_test!(effectiveness_counts_windows_once_they_have_passed);

async fn the_map_shows_located_clients_and_recent_check_ins(app: &TestApp) {
    let manager = app.token("manager").await;
    let (client, lat, lon) = located_client(app, &manager).await;
    let mut body = check_in(&client, None, "map-1", lat + 0.02, lon);
    // Sent from the offline queue an hour after it was made: both clocks are kept.
    let sent_at = crate::helpers::now() - TimeDelta::minutes(1);
    body["device_time"] = json!(sent_at - TimeDelta::hours(1));
    body["sent_at"] = json!(sent_at);
    let response = app.post_json("/api/v1/visits", &manager, &body).await;
    assert_eq!(response.status(), 201);
    let saved: Value = response.json().await.expect("visit");
    let got: chrono::DateTime<Utc> =
        serde_json::from_value(saved["sent_at"].clone()).expect("sent_at");
    assert_eq!(got, sent_at);
    assert_eq!(saved["assessment"]["clock_flag"], false, "{saved}");
    let map = app.get_json("/api/v1/analytics/map", &manager).await;
    assert_eq!(map["tile_url"], Value::Null);
    let clients = map["clients"].as_array().expect("clients");
    let mine = app.get_json("/api/v1/clients?per_page=200", &manager).await;
    // Every point is one of the manager's clients and has coordinates.
    let my_ids: Vec<&Value> = item_ids(&mine);
    assert!(!clients.is_empty());
    for c in clients {
        assert!(my_ids.contains(&&c["id"]), "{c}");
        assert!(c["lat"].is_f64() && c["lon"].is_f64());
    }
    assert!(clients.iter().any(|c| c["id"] == client.as_str()));
    let visits = map["visits"].as_array().expect("visits");
    let visit = visits
        .iter()
        .find(|v| v["client_id"] == client.as_str())
        .expect("the check-in");
    assert_eq!(visit["verdict"], "off_site");
}
db_test!(the_map_shows_located_clients_and_recent_check_ins);

async fn custom_plans_raise_one_task_per_matching_client_over_the_period(app: &TestApp) {
    let director = app.token("director").await;
    let manager = app.token("manager").await;
    let from = today();
    let to = from + TimeDelta::days(13);
    let category = "end_user";
    let expected = app
        .get_json(
            &format!("/api/v1/clients?category={category}&per_page=1"),
            &director,
        )
        .await["total"]
        .as_u64()
        .expect("total");
    assert!(expected > 0);
    let body = json!({"name": "终端客户冬季保供走访", "filter": {"category": category},
                      "from": from, "to": to, "level": "account_manager"});
    let response = app
        .post_json("/api/v1/plans/custom", &director, &body)
        .await;
    assert_eq!(response.status(), 201);
    let report: Value = response.json().await.expect("report");
    assert_eq!(report["matched"].as_u64(), Some(expected), "{report}");
    assert_eq!(report["created"].as_u64(), Some(expected));
    assert_eq!(report["without_assignee"], 0);
    let tasks = app
        .get_json(
            &format!("/api/v1/tasks?source=custom_plan&kind=visit&per_page=200&due_from={from}&due_to={to}"),
            &director,
        )
        .await;
    let items = tasks["items"].as_array().expect("items");
    assert_eq!(items.len() as u64, expected);
    for t in items {
        let day: NaiveDate = t["due_date"].as_str().expect("day").parse().expect("date");
        use chrono::Datelike;
        assert!(day.weekday().num_days_from_monday() < 5, "{day}");
        assert_eq!(t["assignees"][0]["level"], "account_manager");
        assert_eq!(t["title"], "定制走访：终端客户冬季保供走访");
    }
    // The director's level: the same clients, for the director.
    let mut for_director = body.clone();
    for_director["level"] = json!("director");
    let report: Value = app
        .post_json("/api/v1/plans/custom", &director, &for_director)
        .await
        .json()
        .await
        .expect("report");
    assert_eq!(report["created"].as_u64(), Some(expected), "{report}");
    let mine = app
        .get_json(
            "/api/v1/tasks?source=custom_plan&mine=true&per_page=200",
            &director,
        )
        .await;
    assert_eq!(mine["total"].as_u64(), Some(expected));

    // Bad input changes nothing.
    let before = app
        .get_json("/api/v1/tasks?source=custom_plan&per_page=1", &director)
        .await["total"]
        .clone();
    let bad = json!({"name": " ", "filter": {"org_unit_id": Uuid::now_v7()},
                     "from": from - TimeDelta::days(1), "to": from - TimeDelta::days(2),
                     "level": "account_manager"});
    let response = app.post_json("/api/v1/plans/custom", &director, &bad).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(
        error_fields(&problem),
        ["name", "from", "to", "filter.org_unit_id"]
    );
    let unknown = json!({"name": "x", "filter": {"category": "spaceport"}, "from": from,
                         "to": to, "level": "account_manager"});
    let status = app
        .post_json("/api/v1/plans/custom", &director, &unknown)
        .await
        .status();
    assert!(status == 400 || status == 422, "{status}");
    assert_eq!(
        app.post_json("/api/v1/plans/custom", &manager, &body)
            .await
            .status(),
        403
    );
    let after = app
        .get_json("/api/v1/tasks?source=custom_plan&per_page=1", &director)
        .await["total"]
        .clone();
    assert_eq!(before, after);
}
db_test!(custom_plans_raise_one_task_per_matching_client_over_the_period);
