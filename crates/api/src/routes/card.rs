//! The archive card (客户档案卡): everything about a client on one page, as JSON and as a
//! printable, self-contained HTML page.

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use domain::archive::{ArchiveCard, DocumentStatus};
use domain::export::html_escape as escape;
use domain::grading::{grade_for_volume, GradeThresholds};
use domain::org::DataScope;
use std::fmt::Write;
use utoipa::OpenApi;
use uuid::Uuid;

type Problem = domain::error::Problem;

/// The routes of this module, for the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(get_card, get_card_html))]
pub struct Api;

/// Registers the routes of this module.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_card_html).service(get_card);
}

/// Builds the card of a client in `scope` (viewers get phones masked), or `None`.
pub async fn build_card(
    state: &AppState,
    scope: &DataScope,
    masked: bool,
    id: Uuid,
    today: NaiveDate,
) -> ApiResult<Option<ArchiveCard>> {
    let Some(client) = state.store.client(id, scope).await? else {
        return Ok(None);
    };
    let client = if masked { client.masked() } else { client };
    let sales = state.store.sales_summary(id, today).await?;
    let (version, matrix) = state.store.requirement_matrix().await?;
    let facts = state
        .store
        .archive_facts(
            &DataScope::All,
            &store::ArchiveFilter {
                client_ids: Some(vec![id]),
                ..Default::default()
            },
            today,
        )
        .await?;
    let facts = facts.first().ok_or(ApiError::NotFound)?;
    let archive = facts.evaluate(&matrix, version, today);
    let documents: Vec<_> = state
        .store
        .client_documents(id, today, matrix.expiring_days)
        .await?
        .into_iter()
        .filter(|d| !d.superseded)
        .collect();
    let open_tasks = state.store.open_tasks_of_client(id, today).await?;
    Ok(Some(ArchiveCard {
        as_of: today,
        grade: grade_for_volume(sales.tonnes_12m, &GradeThresholds::default()),
        tonnes_12m: sales.tonnes_12m,
        orders_12m: sales.orders_12m,
        last_order_date: sales.last_order_date,
        client,
        archive,
        documents,
        open_tasks,
    }))
}

async fn card_for(state: &AppState, auth: &AuthUser, id: Uuid) -> ApiResult<ArchiveCard> {
    let scope = auth.scope(&state.store.org_tree().await?);
    let masked = !auth.user.role.sees_contact_details();
    build_card(state, &scope, masked, id, state.clock.now().date_naive())
        .await?
        .ok_or(ApiError::NotFound)
}

/// The archive card: master data (demand preference, facilities, purchase channels), grade and
/// trailing-12-month sales, the archive status by document type, the current documents and
/// the open tasks.
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, body = ArchiveCard),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/card")]
pub async fn get_card(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(card_for(&state, &auth, id.into_inner()).await?))
}

/// The archive card as a self-contained HTML page for printing (A4; no external resources).
#[utoipa::path(
    tag = "archive",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, content_type = "text/html", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/clients/{id}/card.html")]
pub async fn get_card_html(
    auth: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let card = card_for(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(card_html(&card)))
}

fn status_class(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Valid => "ok",
        DocumentStatus::Expiring | DocumentStatus::PendingReview => "warn",
        _ => "bad",
    }
}

/// Renders the card as a printable page (Chinese labels).
pub fn card_html(card: &ArchiveCard) -> String {
    let c = &card.client;
    let f = &c.fields;
    let mut html = String::with_capacity(8 * 1024);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>客户档案卡 - {name}</title>\
<style>@page{{size:A4;margin:14mm}}body{{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",sans-serif;font-size:12px;color:#222;max-width:190mm;margin:auto}}\
h1{{font-size:20px;margin:0 0 4px}}h2{{font-size:14px;border-bottom:2px solid #c62828;padding-bottom:2px;margin:14px 0 6px}}\
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}}th{{background:#f4f4f4;width:22%}}\
.ok{{color:#2e7d32}}.warn{{color:#b26a00}}.bad{{color:#c62828;font-weight:bold}}.meta{{color:#666}}\
@media print{{a{{color:inherit;text-decoration:none}}}}</style></head><body>",
        name = escape(&f.name)
    );
    let _ = write!(
        html,
        "<h1>{}</h1><div class=\"meta\">统一社会信用代码 {} · {} · {} · 等级 {} · 生成日期 {}</div>",
        escape(&f.name),
        escape(&f.uscc),
        f.category.label_zh(),
        f.industry.label_zh(),
        card.grade.label_zh(),
        card.as_of
    );
    html.push_str("<h2>基本信息</h2><table>");
    let mut row = |label: &str, value: String| {
        let _ = write!(html, "<tr><th>{label}</th><td>{value}</td></tr>");
    };
    row("地址", escape(&f.address));
    row("营销单元", escape(&c.org_unit_name));
    row("客户经理", escape(&c.account_manager_name));
    row(
        "联系人",
        f.contacts
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    escape(&p.name),
                    escape(&p.title),
                    escape(&p.phone)
                )
            })
            .collect::<Vec<_>>()
            .join("<br>"),
    );
    row(
        "需求偏好",
        format!(
            "{}；月需求 {}；{}",
            f.demand
                .products
                .iter()
                .map(|p| p.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
            f.demand
                .monthly_tonnes
                .map(|t| format!("{t:.1} 吨"))
                .unwrap_or_else(|| "—".to_owned()),
            escape(&f.demand.notes)
        ),
    );
    row(
        "储存设施",
        format!(
            "油罐 {} 个，共 {:.1} 立方米；加油机 {} 台；车辆/设备 {} 台",
            f.facilities.tank_count,
            f.facilities.tank_capacity_m3,
            f.facilities.dispenser_count,
            f.facilities.vehicle_count
        ),
    );
    row(
        "购油渠道",
        f.purchase_channels
            .iter()
            .map(|p| p.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
    );
    row(
        "我要买油",
        if f.online_ordering.registered {
            format!(
                "已注册 {}",
                escape(f.online_ordering.account.as_deref().unwrap_or(""))
            )
        } else {
            "未注册".to_owned()
        },
    );
    row(
        "近 12 个月",
        format!(
            "{} 单，{:.3} 吨；最近购油 {}",
            card.orders_12m,
            card.tonnes_12m,
            card.last_order_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "—".to_owned())
        ),
    );
    html.push_str("</table>");

    let _ = write!(
        html,
        "<h2>证照（{}）</h2><table><tr><th>证照</th><th>要求</th><th>状态</th><th>有效期至</th></tr>",
        if card.archive.complete {
            "<span class=\"ok\">档案完整</span>"
        } else {
            "<span class=\"bad\">档案不完整</span>"
        }
    );
    for item in &card.archive.items {
        let doc = item
            .document_id
            .and_then(|id| card.documents.iter().find(|d| d.id == id));
        let _ = write!(
            html,
            "<tr><td>{}{}</td><td>{}</td><td class=\"{}\">{}{}</td><td>{}</td></tr>",
            item.doc_type.label_zh(),
            doc.filter(|d| !d.meta.number.is_empty())
                .map(|d| format!("<br><span class=\"meta\">{}</span>", escape(&d.meta.number)))
                .unwrap_or_default(),
            item.requirement.label_zh(),
            status_class(item.status),
            item.status.label_zh(),
            item.problem
                .map(|p| format!("（{}）", p.label_zh()))
                .unwrap_or_default(),
            item.valid_to
                .map(|d| d.to_string())
                .unwrap_or_else(|| if doc.is_some() {
                    "长期".to_owned()
                } else {
                    "—".to_owned()
                })
        );
    }
    html.push_str("</table>");

    html.push_str("<h2>待办任务</h2>");
    if card.open_tasks.is_empty() {
        html.push_str("<p class=\"meta\">无</p>");
    } else {
        html.push_str("<table><tr><th>任务</th><th>截止</th><th>负责人</th></tr>");
        for task in &card.open_tasks {
            let _ = write!(
                html,
                "<tr><td>{}<br><span class=\"meta\">{}</span></td><td class=\"{}\">{}</td><td>{}</td></tr>",
                escape(&task.title),
                escape(&task.detail),
                if task.overdue { "bad" } else { "" },
                task.due_date,
                task.assignees
                    .iter()
                    .map(|a| format!("{}（{}）", escape(&a.name), a.level.label_zh()))
                    .collect::<Vec<_>>()
                    .join("、")
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use domain::export::html_escape as escape;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
