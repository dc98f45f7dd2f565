// The non-edge reference of bench/run.sh: oidc-provider on Node with dynamic client registration
// (RFC 7591) and registration management (RFC 7592, registration access token rotated on PUT).
// Storage is an unbounded in-process Map (oidc-provider's own MemoryAdapter is an LRU of 1,000
// entries, too small for a load run): no durable store, so these are optimistic figures.
// Usage: PORT=8913 node bench/oidc/server.mjs   (listens on 127.0.0.1 only)
import Provider from "oidc-provider";

const stores = new Map();
class MapAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }
  async upsert(id, payload) { this.store.set(id, payload); }
  async find(id) { return this.store.get(id); }
  async findByUserCode() { return undefined; }
  async findByUid(uid) {
    for (const p of this.store.values()) if (p.uid === uid) return p;
    return undefined;
  }
  async consume(id) {
    const p = this.store.get(id);
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, p] of this.store) if (p.grantId === grantId) this.store.delete(id);
  }
}

const port = Number(process.env.PORT || 8913);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  adapter: MapAdapter,
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  },
  routes: { registration: "/register" },
  scopes: ["openid", "profile", "email", "offline_access"],
});
// Silence the per-error console output of the default Koa app.
provider.on("server_error", () => {});
const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
