//! Sales file imports: GBK and UTF-8 CSV, XLSX, saved mappings, previews, per-row errors,
//! damaged files; nothing half-imported.

use crate::db_test;
use crate::helpers::{today, TestApp};
use crate::sales::{count, two_clients};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

async fn post_file(app: &TestApp, token: &str, query: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/sales/imports{query}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("request")
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

async fn depot_of(app: &TestApp, order_no: &str) -> String {
    let backend = app.store.connection().get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "SELECT depot FROM sales_orders WHERE order_no = $1",
        _ => "SELECT depot FROM sales_orders WHERE order_no = ?",
    };
    let row = app
        .store
        .connection()
        .query_one(Statement::from_sql_and_values(
            backend,
            sql,
            [order_no.into()],
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<String>(0).expect("depot")
}

async fn a_gbk_csv_with_chinese_headers_is_previewed_then_imported_once(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(_, a), (_, b)] = two_clients(app, &admin).await;
    let day = today().format("%Y/%m/%d").to_string();
    let csv = format!(
        "单据编号,统一社会信用代码,开单日期,油品,数量(吨),价税合计,发货油库\n\
         F-1,{a},{day},0#柴油,12.5,\"97,500.00\",长沙油库\n\
         F-2,{b},{day},92#汽油,8,66400,株洲油库\n\
         F-3,{a},{day},-10#柴油,20.125,158000,长沙油库\n"
    );
    let bytes = gbk(&csv);
    let before = count(app, "sales_orders").await;
    let preview = post_file(app, &admin, "?dry_run=true", bytes.clone()).await;
    assert_eq!(preview.status(), 200);
    let preview: Value = preview.json().await.expect("json");
    assert_eq!(preview["encoding"], "gbk");
    assert_eq!(preview["kind"], "csv");
    assert_eq!(preview["total_rows"], 3);
    assert_eq!(preview["valid_rows"], 3);
    assert_eq!(preview["inserted"], 3, "would insert");
    assert_eq!(preview["mapping"]["order_no"], "单据编号");
    assert_eq!(
        count(app, "sales_orders").await,
        before,
        "a preview writes nothing"
    );
    let imported = post_file(app, &admin, "", bytes.clone()).await;
    assert_eq!(imported.status(), 200);
    let imported: Value = imported.json().await.expect("json");
    assert_eq!(imported["inserted"], 3);
    assert_eq!(count(app, "sales_orders").await, before + 3);
    assert_eq!(depot_of(app, "F-1").await, "长沙油库", "no mojibake");
    let again: Value = post_file(app, &admin, "", bytes)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["inserted"], 0);
    assert_eq!(again["unchanged"], 3);
    // The same file read as UTF-8 is refused, not stored garbled.
    let forced = post_file(app, &admin, "?encoding=utf8", gbk(&csv.replace("F-", "G-"))).await;
    assert_eq!(forced.status(), 422);
    let problem: Value = forced.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "file");
    assert_eq!(problem["errors"][0]["code"], "invalid_encoding");
    assert_eq!(count(app, "sales_orders").await, before + 3);
}
db_test!(a_gbk_csv_with_chinese_headers_is_previewed_then_imported_once);

async fn bad_rows_are_reported_with_their_row_numbers_and_nothing_is_imported(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(_, a), _] = two_clients(app, &admin).await;
    let day = today().to_string();
    let future = (today() + chrono::TimeDelta::days(5)).to_string();
    // A well-formed code that no client has.
    let stranger = format!(
        "91430000MA4L00000{}",
        domain::uscc::check_character("91430000MA4L00000").expect("check")
    );
    let csv = format!(
        "order_no,client_uscc,order_date,product,tonnes,amount_yuan\n\
         E-1,{a},{day},diesel_0,10,78000\n\
         E-2,{stranger},{day},diesel_0,10,78000\n\
         E-3,{a},{future},diesel_0,10,78000\n\
         E-4,{a},{day},diesel_0,lots,78000\n\
         E-5,{a},{day},jet fuel,10,78000\n"
    );
    let before = count(app, "sales_orders").await;
    let preview: Value = post_file(app, &admin, "?dry_run=true", csv.clone().into_bytes())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(preview["total_rows"], 5);
    assert_eq!(preview["valid_rows"], 1);
    let rows: Vec<(u64, String)> = preview["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(e["message_zh"].as_str().expect("zh").starts_with("第 "));
            (
                e["row"].as_u64().expect("row"),
                e["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    assert!(rows.contains(&(3, "unknown_client".into())), "{rows:?}");
    assert!(rows.contains(&(4, "future_date".into())), "{rows:?}");
    assert!(rows.iter().any(|(r, _)| *r == 5), "{rows:?}");
    assert!(rows.iter().any(|(r, _)| *r == 6), "{rows:?}");
    let refused = post_file(app, &admin, "", csv.into_bytes()).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("json");
    assert!(problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .any(|e| e["field"] == "rows[4].order_date"));
    assert_eq!(
        count(app, "sales_orders").await,
        before,
        "nothing half-imported"
    );
    // Not a file we read at all.
    let empty = post_file(app, &admin, "", Vec::new()).await;
    assert_eq!(empty.status(), 422);
    let manager = app.token("manager").await;
    let refused = post_file(app, &manager, "?dry_run=true", b"a,b\n1,2\n".to_vec()).await;
    assert_eq!(refused.status(), 403);
}
db_test!(bad_rows_are_reported_with_their_row_numbers_and_nothing_is_imported);

fn workbook(uscc: &str, headers: [&str; 6]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(
        today().format("%Y").to_string().parse().expect("y"),
        today().format("%m").to_string().parse().expect("m"),
        today().format("%d").to_string().parse().expect("d"),
    )
    .expect("date");
    let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for r in 1..=3u32 {
        sheet.write_string(r, 0, format!("X-{r}")).expect("no");
        sheet.write_string(r, 1, uscc).expect("uscc");
        sheet
            .write_datetime_with_format(r, 2, &date, &format)
            .expect("date");
        sheet.write_string(r, 3, "0号柴油").expect("product");
        sheet
            .write_number(r, 4, 10.0 * f64::from(r))
            .expect("tonnes");
        sheet
            .write_number(r, 5, 78_000.0 * f64::from(r))
            .expect("amount");
    }
    book.save_to_buffer().expect("xlsx")
}

async fn xlsx_imports_with_a_saved_mapping_and_a_truncated_one_is_refused(app: &TestApp) {
    let admin = app.token("admin").await;
    let [(_, a), _] = two_clients(app, &admin).await;
    let headers = ["流水", "客户代码", "业务日", "货品", "重量", "款项"];
    let bytes = workbook(&a, headers);
    // Headers this ERP invents are not recognised …
    let unknown = post_file(app, &admin, "?dry_run=true", bytes.clone()).await;
    assert_eq!(unknown.status(), 422);
    let problem: Value = unknown.json().await.expect("json");
    assert_eq!(problem["errors"][0]["code"], "missing_columns");
    // … until a mapping says which is which.
    let saved = app
        .client
        .put(app.url("/api/v1/sales/import-mappings/某ERP"))
        .bearer_auth(&admin)
        .json(
            &json!({"order_no": "流水", "client_uscc": "客户代码", "order_date": "业务日",
                      "product": "货品", "tonnes": "重量", "amount_yuan": "款项"}),
        )
        .send()
        .await
        .expect("put");
    assert_eq!(saved.status(), 200);
    let mappings = app.get_json("/api/v1/sales/import-mappings", &admin).await;
    assert_eq!(mappings[0]["name"], "某ERP");
    let before = count(app, "sales_orders").await;
    let imported = post_file(app, &admin, "?mapping=%E6%9F%90ERP", bytes.clone()).await;
    assert_eq!(imported.status(), 200);
    let imported: Value = imported.json().await.expect("json");
    assert_eq!(imported["kind"], "xlsx");
    assert_eq!(imported["inserted"], 3);
    assert_eq!(count(app, "sales_orders").await, before + 3);
    let truncated = bytes[..bytes.len() / 2].to_vec();
    let broken = post_file(app, &admin, "?mapping=%E6%9F%90ERP", truncated).await;
    assert_eq!(broken.status(), 422);
    let problem: Value = broken.json().await.expect("json");
    assert_eq!(problem["errors"][0]["code"], "corrupt_file");
    assert!(!problem["errors"][0]["message_zh"]
        .as_str()
        .expect("zh")
        .is_empty());
    let missing = post_file(app, &admin, "?mapping=nope", bytes).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(count(app, "sales_orders").await, before + 3);
}
db_test!(xlsx_imports_with_a_saved_mapping_and_a_truncated_one_is_refused);
