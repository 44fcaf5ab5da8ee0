//! Monthly performance and pay (绩效考核, DESIGN §2.7): `/performance` shows an account
//! manager their own scorecard and everyone else the team table with the unit roll-ups (and,
//! for administrators, computing, locking, the payroll export and the target import);
//! `/performance/:month/:user_id` is one scorecard with the rows behind each figure ("why is my
//! score 82?") and, for reviewers, the adjustment form.
//!
//! Tables and read-only blocks are HTML text (see `components`); the forms are views.

use crate::api::{self, ApiError};
use crate::components::{
    badge_html, esc, field_errors, get_resource, html_block, loaded, now_millis, submit,
    FormStatus, HtmlTable, TextResource,
};
use crate::i18n;
use crate::pages::visits::{w, wt};
use crate::state::{use_app, use_lang};
use chrono::{DateTime, Datelike};
use domain::org::Role;
use domain::scorecard::{
    month_bounds, AdjustmentInput, EvidenceRow, ScoreComponent, ScoreScheme, Scorecard,
    ScorecardStatus,
};
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use serde::Deserialize;
use uuid::Uuid;
use wasm_bindgen::JsCast;

/// One unit's roll-up, as `GET /api/v1/scorecards` answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UnitRollup {
    /// Unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Account managers.
    pub people: u32,
    /// Mean final score.
    pub mean_score: f64,
    /// Bonuses, yuan.
    pub bonus_total_yuan: f64,
}

/// A month's scorecards, as `GET /api/v1/scorecards?month=` answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScorecardMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Locked.
    pub locked: bool,
    /// The scorecards the caller may see.
    pub items: Vec<Scorecard>,
    /// Per unit.
    pub units: Vec<UnitRollup>,
}

/// One scorecard with its drill-down, as `GET /api/v1/scorecards/{month}/users/{id}` answers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScorecardDetail {
    /// The scorecard.
    pub scorecard: Scorecard,
    /// The rows behind its figures.
    pub evidence: Vec<EvidenceRow>,
}

#[derive(Deserialize)]
struct SchemeHistory {
    current: ScoreScheme,
}

#[derive(Deserialize)]
struct ComputeReport {
    scorecards: usize,
}

#[derive(Deserialize)]
struct LockReport {
    locked: u64,
}

#[derive(Deserialize)]
struct TargetsSaved {
    saved: usize,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The month before the one `now_ms` falls in, in China time (UTC+8), as `YYYY-MM`: the month
/// the scorecards of the 1st are computed for.
pub fn previous_month_in_china(now_ms: i64) -> String {
    let china = DateTime::from_timestamp_millis(now_ms + 8 * 3_600_000)
        .unwrap_or_default()
        .date_naive();
    let (year, month) = if china.month() == 1 {
        (china.year() - 1, 12)
    } else {
        (china.year(), china.month() - 1)
    };
    format!("{year:04}-{month:02}")
}

/// A `YYYY-MM` the server accepts.
fn valid_month(month: &str) -> bool {
    month_bounds(month).is_some()
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "—".to_owned(), |s| i18n::format_number(s, 1, 1))
}

fn signed_points(points: f64) -> String {
    let n = i18n::format_number(points, 0, 1);
    if points > 0.0 {
        format!("+{n}")
    } else {
        n
    }
}

fn status_badge(status: ScorecardStatus, lang: Lang) -> String {
    let class = match status {
        ScorecardStatus::Computed => "badge-warn",
        ScorecardStatus::Locked => "badge-ok",
    };
    badge_html(
        &format!("{class} status-{}", status.code()),
        status.label(lang),
    )
}

/// How a figure came about, in the page's language (the server writes it in Chinese).
fn basis_text(card: &Scorecard, component: ScoreComponent, server: &str, lang: Lang) -> String {
    if lang == Lang::Zh {
        return server.to_owned();
    }
    let i = &card.inputs;
    match component {
        ScoreComponent::Volume => match i.target_t {
            Some(t) => format!(
                "{} t / {} t",
                i18n::format_number(i.volume_t, 0, 1),
                i18n::format_number(t, 0, 1)
            ),
            None => format!("{} t, no target", i18n::format_number(i.volume_t, 0, 1)),
        },
        ScoreComponent::Visits => format!("{} / {} done", i.visits_done, i.visits_due),
        ScoreComponent::NewClients => {
            format!("{} new + {} returning", i.new_clients, i.returning_clients)
        }
        ScoreComponent::Archive => format!("{} / {} complete", i.archive_complete, i.clients),
        ScoreComponent::Overdue => format!("{} overdue", i.overdue_tasks),
    }
}

fn outcome_text(outcome: &str, lang: Lang) -> &'static str {
    match outcome {
        "order" => w(lang, "订单", "Order"),
        "done" => w(lang, "已完成", "Done"),
        "missed" => w(lang, "未完成", "Missed"),
        "new" => w(lang, "新增客户", "New client"),
        "returning" => w(lang, "回流客户", "Returning client"),
        "complete" => w(lang, "档案完整", "Complete"),
        "incomplete" => w(lang, "档案不完整", "Incomplete archive"),
        "overdue" => w(lang, "逾期", "Overdue"),
        _ => "—",
    }
}

fn loading_html(lang: Lang) -> String {
    format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…"))
}

fn error_html(e: &ApiError, lang: Lang) -> String {
    format!(
        "<p class=\"error\" role=\"alert\">{}</p>",
        esc(&e.message(lang))
    )
}

fn is_not_found(e: &ApiError) -> bool {
    match e {
        ApiError::Problem(p) => p.status == 404,
        ApiError::Status(s) => *s == 404,
        _ => false,
    }
}

// ---- The scheme note ----

fn scheme_html(scheme: Option<Result<SchemeHistory, ApiError>>, lang: Lang) -> String {
    let Some(Ok(SchemeHistory { current: s })) = scheme else {
        return String::new();
    };
    let weights = [
        (ScoreComponent::Volume, s.weight_volume),
        (ScoreComponent::Visits, s.weight_visits),
        (ScoreComponent::NewClients, s.weight_new_clients),
        (ScoreComponent::Archive, s.weight_archive),
        (ScoreComponent::Overdue, s.weight_overdue),
    ]
    .iter()
    .map(|(c, weight)| format!("{} {weight}%", c.label(lang)))
    .collect::<Vec<_>>()
    .join(" · ");
    let bonus = i18n::format_yuan(s.bonus_base_yuan, lang);
    let threshold = i18n::format_number(s.bonus_threshold, 0, 1);
    let tail = match lang {
        Lang::Zh => format!("；满分奖金 {bonus}，按得分折算，低于 {threshold} 分无奖金"),
        Lang::En => {
            format!("; a bonus of {bonus} at 100, scaled by the score, none below {threshold}")
        }
    };
    format!(
        "<p class=\"muted perf-scheme\">{} v{}：{}{}</p>",
        w(lang, "现行考核方案", "Scheme in force"),
        s.version,
        esc(&weights),
        esc(&tail)
    )
}

fn scheme_note() -> AnyView {
    let lang = use_lang();
    let scheme = get_resource(|| "/api/v1/rules/scorecard".to_owned());
    html_block(
        "perf-scheme",
        move || scheme_html(loaded::<SchemeHistory>(scheme), lang.get()),
        |_, _| {},
    )
}

// ---- `/performance` ----

/// `/performance[?month=YYYY-MM]`: an account manager's own scorecard, or the team table.
#[component]
pub fn PerformancePage() -> impl IntoView {
    let app = use_app();
    let query = use_query_map();
    let default = previous_month_in_china(now_millis());
    let month = Memo::new(move |_| {
        query
            .with(|q| q.get("month"))
            .filter(|m| valid_month(m))
            .unwrap_or_else(|| default.clone())
    });
    let who = Memo::new(move |_| app.user.with(|u| u.as_ref().map(|u| (u.role, u.id))));
    let navigate = use_navigate();
    let pick = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if valid_month(&value) {
            navigate(
                &format!("/performance?month={value}"),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };
    view! {
        <section class="page performance-page">
            <div class="page-header">
                <h1>{wt("绩效考核", "Performance")}</h1>
                <label class="perf-month-picker">
                    {wt("考核月份", "Month")} " "
                    <input type="month" id="perf-month" prop:value=move || month.get() on:change=pick/>
                </label>
            </div>
            {scheme_note()}
            {move || match who.get() {
                None => view! { <p class="muted">{wt("加载中…", "Loading…")}</p> }.into_any(),
                Some((Role::AccountManager, id)) => {
                    detail_view(month.into(), Signal::derive(move || Some(id)), Signal::derive(|| false))
                }
                Some((role, _)) => team_view(month, role),
            }}
        </section>
    }
}

fn team_html(data: Option<Result<ScorecardMonth, ApiError>>, lang: Lang) -> String {
    let m = match data {
        None => return loading_html(lang),
        Some(Err(e)) => return error_html(&e, lang),
        Some(Ok(m)) => m,
    };
    let state = if m.locked {
        badge_html(
            "badge-ok status-locked",
            ScorecardStatus::Locked.label(lang),
        )
    } else if m.items.is_empty() {
        badge_html("badge-muted", w(lang, "未计算", "Not computed"))
    } else {
        badge_html(
            "badge-warn status-computed",
            ScorecardStatus::Computed.label(lang),
        )
    };
    let head = format!(
        "<p class=\"perf-month-state\"><span id=\"perf-month-status\">{state}</span> \
         <span class=\"muted total\" id=\"perf-total\">{}</span></p>",
        esc(&i18n::format_people(m.items.len() as u64, lang))
    );
    if m.items.is_empty() {
        return format!(
            "{head}<p class=\"muted empty\" id=\"perf-empty\">{}</p>",
            w(
                lang,
                "本月尚未计算考核。",
                "No scorecards for this month yet."
            )
        );
    }
    let mut headers = vec![
        w(lang, "客户经理", "Account manager"),
        w(lang, "营销单元", "Unit"),
    ];
    headers.extend(ScoreComponent::ALL.iter().map(|c| c.label(lang)));
    headers.extend([
        w(lang, "最终得分", "Final score"),
        w(lang, "奖金", "Bonus"),
        w(lang, "状态", "Status"),
    ]);
    let mut table = HtmlTable::new("perf-team", &headers);
    for c in &m.items {
        table.row(
            "perf-row",
            &format!(
                "id=\"perf-row-{id}\" data-act=\"open\" data-id=\"{id}\" style=\"cursor:pointer\"",
                id = c.user_id
            ),
        );
        table.cell(
            headers[0],
            "perf-name",
            &format!("<span class=\"link\">{}</span>", esc(&c.user_name)),
        );
        table.cell(headers[1], "perf-unit", &esc(&c.org_unit_name));
        for (i, component) in ScoreComponent::ALL.iter().enumerate() {
            let score = c
                .components
                .iter()
                .find(|s| s.component == *component)
                .and_then(|s| s.score);
            table.cell(
                headers[2 + i],
                &format!("num perf-score-{}", component.code()),
                &score_text(score),
            );
        }
        let n = 2 + ScoreComponent::ALL.len();
        table.cell(
            headers[n],
            "num perf-final",
            &score_text(Some(c.final_score)),
        );
        table.cell(
            headers[n + 1],
            "num perf-bonus",
            &esc(&i18n::format_yuan(c.bonus_yuan, lang)),
        );
        table.cell(headers[n + 2], "perf-status", &status_badge(c.status, lang));
    }
    head + &table.finish()
}

fn units_html(data: Option<Result<ScorecardMonth, ApiError>>, lang: Lang) -> String {
    let Some(Ok(m)) = data else {
        return String::new();
    };
    if m.units.is_empty() {
        return String::new();
    }
    let headers = [
        w(lang, "营销单元", "Unit"),
        w(lang, "人数", "People"),
        w(lang, "平均得分", "Mean score"),
        w(lang, "奖金合计", "Bonuses"),
    ];
    let mut table = HtmlTable::new("perf-units", &headers);
    for u in &m.units {
        table.row("unit-row", &format!("data-id=\"{}\"", u.org_unit_id));
        table.cell(headers[0], "", &esc(&u.org_unit_name));
        table.cell(headers[1], "num", &u.people.to_string());
        table.cell(headers[2], "num", &score_text(Some(u.mean_score)));
        table.cell(
            headers[3],
            "num",
            &esc(&i18n::format_yuan(u.bonus_total_yuan, lang)),
        );
    }
    table.finish()
}

/// The team table with the unit roll-ups; administrators also get the month's controls.
fn team_view(month: Memo<String>, role: Role) -> AnyView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let list = get_resource(move || {
        reload.track();
        format!("/api/v1/scorecards?month={}", month.get())
    });
    let navigate = use_navigate();
    let open = move |act: String, id: String| {
        if act == "open" {
            navigate(
                &format!("/performance/{}/{id}", month.get_untracked()),
                Default::default(),
            );
        }
    };
    let controls = match role {
        Role::Admin => admin_controls(month, reload, true),
        Role::Leader => admin_controls(month, reload, false),
        _ => ().into_any(),
    };
    view! {
        {controls}
        <section class="card section">
            <h2>{wt("团队考核", "Team scorecards")}</h2>
            {html_block(
                "perf-team",
                move || team_html(loaded::<ScorecardMonth>(list), lang.get()),
                open,
            )}
        </section>
        <section class="card section">
            <h2>{wt("按营销单元", "By unit")}</h2>
            {html_block(
                "perf-units",
                move || units_html(loaded::<ScorecardMonth>(list), lang.get()),
                |_, _| {},
            )}
        </section>
    }
    .into_any()
}

/// Compute, lock, the payroll export and the target import (`admin`); the export alone for
/// leaders.
fn admin_controls(month: Memo<String>, reload: RwSignal<u32>, admin: bool) -> AnyView {
    let lang = use_lang();
    let status = FormStatus::new();
    // What the last action did, in both languages.
    let done = RwSignal::new(None::<(String, String)>);
    let compute = move |_| {
        done.set(None);
        let m = month.get_untracked();
        submit(
            status,
            "POST",
            format!("/api/v1/scorecards/{m}/compute"),
            None,
            move |text| {
                let r: ComputeReport = api::decode(&text)?;
                done.set(Some((
                    format!("已计算 {m} 的考核：{} 人", r.scorecards),
                    format!("Computed {m}: {} scorecards", r.scorecards),
                )));
                reload.update(|n| *n += 1);
                Ok(())
            },
        );
    };
    let lock = move |_| {
        done.set(None);
        let m = month.get_untracked();
        let question = match lang.get_untracked() {
            Lang::Zh => format!("锁定 {m} 的考核？锁定后不能再计算或调整，只能登记更正。"),
            Lang::En => format!(
                "Lock the scorecards of {m}? They can then no longer be recomputed or adjusted, only corrected."
            ),
        };
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        submit(
            status,
            "POST",
            format!("/api/v1/scorecards/{m}/lock"),
            None,
            move |text| {
                let r: LockReport = api::decode(&text)?;
                done.set(Some((
                    format!("已锁定 {m} 的考核：{} 人", r.locked),
                    format!("Locked {m}: {} scorecards", r.locked),
                )));
                reload.update(|n| *n += 1);
                Ok(())
            },
        );
    };
    let export = move |_| {
        done.set(None);
        status.clear();
        let m = month.get_untracked();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/scorecards/{m}/export.xlsx");
            if let Err(e) = api::download(path, format!("scorecards-{m}.xlsx")).await {
                status.notice.try_set(Some(e));
            }
        });
    };
    let import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        done.set(None);
        if !status.start() {
            return;
        }
        leptos::task::spawn_local(async move {
            let sent = api::send_blob("/api/v1/scorecards/targets/import", &file, XLSX).await;
            match sent.and_then(|t| api::decode::<TargetsSaved>(&t)) {
                Ok(r) => {
                    status.done();
                    done.try_set(Some((
                        format!("已导入 {} 条销量目标", r.saved),
                        format!("Imported {} volume targets", r.saved),
                    )));
                    reload.try_update(|n| *n += 1);
                }
                Err(e) => status.fail(e),
            }
        });
    };
    // Row errors of an import (the month's refusals are the notice itself).
    let row_errors = move || {
        let lang = lang.get();
        status.errors.with(|all| {
            all.iter()
                .filter(|e| e.field != "month")
                .map(|e| {
                    let text = match lang {
                        Lang::Zh => e.message_zh.clone(),
                        Lang::En => e.message.clone(),
                    };
                    view! { <li data-field=e.field.clone()>{text}</li> }
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card section perf-admin" id="perf-admin">
            <div class="toolbar">
                {admin.then(|| view! {
                    <button type="button" class="btn btn-primary" id="perf-compute" on:click=compute disabled=move || status.busy.get()>
                        {wt("计算本月考核", "Compute the month")}
                    </button>
                    <button type="button" class="btn btn-danger" id="perf-lock" on:click=lock disabled=move || status.busy.get()>
                        {wt("锁定", "Lock")}
                    </button>
                })}
                <button type="button" class="btn" id="perf-export" on:click=export>
                    {wt("导出工资表 XLSX", "Payroll XLSX")}
                </button>
                {admin.then(|| view! {
                    <label class="btn" for="perf-targets-file">
                        {wt("导入销量目标 XLSX", "Import volume targets (XLSX)")}
                    </label>
                    <input
                        type="file"
                        id="perf-targets-file"
                        accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        style="position:absolute;left:-9999px"
                        on:change=import
                    />
                })}
            </div>
            {admin.then(|| view! {
                <p class="muted">
                    {wt(
                        "目标表第一张工作表需含列：用户名（或工号）、月份（YYYY-MM）、目标吨数。",
                        "The targets workbook's first sheet has the columns 用户名 (or 工号), 月份 (YYYY-MM) and 目标吨数.",
                    )}
                </p>
            })}
            {move || done.get().map(|(zh, en)| view! {
                <div class="alert alert-ok" role="status" id="perf-admin-done">
                    {if lang.get() == Lang::Zh { zh } else { en }}
                </div>
            })}
            {move || status.notice.get().map(|e| view! {
                <div class="alert alert-error" role="alert" id="perf-admin-error">
                    {e.message(lang.get())}
                    <ul id="perf-import-errors">{row_errors}</ul>
                </div>
            })}
        </section>
    }
    .into_any()
}

// ---- One scorecard ----

/// `/performance/:month/:user_id`: one scorecard with its drill-down and, for reviewers, the
/// adjustment form.
#[component]
pub fn PerformanceDetailPage() -> impl IntoView {
    let app = use_app();
    let params = use_params_map();
    let month = Signal::derive(move || params.with(|p| p.get("month")).unwrap_or_default());
    let user = Signal::derive(move || {
        params
            .with(|p| p.get("user_id"))
            .and_then(|id| Uuid::parse_str(id.trim()).ok())
    });
    let reviewer = Signal::derive(move || {
        app.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| matches!(u.role, Role::Director | Role::Leader | Role::Admin))
        })
    });
    view! {
        <section class="page performance-page performance-detail-page">
            <div class="page-header">
                <h1>{wt("考核详情", "Scorecard")}</h1>
                <a class="btn" id="perf-back" href=move || format!("/performance?month={}", month.get())>
                    {wt("返回团队考核", "Back to the team")}
                </a>
            </div>
            {scheme_note()}
            {detail_view(month, user, reviewer)}
        </section>
    }
}

fn summary_html(d: &ScorecardDetail, selected: Option<ScoreComponent>, lang: Lang) -> String {
    let c = &d.scorecard;
    let item = |id: &str, label: &str, value: String| {
        format!(
            "<div class=\"intel-kpi\"><span class=\"kpi-label\">{}</span>\
             <span class=\"kpi-value\" id=\"{id}\">{value}</span></div>",
            esc(label)
        )
    };
    let mut html = format!(
        "<h2 id=\"perf-person\">{} <span class=\"muted\">{} · {}</span></h2><div class=\"intel-kpis perf-figures\">",
        esc(&c.user_name),
        esc(&c.org_unit_name),
        esc(&c.month)
    );
    html.push_str(&item(
        "perf-status",
        w(lang, "状态", "Status"),
        status_badge(c.status, lang),
    ));
    html.push_str(&item(
        "perf-computed",
        w(lang, "计算得分", "Computed"),
        score_text(Some(c.computed_score)),
    ));
    html.push_str(&item(
        "perf-adjustments",
        w(lang, "审核调整", "Adjustments"),
        signed_points(c.adjustment_points),
    ));
    html.push_str(&item(
        "perf-final",
        w(lang, "最终得分", "Final score"),
        format!("<strong>{}</strong>", score_text(Some(c.final_score))),
    ));
    html.push_str(&item(
        "perf-bonus",
        w(lang, "奖金", "Bonus"),
        esc(&i18n::format_yuan(c.bonus_yuan, lang)),
    ));
    html.push_str("</div>");
    let headers = [
        w(lang, "考核项", "Figure"),
        w(lang, "得分", "Score"),
        w(lang, "权重", "Weight"),
        w(lang, "折算分", "Points"),
        w(lang, "依据", "Basis"),
    ];
    let mut table = HtmlTable::new("perf-components", &headers);
    for s in &c.components {
        let code = s.component.code();
        let class = if selected == Some(s.component) {
            "component-row selected"
        } else {
            "component-row"
        };
        table.row(
            class,
            &format!(
                "id=\"component-{code}\" data-act=\"component\" data-id=\"{code}\" \
                 style=\"cursor:pointer{}\"",
                if selected == Some(s.component) {
                    ";background:#e8f0fe"
                } else {
                    ""
                }
            ),
        );
        table.cell(
            headers[0],
            "component-name",
            &format!(
                "<span class=\"link\">{}</span>",
                esc(s.component.label(lang))
            ),
        );
        table.cell(headers[1], "num component-score", &score_text(s.score));
        table.cell(headers[2], "num", &format!("{}%", s.weight));
        table.cell(
            headers[3],
            "num component-points",
            &i18n::format_number(s.points, 1, 1),
        );
        table.cell(
            headers[4],
            "component-basis",
            &esc(&basis_text(c, s.component, &s.basis, lang)),
        );
    }
    html.push_str(&table.finish());
    html.push_str(&format!(
        "<p class=\"muted\">{}</p>",
        w(
            lang,
            "点击考核项查看计入的订单、走访、客户与任务。",
            "Click a figure to see the orders, visits, clients and tasks it counted."
        )
    ));
    html
}

fn evidence_html(d: &ScorecardDetail, component: ScoreComponent, lang: Lang) -> String {
    let rows: Vec<&EvidenceRow> = d
        .evidence
        .iter()
        .filter(|e| e.component == component)
        .collect();
    let title = format!(
        "<h3 id=\"perf-evidence-title\">{}：{}</h3>",
        esc(component.label(lang)),
        esc(w(lang, "计入明细", "what it counted"))
    );
    if rows.is_empty() {
        let none = match component {
            ScoreComponent::Archive => w(lang, "所有客户档案完整。", "Every archive is complete."),
            ScoreComponent::Overdue => w(lang, "没有逾期任务。", "No overdue tasks."),
            _ => w(lang, "本月没有相关记录。", "Nothing this month."),
        };
        return format!("{title}<p class=\"muted empty\" id=\"perf-evidence-empty\">{none}</p>");
    }
    let with_tonnes = component == ScoreComponent::Volume;
    let mut headers = vec![
        w(lang, "记录", "Record"),
        w(lang, "客户", "Client"),
        w(lang, "日期", "Date"),
    ];
    if with_tonnes {
        headers.push(w(lang, "吨数", "Tonnes"));
    }
    headers.push(w(lang, "计入", "Counted as"));
    let mut table = HtmlTable::new("perf-evidence", &headers);
    let mut total = 0.0;
    for e in &rows {
        table.row(
            &format!("evidence-row outcome-{}", esc(&e.outcome)),
            &format!("data-id=\"{}\"", e.id),
        );
        table.cell(headers[0], "ev-label", &esc(&e.label));
        table.cell(headers[1], "ev-client", &esc(&e.client_name));
        table.cell(
            headers[2],
            "ev-date",
            &e.date
                .map(|d| esc(&i18n::format_date(d, lang)))
                .unwrap_or_default(),
        );
        if with_tonnes {
            let t = e.tonnes.unwrap_or_default();
            total += t;
            table.cell(
                headers[3],
                "num",
                &format!(
                    "<span class=\"ev-tonnes\" data-tonnes=\"{}\">{}</span>",
                    i18n::fixed_decimals(t, 3),
                    i18n::format_number(t, 0, 3)
                ),
            );
        }
        let last = headers.len() - 1;
        table.cell(headers[last], "ev-outcome", outcome_text(&e.outcome, lang));
    }
    let summary = if with_tonnes {
        match lang {
            Lang::Zh => format!(
                "{} 笔订单，合计 {}",
                rows.len(),
                i18n::format_tonnes(total, lang)
            ),
            Lang::En => format!(
                "{} orders, {} in all",
                rows.len(),
                i18n::format_tonnes(total, lang)
            ),
        }
    } else {
        match lang {
            Lang::Zh => format!("共 {} 条", rows.len()),
            Lang::En => format!("{} rows", rows.len()),
        }
    };
    format!(
        "{title}<p class=\"muted\" id=\"perf-evidence-total\">{}</p>{}",
        esc(&summary),
        table.finish()
    )
}

fn adjustments_html(d: &ScorecardDetail, lang: Lang) -> String {
    let c = &d.scorecard;
    if c.adjustments.is_empty() {
        return format!(
            "<p class=\"muted empty\">{}</p>",
            w(lang, "暂无审核调整。", "No adjustments.")
        );
    }
    let headers = [
        w(lang, "分值", "Points"),
        w(lang, "原因", "Reason"),
        w(lang, "类型", "Kind"),
        w(lang, "调整人", "By"),
        w(lang, "时间", "When"),
    ];
    let mut table = HtmlTable::new("perf-adjustment-list", &headers);
    for a in &c.adjustments {
        table.row("adjustment-row", &format!("data-id=\"{}\"", a.id));
        table.cell(headers[0], "num adj-points", &signed_points(a.points));
        table.cell(headers[1], "adj-reason", &esc(&a.reason));
        table.cell(
            headers[2],
            "adj-kind",
            &if a.correction {
                badge_html(
                    "badge-info",
                    w(
                        lang,
                        "锁定后更正（随下期发放）",
                        "Correction after the lock",
                    ),
                )
            } else {
                badge_html("badge-muted", w(lang, "审核调整", "Adjustment"))
            },
        );
        table.cell(headers[3], "", &esc(&a.by_name));
        table.cell(
            headers[4],
            "",
            &esc(&i18n::format_date(a.at.date_naive(), lang)),
        );
    }
    table.finish()
}

/// The scorecard of `user` in `month`: figures, drill-down, adjustments, and the adjustment
/// form when `reviewer`.
fn detail_view(
    month: Signal<String>,
    user: Signal<Option<Uuid>>,
    reviewer: Signal<bool>,
) -> AnyView {
    let lang = use_lang();
    let reload = RwSignal::new(0u32);
    let selected = RwSignal::new(None::<ScoreComponent>);
    let detail: TextResource = get_resource(move || {
        reload.track();
        match user.get() {
            Some(id) => format!("/api/v1/scorecards/{}/users/{id}", month.get()),
            None => "/api/v1/scorecards/-/users/-".to_owned(),
        }
    });
    let summary = move || {
        let lang = lang.get();
        match loaded::<ScorecardDetail>(detail) {
            None => loading_html(lang),
            Some(Err(e)) if is_not_found(&e) => format!(
                "<p class=\"muted empty\" id=\"perf-none\">{}</p>",
                w(
                    lang,
                    "该月尚无考核结果（尚未计算）。",
                    "No scorecard for this month yet (not computed)."
                )
            ),
            Some(Err(e)) => error_html(&e, lang),
            Some(Ok(d)) => summary_html(&d, selected.get(), lang),
        }
    };
    let evidence = move || {
        let lang = lang.get();
        match (selected.get(), loaded::<ScorecardDetail>(detail)) {
            (Some(c), Some(Ok(d))) => evidence_html(&d, c, lang),
            _ => String::new(),
        }
    };
    let adjustments = move || match loaded::<ScorecardDetail>(detail) {
        Some(Ok(d)) => adjustments_html(&d, lang.get()),
        _ => String::new(),
    };
    let pick = move |act: String, code: String| {
        if act == "component" {
            let c = ScoreComponent::from_code(&code);
            selected.update(|s| *s = if *s == c { None } else { c });
        }
    };
    let found = Memo::new(move |_| matches!(loaded::<ScorecardDetail>(detail), Some(Ok(_))));
    let locked = Memo::new(move |_| {
        matches!(
            loaded::<ScorecardDetail>(detail),
            Some(Ok(d)) if d.scorecard.status == ScorecardStatus::Locked
        )
    });
    view! {
        <section class="card section perf-detail">
            {html_block("perf-detail", summary, pick)}
            {html_block("perf-evidence", evidence, |_, _| {})}
        </section>
        {move || found.get().then(|| view! {
            <section class="card section">
                <h2>{wt("审核调整", "Adjustments")}</h2>
                {html_block("perf-adjustments-list", adjustments, |_, _| {})}
                {move || reviewer.get().then(|| adjust_form(month, user, locked, reload))}
            </section>
        })}
    }
    .into_any()
}

/// Adds ±points with a reason; on a locked month the server records it as a correction.
fn adjust_form(
    month: Signal<String>,
    user: Signal<Option<Uuid>>,
    locked: Memo<bool>,
    reload: RwSignal<u32>,
) -> AnyView {
    let lang = use_lang();
    let points = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let form = FormStatus::new();
    let saved = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let Some(id) = user.get_untracked() else {
            return;
        };
        let text = points.get_untracked();
        let body = AdjustmentInput {
            points: text.trim().parse::<f64>().ok(),
            reason: Some(reason.get_untracked()),
        };
        submit(
            form,
            "POST",
            format!(
                "/api/v1/scorecards/{}/users/{id}/adjustments",
                month.get_untracked()
            ),
            api::to_json(&body),
            move |_| {
                points.set(String::new());
                reason.set(String::new());
                saved.set(true);
                reload.update(|n| *n += 1);
                Ok(())
            },
        );
    };
    view! {
        <form id="adjust-form" class="perf-adjust" on:submit=send novalidate>
            <h3>{wt("新增调整", "Add an adjustment")}</h3>
            {move || locked.get().then(|| view! {
                <div class="alert alert-warn" id="adj-correction-note">
                    {wt(
                        "该月已锁定：此调整将登记为更正，不改变已锁定的得分，随下期工资发放。",
                        "The month is locked: this will be recorded as a correction; the locked figures stay and it is paid with the next payroll.",
                    )}
                </div>
            })}
            <div class="field">
                <label class="field-label" for="adj-points">{wt("分值（−50 至 50）", "Points (−50 to 50)")}</label>
                <input
                    id="adj-points"
                    type="number"
                    step="0.5"
                    prop:value=move || points.get()
                    on:input=move |ev| points.set(event_target_value(&ev))
                />
                {field_errors(form.errors, "points", ("分值", "Points"))}
            </div>
            <div class="field">
                <label class="field-label" for="adj-reason">{wt("原因", "Reason")}</label>
                <textarea
                    id="adj-reason"
                    rows="2"
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                ></textarea>
                {field_errors(form.errors, "reason", ("原因", "Reason"))}
            </div>
            {move || form.notice.get().map(|e| view! {
                <div class="alert alert-error form-notice" role="alert" id="adj-error">{e.message(lang.get())}</div>
            })}
            {move || saved.get().then(|| view! {
                <div class="alert alert-ok" role="status" id="adj-saved">{wt("已保存调整", "Adjustment saved")}</div>
            })}
            <button id="adj-submit" type="submit" class="btn btn-primary" disabled=move || form.busy.get()>
                {move || if locked.get() { w(lang.get(), "登记更正", "Record correction") } else { w(lang.get(), "保存调整", "Save adjustment") }}
            </button>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_month_is_the_previous_one_in_china_time() {
        // 2026-12-31 17:00 UTC is already 2027-01-01 in China: the default is December.
        let new_year = 1_798_736_400_000;
        assert_eq!(previous_month_in_china(new_year), "2026-12");
        // 2026-12-03 14:00 UTC: November.
        assert_eq!(previous_month_in_china(1_796_306_400_000), "2026-11");
        assert!(valid_month("2026-11"));
        assert!(!valid_month("2026-13"));
    }
}
