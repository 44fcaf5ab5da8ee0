// The prospect pipeline in the browser: the account manager enters a prospect (first with a USCC
// whose check character is wrong, refused under the USCC field), finds it in the 已识别 column,
// moves it to 已接触 and 洽谈中 with the card's button, is refused when trying to move it to 已成交
// (only the first sales order does that) and when giving it up without a reason. A second
// prospect whose name differs only by its legal form in the same county brings the similar-name
// warning, the server's 409 and the "仍然创建" checkbox, which creates it. The funnel page's total
// equals `GET /api/v1/prospects/funnel`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

// GB 32100-2015: 31 characters, weights 3^i mod 31, weighted sum ≡ 0 (mod 31).
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function checkCharacter(first17) {
  let sum = 0;
  let weight = 1;
  for (const c of first17) {
    sum += ALPHABET.indexOf(c) * weight;
    weight = (weight * 3) % 31;
  }
  return ALPHABET[(31 - (sum % 31)) % 31];
}
function uscc(seed) {
  const org = String(seed).padStart(9, '0').slice(-9);
  const first17 = `91430100${org}`;
  return first17 + checkCharacter(first17);
}
function wrongCheck(code) {
  const c = code[17];
  return code.slice(0, 17) + (c === '0' ? '1' : '0');
}

let browser;
let manager;
let me;
let city;
let county;
const errors = [];
const stamp = Date.now();
const core = `测试${String(stamp).slice(-6)}顺达`;

async function pageAs(username, viewport = { width: 1600, height: 1000 }) {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, username);
  return page;
}

async function fillForm(page, { name, code, demand = '35' }) {
  await page.goto(`${BASE_URL}/prospects/new`);
  await page.locator('#field-city').waitFor({ timeout: 30_000 });
  await page.selectOption('#field-city', city.id, { timeout: 30_000 });
  await page.selectOption('#field-org_unit_id', county.id, { timeout: 30_000 });
  await page.selectOption('#field-account_manager_id', me.id, { timeout: 30_000 });
  await page.fill('#field-name', name);
  await page.fill('#field-uscc', code);
  await page.fill('#field-address', `${county.name}工业园 8 号`);
  await page.fill('#field-contacts-0--name', '刘经理');
  await page.fill('#field-contacts-0--phone', '13800138000');
  await page.fill('#field-est_monthly_demand_t', demand);
  await page.fill('#field-previous_channel', '民营油库');
  await page.fill('#field-source', '2026 年秋季市场调查');
}

async function inColumn(page, stage, id) {
  await page.locator(`#col-${stage} #prospect-${id}`).waitFor({ timeout: 30_000 });
}

before(async () => {
  browser = await launch();
  manager = await apiAs('manager');
  me = await manager.get('/api/v1/me');
  const units = await manager.get('/api/v1/org-units');
  const byId = new Map(units.map((u) => [u.id, u]));
  const own = byId.get(me.org_unit_id);
  county = own.level === 'county' ? own : units.find((u) => u.level === 'county' && u.parent_id === own.id);
  assert.ok(county, 'the manager serves a county');
  city = byId.get(county.parent_id);
});

after(async () => {
  await browser?.close();
  assert.deepEqual(errors, [], 'no script errors on the pages');
});

let firstId;

test('a prospect is entered, refused a bad USCC, and moved along the board', async () => {
  const page = await pageAs('manager');
  const name = `${core}物流有限公司`;
  const code = uscc(stamp % 1e9);
  await fillForm(page, { name, code: wrongCheck(code) });
  await page.click('#save-prospect');
  const usccError = page.locator('.field-error[data-field="uscc"]');
  await usccError.waitFor({ timeout: 30_000 });
  assert.match(await usccError.innerText(), /信用代码|校验/);
  assert.equal((await manager.get(`/api/v1/prospects?q=${encodeURIComponent(core)}`)).total, 0);

  await page.fill('#field-uscc', code);
  await page.click('#save-prospect');
  await page.waitForURL(`${BASE_URL}/prospects`, { timeout: 30_000 });
  const list = await manager.get(`/api/v1/prospects?q=${encodeURIComponent(core)}`);
  assert.equal(list.total, 1);
  const saved = list.items[0];
  firstId = saved.client_id;
  assert.equal(saved.name, name);
  assert.equal(saved.uscc, code);
  assert.equal(saved.stage, 'identified');
  assert.equal(saved.org_unit_id, county.id);
  assert.equal(saved.est_monthly_demand_t, 35);
  assert.equal(saved.previous_channel, '民营油库');

  await inColumn(page, 'identified', firstId);
  const card = await page.locator(`#prospect-${firstId}`).innerText();
  assert.match(card, new RegExp(name));
  assert.match(card, new RegExp(county.name));
  assert.match(card, /35/);
  const link = page.locator(`#prospect-${firstId} a.client-link`);
  assert.equal(await link.getAttribute('href'), `/clients/${firstId}`);

  await page.click(`#prospect-${firstId} button.advance`);
  await inColumn(page, 'contacted', firstId);
  await page.click(`#prospect-${firstId} button.advance`);
  await inColumn(page, 'negotiating', firstId);
  assert.equal((await manager.get(`/api/v1/prospects/${firstId}`)).stage, 'negotiating');

  // Won only comes from the first sales order: the server's refusal is shown.
  await page.click(`#prospect-${firstId} button.advance`);
  const refusal = page.locator('#board-error');
  await refusal.waitFor({ timeout: 30_000 });
  assert.match(await refusal.innerText(), /订单/);
  assert.equal((await manager.get(`/api/v1/prospects/${firstId}`)).stage, 'negotiating');

  // Giving up needs a reason (422 shown), then the card moves to 已放弃 … and back.
  await page.click(`#prospect-${firstId} button.lose`);
  await page.locator(`#lose-reason-${firstId}`).waitFor({ timeout: 30_000 });
  await page.click(`#prospect-${firstId} button.lose-confirm`);
  await page.waitForFunction(() => /原因|reason/.test(document.querySelector('#board-error')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal((await manager.get(`/api/v1/prospects/${firstId}`)).stage, 'negotiating');
  await page.fill(`#lose-reason-${firstId}`, '价格无优势');
  await page.click(`#prospect-${firstId} button.lose-confirm`);
  await inColumn(page, 'lost', firstId);
  const lost = await manager.get(`/api/v1/prospects/${firstId}`);
  assert.equal(lost.stage, 'lost');
  assert.equal(lost.lost_reason, '价格无优势');
  await page.click(`#prospect-${firstId} button.reopen`);
  await inColumn(page, 'identified', firstId);
  await page.close();
});

test('a name that differs only by legal form in the same county is warned about', async () => {
  assert.ok(firstId, 'the first prospect exists');
  const page = await pageAs('manager');
  const name = `湖南${core}物流公司`;
  await fillForm(page, { name, code: uscc((stamp + 7) % 1e9), demand: '12.5' });
  const warning = page.locator('#similar-warning');
  await warning.waitFor({ timeout: 30_000 });
  assert.match(await warning.innerText(), new RegExp(`${core}物流有限公司`));
  await page.locator('#confirm-similar').waitFor({ timeout: 30_000 });

  // Sent without the box ticked: the server's 409 lists the similar name.
  await page.click('#save-prospect');
  const notice = page.locator('#form-notice');
  await notice.waitFor({ timeout: 30_000 });
  assert.match(await notice.innerText(), /名称相近/);
  assert.match(await page.locator('.field-error[data-field="name"]').innerText(), new RegExp(core));
  assert.equal((await manager.get(`/api/v1/prospects?q=${encodeURIComponent(core)}`)).total, 1);
  assert.match(await page.locator('#confirm-similar-label').innerText(), /仍然创建（确认不是同一家）/);

  // Ticked: created anyway.
  await page.check('#confirm-similar');
  await page.click('#save-prospect');
  await page.waitForURL(`${BASE_URL}/prospects`, { timeout: 30_000 });
  const list = await manager.get(`/api/v1/prospects?q=${encodeURIComponent(core)}`);
  assert.equal(list.total, 2);
  const second = list.items.find((p) => p.name === name);
  assert.ok(second);
  await inColumn(page, 'identified', second.client_id);
  await page.close();
});

test('the funnel page shows what the funnel API reports', async () => {
  const page = await pageAs('manager');
  await page.goto(`${BASE_URL}/prospects/funnel`);
  const total = page.locator('#funnel-total td.entered');
  await total.waitFor({ timeout: 30_000 });
  const report = await manager.get('/api/v1/prospects/funnel');
  assert.ok(report.total.entered >= 2);
  assert.equal((await total.innerText()).trim().replace(/,/g, ''), String(report.total.entered));
  const rows = await page.locator('#prospect-funnel tr.funnel-row').count();
  assert.equal(rows, report.by_unit.length + 1);
  await page.close();
});
