// Administration in the browser: the org tree, users (create, hand over clients, deactivate),
// integrator tokens (secret shown once, revoke) and the audit log that records all of it.
// The tests run in order and share what they created.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, apiAs, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const stamp = Date.now().toString(36);
const created = {};

async function adminPage() {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signIn(page);
  return { page, errors };
}

/** Waits for the success line to show `text`. */
async function flash(page, text) {
  await page.waitForFunction((t) => document.querySelector('#flash')?.innerText.includes(t), text, { timeout: 15_000 });
}

test('a director sees no administration entry and is told so at /admin', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, 'director');
  await page.waitForSelector('#current-user .user-name');
  assert.ok(await page.locator('.sidenav a[href="/clients"]').count() > 0);
  assert.equal(await page.locator('.sidenav a[href="/admin"]').count(), 0, 'no admin entry in the nav');
  await page.goto(`${BASE_URL}/admin/users`);
  await page.waitForSelector('#no-access', { timeout: 15_000 });
  assert.equal(await page.locator('#new-user').count(), 0);
  await page.close();
});

test('the admin creates a county under a city and an account manager in it', async () => {
  const { page, errors } = await adminPage();
  await page.click('.sidenav a[href="/admin"]');
  await page.waitForSelector('.admin-card');
  await page.click('.admin-tabs a[href="/admin/org"]');

  // A division code nobody uses yet.
  const api = await apiAs('admin');
  const units = await api.get('/api/v1/org-units');
  const codes = new Set(units.map((u) => u.code));
  let code = 439900;
  while (codes.has(String(code))) code += 1;
  created.unitName = `测试县${stamp}`;

  await page.click('.org-name:text-is("长沙市")');
  await page.waitForSelector('#child-name');
  await page.fill('#child-name', created.unitName);
  await page.fill('#child-code', String(code));
  await page.click('#create-unit');
  await flash(page, created.unitName);
  // The new unit shows in the tree, under its city, selected.
  await page.waitForSelector(`.org-node.selected .org-name:text-is("${created.unitName}")`);
  const unit = (await api.get('/api/v1/org-units')).find((u) => u.name === created.unitName);
  assert.ok(unit, 'the unit exists');
  assert.equal(unit.parent_id, units.find((u) => u.name === '长沙市').id);
  created.unitId = unit.id;

  // A second code is refused when taken: the server's message shows next to the field.
  await page.click('.org-name:text-is("长沙市")');
  await page.fill('#child-name', `重复${stamp}`);
  await page.fill('#child-code', String(code));
  await page.click('#create-unit');
  await page.waitForSelector('.unit-panel .field-error', { timeout: 15_000 });

  // A user in the new county.
  await page.click('.admin-tabs a[href="/admin/users"]');
  await page.waitForSelector('.user-row');
  await page.click('#new-user');
  created.username = `e2e.am.${stamp}`;
  created.displayName = `浏览器测试${stamp}`;
  // First without a password: the policy error is shown at the field.
  await page.fill('#user-username', created.username);
  await page.fill('#user-display-name', created.displayName);
  await page.selectOption('#user-role', 'account_manager');
  await page.selectOption('#user-unit', unit.id);
  await page.click('#save-user');
  await page.waitForSelector('#user-password[aria-invalid="true"]', { timeout: 15_000 });
  await page.fill('#user-password', 'Browser#Test2026');
  await page.fill('#user-employee-id', `E2E${stamp}`);
  await page.fill('#user-email', `${stamp}@example.com`);
  await page.click('#save-user');
  await flash(page, created.displayName);

  await page.fill('#user-search', created.username);
  await page.press('#user-search', 'Enter');
  const row = page.locator(`.user-row[data-username="${created.username}"]`);
  await row.waitFor({ timeout: 15_000 });
  assert.match(await row.innerText(), new RegExp(created.unitName));
  assert.match(await row.innerText(), /客户经理/);
  await page.screenshot({ path: '/tmp/ygj-admin-users.png' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a unit in use cannot be deleted (the reason is shown); it can move to another city', async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${BASE_URL}/admin/org`);
  await page.click('.org-node:has(.org-name:text-is("长沙市")) .org-toggle');
  await page.click(`.org-name:text-is("${created.unitName}")`);
  await page.click('#delete-unit');
  await page.click('#confirm-delete');
  // The new account manager works there: 409, and the server's words.
  await page.waitForFunction(() => /人员或客户/.test(document.querySelector('.danger-zone .form-notice')?.innerText ?? ''), null, { timeout: 15_000 });

  const api = await apiAs('admin');
  const zhuzhou = (await api.get('/api/v1/org-units')).find((u) => u.name === '株洲市');
  await page.selectOption('#move-parent', zhuzhou.id);
  await page.click('#move-unit');
  await flash(page, created.unitName);
  const moved = (await api.get('/api/v1/org-units')).find((u) => u.id === created.unitId);
  assert.equal(moved.parent_id, zhuzhou.id);
  // The tree shows it under its new city.
  await page.waitForSelector(`.org-node:has(.org-name:text-is("株洲市")) + ul .org-name:text-is("${created.unitName}")`, { timeout: 15_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the admin hands an account manager's clients to another, then deactivates them", async () => {
  const api = await apiAs('admin');
  const managers = await api.get('/api/v1/users?role=account_manager');
  // Two managers of one county, the first with clients.
  const from = managers.find((m) => m.client_count > 0
    && managers.some((o) => o.id !== m.id && o.org_unit_id === m.org_unit_id));
  const to = managers.find((o) => o.id !== from.id && o.org_unit_id === from.org_unit_id);
  const client = (await api.get(`/api/v1/clients?account_manager_id=${from.id}&per_page=1`)).items[0];
  created.from = from;

  const { page, errors } = await adminPage();
  await page.goto(`${BASE_URL}/admin/users`);
  await page.fill('#user-search', from.username);
  await page.press('#user-search', 'Enter');
  await page.locator(`.user-row[data-username="${from.username}"] .edit-user`).click();
  await page.waitForSelector('#reassign-to');
  // Deactivating is refused while they own clients; the reason is shown.
  await page.click('#toggle-active');
  await page.waitForFunction(() => /移交/.test(document.querySelector('.user-actions .form-notice')?.innerText ?? ''), null, { timeout: 15_000 });

  await page.waitForSelector(`#reassign-to option[value="${to.id}"]`, { state: 'attached' });
  await page.selectOption('#reassign-to', to.id);
  await page.click('#reassign-clients');
  await flash(page, `已移交 ${from.client_count} 个客户`);
  const after = await api.get(`/api/v1/users/${from.id}`);
  assert.equal(after.client_count, 0);

  // Now the deactivation goes through.
  await page.locator(`.user-row[data-username="${from.username}"] .edit-user`).click();
  await page.click('#toggle-active');
  await flash(page, `已停用“${from.display_name}”`);
  await page.selectOption('#user-filter-active', 'false');
  await page.locator(`.user-row.inactive[data-username="${from.username}"]`).waitFor({ timeout: 15_000 });
  assert.equal((await api.get(`/api/v1/users/${from.id}`)).active, false);

  // The client's page lists who owned it when.
  await page.goto(`${BASE_URL}/clients/${client.id}`);
  await page.waitForSelector('#section-owners .owner-period', { timeout: 15_000 });
  const owners = await page.locator('#section-owners').innerText();
  assert.ok(owners.indexOf(to.display_name) < owners.indexOf(from.display_name), owners);
  assert.match(owners, /当前/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an integrator token is shown once and can be revoked', async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${BASE_URL}/admin/tokens`);
  created.tokenName = `ERP 同步 ${stamp}`;
  await page.fill('#token-name', created.tokenName);
  await page.check('input.token-scope[value="clients:read"]');
  await page.fill('#token-days', '30');
  await page.click('#create-token');
  await page.waitForSelector('#token-secret', { timeout: 15_000 });
  const secret = await page.inputValue('#token-secret');
  assert.match(secret, /^ygj_it_/);
  assert.match(await page.locator('#token-secret-box').innerText(), /只显示这一次/);
  const row = page.locator(`.token-row[data-name="${created.tokenName}"]`);
  await row.waitFor({ timeout: 15_000 });
  // The list shows only the beginning of it.
  const hint = (await row.locator('td.mono').innerText()).replace('…', '').trim();
  assert.ok(hint.length > 4 && secret.startsWith(hint) && hint.length < secret.length);
  await page.screenshot({ path: '/tmp/ygj-admin-tokens.png', fullPage: true });

  // The secret works for its scope.
  const asMachine = (path) => fetch(`${BASE_URL}${path}`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal((await asMachine('/api/v1/clients?per_page=1')).status, 200);

  // Gone after a reload.
  await page.reload();
  await row.waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#token-secret').count(), 0);
  assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(secret));

  // Revoke, after confirming.
  await row.locator('.revoke-token').click();
  await row.locator('.confirm-revoke').click();
  await flash(page, created.tokenName);
  await page.waitForFunction((name) => {
    const r = document.querySelector(`.token-row[data-name="${name}"] .token-status`);
    return r && /已撤销/.test(r.innerText);
  }, created.tokenName, { timeout: 15_000 });
  assert.equal((await asMachine('/api/v1/clients?per_page=1')).status, 401);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the audit log holds these actions with their field-level changes', async () => {
  const { page, errors } = await adminPage();
  await page.goto(`${BASE_URL}/admin`);
  await page.click('.admin-card[href="/audit"]');
  await page.waitForSelector('.audit-entry', { timeout: 15_000 });

  // Shows the entries of one kind whose text holds `text`; returns the first such entry.
  async function find(entity, action, text) {
    await page.selectOption('#audit-entity', entity);
    await page.selectOption('#audit-action', action);
    await page.click('#audit-apply');
    await page.waitForFunction(
      ([e, a]) => location.search.includes(`entity=${e}`) && location.search.includes(`action=${a}`),
      [entity, action], { timeout: 15_000 });
    const entry = page.locator(`.audit-entry[data-entity="${entity}"][data-action="${action}"]`, { hasText: text }).first();
    await entry.waitFor({ state: 'attached', timeout: 15_000 });
    return entry;
  }

  // Only today's entries (dates are the browser's days).
  const today = await page.evaluate(() => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  });
  await page.fill('#audit-from', today);
  await page.fill('#audit-to', today);
  const unit = await find('org_unit', 'create', created.unitName);
  assert.match(page.url(), new RegExp(`from=${today}`));
  await unit.locator('summary').click();
  assert.match(await unit.locator('.audit-detail').innerText(), new RegExp(`name: — → ${created.unitName}`));
  assert.match(await unit.locator('summary').innerText(), /杨燕|admin/);

  await find('user', 'create', created.username);
  // The deactivation: `active` went from true to false on that user.
  const deactivation = await find('user', 'update', created.from.id);
  assert.match(await deactivation.textContent(), /active: true → false/);
  // Each handed-over client records its new account manager.
  const handover = await find('client', 'update', created.from.id);
  assert.match(await handover.textContent(), /account_manager_id/);
  await find('integrator_token', 'create', created.tokenName);
  await find('integrator_token', 'update', 'revoked_at');
  await page.screenshot({ path: '/tmp/ygj-admin-audit.png', fullPage: true });

  // Paging: the whole log has more than one page.
  await page.goto(`${BASE_URL}/audit`);
  await page.waitForSelector('#audit-total');
  assert.deepEqual(errors, []);
  await page.close();
});
