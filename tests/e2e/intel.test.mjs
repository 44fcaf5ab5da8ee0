// Sales intelligence in the browser: the dashboard's ECharts charts (Chinese labels, a unit to
// drill into, the year-ago months dashed), the at-risk and prepaid tables, the client page's
// sales chart and class history, recording a churn reason (and the server's field errors), and
// the phone layout with the charts in one column.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

let browser;
let api;
before(async () => {
  browser = await launch();
  api = await apiAs('admin');
});
after(async () => { await browser?.close(); });

const CLASSES_ZH = ['潜在客户', '流失客户', '回流客户', '新增客户', '潜在流失客户', '减量客户', '稳定客户'];
const CHARTS = ['#chart-class', '#chart-units', '#chart-trend'];

// The size of the canvas ECharts drew into the container `selector` (0 × 0 when none).
async function canvasSize(page, selector) {
  await page.waitForSelector(`${selector} canvas`, { timeout: 30_000 });
  return page.$eval(`${selector} canvas`, (c) => {
    const r = c.getBoundingClientRect();
    return { width: r.width, height: r.height };
  });
}

// The option of the ECharts instance drawn into `selector`, once there is one.
async function chartOption(page, selector) {
  await page.waitForFunction(
    (s) => window.echarts?.getInstanceByDom(document.querySelector(s)),
    selector,
    { timeout: 30_000 },
  );
  return page.evaluate((s) => {
    const option = window.echarts.getInstanceByDom(document.querySelector(s)).getOption();
    return JSON.parse(JSON.stringify(option));
  }, selector);
}

// Waits until the chart in `selector` has finished drawing (its bars grow in for a moment after
// every new option), so a click lands where the final bar is.
async function chartSettled(page, selector) {
  await page.evaluate((s) => new Promise((resolve) => {
    const chart = window.echarts.getInstanceByDom(document.querySelector(s));
    let timer = setTimeout(resolve, 1500);
    chart.on('finished', () => {
      clearTimeout(timer);
      timer = setTimeout(resolve, 200);
    });
  }), selector);
}

test('the dashboard draws its charts in Chinese, lists clients at risk and drills into a unit', async () => {
  const dash = await api.get('/api/v1/analytics/dashboard');
  assert.ok(dash.as_of, 'the demo computed the figures at start');
  assert.ok(dash.units.length > 0, 'the province has cities');
  assert.ok(dash.top_at_risk.length > 0, 'the demo has clients at risk');

  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page);
  await page.goto(`${BASE_URL}/dashboard`);
  for (const chart of CHARTS) {
    const size = await canvasSize(page, chart);
    assert.ok(size.width > 100 && size.height > 100, `${chart} drew a canvas (${size.width}×${size.height})`);
  }

  // The class chart is labelled with the domain's Chinese class names.
  const classOption = await chartOption(page, '#chart-class');
  const names = classOption.series[0].data.map((d) => d.name);
  assert.ok(names.length > 0);
  for (const name of names) assert.ok(CLASSES_ZH.includes(name), `class label ${name}`);
  const counted = dash.by_class.filter((c) => c.clients > 0).map((c) => c.clients);
  assert.deepEqual(classOption.series[0].data.map((d) => d.value), counted);

  // One stacked bar per unit, and the year-ago months dashed.
  const unitsOption = await chartOption(page, '#chart-units');
  assert.deepEqual(unitsOption.yAxis[0].data, dash.units.map((u) => u.name));
  assert.ok(unitsOption.series.every((s) => s.stack === 'clients'));
  const trend = await chartOption(page, '#chart-trend');
  assert.ok(trend.series.some((s) => s.lineStyle?.type === 'dashed'), 'a year-ago line is dashed');
  assert.ok(trend.series.some((s) => s.lineStyle?.type !== 'dashed'), 'a current line is solid');

  // KPI tiles and the tables.
  assert.match(await page.locator('#kpi-clients').innerText(), new RegExp(dash.clients.toLocaleString('en-US')));
  const rows = page.locator('#at-risk-table tbody tr');
  assert.equal(await rows.count(), dash.top_at_risk.length);
  const reasons = await page.locator('#at-risk-table td.cell-reason').allInnerTexts();
  assert.ok(reasons.some((r) => /\d+\s*天/.test(r)), `reasons in days: ${reasons[0]}`);
  assert.equal(
    await rows.first().locator('a').getAttribute('href'),
    `/clients/${dash.top_at_risk[0].client_id}`,
  );
  assert.ok(await page.locator('#prepaid-table tbody tr, #prepaid-table p').count() > 0);
  assert.match(await page.locator('#archive-overview').innerText(), /待审核证照/);
  await page.screenshot({ path: '/tmp/ygj-intel-dashboard.png', fullPage: true });

  // The language switch relabels the charts.
  await page.click('#lang-switch');
  await page.waitForFunction(() => {
    const option = window.echarts.getInstanceByDom(document.querySelector('#chart-class')).getOption();
    return option.series[0].data.some((d) => ['Stable', 'Churned', 'At risk', 'Declining'].includes(d.name));
  }, null, { timeout: 10_000 });
  await page.click('#lang-switch');

  // Clicking a unit's bar in the chart drills into it …
  const first = dash.units[0];
  await page.locator('#chart-units').scrollIntoViewIfNeeded();
  await chartSettled(page, '#chart-units');
  const target = await page.evaluate((total) => {
    const el = document.querySelector('#chart-units');
    const [x, y] = window.echarts.getInstanceByDom(el).convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [total / 2, 0]);
    const r = el.getBoundingClientRect();
    return { x: r.left + x, y: r.top + y };
  }, first.clients);
  await page.mouse.click(target.x, target.y);
  await page.waitForURL(new RegExp(`unit=${first.org_unit_id}`), { timeout: 10_000 });
  await page.waitForFunction((name) => document.querySelector('#intel-scope')?.textContent.includes(name), first.name, { timeout: 20_000 });
  const sub = await api.get(`/api/v1/analytics/dashboard?org_unit_id=${first.org_unit_id}`);
  assert.equal(sub.org_unit_id, first.org_unit_id);
  if (sub.units.length > 0) {
    await page.waitForFunction((expected) => {
      const chart = window.echarts.getInstanceByDom(document.querySelector('#chart-units'));
      return JSON.stringify(chart?.getOption().yAxis[0].data) === JSON.stringify(expected);
    }, sub.units.map((u) => u.name), { timeout: 20_000 });
  }
  await page.waitForFunction((n) => document.querySelector('#kpi-clients')?.textContent.includes(n), sub.clients.toLocaleString('en-US'), { timeout: 20_000 });

  // … and so does a unit's name in the table below it; the crumbs lead back.
  if (sub.units.length > 0) {
    const county = sub.units[0];
    await page.locator('#unit-list a.unit-link').first().click();
    await page.waitForURL(new RegExp(`unit=${county.org_unit_id}`), { timeout: 10_000 });
    await page.waitForFunction((name) => document.querySelector('#intel-scope')?.textContent.includes(name), county.name, { timeout: 20_000 });
  }
  await page.locator('#intel-scope a').first().click();
  await page.waitForFunction((expected) => {
    const chart = window.echarts.getInstanceByDom(document.querySelector('#chart-units'));
    return JSON.stringify(chart?.getOption().yAxis[0].data) === JSON.stringify(expected);
  }, dash.units.map((u) => u.name), { timeout: 20_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an at-risk client\'s page shows its sales chart by product and its class history', async () => {
  const dash = await api.get('/api/v1/analytics/dashboard');
  const row = dash.top_at_risk[0];
  const intel = await api.get(`/api/v1/clients/${row.client_id}/intel`);
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page);
  await page.goto(`${BASE_URL}/dashboard`);
  await page.locator('#at-risk-table tbody tr a').first().click();
  await page.waitForURL(new RegExp(`/clients/${row.client_id}`));
  const size = await canvasSize(page, '#client-sales-chart');
  assert.ok(size.width > 100 && size.height > 100, 'the sales chart drew');
  const sales = await chartOption(page, '#client-sales-chart');
  assert.equal(sales.xAxis[0].data.length, 24, '24 months');
  const products = new Set(intel.monthly_by_product.map((m) => m.product));
  await page.waitForFunction((n) => {
    const option = window.echarts.getInstanceByDom(document.querySelector('#client-sales-chart')).getOption();
    return option.series.length === n && option.series.every((s) => s.stack === 'volume');
  }, products.size, { timeout: 20_000 });

  await page.waitForSelector('#intel-class .cls', { timeout: 20_000 });
  const classLabel = await page.locator('#intel-class .cls').innerText();
  assert.ok(CLASSES_ZH.includes(classLabel.trim()), classLabel);
  assert.match(await page.locator('#intel-sentence').innerText(), /\d+\s*天/);
  assert.match(await page.locator('#intel-summary').innerText(), /存活概率[\s\S]*%/);
  assert.equal(await page.locator('#class-history .class-strip .cs').count(), intel.class_history.length);
  assert.ok(intel.class_history.length > 0, 'weekly snapshots exist');
  assert.ok(await page.locator('#class-history .class-changes tbody tr').count() > 0);
  assert.ok(await page.locator('#grade-history').count() === 1);
  await page.screenshot({ path: '/tmp/ygj-intel-client.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a churn reason is recorded on a churned client and listed; bad input shows the server\'s field errors', async () => {
  const churned = await api.get('/api/v1/analytics/classification?class=churned&per_page=5');
  assert.ok(churned.items.length > 0, 'the demo has churned clients');
  const client = churned.items[0];
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page);
  await page.goto(`${BASE_URL}/clients/${client.client_id}`);
  await page.waitForSelector('#churn-form', { timeout: 30_000 });
  await page.selectOption('#churn-reason', 'competitor');
  await page.waitForSelector('#churn-price-gap');

  // No competitor named: the server asks for it.
  await page.click('#churn-submit');
  await page.waitForFunction(() => document.querySelector('#churn-competitor')?.getAttribute('aria-invalid') === 'true', null, { timeout: 10_000 });
  assert.match(await page.locator('#churn-form .field-error').first().innerText(), /竞争对手/);

  // A price gap that is not a number: the server's field error is shown under it.
  await page.fill('#churn-competitor', '中石化');
  await page.fill('#churn-price-gap', '便宜一些');
  await page.click('#churn-submit');
  await page.waitForFunction(() => document.querySelector('#churn-price-gap')?.getAttribute('aria-invalid') === 'true', null, { timeout: 10_000 });
  const gapError = await page.locator('#churn-price-gap ~ .field-error').innerText();
  assert.match(gapError, /价差/);
  assert.match(gapError, /类型或取值不正确/);

  await page.fill('#churn-price-gap', '-120.5');
  await page.fill('#churn-note', '对方每吨便宜 120 元');
  await page.click('#churn-submit');
  await page.waitForSelector('#churn-reasons li.churn-reason[data-reason="competitor"]', { timeout: 20_000 });
  const listed = await page.locator('#churn-reasons li.churn-reason').first().innerText();
  assert.match(listed, /竞争流失/);
  assert.match(listed, /中石化/);
  assert.match(listed, /-120\.5/);
  assert.match(await page.locator('#flash').innerText(), /已记录流失原因/);
  const intel = await api.get(`/api/v1/clients/${client.client_id}/intel`);
  assert.equal(intel.churn_reasons[0].reason, 'competitor');
  assert.equal(intel.churn_reasons[0].competitor, '中石化');
  assert.equal(intel.churn_reasons[0].price_gap_yuan_per_t, -120.5);
  assert.equal(intel.churn_reasons[0].recorded_by_name.length > 0, true);
  await page.screenshot({ path: '/tmp/ygj-intel-churn.png', fullPage: true });
  await page.close();
});

test('on a phone the dashboard charts stack in one column', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page);
  await page.goto(`${BASE_URL}/`);
  const boxes = [];
  for (const chart of CHARTS) {
    const size = await canvasSize(page, chart);
    assert.ok(size.width > 200 && size.width <= 390 && size.height > 100, `${chart} fits the phone (${size.width})`);
    boxes.push(await page.locator(chart).boundingBox());
  }
  // One column: the same left edge and width, each below the one before.
  for (let i = 1; i < boxes.length; i += 1) {
    assert.ok(Math.abs(boxes[i].x - boxes[0].x) < 2, `chart ${i} aligned left`);
    assert.ok(Math.abs(boxes[i].width - boxes[0].width) < 2, `chart ${i} same width`);
    assert.ok(boxes[i].y >= boxes[i - 1].y + boxes[i - 1].height, `chart ${i} below chart ${i - 1}`);
  }
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 392, `no sideways scrolling (${width})`);
  await page.screenshot({ path: '/tmp/ygj-intel-phone.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
