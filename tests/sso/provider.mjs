#!/usr/bin/env node
// A real OAuth 2.0 / OpenID Connect provider process for the single sign-on tests, built on the
// npm package oauth2-mock-server (installed in tests/e2e by scripts/install-tools.sh).
//
//   node tests/sso/provider.mjs [--port N] [--client-id ID] [--client-secret SECRET]
//                               [--claims-file FILE]
//
// Prints `listening http://127.0.0.1:PORT` once it serves (port 0, the default, picks a free
// one) and exits when stdin closes or on SIGTERM, so it never outlives the test that started it.
//
// Who signs in: the authorize request may carry `claims=<JSON object>`: the user the test
// "types in" at the provider. Those claims go into the userinfo answer and into the access and
// ID tokens of the code it issues. `deny=<error>` makes the provider refuse instead (e.g.
// `access_denied`). The test adds these to the authorize URL our server redirects to. Without
// `claims`, the JSON object in `--claims-file` (when given) is who signs in: browser tests write
// it before clicking the sign-in button, since they cannot change a redirect's URL.
//
// Stricter than the package alone, like a real provider: userinfo answers only for access
// tokens this process issued; the token endpoint wants the client id (and secret, when one is
// configured) and the redirect URI that the code was issued for.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const port = Number(option('--port', '0'));
const clientId = option('--client-id', undefined);
const clientSecret = option('--client-secret', undefined);
const claimsFile = option('--claims-file', undefined);

// The package lives in tests/e2e/node_modules (one npm project for every node tool).
const requireFromE2e = createRequire(new URL('../e2e/package.json', import.meta.url));
let OAuth2Server;
try {
  ({ OAuth2Server } = await import(pathToFileURL(requireFromE2e.resolve('oauth2-mock-server')).href));
} catch (e) {
  fail(
    `the npm package oauth2-mock-server is not installed (${e.message}); ` +
      'run scripts/install-tools.sh (or `npm ci` in tests/e2e)',
  );
}

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
const service = server.service;

// code -> { claims, redirectUri, clientId }; access token -> claims.
const codes = new Map();
const tokens = new Map();

service.on('beforeAuthorizeRedirect', (redirect, req) => {
  const deny = req.query.deny;
  if (typeof deny === 'string' && deny) {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', deny);
    redirect.url.searchParams.set('error_description', 'refused by the test provider');
    return;
  }
  let claims = { sub: 'johndoe' };
  if (claimsFile && typeof req.query.claims !== 'string') {
    // Browser tests cannot add to a redirect's URL: they write who signs in next to this file.
    try {
      claims = JSON.parse(readFileSync(claimsFile, 'utf8'));
    } catch {
      claims = { sub: 'johndoe' };
    }
  }
  if (typeof req.query.claims === 'string') {
    try {
      claims = JSON.parse(req.query.claims);
    } catch {
      claims = { sub: 'johndoe' };
    }
  }
  const code = redirect.url.searchParams.get('code');
  if (code) {
    codes.set(code, {
      claims,
      redirectUri: req.query.redirect_uri,
      clientId: req.query.client_id,
    });
  }
});

function callerClientId(req) {
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
  }
  return { id: req.body?.client_id, secret: req.body?.client_secret };
}

service.on('beforeTokenSigning', (token, req) => {
  const pending = codes.get(req.body?.code);
  if (pending) Object.assign(token.payload, pending.claims);
});

service.on('beforeResponse', (response, req) => {
  if (req.body?.grant_type !== 'authorization_code') return;
  const pending = codes.get(req.body.code);
  codes.delete(req.body.code);
  const caller = callerClientId(req);
  const refuse = (error, description) => {
    response.statusCode = 400;
    response.body = { error, error_description: description };
  };
  if (!pending) return refuse('invalid_grant', 'unknown or used code');
  if (clientId !== undefined && caller.id !== clientId) return refuse('invalid_client', 'wrong client id');
  if (clientSecret !== undefined && caller.secret !== clientSecret) {
    return refuse('invalid_client', 'wrong client secret');
  }
  if (pending.clientId !== caller.id) return refuse('invalid_grant', 'code issued to another client');
  if (pending.redirectUri !== req.body.redirect_uri) return refuse('invalid_grant', 'redirect_uri differs');
  if (response.statusCode === 200 && response.body.access_token) {
    tokens.set(response.body.access_token, pending.claims);
  }
});

service.on('beforeUserinfo', (response, req) => {
  const header = req.headers.authorization ?? '';
  const claims = header.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
  if (!claims) {
    response.statusCode = 401;
    response.body = { error: 'invalid_token' };
    return;
  }
  response.body = claims;
});

await server.start(port, '127.0.0.1');
const url = `http://127.0.0.1:${server.address().port}`;
// Tokens name the address the tests reach, not `localhost`.
server.issuer.url = url;
process.stdout.write(`listening ${url}\n`);

async function shutdown() {
  await server.stop().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
