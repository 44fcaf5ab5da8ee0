// The client-service pages in the browser: the account manager opens a client's page, raises a
// complaint from its "新建工单" link (first with an empty title, which the server refuses next to
// the field), finds it in the list and on its page, responds and resolves it there, is refused
// when trying to close it without a return visit, and records a return visit (solved,
// satisfaction 4) that closes it; the phone's form raises a ticket too. Then the director's SLA
// board and the home page show the figures `GET /api/v1/service/report` reports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

let browser;
let manager;
let director;
let client;
let ticketId;
const errors = [];

async function pageAs(username, viewport = { width: 1366, height: 900 }) {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, username);
  return page;
}

async function statusIs(page, text) {
  await page.waitForFunction(
    (t) => document.querySelector('#ticket-status')?.textContent === t,
    text,
    { timeout: 30_000 },
  );
}

before(async () => {
  browser = await launch();
  manager = await apiAs('manager');
  director = await apiAs('director');
  const clients = await manager.get('/api/v1/clients?per_page=5');
  assert.ok(clients.items.length > 0, 'the manager has clients');
  client = clients.items[0];
});

after(async () => {
  await browser?.close();
  assert.deepEqual(errors, [], 'no script errors on the pages');
});

test('a complaint is raised from the client page, worked and closed by a return visit', async () => {
  const page = await pageAs('manager');
  await page.goto(`${BASE_URL}/clients/${client.id}`);
  await page.locator('#section-tickets').waitFor({ timeout: 30_000 });
  await page.click('#client-new-ticket');
  await page.waitForURL(`${BASE_URL}/service/new?client=${client.id}`);
  await page.waitForFunction(
    (name) => document.querySelector('#ticket-client-name')?.textContent === name,
    client.name,
    { timeout: 30_000 },
  );

  // An empty title: the server's 422 lands under the title field; nothing is raised.
  const before = await manager.get(`/api/v1/tickets?client_id=${client.id}&per_page=200`);
  const stamp = Date.now();
  await page.selectOption('#ticket-type', 'complaint_quality');
  await page.selectOption('#ticket-severity', 'high');
  await page.fill('#ticket-description', `柴油浑浊，有沉淀 ${stamp}`);
  await page.click('#ticket-submit');
  const titleError = page.locator('.field-error[data-field="title"]');
  await titleError.waitFor({ timeout: 30_000 });
  assert.match(await titleError.innerText(), /标题/);
  assert.equal(
    (await manager.get(`/api/v1/tickets?client_id=${client.id}&per_page=200`)).total,
    before.total,
    'nothing was raised',
  );

  // Now with a title: the ticket's page opens.
  const title = `油品质量投诉 ${stamp}`;
  await page.fill('#ticket-title', title);
  await page.fill('#ticket-order-no', `SO-${stamp}`);
  await page.fill('#ticket-reporter', '王站长');
  await page.fill('#ticket-reporter-phone', '13800000000');
  await page.click('#ticket-submit');
  await page.waitForURL(/\/service\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  ticketId = page.url().split('/').pop();
  const saved = await manager.get(`/api/v1/tickets/${ticketId}`);
  assert.equal(saved.title, title);
  assert.equal(saved.client_id, client.id);
  assert.equal(saved.ticket_type, 'complaint_quality');
  assert.equal(saved.severity, 'high');
  assert.equal(saved.status, 'open');
  assert.equal(saved.order_no, `SO-${stamp}`);
  await page.locator('#ticket-number').getByText(saved.number).waitFor({ timeout: 30_000 });
  const head = await page.locator('#ticket-detail').innerText();
  assert.match(head, new RegExp(client.name));
  assert.match(head, /质量投诉/);
  assert.match(head, /高/);
  assert.match(head, /待响应/);
  assert.match(await page.locator('#ticket-timeline').innerText(), /登记[\s\S]*分派/);

  // In the list (and on the client's page).
  await page.click('#service-tab-list');
  await page.waitForURL(`${BASE_URL}/service`);
  const row = page.locator(`#ticket-list #ticket-${ticketId}`);
  await row.waitFor({ timeout: 30_000 });
  const rowText = await row.innerText();
  assert.match(rowText, new RegExp(saved.number));
  assert.match(rowText, new RegExp(client.name));
  assert.match(rowText, /质量投诉/);
  await page.selectOption('#filter-status', 'closed');
  await page.locator('#ticket-list .total, #ticket-list .empty').first().waitFor({ timeout: 30_000 });
  await page.waitForFunction((id) => !document.querySelector(`#ticket-list #ticket-${id}`), ticketId);
  await page.selectOption('#filter-status', 'active');
  await row.waitFor({ timeout: 30_000 });

  // Respond: a note is required (422 under the note), then it goes in progress.
  await row.locator('a.ticket-link').click();
  await page.waitForURL(`${BASE_URL}/service/${ticketId}`);
  await page.locator('#action-respond').waitFor({ timeout: 30_000 });
  await page.click('#action-respond');
  await page.locator('.field-error[data-field="note"]').waitFor({ timeout: 30_000 });
  await page.fill('#action-note', '已联系客户，明天上门取样');
  await page.click('#action-respond');
  await statusIs(page, '处理中');
  assert.equal(await page.locator('#action-respond').count(), 0, 'responded once');

  // Resolve.
  await page.fill('#action-note', '更换同批次油品，客户已确认');
  await page.click('#action-resolve');
  await statusIs(page, '已解决待回访');
  await page.locator('#return-visit-form').waitFor({ timeout: 30_000 });

  // Closing without a return visit is refused with the server's message.
  await page.click('#action-close');
  const refusal = page.locator('#action-error');
  await refusal.waitFor({ timeout: 30_000 });
  assert.match(await refusal.innerText(), /回访/);
  assert.equal((await manager.get(`/api/v1/tickets/${ticketId}`)).status, 'resolved');

  // The return visit: solved, satisfaction 4 → closed.
  await page.selectOption('#rv-method', 'call');
  await page.check('#rv-solved-yes');
  await page.selectOption('#rv-satisfaction', '4');
  await page.fill('#rv-note', '客户表示满意');
  await page.click('#rv-submit');
  await statusIs(page, '已关闭');
  await page.locator('#ticket-closed').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#return-visit-form').count(), 0);
  const timeline = await page.locator('#ticket-timeline').innerText();
  for (const step of ['登记', '分派', '首次响应', '解决', '回访', '关闭']) {
    assert.match(timeline, new RegExp(step));
  }
  assert.match(timeline, /电话回访/);
  assert.match(timeline, /已解决/);
  assert.match(timeline, /★★★★☆ 4\/5/);
  assert.match(timeline, /客户表示满意/);
  const closed = await manager.get(`/api/v1/tickets/${ticketId}`);
  assert.equal(closed.status, 'closed');
  assert.equal(closed.satisfaction, 4);
  assert.deepEqual(
    closed.events.map((e) => e.kind),
    ['created', 'assigned', 'responded', 'resolved', 'return_visit', 'closed'],
  );
  await page.screenshot({ path: '/tmp/ygj-ticket-detail.png', fullPage: true });

  // The client's page lists it, closed.
  await page.goto(`${BASE_URL}/clients/${client.id}`);
  const listed = page.locator(`#client-ticket-list #ticket-${ticketId}`);
  await listed.waitFor({ timeout: 30_000 });
  assert.match(await listed.innerText(), /已关闭/);

  // English.
  await page.click('#lang-switch');
  await listed.getByText('Closed').waitFor({ timeout: 10_000 });
  await page.click('#lang-switch');
  await page.close();
});

test('the phone form raises a ticket for a stop\'s client', async () => {
  const page = await pageAs('manager', { width: 390, height: 844 });
  await page.goto(`${BASE_URL}/m/ticket/new?client=${client.id}`);
  await page.waitForFunction(
    (name) => document.querySelector('#ticket-client-name')?.textContent === name,
    client.name,
    { timeout: 30_000 },
  );
  const title = `配送延误 ${Date.now()}`;
  await page.selectOption('#ticket-type', 'complaint_delivery');
  await page.fill('#ticket-title', title);
  await page.fill('#ticket-description', '约定上午送达，下午仍未到');
  await page.click('#ticket-submit');
  const number = page.locator('#ticket-raised-number');
  await number.waitFor({ timeout: 30_000 });
  const list = await manager.get(`/api/v1/tickets?client_id=${client.id}&per_page=200`);
  const raised = list.items.find((t) => t.title === title);
  assert.ok(raised, 'the API has the phone\'s ticket');
  assert.equal(await number.innerText(), raised.number);
  assert.equal(raised.channel, 'field');
  await page.close();
});

test('the director\'s SLA board and the home page show the report\'s figures', async () => {
  const report = await director.get('/api/v1/service/report');
  assert.ok(report.total.tickets >= 2, 'the tickets raised above are in the director\'s report');
  const page = await pageAs('director');
  await page.goto(`${BASE_URL}/service/board`);
  const tile = page.locator('#board-kpi-tickets .kpi-value');
  await tile.waitFor({ timeout: 30_000 });
  assert.equal((await tile.innerText()).replace(/,/g, ''), String(report.total.tickets));
  const pct = (v) => (v == null ? '—' : `${(v * 100).toFixed(1)}%`);
  assert.equal(await page.locator('#board-kpi-respond .kpi-value').innerText(), pct(report.total.respond_compliance));
  assert.equal(await page.locator('#board-kpi-resolve .kpi-value').innerText(), pct(report.total.resolve_compliance));
  const mean = report.total.satisfaction_mean;
  assert.equal(
    await page.locator('#board-kpi-satisfaction .kpi-value').innerText(),
    mean == null ? '—' : mean.toFixed(1),
  );
  await page.locator('#board-by-unit .data-table, #board-by-unit .muted').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#board-by-unit .group-row').count(), report.by_unit.length);
  assert.equal(await page.locator('#board-by-assignee .group-row').count(), report.by_assignee.length);

  // The board's list is the active tickets escalated to a director or breached.
  const escalated = await director.get('/api/v1/tickets?status=active&level=director&per_page=200');
  const breached = await director.get('/api/v1/tickets?status=active&breached=true&per_page=200');
  const ids = new Set([...escalated.items, ...breached.items].map((t) => t.id));
  await page.locator('#board-list .total, #board-list .empty').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#board-list .ticket-row').count(), ids.size);

  // The XLSX export downloads signed in.
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.click('#report-export'),
  ]);
  assert.match(download.suggestedFilename(), /^service-report-.*\.xlsx$/);
  await page.screenshot({ path: '/tmp/ygj-service-board.png', fullPage: true });

  // The home page's card says the same and links to the board.
  await page.goto(`${BASE_URL}/dashboard`);
  const home = page.locator('#kpi-service-tickets .kpi-value');
  await home.waitFor({ timeout: 30_000 });
  assert.equal((await home.innerText()).replace(/,/g, ''), String(report.total.tickets));
  await page.click('#service-to-board');
  await page.waitForURL(`${BASE_URL}/service/board`);
  await page.close();
});
