//! The archive card (JSON and printable HTML) and the streamed bulk export.

use crate::db_test;
use crate::documents::own_client;
use crate::helpers::TestApp;
use serde_json::{json, Value};
use std::io::Read;

async fn the_card_shows_the_archive_and_escapes_markup(app: &TestApp) {
    let manager = app.token("manager").await;
    let viewer = app.token("viewer").await;
    let client = own_client(app).await;
    let card = app
        .get_json(&format!("/api/v1/clients/{client}/card"), &manager)
        .await;
    assert_eq!(card["client"]["id"], client.as_str());
    assert!(["a", "b", "c", "d"].contains(&card["grade"].as_str().unwrap_or("")));
    assert!(
        card["archive"]["items"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
            >= 3
    );
    assert!(card["documents"].is_array() && card["open_tasks"].is_array());
    let masked = app
        .get_json(&format!("/api/v1/clients/{client}/card"), &viewer)
        .await;
    let phone = masked["client"]["contacts"][0]["phone"]
        .as_str()
        .unwrap_or("");
    assert!(phone.contains('*'), "viewers see masked phones: {phone}");

    // A name with markup comes out as text.
    let patch = app
        .patch_json(
            &format!("/api/v1/clients/{client}"),
            &manager,
            &json!({"name": "<script>x</script>油库"}),
        )
        .await;
    assert_eq!(patch.status(), 200);
    let html = app
        .get(&format!("/api/v1/clients/{client}/card.html"), &manager)
        .await;
    assert_eq!(html.status(), 200);
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    let text = html.text().await.expect("html");
    assert!(text.contains("&lt;script&gt;x&lt;/script&gt;油库"));
    assert!(!text.contains("<script>"));
    assert!(text.contains("证照"));
}
db_test!(the_card_shows_the_archive_and_escapes_markup);

async fn an_export_downloads_as_one_zip_with_a_folder_per_client(app: &TestApp) {
    let manager = app.token("manager").await;
    let admin = app.token("admin").await;
    let prepared = app
        .post_json("/api/v1/archive/export", &manager, &json!({}))
        .await;
    assert_eq!(prepared.status(), 201);
    let ticket: Value = prepared.json().await.expect("ticket");
    let own = app.get_json("/api/v1/clients?per_page=1", &manager).await["total"]
        .as_u64()
        .expect("total");
    assert_eq!(ticket["clients"].as_u64(), Some(own));
    let url = ticket["download_url"].as_str().expect("url").to_owned();

    // No bearer token: the ticket is the authority.
    let response = app
        .client
        .get(app.url(&url))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.expect("zip").to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip");
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).expect("entry").name().to_owned())
        .collect();
    let cards = names.iter().filter(|n| n.ends_with("/card.html")).count() as u64;
    assert_eq!(cards, own, "one folder per client");
    assert!(
        names.iter().any(|n| n.ends_with(".png")),
        "document pages are in it"
    );
    let mut index = Vec::new();
    archive
        .by_name("index.xlsx")
        .expect("index")
        .read_to_end(&mut index)
        .expect("read");
    let mut sheet = String::new();
    zip::ZipArchive::new(std::io::Cursor::new(index))
        .expect("xlsx is a zip")
        .by_name("xl/worksheets/sheet1.xml")
        .expect("clients sheet")
        .read_to_string(&mut sheet)
        .expect("xml");
    assert_eq!(
        sheet.matches("<row ").count() as u64,
        own + 1,
        "header and one row per client"
    );

    // A wrong ticket finds nothing; the export is in the audit log.
    let wrong = url.replace("ticket=", "ticket=0");
    assert_eq!(
        app.client
            .get(app.url(&wrong))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let audit = app
        .get_json("/api/v1/audit?entity=archive_export", &admin)
        .await;
    assert!(audit["total"].as_u64().unwrap_or(0) >= 2, "{audit}");
    let bad = app
        .post_json(
            "/api/v1/archive/export",
            &manager,
            &json!({"category": "airline"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
}
db_test!(an_export_downloads_as_one_zip_with_a_folder_per_client);
