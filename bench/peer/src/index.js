// The peer for bench/run.sh: a minimal Worker on @cloudflare/workers-oauth-provider with RFC 7591
// dynamic client registration at POST /register, clients in Workers KV (OAUTH_KV, local under
// wrangler dev). The library has no RFC 7592 endpoints (read, update or delete a client with a
// registration access token over HTTP); its OAuthHelpers.lookupClient/updateClient/deleteClient
// are in-process helpers for the application's own code, so those operations are n/a here.
import { OAuthAuthorizationServer } from "@cloudflare/workers-oauth-provider";

let server; // built on the first request: the issuer is the origin wrangler dev serves

export default {
  fetch(request, env, ctx) {
    if (!server) {
      const issuer = env.ISSUER || new URL(request.url).origin;
      server = new OAuthAuthorizationServer({
        issuer,
        resources: [`${issuer}/mcp`],
        authorizeEndpoint: "/authorize",
        tokenEndpoint: "/oauth/token",
        clientRegistrationEndpoint: "/register",
        scopesSupported: ["openid", "profile", "email", "offline_access"],
      });
    }
    return server.fetch(request, env, ctx);
  },
};
