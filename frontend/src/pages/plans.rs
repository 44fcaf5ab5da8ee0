//! Visit plans (DESIGN §2.4): generating the half-year coverage plans, the coverage per account
//! manager and per county, the week calendar of visit tasks (or the same as a list); and the
//! effectiveness of the visits raised by the dynamic classes (闭环).

use crate::api::{self, ApiError};
use crate::components::{
    badge_html, esc, field_errors, get_resource, has_error, html_block, loaded, FormStatus,
    HtmlTable,
};
use crate::i18n;
use crate::pages::visits::{browser_today, client_link, is_reviewer, visits_nav, w, wt};
use crate::state::use_lang;
use chrono::{Datelike, NaiveDate, TimeDelta};
use domain::effectiveness::{EffectivenessReport, EffectivenessRow};
use domain::planning::HalfYear;
use domain::task::{AssigneeLevel, Task, TaskPage, TaskStatus};
use domain::visit::{CoverageReport, CoverageRow, PlanReport, PlanRequest};
use domain::Lang;
use leptos::prelude::*;

/// A half-year in words: 2026年下半年 / 2026 H2.
pub fn half_year_label(code: &str, lang: Lang) -> String {
    let Some((year, half)) = code.split_once('-') else {
        return code.to_owned();
    };
    match (lang, half) {
        (Lang::Zh, "h1") => format!("{year}年上半年"),
        (Lang::Zh, _) => format!("{year}年下半年"),
        (Lang::En, _) => format!("{year} {}", half.to_uppercase()),
    }
}

/// The current half-year's code (`2026-h2`).
pub fn current_half_year() -> String {
    HalfYear::of(browser_today()).code()
}

/// The Monday of the week holding `day`.
fn monday_of(day: NaiveDate) -> NaiveDate {
    day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()))
}

/// A coverage figure (percent) with a bar.
fn percent_cell(percent: f64) -> String {
    let width = percent.clamp(0.0, 100.0);
    format!(
        "<span class=\"rate-bar\"><span style=\"width:{}%\"></span></span> {}%",
        i18n::format_number(width, 0, 1),
        i18n::format_number(percent, 1, 1)
    )
}

/// Coverage rows as a table; `first` names the first column.
pub fn coverage_table(rows: &[CoverageRow], lang: Lang, class: &str, first: &str) -> String {
    if rows.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            w(lang, "没有需要覆盖的客户", "No clients due")
        );
    }
    let headers = [
        first,
        w(lang, "应走访客户", "Clients due"),
        w(lang, "已走访", "Visited"),
        w(lang, "覆盖率", "Coverage"),
    ];
    let mut table = HtmlTable::new(class, &headers);
    for r in rows {
        let low = r.percent < 50.0 && r.due > 0;
        table.row(
            if low {
                "coverage-row low"
            } else {
                "coverage-row"
            },
            &format!("data-id=\"{}\"", r.id),
        );
        table.cell(headers[0], "cell-name", &esc(&r.name));
        table.cell(headers[1], "num", &i18n::format_count(r.due));
        table.cell(headers[2], "num", &i18n::format_count(r.covered));
        table.cell(headers[3], "nowrap", &percent_cell(r.percent));
    }
    table.finish()
}

fn coverage_html(r: &CoverageReport, lang: Lang) -> String {
    let total = &r.total;
    format!(
        "<p class=\"coverage-total\" id=\"coverage-total\">{}</p>\
         <h3>{}</h3>{}<h3>{}</h3>{}",
        esc(&match lang {
            Lang::Zh => format!(
                "{}：应走访 {} 户，已由客户经理走访 {} 户，覆盖率 {}%",
                half_year_label(&r.half_year, lang),
                i18n::format_count(total.due),
                i18n::format_count(total.covered),
                i18n::format_number(total.percent, 1, 1)
            ),
            Lang::En => format!(
                "{}: {} clients due, {} visited by their account manager, {}% covered",
                half_year_label(&r.half_year, lang),
                i18n::format_count(total.due),
                i18n::format_count(total.covered),
                i18n::format_number(total.percent, 1, 1)
            ),
        }),
        w(lang, "按客户经理", "By account manager"),
        coverage_table(
            &r.assignees,
            lang,
            "coverage-assignees",
            w(lang, "客户经理", "Account manager")
        ),
        w(lang, "按县区", "By county"),
        coverage_table(&r.units, lang, "coverage-units", w(lang, "单位", "Unit")),
    )
}

fn status_badge(t: &Task, lang: Lang) -> String {
    let class = if t.overdue {
        "badge-danger"
    } else {
        match t.status {
            TaskStatus::Open => "badge-info",
            TaskStatus::CheckedIn | TaskStatus::Reviewed => "badge-warn",
            TaskStatus::Closed => "badge-ok",
            TaskStatus::Cancelled => "badge-muted",
        }
    };
    let text = if t.overdue {
        w(lang, "逾期", "Overdue")
    } else {
        t.status.label(lang)
    };
    badge_html(class, text)
}

fn assignee_names(t: &Task) -> String {
    t.assignees
        .iter()
        .map(|a| esc(&a.name))
        .collect::<Vec<_>>()
        .join("、")
}

fn title_of(t: &Task, lang: Lang) -> &str {
    match lang {
        Lang::Zh => &t.title,
        Lang::En => &t.title_en,
    }
}

const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The week as seven columns, Monday to Sunday, each with the visits due that day.
fn calendar_html(monday: NaiveDate, tasks: &[Task], lang: Lang) -> String {
    let today = browser_today();
    let mut html = String::from("<div class=\"week-grid\" id=\"week-grid\">");
    for offset in 0..7 {
        let day = monday + TimeDelta::days(offset);
        let due: Vec<&Task> = tasks.iter().filter(|t| t.due_date == day).collect();
        let name = match lang {
            Lang::Zh => WEEKDAYS_ZH[offset as usize],
            Lang::En => WEEKDAYS_EN[offset as usize],
        };
        let date = match lang {
            Lang::Zh => format!("{}月{}日", day.month(), day.day()),
            Lang::En => format!(
                "{} {}",
                day.day(),
                i18n::format_date(day, lang).split(' ').nth(1).unwrap_or("")
            ),
        };
        html.push_str(&format!(
            "<div class=\"week-day{}\" data-date=\"{day}\"><div class=\"week-day-head\"><strong>{name}</strong> {date} \
             <span class=\"week-count\">{}</span></div>",
            if day == today { " today" } else { "" },
            due.len()
        ));
        for t in due {
            html.push_str(&format!(
                "<div class=\"cal-task{}\" title=\"{}\">{}<div class=\"muted small\">{}</div>{}</div>",
                if t.overdue { " overdue" } else { "" },
                esc(title_of(t, lang)),
                client_link(t.client_id, &t.client_name),
                assignee_names(t),
                status_badge(t, lang)
            ));
        }
        html.push_str("</div>");
    }
    html.push_str("</div>");
    html
}

/// The same tasks as a list, by due date.
fn task_list_html(tasks: &[Task], lang: Lang) -> String {
    let headers = [
        w(lang, "日期", "Due"),
        w(lang, "客户", "Client"),
        w(lang, "任务", "Task"),
        w(lang, "负责人", "Assignees"),
        w(lang, "状态", "Status"),
    ];
    let mut table = HtmlTable::new("plan-task-table", &headers);
    // The API lists tasks soonest due first.
    for t in tasks {
        table.row(if t.overdue { "overdue" } else { "" }, "");
        table.cell(
            headers[0],
            "nowrap",
            &esc(&i18n::format_date(t.due_date, lang)),
        );
        table.cell(headers[1], "", &client_link(t.client_id, &t.client_name));
        table.cell(headers[2], "", &esc(title_of(t, lang)));
        table.cell(headers[3], "", &assignee_names(t));
        table.cell(headers[4], "", &status_badge(t, lang));
    }
    table.finish()
}

/// Pages of 200 (the API's largest) fetched in a row, up to this many.
const MAX_TASK_PAGES: u64 = 10;

/// Every visit task of `query` (all pages, within [`MAX_TASK_PAGES`]) and the total.
async fn all_tasks(query: String) -> Result<(Vec<Task>, u64), ApiError> {
    let mut items = Vec::new();
    let mut page = 1;
    loop {
        let text = api::call(
            "GET",
            &format!("/api/v1/tasks?{query}&per_page=200&page={page}"),
            None,
        )
        .await?;
        let got: TaskPage = api::decode(&text)?;
        let fetched = got.items.len();
        items.extend(got.items);
        if fetched == 0 || items.len() as u64 >= got.total || page >= MAX_TASK_PAGES {
            return Ok((items, got.total));
        }
        page += 1;
    }
}

/// `/visits/plans`: the plan generator, the coverage report and the week calendar.
#[component]
pub fn PlansPage() -> impl IntoView {
    let lang = use_lang();
    let reviewer = is_reviewer();
    let half = RwSignal::new(current_half_year());
    // Bumped after a plan run: the coverage and the calendar load again.
    let version = RwSignal::new(0u32);
    let coverage = get_resource(move || {
        version.get();
        format!("/api/v1/plans/coverage?half_year={}", half.get())
    });
    let coverage_html = move || {
        let lang = lang.get();
        match loaded::<CoverageReport>(coverage) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(r)) => coverage_html(&r, lang),
        }
    };
    let this_half = HalfYear::of(browser_today());
    let halves = [this_half.code(), this_half.next().code()];
    view! {
        <section class="page visits-page plans-page">
            <h1>{wt("走访", "Visits")}</h1>
            {visits_nav()}
            <div class="toolbar">
                <label class="inline-field" for="plan-half">
                    {wt("半年度", "Half-year")}
                    <select id="plan-half" on:change=move |ev| half.set(event_target_value(&ev))>
                        {halves
                            .into_iter()
                            .map(|code| {
                                let value = code.clone();
                                let selected = code.clone();
                                view! {
                                    <option value=value prop:selected=move || half.get() == selected>
                                        {move || half_year_label(&code, lang.get())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </div>
            {move || reviewer.get().then(|| generate_form(half, version))}
            <section class="card section" id="section-coverage">
                <h2>{wt("半年度覆盖率", "Half-year coverage")}</h2>
                <p class="hint">
                    {wt(
                        "每个有效客户每半年至少由其客户经理走访一次。",
                        "Every active client is visited by its account manager at least once a half-year.",
                    )}
                </p>
                {html_block("coverage", coverage_html, |_, _| {})}
            </section>
            {week_calendar(version)}
        </section>
    }
}

/// The form that plans the half-year (directors, leaders and administrators).
fn generate_form(half: RwSignal<String>, version: RwSignal<u32>) -> AnyView {
    let lang = use_lang();
    let start = RwSignal::new(String::new());
    let capacity = RwSignal::new(String::new());
    let status = FormStatus::new();
    let report = RwSignal::new(None::<PlanReport>);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut errors = Vec::new();
        let start_text = start.get_untracked();
        let start_date = if start_text.trim().is_empty() {
            None
        } else {
            match start_text.trim().parse::<NaiveDate>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(domain::FieldError::invalid_value(
                        "start",
                        "a date",
                        "请填写日期",
                    ));
                    None
                }
            }
        };
        let capacity_text = capacity.get_untracked();
        let capacity_per_week = if capacity_text.trim().is_empty() {
            None
        } else {
            match capacity_text.trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(domain::FieldError::out_of_range(
                        "capacity_per_week",
                        1.0,
                        50.0,
                    ));
                    None
                }
            }
        };
        if !errors.is_empty() {
            status.clear();
            status.errors.set(errors);
            return;
        }
        let request = PlanRequest {
            half_year: half.get_untracked(),
            start: start_date,
            capacity_per_week,
        };
        report.set(None);
        crate::components::submit(
            status,
            "POST",
            "/api/v1/plans/generate".to_owned(),
            api::to_json(&request),
            move |text| {
                report.set(Some(api::decode::<PlanReport>(&text)?));
                version.update(|v| *v += 1);
                Ok(())
            },
        );
    };
    let report_html = move || {
        let lang = lang.get();
        let Some(r) = report.get() else {
            return String::new();
        };
        let items = [
            (w(lang, "客户经理", "Account managers"), r.assignees),
            (w(lang, "应走访客户", "Clients due"), r.clients_due),
            (w(lang, "本半年已走访", "Already visited"), r.covered),
            (w(lang, "保留已排期", "Dated tasks kept"), r.kept),
            (w(lang, "新建走访任务", "Visit tasks created"), r.created),
            (w(lang, "超出周容量未排", "Did not fit"), r.unplanned),
        ];
        let mut html = format!(
            "<div class=\"alert alert-ok\" role=\"status\">{}</div><div class=\"kpis plan-report\">",
            esc(&match lang {
                Lang::Zh => format!(
                    "{}计划已生成（用时 {} 毫秒）",
                    half_year_label(&r.half_year, lang),
                    r.elapsed_ms
                ),
                Lang::En => format!(
                    "Plans for {} generated in {} ms",
                    half_year_label(&r.half_year, lang),
                    r.elapsed_ms
                ),
            })
        );
        for (label, value) in items {
            html.push_str(&format!(
                "<div class=\"kpi\"><span class=\"kpi-label\">{}</span><span class=\"kpi-value\">{}</span></div>",
                esc(label),
                i18n::format_count(value)
            ));
        }
        html.push_str("</div>");
        // The directors' and leaders' own quotas (grade A; key clients and high-risk traders).
        let quotas: Vec<_> = r
            .quotas
            .iter()
            .filter(|q| q.level != AssigneeLevel::AccountManager)
            .collect();
        if !quotas.is_empty() {
            let headers = [
                w(lang, "层级", "Level"),
                w(lang, "人数", "People"),
                w(lang, "应走访客户", "Clients due"),
                w(lang, "已走访", "Already visited"),
                w(lang, "保留已排期", "Kept"),
                w(lang, "新建", "Created"),
                w(lang, "未排", "Did not fit"),
            ];
            let mut table = HtmlTable::new("plan-quotas", &headers);
            for q in quotas {
                table.row("", "");
                table.cell(headers[0], "", &esc(q.level.label(lang)));
                for (i, value) in [
                    q.assignees,
                    q.clients_due,
                    q.covered,
                    q.kept,
                    q.created,
                    q.unplanned,
                ]
                .into_iter()
                .enumerate()
                {
                    table.cell(headers[i + 1], "num", &i18n::format_count(value));
                }
            }
            html.push_str(&format!(
                "<h3>{}</h3>{}",
                w(lang, "上级走访配额", "Quotas of directors and leaders"),
                table.finish()
            ));
        }
        html
    };
    let start_invalid = move || has_error(status.errors, "start");
    let capacity_invalid = move || has_error(status.errors, "capacity_per_week");
    view! {
        <section class="card section" id="section-generate">
            <h2>{wt("生成半年走访计划", "Generate the half-year plans")}</h2>
            <p class="hint">
                {wt(
                    "为您范围内的每位客户经理按周排程（A 级和潜在流失客户优先，相近客户同周，每天按路线排序）。已走访和已排期的保留不变。",
                    "Spreads every account manager's clients over the weeks (grade A and at-risk first, nearby clients in the same week, each day in route order). Visits done and tasks already dated are kept.",
                )}
            </p>
            <form class="form-grid plan-form" id="plan-form" on:submit=send novalidate>
                <div class="field">
                    <label class="field-label" for="plan-start">{wt("起始日期（默认今天）", "Start (default today)")}</label>
                    <input
                        id="plan-start"
                        name="start"
                        type="date"
                        class:invalid=start_invalid
                        prop:value=move || start.get()
                        on:input=move |ev| start.set(event_target_value(&ev))
                    />
                    {field_errors(status.errors, "start", ("起始日期", "Start"))}
                </div>
                <div class="field">
                    <label class="field-label" for="plan-capacity">{wt("每周走访上限（默认 15）", "Visits per week (default 15)")}</label>
                    <input
                        id="plan-capacity"
                        name="capacity_per_week"
                        type="number"
                        min="1"
                        max="50"
                        class:invalid=capacity_invalid
                        prop:value=move || capacity.get()
                        on:input=move |ev| capacity.set(event_target_value(&ev))
                    />
                    {field_errors(status.errors, "capacity_per_week", ("每周走访上限", "Visits per week"))}
                </div>
                {field_errors(status.errors, "half_year", ("半年度", "Half-year"))}
                <div class="form-actions">
                    <button id="plan-generate" type="submit" class="btn btn-primary" disabled=move || status.busy.get()>
                        {move || if status.busy.get() {
                            w(lang.get(), "正在生成…", "Generating…")
                        } else {
                            w(lang.get(), "生成计划", "Generate plans")
                        }}
                    </button>
                </div>
            </form>
            {move || status.notice.get().map(|e| view! {
                <div class="alert alert-error form-notice" role="alert">{e.message(lang.get())}</div>
            })}
            {html_block("plan-report", report_html, |_, _| {})}
        </section>
    }
    .into_any()
}

/// The week calendar of visit tasks with its filters, or the same tasks as a list.
fn week_calendar(version: RwSignal<u32>) -> AnyView {
    let lang = use_lang();
    let monday = RwSignal::new(monday_of(browser_today()));
    let mine = RwSignal::new(false);
    let plan_only = RwSignal::new(false);
    let as_list = RwSignal::new(false);
    let tasks = LocalResource::new(move || {
        version.get();
        let from = monday.get();
        let to = from + TimeDelta::days(6);
        let mut query = format!("kind=visit&due_from={from}&due_to={to}");
        if mine.get() {
            query.push_str("&mine=true");
        }
        if plan_only.get() {
            query.push_str("&source=coverage_plan");
        }
        all_tasks(query)
    });
    let html = move || {
        let lang = lang.get();
        let monday = monday.get();
        match tasks.get() {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok((items, total))) => {
                let shown = items.len() as u64;
                let mut html = format!(
                    "<p class=\"total\" id=\"week-total\">{}</p>",
                    esc(&match lang {
                        Lang::Zh => format!("本周走访任务 {} 项", i18n::format_count(total)),
                        Lang::En => format!("{} visit tasks this week", i18n::format_count(total)),
                    })
                );
                if shown < total {
                    html.push_str(&format!(
                        "<p class=\"alert alert-warn\">{}</p>",
                        esc(&match lang {
                            Lang::Zh => format!("仅显示前 {shown} 项"),
                            Lang::En => format!("Only the first {shown} are shown"),
                        })
                    ));
                }
                if as_list.get() {
                    if items.is_empty() {
                        html.push_str(&format!(
                            "<p class=\"muted empty\">{}</p>",
                            w(lang, "本周没有走访任务", "No visit tasks this week")
                        ));
                    } else {
                        html.push_str(&task_list_html(&items, lang));
                    }
                } else {
                    html.push_str(&calendar_html(monday, &items, lang));
                }
                html
            }
        }
    };
    let range = move || {
        let lang = lang.get();
        let from = monday.get();
        let to = from + TimeDelta::days(6);
        format!(
            "{} – {}",
            i18n::format_date(from, lang),
            i18n::format_date(to, lang)
        )
    };
    view! {
        <section class="card section" id="section-week">
            <h2>{wt("走访日历", "Visit calendar")}</h2>
            <div class="toolbar week-toolbar">
                <button type="button" class="btn btn-small" id="week-prev" on:click=move |_| monday.update(|d| *d -= TimeDelta::days(7))>
                    {wt("← 上一周", "← Previous week")}
                </button>
                <button type="button" class="btn btn-small" id="week-today" on:click=move |_| monday.set(monday_of(browser_today()))>
                    {wt("本周", "This week")}
                </button>
                <button type="button" class="btn btn-small" id="week-next" on:click=move |_| monday.update(|d| *d += TimeDelta::days(7))>
                    {wt("下一周 →", "Next week →")}
                </button>
                <strong id="week-range">{range}</strong>
                <span class="spacer"></span>
                <label class="check">
                    <input type="checkbox" id="week-mine" prop:checked=move || mine.get() on:change=move |ev| mine.set(event_target_checked(&ev))/>
                    {wt("只看我的", "Mine only")}
                </label>
                <label class="check">
                    <input type="checkbox" id="week-plan-only" prop:checked=move || plan_only.get() on:change=move |ev| plan_only.set(event_target_checked(&ev))/>
                    {wt("只看半年计划", "Coverage plan only")}
                </label>
                <div class="segmented" role="group">
                    <button type="button" id="view-calendar" class=move || if as_list.get() { "btn btn-small" } else { "btn btn-small btn-primary" } on:click=move |_| as_list.set(false)>
                        {wt("日历", "Calendar")}
                    </button>
                    <button type="button" id="view-list" class=move || if as_list.get() { "btn btn-small btn-primary" } else { "btn btn-small" } on:click=move |_| as_list.set(true)>
                        {wt("列表", "List")}
                    </button>
                </div>
            </div>
            {html_block("week-tasks", html, |_, _| {})}
        </section>
    }
    .into_any()
}

/// A rate in percent, "—" when nothing is measured yet.
pub(crate) fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(
        || "—".to_owned(),
        |r| format!("{}%", i18n::format_number(r, 1, 1)),
    )
}

fn effectiveness_table(
    rows: &[&EffectivenessRow],
    windows: &[i64],
    lang: Lang,
    class: &str,
    first: &str,
) -> String {
    let window_headers: Vec<String> = windows
        .iter()
        .map(|d| match lang {
            Lang::Zh => format!("{d} 天恢复率"),
            Lang::En => format!("Recovered within {d} days"),
        })
        .collect();
    let mut headers = vec![
        first,
        w(lang, "走访次数", "Visits"),
        w(lang, "现分类已恢复", "Class recovered"),
    ];
    headers.extend(window_headers.iter().map(String::as_str));
    let mut table = HtmlTable::new(class, &headers);
    for r in rows {
        table.row("effectiveness-row", &format!("data-id=\"{}\"", r.id));
        table.cell(headers[0], "cell-name", &esc(&r.name));
        table.cell(headers[1], "num", &i18n::format_count(r.visits));
        table.cell(headers[2], "num", &i18n::format_count(r.class_recovered));
        for (i, days) in windows.iter().enumerate() {
            let cell = match r.windows.iter().find(|f| f.days == *days) {
                Some(f) => format!(
                    "<strong class=\"rate\">{}</strong><br><span class=\"muted small\">{}</span>",
                    rate_text(f.recovery_rate),
                    esc(&match lang {
                        Lang::Zh => format!(
                            "{}/{} 次 · 前 {} → 后 {}",
                            f.recovered,
                            f.measured,
                            i18n::format_tonnes(f.before_t, lang),
                            i18n::format_tonnes(f.after_t, lang)
                        ),
                        Lang::En => format!(
                            "{}/{} visits · before {} → after {}",
                            f.recovered,
                            f.measured,
                            i18n::format_tonnes(f.before_t, lang),
                            i18n::format_tonnes(f.after_t, lang)
                        ),
                    })
                ),
                None => "—".to_owned(),
            };
            table.cell(headers[3 + i], "", &cell);
        }
    }
    table.finish()
}

fn effectiveness_html(r: &EffectivenessReport, lang: Lang) -> String {
    let mut html = format!(
        "<p class=\"muted\" id=\"effectiveness-as-of\">{}</p>",
        esc(&match lang {
            Lang::Zh => format!("截至 {}", i18n::format_date(r.as_of, lang)),
            Lang::En => format!("As of {}", i18n::format_date(r.as_of, lang)),
        })
    );
    html.push_str(&effectiveness_table(
        &[&r.total],
        &r.windows,
        lang,
        "effectiveness-total",
        w(lang, "合计", "Total"),
    ));
    for (title, rows, class, first) in [
        (
            w(lang, "按走访人", "By visitor"),
            &r.assignees,
            "effectiveness-assignees",
            w(lang, "走访人", "Visitor"),
        ),
        (
            w(lang, "按单位", "By org unit"),
            &r.units,
            "effectiveness-units",
            w(lang, "单位", "Unit"),
        ),
    ] {
        html.push_str(&format!("<h3>{}</h3>", esc(title)));
        if rows.is_empty() {
            html.push_str(&format!(
                "<p class=\"muted\">{}</p>",
                w(
                    lang,
                    "过去一年没有动态分类任务的走访",
                    "No visits on dynamic-class tasks in the last year"
                )
            ));
        } else {
            let rows: Vec<&EffectivenessRow> = rows.iter().collect();
            html.push_str(&effectiveness_table(&rows, &r.windows, lang, class, first));
        }
    }
    html
}

/// `/visits/effectiveness`: did the visited declining, at-risk and churned clients buy again?
#[component]
pub fn EffectivenessPage() -> impl IntoView {
    let lang = use_lang();
    let report = get_resource(|| "/api/v1/analytics/effectiveness".to_owned());
    let html = move || {
        let lang = lang.get();
        match loaded::<EffectivenessReport>(report) {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(r)) => effectiveness_html(&r, lang),
        }
    };
    view! {
        <section class="page visits-page effectiveness-page">
            <h1>{wt("走访", "Visits")}</h1>
            {visits_nav()}
            <section class="card section" id="section-effectiveness">
                <h2>{wt("走访成效（闭环）", "Visit effectiveness")}</h2>
                <p class="hint">
                    {wt(
                        "对减量、潜在流失和流失客户的走访任务：比较走访后 30/60/90 天与走访前 90 天的日均销量；日均销量回到走访前水平即为恢复。窗口期满后才计入。",
                        "For visits on tasks raised by the declining, at-risk and churned classes: daily volume in the 30/60/90 days after the visit against the 90 days before; back at the level before counts as recovered. A window counts once it has passed.",
                    )}
                </p>
                {html_block("effectiveness", html, |_, _| {})}
            </section>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_years_read_in_both_languages() {
        assert_eq!(half_year_label("2026-h2", Lang::Zh), "2026年下半年");
        assert_eq!(half_year_label("2027-h1", Lang::Zh), "2027年上半年");
        assert_eq!(half_year_label("2026-h2", Lang::En), "2026 H2");
    }

    #[test]
    fn weeks_start_on_monday() {
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        assert_eq!(monday_of(day("2026-12-03")), day("2026-11-30"));
        assert_eq!(monday_of(day("2026-11-30")), day("2026-11-30"));
        assert_eq!(monday_of(day("2026-12-06")), day("2026-11-30"));
    }

    #[test]
    fn rates_not_yet_measured_are_a_dash() {
        assert_eq!(rate_text(None), "—");
        assert_eq!(rate_text(Some(42.5)), "42.5%");
        assert_eq!(rate_text(Some(100.0)), "100.0%");
    }
}
