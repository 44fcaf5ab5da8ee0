use crate::db_test;
use crate::helpers::TestApp;
use serde_json::{json, Value};

/// A valid USCC made from a 17-character body.
pub fn uscc(body17: &str) -> String {
    format!(
        "{body17}{}",
        domain::uscc::check_character(body17).expect("alphabet")
    )
}

/// A valid new client owned by the demo account manager `manager`.
pub async fn new_client(app: &TestApp, token: &str, body17: &str) -> Value {
    let manager = app
        .get_json("/api/v1/me", &app.token("manager").await)
        .await;
    let _ = token;
    json!({
        "uscc": uscc(body17),
        "name": format!("测试新建客户{body17}有限公司"),
        "category": "end_user",
        "industry": "construction",
        "address": "长沙市岳麓区测试路 1 号",
        "location": { "lat": 28.21, "lon": 112.90 },
        "org_unit_id": manager["org_unit_id"],
        "account_manager_id": manager["id"],
        "contacts": [{ "name": "李四", "title": "采购", "phone": "0731-88886666" }],
        "facilities": { "tank_count": 1, "tank_capacity_m3": 20.0, "dispenser_count": 1, "vehicle_count": 12 },
        "demand": { "products": ["diesel_0"], "monthly_tonnes": 30.0 },
        "tags": ["新开发"]
    })
}

async fn list_is_paged_with_a_total(app: &TestApp) {
    let token = app.token("admin").await;
    let all = app.store.count_clients().await.expect("count");
    let first = app.get_json("/api/v1/clients?per_page=10", &token).await;
    assert_eq!(first["total"].as_u64(), Some(all));
    assert_eq!(first["items"].as_array().map(Vec::len), Some(10));
    let second = app
        .get_json("/api/v1/clients?per_page=10&page=2", &token)
        .await;
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["id"].to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        ids(&first).iter().all(|id| !ids(&second).contains(id)),
        "pages overlap"
    );
    let past_end = app
        .get_json("/api/v1/clients?per_page=10&page=1000", &token)
        .await;
    assert_eq!(past_end["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(past_end["total"].as_u64(), Some(all));
}
db_test!(list_is_paged_with_a_total);

async fn filters_narrow_the_list(app: &TestApp) {
    let token = app.token("admin").await;
    let stations = app
        .get_json(
            "/api/v1/clients?category=filling_station&per_page=200",
            &token,
        )
        .await;
    let items = stations["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|c| c["category"] == "filling_station"));

    let units = app.get_json("/api/v1/org-units", &token).await;
    let units = units.as_array().expect("units");
    let changsha = units
        .iter()
        .find(|u| u["name"] == "长沙市")
        .expect("长沙市");
    let counties: Vec<&Value> = units
        .iter()
        .filter(|u| u["parent_id"] == changsha["id"])
        .map(|u| &u["id"])
        .collect();
    let in_city = app
        .get_json(
            &format!(
                "/api/v1/clients?per_page=200&org_unit_id={}",
                changsha["id"].as_str().expect("id")
            ),
            &token,
        )
        .await;
    assert!(in_city["total"].as_u64().expect("total") > 0);
    assert!(in_city["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|c| counties.contains(&&c["org_unit_id"])));

    let manager = app
        .get_json("/api/v1/me", &app.token("manager").await)
        .await;
    let owned = app
        .get_json(
            &format!(
                "/api/v1/clients?per_page=200&account_manager_id={}",
                manager["id"].as_str().expect("id")
            ),
            &token,
        )
        .await;
    assert!(owned["total"].as_u64().expect("total") > 0);
    assert!(owned["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|c| c["account_manager_id"] == manager["id"]));

    let none = app
        .get_json(
            "/api/v1/clients?category=trader&industry=agriculture",
            &token,
        )
        .await;
    assert_eq!(none["total"], 0);
}
db_test!(filters_narrow_the_list);

async fn search_finds_by_name_uscc_and_contact_phone(app: &TestApp) {
    let token = app.token("admin").await;
    let page = app
        .get_json("/api/v1/clients?per_page=5&sort=-updated_at", &token)
        .await;
    let target = &page["items"][0];
    let uscc = target["uscc"].as_str().expect("uscc");
    let by_uscc = app
        .get_json(
            &format!("/api/v1/clients?q={}", uscc.to_lowercase()),
            &token,
        )
        .await;
    assert_eq!(by_uscc["total"], 1);
    assert_eq!(by_uscc["items"][0]["id"], target["id"]);
    let phone = target["contact_phone"].as_str().expect("phone");
    let by_phone = app
        .get_json(&format!("/api/v1/clients?q={phone}"), &token)
        .await;
    assert!(by_phone["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|c| c["id"] == target["id"]));
    let name = target["name"].as_str().expect("name");
    let fragment: String = name.chars().take(4).collect();
    let by_name = app
        .client
        .get(app.url("/api/v1/clients"))
        .query(&[("q", fragment.as_str()), ("per_page", "200")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let by_name: Value = by_name.json().await.expect("json");
    assert!(by_name["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|c| c["name"].as_str().expect("name").contains(&fragment)
            || c["contact_name"].as_str().unwrap_or("").contains(&fragment)));
    // LIKE wildcards are searched literally.
    let wildcard = app.get_json("/api/v1/clients?q=%25", &token).await;
    assert_eq!(wildcard["total"], 0);
}
db_test!(search_finds_by_name_uscc_and_contact_phone);

/// Two Chinese characters, as most people search a name (on PostgreSQL answered by the index
/// of character pairs), find the client, and every client that three characters find.
async fn two_character_searches_find_what_longer_ones_find(app: &TestApp) {
    let token = app.token("admin").await;
    let page = app
        .get_json("/api/v1/clients?per_page=5&sort=-updated_at", &token)
        .await;
    let search = |q: String| {
        let token = token.clone();
        async move {
            let response = app
                .client
                .get(app.url("/api/v1/clients"))
                .query(&[("q", q.as_str()), ("per_page", "200")])
                .bearer_auth(&token)
                .send()
                .await
                .expect("request");
            let page: Value = response.json().await.expect("json");
            let ids: Vec<String> = page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| c["id"].to_string())
                .collect();
            (page["total"].as_u64().expect("total"), ids)
        }
    };
    for target in page["items"].as_array().expect("items") {
        let name: Vec<char> = target["name"].as_str().expect("name").chars().collect();
        if name.len() < 5 {
            continue;
        }
        let pair: String = name[2..4].iter().collect();
        let triple: String = name[2..5].iter().collect();
        let (total, ids) = search(pair.clone()).await;
        assert!(total >= 1, "{pair}");
        assert!(total <= 200, "{pair} is too common for this test");
        assert_eq!(ids.len() as u64, total, "{pair}");
        assert!(ids.contains(&target["id"].to_string()), "{pair}");
        let (_, longer) = search(triple.clone()).await;
        assert!(
            longer.iter().all(|id| ids.contains(id)),
            "{triple} ⊄ {pair}"
        );
    }
}
db_test!(two_character_searches_find_what_longer_ones_find);

async fn sort_orders_by_name_both_ways(app: &TestApp) {
    let token = app.token("admin").await;
    let names = |page: &Value| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["name"].as_str().expect("name").to_owned())
            .collect::<Vec<_>>()
    };
    let asc = names(
        &app.get_json("/api/v1/clients?sort=name&per_page=50", &token)
            .await,
    );
    let desc = names(
        &app.get_json("/api/v1/clients?sort=-name&per_page=50", &token)
            .await,
    );
    let mut sorted = asc.clone();
    sorted.sort();
    assert_eq!(asc, sorted);
    let mut reversed = desc.clone();
    reversed.sort();
    reversed.reverse();
    assert_eq!(desc, reversed);
    assert_ne!(asc.first(), desc.first());
}
db_test!(sort_orders_by_name_both_ways);

/// A city's list is paged unit by unit and merged (see `Store::list_clients`): its pages follow
/// one another without a gap or an overlap, in the order asked for.
async fn a_citys_pages_follow_one_another_in_order(app: &TestApp) {
    let token = app.token("admin").await;
    let units = app.get_json("/api/v1/org-units", &token).await;
    let city = units
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["name"] == "长沙市")
        .expect("长沙市")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let rows = |page: &Value, key: &str| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| (c[key].as_str().expect(key).to_owned(), c["id"].to_string()))
            .collect::<Vec<_>>()
    };
    for (sort, key) in [
        ("name", "name"),
        ("-name", "name"),
        ("-updated_at", "updated_at"),
    ] {
        let list = format!("/api/v1/clients?org_unit_id={city}&sort={sort}");
        let whole = app.get_json(&format!("{list}&per_page=21"), &token).await;
        let mut pages = Vec::new();
        for page in 1..=3 {
            let part = app
                .get_json(&format!("{list}&per_page=7&page={page}"), &token)
                .await;
            assert_eq!(part["total"], whole["total"]);
            pages.extend(rows(&part, key));
        }
        assert_eq!(pages, rows(&whole, key), "sort {sort}");
        let keys: Vec<&String> = pages.iter().map(|(k, _)| k).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if sort.starts_with('-') {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "sort {sort}");
    }
}
db_test!(a_citys_pages_follow_one_another_in_order);

async fn client_page_has_master_data_and_sales(app: &TestApp) {
    let token = app.token("admin").await;
    let page = app.get_json("/api/v1/clients?per_page=1", &token).await;
    let id = page["items"][0]["id"].as_str().expect("id");
    let detail = app.get_json(&format!("/api/v1/clients/{id}"), &token).await;
    assert_eq!(detail["id"], id);
    assert!(domain::uscc::Uscc::parse(detail["uscc"].as_str().expect("uscc")).is_ok());
    assert!(detail["org_unit_name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert!(detail["account_manager_name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert_eq!(
        detail["sales"]["monthly"].as_array().map(Vec::len),
        Some(24)
    );
    assert_eq!(detail["sales"]["monthly"][23]["month"], "2026-11");
}
db_test!(client_page_has_master_data_and_sales);

async fn created_client_can_be_read_and_updated(app: &TestApp) {
    let token = app.token("admin").await;
    let body = new_client(app, &token, "91430104MA4QA0001").await;
    let response = app.post_json("/api/v1/clients", &token, &body).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/api/v1/clients/{}", created["id"].as_str().expect("id"))
    );
    let read = app.get_json(&location, &token).await;
    assert_eq!(read["name"], body["name"]);
    assert_eq!(read["contacts"][0]["phone"], "0731-88886666");
    assert_eq!(read["sales"]["orders_12m"], 0);

    let update = app
        .patch_json(
            &location,
            &token,
            &json!({ "name": "更名后的客户有限公司", "location": null, "tags": ["重点"] }),
        )
        .await;
    assert_eq!(update.status(), 200);
    let after = app.get_json(&location, &token).await;
    assert_eq!(after["name"], "更名后的客户有限公司");
    assert_eq!(after["location"], Value::Null);
    assert_eq!(after["tags"], json!(["重点"]));
    assert_eq!(after["uscc"], body["uscc"], "untouched fields stay");
    // Two-character searches follow the new name (on PostgreSQL from the stored pairs).
    let id = created["id"].as_str().expect("id");
    let found = |q: &'static str| {
        let token = token.clone();
        async move {
            let page = app
                .get_json(&format!("/api/v1/clients?q={q}&per_page=200"), &token)
                .await;
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|c| c["id"] == id)
        }
    };
    assert!(found("更名").await, "the new name's pair");
    assert!(!found("新建").await, "the old name's pair");

    // The same USCC again (even in lower case) is a conflict naming the field, and nothing is added.
    let before = app.store.count_clients().await.expect("count");
    let mut again = body.clone();
    again["uscc"] = json!(body["uscc"].as_str().expect("uscc").to_lowercase());
    let duplicate = app.post_json("/api/v1/clients", &token, &again).await;
    assert_eq!(duplicate.status(), 409);
    let problem: Value = duplicate.json().await.expect("json");
    assert_eq!(problem["code"], "conflict");
    assert_eq!(problem["errors"][0]["field"], "uscc");
    assert_eq!(app.store.count_clients().await.expect("count"), before);
}
db_test!(created_client_can_be_read_and_updated);

/// The list's totals come from per-unit, category and industry counts the database keeps
/// (`client_counts`): they follow a new client and a client changing category and industry.
async fn list_totals_follow_new_and_changed_clients(app: &TestApp) {
    let token = app.token("admin").await;
    let manager = app
        .get_json("/api/v1/me", &app.token("manager").await)
        .await;
    let unit = manager["org_unit_id"].as_str().expect("unit").to_owned();
    let filters = [
        String::new(),
        "&category=end_user".to_owned(),
        "&category=trader".to_owned(),
        format!("&org_unit_id={unit}"),
        format!("&org_unit_id={unit}&category=trader&industry=fuel_trading"),
    ];
    let totals = || async {
        let mut out = Vec::new();
        for filter in &filters {
            let page = app
                .get_json(&format!("/api/v1/clients?per_page=1{filter}"), &token)
                .await;
            out.push(page["total"].as_i64().expect("total"));
        }
        out
    };
    let before = totals().await;
    assert_eq!(
        before[0],
        i64::try_from(app.store.count_clients().await.expect("count")).expect("fits")
    );
    let body = new_client(app, &token, "91430104MA4QA0777").await;
    let response = app.post_json("/api/v1/clients", &token, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("json");
    let added = totals().await;
    let delta = |now: &[i64]| {
        now.iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>()
    };
    assert_eq!(delta(&added), [1, 1, 0, 1, 0]);

    let path = format!("/api/v1/clients/{}", created["id"].as_str().expect("id"));
    let update = app
        .patch_json(
            &path,
            &token,
            &json!({ "category": "trader", "industry": "fuel_trading" }),
        )
        .await;
    assert_eq!(update.status(), 200);
    assert_eq!(delta(&totals().await), [1, 0, 1, 1, 1]);
    // An edit that leaves the client in its groups changes no total.
    let rename = app
        .patch_json(
            &path,
            &token,
            &json!({ "name": "改名不改类的客户有限公司" }),
        )
        .await;
    assert_eq!(rename.status(), 200);
    assert_eq!(delta(&totals().await), [1, 0, 1, 1, 1]);
    assert_eq!(
        totals().await[0],
        i64::try_from(app.store.count_clients().await.expect("count")).expect("fits")
    );
}
db_test!(list_totals_follow_new_and_changed_clients);

async fn account_managers_see_only_their_own_clients(app: &TestApp) {
    let token = app.token("manager").await;
    let me = app.get_json("/api/v1/me", &token).await;
    let mine = app.get_json("/api/v1/clients?per_page=200", &token).await;
    assert!(mine["total"].as_u64().expect("total") > 0);
    assert!(mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|c| c["account_manager_id"] == me["id"]));
    // Someone else's client is not found (404, not 403: ids cannot be probed).
    let admin = app.token("admin").await;
    let others = app.get_json("/api/v1/clients?per_page=200", &admin).await;
    let foreign = others["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["account_manager_id"] != me["id"])
        .expect("a foreign client");
    let response = app
        .get(
            &format!("/api/v1/clients/{}", foreign["id"].as_str().expect("id")),
            &token,
        )
        .await;
    assert_eq!(response.status(), 404);
}
db_test!(account_managers_see_only_their_own_clients);

async fn directors_see_their_subtree_and_viewers_cannot_write(app: &TestApp) {
    let token = app.token("director").await;
    let me = app.get_json("/api/v1/me", &token).await;
    let units = app.get_json("/api/v1/org-units", &token).await;
    let units = units.as_array().expect("units");
    let tree: Vec<(uuid::Uuid, Option<uuid::Uuid>)> = units
        .iter()
        .map(|u| {
            (
                u["id"].as_str().expect("id").parse().expect("uuid"),
                u["parent_id"].as_str().map(|p| p.parse().expect("uuid")),
            )
        })
        .collect();
    let mine = domain::org::subtree(
        &tree,
        me["org_unit_id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid"),
    );
    let visible = app.get_json("/api/v1/clients?per_page=200", &token).await;
    assert!(visible["total"].as_u64().expect("total") > 0);
    for c in visible["items"].as_array().expect("items") {
        let unit: uuid::Uuid = c["org_unit_id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");
        assert!(mine.contains(&unit));
    }
    let viewer = app.token("viewer").await;
    let body = new_client(app, &viewer, "91430104MA4QA0002").await;
    let response = app.post_json("/api/v1/clients", &viewer, &body).await;
    assert_eq!(response.status(), 403);
}
db_test!(directors_see_their_subtree_and_viewers_cannot_write);

async fn viewers_see_contact_phones_masked(app: &TestApp) {
    let admin = app.token("admin").await;
    let viewer = app.token("viewer").await;
    let full = app
        .get_json("/api/v1/clients?per_page=20&sort=uscc", &admin)
        .await;
    let masked = app
        .get_json("/api/v1/clients?per_page=20&sort=uscc", &viewer)
        .await;
    for (f, m) in full["items"]
        .as_array()
        .expect("items")
        .iter()
        .zip(masked["items"].as_array().expect("items"))
    {
        assert_eq!(f["id"], m["id"]);
        let phone = f["contact_phone"].as_str().expect("phone");
        let hidden = m["contact_phone"].as_str().expect("phone");
        assert_ne!(phone, hidden);
        assert_eq!(hidden, domain::client::mask_phone(phone));
        assert!(hidden.contains("****"));
    }
    let id = full["items"][0]["id"].as_str().expect("id");
    let detail = app
        .get_json(&format!("/api/v1/clients/{id}"), &viewer)
        .await;
    assert!(detail["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .all(|c| c["phone"].as_str().expect("phone").contains('*')));
    let detail = app.get_json(&format!("/api/v1/clients/{id}"), &admin).await;
    assert!(detail["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .all(|c| !c["phone"].as_str().expect("phone").contains('*')));
}
db_test!(viewers_see_contact_phones_masked);

async fn exports_follow_the_list_and_are_audited(app: &TestApp) {
    let manager = app.token("manager").await;
    let own = app.get_json("/api/v1/clients?per_page=1", &manager).await;
    let response = app.get("/api/v1/clients/export?sort=name", &manager).await;
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment; filename=\"clients-")));
    let csv = response.text().await.expect("csv");
    assert!(csv.starts_with('\u{feff}'), "a BOM for Excel");
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].contains("统一社会信用代码"));
    assert_eq!(
        lines.len() as u64 - 1,
        own["total"].as_u64().expect("total")
    );
    assert!(
        lines[1..].iter().any(|l| !l.contains("****")),
        "the owner sees phones"
    );

    // A viewer's export masks phones, like the list.
    let viewer = app.token("viewer").await;
    let csv = app
        .get("/api/v1/clients/export?category=filling_station", &viewer)
        .await
        .text()
        .await
        .expect("csv");
    let rows: Vec<&str> = csv.trim_end().split("\r\n").skip(1).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|l| !l
        .split(',')
        .any(|f| f.len() == 11 && f.starts_with('1') && f.chars().all(|c| c.is_ascii_digit()))));

    // Both exports are in the audit trail, with filters and row counts.
    let admin = app.token("admin").await;
    let audit = app.get_json("/api/v1/audit?action=export", &admin).await;
    assert_eq!(audit["total"], 2);
    let latest = &audit["items"][0];
    assert_eq!(latest["changes"][0]["after"], "category=filling_station");
    assert_eq!(latest["changes"][1]["after"], rows.len() as u64);

    // Bad filters are refused like the list's.
    assert_eq!(
        app.get("/api/v1/clients/export?category=bakery", &viewer)
            .await
            .status(),
        422
    );
}
db_test!(exports_follow_the_list_and_are_audited);

async fn a_searchs_total_is_counted_up_to_a_bound(app: &TestApp) {
    let token = app.token("admin").await;
    // Below the bound (1,000 in the API), a search's total is exact.
    let page = app
        .get_json("/api/v1/clients?per_page=5&q=%E6%9C%89%E9%99%90", &token)
        .await;
    let matching = page["total"].as_u64().expect("total");
    assert!(matching > 10, "有限 is in most names: {matching}");
    assert_eq!(page["total_exact"], true);
    // Past it, the total is the bound and says so; the rows are the same either way.
    let query = domain::client::ClientQuery {
        q: Some("有限".to_owned()),
        page: 1,
        per_page: 5,
        ..Default::default()
    };
    let scope = domain::org::DataScope::All;
    let (bounded_rows, bounded) = app
        .store
        .list_clients(&query, None, &scope, 10)
        .await
        .expect("list");
    assert_eq!(
        bounded,
        store::ListTotal {
            total: 10,
            exact: false
        }
    );
    let (rows, total) = app
        .store
        .list_clients(&query, None, &scope, matching)
        .await
        .expect("list");
    assert_eq!(
        total,
        store::ListTotal {
            total: matching,
            exact: true
        }
    );
    assert_eq!(rows, bounded_rows);
    // A filter without text is counted exactly whatever the bound.
    let plain = domain::client::ClientQuery {
        page: 1,
        per_page: 5,
        ..Default::default()
    };
    let (_, total) = app
        .store
        .list_clients(&plain, None, &scope, 1)
        .await
        .expect("list");
    assert!(total.exact && total.total > 100);
}
db_test!(a_searchs_total_is_counted_up_to_a_bound);
