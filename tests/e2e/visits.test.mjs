// The managers' visit pages in the browser: an account manager's check-in (made through the API,
// with a photo) reaches the director's review queue; the director opens it, sees the photo, is
// told about a follow-up due in the past next to the field, posts a comment with a follow-up
// (which becomes the manager's task) and the visit leaves the queue. Then the plans page
// generates the half-year plans and shows the coverage and the week calendar of visit tasks,
// the map draws the clients and check-ins with Leaflet on a plain background, the
// effectiveness page shows the recovery figures, and the home page sums up the coverage and the
// recovery as the API reports them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

let browser;
let manager;
let director;
let visit;
const errors = [];

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

// The current half-year as the API spells it (2026-h2), in the browser's (= this machine's) time.
function currentHalfYear() {
  const now = new Date();
  return `${now.getFullYear()}-${now.getMonth() < 6 ? 'h1' : 'h2'}`;
}

// Local dates, as the page computes them.
function localDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function mondayOf(day) {
  const d = new Date(`${day}T12:00:00`);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return localDay(d);
}

async function directorPage() {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'director');
  return page;
}

before(async () => {
  browser = await launch();
  manager = await apiAs('manager');
  director = await apiAs('director');

  // One of the manager's clients with a registered location.
  const clients = await manager.get('/api/v1/clients?per_page=20');
  assert.ok(clients.items.length > 0, 'the manager has clients');
  let client = null;
  for (const summary of clients.items) {
    const detail = await manager.get(`/api/v1/clients/${summary.id}`);
    if (detail.location) {
      client = detail;
      break;
    }
  }
  assert.ok(client, 'one of the manager\'s clients has a location');

  // A real PNG, drawn by the browser, as the visit's photo.
  const scratch = await browser.newPage();
  const png = Buffer.from(await scratch.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const g = canvas.getContext('2d');
    g.fillStyle = '#0b5cab';
    g.fillRect(0, 0, 64, 48);
    g.fillStyle = '#e8720c';
    g.fillRect(16, 12, 32, 24);
    return canvas.toDataURL('image/png').split(',')[1];
  }), 'base64');
  await scratch.close();
  const photo = await manager.send('POST', '/api/v1/visits/photos', png, 'image/png');
  assert.equal(photo.status, 201, JSON.stringify(photo.body));

  // About 40 m north of the client: on site.
  const stamp = Date.now();
  const checkIn = await manager.send('POST', '/api/v1/visits', {
    client_id: client.id,
    idempotency_key: `e2e-visit-${stamp}`,
    device_time: new Date().toISOString(),
    position: { lat: client.location.lat + 0.00036, lon: client.location.lon },
    accuracy_m: 12,
    record: {
      purpose: `浏览器测试走访 ${stamp}`,
      outcome: '客户反映柴油价格偏高，计划下月增加采购。',
      next_step: '下周报价',
      competitor_seen: '中化',
      price_gap_yuan_per_t: -80,
    },
    photo_ids: [photo.body.id],
  });
  assert.equal(checkIn.status, 201, JSON.stringify(checkIn.body));
  visit = checkIn.body;
  assert.equal(visit.assessment.verdict, 'verified');
  assert.deepEqual(visit.photo_ids, [photo.body.id]);
});

after(async () => {
  await browser?.close();
});

test('the director reviews the check-in from the queue and raises a follow-up', async () => {
  const queue = await director.get('/api/v1/visits?unreviewed=true&per_page=200');
  assert.ok(queue.items.some((v) => v.id === visit.id), 'the API puts the visit in the director\'s queue');

  const page = await directorPage();
  await page.goto(`${BASE_URL}/visits/review`);
  const row = page.locator(`#visit-${visit.id}`);
  await row.waitFor({ timeout: 30_000 });
  const text = await row.innerText();
  assert.match(text, new RegExp(visit.client_name));
  assert.match(text, new RegExp(visit.user_name));
  assert.match(text, /已核实 · \d+ 米/);
  assert.match(text, new RegExp(visit.record.purpose));
  assert.match(text, /待点评/);
  assert.equal(await row.locator('td').nth(6).innerText(), '1', 'one photo');
  // Just received: not marked as waiting too long (3 days by default) …
  assert.doesNotMatch(await row.getAttribute('class'), /overdue/);
  assert.match(await page.locator('#visits-tab-review').getAttribute('class'), /active/);
  await page.screenshot({ path: '/tmp/ygj-visits-review.png', fullPage: true });

  // … and the English page says the same.
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('#visits-tab-review')?.textContent === 'Review queue');
  assert.match(await row.innerText(), /Verified · \d+ m/);
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('#visits-tab-review')?.textContent === '待点评');

  // The visit page: the record, the photo (fetched signed in), no comments yet.
  await row.locator('a.visit-link').click();
  await page.waitForURL(`${BASE_URL}/visits/${visit.id}`);
  const detail = page.locator('#visit-detail');
  await detail.getByText(visit.record.outcome).waitFor({ timeout: 30_000 });
  const detailText = await detail.innerText();
  assert.match(detailText, /中化/);
  assert.match(detailText, /-80/);
  assert.match(detailText, new RegExp(visit.client_name));
  await page.waitForFunction(() => {
    const img = document.querySelector('#visit-photos img');
    return img && img.complete && img.naturalWidth === 64;
  }, null, { timeout: 30_000 });
  assert.match(await page.locator('#visit-comments').innerText(), /还没有点评/);

  // A follow-up due yesterday is refused next to its field.
  const yesterday = new Date(Date.now() - 86_400_000);
  const inAWeek = new Date(Date.now() + 7 * 86_400_000);
  const body = `价格偏高的情况请跟进 ${Date.now()}`;
  await page.fill('#comment-body', body);
  await page.check('#comment-follow-up');
  await page.fill('#follow-up-title', '下周带报价回访');
  await page.fill('#follow-up-due', localDay(yesterday));
  await page.click('#comment-submit');
  const dueError = page.locator('.field-error[data-field="follow_up.due_date"]');
  await dueError.waitFor({ timeout: 10_000 });
  assert.match(await dueError.innerText(), /完成期限/);
  assert.equal((await director.get(`/api/v1/visits/${visit.id}`)).comments.length, 0, 'nothing was sent');

  await page.fill('#follow-up-due', localDay(inAWeek));
  await page.click('#comment-submit');
  await page.locator('#comment-sent').waitFor({ timeout: 30_000 });
  await page.locator('#visit-comments').getByText(body).waitFor({ timeout: 30_000 });
  const comments = await page.locator('#visit-comments').innerText();
  assert.match(comments, /已生成跟进任务/);
  assert.equal(await dueError.count(), 0, 'the error is gone');
  assert.match(await detail.innerText(), /已点评/);

  // The server agrees: reviewed, one comment, a follow-up task for the manager.
  const saved = await director.get(`/api/v1/visits/${visit.id}`);
  assert.ok(saved.reviewed_at);
  assert.equal(saved.comments.length, 1);
  assert.equal(saved.comments[0].body, body);
  const taskId = saved.comments[0].follow_up_task_id;
  assert.ok(taskId, 'the comment raised a follow-up');
  const task = await manager.get(`/api/v1/tasks/${taskId}`);
  assert.equal(task.kind, 'follow_up');
  assert.equal(task.title, '下周带报价回访');
  assert.equal(task.due_date, localDay(inAWeek));
  await page.screenshot({ path: '/tmp/ygj-visit-detail.png', fullPage: true });

  // The visit has left the queue, on the page and in the API.
  await page.click('#visits-tab-review');
  await page.waitForURL(`${BASE_URL}/visits/review`);
  await page.locator('#review-queue #review-total, #review-queue #review-empty').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(`#visit-${visit.id}`).count(), 0);
  const after = await director.get('/api/v1/visits?unreviewed=true&per_page=200');
  assert.ok(!after.items.some((v) => v.id === visit.id));

  // The full list still has it, reviewed.
  await page.click('#visits-tab-list');
  const listed = page.locator(`#visit-list #visit-${visit.id}`);
  await listed.waitFor({ timeout: 30_000 });
  assert.match(await listed.innerText(), /已点评/);
  await page.close();
});

test('the plans page generates the half-year plans and shows coverage and the week calendar', async () => {
  const page = await directorPage();
  await page.goto(`${BASE_URL}/visits/plans`);
  await page.locator('#plan-form').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#plan-half').inputValue(), currentHalfYear());

  // A capacity out of range is refused by the server, next to its field.
  await page.fill('#plan-capacity', '99');
  await page.click('#plan-generate');
  const capacityError = page.locator('.field-error[data-field="capacity_per_week"]');
  await capacityError.waitFor({ timeout: 30_000 });
  assert.match(await capacityError.innerText(), /每周走访上限/);

  await page.fill('#plan-capacity', '');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/plans/generate') && r.request().method() === 'POST'),
    page.click('#plan-generate'),
  ]);
  assert.equal(response.status(), 200);
  const report = await response.json();
  assert.equal(report.half_year, currentHalfYear());
  assert.ok(report.assignees > 0 && report.clients_due > 0, JSON.stringify(report));
  const shown = page.locator('#plan-report .kpi');
  await shown.first().waitFor({ timeout: 30_000 });
  const kpis = await page.locator('#plan-report').innerText();
  assert.match(kpis, new RegExp(`新建走访任务\\s*${report.created.toLocaleString('en-US')}`));
  assert.match(kpis, new RegExp(`应走访客户\\s*${report.clients_due.toLocaleString('en-US')}`));

  // Coverage: one row per account manager and per county, as the API reports them.
  const coverage = await director.get(`/api/v1/plans/coverage?half_year=${currentHalfYear()}`);
  const managerRows = page.locator('#coverage table.coverage-assignees tbody tr');
  await managerRows.first().waitFor({ timeout: 30_000 });
  assert.equal(await managerRows.count(), coverage.assignees.length);
  assert.equal(await page.locator('#coverage table.coverage-units tbody tr').count(), coverage.units.length);
  assert.match(await managerRows.first().innerText(), new RegExp(coverage.assignees[0].name));
  assert.match(
    await page.locator('#coverage-total').innerText(),
    new RegExp(`应走访 ${coverage.total.due.toLocaleString('en-US')} 户`),
  );

  // The week calendar: go to the week of the first planned visit and find that day's visits.
  const today = localDay(new Date());
  const later = localDay(new Date(Date.now() + 200 * 86_400_000));
  const upcoming = await director.get(
    `/api/v1/tasks?kind=visit&source=coverage_plan&due_from=${today}&due_to=${later}&per_page=1`,
  );
  assert.ok(upcoming.total > 0, 'the plan created visit tasks');
  const firstDay = upcoming.items[0].due_date;
  const targetMonday = mondayOf(firstDay);
  await page.locator('#week-grid').waitFor({ timeout: 30_000 });
  for (let i = 0; i < 30 && (await page.locator('#week-grid .week-day').first().getAttribute('data-date')) !== targetMonday; i++) {
    await page.click('#week-next');
    await page.waitForTimeout(50);
    await page.locator('#week-grid').waitFor({ timeout: 30_000 });
  }
  assert.equal(await page.locator('#week-grid .week-day').first().getAttribute('data-date'), targetMonday);
  assert.equal(await page.locator('#week-grid .week-day').count(), 7);
  const sunday = localDay(new Date(new Date(`${targetMonday}T12:00:00`).getTime() + 6 * 86_400_000));
  const week = await director.get(`/api/v1/tasks?kind=visit&due_from=${targetMonday}&due_to=${sunday}&per_page=200`);
  const day = await director.get(`/api/v1/tasks?kind=visit&due_from=${firstDay}&due_to=${firstDay}&per_page=200`);
  await page.waitForFunction(
    (n) => document.querySelector('#week-total')?.textContent.includes(`${n.toLocaleString('en-US')} 项`),
    week.total,
    { timeout: 30_000 },
  );
  const cards = page.locator(`#week-grid .week-day[data-date="${firstDay}"] .cal-task`);
  assert.equal(await cards.count(), day.total);
  const names = await cards.allInnerTexts();
  for (const t of day.items) {
    assert.ok(names.some((n) => n.includes(t.client_name)), `${t.client_name} on ${firstDay}`);
  }
  await page.screenshot({ path: '/tmp/ygj-visit-plans.png', fullPage: true });

  // The same week as a list, and only the plan's visits.
  await page.click('#view-list');
  const listRows = page.locator('#week-tasks table.plan-task-table tbody tr');
  await listRows.first().waitFor({ timeout: 30_000 });
  assert.equal(await listRows.count(), Math.min(week.total, 2000));
  await page.check('#week-plan-only');
  const planned = await director.get(
    `/api/v1/tasks?kind=visit&source=coverage_plan&due_from=${targetMonday}&due_to=${sunday}&per_page=200`,
  );
  await page.waitForFunction(
    (n) => document.querySelectorAll('#week-tasks table.plan-task-table tbody tr').length === n,
    Math.min(planned.total, 2000),
    { timeout: 30_000 },
  );
  assert.ok(planned.total > 0);
  await page.close();
});

test('the map draws the clients and recent check-ins with Leaflet on a plain background', async () => {
  const data = await director.get('/api/v1/analytics/map');
  assert.equal(data.tile_url, null, 'no tile server in the test');
  assert.ok(data.clients.length > 0, 'the director\'s clients have locations');
  assert.ok(data.visits.some((v) => v.id === visit.id), 'the new check-in is on the map');

  const page = await directorPage();
  await page.goto(`${BASE_URL}/visits/map`);
  await page.locator('#visit-map[data-ready="true"]').waitFor({ timeout: 30_000 });
  // One SVG circle per client and per check-in; no tiles.
  const markers = page.locator('#visit-map path.leaflet-interactive');
  assert.equal(await markers.count(), data.clients.length + data.visits.length);
  assert.equal(await page.locator('#visit-map .leaflet-tile').count(), 0);
  const box = await page.locator('#visit-map').boundingBox();
  assert.ok(box.width > 300 && box.height > 300, `the map has a size (${box.width}×${box.height})`);
  // Fitted to the points: the markers lie inside the map.
  const inside = await page.evaluate(() => {
    const map = document.querySelector('#visit-map').getBoundingClientRect();
    return [...document.querySelectorAll('#visit-map path.leaflet-interactive')].filter((p) => {
      const r = p.getBoundingClientRect();
      return r.width > 0 && r.left >= map.left - 1 && r.right <= map.right + 1 && r.top >= map.top - 1 && r.bottom <= map.bottom + 1;
    }).length;
  });
  assert.equal(inside, data.clients.length + data.visits.length);

  const legend = await page.locator('#map-legend').innerText();
  assert.match(legend, /打卡：已核实/);
  assert.match(await page.locator('#map-total').innerText(), new RegExp(`有位置的客户 ${data.clients.length.toLocaleString('en-US')} 户`));
  assert.ok(await page.locator('#county-coverage table.coverage-units tbody tr').count() > 0, 'coverage by county');
  await page.screenshot({ path: '/tmp/ygj-visit-map.png', fullPage: true });

  // Hiding the check-ins leaves the clients.
  await page.uncheck('#map-show-visits');
  await page.waitForFunction(
    (n) => document.querySelectorAll('#visit-map path.leaflet-interactive').length === n,
    data.clients.length,
    { timeout: 10_000 },
  );

  // A client's popup links to its page.
  await markers.first().dispatchEvent('click');
  const link = page.locator('.leaflet-popup-content a.map-client-link');
  await link.waitFor({ timeout: 10_000 });
  const href = await link.getAttribute('href');
  assert.ok(data.clients.some((c) => href === `/clients/${c.id}`), href);
  await link.click();
  await page.waitForURL(`${BASE_URL}${href}`);
  await page.close();
});

test('the effectiveness page shows the recovery per visitor and unit', async () => {
  const report = await director.get('/api/v1/analytics/effectiveness');
  assert.deepEqual(report.windows, [30, 60, 90]);
  const page = await directorPage();
  await page.goto(`${BASE_URL}/visits/effectiveness`);
  const total = page.locator('#effectiveness table.effectiveness-total tbody tr');
  await total.waitFor({ timeout: 30_000 });
  const cells = await total.locator('td').allInnerTexts();
  assert.equal(cells[1], report.total.visits.toLocaleString('en-US'));
  const rate = report.total.windows[0].recovery_rate;
  assert.match(cells[3], rate === null ? /^—/ : new RegExp(`^${rate.toFixed(1)}%`));
  assert.equal(
    await page.locator('#effectiveness table.effectiveness-assignees tbody tr').count(),
    report.assignees.length,
  );
  await page.close();
});

test('the home page shows the coverage and the recovery the API reports', async () => {
  // Effectiveness counts visits on dynamic-class tasks: raise this week's (as the Sunday job
  // does) and let the manager answer one with a check-in, so the count is not zero.
  const admin = await apiAs('admin');
  const run = await admin.send('POST', '/api/v1/jobs/dynamic_visits/run', {});
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const classTasks = await manager.get('/api/v1/tasks?kind=visit&source=dynamic_class&mine=true&status=open&per_page=1');
  assert.ok(classTasks.items.length > 0, 'the manager has a dynamic-class visit task');
  const task = classTasks.items[0];
  const target = await manager.get(`/api/v1/clients/${task.client_id}`);
  const answered = await manager.send('POST', '/api/v1/visits', {
    client_id: task.client_id,
    task_id: task.id,
    idempotency_key: `e2e-class-visit-${Date.now()}`,
    device_time: new Date().toISOString(),
    position: target.location ?? visit.position,
    accuracy_m: 15,
    record: { purpose: '动态分类走访', outcome: '了解减量原因' },
    photo_ids: [],
  });
  assert.equal(answered.status, 201, JSON.stringify(answered.body));

  const coverage = await director.get(`/api/v1/plans/coverage?half_year=${currentHalfYear()}`);
  const report = await director.get('/api/v1/analytics/effectiveness');
  assert.ok(report.total.visits > 0, 'the class visit is in the director\'s scope');
  const page = await directorPage();
  await page.goto(`${BASE_URL}/`);
  const section = page.locator('#section-field');
  const value = (id) => section.locator(`#${id} .kpi-value`).innerText();
  await section.locator('#kpi-coverage').waitFor({ timeout: 30_000 });
  await section.locator('#kpi-field-visits').waitFor({ timeout: 30_000 });
  assert.match(await section.locator('h2').innerText(), /走访覆盖与成效/);

  // Coverage of the half-year, as a percent with one decimal, and its counts.
  assert.equal(await value('kpi-coverage'), `${coverage.total.percent.toFixed(1)}%`);
  const coverageTile = await section.locator('#kpi-coverage').innerText();
  assert.match(coverageTile, new RegExp(`应走访 ${coverage.total.due.toLocaleString('en-US')} 户，已走访 ${coverage.total.covered.toLocaleString('en-US')} 户`));

  // The visits counted and the three recovery windows.
  assert.equal(await value('kpi-field-visits'), report.total.visits.toLocaleString('en-US'));
  for (const days of [30, 60, 90]) {
    const figure = report.total.windows.find((w) => w.days === days);
    const rate = figure.recovery_rate;
    assert.equal(await value(`kpi-recovery-${days}`), rate === null ? '—' : `${rate.toFixed(1)}%`, `${days} days`);
    assert.match(await section.locator(`#kpi-recovery-${days}`).innerText(), new RegExp(`${figure.recovered}/${figure.measured} 次恢复`));
  }

  // The counties furthest behind, lowest first, as the API orders them.
  const rows = section.locator('#field-lowest table.field-counties tbody tr');
  const lowest = coverage.units.slice(0, 5);
  assert.ok(lowest.length > 0, 'the director\'s scope has a county');
  assert.equal(await rows.count(), lowest.length);
  for (const [i, unit] of lowest.entries()) {
    assert.equal(await rows.nth(i).getAttribute('data-id'), unit.id);
    assert.match(await rows.nth(i).innerText(), new RegExp(`${unit.percent.toFixed(1)}%`));
  }
  await page.screenshot({ path: '/tmp/ygj-dashboard-field.png', fullPage: true });

  // In English too, then on to the full pages.
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.querySelector('#section-field h2')?.textContent === 'Visit coverage and effectiveness');
  assert.match(await section.locator('#kpi-recovery-60').innerText(), /Recovered within 60 days/);
  await page.click('#lang-switch');
  await page.click('#field-to-effectiveness');
  await page.waitForURL(`${BASE_URL}/visits/effectiveness`);
  await page.locator('#effectiveness table.effectiveness-total').waitFor({ timeout: 30_000 });
  await page.goBack();
  await page.click('#field-to-plans');
  await page.waitForURL(`${BASE_URL}/visits/plans`);
  await page.close();
});

test('no page raised a script error', () => {
  assert.deepEqual(errors, []);
});
