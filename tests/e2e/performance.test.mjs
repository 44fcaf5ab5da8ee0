// The performance pages in the browser: the administrator computes 2026-11 (the month before the
// demo server's date, full of orders) from /performance and sees as many team rows as
// `GET /api/v1/scorecards` has; opens one person, adds +5 with a reason and sees the final score
// move by 5 (capped at 100) as the API says; locks the month (confirming), sees 已锁定, and a
// second compute is refused with month_locked; the payroll export downloads. The account manager
// sees only their own scorecard, and the volume figure's evidence rows add up to its tonnes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

const MONTH = '2026-11';
let browser;
let admin;
const errors = [];

async function pageAs(username) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, username);
  return page;
}

const number = (text) => Number(text.replace(/[^0-9.\-]/g, ''));

before(async () => {
  browser = await launch();
  admin = await apiAs('admin');
});

after(async () => {
  await browser?.close();
  assert.deepEqual(errors, [], 'no script errors on the pages');
});

test('the administrator computes, adjusts, locks and exports a month', async () => {
  const page = await pageAs('admin');
  await page.goto(`${BASE_URL}/performance?month=${MONTH}`);
  await page.locator('#perf-compute').waitFor({ timeout: 30_000 });
  assert.equal(await page.inputValue('#perf-month'), MONTH);
  // The scheme in force is shown.
  await page.locator('#perf-scheme .perf-scheme').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#perf-scheme').innerText(), /50%/);

  await page.click('#perf-compute');
  await page.locator('#perf-admin-done').waitFor({ timeout: 60_000 });
  const listed = await admin.get(`/api/v1/scorecards?month=${MONTH}`);
  assert.ok(listed.items.length > 0, 'the month has scorecards');
  await page.locator('#perf-team .perf-row').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#perf-team .perf-row').count(), listed.items.length);
  assert.equal(await page.locator('#perf-units .unit-row').count(), listed.units.length);

  // One person's scorecard, then +5 with a reason.
  const person = listed.items.find((c) => c.final_score <= 95) ?? listed.items[0];
  await page.click(`#perf-row-${person.user_id}`);
  await page.waitForURL(`${BASE_URL}/performance/${MONTH}/${person.user_id}`, { timeout: 30_000 });
  await page.locator('#perf-final').waitFor({ timeout: 30_000 });
  const before = number(await page.locator('#perf-final').innerText());
  assert.equal(before, person.final_score);

  // The server's field errors come back under the fields.
  await page.click('#adj-submit');
  await page.locator('.field-error[data-field="points"]').waitFor({ timeout: 30_000 });

  await page.fill('#adj-points', '5');
  await page.fill('#adj-reason', '协助开发新客户，额外加分');
  await page.click('#adj-submit');
  await page.locator('#adj-saved').waitFor({ timeout: 30_000 });
  const expected = Math.min(100, Math.round((person.final_score + 5) * 10) / 10);
  await page.waitForFunction(
    (want) => Number(document.querySelector('#perf-final')?.innerText.replace(/[^0-9.\-]/g, '')) === want,
    expected,
    { timeout: 30_000 },
  );
  const detail = await admin.get(`/api/v1/scorecards/${MONTH}/users/${person.user_id}`);
  assert.equal(detail.scorecard.final_score, expected);
  assert.equal(detail.scorecard.adjustments.length, 1);
  assert.match(await page.locator('#perf-adjustments-list').innerText(), /协助开发新客户/);

  // Lock (confirming), then computing again is refused.
  await page.click('#perf-back');
  await page.locator('#perf-lock').waitFor({ timeout: 30_000 });
  page.once('dialog', (d) => d.accept());
  await page.click('#perf-lock');
  await page.locator('#perf-admin-done').waitFor({ timeout: 30_000 });
  // (A list read that was under way when the lock landed may show for a moment.)
  await page.waitForFunction(
    (id) => document.querySelector('#perf-month-status')?.innerText.includes('已锁定')
      && document.querySelector(`#perf-row-${id} .perf-status`)?.innerText.includes('已锁定'),
    person.user_id,
    { timeout: 30_000 },
  );
  assert.equal((await admin.get(`/api/v1/scorecards?month=${MONTH}`)).locked, true);
  await page.click('#perf-compute');
  const refusal = page.locator('#perf-admin-error');
  await refusal.waitFor({ timeout: 30_000 });
  assert.match(await refusal.innerText(), /已锁定/);
  const again = await admin.send('POST', `/api/v1/scorecards/${MONTH}/compute`);
  assert.equal(again.status, 409);
  assert.equal(again.body.errors[0].code, 'month_locked');

  // On the locked month an adjustment becomes a correction, and the form says so.
  await page.click(`#perf-row-${person.user_id}`);
  await page.locator('#adj-correction-note').waitFor({ timeout: 30_000 });

  // The payroll export downloads, signed in.
  await page.goto(`${BASE_URL}/performance?month=${MONTH}`);
  await page.locator('#perf-export').waitFor({ timeout: 30_000 });
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.click('#perf-export'),
  ]);
  assert.equal(download.suggestedFilename(), `scorecards-${MONTH}.xlsx`);

  // A file that is not a workbook is refused with the server's message.
  await page.setInputFiles('#perf-targets-file', {
    name: 'targets.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: Buffer.from('not a workbook'),
  });
  await page.locator('#perf-admin-error').waitFor({ timeout: 30_000 });
  await page.screenshot({ path: '/tmp/ygj-performance-admin.png', fullPage: true });
});

test('an account manager sees only their own scorecard and why', async () => {
  const manager = await apiAs('manager');
  const me = await manager.get('/api/v1/me');
  const own = await manager.get(`/api/v1/scorecards?month=${MONTH}`);
  assert.equal(own.items.length, 1);
  assert.equal(own.items[0].user_id, me.id);
  const detail = await manager.get(`/api/v1/scorecards/${MONTH}/users/${me.id}`);

  const page = await pageAs('manager');
  await page.goto(`${BASE_URL}/performance?month=${MONTH}`);
  await page.locator('#perf-final').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#perf-team').count(), 0, 'no team table');
  assert.equal(await page.locator('#perf-compute').count(), 0, 'no admin controls');
  assert.equal(await page.locator('#adjust-form').count(), 0, 'no adjustment form');
  assert.match(await page.locator('#perf-person').innerText(), new RegExp(me.display_name));
  assert.equal(number(await page.locator('#perf-final').innerText()), detail.scorecard.final_score);
  assert.equal(await page.locator('#perf-detail .component-row').count(), 5);

  await page.click('#component-volume');
  await page.locator('#perf-evidence-title').waitFor({ timeout: 30_000 });
  const orders = detail.evidence.filter((e) => e.component === 'volume');
  assert.equal(await page.locator('#perf-evidence .evidence-row').count(), orders.length);
  const tonnes = await page.locator('#perf-evidence .ev-tonnes').evaluateAll(
    (cells) => cells.reduce((sum, c) => sum + Number(c.dataset.tonnes), 0),
  );
  assert.ok(orders.length > 0, 'the manager sold in the month');
  assert.ok(Math.abs(tonnes - detail.scorecard.inputs.volume_t) < 0.001, `${tonnes} t vs ${detail.scorecard.inputs.volume_t} t`);
  await page.screenshot({ path: '/tmp/ygj-performance-manager.png', fullPage: true });
});
