//! Every route of the OpenAPI spec × every role × a record inside and outside the caller's scope:
//! each answer is the expected one. A route without a rule here fails the test, so a new route
//! cannot ship without someone deciding who may call it.

use crate::db_test;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use utoipa::OpenApi;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in.
    SignedIn,
    /// Signed-in users who may write (not viewers).
    Writer,
    /// Administrators only.
    Admin,
    /// A client in the caller's data scope; others are 404.
    ClientRead,
    /// A client in the caller's data scope, by a writer (viewers 403, out of scope 404).
    ClientWrite,
    /// A user in the caller's org subtree (any for admins); others are 404.
    UserRead,
    /// Directors, leaders and administrators (others 403).
    Reviewer,
    /// A record of a client in the caller's scope, by a reviewer (others 403; out of scope 404).
    ReviewWrite,
    /// Administrators and leaders (the payroll export).
    Payroll,
}

/// The rule of each `METHOD /path` of the spec.
fn rule(route: &str) -> Option<Rule> {
    use Rule::*;
    Some(match route {
        "GET /healthz" | "GET /readyz" => Public,
        "POST /api/v1/auth/login" | "POST /api/v1/auth/refresh" => Public,
        "GET /api/v1/auth/sso"
        | "GET /api/v1/auth/sso/start"
        | "GET /api/v1/auth/sso/callback"
        | "POST /api/v1/auth/sso/exchange" => Public,
        "POST /api/v1/auth/logout" | "POST /api/v1/auth/password" | "GET /api/v1/me" => SignedIn,
        "GET /api/v1/clients/export" => SignedIn,
        "GET /api/v1/org-units" | "GET /api/v1/users" | "GET /api/v1/clients" => SignedIn,
        "POST /api/v1/org-units"
        | "PATCH /api/v1/org-units/{id}"
        | "DELETE /api/v1/org-units/{id}" => Admin,
        "POST /api/v1/users"
        | "PATCH /api/v1/users/{id}"
        | "POST /api/v1/users/{id}/reassign-clients" => Admin,
        "GET /api/v1/users/{id}" => UserRead,
        "POST /api/v1/clients" => Writer,
        "GET /api/v1/clients/{id}"
        | "GET /api/v1/clients/{id}/history"
        | "GET /api/v1/clients/{id}/owners" => ClientRead,
        "PATCH /api/v1/clients/{id}" => ClientWrite,
        "GET /api/v1/audit" => Admin,
        "GET /api/v1/clients/{id}/documents"
        | "GET /api/v1/clients/{id}/card"
        | "GET /api/v1/clients/{id}/card.html" => ClientRead,
        "POST /api/v1/clients/{id}/documents" => ClientWrite,
        "GET /api/v1/documents"
        | "GET /api/v1/archive/requirements"
        | "GET /api/v1/rules/intel"
        | "GET /api/v1/archive/completeness"
        | "GET /api/v1/archive/incomplete"
        | "GET /api/v1/compliance/hazchem"
        | "GET /api/v1/tasks"
        | "POST /api/v1/archive/export" => SignedIn,
        "GET /api/v1/documents/{id}"
        | "GET /api/v1/documents/{id}/file"
        | "GET /api/v1/tasks/{id}" => ClientRead,
        "POST /api/v1/documents/{id}/review" => ReviewWrite,
        "POST /api/v1/compliance/hazchem/dispatch" => Reviewer,
        "PUT /api/v1/archive/requirements"
        | "PUT /api/v1/rules/intel"
        | "POST /api/v1/jobs/{name}/run" => Admin,
        // The download ticket authorises, not a bearer token: a wrong one finds nothing.
        "GET /api/v1/archive/export/{id}" => Public,
        // Sales data comes from the ERP and the gauges (tokens) or an administrator.
        "POST /api/v1/sales/orders"
        | "POST /api/v1/sales/prepayments"
        | "POST /api/v1/gauges/readings"
        | "POST /api/v1/sales/imports"
        | "GET /api/v1/sales/import-mappings"
        | "PUT /api/v1/sales/import-mappings/{name}" => Admin,
        "GET /api/v1/clients/{id}/prepayments"
        | "GET /api/v1/clients/{id}/tanks"
        | "GET /api/v1/clients/{id}/intel" => ClientRead,
        "POST /api/v1/clients/{id}/churn-reasons" => ClientWrite,
        "GET /api/v1/analytics/dashboard"
        | "GET /api/v1/analytics/classification"
        | "GET /api/v1/analytics/transitions"
        | "GET /api/v1/analytics/churn-reasons" => SignedIn,
        "GET /api/v1/integrator-tokens"
        | "POST /api/v1/integrator-tokens"
        | "POST /api/v1/integrator-tokens/{id}/revoke" => Admin,
        "POST /api/v1/tasks" | "POST /api/v1/visits" | "POST /api/v1/visits/photos" => Writer,
        "GET /api/v1/visits" | "GET /api/v1/visits/today" => SignedIn,
        "GET /api/v1/visits/{id}" | "GET /api/v1/visits/photos/{id}" => ClientRead,
        "POST /api/v1/visits/{id}/comments" => ReviewWrite,
        "POST /api/v1/plans/generate" | "POST /api/v1/plans/custom" => Reviewer,
        "GET /api/v1/plans/coverage"
        | "GET /api/v1/analytics/effectiveness"
        | "GET /api/v1/analytics/map" => SignedIn,
        "GET /api/v1/tickets"
        | "GET /api/v1/rules/sla"
        | "GET /api/v1/service/report"
        | "GET /api/v1/service/report.xlsx" => SignedIn,
        "POST /api/v1/tickets" => Writer,
        "PUT /api/v1/rules/sla" => Admin,
        "GET /api/v1/prospects"
        | "GET /api/v1/prospects/similar"
        | "GET /api/v1/prospects/funnel" => SignedIn,
        "POST /api/v1/prospects" => Writer,
        "GET /api/v1/prospects/{id}" => ClientRead,
        "POST /api/v1/prospects/{id}/stage" => ClientWrite,
        "GET /api/v1/scorecards" | "GET /api/v1/rules/scorecard" => SignedIn,
        "GET /api/v1/scorecards/{month}/users/{user_id}" => SignedIn,
        "POST /api/v1/scorecards/{month}/users/{user_id}/adjustments" => Reviewer,
        "POST /api/v1/scorecards/{month}/compute"
        | "POST /api/v1/scorecards/{month}/lock"
        | "PUT /api/v1/scorecards/targets"
        | "POST /api/v1/scorecards/targets/import"
        | "PUT /api/v1/rules/scorecard" => Admin,
        "GET /api/v1/scorecards/{month}/export.xlsx" => Payroll,
        "GET /api/v1/tickets/{id}" => ClientRead,
        "POST /api/v1/tickets/{id}/actions" | "POST /api/v1/tickets/{id}/return-visits" => {
            ClientWrite
        }
        _ => return None,
    })
}

/// The signed-in people of the test and what their scope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Admin,
    /// Province leader: the whole province.
    Leader,
    /// Province viewer: reads the whole province, writes nothing.
    Viewer,
    /// Director of the demo county 岳麓区.
    Director,
    /// Account manager of the demo county: their own clients only.
    Manager,
    /// A machine with an integrator token holding every scope: only the machine routes.
    Machine,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Admin,
    Who::Leader,
    Who::Viewer,
    Who::Director,
    Who::Manager,
    Who::Machine,
];

/// The routes integrator tokens may call (each with its scope; the machine here has them all).
const MACHINE_ROUTES: [&str; 8] = [
    "GET /api/v1/clients",
    "GET /api/v1/clients/{id}",
    "GET /api/v1/audit",
    "POST /api/v1/sales/orders",
    "POST /api/v1/sales/prepayments",
    "POST /api/v1/gauges/readings",
    "POST /api/v1/tickets",
    "GET /api/v1/tickets/{id}",
];

/// Which record a `{id}` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Owned by `manager` in the demo county: in everyone's scope.
    Own,
    /// In another city (株洲): only in the province-wide scopes.
    Foreign,
}

/// What a request should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Passed the access checks (anything but 401, 403, 404; never a 5xx).
    Through,
    /// 401.
    Unauthenticated,
    /// 403.
    Forbidden,
    /// 404: out of scope looks like not there.
    Hidden,
}

fn expected(route: &str, rule: Rule, who: Who, target: Target) -> Expect {
    use Expect::*;
    if who == Who::Machine && rule != Rule::Public {
        return if MACHINE_ROUTES.contains(&route) {
            Through
        } else {
            Forbidden
        };
    }
    let province_wide = matches!(who, Who::Admin | Who::Leader | Who::Viewer);
    let in_scope = target == Target::Own || province_wide;
    match (rule, who) {
        (Rule::Public, _) => Through,
        (_, Who::Anonymous) => Unauthenticated,
        (Rule::SignedIn, _) => Through,
        (Rule::Writer, Who::Viewer) => Forbidden,
        (Rule::Writer, _) => Through,
        (Rule::Payroll, Who::Admin | Who::Leader) => Through,
        (Rule::Payroll, _) => Forbidden,
        (Rule::Admin, Who::Admin) => Through,
        (Rule::Admin, _) => Forbidden,
        (Rule::ClientRead | Rule::UserRead, _) => {
            if in_scope {
                Through
            } else {
                Hidden
            }
        }
        (Rule::Reviewer | Rule::ReviewWrite, Who::Viewer | Who::Manager) => Forbidden,
        (Rule::Reviewer, _) => Through,
        (Rule::ReviewWrite, _) => {
            if in_scope {
                Through
            } else {
                Hidden
            }
        }
        (Rule::ClientWrite, Who::Viewer) => Forbidden,
        (Rule::ClientWrite, _) => {
            if in_scope {
                Through
            } else {
                Hidden
            }
        }
    }
}

fn username(who: Who) -> Option<&'static str> {
    match who {
        Who::Anonymous => None,
        Who::Admin => Some("admin"),
        Who::Leader => Some("leader"),
        Who::Viewer => Some("viewer"),
        Who::Director => Some("director"),
        Who::Manager => Some("manager"),
        Who::Machine => None,
    }
}

/// Ids standing in for `{id}` per resource and target.
struct Ids {
    clients: [String; 2],
    users: [String; 2],
    org_unit: String,
    token: String,
    documents: [String; 2],
    tasks: [String; 2],
    /// A visit at each client (the own one by `manager`) and its photo.
    visits: [String; 2],
    photos: [String; 2],
    /// A service ticket at each client.
    tickets: [String; 2],
    /// A prospect in each place (the own one the manager's, the other in 株洲).
    prospects: [String; 2],
    export: String,
    /// The secret of an integrator token with every scope (not the one above, which the matrix
    /// revokes).
    machine: String,
}

impl Ids {
    fn for_path(&self, path: &str, target: Target) -> String {
        let i = match target {
            Target::Own => 0,
            Target::Foreign => 1,
        };
        if path.contains("{name}") {
            return path.replace("{name}", "expiry_alerts");
        }
        if path.contains("{month}") {
            return path
                .replace("{month}", "2026-10")
                .replace("{user_id}", &self.users[0]);
        }
        let id = if path.starts_with("/api/v1/clients/") {
            self.clients[i].clone()
        } else if path.starts_with("/api/v1/users/") {
            self.users[i].clone()
        } else if path.starts_with("/api/v1/org-units/") {
            self.org_unit.clone()
        } else if path.starts_with("/api/v1/integrator-tokens/") {
            self.token.clone()
        } else if path.starts_with("/api/v1/documents/") {
            self.documents[i].clone()
        } else if path.starts_with("/api/v1/visits/photos/") {
            self.photos[i].clone()
        } else if path.starts_with("/api/v1/visits/") {
            self.visits[i].clone()
        } else if path.starts_with("/api/v1/prospects/") {
            self.prospects[i].clone()
        } else if path.starts_with("/api/v1/tickets/") {
            self.tickets[i].clone()
        } else if path.starts_with("/api/v1/tasks/") {
            self.tasks[i].clone()
        } else if path.starts_with("/api/v1/archive/export/") {
            self.export.clone()
        } else {
            panic!("no id for {path}")
        };
        path.replace("{id}", &id)
    }
}

async fn ids(app: &TestApp, admin: &str) -> Ids {
    let manager = app
        .get_json("/api/v1/me", &app.token("manager").await)
        .await;
    let units = app.get_json("/api/v1/org-units", admin).await;
    let units = units.as_array().expect("units");
    let unit_id = |code: &str| {
        units
            .iter()
            .find(|u| u["code"] == code)
            .and_then(|u| u["id"].as_str())
            .expect("unit")
            .to_owned()
    };
    let zhuzhou = unit_id("430200");
    let first = |page: Value| page["items"][0]["id"].as_str().expect("client").to_owned();
    let own_client = first(
        app.get_json(
            &format!(
                "/api/v1/clients?per_page=1&account_manager_id={}",
                manager["id"].as_str().expect("id")
            ),
            admin,
        )
        .await,
    );
    let foreign_client = first(
        app.get_json(
            &format!("/api/v1/clients?per_page=1&org_unit_id={zhuzhou}"),
            admin,
        )
        .await,
    );
    let foreign_user = app
        .get_json(&format!("/api/v1/users?org_unit_id={zhuzhou}"), admin)
        .await[0]["id"]
        .as_str()
        .expect("user")
        .to_owned();
    let mut secrets = Vec::new();
    for name in ["access test target", "access test machine"] {
        let created = app
            .post_json(
                "/api/v1/integrator-tokens",
                admin,
                &json!({
                    "name": name,
                    "scopes": ["clients:read", "clients:write", "sales:write", "gauges:write", "audit:read", "tickets:write"],
                    "expires_in_days": 30,
                    "rate_limit_per_minute": 6000
                }),
            )
            .await;
        assert_eq!(created.status(), 201, "integrator token");
        let body: Value = created.json().await.expect("token");
        secrets.push((
            body["token"]["id"].as_str().expect("id").to_owned(),
            body["secret"].as_str().expect("secret").to_owned(),
        ));
    }
    // A document and a renew-document task for each client.
    let mut documents = Vec::new();
    let mut tasks = Vec::new();
    for client in [&own_client, &foreign_client] {
        let created = crate::documents::upload(
            app,
            admin,
            client,
            &json!({"doc_type": "authorisation_letter",
                    "valid_to": (crate::helpers::today() + chrono::TimeDelta::days(10)).to_string()}),
            vec![("page.png", crate::documents::png())],
        )
        .await;
        assert_eq!(created.status(), 201);
        let doc: Value = created.json().await.expect("document");
        let id = doc["id"].as_str().expect("id").to_owned();
        let approved = app
            .post_json(
                &format!("/api/v1/documents/{id}/review"),
                admin,
                &json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(approved.status(), 200);
        documents.push(id);
    }
    let run = app
        .post_json("/api/v1/jobs/expiry_alerts/run", admin, &json!({}))
        .await;
    assert_eq!(run.status(), 200);
    for client in [&own_client, &foreign_client] {
        let page = app
            .get_json(
                &format!("/api/v1/tasks?client_id={client}&kind=renew_document"),
                admin,
            )
            .await;
        tasks.push(page["items"][0]["id"].as_str().expect("task").to_owned());
    }
    // A visit with a photo at each client: the manager's own, an administrator's elsewhere.
    let manager_token = app.token("manager").await;
    let mut visits = Vec::new();
    let mut photos = Vec::new();
    for (token, client) in [
        (manager_token.as_str(), &own_client),
        (admin, &foreign_client),
    ] {
        let photo: Value = app
            .client
            .post(app.url("/api/v1/visits/photos"))
            .bearer_auth(token)
            .header("Content-Type", "image/png")
            .body(crate::documents::png())
            .send()
            .await
            .expect("photo")
            .json()
            .await
            .expect("photo");
        let photo = photo["id"].as_str().expect("photo id").to_owned();
        let visit = app
            .post_json(
                "/api/v1/visits",
                token,
                &json!({"client_id": client, "idempotency_key": format!("access-{client}"),
                        "device_time": crate::helpers::now(), "position": {"lat": 28.2, "lon": 112.9},
                        "accuracy_m": 20.0, "photo_ids": [photo],
                        "record": {"purpose": "走访", "outcome": "正常"}}),
            )
            .await;
        assert_eq!(visit.status(), 201, "visit");
        let visit: Value = visit.json().await.expect("visit");
        visits.push(visit["id"].as_str().expect("visit id").to_owned());
        photos.push(photo);
    }
    let mut tickets = Vec::new();
    for client in [&own_client, &foreign_client] {
        let ticket = app
            .post_json(
                "/api/v1/tickets",
                admin,
                &json!({"client_id": client, "ticket_type": "inquiry",
                        "title": "询问发票寄送", "description": "客户来电询问上月发票"}),
            )
            .await;
        assert_eq!(ticket.status(), 201, "ticket");
        let ticket: Value = ticket.json().await.expect("ticket");
        tickets.push(ticket["id"].as_str().expect("ticket id").to_owned());
    }
    // October's scorecards, so `{month}/users/{user_id}` (the manager's) exists.
    let computed = app
        .post_json("/api/v1/scorecards/2026-10/compute", admin, &json!({}))
        .await;
    assert_eq!(computed.status(), 200, "scorecards");
    let mut prospects = Vec::new();
    for (i, client) in [&own_client, &foreign_client].into_iter().enumerate() {
        let owner = app
            .get_json(&format!("/api/v1/clients/{client}"), admin)
            .await;
        let mut fields =
            crate::clients::new_client(app, admin, &format!("91430104MA4Q0000{i}")).await;
        fields["name"] = json!(format!("权限矩阵潜在客户{i}号"));
        fields["org_unit_id"] = owner["org_unit_id"].clone();
        fields["account_manager_id"] = owner["account_manager_id"].clone();
        let created = app
            .post_json(
                "/api/v1/prospects",
                admin,
                &json!({"client": fields, "est_monthly_demand_t": 10.0, "confirm_similar": true}),
            )
            .await;
        assert_eq!(created.status(), 201, "prospect");
        let p: Value = created.json().await.expect("prospect");
        prospects.push(p["client_id"].as_str().expect("id").to_owned());
    }
    Ids {
        prospects: [prospects[0].clone(), prospects[1].clone()],
        tickets: [tickets[0].clone(), tickets[1].clone()],
        visits: [visits[0].clone(), visits[1].clone()],
        photos: [photos[0].clone(), photos[1].clone()],
        documents: [documents[0].clone(), documents[1].clone()],
        tasks: [tasks[0].clone(), tasks[1].clone()],
        export: uuid::Uuid::new_v4().to_string(),
        clients: [own_client, foreign_client],
        users: [manager["id"].as_str().expect("id").to_owned(), foreign_user],
        // The province: an administrator's DELETE of it is refused (it has sub-units), so the
        // test changes nothing it depends on.
        org_unit: unit_id("430000"),
        token: secrets[0].0.clone(),
        machine: secrets[1].1.clone(),
    }
}

async fn every_route_answers_every_role_as_its_rule_says(app: &TestApp) {
    let spec = api::openapi::ApiDoc::openapi();
    let mut routes: Vec<(Method, String)> = Vec::new();
    let mut missing = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ops = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, op) in ops {
            if op.is_some() {
                let route = format!("{method} {path}");
                if rule(&route).is_none() {
                    missing.push(route);
                }
                routes.push((method, path.clone()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes without an access rule: {missing:?}"
    );

    let admin = app.token("admin").await;
    let ids = ids(app, &admin).await;
    let mut tokens = BTreeMap::new();
    for who in EVERYONE {
        if let Some(name) = username(who) {
            tokens.insert(name, app.token(name).await);
        }
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, path) in &routes {
        let route = format!("{method} {path}");
        let rule = rule(&route).expect("checked above");
        let targets: &[Target] = if path.contains("{id}") {
            &[Target::Own, Target::Foreign]
        } else {
            &[Target::Own]
        };
        for &target in targets {
            let url = if path.contains('{') {
                ids.for_path(path, target)
            } else {
                path.clone()
            };
            for who in EVERYONE {
                // Signing out ends the session the other checks use: use a fresh one.
                let token = match username(who) {
                    None if who == Who::Machine => Some(ids.machine.clone()),
                    None => None,
                    Some(name) if route == "POST /api/v1/auth/logout" => {
                        Some(app.token(name).await)
                    }
                    Some(name) => tokens.get(name).cloned(),
                };
                let mut request = app.client.request(method.clone(), app.url(&url));
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                if matches!(*method, Method::POST | Method::PATCH | Method::PUT) {
                    // An empty object: enough to get past the access checks, never a valid
                    // change, so the matrix leaves the data as it was.
                    request = request.json(&json!({}));
                }
                let status = request.send().await.expect("request").status().as_u16();
                let want = expected(&route, rule, who, target);
                let ok = match want {
                    Expect::Through => !matches!(status, 401 | 403 | 404) && status < 500,
                    Expect::Unauthenticated => status == 401,
                    Expect::Forbidden => status == 403,
                    Expect::Hidden => status == 404,
                } || (rule == Rule::Public
                    && status == 404
                    && (path.contains("/sso/") || path.contains("/archive/export/")));
                checked += 1;
                if !ok || status >= 500 {
                    failures.push(format!(
                        "{route} as {who:?} on {target:?}: {status}, want {want:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 150, "only {checked} checks ran");
}
db_test!(every_route_answers_every_role_as_its_rule_says);

#[test]
fn the_rules_mean_what_they_say() {
    // The expectation function itself, on the cases that matter most.
    assert_eq!(
        expected("", Rule::ClientRead, Who::Manager, Target::Foreign),
        Expect::Hidden
    );
    assert_eq!(
        expected("", Rule::ClientRead, Who::Director, Target::Foreign),
        Expect::Hidden
    );
    assert_eq!(
        expected("", Rule::ClientRead, Who::Leader, Target::Foreign),
        Expect::Through
    );
    assert_eq!(
        expected("", Rule::ClientWrite, Who::Viewer, Target::Own),
        Expect::Forbidden
    );
    assert_eq!(
        expected("", Rule::Admin, Who::Leader, Target::Own),
        Expect::Forbidden
    );
    assert_eq!(
        expected("", Rule::SignedIn, Who::Anonymous, Target::Own),
        Expect::Unauthenticated
    );
    assert_eq!(rule("GET /api/v1/no-such-route"), None);
}
