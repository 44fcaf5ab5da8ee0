//! Bulk archive export: a ZIP with one folder per client (its archive card and its current
//! documents' pages) and an index spreadsheet, streamed so memory stays flat whatever the number
//! of clients. Asking for an export gives a short-lived download ticket, so the browser's own
//! download manager fetches the file (and shows its progress).

use crate::audit::RequestMeta;
use crate::auth::{random_hex, sha256_hex, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::routes::card::{build_card, card_html};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::archive::{extension_for, ClientArchiveFacts, RequirementMatrix};
use domain::audit::{AuditAction, FieldChange};
use domain::client::ClientCategory;
use domain::org::{subtree, DataScope};
use serde::{Deserialize, Serialize};
use std::io::Write;
use store::export::ExportRecord;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// How long a download ticket works.
const TICKET_MINUTES: i64 = 15;

/// Clients per page while exporting.
const PAGE: u64 = 200;

/// Bytes handed to the response at a time.
const CHUNK: usize = 64 * 1024;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(create_export, download_export))]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_export).service(download_export);
}

/// Which archives to export (all in the caller's scope when empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Only clients of this unit and the units below it.
    #[serde(default)]
    pub org_unit_id: Option<Uuid>,
    /// Only this category.
    #[serde(default)]
    pub category: Option<ClientCategory>,
    /// Only complete (`true`) or incomplete (`false`) archives.
    #[serde(default)]
    pub complete: Option<bool>,
}

/// A prepared export.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportTicket {
    /// Identifier.
    pub id: Uuid,
    /// Clients in it.
    pub clients: u64,
    /// Approximate size of the ZIP, bytes.
    pub estimated_bytes: i64,
    /// Where to download it (no bearer token needed; works until `expires_at`).
    pub download_url: String,
    /// When the ticket stops working.
    pub expires_at: DateTime<Utc>,
}

/// The clients an export covers, page by page: facts in scope matching the request.
pub struct Selection {
    scope: DataScope,
    filter: store::ArchiveFilter,
    request: ExportRequest,
    matrix: RequirementMatrix,
    version: i32,
    today: NaiveDate,
}

impl Selection {
    fn keeps(&self, facts: &ClientArchiveFacts) -> bool {
        if self.request.category.is_some_and(|c| c != facts.category) {
            return false;
        }
        match self.request.complete {
            Some(want) => {
                facts
                    .evaluate(&self.matrix, self.version, self.today)
                    .complete
                    == want
            }
            None => true,
        }
    }

    async fn page(
        &self,
        state: &AppState,
        after: Option<Uuid>,
    ) -> ApiResult<(Vec<ClientArchiveFacts>, Option<Uuid>, bool)> {
        let page = state
            .store
            .archive_facts_page(&self.scope, &self.filter, self.today, after, PAGE)
            .await?;
        let last = (page.len() as u64) < PAGE;
        let next = page.last().map(|f| f.client_id);
        Ok((
            page.into_iter().filter(|f| self.keeps(f)).collect(),
            next,
            last,
        ))
    }
}

pub async fn selection(
    state: &AppState,
    scope: DataScope,
    tree: &[(Uuid, Option<Uuid>)],
    request: ExportRequest,
    today: NaiveDate,
) -> ApiResult<Selection> {
    let (version, matrix) = state.store.requirement_matrix().await?;
    Ok(Selection {
        scope,
        filter: store::ArchiveFilter {
            org_units: request.org_unit_id.map(|unit| subtree(tree, unit)),
            client_ids: None,
        },
        request,
        matrix,
        version,
        today,
    })
}

/// Prepares an export of the archives in the caller's scope that match the filters: counts
/// them, estimates the size, and returns a download URL with a ticket valid for 15 minutes.
/// Audited.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    request_body = ExportRequest,
    responses(
        (status = 201, body = ExportTicket),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/archive/export")]
pub async fn create_export(
    auth: AuthUser,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<ExportRequest>,
) -> ApiResult<HttpResponse> {
    let request = body.0;
    let tree = state.store.org_tree().await?;
    if let Some(unit) = request.org_unit_id {
        if !tree.iter().any(|(id, _)| *id == unit) {
            return Err(ApiError::field(domain::FieldError::not_found(
                "org_unit_id",
            )));
        }
    }
    let now = state.clock.now();
    let selection = selection(
        &state,
        auth.scope(&tree),
        &tree,
        request.clone(),
        now.date_naive(),
    )
    .await?;
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let (page, next, last) = selection.page(&state, after).await?;
        ids.extend(page.iter().map(|f| f.client_id));
        after = next;
        if last {
            break;
        }
    }
    let estimated_bytes = state.store.current_document_bytes(&ids).await? + ids.len() as i64 * 4096;
    let ticket = random_hex(32);
    let record = ExportRecord {
        id: Uuid::now_v7(),
        created_by: auth.user.id,
        filter: serde_json::to_value(&request).unwrap_or_default(),
        clients: ids.len() as i64,
        expires_at: now + TimeDelta::minutes(TICKET_MINUTES),
    };
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Export,
        "archive_export",
        Some(record.id),
        vec![
            FieldChange {
                field: "filters".to_owned(),
                before: serde_json::Value::Null,
                after: record.filter.clone(),
            },
            FieldChange {
                field: "clients".to_owned(),
                before: serde_json::Value::Null,
                after: serde_json::json!(ids.len()),
            },
        ],
    );
    state
        .store
        .insert_export(&record, &sha256_hex(&ticket), now, &entry)
        .await?;
    Ok(HttpResponse::Created().json(ExportTicket {
        id: record.id,
        clients: ids.len() as u64,
        estimated_bytes,
        download_url: format!("/api/v1/archive/export/{}?ticket={ticket}", record.id),
        expires_at: record.expires_at,
    }))
}

/// The download ticket.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketParams {
    /// The ticket from the export's `download_url`.
    pub ticket: Option<String>,
}

/// Downloads a prepared export as a ZIP (streamed): `<USCC>-<name>/card.html` and the current
/// documents' pages per client, and `index.xlsx` listing clients and documents. The ticket
/// authorises; a wrong or expired one is 404.
#[utoipa::path(
    tag = "archive",
    params(("id" = Uuid, Path, description = "Export id"), TicketParams),
    responses(
        (status = 200, content_type = "application/zip", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/archive/export/{id}")]
pub async fn download_export(
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    params: web::Query<TicketParams>,
) -> ApiResult<HttpResponse> {
    let ticket = params.ticket.as_deref().unwrap_or_default();
    let now = state.clock.now();
    let record = state
        .store
        .live_export(id.into_inner(), &sha256_hex(ticket), now)
        .await?
        .ok_or(ApiError::NotFound)?;
    let user = state
        .store
        .user(record.created_by)
        .await?
        .ok_or(ApiError::NotFound)?;
    let tree = state.store.org_tree().await?;
    let scope = DataScope::for_user(user.role, user.id, user.org_unit_id, &tree);
    let request: ExportRequest = serde_json::from_value(record.filter.clone()).unwrap_or_default();
    let masked = !user.role.sees_contact_details();
    let selection = selection(&state, scope, &tree, request, now.date_naive()).await?;
    state.store.mark_export_downloaded(record.id, now).await?;
    let auth = AuthUser {
        user,
        session_id: Uuid::nil(),
        integrator: None,
    };
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Read,
        "archive_export",
        Some(record.id),
        Vec::new(),
    );
    state.store.record_audit(&entry).await?;

    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let producer_state = state.get_ref().clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let sender = tx.clone();
        if let Err(e) = write_zip(
            &handle,
            &producer_state,
            &selection,
            masked,
            ChannelWriter::new(tx),
        ) {
            // The client went away (broken pipe) or a read failed: stop, say so in the log.
            tracing::warn!(error = %e, "archive export stopped");
            let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let filename = format!(
        "archives-{}.zip",
        (now + TimeDelta::hours(8)).format("%Y%m%d-%H%M")
    );
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(stream))
}

/// A `Write` that hands full chunks to the response body through a bounded channel, so a slow
/// download slows the producer instead of filling memory.
pub struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn new(tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        Self {
            tx,
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "download closed"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// A folder name from a client: its USCC and name without characters file systems refuse.
fn folder_name(uscc: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .take(40)
        .collect();
    format!("{uscc}-{}", clean.trim())
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportStats {
    /// Clients.
    pub clients: u64,
    /// Document pages.
    pub pages: u64,
}

/// Writes the whole export into `out` (blocking; run it off the async runtime): page by page of
/// clients, their cards and pages, then the index spreadsheet.
pub fn write_zip<W: Write>(
    handle: &tokio::runtime::Handle,
    state: &AppState,
    selection: &Selection,
    masked: bool,
    out: W,
) -> anyhow::Result<ExportStats> {
    use rust_xlsxwriter::{Format, Workbook};
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new_stream(out);
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // Images and PDFs are compressed already.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    // Both sheets stream their rows to temporary files as they are written (constant memory).
    workbook
        .add_worksheet_with_constant_memory()
        .set_name("客户")?;
    workbook
        .add_worksheet_with_constant_memory()
        .set_name("证照")?;
    let headers: [&[&str]; 2] = [
        &[
            "统一社会信用代码",
            "客户名称",
            "类别",
            "营销单元",
            "客户经理",
            "档案完整",
            "缺失证照",
        ],
        &[
            "统一社会信用代码",
            "客户名称",
            "证照",
            "编号",
            "有效期至",
            "审核",
        ],
    ];
    for (sheet, titles) in headers.iter().enumerate() {
        let worksheet = workbook.worksheet_from_index(sheet)?;
        for (col, title) in titles.iter().enumerate() {
            worksheet.write_string_with_format(0, col as u16, *title, &bold)?;
        }
    }
    let mut rows = [1u32, 1u32];
    let mut stats = ExportStats::default();
    let mut after = None;
    loop {
        let (page, next, last) = handle.block_on(selection.page(state, after))?;
        after = next;
        let ids: Vec<Uuid> = page.iter().map(|f| f.client_id).collect();
        let documents = handle.block_on(state.store.current_documents(&ids))?;
        for facts in &page {
            let status = facts.evaluate(&selection.matrix, selection.version, selection.today);
            let folder = folder_name(&facts.uscc, &facts.client_name);
            if let Some(card) = handle.block_on(build_card(
                state,
                &DataScope::All,
                masked,
                facts.client_id,
                selection.today,
            ))? {
                zip.start_file(format!("{folder}/card.html"), deflated)?;
                zip.write_all(card_html(&card).as_bytes())?;
            }
            for doc in documents.iter().filter(|d| d.client_id == facts.client_id) {
                for (page_no, key, content_type) in &doc.pages {
                    let bytes = handle.block_on(state.files.get(key))?;
                    zip.start_file(
                        format!(
                            "{folder}/{}-p{page_no}.{}",
                            doc.doc_type.code(),
                            extension_for(content_type)
                        ),
                        stored,
                    )?;
                    zip.write_all(&bytes)?;
                    stats.pages += 1;
                }
                let valid_to = doc.valid_to.map(|d| d.to_string()).unwrap_or_default();
                let values = [
                    facts.uscc.as_str(),
                    facts.client_name.as_str(),
                    doc.doc_type.label_zh(),
                    doc.number.as_str(),
                    valid_to.as_str(),
                    doc.review.label_zh(),
                ];
                let worksheet = workbook.worksheet_from_index(1)?;
                for (col, value) in values.iter().enumerate() {
                    worksheet.write_string(rows[1], col as u16, *value)?;
                }
                rows[1] += 1;
            }
            let missing: Vec<&str> = status.missing.iter().map(|t| t.label_zh()).collect();
            let row = [
                facts.uscc.as_str(),
                facts.client_name.as_str(),
                facts.category.label_zh(),
                facts.org_unit_name.as_str(),
                facts.account_manager_name.as_str(),
                if status.complete { "是" } else { "否" },
                &missing.join("、"),
            ];
            let worksheet = workbook.worksheet_from_index(0)?;
            for (col, value) in row.iter().enumerate() {
                worksheet.write_string(rows[0], col as u16, *value)?;
            }
            rows[0] += 1;
            stats.clients += 1;
        }
        if last {
            break;
        }
    }
    let index = workbook.save_to_buffer()?;
    zip.start_file("index.xlsx", stored)?;
    zip.write_all(&index)?;
    let mut out = zip.finish()?.into_inner();
    out.flush()?;
    Ok(stats)
}
