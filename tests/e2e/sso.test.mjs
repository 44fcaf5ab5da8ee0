// Single sign-on in the browser: the sign-in page's button, a round trip through a real OAuth 2.0
// provider process (tests/sso/provider.mjs, started by run.sh), and the session that follows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { launch, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PROVIDER = process.env.SSO_PROVIDER;

async function employeeId(username) {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'Demo@2026' }),
  });
  const { access_token } = await login.json();
  const users = await (await fetch(`${BASE_URL}/api/v1/users?q=${username}`, { headers: { authorization: `Bearer ${access_token}` } })).json();
  return users.find((u) => u.username === username).employee_id;
}

// Makes the provider sign the next person in as `claims` (what they would type at its page).
async function signInAtProviderAs(_page, claims) {
  await writeFile(process.env.SSO_CLAIMS_FILE, JSON.stringify(claims));
}

test('the SSO button signs a known employee in', async () => {
  assert.ok(PROVIDER && process.env.SSO_CLAIMS_FILE, 'run.sh starts the provider');
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signInAtProviderAs(page, { sub: 'e2e-leader', employee_id: await employeeId('leader') });
  await page.goto(`${BASE_URL}/login`);
  const button = page.locator('#login-sso');
  await button.waitFor({ timeout: 30_000 });
  assert.match(await button.innerText(), /统一身份认证登录/);
  await button.click();
  await page.waitForURL(/\/clients/, { timeout: 30_000 });
  await page.waitForSelector('.client-row', { timeout: 30_000 });
  const me = await page.evaluate(async () => {
    const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${localStorage.getItem('ygj.token')}` } });
    return r.json();
  });
  assert.equal(me.username, 'leader');
  await page.close();
});

test('an identity the system does not know is refused with a clear message', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signInAtProviderAs(page, { sub: 'stranger', employee_id: 'X-404', email: 'stranger@example.com', email_verified: true });
  await page.goto(`${BASE_URL}/login`);
  await page.locator('#login-sso').click();
  await page.waitForURL(/sso_error=unknown_user/, { timeout: 30_000 });
  await page.waitForSelector('.alert-error', { timeout: 15_000 });
  assert.equal(await page.locator('.client-row').count(), 0);
  const token = await page.evaluate(() => localStorage.getItem('ygj.token'));
  assert.equal(token, null);
  await page.close();
});
