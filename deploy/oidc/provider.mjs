// A standard OpenID Connect provider (panva/oidc-provider, a certified implementation) for Cityscreen's tests
// and local sign-in: its own login form checks a username and password from the users file; consent is
// given for the configured first-party clients, as a city's single sign-on does for its own applications.
//
// Usage: node provider.mjs CONFIG.json
//   {"issuer": "http://localhost:9400", "port": 9400,
//    "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["http://localhost:8501/oauth2callback"]}],
//    "users": [{"sub": "...", "username": "...", "password": "...", "name": "...", "email": "..."}]}
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const users = new Map(config.users.map((user) => [user.username, user]));
const bySubject = new Map(config.users.map((user) => [user.sub, user]));

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const same = (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({ grant_types: ['authorization_code'], response_types: ['code'],
    ...client })),
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'cityscreen-dev' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
  // Streamlit reads who signed in from the ID token alone.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const user = bySubject.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, name: user.name, preferred_username: user.username, email: user.email,
        email_verified: Boolean(user.email) }),
    };
  },
});
provider.proxy = false;

function page(res, title, body, status = 200) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body style="font-family:sans-serif;max-width:24rem;margin:4rem auto">${body}</body></html>`);
}

function loginForm(res, uid, message = '') {
  page(res, '统一身份认证 Sign in', `<h1>统一身份认证 Sign in</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label>用户名 Username <input name="username" autocomplete="username" required autofocus></label></p>
<p><label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">登录 Sign in</button></p></form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name === 'login') {
    if (req.method !== 'POST' || action !== 'login') return loginForm(res, uid);
    const form = await readForm(req);
    const user = users.get(form.get('username') || '');
    if (!user || !same(user.password, form.get('password') || '')) {
      return loginForm(res, uid, '用户名或密码错误 Wrong username or password');
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } },
      { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === 'consent') {
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true });
  }
  return page(res, 'Not supported', 'not supported', 501);
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(new URL(req.url, config.issuer).pathname);
  if (!match) return callback(req, res);
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    page(res, 'Error', `sign-in failed: ${escape(error.message)}`, 400);
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`oidc provider ready at ${config.issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
