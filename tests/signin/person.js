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
 * Signs `login` in through the Worker `h` and the provider. Returns { callback, session }: the
 * callback's response (a redirect) and the session cookie (`name=value`) it set, if any.
 * `beforeCallback(url)` may change the callback URL (a test of a forged answer).
 */
export async function signIn(h, login, { returnTo = '/', beforeCallback = (u) => u } = {}) {
  const start = await h.fetch(`/dashboard/signin?return_to=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
  assert.equal(start.status, 302, await start.text());
  const pending = setCookie(start, '__Secure-registrar-signin');
  assert.ok(pending, 'the sign-in cookie');
  const jar = new Map();
  let url = start.headers.get('location');
  for (let step = 0; step < 12; step++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: header(jar) } });
    remember(jar, res);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url).href;
      if (next.startsWith(`${h.url}/dashboard/callback`)) {
        const callback = await h.fetch(beforeCallback(next), { redirect: 'manual', headers: { cookie: pending } });
        return { callback, session: setCookie(callback, '__Secure-registrar-session') };
      }
      url = next;
      continue;
    }
    const html = await res.text();
    assert.equal(res.status, 200, html);
    const action = new URL(html.match(/action="([^"]+)"/)[1].replace(/&amp;/g, '&'), url).href;
    const prompt = html.match(/name="prompt" value="(\w+)"/)[1];
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
