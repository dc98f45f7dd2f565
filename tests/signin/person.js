// A person signing in to the dashboard without a browser: follows the Worker's redirect to the
// provider, fills the provider's own login and consent forms, and comes back to the callback,
// keeping the provider's cookies and the Worker's as a browser would for these paths.
// (tests/browser/signin.test.js does the same in Chromium.)
import assert from 'node:assert/strict';

/** `name=value` of the Set-Cookie for `name` in a response, or undefined. */
export function setCookie(res, name) {
  const all = res.headers.getSetCookie?.() ?? [];
  const line = all.find((c) => c.startsWith(`${name}=`));
  return line?.split(';')[0];
}

function remember(jar, res) {
  for (const line of res.headers.getSetCookie?.() ?? []) {
    const [pair] = line.split(';');
    const [k, v] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (v === '' || /max-age=0/i.test(line)) jar.delete(k); else jar.set(k, v);
  }
}
const header = (jar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

/**
 * Signs `login` in through the Worker `h` and the provider. Returns { callback, session, jar,
 * prompts }: the callback's response (a redirect), the session cookie (`name=value`) it set, if
 * any, the provider's cookies (`jar`, which may be passed in: the same browser again) and the
 * provider's pages it went through (`login`, `consent`).
 * `beforeCallback(url)` may change the callback URL (a test of a forged answer).
 */
export async function signIn(h, login, { returnTo = '/', beforeCallback = (u) => u, jar = new Map() } = {}) {
  const start = await h.fetch(`/dashboard/signin?return_to=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
  assert.equal(start.status, 302, await start.text());
  const pending = setCookie(start, '__Secure-registrar-signin');
  assert.ok(pending, 'the sign-in cookie');
  let url = start.headers.get('location');
  const prompts = []; // the provider's pages on the way: login, consent
  for (let step = 0; step < 12; step++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: header(jar) } });
    remember(jar, res);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).href;
      if (next.startsWith(`${h.url}/dashboard/callback`)) {
        const callback = await h.fetch(beforeCallback(next), { redirect: 'manual', headers: { cookie: pending } });
        return { callback, session: setCookie(callback, '__Secure-registrar-session'), jar, prompts };
      }
      url = next;
      continue;
    }
    const html = await res.text();
    assert.equal(res.status, 200, html);
    const action = new URL(html.match(/action="([^"]+)"/)[1].replace(/&amp;/g, '&'), url).href;
    const prompt = html.match(/name="prompt" value="(\w+)"/)[1];
    prompts.push(prompt);
    const form = prompt === 'login' ? { prompt, login, password: 'whatever' } : { prompt };
    const post = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    remember(jar, post);
    assert.ok(post.status >= 300 && post.status < 400, `${prompt}: ${post.status} ${await post.text()}`);
    url = new URL(post.headers.get('location'), action).href;
  }
  throw new Error('the provider never sent the person back');
}

/**
 * Follows the dashboard's `end_session_url` with the provider's cookies of `jar`, as a browser
 * would: the provider's "sign out?" page, answered yes. Returns where the provider sends the
 * person afterwards (its redirect's Location).
 */
export async function endProviderSession(endSessionUrl, jar) {
  const page = await fetch(endSessionUrl, { redirect: 'manual', headers: { cookie: header(jar) } });
  remember(jar, page);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const action = new URL(html.match(/id="op.logoutForm" method="post" action="([^"]+)"/)[1].replace(/&amp;/g, '&'), endSessionUrl).href;
  const xsrf = html.match(/name="xsrf" value="([^"]+)"/)[1];
  const done = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
  remember(jar, done);
  assert.ok(done.status >= 300 && done.status < 400, `${done.status} ${await done.text()}`);
  return new URL(done.headers.get('location'), action).href;
}
