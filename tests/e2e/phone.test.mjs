// The account manager's phone pages in a phone-sized, touch Chromium with a mocked GPS: today's
// stops in route order with AMap links (GCJ-02) and the route length; a check-in at the client
// (with a camera photo) is verified; one 2 km away is off site; one made offline waits in the
// outbox, the app shell reloads from the service worker, and it arrives exactly once when the
// network returns; and one whose answer is lost on the way is sent again under the same key and
// still recorded exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'zh-CN',
};

let browser;
let manager;
let today;
const clients = [];
const tasks = {};
const errors = [];

// The manager's visits (newest first), at most 200.
async function myVisits() {
  return (await manager.get('/api/v1/visits?mine=true&per_page=200')).items;
}

async function visitsForTask(taskId) {
  return (await myVisits()).filter((v) => v.task_id === taskId);
}

// A visit task for `client`, due today, assigned to the manager (the caller).
async function taskFor(client, label) {
  const { status, body } = await manager.send('POST', '/api/v1/tasks', {
    kind: 'visit',
    client_id: client.id,
    title: `手机打卡测试：${label}`,
    detail: '',
    due_date: today,
  });
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

// The point `metres` due north of `location`.
function northOf(location, metres) {
  return { latitude: location.lat + (metres / 6_371_008.8) * (180 / Math.PI), longitude: location.lon };
}

async function phone(position, extra = {}) {
  const context = await browser.newContext({
    ...PHONE,
    geolocation: { ...position, accuracy: 15 },
    permissions: ['geolocation'],
    ...extra,
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'manager');
  return { context, page };
}

async function openToday(page) {
  await page.goto(`${BASE_URL}/m`);
  await page.waitForSelector('#route-summary #route-length', { timeout: 30_000 });
}

// Opens the check-in of `task` from today's list and writes the visit record.
async function fillCheckIn(page, task, outcome) {
  await page.locator(`.stop[data-task="${task.id}"] .stop-checkin`).click();
  await page.waitForURL(`${BASE_URL}/m/checkin/${task.id}`);
  await page.waitForSelector('#checkin-position[data-state="ok"]', { timeout: 20_000 });
  assert.equal(await page.inputValue('#purpose'), task.title, 'the purpose starts as the task');
  await page.fill('#outcome', outcome);
  await page.fill('#next-step', '下周回访确认用量');
}

async function waitForOutcome(page, state) {
  await page.waitForSelector(`#checkin-result[data-state="${state}"]`, { timeout: 30_000 });
  return page.locator('#checkin-result');
}

before(async () => {
  browser = await launch();
  manager = await apiAs('manager');
  today = (await manager.get('/api/v1/visits/today')).date;

  // Four of the manager's clients with a registered location, one task each.
  const list = await manager.get('/api/v1/clients?per_page=50');
  for (const summary of list.items) {
    const detail = await manager.get(`/api/v1/clients/${summary.id}`);
    if (detail.location) clients.push(detail);
    if (clients.length === 4) break;
  }
  assert.equal(clients.length, 4, 'the manager has four clients with a location');
  for (const [i, name] of ['verified', 'far', 'offline', 'lost'].entries()) {
    tasks[name] = await taskFor(clients[i], name);
  }
});

after(async () => {
  await browser?.close();
});

test('today\'s stops come in route order with navigation links, the route length and the outbox', async () => {
  const route = await manager.get('/api/v1/visits/today');
  for (const task of Object.values(tasks)) {
    assert.ok(route.stops.some((s) => s.task.id === task.id), `task ${task.title} is due today`);
  }
  const { context, page } = await phone(northOf(clients[0].location, 0));
  await openToday(page);
  assert.equal(await page.locator('.sidenav').count(), 0, 'no desktop navigation on the phone page');

  // The page's order is the server's route order.
  const shown = await page.locator('.stop').evaluateAll((els) => els.map((e) => e.dataset.task));
  assert.deepEqual(shown, route.stops.map((s) => s.task.id));
  const km = (route.route_length_m / 1000).toFixed(1);
  const length = await page.locator('#route-length').innerText();
  assert.ok(length.startsWith('路线全长'), length);
  assert.ok(length.includes(route.route_length_m < 1000 ? '米' : `${km} 公里`), `${length} vs ${route.route_length_m} m`);
  assert.match(await page.locator('#stop-count').innerText(), new RegExp(`^${route.stops.length} 站$`));
  assert.match(await page.locator('#outbox-count').innerText(), /^待发送 0 条$/);

  // Each stop: name, address, class, leg, a large check-in button and an AMap link in GCJ-02.
  const stop = route.stops.find((s) => s.task.id === tasks.verified.id);
  const card = page.locator(`.stop[data-task="${stop.task.id}"]`);
  assert.equal(await card.locator('.stop-name').innerText(), stop.client.name);
  assert.equal(await card.locator('.stop-address').innerText(), stop.client.address || '—');
  if (stop.client.class) assert.equal(await card.locator('.cls').count(), 1);
  if (stop.leg_m !== null) assert.match(await card.locator('.stop-meta').innerText(), /距上一站 [\d.,]+ (米|公里)/);
  const href = await card.locator('.stop-nav').getAttribute('href');
  const match = href.match(/^https:\/\/uri\.amap\.com\/marker\?position=([\d.]+),([\d.]+)&/);
  assert.ok(match, href);
  const [lon, lat] = [Number(match[1]), Number(match[2])];
  const { lat: wLat, lon: wLon } = stop.client.location;
  // GCJ-02 is shifted a few hundred metres from WGS-84 around Changsha.
  const shift = Math.hypot(lat - wLat, lon - wLon);
  assert.ok(shift > 0.001 && shift < 0.01, `GCJ-02 shift ${shift}° (${lat},${lon} vs ${wLat},${wLon})`);
  assert.equal(await card.locator('.stop-geo').getAttribute('href'), `geo:${wLat.toFixed(6)},${wLon.toFixed(6)}`);
  const button = await card.locator('.stop-checkin').boundingBox();
  assert.ok(button.height >= 44, `touch target ${button.height}px high`);
  await page.screenshot({ path: '/tmp/ygj-phone-today.png', fullPage: true });
  await context.close();
});

test('a check-in at the client with a camera photo is verified', async () => {
  const task = tasks.verified;
  const { context, page } = await phone(northOf(clients[0].location, 30));
  await openToday(page);
  await page.locator(`.stop[data-task="${task.id}"] .stop-checkin`).click();
  await page.waitForSelector('#checkin-position[data-state="ok"]', { timeout: 20_000 });
  assert.match(await page.locator('#checkin-accuracy').innerText(), /精度 ±15 米/);

  // The record is checked before anything is sent: the outcome is required.
  await page.click('#checkin-submit');
  await page.waitForSelector('#outcome.invalid');
  assert.match(await page.locator('#outcome ~ .field-error').innerText(), /走访结果/);
  assert.equal((await visitsForTask(task.id)).length, 0, 'nothing sent yet');
  await page.goBack();

  await fillCheckIn(page, task, '客户下月柴油用量增加约 20 吨');
  await page.fill('#competitor', '某民营油库');
  await page.fill('#price-gap', '-80');
  // A photo from the "camera": the page shrinks it to JPEG and uploads it at once.
  const png = Buffer.from(await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d');
    g.fillStyle = '#0b5cab';
    g.fillRect(0, 0, 320, 240);
    g.fillStyle = '#e8720c';
    g.fillRect(80, 60, 160, 120);
    return canvas.toDataURL('image/png').split(',')[1];
  }), 'base64');
  await page.setInputFiles('#photo-input', { name: 'site.png', mimeType: 'image/png', buffer: png });
  await page.waitForSelector('.checkin-photo .badge-ok', { timeout: 20_000 });
  await page.click('#checkin-submit');
  const result = await waitForOutcome(page, 'delivered');
  assert.equal(await result.getAttribute('data-verdict'), 'verified');
  assert.match(await result.innerText(), /已核实 · \d+ 米/);

  const [visit, ...more] = await visitsForTask(task.id);
  assert.equal(more.length, 0);
  assert.equal(visit.assessment.verdict, 'verified');
  assert.ok(Math.abs(visit.assessment.distance_m - 30) < 2, `distance ${visit.assessment.distance_m}`);
  assert.equal(visit.accuracy_m, 15);
  assert.equal(visit.record.outcome, '客户下月柴油用量增加约 20 吨');
  assert.equal(visit.record.competitor_seen, '某民营油库');
  assert.equal(visit.record.price_gap_yuan_per_t, -80);
  assert.equal(visit.photo_ids.length, 1, 'the photo went with the check-in');
  assert.ok(visit.sent_at, 'the phone says when it sent it');
  assert.match(visit.idempotency_key, /^[0-9a-f-]{36}$/);

  // Back on the list the stop is done.
  await page.click('#checkin-result a[href="/m"]');
  await page.waitForSelector(`.stop[data-task="${task.id}"] .stop-done, #route-stops:not(:has(.stop[data-task="${task.id}"]))`);
  await context.close();
});

test('a check-in two kilometres away is recorded as off site', async () => {
  const task = tasks.far;
  const { context, page } = await phone(northOf(clients[1].location, 2_000));
  await openToday(page);
  await fillCheckIn(page, task, '客户不在，电话沟通');
  await page.click('#checkin-submit');
  const result = await waitForOutcome(page, 'delivered');
  assert.equal(await result.getAttribute('data-verdict'), 'off_site');
  assert.match(await result.innerText(), /不在现场 · 2\.0 公里/);
  const [visit, ...more] = await visitsForTask(task.id);
  assert.equal(more.length, 0);
  assert.equal(visit.assessment.verdict, 'off_site');
  assert.ok(Math.abs(visit.assessment.distance_m - 2_000) < 5, `distance ${visit.assessment.distance_m}`);
  await context.close();
});

test('a check-in made offline waits in the outbox and arrives exactly once when the network returns', async () => {
  const task = tasks.offline;
  const { context, page } = await phone(northOf(clients[2].location, 10));
  await openToday(page);
  // The service worker has the app shell before the network goes.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(async () => (await caches.keys()).some((k) => k.startsWith('ygj-shell-')));
  await context.setOffline(true);

  // A reload without a network: the shell comes from the service worker, the route from the
  // phone's copy.
  await page.reload();
  await page.waitForSelector('#route-cached', { timeout: 30_000 });
  assert.match(await page.locator('#network-state').innerText(), /离线/);
  await fillCheckIn(page, task, '离线打卡：地下油库无信号');
  await page.click('#checkin-submit');
  const result = await waitForOutcome(page, 'pending');
  assert.match(await result.innerText(), /无网络/);

  await page.click('.phone-back');
  await page.waitForSelector('#outbox-list .outbox-item[data-state="pending"]');
  assert.match(await page.locator('#outbox-count').innerText(), /^待发送 1 条$/);
  assert.ok(await page.locator(`.stop[data-task="${task.id}"] .stop-queued`).isVisible());
  const key = await page.locator('#outbox-list .outbox-item').getAttribute('data-key');
  assert.match(key, /^[0-9a-f-]{36}$/);
  assert.equal(await page.locator('#send-now').isDisabled(), true, 'nothing to send to while offline');
  assert.equal((await visitsForTask(task.id)).length, 0, 'the server has not seen it');
  await page.screenshot({ path: '/tmp/ygj-phone-outbox.png', fullPage: true });

  // The network returns: the `online` event sends it.
  await context.setOffline(false);
  await page.waitForFunction(() => document.querySelector('#outbox-count')?.textContent === '待发送 0 条', null, { timeout: 30_000 });
  let visits = await visitsForTask(task.id);
  assert.equal(visits.length, 1);
  assert.equal(visits[0].idempotency_key, key, 'sent under the key made on the phone');
  assert.ok(new Date(visits[0].sent_at) > new Date(visits[0].device_time), 'sent later than made');
  assert.equal(visits[0].assessment.verdict, 'verified');
  assert.equal(visits[0].assessment.clock_flag, false);

  // A reload and "send now" send nothing more.
  await page.reload();
  await page.waitForSelector('#route-summary #route-length');
  assert.match(await page.locator('#outbox-count').innerText(), /^待发送 0 条$/);
  visits = (await myVisits()).filter((v) => v.idempotency_key === key);
  assert.equal(visits.length, 1, 'recorded exactly once');
  await context.close();
});

test('a check-in whose answer is lost is sent again under its key and recorded once', async () => {
  const task = tasks.lost;
  // Request interception does not see what a service worker answers; this phone has none.
  const { context, page } = await phone(northOf(clients[3].location, 10), { serviceWorkers: 'block' });
  let first = null;
  await page.route('**/api/v1/visits', async (route) => {
    if (route.request().method() !== 'POST' || first) return route.continue();
    // The server gets the check-in, the phone never hears back.
    const response = await route.fetch();
    first = { status: response.status(), body: JSON.parse(route.request().postData()) };
    await route.abort('internetdisconnected');
  });
  await openToday(page);
  await fillCheckIn(page, task, '应答丢失测试');
  await page.click('#checkin-submit');
  const result = await waitForOutcome(page, 'pending');
  await page.waitForFunction(() => !/正在发送/.test(document.querySelector('#checkin-result').textContent));
  assert.match(await result.innerText(), /尚未发送成功/);
  assert.equal(first?.status, 201, 'the first attempt reached the server');
  let visits = await visitsForTask(task.id);
  assert.equal(visits.length, 1);
  assert.equal(visits[0].idempotency_key, first.body.idempotency_key);

  // "Send now" tries again with the same key; the phone learns the check-in is recorded.
  await page.unroute('**/api/v1/visits');
  const later = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/visits') later.push(r.status());
  });
  await page.click('.phone-back');
  await page.waitForSelector('#outbox-list .outbox-item[data-state="pending"]');
  assert.equal(await page.locator('#outbox-list .outbox-item').getAttribute('data-key'), first.body.idempotency_key);
  await page.click('#send-now');
  await page.waitForFunction(() => document.querySelector('#outbox-count')?.textContent === '待发送 0 条', null, { timeout: 30_000 });
  assert.equal(await page.locator('#outbox-list .outbox-item').count(), 0, 'not kept as failed either');
  // The server answers the replay with the visit (200): `sent_at` changed, but it is not part of
  // the content compared (a 409 would leave the item in the outbox as failed, checked above).
  assert.equal(later.length, 1, `one more attempt: ${later}`);
  assert.ok([200, 409].includes(later[0]), `replay answered ${later[0]}`);
  visits = await visitsForTask(task.id);
  assert.equal(visits.length, 1, 'recorded exactly once');
  await context.close();
  assert.deepEqual(errors, [], 'no script errors');
});
