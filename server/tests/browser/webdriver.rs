//! Just enough W3C WebDriver over HTTP to drive Debian's Chromium through chromedriver.

use std::time::Duration;

use serde_json::{Value, json};

use crate::eventually::poll_until;

/// How long a page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(10);

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: String,
}

#[derive(Clone)]
pub struct Element(String);

impl Browser {
    /// A fresh headless Chromium with its own profile; `javascript: false` tests the pages
    /// before (or without) hydration.
    pub async fn start(driver: &str, profile: &std::path::Path, javascript: bool) -> Self {
        let mut prefs = json!({});
        if !javascript {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {
                    "binary": "/usr/bin/chromium",
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                        format!("--user-data-dir={}", profile.display()),
                    ],
                    "prefs": prefs,
                }
            }}
        });
        let http = reqwest::Client::new();
        let res: Value = http
            .post(format!("{driver}/session"))
            .json(&caps)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .unwrap();
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {res}"))
            .to_owned();
        Self {
            http,
            session,
            driver: driver.to_owned(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.driver, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        res["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn refresh(&self) {
        self.post("/refresh", json!({})).await;
    }

    pub async fn find(&self, css: &str) -> Option<Element> {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        v[ELEMENT].as_str().map(|id| Element(id.to_owned()))
    }

    /// Waits up to ten seconds for `css` to match.
    pub async fn wait_for(&self, css: &str) -> Element {
        if let Some(e) = poll_until(WAIT, || self.find(css)).await {
            return e;
        }
        panic!(
            "{css} did not appear on {}:\n{}\nbrowser console:\n{}",
            self.url().await,
            self.text("body").await,
            self.console().await.join("\n")
        );
    }

    /// Waits up to ten seconds for the page text to contain `needle`.
    pub async fn wait_for_text(&self, needle: &str) {
        let seen = || async { self.text("body").await.contains(needle).then_some(()) };
        if poll_until(WAIT, seen).await.is_none() {
            let text = self.text("body").await;
            panic!("{needle:?} did not appear on {}:\n{text}", self.url().await);
        }
    }

    pub async fn wait_for_url(&self, suffix: &str) {
        let at = || async { self.url().await.ends_with(suffix).then_some(()) };
        if poll_until(WAIT, at).await.is_none() {
            panic!(
                "expected a URL ending in {suffix}, still at {}:\n{}",
                self.url().await,
                self.text("body").await
            );
        }
    }

    /// Waits for the WASM to hydrate the page (the `data-hydrated` mark set by `hydrate()`).
    pub async fn wait_hydrated(&self) {
        self.wait_for("body[data-hydrated]").await;
    }

    pub async fn text(&self, css: &str) -> String {
        match self.find(css).await {
            Some(e) => self.element_text(&e).await,
            None => String::new(),
        }
    }

    pub async fn element_text(&self, e: &Element) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/text", e.0),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.wait_for(css).await;
        self.post(&format!("/element/{}/clear", e.0), json!({}))
            .await;
        self.post(&format!("/element/{}/value", e.0), json!({"text": value}))
            .await;
    }

    pub async fn click(&self, css: &str) {
        let e = self.wait_for(css).await;
        self.post(&format!("/element/{}/click", e.0), json!({}))
            .await;
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']")).await;
    }

    pub async fn is_selected(&self, css: &str) -> bool {
        let e = self.wait_for(css).await;
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/selected", e.0),
            None,
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    pub async fn script(&self, js: &str) -> Value {
        self.post("/execute/async", json!({"script": js, "args": []}))
            .await
    }

    /// Browser console entries since the last call.
    pub async fn console(&self) -> Vec<String> {
        let v = self.post("/se/log", json!({"type": "browser"})).await;
        v.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["level"].as_str().unwrap_or(""),
                            e["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails on any panic or hydration error the page logged: such a page looks fine and is dead.
    pub async fn assert_console_clean(&self) {
        let bad: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|line| {
                let l = line.to_lowercase();
                [
                    "panicked",
                    "hydrat",
                    "unreachable",
                    "runtimeerror",
                    "webassembly",
                    "uncaught",
                    "content security policy",
                ]
                .iter()
                .any(|needle| l.contains(needle))
            })
            .collect();
        assert!(
            bad.is_empty(),
            "the browser console reported errors:\n{}",
            bad.join("\n")
        );
    }

    pub async fn quit(self) {
        let url = format!("{}/session/{}", self.driver, self.session);
        let _ = self.http.delete(url).send().await;
    }
}
