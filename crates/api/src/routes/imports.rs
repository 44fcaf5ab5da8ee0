//! Sales file imports: an ERP's CSV (UTF-8 or GBK) or XLSX export, read with Chinese or English
//! headers or a saved column mapping, previewed with a per-row error report, then imported
//! with the same idempotency and all-or-nothing rule as the batch API.

use crate::audit::RequestMeta;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, ValidJson};
use crate::guard::Admin;
use crate::routes::sales::{prepare_orders, store_orders, OrderCandidate};
use crate::state::AppState;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, FieldChange};
use domain::{FieldError, ValidationErrors};
use futures_util::StreamExt;
use ingest::{ColumnMapping, FileKind, ParseOptions, ParsedOrderRow, TextEncoding};
use serde::{Deserialize, Serialize};
use store::ingest::BatchOutcome;
use utoipa::{IntoParams, OpenApi, ToSchema};

type Problem = domain::error::Problem;

/// Most data rows in one file.
pub const MAX_FILE_ROWS: usize = 100_000;

/// Rows shown in a preview.
const PREVIEW_ROWS: usize = 20;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(import_sales_file, list_import_mappings, save_import_mapping))]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import_sales_file)
        .service(list_import_mappings)
        .service(save_import_mapping);
}

/// How to read the file.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: read and check only, write nothing (the preview).
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
    /// Text encoding of a CSV: `utf8` or `gbk` (default: detected).
    #[param(value_type = Option<String>)]
    pub encoding: Option<String>,
    /// Worksheet of an XLSX (default: the first).
    #[param(value_type = Option<String>)]
    pub sheet: Option<String>,
    /// Name of a saved column mapping (default: headers recognised by their names).
    #[param(value_type = Option<String>)]
    pub mapping: Option<String>,
}

/// One problem with one row of the file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportRowError {
    /// Row number as the user sees it in the file.
    pub row: usize,
    /// The file's header of the column concerned, when known.
    pub column: Option<String>,
    /// The cell's text, when known.
    pub value: Option<String>,
    /// The order field (`rows[N].field` in the problem document of a failed import).
    pub field: String,
    /// Stable code.
    pub code: String,
    /// English.
    pub message: String,
    /// Chinese.
    pub message_zh: String,
}

/// What a file holds and what importing it does (or would do).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Only checked, nothing written.
    pub dry_run: bool,
    /// Encoding a CSV was read with.
    #[schema(value_type = Option<String>)]
    pub encoding: Option<TextEncoding>,
    /// `csv` or `xlsx`.
    #[schema(value_type = String)]
    pub kind: FileKind,
    /// The header row.
    pub headers: Vec<String>,
    /// Which header supplied which field (save it as a mapping to reuse it).
    #[schema(value_type = Object)]
    pub mapping: ColumnMapping,
    /// Data rows in the file.
    pub total_rows: usize,
    /// Rows without any problem.
    pub valid_rows: usize,
    /// Every problem of every row, in file order.
    pub errors: Vec<ImportRowError>,
    /// The first rows as read.
    #[schema(value_type = Vec<Object>)]
    pub preview: Vec<ParsedOrderRow>,
    /// New orders written (or that would be).
    pub inserted: u64,
    /// Orders already stored identically (or that would be).
    pub unchanged: u64,
    /// Order numbers stored with different content (nothing is written while any exist).
    pub conflicts: Vec<String>,
}

pub(crate) fn file_error(e: &ingest::FileError) -> ApiError {
    ApiError::field(FieldError::new(
        "file",
        e.code(),
        e.message(),
        e.message_zh(),
    ))
}

pub(crate) async fn read_body(mut payload: web::Payload, limit: usize) -> ApiResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::field(FieldError::new(
                "file",
                "incomplete_upload",
                "The upload was interrupted",
                "上传中断",
            ))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Imports an ERP sales export (administrators). The body is the file itself (any content
/// type): CSV in UTF-8 or GBK (detected, or `encoding=`), or XLSX (first sheet, or `sheet=`),
/// judged by its bytes; headers in Chinese or English are recognised, or a saved `mapping=`
/// says which column is which. `dry_run=true` answers the preview: rows read, every row's
/// problems, what would be inserted or is already there, conflicts. Without it the file is
/// imported only when it has no problem at all (else 422 naming `rows[N].field`, or 409 for
/// order numbers stored with other content), in one transaction, idempotent on the order
/// number. A GBK file read as UTF-8 is refused, never stored as mojibake; a damaged XLSX is a
/// 422 on `file`.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The CSV or XLSX file"),
    responses(
        (status = 200, body = ImportReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sales/imports")]
pub async fn import_sales_file(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    params: web::Query<ImportParams>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let dry_run = parse_opt(&mut errors, "dry_run", &p.dry_run, |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
    .unwrap_or(false);
    let encoding = parse_opt(&mut errors, "encoding", &p.encoding, |s| match s {
        "utf8" | "utf-8" => Some(TextEncoding::Utf8),
        "gbk" | "gb18030" => Some(TextEncoding::Gbk),
        _ => None,
    });
    errors.into_result(())?;
    let mapping = match &p.mapping {
        Some(name) => {
            let saved = state.store.import_mappings().await?;
            let found = saved
                .into_iter()
                .find(|m| &m.name == name)
                .ok_or_else(|| ApiError::field(FieldError::not_found("mapping")))?;
            Some(
                serde_json::from_value::<ColumnMapping>(found.mapping)
                    .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("stored mapping: {e}")))?,
            )
        }
        None => None,
    };
    let bytes = read_body(payload, state.max_upload_bytes).await?;
    let options = ParseOptions {
        encoding,
        sheet: p.sheet.clone(),
        mapping,
        max_rows: MAX_FILE_ROWS,
    };
    // Parsing is CPU work on up to 100,000 rows: off the request thread.
    let parsed = web::block(move || ingest::parse_orders(&bytes, &options))
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("parser thread: {e}")))?
        .map_err(|e| file_error(&e))?;
    let mut row_errors: Vec<ImportRowError> = parsed
        .errors
        .iter()
        .map(|e| ImportRowError {
            row: e.row,
            column: e.column.clone(),
            value: e.value.clone(),
            field: e.error.field.clone(),
            code: e.error.code.clone(),
            message: format!("row {}: {}", e.row, e.error.message),
            message_zh: format!("第 {} 行：{}", e.row, e.error.message_zh),
        })
        .collect();
    let candidates: Vec<OrderCandidate> = parsed
        .rows
        .iter()
        .map(|r| OrderCandidate {
            prefix: format!("rows[{}].", r.row),
            order_no: r.order_no.clone(),
            client_id: r.client_id,
            client_uscc: r.client_uscc.clone(),
            order_date: r.order_date,
            product: r.product,
            quantity_kg: Some(r.quantity_kg),
            amount_fen: Some(r.amount_fen),
            channel: r.channel,
            depot: r.depot.clone(),
        })
        .collect();
    let today = state.clock.now().date_naive();
    let prepared = prepare_orders(&state, &candidates, today).await?;
    let orders = match prepared {
        Ok(orders) => orders,
        Err(problems) => {
            for e in problems.0 {
                // `rows[12].tonnes` → row 12, field tonnes.
                let (row, field) = e
                    .field
                    .strip_prefix("rows[")
                    .and_then(|rest| rest.split_once("]."))
                    .map(|(n, f)| (n.parse().unwrap_or(0), f.to_owned()))
                    .unwrap_or((0, e.field.clone()));
                row_errors.push(ImportRowError {
                    row,
                    column: parsed
                        .mapping
                        .iter()
                        .find(|(t, _)| t.code() == field)
                        .map(|(_, h)| h.to_owned()),
                    value: None,
                    field,
                    code: e.code,
                    message: format!("row {row}: {}", e.message),
                    message_zh: format!("第 {row} 行：{}", e.message_zh),
                });
            }
            Vec::new()
        }
    };
    row_errors.sort_by_key(|e| e.row);
    let bad_rows: std::collections::HashSet<usize> = row_errors.iter().map(|e| e.row).collect();
    let mut report = ImportReport {
        dry_run,
        encoding: parsed.encoding,
        kind: parsed.kind,
        headers: parsed.headers.clone(),
        mapping: parsed.mapping.clone(),
        total_rows: parsed.total_rows,
        valid_rows: parsed.total_rows.saturating_sub(bad_rows.len()),
        errors: row_errors,
        preview: parsed.rows.iter().take(PREVIEW_ROWS).cloned().collect(),
        inserted: 0,
        unchanged: 0,
        conflicts: Vec::new(),
    };
    if dry_run {
        if report.errors.is_empty() {
            let now = state.clock.now();
            match state.store.ingest_orders(&orders, None, now).await? {
                BatchOutcome::Written {
                    inserted,
                    unchanged,
                } => {
                    report.inserted = inserted;
                    report.unchanged = unchanged + (candidates.len() - orders.len()) as u64;
                }
                BatchOutcome::Conflicts(numbers) => report.conflicts = numbers,
            }
        }
        return Ok(HttpResponse::Ok().json(report));
    }
    if !report.errors.is_empty() {
        return Err(ApiError::Validation(ValidationErrors(
            report
                .errors
                .iter()
                .map(|e| {
                    FieldError::new(
                        format!("rows[{}].{}", e.row, e.field),
                        &e.code,
                        e.message.clone(),
                        e.message_zh.clone(),
                    )
                })
                .collect(),
        )));
    }
    let source = format!("file:{}", report.kind_code());
    let batch = store_orders(
        &state,
        &auth,
        &meta,
        &orders,
        candidates.len() as u64,
        &source,
    )
    .await?;
    report.inserted = batch.inserted;
    report.unchanged = batch.unchanged;
    Ok(HttpResponse::Ok().json(report))
}

impl ImportReport {
    fn kind_code(&self) -> &'static str {
        match self.kind {
            FileKind::Csv => "csv",
            FileKind::Xlsx => "xlsx",
        }
    }
}

/// A saved column mapping.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportMappingView {
    /// Name (e.g. the ERP's name).
    pub name: String,
    /// Field code → the header in the file, e.g. `{"order_no": "单据编号"}`.
    #[schema(value_type = Object)]
    pub mapping: serde_json::Value,
    /// Last saved.
    pub updated_at: DateTime<Utc>,
}

/// Saved column mappings (administrators).
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [ImportMappingView]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sales/import-mappings")]
pub async fn list_import_mappings(
    _admin: Admin,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let list: Vec<ImportMappingView> = state
        .store
        .import_mappings()
        .await?
        .into_iter()
        .map(|m| ImportMappingView {
            name: m.name,
            mapping: m.mapping,
            updated_at: m.updated_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// The field codes a column mapping maps (the keys of its body; `ingest` parses them).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // Only describes the body in the spec.
enum MappingField {
    OrderNo,
    ClientUscc,
    ClientId,
    ClientName,
    OrderDate,
    Product,
    Tonnes,
    QuantityKg,
    AmountYuan,
    Channel,
    Depot,
}

/// Saves a column mapping under a name (administrators), replacing one of that name: an
/// object from field code (`order_no`, `client_uscc`, `client_id`, `client_name`,
/// `order_date`, `product`, `tonnes`, `quantity_kg`, `amount_yuan`, `channel`, `depot`) to
/// the header text in the ERP's file. At least one field; headers up to 100 characters.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Mapping name, 1–100 characters")),
    request_body(
        content = std::collections::BTreeMap<MappingField, String>,
        description = "Field code → header"
    ),
    responses(
        (status = 200, body = ImportMappingView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/sales/import-mappings/{name}")]
pub async fn save_import_mapping(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    name: web::Path<String>,
    body: ValidJson<ColumnMapping>,
) -> ApiResult<HttpResponse> {
    let name = name.into_inner().trim().to_owned();
    let mapping = body.0;
    let mut errors = ValidationErrors::new();
    if name.is_empty() {
        errors.push(FieldError::required("name"));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::too_long("name", 100));
    }
    if mapping.0.is_empty() {
        errors.push(FieldError::new(
            "mapping",
            "empty",
            "The mapping names no field",
            "映射中没有任何字段",
        ));
    }
    for (field, header) in mapping.iter() {
        if header.trim().is_empty() || header.chars().count() > 100 {
            errors.push(FieldError::out_of_range(field.code(), 1.0, 100.0));
        }
    }
    errors.into_result(())?;
    let now = state.clock.now();
    let json = serde_json::to_value(&mapping).unwrap_or_default();
    let audit = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        "import_mapping",
        None,
        vec![FieldChange {
            field: name.clone(),
            before: serde_json::Value::Null,
            after: json.clone(),
        }],
    );
    state
        .store
        .save_import_mapping(&name, &json, auth.user.id, now, &audit)
        .await?;
    Ok(HttpResponse::Ok().json(ImportMappingView {
        name,
        mapping: json,
        updated_at: now,
    }))
}
