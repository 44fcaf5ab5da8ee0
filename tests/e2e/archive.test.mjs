// Archives in the browser: a director sees completeness and what is expiring, reviews a pending
// document, screens hazchem permits and dispatches visits; an account manager uploads a page
// from the client page; the export starts a ZIP download.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A small real PNG (1×1, red), so the server's content check and image decoding pass.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
  'base64',
);

test('the director sees archive completeness on the dashboard and drills down', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page, 'director');
  const api = await apiAs('director');
  const report = await api.get('/api/v1/archive/completeness');
  await page.goto(`${BASE_URL}/dashboard`);
  const rate = `${(report.total.rate * 100).toFixed(1)}%`;
  await page.waitForFunction((r) => document.querySelector('#kpi-rate')?.textContent === r, rate, { timeout: 20_000 });
  assert.match(await page.locator('#archive-overview').innerText(), /待审核证照/);
  await page.screenshot({ path: '/tmp/ygj-archive-dashboard.png' });

  // Drill down: a missing-type count opens the clients behind it.
  const link = page.locator('.completeness-table a[href*="tab=incomplete"]').first();
  if (await link.count()) {
    await link.click();
    await page.waitForSelector('.incomplete-table tbody tr', { timeout: 20_000 });
  }
  // Expiring documents list.
  await page.goto(`${BASE_URL}/documents?tab=expiring`);
  await page.waitForSelector('#document-list p', { timeout: 20_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an account manager uploads a page and the director approves it', async () => {
  const manager = await apiAs('manager');
  const client = (await manager.get('/api/v1/clients?per_page=1')).items[0];
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await signIn(page, 'manager');
  await page.goto(`${BASE_URL}/clients/${client.id}`);
  await page.waitForSelector('#upload-form', { timeout: 20_000 });
  await page.selectOption('#doc-type', 'authorisation_letter');
  await page.fill('#doc-number', 'E2E-001');
  await page.fill('#doc-valid-to', '2027-12-31');
  await page.setInputFiles('#doc-files', { name: 'letter.png', mimeType: 'image/png', buffer: PNG });
  await page.click('#doc-upload');
  await page.waitForFunction(() => /等待主任审核/.test(document.querySelector('#upload-message')?.textContent ?? ''), null, { timeout: 20_000 });
  await page.waitForSelector('text=E2E-001', { timeout: 20_000 });
  await page.screenshot({ path: '/tmp/ygj-client-documents.png' });
  await page.close();

  // The director finds it in the review queue and approves it.
  const review = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(review, 'director');
  await review.goto(`${BASE_URL}/documents?tab=review`);
  const row = review.locator('tr', { hasText: 'E2E-001' });
  await row.waitFor({ timeout: 20_000 });
  await row.locator('[data-act="approve"]').click();
  await review.waitForFunction(() => !document.body.innerText.includes('E2E-001'), null, { timeout: 20_000 });
  const docs = await manager.get(`/api/v1/clients/${client.id}/documents`);
  const approved = docs.documents.find((d) => d.number === 'E2E-001');
  assert.equal(approved.review, 'approved');
  await review.close();
});

test('the director screens hazchem permits, dispatches visits and starts an export', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, 'director');
  await page.goto(`${BASE_URL}/documents?tab=hazchem`);
  await page.waitForSelector('#hazchem-total', { timeout: 20_000 });
  await page.click('#hazchem-dispatch');
  await page.waitForFunction(() => /新派发走访任务/.test(document.querySelector('#hazchem-outcome')?.textContent ?? ''), null, { timeout: 20_000 });

  await page.goto(`${BASE_URL}/documents?tab=export`);
  await page.waitForSelector('#export-start', { timeout: 20_000 });
  const download = page.waitForEvent('download', { timeout: 60_000 });
  await page.click('#export-start');
  const file = await download;
  assert.match(file.suggestedFilename(), /^archives-.*\.zip$/);
  const path = await file.path();
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'a ZIP arrived');
  await page.goto(`${BASE_URL}/tasks`);
  await page.waitForSelector('#tasks', { timeout: 20_000 });
  await page.close();
});

test('the admin edits the requirement matrix as a new version and runs the expiry job', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page);
  await page.goto(`${BASE_URL}/admin/requirements`);
  await page.waitForSelector('.requirements-table select', { timeout: 20_000 });
  const api = await apiAs('admin');
  const before = await api.get('/api/v1/archive/requirements');
  // End users: the delivery address filing becomes required.
  const row = page.locator('.requirements-table tbody tr').first();
  await row.locator('select').last().selectOption('required');
  await page.click('#requirements-save');
  await page.waitForFunction(() => /新版本/.test(document.querySelector('#requirements-message')?.textContent ?? ''), null, { timeout: 20_000 });
  const after = await api.get('/api/v1/archive/requirements');
  assert.equal(after.current.version, before.current.version + 1);
  assert.equal(after.current.matrix.groups.end_user.delivery_address_filing, 'required');
  await page.click('#run-expiry-job');
  await page.waitForFunction(() => /新建任务/.test(document.querySelector('#requirements-message')?.textContent ?? ''), null, { timeout: 30_000 });
  await page.close();
});
