// A manager signs in, sees the province's clients in Chinese, searches, and opens one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function apiTotal(path) {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'Demo@2026' }),
  });
  const { access_token } = await login.json();
  const response = await fetch(`${BASE_URL}${path}`, { headers: { authorization: `Bearer ${access_token}` } });
  return (await response.json()).total;
}

test('signed-out visitors are sent to the sign-in page', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE_URL}/clients`);
  await page.waitForSelector('#login-submit', { timeout: 30_000 });
  assert.match(page.url(), /\/login/);
  await page.close();
});

test('a wrong password shows an error in Chinese', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE_URL}/login`);
  await page.waitForSelector('#username');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'wrong-password');
  await page.click('#login-submit');
  await page.waitForSelector('text=用户名或密码错误', { timeout: 15_000 });
  await page.close();
});

test('the admin signs in, browses the client list, searches and opens a client', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page);
  const total = await apiTotal('/api/v1/clients?per_page=1');
  assert.ok(total > 1000, `demo has clients (${total})`);
  await page.waitForFunction((n) => (document.querySelector('#client-total')?.textContent ?? '').replace(/[,\s]/g, '').includes(String(n)), total, { timeout: 15_000 });
  const rows = await page.locator('.client-row').count();
  assert.ok(rows > 10 && rows <= 50, `one page of rows (${rows})`);
  assert.match(await page.locator('body').innerText(), /客户/);
  await page.screenshot({ path: '/tmp/ygj-client-list.png' });

  // Search narrows the list (server-side).
  const firstName = (await page.locator('.client-row').first().innerText()).split('\n')[0].trim();
  const fragment = [...firstName].slice(0, 6).join('');
  await page.fill('#client-search', fragment);
  await page.waitForFunction((t) => {
    const text = document.querySelector('#client-total')?.textContent ?? '';
    const n = Number((text.match(/\d[\d,]*/) ?? ['0'])[0].replace(/,/g, ''));
    return n > 0 && n < t;
  }, total, { timeout: 15_000 });

  // Open the first client.
  const rowText = await page.locator('.client-row').first().innerText();
  await page.locator('.client-row').first().locator('a').first().click();
  await page.waitForSelector('#client-name', { timeout: 15_000 });
  const name = (await page.locator('#client-name').innerText()).trim();
  assert.ok(name.length > 3 && rowText.includes(name), `opened ${name}`);
  assert.match(page.url(), /\/clients\/[0-9a-f-]{36}/);
  const body = await page.locator('body').innerText();
  assert.match(body, /统一社会信用代码|信用代码/);
  await page.waitForSelector('#section-history', { timeout: 15_000 });
  await page.screenshot({ path: '/tmp/ygj-client-page.png', fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('the client list works on a phone screen and in English', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await signIn(page, 'manager');
  const rows = await page.locator('.client-row').count();
  assert.ok(rows > 0);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling on a phone (${overflow}px)`);
  await page.screenshot({ path: '/tmp/ygj-phone.png' });
  await page.click('#lang-switch');
  await page.waitForFunction(() => /Clients/.test(document.body.innerText), null, { timeout: 10_000 });
  await page.close();
});

test('an edit shows up in the client history', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page);
  await page.locator('.client-row').first().locator('a').first().click();
  await page.waitForSelector('#client-name');
  const url = page.url();
  await page.click('#edit-client');
  const address = page.locator('input[name="address"], #field-address, #address').first();
  await address.waitFor({ timeout: 15_000 });
  const newAddress = `浏览器测试地址 ${Date.now()}`;
  await address.fill(newAddress);
  await page.click('#save-client');
  await page.waitForURL(url, { timeout: 15_000 });
  await page.waitForFunction((text) => document.querySelector('#section-history')?.innerText.includes(text), newAddress, { timeout: 15_000 });
  await page.close();
});

test('an expired access token is refreshed without leaving the page; signing out ends the session', async () => {
  const page = await browser.newPage();
  await signIn(page, 'director');
  // Spoil the access token: the next API call gets 401, refreshes, and retries.
  await page.evaluate(() => localStorage.setItem('ygj.token', 'expired.or.forged'));
  await page.fill('#client-search', '有限');
  await page.waitForFunction(() => !/expired/.test(localStorage.getItem('ygj.token') ?? 'expired'), null, { timeout: 15_000 });
  assert.match(page.url(), /\/clients/);
  const refreshed = await page.evaluate(() => localStorage.getItem('ygj.token'));
  const me = await fetch(`${BASE_URL}/api/v1/me`, { headers: { authorization: `Bearer ${refreshed}` } });
  assert.equal(me.status, 200);
  await page.click('#sign-out');
  await page.waitForSelector('#login-submit', { timeout: 15_000 });
  const after = await fetch(`${BASE_URL}/api/v1/me`, { headers: { authorization: `Bearer ${refreshed}` } });
  assert.equal(after.status, 401, 'the signed-out session no longer works');
  await page.close();
});

test('a viewer reads without edit buttons and with masked phones', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, 'viewer');
  assert.equal(await page.locator('#new-client').count(), 0);
  assert.match(await page.locator('.client-row').first().innerText(), /\*\*\*\*/);
  await page.locator('.client-row').first().locator('a').first().click();
  await page.waitForSelector('#client-name');
  assert.equal(await page.locator('#edit-client').count(), 0);
  await page.close();
});

test('an account manager sees only their own clients, and their unit read-only', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, 'manager');
  await page.waitForSelector('#view-own');
  const me = await page.evaluate(async () => {
    const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${localStorage.getItem('ygj.token')}` } });
    return r.json();
  });
  const ownRows = await page.locator('.client-row').allInnerTexts();
  assert.ok(ownRows.length > 0, 'the manager owns clients');
  assert.ok(ownRows.every((row) => row.includes(me.display_name)), 'every listed client is their own');

  await page.click('#view-unit');
  await page.waitForSelector('#unit-view-note');
  await page.waitForFunction(() => [...document.querySelectorAll('.client-row')].some((r) => r.querySelector('a') === null), null, { timeout: 15_000 });
  const unitRows = await page.locator('.client-row').allInnerTexts();
  assert.ok(unitRows.some((row) => !row.includes(me.display_name)), 'colleagues’ clients are listed');
  // The contact column (name and phone): no full mobile number in the unit view.
  const contacts = await page.$$eval('.client-row', (rows) => rows.map((r) => r.querySelector('td[data-label="联系人"]')?.textContent ?? r.children[5]?.textContent ?? ''));
  assert.ok(contacts.length > 0);
  assert.ok(contacts.every((c) => !/1[3-9]\d{9}/.test(c.replace(/\s/g, ''))), `phones are masked: ${contacts.slice(0, 3)}`);
  assert.match(page.url(), /view=unit/);
  await page.close();
});

test('the filtered client list exports as a spreadsheet', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  await signIn(page, 'director');
  await page.goto(`${BASE_URL}/clients?category=filling_station`);
  await page.waitForSelector('.client-row');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.click('#export-clients'),
  ]);
  const path = await download.path();
  const { readFile } = await import('node:fs/promises');
  const csv = await readFile(path, 'utf8');
  assert.ok(csv.startsWith('\ufeff统一社会信用代码'), 'BOM and Chinese header');
  const rows = csv.trim().split('\r\n').slice(1);
  const total = await page.evaluate(async () => {
    const r = await fetch('/api/v1/clients?category=filling_station&per_page=1', { headers: { authorization: `Bearer ${localStorage.getItem('ygj.token')}` } });
    return (await r.json()).total;
  });
  assert.equal(rows.length, total);
  assert.ok(rows.every((row) => row.includes('加油站') || row.includes('filling')), 'only the filtered category');
  await page.close();
});
