//! Visits end to end: check-ins assessed for place and time, idempotent under retries (also
//! concurrent ones), refused field by field when wrong and then storing nothing, photos that
//! must be images, the day's route, and reviews that close the task or raise a follow-up.

use crate::db_test;
use crate::documents::png;
use crate::helpers::{error_fields, item_ids, now, today, TestApp};
use chrono::TimeDelta;
use serde_json::{json, Value};

/// A client of the manager's with a registered location, and its location.
pub async fn located_client(app: &TestApp, manager: &str) -> (String, f64, f64) {
    let list = app.get_json("/api/v1/clients?per_page=200", manager).await;
    for item in list["items"].as_array().expect("clients") {
        let id = item["id"].as_str().expect("id");
        let client = app
            .get_json(&format!("/api/v1/clients/{id}"), manager)
            .await;
        if let (Some(lat), Some(lon)) = (
            client["location"]["lat"].as_f64(),
            client["location"]["lon"].as_f64(),
        ) {
            return (id.to_owned(), lat, lon);
        }
    }
    panic!("the manager has no client with a location");
}

pub async fn me(app: &TestApp, token: &str) -> String {
    app.get_json("/api/v1/me", token).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

pub async fn visit_task(app: &TestApp, token: &str, client: &str, assignee: &str) -> String {
    let response = app
        .post_json(
            "/api/v1/tasks",
            token,
            &json!({"kind": "visit", "client_id": client, "title": "走访核实用油需求",
                    "due_date": today().to_string(), "assignee_ids": [assignee]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let task: Value = response.json().await.expect("task");
    task["id"].as_str().expect("id").to_owned()
}

/// Plans the second half of 2026 as `token`; the report.
async fn plan_2026_h2(app: &TestApp, token: &str) -> Value {
    let response = app
        .post_json(
            "/api/v1/plans/generate",
            token,
            &json!({"half_year": "2026-h2"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("report")
}

pub fn check_in(client: &str, task: Option<&str>, key: &str, lat: f64, lon: f64) -> Value {
    json!({
        "client_id": client, "task_id": task, "idempotency_key": key,
        "device_time": now(), "position": {"lat": lat, "lon": lon}, "accuracy_m": 12.0,
        "record": {"purpose": "半年走访", "outcome": "客户计划下月增加柴油采购",
                   "next_step": "两周后回访", "competitor_seen": "某民营油库",
                   "price_gap_yuan_per_t": -80.0}
    })
}

async fn visit_count(app: &TestApp, token: &str) -> u64 {
    app.get_json("/api/v1/visits?mine=true&per_page=1", token)
        .await["total"]
        .as_u64()
        .expect("total")
}

async fn a_check_in_is_assessed_recorded_once_and_moves_its_task(app: &TestApp) {
    let manager = app.token("manager").await;
    let manager_id = me(app, &manager).await;
    let (client, lat, lon) = located_client(app, &manager).await;
    let task = visit_task(app, &manager, &client, &manager_id).await;

    // On site: 100 m north.
    let body = check_in(&client, Some(&task), "phone-key-1", lat + 0.0009, lon);
    let first = app.post_json("/api/v1/visits", &manager, &body).await;
    assert_eq!(first.status(), 201);
    let visit: Value = first.json().await.expect("visit");
    assert_eq!(visit["assessment"]["verdict"], "verified");
    let distance = visit["assessment"]["distance_m"]
        .as_f64()
        .expect("distance");
    assert!((distance - 100.0).abs() < 2.0, "{distance}");
    assert_eq!(visit["assessment"]["clock_flag"], false);
    assert_eq!(visit["record"]["competitor_seen"], "某民营油库");
    let task_now = app
        .get_json(&format!("/api/v1/tasks/{task}"), &manager)
        .await;
    assert_eq!(task_now["status"], "checked_in");

    // The same check-in again (a retry): the first one, 200, nothing new.
    let again = app.post_json("/api/v1/visits", &manager, &body).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("visit");
    assert_eq!(again["id"], visit["id"]);
    // The same key with other content: a conflict, nothing changes.
    let mut other = body.clone();
    other["record"]["outcome"] = json!("另一次走访");
    let conflict = app.post_json("/api/v1/visits", &manager, &other).await;
    assert_eq!(conflict.status(), 409);
    let problem: Value = conflict.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "idempotency_key");
    assert_eq!(visit_count(app, &manager).await, 1);

    // Ten copies of a new check-in at once: one visit.
    let racing = check_in(&client, None, "phone-key-race", lat, lon);
    let sends = (0..10).map(|_| app.post_json("/api/v1/visits", &manager, &racing));
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(visit_count(app, &manager).await, 2);

    // Two kilometres away: accepted, flagged off site. A phone clock an hour fast: flagged.
    let mut far = check_in(&client, None, "phone-key-far", lat + 0.018, lon);
    far["device_time"] = json!(now() + TimeDelta::hours(1));
    let far = app.post_json("/api/v1/visits", &manager, &far).await;
    assert_eq!(far.status(), 201);
    let far: Value = far.json().await.expect("visit");
    assert_eq!(far["assessment"]["verdict"], "off_site");
    assert_eq!(far["assessment"]["clock_flag"], true);
    // A queued check-in sent three hours later says so and is not flagged for its age.
    let mut queued = check_in(&client, None, "phone-key-queued", lat, lon);
    queued["device_time"] = json!(now() - TimeDelta::hours(3));
    queued["sent_at"] = json!(now());
    let queued: Value = app
        .post_json("/api/v1/visits", &manager, &queued)
        .await
        .json()
        .await
        .expect("visit");
    assert_eq!(queued["assessment"]["clock_flag"], false);
    assert_eq!(visit_count(app, &manager).await, 4);
    // Its retry from the queue a minute later is the same check-in: answered, not stored again.
    let mut retry = check_in(&client, None, "phone-key-queued", lat, lon);
    retry["device_time"] = json!(now() - TimeDelta::hours(3));
    retry["sent_at"] = json!(now() + TimeDelta::minutes(1));
    let again = app.post_json("/api/v1/visits", &manager, &retry).await;
    assert_eq!(again.status(), 200);
    assert_eq!(visit_count(app, &manager).await, 4);
}
db_test!(a_check_in_is_assessed_recorded_once_and_moves_its_task);

async fn bad_check_ins_are_refused_field_by_field_and_store_nothing(app: &TestApp) {
    let manager = app.token("manager").await;
    let (client, lat, lon) = located_client(app, &manager).await;
    let mut bad = check_in(&client, None, "", 91.0, lon);
    bad["accuracy_m"] = json!(-5.0);
    bad["record"]["purpose"] = json!(" ");
    bad["record"]["price_gap_yuan_per_t"] = json!(99_999.0);
    let response = app.post_json("/api/v1/visits", &manager, &bad).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("problem");
    let fields: Vec<&str> = error_fields(&problem);
    for field in [
        "idempotency_key",
        "position.lat",
        "accuracy_m",
        "record.purpose",
        "record.price_gap_yuan_per_t",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(problem["errors"][0]["message_zh"].is_string());

    // A device clock two days ahead cannot be right.
    let mut future = check_in(&client, None, "k-future", lat, lon);
    future["device_time"] = json!(now() + TimeDelta::days(2));
    let response = app.post_json("/api/v1/visits", &manager, &future).await;
    assert_eq!(response.status(), 422);

    // Someone else's task, and a photo that does not exist.
    let director = app.token("director").await;
    let director_id = me(app, &director).await;
    let theirs = visit_task(app, &director, &client, &director_id).await;
    let mut foreign = check_in(&client, Some(&theirs), "k-foreign", lat, lon);
    foreign["photo_ids"] = json!([uuid::Uuid::now_v7()]);
    let response = app.post_json("/api/v1/visits", &manager, &foreign).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("problem");
    let fields: Vec<&str> = error_fields(&problem);
    assert_eq!(fields, ["task_id", "photo_ids[0]"]);

    // A client outside the manager's scope does not exist for them.
    let admin = app.token("admin").await;
    let all = app.get_json("/api/v1/clients?per_page=200", &admin).await;
    let mine = app.get_json("/api/v1/clients?per_page=200", &manager).await;
    let my_ids: Vec<&Value> = item_ids(&mine);
    let outside = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| !my_ids.contains(&&c["id"]))
        .expect("a client of someone else")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let response = app
        .post_json(
            "/api/v1/visits",
            &manager,
            &check_in(&outside, None, "k-out", lat, lon),
        )
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(visit_count(app, &manager).await, 0);
    // Viewers do not check in.
    let viewer = app.token("viewer").await;
    let response = app
        .post_json(
            "/api/v1/visits",
            &viewer,
            &check_in(&client, None, "k-v", lat, lon),
        )
        .await;
    assert_eq!(response.status(), 403);
}
db_test!(bad_check_ins_are_refused_field_by_field_and_store_nothing);

async fn photos_must_be_images_and_belong_to_the_visit_author(app: &TestApp) {
    let manager = app.token("manager").await;
    let (client, lat, lon) = located_client(app, &manager).await;
    let upload = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/visits/photos"))
            .bearer_auth(&manager)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let ok = upload(png(), "image/png").await.expect("upload");
    assert_eq!(ok.status(), 201);
    let photo: Value = ok.json().await.expect("photo");
    assert_eq!(photo["content_type"], "image/png");
    let text = upload(b"not an image at all".to_vec(), "image/jpeg")
        .await
        .expect("upload");
    assert_eq!(text.status(), 422);
    let declared = upload(png(), "text/plain").await.expect("upload");
    assert_eq!(declared.status(), 415);
    let mut truncated = png();
    truncated.truncate(40);
    assert_eq!(
        upload(truncated, "image/png")
            .await
            .expect("upload")
            .status(),
        422
    );

    let mut body = check_in(&client, None, "k-photo", lat, lon);
    body["photo_ids"] = json!([photo["id"]]);
    let visit: Value = app
        .post_json("/api/v1/visits", &manager, &body)
        .await
        .json()
        .await
        .expect("visit");
    assert_eq!(visit["photo_ids"][0], photo["id"]);
    // The director sees the photo of a visit in their unit; the bytes are the upload's.
    let director = app.token("director").await;
    let bytes = app
        .get(
            &format!(
                "/api/v1/visits/photos/{}",
                photo["id"].as_str().expect("id")
            ),
            &director,
        )
        .await;
    assert_eq!(bytes.status(), 200);
    assert_eq!(bytes.bytes().await.expect("bytes").to_vec(), png());
    // Another manager cannot attach it to their own check-in.
    let admin = app.token("admin").await;
    let admin_body = {
        let mut b = check_in(&client, None, "k-photo-admin", lat, lon);
        b["photo_ids"] = json!([photo["id"]]);
        b
    };
    let response = app.post_json("/api/v1/visits", &admin, &admin_body).await;
    assert_eq!(response.status(), 422);
}
db_test!(photos_must_be_images_and_belong_to_the_visit_author);

async fn the_day_is_a_route_and_reviews_close_tasks_or_raise_follow_ups(app: &TestApp) {
    let manager = app.token("manager").await;
    let manager_id = me(app, &manager).await;
    let list = app.get_json("/api/v1/clients?per_page=50", &manager).await;
    let clients: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .take(4)
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    let mut tasks = Vec::new();
    for client in &clients {
        tasks.push(visit_task(app, &manager, client, &manager_id).await);
    }
    let day = app.get_json("/api/v1/visits/today", &manager).await;
    assert_eq!(day["date"], today().to_string());
    let stops = day["stops"].as_array().expect("stops");
    // The test province gives the manager a couple of clients: one stop each.
    assert!(clients.len() >= 2);
    assert_eq!(stops.len(), clients.len(), "{day}");
    let orders: Vec<u64> = stops
        .iter()
        .map(|s| s["order"].as_u64().expect("order"))
        .collect();
    assert_eq!(orders, (1..=clients.len() as u64).collect::<Vec<_>>());
    let legs: f64 = stops.iter().filter_map(|s| s["leg_m"].as_f64()).sum();
    assert!((legs - day["route_length_m"].as_f64().expect("length")).abs() < 5.0);
    let point = |s: &Value| {
        (
            s["client"]["location"]["lat"].as_f64(),
            s["client"]["location"]["lon"].as_f64(),
        )
    };
    assert!(
        stops.iter().all(|s| point(s).0.is_some()),
        "demo clients have locations"
    );

    // Check in at the first stop and let the director review it.
    let first = &stops[0];
    let (lat, lon) = point(first);
    let task = first["task"]["id"].as_str().expect("task").to_owned();
    let client = first["client"]["id"].as_str().expect("client").to_owned();
    let visit: Value = app
        .post_json(
            "/api/v1/visits",
            &manager,
            &check_in(
                &client,
                Some(&task),
                "k-day-1",
                lat.expect("lat"),
                lon.expect("lon"),
            ),
        )
        .await
        .json()
        .await
        .expect("visit");
    let visit_id = visit["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.get_json("/api/v1/visits/today", &manager).await["stops"]
            .as_array()
            .expect("stops")
            .len(),
        clients.len() - 1,
        "a checked-in stop leaves the day's list"
    );
    let director = app.token("director").await;
    let queue = app
        .get_json("/api/v1/visits?unreviewed=true", &director)
        .await;
    assert!(queue["items"]
        .as_array()
        .expect("queue")
        .iter()
        .any(|v| v["id"] == visit["id"]));
    // The manager does not review; an empty comment is refused.
    let url = format!("/api/v1/visits/{visit_id}/comments");
    assert_eq!(
        app.post_json(&url, &manager, &json!({"body": "好"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_json(&url, &director, &json!({"body": " "}))
            .await
            .status(),
        422
    );
    let reviewed = app
        .post_json(&url, &director, &json!({"body": "记录完整，继续跟进价格"}))
        .await;
    assert_eq!(reviewed.status(), 201);
    let reviewed: Value = reviewed.json().await.expect("visit");
    assert!(reviewed["reviewed_at"].is_string());
    assert_eq!(reviewed["comments"][0]["body"], "记录完整，继续跟进价格");
    let closed = app
        .get_json(&format!("/api/v1/tasks/{task}"), &manager)
        .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["evidence"]["kind"], "visit");
    assert_eq!(closed["evidence"]["id"], visit["id"]);
    let queue = app
        .get_json("/api/v1/visits?unreviewed=true", &director)
        .await;
    assert!(!queue["items"]
        .as_array()
        .expect("queue")
        .iter()
        .any(|v| v["id"] == visit["id"]));

    // A second visit reviewed with a follow-up: the task is reviewed, the manager has a new task.
    let second = &app.get_json("/api/v1/visits/today", &manager).await["stops"][0];
    let (lat, lon) = point(second);
    let task2 = second["task"]["id"].as_str().expect("task").to_owned();
    let client2 = second["client"]["id"].as_str().expect("client").to_owned();
    let visit2: Value = app
        .post_json(
            "/api/v1/visits",
            &manager,
            &check_in(
                &client2,
                Some(&task2),
                "k-day-2",
                lat.expect("lat"),
                lon.expect("lon"),
            ),
        )
        .await
        .json()
        .await
        .expect("visit");
    let due = (today() + TimeDelta::days(7)).to_string();
    let commented: Value = app
        .post_json(
            &format!("/api/v1/visits/{}/comments", visit2["id"].as_str().expect("id")),
            &director,
            &json!({"body": "价差偏大，请一周内带报价回访", "follow_up": {"title": "带报价回访", "due_date": due}}),
        )
        .await
        .json()
        .await
        .expect("visit");
    let follow_up = commented["comments"][0]["follow_up_task_id"]
        .as_str()
        .expect("follow-up")
        .to_owned();
    assert_eq!(
        app.get_json(&format!("/api/v1/tasks/{task2}"), &manager)
            .await["status"],
        "reviewed"
    );
    let raised = app
        .get_json(&format!("/api/v1/tasks/{follow_up}"), &manager)
        .await;
    assert_eq!(raised["kind"], "follow_up");
    assert_eq!(raised["source"], "review_comment");
    assert_eq!(raised["due_date"], due);
    assert_eq!(raised["assignees"][0]["user_id"], manager_id.as_str());
}
db_test!(the_day_is_a_route_and_reviews_close_tasks_or_raise_follow_ups);

async fn run_dynamic_visits(app: &TestApp) -> Value {
    let response = app
        .post_json(
            "/api/v1/jobs/dynamic_visits/run",
            &app.token("admin").await,
            &json!({"as_of": today().to_string()}),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("report")
}

async fn the_weekly_dynamic_visits_reach_every_losing_client_once(app: &TestApp) {
    let clock = now();
    api::intel::recompute_with_history(&app.store, today(), 2, clock)
        .await
        .expect("recompute");
    let admin = app.token("admin").await;
    let mut losing = 0;
    for class in ["declining", "at_risk", "churned", "prospect"] {
        losing += app
            .get_json(
                &format!("/api/v1/analytics/classification?class={class}&per_page=1"),
                &admin,
            )
            .await["total"]
            .as_u64()
            .expect("total");
    }
    assert!(losing > 0);
    let first = run_dynamic_visits(app).await;
    assert_eq!(first["examined"].as_u64(), Some(losing));
    assert_eq!(first["created"].as_u64(), Some(losing));
    // A second run the same week raises nothing: each client has its open task.
    let second = run_dynamic_visits(app).await;
    assert_eq!(second["created"], 0);
    let tasks = app
        .get_json("/api/v1/tasks?kind=visit&per_page=200", &admin)
        .await;
    assert_eq!(tasks["total"].as_u64(), Some(losing));
    let items = tasks["items"].as_array().expect("tasks");
    // Due by Friday of the week (2026-11-20 is a Friday), with the class reasons as detail.
    assert!(items.iter().all(|t| t["due_date"] == today().to_string()));
    assert!(items.iter().all(
        |t| t["source"] == "dynamic_class" && !t["detail"].as_str().expect("detail").is_empty()
    ));
    assert!(items.iter().all(|t| t["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .any(|a| a["level"] == "account_manager")));
}
db_test!(the_weekly_dynamic_visits_reach_every_losing_client_once);

async fn half_year_plans_cover_every_client_once_and_keep_what_is_done(app: &TestApp) {
    let director = app.token("director").await;
    let manager = app.token("manager").await;
    let manager_id = me(app, &manager).await;
    // A visit already made this half-year covers its client.
    let (client, lat, lon) = located_client(app, &manager).await;
    let visited = app
        .post_json(
            "/api/v1/visits",
            &manager,
            &check_in(&client, None, "k-plan", lat, lon),
        )
        .await;
    assert_eq!(visited.status(), 201);
    let before = app
        .get_json("/api/v1/plans/coverage?half_year=2026-h2", &director)
        .await;
    let due = before["total"]["due"].as_u64().expect("due");
    assert!(due > 0);
    assert_eq!(before["total"]["covered"], 1);
    let mine = before["assignees"]
        .as_array()
        .expect("assignees")
        .iter()
        .find(|a| a["id"] == manager_id.as_str())
        .expect("the manager")
        .clone();
    assert_eq!(mine["covered"], 1);

    let bad = app
        .post_json(
            "/api/v1/plans/generate",
            &director,
            &json!({"half_year": "2026-h3", "capacity_per_week": 0}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        app.post_json(
            "/api/v1/plans/generate",
            &manager,
            &json!({"half_year": "2026-h2"})
        )
        .await
        .status(),
        403
    );
    let plan = plan_2026_h2(app, &director).await;
    assert_eq!(plan["clients_due"].as_u64(), Some(due));
    assert_eq!(plan["covered"], 1);
    let created = plan["created"].as_u64().expect("created");
    let unplanned = plan["unplanned"].as_u64().expect("unplanned");
    assert_eq!(created + unplanned + 1, due, "{plan}");
    // Planning again keeps the dated tasks and creates nothing.
    let again: Value = plan_2026_h2(app, &director).await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["kept"].as_u64(), Some(created));
    // A director plans no leader's quota.
    let quotas = plan["quotas"].as_array().expect("quotas");
    assert!(quotas.iter().all(|q| q["level"] == "director"), "{plan}");
    // The manager's plan tasks: one per client not yet visited, dated on weekdays from today,
    // never above 15 a week.
    let tasks = app
        .get_json("/api/v1/tasks?mine=true&kind=visit&per_page=200", &manager)
        .await;
    let items = tasks["items"].as_array().expect("tasks");
    let planned: Vec<&Value> = items
        .iter()
        .filter(|t| t["source"] == "coverage_plan")
        .collect();
    assert_eq!(planned.len() as u64, mine["due"].as_u64().expect("due") - 1);
    assert!(planned.iter().all(|t| t["client_id"] != client.as_str()));
    let mut per_week: std::collections::HashMap<chrono::NaiveDate, u32> = Default::default();
    for t in &planned {
        let day: chrono::NaiveDate = t["due_date"].as_str().expect("date").parse().expect("date");
        assert!(day >= today());
        use chrono::Datelike;
        assert!(
            day.weekday().num_days_from_monday() < 5,
            "{day} is a weekday"
        );
        *per_week
            .entry(day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday())))
            .or_default() += 1;
    }
    assert!(per_week.values().all(|n| *n <= 15));
}
db_test!(half_year_plans_cover_every_client_once_and_keep_what_is_done);

async fn role_quotas_give_directors_grade_a_and_leaders_key_clients(app: &TestApp) {
    let admin = app.token("admin").await;
    let recompute = app
        .post_json("/api/v1/jobs/recompute_intel/run", &admin, &json!({}))
        .await;
    assert_eq!(recompute.status(), 200);
    let count = |query: &'static str| {
        let admin = admin.clone();
        async move {
            app.get_json(
                &format!("/api/v1/analytics/classification?per_page=1&{query}"),
                &admin,
            )
            .await["total"]
                .as_u64()
                .expect("total")
        }
    };
    let grade_a = count("grade=a").await;
    let key = count("key_client=true").await;
    assert!(grade_a > 0 && key > 0);
    let plan: Value = plan_2026_h2(app, &admin).await;
    let quota = |level: &str| {
        plan["quotas"]
            .as_array()
            .expect("quotas")
            .iter()
            .find(|q| q["level"] == level)
            .unwrap_or_else(|| panic!("{level} quota in {plan}"))
            .clone()
    };
    let directors = quota("director");
    let leaders = quota("leader");
    // Every grade-A client has a director above it in the demo province; the leaders take the
    // key clients and the high-risk traders.
    assert_eq!(directors["clients_due"].as_u64(), Some(grade_a), "{plan}");
    assert!(
        leaders["clients_due"].as_u64().expect("due") >= key,
        "{plan}"
    );
    for q in [&directors, &leaders] {
        assert_eq!(
            q["created"].as_u64().expect("created") + q["unplanned"].as_u64().expect("unplanned"),
            q["clients_due"].as_u64().expect("due"),
            "{q}"
        );
    }
    // The director's tasks are theirs, at the director level, each for a grade-A client.
    let director = app.token("director").await;
    let theirs = app
        .get_json(
            "/api/v1/tasks?mine=true&source=coverage_plan&per_page=200",
            &director,
        )
        .await;
    let theirs = theirs["items"].as_array().expect("tasks");
    for t in theirs.iter().take(5) {
        assert_eq!(t["assignees"][0]["level"], "director", "{t}");
        let id = t["client_id"].as_str().expect("client");
        let intel = app
            .get_json(&format!("/api/v1/clients/{id}/intel"), &director)
            .await;
        assert_eq!(intel["current"]["grade"], "a", "{intel}");
    }
    // Planning again keeps every quota task.
    let again: Value = plan_2026_h2(app, &admin).await;
    for q in again["quotas"].as_array().expect("quotas") {
        assert_eq!(q["created"], 0, "{again}");
    }
}
db_test!(role_quotas_give_directors_grade_a_and_leaders_key_clients);
