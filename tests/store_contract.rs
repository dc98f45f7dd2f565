//! The store contract on the in-memory store (issue 15, item 2): the cases of
//! tests/store-contract/cases.json, which tests/worker/store-contract.test.js (D1) and
//! tests/kv/store-contract.test.js (Workers KV) run through the same requests on the built
//! Worker. The file's `about` says what a case and its steps are.

mod common;

use common::{block_on, config_with, json_request, registrar};
use registrar::config::Config;
use registrar::http::handle;
use registrar::ratelimit::NoLimits;
use registrar::signin::session::{Session, SESSION_COOKIE};
use registrar::store::memory::MemoryStore;
use serde_json::{json, Value};
use std::collections::HashMap;

const CASES: &str = include_str!("store-contract/cases.json");
const BACKEND: &str = "memory";
/// The clock at the start of every case; `age` moves it forward.
const START: i64 = 1_800_000_000;
/// The build features a case may need (`needs`): the host builds them all.
const FEATURES: [&str; 1] = ["signin"];

/// A client (its id and registration access token) or an initial access token (id, token).
#[derive(Default, Clone)]
struct Label {
    id: String,
    token: String,
}

struct Run {
    config: Config,
    /// The case's `DASHBOARD_OIDC_ISSUER`, for the sessions of `person` steps.
    issuer: Option<String>,
    admin: String,
    store: MemoryStore,
    now: i64,
    labels: HashMap<String, Label>,
}

impl Run {
    /// `{label}` → its id, `{label:N}` → the id's first N characters.
    fn fill(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let inner = &rest[open + 1..open + close];
            let (name, len) = match inner.split_once(':') {
                Some((n, l)) => (n, l.parse::<usize>().ok()),
                None => (inner, None),
            };
            out.push_str(&rest[..open]);
            match self.labels.get(name) {
                Some(l) => out.push_str(len.map_or(l.id.as_str(), |n| &l.id[..n.min(l.id.len())])),
                None => out.push_str(&rest[open..=open + close]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn fill_json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.fill(s)),
            Value::Array(a) => a.iter().map(|x| self.fill_json(x)).collect(),
            Value::Object(m) => m
                .iter()
                .map(|(k, x)| (k.clone(), self.fill_json(x)))
                .collect(),
            other => other.clone(),
        }
    }

    /// One request; the status and the JSON body (`null` without one).
    fn request(
        &self,
        method: &str,
        target: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.send(method, target, token, None, body)
    }

    /// A request with the admin token, or as `person` signed in to the dashboard.
    fn request_as(
        &self,
        person: Option<&str>,
        method: &str,
        target: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        match person {
            Some(p) => self.send(method, target, None, Some(p), body),
            None => self.send(method, target, Some(&self.admin), None, body),
        }
    }

    /// `person`: a session sealed as the sign-in endpoints seal it, of the case's provider;
    /// on a change also this origin and the session's CSRF token, as the dashboard sends them.
    fn send(
        &self,
        method: &str,
        target: &str,
        token: Option<&str>,
        person: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let authorization = token.map(|t| format!("Bearer {t}"));
        let body = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let csrf = format!("csrf-{}", self.now);
        let cookie = person.map(|sub| {
            let session = Session {
                iss: self
                    .issuer
                    .clone()
                    .expect("a person needs DASHBOARD_OIDC_ISSUER"),
                sub: sub.into(),
                name: None,
                admin: false,
                csrf: csrf.clone(),
                exp: self.now + 600,
            };
            format!("{SESSION_COOKIE}={}", session.seal(&self.config.hash_key))
        });
        let change = person.is_some() && method != "GET";
        let req = registrar::http::ApiRequest {
            query,
            cookie: cookie.as_deref(),
            csrf: change.then_some(csrf.as_str()),
            request_origin: change.then_some(common::ISSUER),
            ..json_request(method, path, authorization.as_deref(), &body)
        };
        let r = block_on(handle(&req, &self.config, &self.store, &NoLimits, self.now)).response;
        (r.status, r.body.unwrap_or(Value::Null))
    }

    fn client_token(&self, label: &str) -> String {
        self.labels
            .get(label)
            .unwrap_or_else(|| panic!("no client labelled {label}"))
            .token
            .clone()
    }

    /// Keeps `body[id]` and `body[token]` under `label`, if there is one.
    fn remember(&mut self, label: Option<&str>, body: &Value, id: &str, token: &str) {
        if let Some(label) = label {
            let text = |k: &str| body[k].as_str().unwrap_or_default().to_string();
            let l = Label {
                id: text(id),
                token: text(token),
            };
            self.labels.insert(label.into(), l);
        }
    }

    fn step(&mut self, step: &Value) {
        let s = |k: &str| step.get(k).and_then(Value::as_str);
        let (_, body) = if let Some(meta) = step.get("register") {
            let token = match s("token") {
                Some("admin") => Some(self.admin.clone()),
                Some(label) => Some(self.client_token(label)),
                None => None,
            };
            let out = self.request("POST", "/register", token.as_deref(), Some(meta));
            check_status(step, out.0, 201, &out.1);
            self.remember(s("as"), &out.1, "client_id", "registration_access_token");
            out
        } else if let Some((method, label, ok)) = [
            ("read", "GET", 200),
            ("update", "PUT", 200),
            ("delete", "DELETE", 204),
        ]
        .into_iter()
        .find_map(|(k, m, ok)| s(k).map(|l| (m, l, ok)))
        {
            // RFC 7592 with the client's registration access token; an update sends the
            // metadata with its client_id.
            let path = format!("/register/{}", self.labels[label].id);
            let meta = step.get("json").map(|j| {
                let mut meta = self.fill_json(j);
                meta["client_id"] = self.labels[label].id.clone().into();
                meta
            });
            let out = self.request(
                method,
                &path,
                Some(&self.client_token(label)),
                meta.as_ref(),
            );
            check_status(step, out.0, ok, &out.1);
            if let Some(t) = out.1["registration_access_token"].as_str() {
                self.labels.get_mut(label).unwrap().token = t.into();
            }
            out
        } else if let Some(admin) = s("admin") {
            let (method, target) = admin.split_once(' ').expect("admin: METHOD /path");
            let body = step.get("json").map(|b| self.fill_json(b));
            let out = self.request(
                method,
                &self.fill(target),
                Some(&self.admin.clone()),
                body.as_ref(),
            );
            check_status(step, out.0, 200, &out.1);
            self.remember(s("as"), &out.1, "id", "token");
            if let Some(label) = s("token_for") {
                let t = out.1["registration_access_token"].as_str().unwrap();
                self.labels.get_mut(label).unwrap().token = t.into();
            }
            out
        } else if let Some(dashboard) = s("dashboard") {
            let (method, target) = dashboard.split_once(' ').expect("dashboard: METHOD /path");
            let person = s("person").expect("dashboard: a person");
            let body = step.get("json").map(|b| self.fill_json(b));
            let out = self.request_as(Some(person), method, &self.fill(target), body.as_ref());
            check_status(step, out.0, 200, &out.1);
            self.remember(s("as"), &out.1, "client_id", "registration_access_token");
            out
        } else if let Some(label) = s("claim") {
            let person = s("person").expect("claim: a person");
            let token = self.client_token(s("token").unwrap_or(label));
            let body =
                json!({ "client_id": self.labels[label].id, "registration_access_token": token });
            let out = self.request_as(Some(person), "POST", "/dashboard/claim", Some(&body));
            check_status(step, out.0, 200, &out.1);
            out
        } else if let Some(path) = s("walk") {
            self.walk(step, &self.fill(path));
            return;
        } else if let Some(seconds) = step.get("age").and_then(Value::as_i64) {
            self.now += seconds;
            return;
        } else if let Some(counts) = step.get("cleanup") {
            let report =
                block_on(registrar(&self.config, &self.store, self.now).scheduled_cleanup())
                    .expect("cleanup");
            let got = json!({
                "expired_tokens": report.expired_tokens,
                "idle_clients": report.idle_clients,
                "unused_clients": report.unused_clients,
            });
            assert_subset(&got, counts, "cleanup");
            return;
        } else {
            panic!("unknown step {step}");
        };
        self.check(step, &body);
    }

    fn walk(&self, step: &Value, path: &str) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let target = match &cursor {
                Some(c) => format!("{path}&cursor={c}"),
                None => path.to_string(),
            };
            let person = step.get("person").and_then(Value::as_str);
            let (status, body) = self.request_as(person, "GET", &target, None);
            assert_eq!(status, 200, "{target}: {body}");
            pages += 1;
            let list = ["clients", "events", "initial_access_tokens"]
                .iter()
                .find_map(|k| body[*k].as_array())
                .unwrap_or_else(|| panic!("{target}: no list in {body}"));
            items.extend(list.iter().cloned());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(pages < 100, "{path}: no end");
        }
        if let Some(n) = step.get("pages") {
            assert_eq!(json!(pages), *n, "{path}: pages");
        }
        if let Some(n) = step.get("count") {
            assert_eq!(json!(items.len()), *n, "{path}: items");
        }
        if let Some(order) = step.get("order") {
            assert_eq!(order, "newest_first", "{path}: the only order");
            newest_first(&items, path);
        }
        let all = Value::Array(items);
        if step.get("clients").is_some() {
            self.check_clients(step, &json!({ "clients": all }));
        } else if step.get("events").is_some() {
            check_events(step, &json!({ "events": all }));
        }
    }

    fn check(&self, step: &Value, body: &Value) {
        if let Some(code) = step.get("error") {
            assert_eq!(body["error"], *code, "error code of {step}: {body}");
        }
        if let Some(expect) = step.get("expect") {
            assert_subset(body, &self.fill_json(expect), &step.to_string());
        }
        if step.get("clients").is_some() {
            self.check_clients(step, body);
        }
        if step.get("events").is_some() {
            check_events(step, body);
        }
    }

    fn check_clients(&self, step: &Value, body: &Value) {
        let mut want: Vec<String> = step["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| self.labels[l.as_str().unwrap()].id.clone())
            .collect();
        let mut got: Vec<String> = body["clients"]
            .as_array()
            .unwrap_or_else(|| panic!("{step}: no clients in {body}"))
            .iter()
            .map(|c| c["client_id"].as_str().unwrap().to_string())
            .collect();
        want.sort();
        got.sort();
        let names: HashMap<&str, &str> = self
            .labels
            .iter()
            .map(|(k, l)| (l.id.as_str(), k.as_str()))
            .collect();
        let name = |ids: &[String]| -> Vec<String> {
            ids.iter()
                .map(|i| names.get(i.as_str()).unwrap_or(&i.as_str()).to_string())
                .collect()
        };
        assert_eq!(name(&got), name(&want), "clients of {step}");
    }
}

/// Clients by `client_id_issued_at` descending, then `client_id` descending (D1's order).
fn newest_first(items: &[Value], at: &str) {
    let key = |c: &Value| {
        (
            c["client_id_issued_at"].as_i64().unwrap(),
            c["client_id"].as_str().unwrap().to_string(),
        )
    };
    for pair in items.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        assert!(a > b, "{at}: {a:?} is not listed before {b:?}");
    }
}

fn check_status(step: &Value, got: u16, default: u16, body: &Value) {
    let want = step
        .get("status")
        .and_then(Value::as_u64)
        .unwrap_or(default.into());
    assert_eq!(u64::from(got), want, "status of {step}: {body}");
}

fn check_events(step: &Value, body: &Value) {
    let mut want: Vec<&str> = step["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let mut got: Vec<&str> = body["events"]
        .as_array()
        .unwrap_or_else(|| panic!("{step}: no events in {body}"))
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "events of {step}");
}

/// Objects by member, arrays item by item (and of equal length), anything else equal.
fn assert_subset(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for (k, v) in w {
                let g = g
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}: no member {k} in {got}"));
                assert_subset(g, v, at);
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{at}: {got} against {want}");
            for (g, w) in g.iter().zip(w) {
                assert_subset(g, w, at);
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

#[test]
fn every_case_on_the_in_memory_store() {
    let file: Value = serde_json::from_str(CASES).expect("cases.json is JSON");
    let suite_vars = file["vars"].as_object().unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "the contract has its cases");
    let mut ran = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        if let Some(not_on) = case.get("not_on") {
            for (backend, why) in not_on.as_object().unwrap() {
                assert!(
                    ["memory", "d1", "kv"].contains(&backend.as_str()),
                    "{name}: not_on names an unknown backend {backend}"
                );
                assert!(
                    why.as_str().is_some_and(|w| w.len() > 20),
                    "{name}: not_on says why"
                );
            }
            if not_on.get(BACKEND).is_some() {
                continue;
            }
        }
        for feature in case["needs"].as_array().into_iter().flatten() {
            let f = feature.as_str().unwrap_or_default();
            assert!(FEATURES.contains(&f), "{name}: needs names {feature}");
        }
        let mut vars: Vec<(String, String)> = suite_vars
            .iter()
            .chain(case["vars"].as_object().into_iter().flatten())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        vars.reverse(); // the case's own first: config_with takes the first match
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let issuer = pairs
            .iter()
            .find(|(k, _)| *k == "DASHBOARD_OIDC_ISSUER")
            .map(|(_, v)| v.to_string());
        let mut run = Run {
            config: config_with(&pairs),
            issuer,
            admin: suite_vars["ADMIN_TOKEN"].as_str().unwrap().to_string(),
            store: MemoryStore::new(),
            now: START,
            labels: HashMap::new(),
        };
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.step(step)));
            if let Err(e) = result {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("case {name:?}, step {i}: {msg}");
            }
        }
        ran += 1;
    }
    assert!(ran >= 10, "{ran} cases ran");
}
