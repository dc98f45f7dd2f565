// The fake internet of the CIMD suites: Miniflare's outbound fetch interception (`outboundService`)
// answers the Worker's fetches from `served`, so nothing reaches the network and the Worker needs
// no loopback exception.
import { Response } from 'miniflare';

/** URL → (request) => Response: what each URL answers; unlisted URLs are 404. */
export const served = new Map();
/** Every URL the Worker asked for, in order. */
export const seen = [];

export async function outbound(request) {
  seen.push(request.url);
  const handler = served.get(request.url);
  if (!handler) return new Response('not found', { status: 404 });
  return handler(request);
}

/** How many times the Worker fetched `url`. */
export const fetchesOf = (url) => seen.filter((u) => u === url).length;

/** Serves `body` as JSON at `url`, with extra response `headers` (e.g. Cache-Control). */
export function serveJson(url, body, headers = {}) {
  served.set(url, () => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json', ...headers } }));
}
