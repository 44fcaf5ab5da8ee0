//! Charts drawn by Apache ECharts (npm `echarts`, served as a hashed asset next to the app).
//!
//! ECharts is about 370 KB gzip, so it is not part of the page everyone loads: the first chart
//! on a page adds its `<script>` (its URL is in `<meta name="ygj-echarts">` of `index.html`) and
//! draws once it has run. Pages build the chart option as a `serde_json::Value` and hand it over
//! as JSON text; the bridge below is the only JavaScript of the app.
//!
//! Every chart goes through the one non-generic [`chart_boxed`], so the rendering code exists
//! once in the WASM however many charts the pages draw.

use leptos::prelude::*;
use serde_json::Value;
use std::cell::Cell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const charts = new Map();
let loading = null;

function echartsReady() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const meta = document.querySelector('meta[name="ygj-echarts"]');
      const script = document.createElement('script');
      script.src = meta ? meta.content : '/echarts.min.js';
      script.async = true;
      script.onload = () => (window.echarts ? resolve(window.echarts) : reject(new Error('echarts')));
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error('echarts did not load'));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

export function chart_init(el, key, json, failed) {
  charts.set(key, null);
  echartsReady().then(
    (echarts) => {
      // Unmounted while the library loaded. (A container not yet in the document is drawn
      // anyway: the size observer redraws it once it is placed.)
      if (!charts.has(key)) return;
      const chart = echarts.init(el);
      // A click on a bar or slice is remembered for the container's own click handler (the
      // DOM click bubbles up to it right after ECharts has seen it).
      chart.on('click', (p) => { el.dataset.hit = String(p.dataIndex); });
      // Follows the window and every layout change (one column on phones, a sidebar).
      const observer = new ResizeObserver(() => chart.resize());
      observer.observe(el);
      charts.set(key, { chart, observer });
      chart.setOption(JSON.parse(json));
    },
    () => {
      el.classList.add('chart-failed');
      el.textContent = failed;
    },
  );
}

export function chart_set_option(key, json) {
  echartsReady().then(() => {
    const entry = charts.get(key);
    if (entry) entry.chart.setOption(JSON.parse(json), { notMerge: true });
  }, () => {});
}

export function chart_dispose(key) {
  const entry = charts.get(key);
  charts.delete(key);
  if (entry) {
    entry.observer.disconnect();
    entry.chart.dispose();
  }
}

export function chart_take_hit(el) {
  const hit = el.dataset.hit;
  delete el.dataset.hit;
  return hit === undefined ? -1 : Number(hit);
}
"#)]
extern "C" {
    /// Draws a new chart into `el` once ECharts has loaded (`failed` is shown if it cannot).
    fn chart_init(el: &web_sys::Element, key: u32, json: &str, failed: &str);
    /// Replaces the option of chart `key` (a no-op once it is disposed).
    fn chart_set_option(key: u32, json: &str);
    /// Frees chart `key` and stops following its size.
    fn chart_dispose(key: u32);
    /// The data index of the bar or slice the last click landed on, or -1; forgets it.
    fn chart_take_hit(el: &web_sys::Element) -> i32;
}

thread_local! {
    static NEXT_KEY: Cell<u32> = const { Cell::new(1) };
}

/// Draws `el`'s chart with `option` (first call) or replaces its option.
pub fn init(el: &web_sys::Element, key: u32, option: &Value, failed: &str) {
    chart_init(el, key, &option.to_string(), failed);
}

/// Replaces the whole option of a drawn chart.
pub fn set_option(key: u32, option: &Value) {
    chart_set_option(key, &option.to_string());
}

/// Frees a chart (its container is going away).
pub fn dispose(key: u32) {
    chart_dispose(key);
}

/// A chart container: ECharts draws `option()` into it, again whenever the signals `option`
/// reads change (`None`: nothing to draw yet). `on_click` gets the data index of the bar or
/// slice clicked. `height` (px) overrides the CSS height, for charts that grow with their data.
pub fn chart(
    id: &'static str,
    option: impl Fn() -> Option<Value> + 'static,
    height: Option<Signal<u32>>,
    on_click: Option<Box<dyn Fn(u32)>>,
) -> AnyView {
    chart_boxed(id, Box::new(option), height, on_click)
}

fn chart_boxed(
    id: &'static str,
    option: Box<dyn Fn() -> Option<Value>>,
    height: Option<Signal<u32>>,
    on_click: Option<Box<dyn Fn(u32)>>,
) -> AnyView {
    let node = NodeRef::<leptos::html::Div>::new();
    let key = NEXT_KEY.with(|k| {
        let key = k.get();
        k.set(key.wrapping_add(1));
        key
    });
    let lang = crate::state::use_lang();
    let drawn = StoredValue::new(false);
    Effect::new(move |_| {
        let (Some(el), Some(option)) = (node.get(), option()) else {
            return;
        };
        if drawn.get_value() {
            set_option(key, &option);
        } else {
            drawn.set_value(true);
            let failed = crate::i18n::T::ChartUnavailable.get(lang.get_untracked());
            init(&el, key, &option, failed);
        }
    });
    on_cleanup(move || dispose(key));
    view! {
        <div
            id=id
            class="chart"
            node_ref=node
            style=move || height.map(|h| format!("height:{}px", h.get())).unwrap_or_default()
            on:click=move |_| {
                if let (Some(callback), Some(el)) = (&on_click, node.get_untracked()) {
                    let hit = chart_take_hit(&el);
                    if let Ok(index) = u32::try_from(hit) {
                        callback(index);
                    }
                }
            }
        ></div>
    }
    .into_any()
}

/// Colours of the dynamic classes, in `ClientClass::ALL` order (shared with the CSS strip).
pub const CLASS_COLOURS: [&str; 7] = [
    "#9aa5b1", // prospect
    "#7f1d1d", // churned
    "#0f9f8f", // returning
    "#3b82f6", // new
    "#dc2626", // at risk
    "#f59e0b", // declining
    "#16a34a", // stable
];

/// Colours of the grades A–D and "ungraded".
pub const GRADE_COLOURS: [&str; 5] = ["#0b5cab", "#3f8fd8", "#8cbcea", "#cbdff3", "#d5d9de"];

/// Colours of the products, in `Product::ALL` order.
pub const PRODUCT_COLOURS: [&str; 7] = [
    "#0b5cab", "#e8720c", "#8e44ad", "#16a34a", "#0f9f8f", "#b45309", "#64748b",
];

/// A non-negative figure rounded to one decimal for a chart (ECharts shows values as given).
/// `floor` is a WASM instruction; `round` would pull in a libm routine.
pub fn round1(value: f64) -> f64 {
    ((value * 10.0) + 0.5).floor() / 10.0
}
