//! The client page's intelligence (DESIGN §2.2, §2.3) from `GET /api/v1/clients/{id}/intel`:
//! the current class with its reasons, P(alive) and expected volume at risk; the monthly sales
//! chart by product; grade changes; weekly class snapshots; and churn reasons, with the form
//! that records one (`POST /api/v1/clients/{id}/churn-reasons`) for a churned client.

use crate::api::ApiError;
use crate::charts::{self, chart, PRODUCT_COLOURS};
use crate::components::{
    badge_html, esc, get_resource, html_block, loaded, submit, ErrorBox, FieldErrorsFor, Flash,
    FlashLine, FormNotice, FormStatus, HtmlTable, LabelledInput,
};
use crate::i18n::{self, tr, T};
use crate::pages::dashboard::{class_badge, grade_label, p_alive_text};
use crate::state::{use_app, use_lang};
use domain::analytics::{ClassSnapshot, ClientIntelResponse, GradeChange};
use domain::classification::{ChurnReason, ClientClass};
use domain::sales::{MonthlyVolume, Product};
use domain::Lang;
use leptos::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

/// The loaded intelligence of one client.
pub type IntelData = Memo<Option<Result<ClientIntelResponse, ApiError>>>;

/// Loads the client's intelligence; `reload` fetches it again (after recording a reason).
pub fn intel_data(id: Uuid) -> (IntelData, Callback<()>) {
    let resource = get_resource(move || format!("/api/v1/clients/{id}/intel"));
    // Every load is a change: comparing the old and new figures would only add code.
    let data = Memo::new_with_compare(
        move |_| loaded::<ClientIntelResponse>(resource),
        |_, _| true,
    );
    (data, Callback::new(move |_| resource.refetch()))
}

/// Monthly volume by product as stacked bars over the 24 months of `months` (the client's
/// sales summary); until the by-product figures arrive (or if they cannot), one bar a month.
pub fn sales_chart(data: IntelData, months: Vec<MonthlyVolume>) -> AnyView {
    let lang = use_lang();
    let months = StoredValue::new(months);
    chart(
        "client-sales-chart",
        move || {
            let lang = lang.get();
            data.with(|d| {
                let intel = match d {
                    None => return None,
                    Some(result) => result.as_ref().ok(),
                };
                Some(months.with_value(|m| sales_option(m, intel, lang)))
            })
        },
        None,
        None,
    )
}

fn sales_option(
    months: &[MonthlyVolume],
    intel: Option<&ClientIntelResponse>,
    lang: Lang,
) -> Value {
    let labels: Vec<String> = months
        .iter()
        .enumerate()
        .map(|(i, m)| match i18n::parse_month(&m.month) {
            Some((_, n)) if i == 0 || n == 1 => i18n::format_month(&m.month, lang),
            _ => i18n::format_month_short(&m.month, lang),
        })
        .collect();
    let bar = |name: &str, colour: &str, data: Vec<f64>| {
        json!({
            "name": name,
            "type": "bar",
            "stack": "volume",
            "barMaxWidth": 18,
            "data": data,
            "itemStyle": { "color": colour },
        })
    };
    let series: Vec<Value> = match intel {
        Some(intel) => Product::ALL
            .iter()
            .zip(PRODUCT_COLOURS)
            .filter(|(p, _)| intel.monthly_by_product.iter().any(|v| v.product == **p))
            .map(|(product, colour)| {
                let data = months
                    .iter()
                    .map(|m| {
                        let tonnes: f64 = intel
                            .monthly_by_product
                            .iter()
                            .filter(|v| v.product == *product && v.month == m.month)
                            .map(|v| v.tonnes)
                            .sum();
                        charts::round1(tonnes)
                    })
                    .collect();
                bar(product.label(lang), colour, data)
            })
            .collect(),
        None => vec![bar(
            T::Sales.get(lang),
            "#0b5cab",
            months.iter().map(|m| charts::round1(m.tonnes)).collect(),
        )],
    };
    json!({
        "tooltip": { "trigger": "axis", "axisPointer": { "type": "shadow" } },
        "legend": { "type": "scroll", "top": 0 },
        "grid": { "left": 8, "right": 12, "top": 36, "bottom": 8, "containLabel": true },
        "xAxis": { "type": "category", "data": labels },
        "yAxis": { "type": "value", "name": T::TonnesUnit.get(lang) },
        "series": series,
    })
}

fn sentence(lang: Lang, zh: &str, en: &str) -> String {
    esc(match lang {
        Lang::Zh => zh,
        Lang::En => en,
    })
}

fn item(label: T, lang: Lang, value: &str) -> String {
    format!(
        "<div class=\"item\"><dt>{}</dt><dd>{value}</dd></div>",
        esc(label.get(lang))
    )
}

/// The current class and figures.
fn summary_html(data: &ClientIntelResponse, lang: Lang) -> String {
    let Some(c) = &data.current else {
        return format!("<p class=\"muted\">{}</p>", esc(T::NotComputed.get(lang)));
    };
    let mut grade = esc(grade_label(c.grade, lang));
    if c.key_client {
        grade.push(' ');
        grade.push_str(&badge_html("badge-info", T::KeyClient.get(lang)));
    }
    let quadrant = c.quadrant.map_or("—", |q| q.label(lang));
    let rfm = if c.rfm.r == 0 && c.rfm.f == 0 && c.rfm.m == 0 {
        "—".to_owned()
    } else {
        format!("R{} · F{} · M{}", c.rfm.r, c.rfm.f, c.rfm.m)
    };
    let expected = c
        .expected_purchases_90d
        .map_or_else(|| "—".to_owned(), |n| i18n::format_number(n, 0, 1));
    [
        format!(
            "<p class=\"intel-class\" id=\"intel-class\">{} <span id=\"intel-sentence\">{}</span></p><dl class=\"items items-compact\">",
            class_badge(c.class, lang),
            sentence(lang, &c.sentence_zh, &c.sentence_en)
        ),
        item(T::PAlive, lang, &p_alive_text(c.p_alive)),
        item(
            T::VolumeAtRisk,
            lang,
            &esc(&i18n::format_tonnes(c.expected_volume_at_risk_t, lang)),
        ),
        item(T::ExpectedPurchases90d, lang, &expected),
        item(T::GradeCol, lang, &grade),
        item(T::RfmScores, lang, &rfm),
        item(T::Quadrant, lang, &esc(quadrant)),
        item(
            T::Tonnes90d,
            lang,
            &esc(&i18n::format_tonnes(c.tonnes_90d, lang)),
        ),
        item(
            T::KpiPrepaid,
            lang,
            &esc(&i18n::format_tonnes(c.prepaid_not_lifted_t, lang)),
        ),
        format!(
            "</dl><p class=\"muted small\">{}</p>",
            esc(&T::AsOf
                .get(lang)
                .replace("{}", &i18n::format_date(c.as_of, lang)))
        ),
    ]
    .concat()
}

fn grades_html(changes: &[GradeChange], lang: Lang) -> String {
    if changes.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            esc(T::NoGradeHistory.get(lang))
        );
    }
    let headers = [
        T::EffectiveDate.get(lang),
        T::GradeCol.get(lang),
        T::KeyClient.get(lang),
        T::Tonnes12m.get(lang),
    ];
    let mut table = HtmlTable::new("grade-history", &headers);
    for change in changes.iter().rev() {
        table.row("grade-row", "");
        table.cell(
            headers[0],
            "",
            &i18n::format_date(change.effective_date, lang),
        );
        table.cell(headers[1], "", &esc(grade_label(change.grade, lang)));
        table.cell(headers[2], "", i18n::format_bool(change.key_client, lang));
        table.cell(
            headers[3],
            "num",
            &esc(&i18n::format_tonnes(change.tonnes_12m, lang)),
        );
    }
    table.finish()
}

/// The weekly classes as a strip of coloured cells (oldest left), then the weeks it changed.
fn classes_html(snapshots: &[ClassSnapshot], lang: Lang) -> String {
    if snapshots.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            esc(T::NoClassHistory.get(lang))
        );
    }
    let mut html = String::from("<div class=\"class-strip\" role=\"img\">");
    for s in snapshots {
        html.push_str(&format!(
            "<span class=\"cs cls-{}\" title=\"{} · {} · {}\"></span>",
            s.class.code(),
            i18n::format_date(s.week, lang),
            esc(s.class.label(lang)),
            sentence(lang, &s.sentence_zh, &s.sentence_en)
        ));
    }
    html.push_str("</div><div class=\"class-legend\">");
    for class in ClientClass::ALL {
        if snapshots.iter().any(|s| s.class == *class) {
            html.push_str(&class_badge(*class, lang));
            html.push(' ');
        }
    }
    html.push_str("</div>");
    let headers = [
        T::Week.get(lang),
        T::FromClass.get(lang),
        T::ToClass.get(lang),
        T::Reason.get(lang),
    ];
    let mut table = HtmlTable::new("class-changes", &headers);
    let mut previous: Option<ClientClass> = None;
    let mut rows = Vec::new();
    for s in snapshots {
        if previous != Some(s.class) {
            rows.push((previous, s));
        }
        previous = Some(s.class);
    }
    for (from, s) in rows.iter().rev() {
        table.row("class-change", "");
        table.cell(headers[0], "", &i18n::format_date(s.week, lang));
        table.cell(
            headers[1],
            "",
            &from.map_or_else(|| "—".to_owned(), |c| class_badge(c, lang)),
        );
        table.cell(headers[2], "", &class_badge(s.class, lang));
        table.cell(
            headers[3],
            "cell-reason",
            &sentence(lang, &s.sentence_zh, &s.sentence_en),
        );
    }
    html.push_str(&table.finish());
    html
}

fn churn_list_html(data: &ClientIntelResponse, lang: Lang) -> String {
    if data.churn_reasons.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            esc(T::NoChurnReasons.get(lang))
        );
    }
    let mut html = String::from("<ul class=\"churn-list\">");
    for r in &data.churn_reasons {
        let mut parts = vec![format!("<strong>{}</strong>", esc(r.reason.label(lang)))];
        if let Some(competitor) = r.competitor.as_deref().filter(|c| !c.is_empty()) {
            parts.push(format!(
                "{}：{}",
                esc(T::Competitor.get(lang)),
                esc(competitor)
            ));
        }
        if let Some(gap) = r.price_gap_yuan_per_t {
            parts.push(format!(
                "{} {} {}",
                esc(T::PriceGapShort.get(lang)),
                i18n::format_number(gap, 0, 2),
                esc(T::YuanPerTonne.get(lang))
            ));
        }
        if let Some(note) = r.note.as_deref().filter(|n| !n.is_empty()) {
            parts.push(esc(note));
        }
        html.push_str(&format!(
            "<li class=\"churn-reason\" data-reason=\"{}\">{}<div class=\"muted small\">{} · {}</div></li>",
            r.reason.code(),
            parts.join(" · "),
            esc(&r.recorded_by_name),
            i18n::format_datetime(r.recorded_at, lang)
        ));
    }
    html.push_str("</ul>");
    html
}

/// The intelligence sections of the client page, placed in its grid.
#[component]
pub fn ClientIntelSections(id: Uuid, data: IntelData, reload: Callback<()>) -> impl IntoView {
    let lang = use_lang();
    let app = use_app();
    let html = move |f: fn(&ClientIntelResponse, Lang) -> String| {
        move || {
            let lang = lang.get();
            data.with(|d| match d {
                Some(Ok(intel)) => f(intel, lang),
                _ => String::new(),
            })
        }
    };
    let error = move || {
        data.with(|d| match d {
            Some(Err(error)) => {
                Some(view! { <ErrorBox error=error.clone() retry=move |_| reload.run(())/> })
            }
            _ => None,
        })
    };
    let churned = Memo::new(move |_| {
        data.with(|d| {
            matches!(d, Some(Ok(i)) if i.current.as_ref().is_some_and(|c| c.class == ClientClass::Churned))
        })
    });
    let show_churn = Memo::new(move |_| {
        churned.get() || data.with(|d| matches!(d, Some(Ok(i)) if !i.churn_reasons.is_empty()))
    });
    view! {
        <section class="card section" id="section-intel">
            <h2>{tr(T::Intel)}</h2>
            {error}
            {html_block("intel-summary", html(summary_html), |_, _| {})}
        </section>
        <section class="card section" id="section-class-history">
            <h2>{tr(T::ClassHistory)}</h2>
            {html_block("class-history", html(|d, lang| classes_html(&d.class_history, lang)), |_, _| {})}
        </section>
        <section class="card section" id="section-grade-history">
            <h2>{tr(T::GradeHistory)}</h2>
            {html_block("grade-history", html(|d, lang| grades_html(&d.grade_history, lang)), |_, _| {})}
        </section>
        <Show when=move || show_churn.get()>
            <section class="card section" id="section-churn">
                <h2>{tr(T::ChurnReasons)}</h2>
                {html_block("churn-reasons", html(churn_list_html), |_, _| {})}
                <Show when=move || churned.get() && app.can_write()>
                    <ChurnReasonForm id=id reload=reload/>
                </Show>
            </section>
        </Show>
    }
}

/// Records why a churned client left.
#[component]
fn ChurnReasonForm(id: Uuid, reload: Callback<()>) -> impl IntoView {
    let status = FormStatus::new();
    let flash: Flash = RwSignal::new(None);
    let reason = RwSignal::new(ChurnReason::Natural);
    let competitor = RwSignal::new(String::new());
    let price_gap = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let is_competitor = move || reason.get() == ChurnReason::Competitor;

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        flash.set(None);
        let reason = reason.get_untracked();
        let text = |s: RwSignal<String>| {
            let value = s.get_untracked().trim().to_owned();
            if value.is_empty() {
                Value::Null
            } else {
                Value::String(value)
            }
        };
        let (competitor_value, gap_value) = if reason == ChurnReason::Competitor {
            // A gap that is not a number goes to the server as typed: its field error, in
            // both languages, is then shown under the field like every other validation.
            let gap = match text(price_gap) {
                Value::String(s) => match s.replace(',', "").parse::<f64>() {
                    Ok(n) if n.is_finite() => json!(n),
                    _ => Value::String(s),
                },
                other => other,
            };
            (text(competitor), gap)
        } else {
            (Value::Null, Value::Null)
        };
        let body = json!({
            "reason": reason.code(),
            "competitor": competitor_value,
            "price_gap_yuan_per_t": gap_value,
            "note": text(note),
        })
        .to_string();
        submit(
            status,
            "POST",
            format!("/api/v1/clients/{id}/churn-reasons"),
            Some(body),
            move |_| {
                competitor.set(String::new());
                price_gap.set(String::new());
                note.set(String::new());
                flash.set(Some((T::ChurnReasonSaved, String::new())));
                reload.run(());
                Ok(())
            },
        );
    };

    view! {
        <form class="churn-form" id="churn-form" on:submit=on_submit novalidate>
            <h3>{tr(T::RecordChurnReason)}</h3>
            <FlashLine flash=flash/>
            <div class="form-grid">
                <div class="field">
                    <label class="field-label" for="churn-reason">{tr(T::ChurnReasonField)}</label>
                    <select
                        id="churn-reason"
                        on:change=move |ev| {
                            if let Some(r) = ChurnReason::from_code(&event_target_value(&ev)) {
                                reason.set(r);
                            }
                        }
                    >
                        {ChurnReason::ALL
                            .iter()
                            .map(|r| {
                                let r = *r;
                                view! { <option value=r.code() prop:selected=move || reason.get_untracked() == r>{label!(r)}</option> }
                            })
                            .collect_view()}
                    </select>
                    <FieldErrorsFor status=status field="reason" label=T::ChurnReasonField/>
                </div>
                <Show when=is_competitor>
                    <LabelledInput id="churn-competitor" label=T::Competitor value=competitor field="competitor" status=status required=true/>
                    <LabelledInput id="churn-price-gap" label=T::PriceGap value=price_gap field="price_gap_yuan_per_t" status=status/>
                </Show>
            </div>
            <div class="field">
                <label class="field-label" for="churn-note">{tr(T::Note)}</label>
                <textarea
                    id="churn-note"
                    name="note"
                    rows="2"
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))
                ></textarea>
                <FieldErrorsFor status=status field="note" label=T::Note/>
            </div>
            <FormNotice status=status/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="churn-submit" prop:disabled=move || status.busy.get()>
                    {tr(T::Record)}
                </button>
            </div>
        </form>
    }
}
