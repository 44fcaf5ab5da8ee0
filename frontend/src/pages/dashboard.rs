//! `/` and `/dashboard`: the managers' dashboard (DESIGN §5) from
//! `GET /api/v1/analytics/dashboard`: KPI tiles, clients by dynamic class, clients by grade per
//! org unit (click a unit to drill into it), the volume trend by product with the year-ago
//! months dashed, class transitions, and the clients to act on: expected volume at risk and
//! prepaid not lifted. Then the half-year's visit coverage and the visits' recovery rates (the
//! tables are the plans page's), and the archive overview below.
//!
//! Charts are ECharts options built here as JSON ([`crate::charts`]); tables and tiles are HTML
//! text (see `components`), which keeps the WASM small.

use crate::api::ApiError;
use crate::charts::{self, chart, CLASS_COLOURS, GRADE_COLOURS, PRODUCT_COLOURS};
use crate::components::{
    esc, get_resource, html_block, loaded, org_unit_list, parse_uuid, submit, ErrorBox, FormNotice,
    FormStatus, HtmlTable, LoadingLine,
};
use crate::i18n::{self, tr, T};
use crate::pages::archive::ArchiveOverview;
use crate::pages::plans::{coverage_table, current_half_year, half_year_label, rate_text};
use crate::state::{use_app, use_lang};
use chrono::Datelike;
use domain::analytics::{DashboardClientRow, DashboardResponse, TransitionsSummary};
use domain::classification::ClientClass;
use domain::effectiveness::EffectivenessReport;
use domain::grading::Grade;
use domain::org::{OrgLevel, OrgUnit, Role};
use domain::sales::Product;
use domain::visit::CoverageReport;
use domain::Lang;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::{json, Value};
use uuid::Uuid;

type Loaded = Option<Result<DashboardResponse, ApiError>>;

/// The computed figures, when they are loaded and have been computed at least once.
fn figures<R>(data: &Loaded, f: impl FnOnce(&DashboardResponse) -> R) -> Option<R> {
    match data {
        Some(Ok(d)) if d.as_of.is_some() => Some(f(d)),
        _ => None,
    }
}

/// The dashboard page.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let lang = use_lang();
    let app = use_app();
    let query = use_query_map();
    let units = org_unit_list();
    let unit = Memo::new(move |_| query.with(|q| q.get("unit")).and_then(|u| parse_uuid(&u)));
    let resource = get_resource(move || match unit.get() {
        Some(id) => format!("/api/v1/analytics/dashboard?org_unit_id={id}"),
        None => "/api/v1/analytics/dashboard".to_owned(),
    });
    // Every load is a change: comparing the old and new figures would only add code.
    let data: Memo<Loaded> =
        Memo::new_with_compare(move |_| loaded::<DashboardResponse>(resource), |_, _| true);
    let ready = Memo::new(move |_| data.with(|d| figures(d, |_| ()).is_some()));

    let crumbs = move || {
        let lang = lang.get();
        let (root, own_unit) = app
            .user
            .with(|u| {
                u.as_ref()
                    .map(|u| (u.org_unit_name.clone(), Some(u.org_unit_id)))
            })
            .unwrap_or_else(|| (T::WholeScope.get(lang).to_owned(), None));
        let mut html = format!("<a href=\"/dashboard\">{}</a>", esc(&root));
        if let Some(id) = unit.get() {
            for (id, name) in units.with(|all| chain_below(all, id, own_unit)) {
                html.push_str(&format!(
                    " <span aria-hidden=\"true\">›</span> <a href=\"/dashboard?unit={id}\">{}</a>",
                    esc(&name)
                ));
            }
        }
        html
    };
    let as_of = move || {
        let lang = lang.get();
        data.with(|d| figures(d, |d| d.as_of))
            .flatten()
            .map(|date| {
                T::AsOf
                    .get(lang)
                    .replace("{}", &i18n::format_date(date, lang))
            })
            .unwrap_or_default()
    };

    let status_view = move || -> AnyView {
        data.with(|d| match d {
            None => view! { <LoadingLine/> }.into_any(),
            Some(Err(error)) => {
                view! { <ErrorBox error=error.clone() retry=move |_| resource.refetch()/> }
                    .into_any()
            }
            Some(Ok(d)) if d.as_of.is_none() => {
                view! { <NotComputed on_done=Callback::new(move |_| resource.refetch())/> }
                    .into_any()
            }
            Some(Ok(_)) => ().into_any(),
        })
    };

    view! {
        <section class="page intel-page" id="intel-dashboard">
            <div class="page-header">
                <div>
                    <h1>{tr(T::Dashboard)} " · " {tr(T::IntelTitle)}</h1>
                    <nav class="crumbs" id="intel-scope" aria-label="scope" inner_html=crumbs></nav>
                </div>
                <div class="muted" id="intel-as-of">{as_of}</div>
            </div>
            {status_view}
            <Show when=move || ready.get()>
                <IntelSections data=data/>
            </Show>
            <FieldSection/>
            <ServiceSection/>
            <ArchiveOverview embedded=true/>
        </section>
    }
}

/// The units from below the signed-in user's own unit (or the province) down to `id`.
fn chain_below(all: &[OrgUnit], id: Uuid, own_unit: Option<Uuid>) -> Vec<(Uuid, String)> {
    let mut chain = Vec::new();
    let mut current = Some(id);
    while let Some(unit) = current.and_then(|id| all.iter().find(|u| u.id == id)) {
        if unit.level == OrgLevel::Province || Some(unit.id) == own_unit || chain.len() > 8 {
            break;
        }
        chain.push((unit.id, unit.name.clone()));
        current = unit.parent_id;
    }
    // A unit outside the loaded tree still shows where the figures come from.
    if chain.is_empty() && Some(id) != own_unit {
        if let Some(unit) = all.iter().find(|u| u.id == id) {
            chain.push((unit.id, unit.name.clone()));
        }
    }
    chain.reverse();
    chain
}

/// Shown before the first computation; administrators can start it.
#[component]
fn NotComputed(on_done: Callback<()>) -> impl IntoView {
    let app = use_app();
    let status = FormStatus::new();
    let is_admin = move || {
        app.user
            .with(|u| u.as_ref().is_some_and(|u| u.role == Role::Admin))
    };
    let run = move |_| {
        let now = js_sys::Date::new_0();
        let today = format!(
            "{:04}-{:02}-{:02}",
            now.get_full_year(),
            now.get_month() + 1,
            now.get_date()
        );
        let body = json!({ "as_of": today }).to_string();
        submit(
            status,
            "POST",
            "/api/v1/jobs/recompute_intel/run".to_owned(),
            Some(body),
            move |_| {
                on_done.run(());
                Ok(())
            },
        );
    };
    view! {
        <div class="card empty-state" id="intel-not-computed">
            <p>{tr(T::IntelNotComputed)}</p>
            <Show when=is_admin>
                <button type="button" class="btn btn-primary" id="intel-recompute" on:click=run prop:disabled=move || status.busy.get()>
                    {move || if status.busy.get() { tr(T::Recomputing)() } else { tr(T::RecomputeNow)() }}
                </button>
            </Show>
            <FormNotice status=status/>
        </div>
    }
}

/// Every section of the figures.
#[component]
fn IntelSections(data: Memo<Loaded>) -> impl IntoView {
    let lang = use_lang();
    let navigate = use_navigate();
    let drill = move |index: u32| {
        let id = data.with_untracked(|d| {
            figures(d, |d| d.units.get(index as usize).map(|u| u.org_unit_id)).flatten()
        });
        if let Some(id) = id {
            navigate(&format!("/dashboard?unit={id}"), Default::default());
        }
    };
    let unit_count = move || data.with(|d| figures(d, |d| d.units.len()).unwrap_or(0));
    let units_height = Signal::derive(move || (unit_count() as u32 * 30 + 72).max(200));

    let class_chart = chart(
        "chart-class",
        move || data.with(|d| figures(d, |d| class_option(d, lang.get()))),
        None,
        None,
    );
    let units_chart = chart(
        "chart-units",
        move || data.with(|d| figures(d, |d| units_option(d, lang.get()))),
        Some(units_height),
        Some(Box::new(drill)),
    );
    let trend_chart = chart(
        "chart-trend",
        move || data.with(|d| figures(d, |d| trend_option(d, lang.get()))),
        None,
        None,
    );
    let html = move |f: fn(&DashboardResponse, Lang) -> String| {
        move || {
            let lang = lang.get();
            data.with(|d| figures(d, |d| f(d, lang)).unwrap_or_default())
        }
    };

    view! {
        <div class="intel-kpis" id="intel-kpis" inner_html=html(kpis_html)></div>
        <div class="intel-grid">
            <section class="card section" id="section-classes">
                <h2>{tr(T::ChartClasses)}</h2>
                {class_chart}
            </section>
            <section class="card section" id="section-units">
                <h2>{tr(T::ChartUnitGrades)}</h2>
                <Show
                    when=move || { unit_count() > 0 }
                    fallback=|| view! { <p class="muted">{tr(T::NoSubUnits)}</p> }
                >
                    <p class="hint">{tr(T::UnitsHint)}</p>
                </Show>
                <div class:hidden=move || unit_count() == 0>{units_chart}</div>
                {html_block("unit-list", html(units_html), |_, _| {})}
            </section>
            <section class="card section span-all" id="section-trend">
                <div class="toolbar">
                    <h2>{tr(T::ChartTrend)}</h2>
                    <span class="badge badge-info" id="trend-yoy" inner_html=html(yoy_html)></span>
                </div>
                {trend_chart}
            </section>
            <section class="card section" id="section-transitions-week">
                <h2>{tr(T::TransitionsWeek)}</h2>
                {html_block("transitions-week", html(|d, lang| transitions_html(&d.transitions_week, lang)), |_, _| {})}
            </section>
            <section class="card section" id="section-transitions-month">
                <h2>{tr(T::TransitionsMonth)}</h2>
                {html_block("transitions-month", html(|d, lang| transitions_html(&d.transitions_month, lang)), |_, _| {})}
            </section>
            <section class="card section span-all" id="section-at-risk">
                <h2>{tr(T::TopAtRisk)}</h2>
                {html_block("at-risk-table", html(|d, lang| clients_html(&d.top_at_risk, lang, false)), |_, _| {})}
            </section>
            <section class="card section span-all" id="section-prepaid">
                <h2>{tr(T::TopPrepaid)}</h2>
                {html_block("prepaid-table", html(|d, lang| clients_html(&d.top_prepaid, lang, true)), |_, _| {})}
            </section>
        </div>
    }
}

/// How many of the counties furthest behind the section lists.
const LOWEST_COUNTIES: usize = 5;

/// The current half-year's visit coverage and the recovery of the visited clients
/// (`GET /api/v1/plans/coverage`, `GET /api/v1/analytics/effectiveness`), with the counties
/// furthest behind and links to the full pages. Both are live, over the signed-in user's scope.
#[component]
fn FieldSection() -> impl IntoView {
    let lang = use_lang();
    let half = current_half_year();
    let coverage = get_resource(move || format!("/api/v1/plans/coverage?half_year={half}"));
    let effectiveness = get_resource(|| "/api/v1/analytics/effectiveness".to_owned());
    let failed =
        |e: ApiError, lang: Lang| format!("<p class=\"error\">{}</p>", esc(&e.message(lang)));
    let kpis = move || {
        let lang = lang.get();
        let mut html = match loaded::<CoverageReport>(coverage) {
            None => String::new(),
            Some(Err(e)) => failed(e, lang),
            Some(Ok(r)) => coverage_tile(&r, lang),
        };
        html.push_str(&match loaded::<EffectivenessReport>(effectiveness) {
            None => String::new(),
            Some(Err(e)) => failed(e, lang),
            Some(Ok(r)) => effectiveness_tiles(&r, lang),
        });
        html
    };
    let counties = move || {
        let lang = lang.get();
        match loaded::<CoverageReport>(coverage) {
            Some(Ok(r)) => coverage_table(
                &r.units[..r.units.len().min(LOWEST_COUNTIES)],
                lang,
                "field-counties",
                T::County.get(lang),
            ),
            None => format!("<p class=\"muted\">{}</p>", esc(T::Loading.get(lang))),
            Some(Err(_)) => String::new(),
        }
    };
    view! {
        <section class="card section" id="section-field">
            <h2>{tr(T::FieldTitle)}</h2>
            <div class="intel-kpis" id="field-kpis" inner_html=kpis></div>
            <h3>{tr(T::LowestCounties)}</h3>
            {html_block("field-lowest", counties, |_, _| {})}
            <p class="toolbar">
                <a href="/visits/plans" id="field-to-plans">{tr(T::GoToPlans)}</a>
                <a href="/visits/effectiveness" id="field-to-effectiveness">{tr(T::GoToEffectiveness)}</a>
            </p>
        </section>
    }
}

/// The last 90 days' client-service figures (`GET /api/v1/service/report`) over the signed-in
/// user's scope, linking to the SLA board.
#[component]
fn ServiceSection() -> impl IntoView {
    let lang = use_lang();
    let report = get_resource(|| "/api/v1/service/report".to_owned());
    let kpis = move || {
        let lang = lang.get();
        match loaded::<domain::service::ServiceReport>(report) {
            None => format!("<p class=\"muted\">{}</p>", esc(T::Loading.get(lang))),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(r)) => crate::pages::service::figure_tiles(&r.total, lang, "kpi-service"),
        }
    };
    view! {
        <section class="card section" id="section-service">
            <h2>{tr(T::Service)} " · " {crate::pages::visits::wt("近 90 天", "last 90 days")}</h2>
            <div class="intel-kpis" id="service-kpis" inner_html=kpis></div>
            <p class="toolbar">
                <a href="/service/board" id="service-to-board">
                    {crate::pages::visits::wt("服务时效看板 →", "Service SLA board →")}
                </a>
            </p>
        </section>
    }
}

fn coverage_tile(r: &CoverageReport, lang: Lang) -> String {
    let total = &r.total;
    kpi_tile(
        "kpi-coverage",
        &T::KpiCoverage
            .get(lang)
            .replace("{}", &half_year_label(&r.half_year, lang)),
        &rate_text(Some(total.percent)),
        &T::KpiCoverageNote
            .get(lang)
            .replacen("{}", &i18n::format_count(total.due), 1)
            .replacen("{}", &i18n::format_count(total.covered), 1),
    )
}

/// The visits counted and one tile per recovery window (30/60/90 days).
fn effectiveness_tiles(r: &EffectivenessReport, lang: Lang) -> String {
    let mut html = kpi_tile(
        "kpi-field-visits",
        T::KpiFieldVisits.get(lang),
        &i18n::format_count(r.total.visits),
        &T::AsOf
            .get(lang)
            .replace("{}", &i18n::format_date(r.as_of, lang)),
    );
    for days in &r.windows {
        let figure = r.total.windows.iter().find(|f| f.days == *days);
        let note = figure.map_or_else(String::new, |f| {
            T::KpiRecoveryNote
                .get(lang)
                .replacen("{}", &i18n::format_count(f.recovered), 1)
                .replacen("{}", &i18n::format_count(f.measured), 1)
        });
        html.push_str(&kpi_tile(
            &format!("kpi-recovery-{days}"),
            &T::KpiRecovery.get(lang).replace("{}", &days.to_string()),
            &rate_text(figure.and_then(|f| f.recovery_rate)),
            &note,
        ));
    }
    html
}

fn class_count(d: &DashboardResponse, class: ClientClass) -> u64 {
    d.by_class
        .iter()
        .find(|c| c.class == class)
        .map_or(0, |c| c.clients)
}

/// One KPI tile (HTML).
fn kpi_tile(id: &str, label: &str, value: &str, note: &str) -> String {
    format!(
        "<div class=\"intel-kpi\" id=\"{id}\"><span class=\"kpi-label\">{}</span>\
         <span class=\"kpi-value\">{}</span><span class=\"kpi-note\">{}</span></div>",
        esc(label),
        esc(value),
        esc(note)
    )
}

fn kpis_html(d: &DashboardResponse, lang: Lang) -> String {
    let tile = |id: &str, label: T, value: String, note: String| {
        kpi_tile(id, label.get(lang), &value, &note)
    };
    let key = &d.key_clients;
    let key_note = T::KpiKeyShareNote
        .get(lang)
        .replacen("{}", &i18n::format_count(key.key_clients), 1)
        .replacen("{}", &i18n::format_percent(key.client_share), 1);
    let at_risk_note = T::KpiAtRiskNote
        .get(lang)
        .replacen(
            "{}",
            &i18n::format_count(class_count(d, ClientClass::Declining)),
            1,
        )
        .replacen(
            "{}",
            &i18n::format_count(class_count(d, ClientClass::Churned)),
            1,
        );
    [
        tile(
            "kpi-clients",
            T::KpiClients,
            i18n::format_count(d.clients),
            String::new(),
        ),
        tile(
            "kpi-tonnes",
            T::Tonnes12m,
            i18n::format_tonnes(d.tonnes_12m, lang),
            String::new(),
        ),
        tile(
            "kpi-key-share",
            T::KpiKeyShare,
            i18n::format_percent(key.volume_share),
            key_note,
        ),
        tile(
            "kpi-prepaid",
            T::KpiPrepaid,
            i18n::format_tonnes(d.prepaid_not_lifted_t, lang),
            String::new(),
        ),
        tile(
            "kpi-at-risk",
            T::KpiAtRisk,
            i18n::format_count(class_count(d, ClientClass::AtRisk)),
            at_risk_note,
        ),
    ]
    .concat()
}

/// A class as a coloured label (HTML).
pub fn class_badge(class: ClientClass, lang: Lang) -> String {
    format!(
        "<span class=\"cls cls-{}\">{}</span>",
        class.code(),
        esc(class.label(lang))
    )
}

/// A grade's label; `None` is "ungraded".
pub fn grade_label(grade: Option<Grade>, lang: Lang) -> &'static str {
    grade.map_or_else(|| T::Ungraded.get(lang), |g| g.label(lang))
}

fn class_option(d: &DashboardResponse, lang: Lang) -> Value {
    let data: Vec<Value> = ClientClass::ALL
        .iter()
        .zip(CLASS_COLOURS)
        .filter_map(|(class, colour)| {
            let clients = class_count(d, *class);
            (clients > 0).then(|| {
                json!({ "name": class.label(lang), "value": clients, "itemStyle": { "color": colour } })
            })
        })
        .collect();
    json!({
        "tooltip": { "trigger": "item", "formatter": "{b}: {c} ({d}%)" },
        "legend": { "type": "scroll", "bottom": 0 },
        "series": [{
            "type": "pie",
            "radius": ["36%", "64%"],
            "center": ["50%", "45%"],
            "label": { "formatter": "{b}\n{c}" },
            "data": data,
        }],
    })
}

const GRADES: [Option<Grade>; 5] = [
    Some(Grade::A),
    Some(Grade::B),
    Some(Grade::C),
    Some(Grade::D),
    None,
];

fn units_option(d: &DashboardResponse, lang: Lang) -> Value {
    let names: Vec<&str> = d.units.iter().map(|u| u.name.as_str()).collect();
    let series: Vec<Value> = GRADES
        .iter()
        .zip(GRADE_COLOURS)
        .map(|(grade, colour)| {
            let values: Vec<u64> = d
                .units
                .iter()
                .map(|u| {
                    u.by_grade
                        .iter()
                        .find(|c| c.grade == *grade)
                        .map_or(0, |c| c.clients)
                })
                .collect();
            json!({
                "name": grade_label(*grade, lang),
                "type": "bar",
                "stack": "clients",
                "barMaxWidth": 22,
                "data": values,
                "itemStyle": { "color": colour },
                "emphasis": { "focus": "series" },
                "cursor": "pointer",
            })
        })
        .collect();
    json!({
        "tooltip": { "trigger": "axis", "axisPointer": { "type": "shadow" } },
        "legend": { "top": 0 },
        "grid": { "left": 8, "right": 20, "top": 34, "bottom": 8, "containLabel": true },
        "xAxis": { "type": "value", "minInterval": 1 },
        "yAxis": { "type": "category", "data": names, "inverse": true },
        "series": series,
    })
}

/// A month on a chart axis: the year shows on January and on the first month.
fn month_label(month: &str, first: bool, lang: Lang) -> String {
    match i18n::parse_month(month) {
        Some((_, m)) if first || m == 1 => i18n::format_month(month, lang),
        _ => i18n::format_month_short(month, lang),
    }
}

/// The month (`YYYY-MM`) the figures' date falls in, when that date is not its last day: its
/// volume so far is not comparable with a whole month.
fn partial_month(as_of: Option<chrono::NaiveDate>) -> Option<(String, u32)> {
    let as_of = as_of?;
    let next = as_of.succ_opt()?;
    (next.month() == as_of.month()).then(|| {
        (
            format!("{:04}-{:02}", as_of.year(), as_of.month()),
            as_of.day(),
        )
    })
}

fn trend_option(d: &DashboardResponse, lang: Lang) -> Value {
    let mut months: Vec<&str> = d.volume_trend.iter().map(|p| p.month.as_str()).collect();
    months.sort_unstable();
    months.dedup();
    let partial = partial_month(d.as_of);
    let labels: Vec<String> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let label = month_label(m, i == 0, lang);
            match &partial {
                // The month so far: "12月1–2日" / "Dec 1–2".
                Some((month, day)) if month == m => match lang {
                    Lang::Zh => format!("{}1–{day}日", label),
                    Lang::En => format!("{label} 1–{day}"),
                },
                _ => label,
            }
        })
        .collect();
    let mut series = Vec::new();
    for (product, colour) in Product::ALL.iter().zip(PRODUCT_COLOURS) {
        let points: Vec<_> = d
            .volume_trend
            .iter()
            .filter(|p| p.product == *product)
            .collect();
        if points
            .iter()
            .all(|p| p.tonnes <= 0.0 && p.tonnes_year_ago.unwrap_or(0.0) <= 0.0)
        {
            continue;
        }
        let values = |year_ago: bool| -> Vec<Value> {
            months
                .iter()
                .map(|m| {
                    points
                        .iter()
                        .find(|p| p.month == *m)
                        .and_then(|p| {
                            if year_ago {
                                p.tonnes_year_ago
                            } else {
                                Some(p.tonnes)
                            }
                        })
                        .map_or(Value::Null, |t| json!(charts::round1(t)))
                })
                .collect()
        };
        let name = product.label(lang);
        let year_ago_name = match lang {
            Lang::Zh => format!("{name}（{}）", T::YearAgo.get(lang)),
            Lang::En => format!("{name} ({})", T::YearAgo.get(lang)),
        };
        series.push(json!({
            "name": name,
            "type": "line",
            "data": values(false),
            "symbolSize": 5,
            "lineStyle": { "color": colour, "width": 2 },
            "itemStyle": { "color": colour },
        }));
        series.push(json!({
            "name": year_ago_name,
            "type": "line",
            "data": values(true),
            "symbol": "none",
            "lineStyle": { "color": colour, "width": 1.5, "type": "dashed", "opacity": 0.7 },
            "itemStyle": { "color": colour },
        }));
    }
    json!({
        "tooltip": { "trigger": "axis" },
        "legend": { "type": "scroll", "bottom": 0 },
        "grid": { "left": 8, "right": 16, "top": 36, "bottom": 40, "containLabel": true },
        "xAxis": { "type": "category", "data": labels, "boundaryGap": false },
        "yAxis": { "type": "value", "name": T::TonnesUnit.get(lang) },
        "series": series,
    })
}

/// Year-on-year change of the whole months that have a year-ago figure.
fn yoy_html(d: &DashboardResponse, lang: Lang) -> String {
    let partial = partial_month(d.as_of).map(|(month, _)| month);
    let (now, before) = d
        .volume_trend
        .iter()
        .filter(|p| partial.as_deref() != Some(p.month.as_str()))
        .filter_map(|p| p.tonnes_year_ago.map(|y| (p.tonnes, y)))
        .fold((0.0, 0.0), |(a, b), (t, y)| (a + t, b + y));
    if before <= 0.0 {
        return String::new();
    }
    let change = now / before - 1.0;
    let sign = if change > 0.0 { "+" } else { "" };
    format!(
        "{} {sign}{}",
        esc(T::YearOnYear.get(lang)),
        i18n::format_percent(change)
    )
}

fn units_html(d: &DashboardResponse, lang: Lang) -> String {
    if d.units.is_empty() {
        return String::new();
    }
    let headers = [
        T::OrgUnit.get(lang),
        T::KpiClients.get(lang),
        T::Tonnes12m.get(lang),
        "A",
        "B",
        "C",
        "D",
    ];
    let mut table = HtmlTable::new("unit-table", &headers);
    for u in &d.units {
        table.row("unit-row", &format!("data-unit=\"{}\"", u.org_unit_id));
        table.cell(
            headers[0],
            "cell-name",
            &format!(
                "<a class=\"unit-link\" href=\"/dashboard?unit={}\">{}</a>",
                u.org_unit_id,
                esc(&u.name)
            ),
        );
        table.cell(headers[1], "num", &i18n::format_count(u.clients));
        table.cell(
            headers[2],
            "num",
            &esc(&i18n::format_tonnes(u.tonnes_12m, lang)),
        );
        for (i, grade) in [Grade::A, Grade::B, Grade::C, Grade::D].iter().enumerate() {
            let n = u
                .by_grade
                .iter()
                .find(|c| c.grade == Some(*grade))
                .map_or(0, |c| c.clients);
            table.cell(headers[3 + i], "num", &i18n::format_count(n));
        }
    }
    table.finish()
}

fn transitions_html(t: &TransitionsSummary, lang: Lang) -> String {
    let weeks = match (t.from_week, t.to_week) {
        (Some(from), Some(to)) => format!(
            "<p class=\"muted small\">{} → {}</p>",
            i18n::format_date(from, lang),
            i18n::format_date(to, lang)
        ),
        _ => String::new(),
    };
    if t.changes.is_empty() {
        return format!(
            "{weeks}<p class=\"muted\">{}</p>",
            esc(T::NoTransitions.get(lang))
        );
    }
    let headers = [
        T::FromClass.get(lang),
        T::ToClass.get(lang),
        T::KpiClients.get(lang),
    ];
    let mut table = HtmlTable::new("transition-table", &headers);
    for change in &t.changes {
        table.row("transition-row", "");
        table.cell(headers[0], "", &class_badge(change.from, lang));
        table.cell(headers[1], "", &class_badge(change.to, lang));
        table.cell(headers[2], "num", &i18n::format_count(change.clients));
    }
    format!(
        "{weeks}<p><strong>{}</strong></p>{}",
        esc(&T::ClientsChanged
            .get(lang)
            .replace("{}", &i18n::format_count(t.changed))),
        table.finish()
    )
}

/// P(alive) as a percentage, or a dash.
pub fn p_alive_text(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), i18n::format_percent)
}

fn clients_html(rows: &[DashboardClientRow], lang: Lang, prepaid: bool) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{}</p>", esc(T::NoneListed.get(lang)));
    }
    let headers: Vec<&str> = if prepaid {
        vec![
            T::EntityClient.get(lang),
            T::ClientClassCol.get(lang),
            T::GradeCol.get(lang),
            T::Tonnes90d.get(lang),
            T::KpiPrepaid.get(lang),
        ]
    } else {
        vec![
            T::EntityClient.get(lang),
            T::ClientClassCol.get(lang),
            T::GradeCol.get(lang),
            T::PAlive.get(lang),
            T::VolumeAtRisk.get(lang),
            T::Reason.get(lang),
        ]
    };
    let mut table = HtmlTable::new(
        if prepaid {
            "prepaid-table"
        } else {
            "risk-table"
        },
        &headers,
    );
    let label = |i: usize| headers.get(i).copied().unwrap_or_default();
    for row in rows {
        table.row("intel-row", &format!("data-client=\"{}\"", row.client_id));
        table.cell(
            label(0),
            "cell-name",
            &format!(
                "<a href=\"/clients/{}\">{}</a>",
                row.client_id,
                esc(&row.client_name)
            ),
        );
        table.cell(label(1), "", &class_badge(row.class, lang));
        table.cell(label(2), "", &esc(grade_label(row.grade, lang)));
        if prepaid {
            table.cell(
                label(3),
                "num",
                &esc(&i18n::format_tonnes(row.tonnes_90d, lang)),
            );
            table.cell(
                label(4),
                "num",
                &esc(&i18n::format_tonnes(row.prepaid_not_lifted_t, lang)),
            );
        } else {
            table.cell(label(3), "num", &p_alive_text(row.p_alive));
            table.cell(
                label(4),
                "num",
                &esc(&i18n::format_tonnes(row.expected_volume_at_risk_t, lang)),
            );
            let sentence = match lang {
                Lang::Zh => &row.sentence_zh,
                Lang::En => &row.sentence_en,
            };
            table.cell(label(5), "cell-reason", &esc(sentence));
        }
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: u128, parent: Option<u128>, level: OrgLevel, name: &str) -> OrgUnit {
        OrgUnit {
            id: Uuid::from_u128(id),
            parent_id: parent.map(Uuid::from_u128),
            level,
            name: name.into(),
            code: String::new(),
            base_lat: None,
            base_lon: None,
        }
    }

    #[test]
    fn the_scope_chain_starts_below_the_province() {
        let all = [
            unit(1, None, OrgLevel::Province, "湖南省"),
            unit(2, Some(1), OrgLevel::City, "长沙市"),
            unit(3, Some(2), OrgLevel::County, "岳麓区"),
        ];
        let names: Vec<String> = chain_below(&all, Uuid::from_u128(3), None)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["长沙市", "岳麓区"]);
        // A city leader's own unit is the root of the crumbs already.
        let names: Vec<String> = chain_below(&all, Uuid::from_u128(3), Some(Uuid::from_u128(2)))
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["岳麓区"]);
    }

    #[test]
    fn recovery_tiles_show_a_dash_until_a_window_is_measured() {
        let mut total = domain::effectiveness::EffectivenessRow::new(Uuid::nil(), "合计".into());
        total.visits = 1234;
        total.windows[0].measured = 8;
        total.windows[0].recovered = 3;
        total.finish();
        let report = EffectivenessReport {
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"),
            windows: vec![30, 60, 90],
            total,
            assignees: Vec::new(),
            units: Vec::new(),
        };
        let html = effectiveness_tiles(&report, Lang::Zh);
        assert!(html.contains("id=\"kpi-field-visits\""));
        assert!(html.contains("<span class=\"kpi-value\">1,234</span>"));
        assert!(html.contains("30 天恢复率</span><span class=\"kpi-value\">37.5%</span>"));
        assert!(html.contains("3/8 次恢复"));
        assert!(html.contains("90 天恢复率</span><span class=\"kpi-value\">—</span>"));
    }

    #[test]
    fn a_month_is_partial_until_its_last_day() {
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d);
        assert_eq!(partial_month(day(12, 2)), Some(("2026-12".to_owned(), 2)));
        assert_eq!(partial_month(day(11, 30)), None);
        assert_eq!(partial_month(day(2, 28)), None);
        assert_eq!(partial_month(None), None);
    }

    #[test]
    fn months_on_the_axis_show_the_year_in_january_and_first() {
        assert_eq!(month_label("2026-03", true, Lang::Zh), "2026年3月");
        assert_eq!(month_label("2026-04", false, Lang::Zh), "4月");
        assert_eq!(month_label("2027-01", false, Lang::En), "Jan 2027");
    }
}
