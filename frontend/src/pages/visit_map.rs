//! `/visits/map`: the clients in the caller's scope coloured by dynamic class, the check-ins of
//! the last 30 days, and the coverage by county — drawn by Leaflet (npm `leaflet`, served as a
//! hashed asset and loaded only by this page, like ECharts in `charts`).
//!
//! Without a tile server (the default: these machines have no internet) the points are drawn on
//! a plain background, fitted to their bounds; with `tile_url` the tiles go underneath.

use crate::charts::CLASS_COLOURS;
use crate::components::{esc, get_resource, html_block, loaded};
use crate::i18n;
use crate::pages::plans::{coverage_table, current_half_year, half_year_label};
use crate::pages::visits::{visits_nav, w, wt};
use crate::state::use_lang;
use domain::checkin::CheckInVerdict;
use domain::classification::ClientClass;
use domain::visit::{CoverageReport, VisitMap};
use domain::Lang;
use leptos::prelude::*;
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const maps = new Map();
let loading = null;

function leafletReady() {
  if (window.L && window.L.map) return Promise.resolve(window.L);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.querySelector('meta[name="ygj-leaflet-css"]');
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = css ? css.content : '/leaflet.css';
      document.head.appendChild(link);
      const meta = document.querySelector('meta[name="ygj-leaflet"]');
      const script = document.createElement('script');
      script.src = meta ? meta.content : '/leaflet.js';
      script.async = true;
      script.onload = () => (window.L ? resolve(window.L) : reject(new Error('leaflet')));
      script.onerror = () => {
        loading = null;
        script.remove();
        link.remove();
        reject(new Error('leaflet did not load'));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

function drawLayers(L, entry, data) {
  for (const layer of Object.values(entry.layers)) layer.remove();
  entry.layers = {};
  for (const group of data.layers) {
    const layer = L.layerGroup();
    for (const p of group.points) {
      const marker = L.circleMarker([p.lat, p.lon], {
        radius: group.radius,
        color: group.stroke,
        weight: group.weight,
        fillColor: p.fill,
        fillOpacity: group.opacity,
      });
      marker.bindPopup(p.popup);
      marker.bindTooltip(p.tip);
      marker.addTo(layer);
    }
    if (entry.hidden[group.name] !== true) layer.addTo(entry.map);
    entry.layers[group.name] = layer;
  }
  entry.el.dataset.points = String(data.layers.reduce((n, g) => n + g.points.length, 0));
}

export function map_init(el, key, json, failed) {
  maps.set(key, null);
  leafletReady().then(
    (L) => {
      // Unmounted while the library loaded.
      if (!maps.has(key)) return;
      const data = JSON.parse(json);
      const map = L.map(el, { attributionControl: !!data.tile_url, zoomSnap: 0.25 });
      if (data.tile_url) L.tileLayer(data.tile_url, { maxZoom: 18 }).addTo(map);
      // Without tiles the scale is the only sense of distance.
      L.control.scale({ imperial: false }).addTo(map);
      const entry = { map, el, layers: {}, hidden: {}, observer: null };
      const points = data.layers.flatMap((g) => g.points.map((p) => [p.lat, p.lon]));
      if (points.length > 0) {
        map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 15 });
      } else {
        map.setView([data.center[0], data.center[1]], 7);
      }
      drawLayers(L, entry, data);
      // Follows the window and every layout change.
      entry.observer = new ResizeObserver(() => map.invalidateSize());
      entry.observer.observe(el);
      maps.set(key, entry);
      el.dataset.ready = 'true';
    },
    () => {
      el.classList.add('map-failed');
      el.textContent = failed;
    },
  );
}

export function map_set_data(key, json) {
  leafletReady().then((L) => {
    const entry = maps.get(key);
    if (entry) drawLayers(L, entry, JSON.parse(json));
  }, () => {});
}

export function map_show(key, name, on) {
  const entry = maps.get(key);
  if (!entry) return;
  entry.hidden[name] = !on;
  const layer = entry.layers[name];
  if (!layer) return;
  if (on) layer.addTo(entry.map);
  else layer.remove();
}

export function map_dispose(key) {
  const entry = maps.get(key);
  maps.delete(key);
  if (entry) {
    entry.observer.disconnect();
    entry.map.remove();
  }
}
"#)]
extern "C" {
    /// Draws a new map into `el` once Leaflet has loaded (`failed` is shown if it cannot).
    fn map_init(el: &web_sys::Element, key: u32, json: &str, failed: &str);
    /// Replaces the points of map `key`, keeping its view.
    fn map_set_data(key: u32, json: &str);
    /// Shows or hides one layer (`clients`, `visits`) of map `key`.
    fn map_show(key: u32, name: &str, on: bool);
    /// Frees map `key`.
    fn map_dispose(key: u32);
}

thread_local! {
    static NEXT_KEY: Cell<u32> = const { Cell::new(1) };
}

/// Colour of clients not yet classified.
const UNCLASSIFIED: &str = "#475569";

/// Colours of the check-in verdicts.
fn verdict_colour(verdict: CheckInVerdict) -> &'static str {
    match verdict {
        CheckInVerdict::Verified => "#111827",
        CheckInVerdict::OffSite => "#e11d48",
        CheckInVerdict::NoClientLocation => "#a3a3a3",
    }
}

fn class_colour(class: Option<ClientClass>) -> &'static str {
    class
        .and_then(|c| ClientClass::ALL.iter().position(|x| *x == c))
        .and_then(|i| CLASS_COLOURS.get(i).copied())
        .unwrap_or(UNCLASSIFIED)
}

fn class_name(class: Option<ClientClass>, lang: Lang) -> &'static str {
    class.map_or_else(|| w(lang, "未分类", "Not classified"), |c| c.label(lang))
}

/// The map's data for the bridge: the two layers with their popups in `lang`.
fn map_data(m: &VisitMap, lang: Lang) -> Value {
    let names: HashMap<_, _> = m.clients.iter().map(|c| (c.id, c.name.as_str())).collect();
    let clients: Vec<Value> = m
        .clients
        .iter()
        .map(|c| {
            let grade = c
                .grade
                .as_deref()
                .map(|g| format!(" · {}{}", esc(g), w(lang, " 级", "")))
                .unwrap_or_default();
            json!({
                "lat": c.lat,
                "lon": c.lon,
                "fill": class_colour(c.class),
                "tip": c.name,
                "popup": format!(
                    "<strong><a href=\"/clients/{}\" class=\"map-client-link\">{}</a></strong><br>{}{grade}",
                    c.id,
                    esc(&c.name),
                    esc(class_name(c.class, lang))
                ),
            })
        })
        .collect();
    let visits: Vec<Value> = m
        .visits
        .iter()
        .map(|v| {
            let client = names.get(&v.client_id).copied().unwrap_or_default();
            let verdict = match v.verdict {
                CheckInVerdict::Verified => w(lang, "已核实", "Verified"),
                CheckInVerdict::OffSite => w(lang, "不在现场", "Off site"),
                CheckInVerdict::NoClientLocation => w(lang, "客户无位置", "No client location"),
            };
            json!({
                "lat": v.lat,
                "lon": v.lon,
                "fill": verdict_colour(v.verdict),
                "tip": format!("{} · {verdict}", client),
                "popup": format!(
                    "<strong>{}</strong><br>{verdict} · {}<br><a href=\"/visits/{}\">{}</a>",
                    esc(client),
                    esc(&i18n::format_datetime(v.received_at, lang)),
                    v.id,
                    w(lang, "查看走访记录", "Open the visit")
                ),
            })
        })
        .collect();
    json!({
        "tile_url": m.tile_url,
        // Changsha, when nothing has a location.
        "center": [28.2, 112.9],
        "layers": [
            { "name": "clients", "radius": 6, "stroke": "#ffffff", "weight": 1, "opacity": 0.9, "points": clients },
            { "name": "visits", "radius": 3, "stroke": "#ffffff", "weight": 0.5, "opacity": 1.0, "points": visits },
        ],
    })
}

/// The legend: each class with its count, and the check-in verdicts.
fn legend_html(m: &VisitMap, lang: Lang) -> String {
    let mut html = String::from("<ul class=\"map-legend\" id=\"map-legend\">");
    let classes = ClientClass::ALL
        .iter()
        .map(|c| Some(*c))
        .chain(std::iter::once(None));
    for class in classes {
        let count = m.clients.iter().filter(|c| c.class == class).count();
        if count == 0 {
            continue;
        }
        html.push_str(&format!(
            "<li><span class=\"dot\" style=\"background:{}\"></span>{} <span class=\"muted\">{}</span></li>",
            class_colour(class),
            esc(class_name(class, lang)),
            i18n::format_count(count as u64)
        ));
    }
    for verdict in [CheckInVerdict::Verified, CheckInVerdict::OffSite] {
        let count = m.visits.iter().filter(|v| v.verdict == verdict).count();
        html.push_str(&format!(
            "<li><span class=\"dot dot-small\" style=\"background:{}\"></span>{} <span class=\"muted\">{}</span></li>",
            verdict_colour(verdict),
            match verdict {
                CheckInVerdict::Verified => w(lang, "打卡：已核实", "Check-in: verified"),
                _ => w(lang, "打卡：不在现场", "Check-in: off site"),
            },
            i18n::format_count(count as u64)
        ));
    }
    html.push_str("</ul>");
    html
}

/// The map page.
#[component]
pub fn VisitMapPage() -> impl IntoView {
    let lang = use_lang();
    let data = get_resource(|| "/api/v1/analytics/map".to_owned());
    let half = current_half_year();
    let coverage_path = format!("/api/v1/plans/coverage?half_year={half}");
    let coverage = get_resource(move || coverage_path.clone());
    let map = Memo::new(move |_| loaded::<VisitMap>(data));
    let show_clients = RwSignal::new(true);
    let show_visits = RwSignal::new(true);
    let node = NodeRef::<leptos::html::Div>::new();
    let key = NEXT_KEY.with(|k| {
        let key = k.get();
        k.set(key.wrapping_add(1));
        key
    });
    let drawn = StoredValue::new(false);
    Effect::new(move |_| {
        let lang = lang.get();
        let (Some(el), Some(Ok(m))) = (node.get(), map.get()) else {
            return;
        };
        let json = map_data(&m, lang).to_string();
        if drawn.get_value() {
            map_set_data(key, &json);
        } else {
            drawn.set_value(true);
            map_init(
                &el,
                key,
                &json,
                w(lang, "地图组件未能加载", "The map could not be loaded"),
            );
        }
    });
    Effect::new(move |_| map_show(key, "clients", show_clients.get()));
    Effect::new(move |_| map_show(key, "visits", show_visits.get()));
    on_cleanup(move || map_dispose(key));
    let summary = move || {
        let lang = lang.get();
        match map.get() {
            None => format!("<p class=\"muted\">{}</p>", w(lang, "加载中…", "Loading…")),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(m)) => format!(
                "<p class=\"total\" id=\"map-total\">{}</p>{}",
                esc(&match lang {
                    Lang::Zh => format!(
                        "有位置的客户 {} 户，近 30 天打卡 {} 次{}",
                        i18n::format_count(m.clients.len() as u64),
                        i18n::format_count(m.visits.len() as u64),
                        if m.tile_url.is_none() {
                            "（未配置底图）"
                        } else {
                            ""
                        }
                    ),
                    Lang::En => format!(
                        "{} clients with a location, {} check-ins in the last 30 days{}",
                        i18n::format_count(m.clients.len() as u64),
                        i18n::format_count(m.visits.len() as u64),
                        if m.tile_url.is_none() {
                            " (no base map configured)"
                        } else {
                            ""
                        }
                    ),
                }),
                legend_html(&m, lang)
            ),
        }
    };
    let half_label = half.clone();
    let coverage_html = move || {
        let lang = lang.get();
        match loaded::<CoverageReport>(coverage) {
            None => String::new(),
            Some(Err(e)) => format!("<p class=\"error\">{}</p>", esc(&e.message(lang))),
            Some(Ok(r)) => coverage_table(
                &r.units,
                lang,
                "coverage-units map-coverage",
                w(lang, "县区", "County"),
            ),
        }
    };
    view! {
        <section class="page visits-page map-page">
            <h1>{wt("走访", "Visits")}</h1>
            {visits_nav()}
            <div class="toolbar">
                <label class="check">
                    <input type="checkbox" id="map-show-clients" prop:checked=move || show_clients.get() on:change=move |ev| show_clients.set(event_target_checked(&ev))/>
                    {wt("客户", "Clients")}
                </label>
                <label class="check">
                    <input type="checkbox" id="map-show-visits" prop:checked=move || show_visits.get() on:change=move |ev| show_visits.set(event_target_checked(&ev))/>
                    {wt("近 30 天打卡", "Check-ins (30 days)")}
                </label>
            </div>
            {html_block("map-summary", summary, |_, _| {})}
            <div id="visit-map" class="visit-map" node_ref=node></div>
            <section class="card section" id="section-county-coverage">
                <h2>
                    {move || match lang.get() {
                        Lang::Zh => format!("按县区覆盖率（{}）", half_year_label(&half_label, Lang::Zh)),
                        Lang::En => format!("Coverage by county ({})", half_year_label(&half_label, Lang::En)),
                    }}
                </h2>
                {html_block("county-coverage", coverage_html, |_, _| {})}
            </section>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_colour_and_no_class_its_own() {
        let colours: Vec<&str> = ClientClass::ALL
            .iter()
            .map(|c| class_colour(Some(*c)))
            .collect();
        assert_eq!(colours, CLASS_COLOURS);
        assert_eq!(class_colour(None), UNCLASSIFIED);
        assert!(!CLASS_COLOURS.contains(&UNCLASSIFIED));
    }
}
