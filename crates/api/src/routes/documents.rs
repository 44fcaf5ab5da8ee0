//! Licence documents: upload (multipart, pages checked by their bytes), read, files and
//! thumbnails, the review decision, and the lists that make the review queue and the
//! expiring-documents page.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_opt, parse_paging};
use crate::guard::{Reviewer, Writer};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use domain::archive::{
    extension_for, sniff_content_type, ClientDocuments, Document, DocumentMeta, DocumentPage,
    DocumentStatus, DocumentType, ReviewDecision, ReviewDocumentRequest, MAX_PAGES,
};
use domain::audit::{AuditAction, FieldChange};
use domain::org::subtree;
use domain::{FieldError, ValidationErrors};
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::documents::{DocumentFilter, NewDocument, NewDocumentFile, ReviewOutcome};
use store::files::{document_file_key, thumbnail_key};
use utoipa::{IntoParams, OpenApi};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The audit trail's kind of record for documents.
const ENTITY: &str = "document";

/// Longest side of a thumbnail, pixels.
const THUMBNAIL_SIDE: u32 = 320;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        list_client_documents,
        upload_document,
        list_documents,
        get_document,
        document_file,
        review_document
    ),
    tags((
        name = "documents",
        description = "Licence documents (证照): upload pages (JPEG, PNG, PDF), review, \
            status by validity, versions"
    ))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_client_documents)
        .service(upload_document)
        .service(list_documents)
        .service(get_document)
        .service(document_file)
        .service(review_document);
}

/// The client, if the caller may see it (else 404).
async fn check_client(state: &AppState, auth: &AuthUser, client_id: Uuid) -> ApiResult<()> {
    let scope = auth.scope(&state.store.org_tree().await?);
    state
        .store
        .client(client_id, &scope)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// The document, if its client is in the caller's scope (else 404).
async fn visible_document(state: &AppState, auth: &AuthUser, id: Uuid) -> ApiResult<Document> {
    let client = state
        .store
        .document_client(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    check_client(state, auth, client).await?;
    let (_, matrix) = state.store.requirement_matrix().await?;
    state
        .store
        .document(id, state.clock.now().date_naive(), matrix.expiring_days)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Every version of a client's documents (newest first) with its archive status: which types
/// are required and whether each is valid, expiring, expired, pending, rejected or missing.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = ClientDocuments),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/documents")]
pub async fn list_client_documents(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    check_client(&state, &auth, id).await?;
    let today = state.clock.now().date_naive();
    let (version, matrix) = state.store.requirement_matrix().await?;
    let facts = state
        .store
        .archive_facts(
            &domain::org::DataScope::All,
            &store::ArchiveFilter {
                client_ids: Some(vec![id]),
                ..Default::default()
            },
            today,
        )
        .await?;
    let facts = facts.first().ok_or(ApiError::NotFound)?;
    let documents = state
        .store
        .client_documents(id, today, matrix.expiring_days)
        .await?;
    Ok(HttpResponse::Ok().json(ClientDocuments {
        archive: facts.evaluate(&matrix, version, today),
        documents,
    }))
}

/// A page read from the upload, checked.
struct Page {
    bytes: Bytes,
    content_type: &'static str,
}

/// Reads one multipart field up to `limit` bytes; beyond it the field is refused without
/// reading the rest into memory.
async fn read_field(
    field: &mut actix_multipart::Field,
    limit: usize,
    name: &str,
) -> ApiResult<Bytes> {
    let mut buffer = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::MalformedJson(FieldError::new(
                name,
                "malformed_upload",
                format!("the upload could not be read: {e}"),
                "上传内容无法读取",
            ))
        })?;
        if buffer.len() + chunk.len() > limit {
            return Err(ApiError::field(FieldError::new(
                name,
                "too_large",
                format!("a file may be at most {} MB", limit / (1024 * 1024)),
                format!("单个文件不能超过 {} MB", limit / (1024 * 1024)),
            )));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

/// Checks a page: not empty, a JPEG, PNG or PDF by its bytes, and an image that decodes.
/// Returns the thumbnail of an image (JPEG).
pub(crate) fn check_page(
    bytes: &Bytes,
    field: &str,
) -> Result<(&'static str, Option<Vec<u8>>), FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new(
            field,
            "empty",
            "the file is empty",
            "文件为空",
        ));
    }
    let Some(content_type) = sniff_content_type(bytes) else {
        return Err(FieldError::new(
            field,
            "unsupported_type",
            "only JPEG, PNG and PDF files are accepted (judged by their content, not their name)",
            "仅接受 JPEG、PNG、PDF 文件（按文件内容判断，与文件名无关）",
        ));
    };
    if content_type == "application/pdf" {
        return Ok((content_type, None));
    }
    let format = if content_type == "image/png" {
        image::ImageFormat::Png
    } else {
        image::ImageFormat::Jpeg
    };
    let decoded = image::load_from_memory_with_format(bytes, format).map_err(|_| {
        FieldError::new(
            field,
            "unsupported_type",
            "the image is damaged or incomplete",
            "图片已损坏或不完整",
        )
    })?;
    let thumbnail = decoded.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    thumbnail
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .map_err(|_| {
            FieldError::new(
                field,
                "unsupported_type",
                "the image could not be processed",
                "图片无法处理",
            )
        })?;
    Ok((content_type, Some(out.into_inner())))
}

/// Uploads a document version: `multipart/form-data` with a `meta` part (JSON: type, number,
/// issuer, validity, business scope) and one or more `file` parts (the pages, in order; JPEG,
/// PNG or PDF by content, at most 20 MB each by default, at most 20 pages). File names are
/// ignored. A document of a type the client already has is a replacement: the earlier
/// versions stay as history. New documents await a director's review.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    request_body(content_type = "multipart/form-data", content = String,
        description = "`meta`: JSON DocumentMeta; `file`: one part per page"),
    responses(
        (status = 201, body = Document),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/clients/{id}/documents")]
pub async fn upload_document(
    Writer(auth): Writer,
    state: web::Data<AppState>,
    meta_info: RequestMeta,
    id: web::Path<Uuid>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let client_id = id.into_inner();
    // Scope first: an out-of-scope client is 404 whatever the body holds.
    check_client(&state, &auth, client_id).await?;
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut multipart = Multipart::new(req.headers(), payload);
    let limit = state.max_upload_bytes;
    let mut meta: Option<DocumentMeta> = None;
    let mut pages: Vec<Page> = Vec::new();
    let mut thumbnails: Vec<Option<Vec<u8>>> = Vec::new();
    let mut errors = ValidationErrors::new();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| {
            ApiError::MalformedJson(FieldError::new(
                "body",
                "malformed_upload",
                format!("the multipart body could not be read: {e}"),
                "上传内容格式错误",
            ))
        })?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "meta" => {
                let bytes = read_field(&mut field, 64 * 1024, "meta").await?;
                match serde_json::from_slice::<DocumentMeta>(&bytes) {
                    Ok(m) => meta = Some(m.normalized()),
                    Err(e) => errors.push(FieldError::new(
                        "meta",
                        "invalid_value",
                        format!("meta is not valid document JSON: {e}"),
                        format!("meta 不是有效的证照信息 JSON：{e}"),
                    )),
                }
            }
            "file" => {
                let field_name = format!("file[{}]", pages.len());
                if pages.len() >= MAX_PAGES {
                    return Err(ApiError::field(FieldError::new(
                        "file",
                        "too_many",
                        format!("a document has at most {MAX_PAGES} pages"),
                        format!("每份证照最多 {MAX_PAGES} 页"),
                    )));
                }
                let bytes = read_field(&mut field, limit, &field_name).await?;
                let checked =
                    web::block(move || check_page(&bytes, &field_name).map(|c| (bytes, c)))
                        .await
                        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!(e)))?;
                match checked {
                    Ok((bytes, (content_type, thumbnail))) => {
                        pages.push(Page {
                            bytes,
                            content_type,
                        });
                        thumbnails.push(thumbnail);
                    }
                    Err(e) => {
                        errors.push(e);
                        // Keep counting pages so later errors name the right index.
                        pages.push(Page {
                            bytes: Bytes::new(),
                            content_type: "",
                        });
                        thumbnails.push(None);
                    }
                }
            }
            other => errors.push(FieldError::new(
                other,
                "unknown_field",
                format!("unexpected part `{other}`: send `meta` and `file`"),
                format!("未知的上传字段“{other}”，应为 meta 与 file"),
            )),
        }
    }
    match &meta {
        None if errors.for_field("meta").next().is_none() => {
            errors.push(FieldError::required("meta"))
        }
        Some(m) => {
            if let Err(e) = m.validate() {
                errors.0.extend(e.0);
            }
        }
        None => {}
    }
    if pages.is_empty() {
        errors.push(FieldError::required("file"));
    }
    let meta = match meta {
        Some(meta) if errors.is_empty() => meta,
        _ => return Err(ApiError::Validation(errors)),
    };

    // Everything is checked: store the bytes under keys the server makes, then the rows.
    let now = state.clock.now();
    let document_id = Uuid::now_v7();
    let mut files = Vec::with_capacity(pages.len());
    let mut written: Vec<String> = Vec::new();
    let mut store_result: Result<(), ApiError> = Ok(());
    for (index, (page, thumbnail)) in pages.into_iter().zip(thumbnails).enumerate() {
        let file_id = Uuid::now_v7();
        let key = document_file_key(
            client_id,
            document_id,
            file_id,
            extension_for(page.content_type),
        );
        let sha256 = crate::auth::hex(&Sha256::digest(&page.bytes));
        let size_bytes = page.bytes.len() as i64;
        if let Err(e) = state.files.put(&key, page.bytes).await {
            store_result = Err(ApiError::Unexpected(anyhow::anyhow!(e)));
            break;
        }
        written.push(key.clone());
        let thumbnail_key = match thumbnail {
            Some(bytes) => {
                let thumb = thumbnail_key(client_id, document_id, file_id);
                if let Err(e) = state.files.put(&thumb, Bytes::from(bytes)).await {
                    store_result = Err(ApiError::Unexpected(anyhow::anyhow!(e)));
                    break;
                }
                written.push(thumb.clone());
                Some(thumb)
            }
            None => None,
        };
        files.push(NewDocumentFile {
            id: file_id,
            page: index as i32 + 1,
            storage_key: key,
            content_type: page.content_type.to_owned(),
            size_bytes,
            sha256,
            thumbnail_key,
        });
    }
    let doc = NewDocument {
        id: document_id,
        client_id,
        meta,
        uploaded_by: auth.user.id,
        uploaded_at: now,
        files,
        review: domain::archive::ReviewState::Pending,
        review_reason: None,
        reviewed_by: None,
        reviewed_at: None,
    };
    if store_result.is_ok() {
        let entry = meta_info.entry(
            &auth,
            now,
            AuditAction::Create,
            ENTITY,
            Some(document_id),
            vec![
                change("client_id", serde_json::json!(client_id)),
                change("doc_type", serde_json::json!(doc.meta.doc_type)),
                change("number", serde_json::json!(doc.meta.number)),
                change("valid_to", serde_json::json!(doc.meta.valid_to)),
                change("pages", serde_json::json!(doc.files.len())),
            ],
        );
        store_result = state
            .store
            .insert_document(&doc, &entry)
            .await
            .map_err(ApiError::from);
    }
    if let Err(e) = store_result {
        // No record points at these files: remove them so nothing is left behind.
        for key in &written {
            if let Err(err) = state.files.delete(key).await {
                tracing::warn!(%key, error = %err, "could not remove an orphan upload");
            }
        }
        return Err(e);
    }
    let (_, matrix) = state.store.requirement_matrix().await?;
    let stored = state
        .store
        .document(document_id, now.date_naive(), matrix.expiring_days)
        .await?
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("document vanished after write")))?;
    Ok(HttpResponse::Created().json(stored))
}

fn change(field: &str, after: serde_json::Value) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        before: serde_json::Value::Null,
        after,
    }
}

/// Filters and paging of the document list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentListParams {
    /// `pending_review` (the review queue), `expiring`, `expired`, `valid`, `rejected`.
    #[param(value_type = Option<DocumentStatus>)]
    pub status: Option<String>,
    /// Only this document type.
    #[param(value_type = Option<DocumentType>)]
    pub doc_type: Option<String>,
    /// Only clients of this unit and the units below it.
    #[param(value_type = Option<Uuid>)]
    pub org_unit_id: Option<String>,
    /// Only this client.
    #[param(value_type = Option<Uuid>)]
    pub client_id: Option<String>,
    /// `true`: every version; default only the newest version per client and type.
    #[param(value_type = Option<bool>)]
    pub all_versions: Option<String>,
    /// Page number from 1.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Documents in the caller's scope: the review queue (`status=pending_review`, oldest first),
/// expiring and expired documents (soonest valid-to first), or any status.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(DocumentListParams),
    responses(
        (status = 200, body = DocumentPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/documents")]
pub async fn list_documents(
    auth: AuthUser,
    state: web::Data<AppState>,
    params: web::Query<DocumentListParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let mut errors = ValidationErrors::new();
    let status = parse_opt(&mut errors, "status", &p.status, DocumentStatus::from_code);
    let doc_type = parse_opt(
        &mut errors,
        "doc_type",
        &p.doc_type,
        DocumentType::from_code,
    );
    let org_unit_id = parse_opt(&mut errors, "org_unit_id", &p.org_unit_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let client_id = parse_opt(&mut errors, "client_id", &p.client_id, |s| {
        s.parse::<Uuid>().ok()
    });
    let all_versions = parse_opt(&mut errors, "all_versions", &p.all_versions, |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
    .unwrap_or(false);
    let (page, per_page) = parse_paging(&mut errors, &p.page, &p.per_page);
    errors.into_result(())?;
    let tree = state.store.org_tree().await?;
    let scope = auth.scope(&tree);
    let (_, matrix) = state.store.requirement_matrix().await?;
    let filter = DocumentFilter {
        status,
        doc_type,
        org_units: org_unit_id.map(|unit| subtree(&tree, unit)),
        client_id,
        all_versions,
        page,
        per_page,
    };
    let (items, total) = state
        .store
        .list_documents(
            &filter,
            &scope,
            state.clock.now().date_naive(),
            matrix.expiring_days,
        )
        .await?;
    Ok(HttpResponse::Ok().json(DocumentPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// One document version with its pages and status.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, body = Document),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/documents/{id}")]
pub async fn get_document(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let doc = visible_document(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Which page, and whether its thumbnail.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentFileParams {
    /// Page number from 1 (default 1).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 2147483647)]
    pub page: Option<String>,
    /// `true` for the page's thumbnail (images only; JPEG, at most 320 px).
    #[param(value_type = Option<bool>)]
    pub thumbnail: Option<String>,
}

/// The bytes of a page (or its thumbnail), with the content type judged at upload.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id"), DocumentFileParams),
    responses(
        (status = 200, description = "The file (a thumbnail is always JPEG)", content(
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/documents/{id}/file")]
pub async fn document_file(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: web::Query<DocumentFileParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = ValidationErrors::new();
    let page = parse_opt(&mut errors, "page", &params.page, |s| {
        s.parse::<i32>().ok().filter(|p| *p >= 1)
    })
    .unwrap_or(1);
    let thumbnail = parse_opt(&mut errors, "thumbnail", &params.thumbnail, |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
    .unwrap_or(false);
    errors.into_result(())?;
    let doc = visible_document(&state, &auth, id.into_inner()).await?;
    let file = state
        .store
        .document_file(doc.id, page)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (key, content_type, ext) = if thumbnail {
        let key = file.thumbnail_key.ok_or(ApiError::NotFound)?;
        (key, "image/jpeg".to_owned(), "thumb.jpg")
    } else {
        let ext = extension_for(&file.content_type);
        (file.storage_key, file.content_type, ext)
    };
    let stream = match state.files.stream(&key).await {
        Ok(stream) => stream,
        Err(store::files::FileError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(ApiError::Unexpected(anyhow::anyhow!(e))),
    };
    let filename = format!("{}-{page}.{ext}", doc.meta.doc_type.code());
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .streaming(stream.map(|chunk| chunk.map_err(|e| ApiError::Unexpected(anyhow::anyhow!(e))))))
}

/// A director's (or leader's, or administrator's) decision on a pending document: approve, or
/// reject with a reason. Approving a renewal closes the renew-document tasks it answers.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = ReviewDocumentRequest,
    responses(
        (status = 200, body = Document),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/documents/{id}/review")]
pub async fn review_document(
    Reviewer(auth): Reviewer,
    state: web::Data<AppState>,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: web::Bytes,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let doc = visible_document(&state, &auth, id.into_inner()).await?;
    let request: ReviewDocumentRequest = crate::extract::parse_json_body(&req, &body)?;
    request.validate()?;
    let reason = Some(request.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let now = state.clock.now();
    let after = match request.decision {
        ReviewDecision::Approve => "approved",
        ReviewDecision::Reject => "rejected",
    };
    let entry = meta.entry(
        &auth,
        now,
        AuditAction::Update,
        ENTITY,
        Some(doc.id),
        vec![
            FieldChange {
                field: "review".to_owned(),
                before: serde_json::json!("pending"),
                after: serde_json::json!(after),
            },
            change("review_reason", serde_json::json!(reason)),
        ],
    );
    match state
        .store
        .review_document(doc.id, request.decision, reason, auth.user.id, now, &entry)
        .await?
    {
        ReviewOutcome::Reviewed { tasks_closed } => {
            tracing::info!(document = %doc.id, tasks_closed, "document reviewed");
        }
        ReviewOutcome::NotPending(state) => {
            return Err(ApiError::ConflictWith(FieldError::new(
                "decision",
                "already_reviewed",
                format!("the document was already reviewed ({})", state.label_en()),
                format!("该证照已审核（{}）", state.label_zh()),
            )))
        }
    }
    let (_, matrix) = state.store.requirement_matrix().await?;
    let reviewed = state
        .store
        .document(doc.id, now.date_naive(), matrix.expiring_days)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(reviewed))
}
