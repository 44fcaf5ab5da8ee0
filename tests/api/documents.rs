//! Licence documents: upload checked by content, pages and thumbnails, review, versions, and
//! bad uploads that change nothing.

use crate::db_test;
use crate::helpers::{today, TestApp};
use chrono::TimeDelta;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

/// A small real PNG.
pub fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A minimal PDF (header, one empty page, trailer).
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

/// Uploads a document with the given meta and pages (name, bytes).
pub async fn upload(
    app: &TestApp,
    token: &str,
    client: &str,
    meta: &Value,
    pages: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = Form::new().text("meta", meta.to_string());
    for (name, bytes) in pages {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    app.client
        .post(app.url(&format!("/api/v1/clients/{client}/documents")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// Uploads and approves (as an administrator, who may do both anywhere) a document; returns it.
pub async fn upload_approved(app: &TestApp, client: &str, meta: Value) -> Value {
    let admin = app.token("admin").await;
    let director = admin.clone();
    let created = upload(app, &admin, client, &meta, vec![("page.png", png())]).await;
    assert_eq!(
        created.status(),
        201,
        "{}",
        created.text().await.unwrap_or_default()
    );
    let doc: Value = created.json().await.expect("doc");
    let id = doc["id"].as_str().expect("id");
    let reviewed = app
        .post_json(
            &format!("/api/v1/documents/{id}/review"),
            &director,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(reviewed.status(), 200);
    reviewed.json().await.expect("reviewed")
}

/// The first client owned by the demo account manager.
pub async fn own_client(app: &TestApp) -> String {
    let manager = app.token("manager").await;
    let page = app.get_json("/api/v1/clients?per_page=1", &manager).await;
    page["items"][0]["id"].as_str().expect("client").to_owned()
}

fn date(days_from_today: i64) -> String {
    (today() + TimeDelta::days(days_from_today)).to_string()
}

async fn a_document_is_uploaded_reviewed_and_replaced(app: &TestApp) {
    let manager = app.token("manager").await;
    let director = app.token("director").await;
    let client = own_client(app).await;
    let meta = json!({
        "doc_type": "business_licence", "number": "91430104MA4L000001",
        "issuer": "长沙市岳麓区市场监督管理局", "valid_from": "2020-01-01", "long_term": true
    });
    let created = upload(
        app,
        &manager,
        &client,
        &meta,
        vec![("scan.png", png()), ("p2.pdf", pdf())],
    )
    .await;
    assert_eq!(created.status(), 201);
    let doc: Value = created.json().await.expect("doc");
    assert_eq!(doc["review"], "pending");
    assert_eq!(doc["status"], "pending_review");
    assert_eq!(doc["files"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["files"][0]["content_type"], "image/png");
    assert_eq!(doc["files"][0]["has_thumbnail"], true);
    assert_eq!(doc["files"][1]["content_type"], "application/pdf");
    let id = doc["id"].as_str().expect("id").to_owned();

    // The bytes come back as they went in, with the content type judged at upload.
    let page2 = app
        .get(&format!("/api/v1/documents/{id}/file?page=2"), &manager)
        .await;
    assert_eq!(page2.status(), 200);
    assert_eq!(page2.headers()["content-type"], "application/pdf");
    assert_eq!(page2.bytes().await.expect("bytes").to_vec(), pdf());
    let thumb = app
        .get(
            &format!("/api/v1/documents/{id}/file?page=1&thumbnail=true"),
            &manager,
        )
        .await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    assert_eq!(
        app.get(&format!("/api/v1/documents/{id}/file?page=3"), &manager)
            .await
            .status(),
        404
    );

    // The review queue has it; account managers cannot review; a rejection needs a reason.
    let queue = app
        .get_json("/api/v1/documents?status=pending_review", &director)
        .await;
    assert!(queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|d| d["id"] == id.as_str()));
    let review = format!("/api/v1/documents/{id}/review");
    assert_eq!(
        app.post_json(&review, &manager, &json!({"decision": "approve"}))
            .await
            .status(),
        403
    );
    let no_reason = app
        .post_json(&review, &director, &json!({"decision": "reject"}))
        .await;
    assert_eq!(no_reason.status(), 422);
    let approved = app
        .post_json(&review, &director, &json!({"decision": "approve"}))
        .await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.expect("json");
    assert_eq!(approved["status"], "valid");
    assert_eq!(
        approved["reviewed_by_name"].as_str().map(str::is_empty),
        Some(false)
    );
    let again = app
        .post_json(
            &review,
            &director,
            &json!({"decision": "reject", "reason": "x"}),
        )
        .await;
    assert_eq!(again.status(), 409);

    // A replacement is a new version; the old one stays, marked superseded.
    let replaced = upload(app, &manager, &client, &meta, vec![("new.png", png())]).await;
    assert_eq!(replaced.status(), 201);
    let docs = app
        .get_json(&format!("/api/v1/clients/{client}/documents"), &manager)
        .await;
    let versions: Vec<&Value> = docs["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter(|d| d["doc_type"] == "business_licence")
        .collect();
    assert!(versions.len() >= 2);
    assert_eq!(versions[0]["superseded"], false);
    assert!(versions
        .iter()
        .any(|d| d["id"] == id.as_str() && d["superseded"] == true));
    // The approved version still counts while its replacement awaits review.
    let item = docs["archive"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["doc_type"] == "business_licence")
        .cloned()
        .expect("item");
    assert_eq!(item["status"], "valid");
    assert!(item["pending_document_id"].is_string());
}
db_test!(a_document_is_uploaded_reviewed_and_replaced);

/// Meta, pages, expected status, the field named in the problem.
type Case = (Value, Vec<(&'static str, Vec<u8>)>, u16, &'static str);

async fn bad_uploads_are_refused_and_store_nothing(app: &TestApp) {
    let manager = app.token("manager").await;
    let viewer = app.token("viewer").await;
    let client = own_client(app).await;
    let good = json!({"doc_type": "authorisation_letter", "valid_to": date(200)});
    let count = || async {
        app.get_json(&format!("/api/v1/clients/{client}/documents"), &manager)
            .await["documents"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    let before = (count().await, app.stored_file_count());
    let mut pdf_without_end = pdf();
    pdf_without_end.truncate(40);
    let big = vec![0xFFu8; 3 * 1024 * 1024];
    let cases: Vec<Case> = vec![
        (
            good.clone(),
            vec![("scan.jpg", b"MZ\x90\x00 not an image".to_vec())],
            422,
            "file[0]",
        ),
        (
            good.clone(),
            vec![("empty.png", Vec::new())],
            422,
            "file[0]",
        ),
        (good.clone(), vec![("big.jpg", big)], 422, "file[0]"),
        (
            good.clone(),
            vec![("cut.pdf", pdf_without_end)],
            422,
            "file[0]",
        ),
        (
            good.clone(),
            vec![
                ("ok.png", png()),
                ("bad.png", b"\x89PNG\r\n\x1a\nbroken".to_vec()),
            ],
            422,
            "file[1]",
        ),
        (
            json!({"doc_type": "authorisation_letter", "valid_from": date(10), "valid_to": date(5)}),
            vec![("ok.png", png())],
            422,
            "valid_to",
        ),
        (
            json!({"doc_type": "passport"}),
            vec![("ok.png", png())],
            422,
            "meta",
        ),
        (good.clone(), vec![], 422, "file"),
    ];
    for (meta, pages, status, field) in cases {
        let response = upload(app, &manager, &client, &meta, pages).await;
        assert_eq!(response.status(), status, "{meta}");
        let problem: Value = response.json().await.expect("problem");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{field} not in {fields:?}");
        assert!(problem["detail_zh"].is_string());
    }
    // Without the meta part at all.
    let form = Form::new().part("file", Part::bytes(png()).file_name("a.png"));
    let response = app
        .client
        .post(app.url(&format!("/api/v1/clients/{client}/documents")))
        .bearer_auth(&manager)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 422);
    // Not multipart; a viewer; a client out of scope.
    let json_body = app
        .post_json(
            &format!("/api/v1/clients/{client}/documents"),
            &manager,
            &good,
        )
        .await;
    assert_eq!(json_body.status(), 415);
    let as_viewer = upload(app, &viewer, &client, &good, vec![("ok.png", png())]).await;
    assert_eq!(as_viewer.status(), 403);
    let admin = app.token("admin").await;
    let me = app.get_json("/api/v1/me", &manager).await;
    let foreign = app.get_json("/api/v1/clients?per_page=200", &admin).await["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["account_manager_id"] != me["id"])
        .and_then(|c| c["id"].as_str())
        .expect("foreign client")
        .to_owned();
    let out_of_scope = upload(app, &manager, &foreign, &good, vec![("ok.png", png())]).await;
    assert_eq!(out_of_scope.status(), 404);

    assert_eq!(
        (count().await, app.stored_file_count()),
        before,
        "nothing stored"
    );

    // A hostile file name is only a name: the stored key is the server's own.
    let named = upload(
        app,
        &manager,
        &client,
        &good,
        vec![("../../../../tmp/evil.png", png())],
    )
    .await;
    assert_eq!(named.status(), 201);
    assert!(!std::path::Path::new("/tmp/evil.png").exists());
    assert_eq!(
        app.stored_file_count(),
        before.1 + 2,
        "the page and its thumbnail"
    );
}
db_test!(bad_uploads_are_refused_and_store_nothing);

async fn the_expiring_list_orders_by_valid_to(app: &TestApp) {
    let client = own_client(app).await;
    for days in [25, 5] {
        upload_approved(
            app,
            &client,
            json!({"doc_type": "authorisation_letter", "number": format!("L{days}"), "valid_to": date(days)}),
        )
        .await;
    }
    let director = app.token("director").await;
    let expiring = app
        .get_json(
            "/api/v1/documents?status=expiring&all_versions=true",
            &director,
        )
        .await;
    let days: Vec<&str> = expiring["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|d| d["client_id"] == client.as_str())
        .filter_map(|d| d["valid_to"].as_str())
        .collect();
    assert_eq!(days, vec![date(5), date(25)]);
    // Only the newest version by default.
    let current = app
        .get_json("/api/v1/documents?status=expiring", &director)
        .await;
    let ours: Vec<&Value> = current["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|d| d["client_id"] == client.as_str())
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["number"], "L5");
    let bad = app.get("/api/v1/documents?status=lost", &director).await;
    assert_eq!(bad.status(), 422);
}
db_test!(the_expiring_list_orders_by_valid_to);
