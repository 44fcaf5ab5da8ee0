// Launches Debian's Chromium headless with the flags this closed network needs
// (playwright gives each launch a fresh profile directory of its own).
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

export async function signIn(page, username = 'admin', password = 'Demo@2026') {
  await page.goto(`${BASE_URL}/`);
  await page.waitForSelector('#username', { timeout: 30_000 });
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
  await page.waitForSelector('.client-row', { timeout: 30_000 });
}

// A small API client signed in as `username`, for test set-up and checks beside the browser:
// `get` returns the body of a 2xx answer (and throws on anything else); `send` returns
// `{status, body}` whatever the status, with a JSON body or raw bytes (a Buffer) of
// `contentType`.
export async function apiAs(username, password = 'Demo@2026') {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`sign-in as ${username}: HTTP ${login.status}`);
  const { access_token: token } = await login.json();
  async function send(method, path, body, contentType = 'application/json') {
    const response = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body: body === undefined || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
  return {
    token,
    send,
    async get(path) {
      const { status, body } = await send('GET', path);
      if (status < 200 || status > 299) throw new Error(`GET ${path}: HTTP ${status} ${JSON.stringify(body)}`);
      return body;
    },
  };
}
