//! The provider as the Worker reaches it (`crate::signin::provider::ProviderPort`): documents
//! fetched and kept per isolate, the token endpoint, and JWS signatures verified by WebCrypto.
//! The fetches go only to the configured issuer's discovery document and the endpoints it
//! names (the operator's own provider), with no redirects, a timeout and a size cap.

use crate::signin::id_token::Verifier;
use crate::signin::provider::{
    ProviderPort, CACHE_SECONDS, MAX_DOCUMENT_BYTES, REFRESH_AFTER_SECONDS,
};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::js_sys;
use worker::wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
const TIMEOUT_MS = 5000;
async function bounded(response, maxBytes) {
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.byteLength > maxBytes) throw new Error(`more than ${maxBytes} bytes`);
  return body;
}
export async function providerGet(url, maxBytes) {
  const response = await fetch(url, {
    headers: { accept: "application/json" }, redirect: "manual",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return new TextDecoder().decode(await bounded(response, maxBytes));
}
export async function providerPost(url, body, authorization, maxBytes) {
  const headers = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(url, {
    method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  return [response.status, await bounded(response, maxBytes)];
}
const HASH = { "256": "SHA-256", "384": "SHA-384", "512": "SHA-512" };
const CURVE = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };
// The WebCrypto algorithm to import a JWK with, and to verify with, for a JWS alg.
function params(alg) {
  const hash = HASH[alg.slice(2)];
  switch (alg.slice(0, 2)) {
    case "RS": return [{ name: "RSASSA-PKCS1-v1_5", hash }, { name: "RSASSA-PKCS1-v1_5" }];
    case "PS": return [{ name: "RSA-PSS", hash }, { name: "RSA-PSS", saltLength: Number(alg.slice(2)) / 8 }];
    case "ES": return [{ name: "ECDSA", namedCurve: CURVE[alg] }, { name: "ECDSA", hash }];
    default: return [{ name: "Ed25519" }, { name: "Ed25519" }];
  }
}
export async function verifyJws(alg, jwkJson, input, signature) {
  const { kty, n, e, crv, x, y } = JSON.parse(jwkJson);
  // Only the public members: `alg`, `use` and `key_ops` were checked by the core.
  const jwk = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined));
  const [importAs, verifyAs] = params(alg);
  const key = await crypto.subtle.importKey("jwk", jwk, importAs, false, ["verify"]);
  return crypto.subtle.verify(verifyAs, key, signature, input);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = providerGet, catch)]
    fn provider_get(url: &str, max_bytes: usize) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = providerPost, catch)]
    fn provider_post(
        url: &str,
        body: &str,
        authorization: Option<String>,
        max_bytes: usize,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = verifyJws, catch)]
    fn verify_jws(
        alg: &str,
        jwk_json: &str,
        input: &[u8],
        signature: &[u8],
    ) -> Result<js_sys::Promise, JsValue>;
}

thread_local! {
    /// URL → (when fetched, document), for this isolate.
    static KEPT: RefCell<HashMap<String, (i64, Value)>> = RefCell::new(HashMap::new());
}

pub struct WorkerProvider {
    pub now: i64,
}

async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, String> {
    let promise = promise.map_err(describe)?;
    JsFuture::from(promise).await.map_err(describe)
}

fn describe(e: JsValue) -> String {
    js_sys::Error::from(e).message().into()
}

impl Verifier for WorkerProvider {
    async fn verify(
        &self,
        alg: &str,
        jwk: &Map<String, Value>,
        input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let jwk = Value::Object(jwk.clone()).to_string();
        let result = settle(verify_jws(alg, &jwk, input, signature)).await?;
        Ok(result.as_bool() == Some(true))
    }
}

impl ProviderPort for WorkerProvider {
    async fn document(&self, url: &str, fresh: bool) -> Result<Value, String> {
        let kept = KEPT.with(|k| k.borrow().get(url).cloned());
        if let Some((at, doc)) = kept {
            let age = self.now - at;
            if age < CACHE_SECONDS && (!fresh || age < REFRESH_AFTER_SECONDS) {
                return Ok(doc);
            }
        }
        let text = settle(provider_get(url, MAX_DOCUMENT_BYTES)).await?;
        let doc: Value = serde_json::from_str(&text.as_string().unwrap_or_default())
            .map_err(|_| format!("{url} is not JSON"))?;
        if !doc.is_object() {
            return Err(format!("{url} is not a JSON object"));
        }
        KEPT.with(|k| {
            k.borrow_mut()
                .insert(url.to_string(), (self.now, doc.clone()))
        });
        Ok(doc)
    }

    async fn post_form(
        &self,
        url: &str,
        body: &str,
        authorization: Option<&str>,
    ) -> Result<(u16, Vec<u8>), String> {
        let pair = settle(provider_post(
            url,
            body,
            authorization.map(String::from),
            MAX_DOCUMENT_BYTES,
        ))
        .await?;
        let pair = js_sys::Array::from(&pair);
        let status = pair.get(0).as_f64().unwrap_or(0.0) as u16;
        let body = js_sys::Uint8Array::new(&pair.get(1)).to_vec();
        Ok((status, body))
    }
}
