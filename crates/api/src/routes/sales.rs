//! Sales data in (DESIGN §2.8): order batches from the ERP, prepayments and liftings. Every
//! batch is idempotent on the source's own number and all-or-nothing: one bad row, and the
//! answer lists every bad row and nothing is written.

use crate::audit::RequestMeta;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::guard::Admin;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::{AuditAction, FieldChange};
use domain::sales::{
    check_sales_figures, kg_to_tonnes, tonnes_to_kg, yuan_to_fen, PrepaymentKind, Product,
    SalesChannel, SalesFigures, SalesLimits, SalesOrder,
};
use domain::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::ingest::{BatchOutcome, PrepaymentEntry};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

type Problem = domain::error::Problem;

/// Most rows in one batch.
pub const MAX_BATCH: usize = 5_000;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(ingest_orders, ingest_prepayments, client_prepayments),
    tags((name = "sales", description = "Sales data in: orders, prepayments, liftings, imports, tank gauges"))
)]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(ingest_orders)
        .service(ingest_prepayments)
        .service(client_prepayments);
}

/// One order line from the ERP.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The ERP's order number: the key that makes a repeated delivery harmless.
    pub order_no: String,
    /// The client by our id …
    #[serde(default)]
    pub client_id: Option<Uuid>,
    /// … or by its unified social credit code.
    #[serde(default)]
    pub client_uscc: Option<String>,
    /// Order date (not in the future).
    pub order_date: NaiveDate,
    /// Product.
    pub product: Product,
    /// Tonnes (3 decimals kept), more than 0 and at most 5,000.
    pub tonnes: f64,
    /// Amount in yuan (2 decimals kept); 0 when unknown. It must imply 1,000–30,000 yuan/t.
    pub amount_yuan: f64,
    /// Channel (default `direct`).
    #[serde(default)]
    pub channel: Option<SalesChannel>,
    /// Depot (default empty).
    #[serde(default)]
    pub depot: Option<String>,
}

/// A batch of orders, 1–5,000 lines.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBatchRequest {
    /// The lines.
    pub orders: Vec<OrderLine>,
}

/// What a batch did.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
pub struct BatchResponse {
    /// Rows received.
    pub received: u64,
    /// New rows stored.
    pub inserted: u64,
    /// Rows already stored with the same content (repeated deliveries), left as they were.
    pub unchanged: u64,
}

/// An order candidate from any source (JSON line or file row), before the checks.
#[derive(Debug, Clone)]
pub struct OrderCandidate {
    /// Prefix of its field names in errors: `orders[3].` or `rows[12].`.
    pub prefix: String,
    /// Number.
    pub order_no: String,
    /// Client id.
    pub client_id: Option<Uuid>,
    /// Client USCC.
    pub client_uscc: Option<String>,
    /// Date.
    pub order_date: NaiveDate,
    /// Product.
    pub product: Product,
    /// Kilograms (`None`: not a number).
    pub quantity_kg: Option<i64>,
    /// Fen (`None`: not a number).
    pub amount_fen: Option<i64>,
    /// Channel.
    pub channel: SalesChannel,
    /// Depot.
    pub depot: String,
}

/// The error of a batch with no rows or more than [`MAX_BATCH`].
pub(crate) fn batch_size_error(field: &str, len: usize) -> Option<FieldError> {
    if len == 0 {
        Some(FieldError::new(
            field,
            "empty",
            format!("{field}: the batch is empty"),
            format!("{field}：批次为空"),
        ))
    } else if len > MAX_BATCH {
        Some(FieldError::new(
            field,
            "too_many",
            format!("{field}: at most {MAX_BATCH} rows per batch (got {len})"),
            format!("{field}：每批最多 {MAX_BATCH} 行（收到 {len} 行）"),
        ))
    } else {
        None
    }
}

/// Clients referred to by id or USCC (`(field prefix, id, uscc)` per row), resolved in two
/// queries; every row that names no known client gets an error on its own field.
pub(crate) async fn resolve_clients<'a>(
    state: &AppState,
    refs: impl Iterator<Item = (&'a str, Option<Uuid>, Option<&'a str>)> + Clone,
    errors: &mut ValidationErrors,
) -> ApiResult<Vec<Option<Uuid>>> {
    let ids: Vec<Uuid> = refs.clone().filter_map(|(_, id, _)| id).collect();
    let usccs: Vec<String> = refs
        .clone()
        .filter_map(|(_, _, u)| u.map(|u| u.trim().to_uppercase()))
        .collect();
    let (found, by_uscc) = state.store.resolve_clients(&ids, &usccs).await?;
    Ok(refs
        .map(|(prefix, id, uscc)| match (id, uscc) {
            (Some(id), _) if found.contains(&id) => Some(id),
            (Some(_), _) => {
                errors.push(FieldError::new(
                    format!("{prefix}client_id"),
                    "unknown_client",
                    format!("{prefix}client_id: no such client"),
                    format!("{prefix}client_id：客户不存在"),
                ));
                None
            }
            (None, Some(uscc)) => {
                let id = by_uscc.get(&uscc.trim().to_uppercase()).copied();
                if id.is_none() {
                    errors.push(FieldError::new(
                        format!("{prefix}client_uscc"),
                        "unknown_client",
                        format!("{prefix}client_uscc: no client has the code {uscc}"),
                        format!("{prefix}client_uscc：没有统一社会信用代码为 {uscc} 的客户"),
                    ));
                }
                id
            }
            (None, None) => {
                errors.push(FieldError::new(
                    format!("{prefix}client_id"),
                    "required",
                    format!("{prefix}client_id or {prefix}client_uscc is required"),
                    format!("{prefix}client_id 或 {prefix}client_uscc 必填其一"),
                ));
                None
            }
        })
        .collect())
}

/// Checks candidates (figures, clients, numbers repeated within the batch with different
/// content) and turns them into orders; every problem of every row is reported.
pub async fn prepare_orders(
    state: &AppState,
    candidates: &[OrderCandidate],
    today: NaiveDate,
) -> ApiResult<Result<Vec<SalesOrder>, ValidationErrors>> {
    let limits = SalesLimits::default();
    let mut errors = ValidationErrors::new();
    let refs = candidates
        .iter()
        .map(|c| (c.prefix.as_str(), c.client_id, c.client_uscc.as_deref()));
    let clients = resolve_clients(state, refs, &mut errors).await?;
    let mut orders: Vec<SalesOrder> = Vec::with_capacity(candidates.len());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (c, client) in candidates.iter().zip(clients) {
        let mut row_ok = client.is_some();
        let (Some(kg), Some(fen)) = (c.quantity_kg, c.amount_fen) else {
            errors.push(FieldError::invalid_value(
                &format!("{}tonnes", c.prefix),
                "quantity and amount must be finite numbers",
                "数量和金额必须是有限的数字",
            ));
            continue;
        };
        let figures = SalesFigures {
            number_field: "order_no",
            number: &c.order_no,
            date: c.order_date,
            quantity_kg: kg,
            amount_fen: fen,
        };
        for mut e in check_sales_figures(&c.prefix, &figures, today, &limits) {
            // The JSON field is `order_date`; the domain checks call it `date`.
            if e.field == format!("{}date", c.prefix) {
                e.field = format!("{}order_date", c.prefix);
            }
            errors.push(e);
            row_ok = false;
        }
        if c.depot.chars().count() > 100 {
            errors.push(FieldError::too_long(&format!("{}depot", c.prefix), 100));
            row_ok = false;
        }
        let Some(client_id) = client.filter(|_| row_ok) else {
            continue;
        };
        let order = SalesOrder {
            id: Uuid::now_v7(),
            order_no: c.order_no.trim().to_owned(),
            client_id,
            order_date: c.order_date,
            product: c.product,
            quantity_kg: kg,
            amount_fen: fen,
            channel: c.channel,
            depot: c.depot.trim().to_owned(),
        };
        match seen.get(c.order_no.trim()) {
            Some(&first) => {
                let earlier = &orders[first];
                let same = (
                    earlier.client_id,
                    earlier.order_date,
                    earlier.product,
                    earlier.quantity_kg,
                    earlier.amount_fen,
                    earlier.channel,
                    &earlier.depot,
                ) == (
                    order.client_id,
                    order.order_date,
                    order.product,
                    order.quantity_kg,
                    order.amount_fen,
                    order.channel,
                    &order.depot,
                );
                if !same {
                    errors.push(FieldError::new(
                        format!("{}order_no", c.prefix),
                        "duplicate_in_batch",
                        format!(
                            "{}order_no: {} appears earlier in this batch with different content",
                            c.prefix, order.order_no
                        ),
                        format!(
                            "{}order_no：单号 {} 在本批前面出现过且内容不同",
                            c.prefix, order.order_no
                        ),
                    ));
                }
            }
            None => {
                seen.insert(c.order_no.trim(), orders.len());
                orders.push(order);
            }
        }
    }
    Ok(errors.into_result(orders))
}

/// The 409 for numbers stored with different content.
pub fn conflicts_error(field: &str, numbers: &[String]) -> ApiError {
    ApiError::Conflicts(ValidationErrors(
        numbers
            .iter()
            .map(|no| {
                FieldError::new(
                    field,
                    "conflict",
                    format!(
                        "{no} is already stored with different content; it was not overwritten"
                    ),
                    format!("{no} 已存在且内容不同，未覆盖"),
                )
            })
            .collect(),
    ))
}

fn batch_audit(
    meta: &RequestMeta,
    auth: &AuthUser,
    now: DateTime<Utc>,
    entity: &str,
    summary: serde_json::Value,
) -> domain::audit::AuditEntry {
    meta.entry(
        auth,
        now,
        AuditAction::Create,
        entity,
        None,
        vec![FieldChange {
            field: "batch".to_owned(),
            before: serde_json::Value::Null,
            after: summary,
        }],
    )
}

/// Stores orders and answers like the batch API; shared by the JSON batch and file imports.
pub async fn store_orders(
    state: &AppState,
    auth: &AuthUser,
    meta: &RequestMeta,
    orders: &[SalesOrder],
    received: u64,
    source: &str,
) -> ApiResult<BatchResponse> {
    let now = state.clock.now();
    let first = orders.first().map(|o| o.order_no.clone());
    let last = orders.last().map(|o| o.order_no.clone());
    let audit = batch_audit(
        meta,
        auth,
        now,
        "sales_order_batch",
        serde_json::json!({
            "source": source,
            "rows": orders.len(),
            "first_order_no": first,
            "last_order_no": last,
            "tonnes": kg_to_tonnes(orders.iter().map(|o| o.quantity_kg).sum()),
        }),
    );
    match state.store.ingest_orders(orders, Some(&audit), now).await? {
        BatchOutcome::Written {
            inserted,
            unchanged,
        } => {
            state
                .metrics
                .count_import_rows("sales_order", source, received);
            Ok(BatchResponse {
                received,
                inserted,
                unchanged: unchanged + (received - orders.len() as u64),
            })
        }
        BatchOutcome::Conflicts(numbers) => Err(conflicts_error("order_no", &numbers)),
    }
}

/// Stores a batch of ERP orders (administrators or an integrator token with `sales:write`).
/// Idempotent on `order_no`: a repeated delivery answers `unchanged`; an order number already
/// stored with different content is a 409 listing every such number. All or nothing: any bad
/// row (unknown client, quantity ≤ 0 or absurd, implausible price, future date, a number
/// repeated in the batch with different content) is a 422 naming every bad field as
/// `orders[i].field`, and nothing is stored.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = OrderBatchRequest,
    responses(
        (status = 200, body = BatchResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sales/orders")]
pub async fn ingest_orders(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<OrderBatchRequest>,
) -> ApiResult<HttpResponse> {
    let lines = body.0.orders;
    if let Some(e) = batch_size_error("orders", lines.len()) {
        return Err(ApiError::field(e));
    }
    let candidates: Vec<OrderCandidate> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| OrderCandidate {
            prefix: format!("orders[{i}]."),
            order_no: l.order_no.clone(),
            client_id: l.client_id,
            client_uscc: l.client_uscc.clone(),
            order_date: l.order_date,
            product: l.product,
            quantity_kg: tonnes_to_kg(l.tonnes),
            amount_fen: yuan_to_fen(l.amount_yuan),
            channel: l.channel.unwrap_or(SalesChannel::Direct),
            depot: l.depot.clone().unwrap_or_default(),
        })
        .collect();
    let today = state.clock.now().date_naive();
    let orders = prepare_orders(&state, &candidates, today).await??;
    let response = store_orders(&state, &auth, &meta, &orders, lines.len() as u64, "api").await?;
    Ok(HttpResponse::Ok().json(response))
}

/// One prepayment (money in for fuel to lift later) or lifting (fuel taken against it).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentLine {
    /// The source's own number (unique; repeated deliveries are harmless).
    pub entry_no: String,
    /// The client by our id …
    #[serde(default)]
    pub client_id: Option<Uuid>,
    /// … or by its USCC.
    #[serde(default)]
    pub client_uscc: Option<String>,
    /// Prepayment or lifting.
    pub kind: PrepaymentKind,
    /// Date (not in the future).
    pub entry_date: NaiveDate,
    /// Product, when known.
    #[serde(default)]
    pub product: Option<Product>,
    /// Tonnes, more than 0.
    pub tonnes: f64,
    /// Yuan (0 for a lifting without an amount).
    pub amount_yuan: f64,
}

/// A batch of prepayments and liftings, 1–5,000 lines.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentBatchRequest {
    /// The lines.
    pub entries: Vec<PrepaymentLine>,
}

/// Stores prepayments and liftings (administrators or `sales:write` tokens), idempotent on
/// `entry_no` and all-or-nothing like the order batch. A lifting that would take a client's
/// prepaid-not-lifted balance below zero (in date order, counting the batch) is refused.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    request_body = PrepaymentBatchRequest,
    responses(
        (status = 200, body = BatchResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sales/prepayments")]
pub async fn ingest_prepayments(
    Admin(auth): Admin,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<PrepaymentBatchRequest>,
) -> ApiResult<HttpResponse> {
    let lines = body.0.entries;
    if let Some(e) = batch_size_error("entries", lines.len()) {
        return Err(ApiError::field(e));
    }
    let now = state.clock.now();
    let today = now.date_naive();
    let limits = SalesLimits::default();
    let mut errors = ValidationErrors::new();
    let prefixes: Vec<String> = (0..lines.len()).map(|i| format!("entries[{i}].")).collect();
    let refs = lines
        .iter()
        .zip(&prefixes)
        .map(|(l, p)| (p.as_str(), l.client_id, l.client_uscc.as_deref()));
    let clients = resolve_clients(&state, refs, &mut errors).await?;
    let mut entries = Vec::with_capacity(lines.len());
    let mut seen = std::collections::HashSet::new();
    for ((l, prefix), client) in lines.iter().zip(&prefixes).zip(clients) {
        let (Some(kg), Some(fen)) = (tonnes_to_kg(l.tonnes), yuan_to_fen(l.amount_yuan)) else {
            errors.push(FieldError::invalid_value(
                &format!("{prefix}tonnes"),
                "quantity and amount must be finite numbers",
                "数量和金额必须是有限的数字",
            ));
            continue;
        };
        let figures = SalesFigures {
            number_field: "entry_no",
            number: &l.entry_no,
            date: l.entry_date,
            quantity_kg: kg,
            amount_fen: fen,
        };
        let mut problems = check_sales_figures(prefix, &figures, today, &limits);
        // A lifting may come without an amount; its price is not checked.
        if l.kind == PrepaymentKind::Lifting {
            problems.retain(|e| e.code != "implausible_price");
        }
        let row_ok = problems.is_empty();
        for mut e in problems {
            if e.field == format!("{prefix}date") {
                e.field = format!("{prefix}entry_date");
            }
            errors.push(e);
        }
        if !seen.insert(l.entry_no.trim().to_owned()) {
            errors.push(FieldError::new(
                format!("{prefix}entry_no"),
                "duplicate_in_batch",
                format!(
                    "{prefix}entry_no: {} appears twice in this batch",
                    l.entry_no
                ),
                format!("{prefix}entry_no：{} 在本批中重复", l.entry_no),
            ));
            continue;
        }
        if let Some(client_id) = client.filter(|_| row_ok) {
            entries.push((
                prefix.clone(),
                PrepaymentEntry {
                    id: Uuid::now_v7(),
                    entry_no: l.entry_no.trim().to_owned(),
                    client_id,
                    kind: l.kind,
                    entry_date: l.entry_date,
                    product: l.product,
                    quantity_kg: kg,
                    amount_fen: fen,
                },
            ));
        }
    }
    // Balances: what is stored plus this batch in date order, prepayments before liftings
    // on the same day. Entries already stored (a repeated delivery) are not counted twice.
    let client_ids: Vec<Uuid> = entries.iter().map(|(_, e)| e.client_id).collect();
    let mut balance = state.store.prepaid_balance_of(&client_ids).await?;
    let stored: std::collections::HashSet<String> = state
        .store
        .stored_prepayment_numbers(
            &entries
                .iter()
                .map(|(_, e)| e.entry_no.clone())
                .collect::<Vec<_>>(),
        )
        .await?;
    let mut ordered: Vec<&(String, PrepaymentEntry)> = entries.iter().collect();
    ordered.sort_by_key(|(_, e)| (e.entry_date, e.kind == PrepaymentKind::Lifting));
    for (prefix, e) in ordered {
        if stored.contains(&e.entry_no) {
            continue;
        }
        let b = balance.entry(e.client_id).or_default();
        match e.kind {
            PrepaymentKind::Prepayment => *b += e.quantity_kg,
            PrepaymentKind::Lifting => {
                if *b < e.quantity_kg {
                    errors.push(FieldError::new(
                        format!("{prefix}tonnes"),
                        "exceeds_balance",
                        format!(
                            "{prefix}tonnes: lifting {} t exceeds the prepaid-not-lifted balance of {} t",
                            kg_to_tonnes(e.quantity_kg),
                            kg_to_tonnes(*b)
                        ),
                        format!(
                            "{prefix}tonnes：提油 {} 吨超过预售未提余额 {} 吨",
                            kg_to_tonnes(e.quantity_kg),
                            kg_to_tonnes(*b)
                        ),
                    ));
                }
                *b -= e.quantity_kg;
            }
        }
    }
    errors.into_result(())?;
    let entries: Vec<PrepaymentEntry> = entries.into_iter().map(|(_, e)| e).collect();
    let audit = batch_audit(
        &meta,
        &auth,
        now,
        "prepayment_batch",
        serde_json::json!({ "source": "api", "rows": entries.len() }),
    );
    match state
        .store
        .ingest_prepayments(&entries, Some(&audit), now)
        .await?
    {
        BatchOutcome::Written {
            inserted,
            unchanged,
        } => {
            let received = lines.len() as u64;
            state
                .metrics
                .count_import_rows("prepayment", "api", received);
            Ok(HttpResponse::Ok().json(BatchResponse {
                received,
                inserted,
                unchanged,
            }))
        }
        BatchOutcome::Conflicts(numbers) => Err(conflicts_error("entry_no", &numbers)),
    }
}

/// A prepayment or lifting as read back.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PrepaymentRecord {
    /// The source's number.
    pub entry_no: String,
    /// Kind.
    pub kind: PrepaymentKind,
    /// Date.
    pub entry_date: NaiveDate,
    /// Product.
    pub product: Option<Product>,
    /// Tonnes.
    pub tonnes: f64,
    /// Yuan.
    pub amount_yuan: f64,
}

/// A client's prepaid-not-lifted balance and its latest entries.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ClientPrepayments {
    /// Prepaid not lifted, tonnes.
    pub prepaid_not_lifted_t: f64,
    /// The latest 100 entries, newest first.
    pub entries: Vec<PrepaymentRecord>,
}

/// A client's prepaid-not-lifted balance (预售未提) and its latest prepayments and liftings.
#[utoipa::path(
    tag = "sales",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = ClientPrepayments),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/prepayments")]
pub async fn client_prepayments(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    crate::routes::clients::visible_client(&state, &auth, id).await?;
    let balance = state.store.prepaid_balance_of(&[id]).await?;
    let entries = state.store.prepayments_of(id, 100).await?;
    Ok(HttpResponse::Ok().json(ClientPrepayments {
        prepaid_not_lifted_t: kg_to_tonnes(balance.get(&id).copied().unwrap_or(0)),
        entries: entries
            .into_iter()
            .map(|e| PrepaymentRecord {
                entry_no: e.entry_no,
                kind: e.kind,
                entry_date: e.entry_date,
                product: e.product,
                tonnes: kg_to_tonnes(e.quantity_kg),
                amount_yuan: domain::sales::fen_to_yuan(e.amount_fen),
            })
            .collect(),
    }))
}
