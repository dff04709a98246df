//! The console page in a real headless browser (Debian's `chromium` driven through
//! `chromedriver`), used as a person uses it: controls found by their labels and visible
//! text, never by ids or CSS classes.
//!
//! Needs the `chromium` and `chromium-driver` packages (`.ci/run` installs them); without
//! them these tests fail and say so. Set `CONSOLE_SCREENSHOT=docs/console.png` to write the
//! README's screenshot (`scripts/console-screenshot.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clerk_webhook_core::DEVELOPMENT_SECRET;
use common::{Endpoint, Reply, SECRET, start_dev, verifying_endpoint};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// One browser at a time: two cores do not run three Chromiums and keep to the deadlines.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// chromedriver, stopped on drop.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Browser {
    client: Client,
    _driver: Driver,
}

impl Browser {
    async fn open(url: &str) -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the console tests need Debian's chromium and chromium-driver: \
             apt-get install chromium chromium-driver (.ci/run installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1360,1500"],
            }),
        );
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await
            {
                Ok(connected) => {
                    client = Some(connected);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver started a headless chromium");
        client.goto(url).await.unwrap();
        Self {
            client,
            _driver: driver,
        }
    }

    /// The form control a `<label>` with this visible text names.
    async fn labelled(&self, label: &str) -> Element {
        let xpath = format!("//label[normalize-space()='{label}']");
        let label = self.client.find(Locator::XPath(&xpath)).await.unwrap();
        let target = label
            .attr("for")
            .await
            .unwrap()
            .expect("the label names its control");
        self.client.find(Locator::Id(&target)).await.unwrap()
    }

    /// The visible button with this text.
    async fn button(&self, text: &str) -> Element {
        let xpath = format!("//button[normalize-space()='{text}']");
        let found = self.client.find_all(Locator::XPath(&xpath)).await.unwrap();
        for button in found {
            if button.is_displayed().await.unwrap_or(false) {
                return button;
            }
        }
        panic!("no visible button {text:?}");
    }

    /// The visible text of the page part under the heading `heading`.
    async fn section_text(&self, heading: &str) -> String {
        let xpath = format!("//section[.//h2[starts-with(normalize-space(), '{heading}')]]");
        match self.client.find(Locator::XPath(&xpath)).await {
            Ok(section) => section.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The visible text of each body row of the table under `heading`.
    async fn rows(&self, heading: &str) -> Vec<String> {
        let xpath =
            format!("//section[.//h2[starts-with(normalize-space(), '{heading}')]]//tbody/tr");
        let mut texts = Vec::new();
        for row in self
            .client
            .find_all(Locator::XPath(&xpath))
            .await
            .unwrap_or_default()
        {
            match row.text().await {
                Ok(text) => texts.push(text),
                // The table was redrawn under us: read it again next time.
                Err(_) => return Vec::new(),
            }
        }
        texts
    }

    /// Waits up to `limit` for `check` to give a value; panics with `what` and the page's
    /// text otherwise.
    async fn wait_for<T, F, Fut>(&self, what: &str, limit: Duration, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if tokio::time::Instant::now() > deadline {
                let page = self
                    .client
                    .find(Locator::Css("body"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap_or_default();
                panic!("waited {limit:?} for {what}; the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends the sample of `event_type` from the Testing form; returns the new message's id.
    async fn send_example(&self, event_type: &str) -> String {
        self.labelled("Event type")
            .await
            .select_by_value(event_type)
            .await
            .unwrap();
        self.wait_for("the sample payload", Duration::from_secs(5), async || {
            let payload = self.labelled("Payload").await.prop("value").await.ok()??;
            payload
                .contains(&format!("\"type\": \"{event_type}\""))
                .then_some(())
        })
        .await;
        self.button("Send example").await.click().await.unwrap();
        self.wait_for("the Sent line", Duration::from_secs(5), async || {
            let text = self.section_text("Testing").await;
            let sent = text.lines().find_map(|l| l.trim().strip_prefix("Sent "))?;
            Some(sent.trim().to_owned())
        })
        .await
    }

    /// The row of message `id` in Message Attempts, once it shows `status`.
    async fn wait_for_row(&self, id: &str, status: &str, limit: Duration) -> String {
        self.wait_for(&format!("{id} to show {status}"), limit, async || {
            self.rows("Message Attempts")
                .await
                .into_iter()
                .find(|row| row.contains(id) && row.starts_with(status))
        })
        .await
    }

    /// Clicks message `id`'s button in Message Attempts (again, if the table was redrawn
    /// between finding and clicking it).
    async fn open_message(&self, id: &str) {
        let xpath = format!("//button[normalize-space()='{id}']");
        self.wait_for(
            &format!("{id}'s button to take a click"),
            Duration::from_secs(5),
            async || {
                let button = self.client.find(Locator::XPath(&xpath)).await.ok()?;
                button.click().await.ok()
            },
        )
        .await;
    }

    async fn save_screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&target, &png).unwrap();
        if let Ok(path) = std::env::var("CONSOLE_SCREENSHOT") {
            std::fs::write(path, &png).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn send_example_shows_a_succeeded_row_and_warns_about_the_development_secret() {
    let _one = ONE_BROWSER.lock().await;
    let secret = DEVELOPMENT_SECRET.to_owned();
    let receiver = verifying_endpoint(&secret).await;
    let page = start_dev(&receiver, &secret, 1.0).await;
    let browser = Browser::open(&page).await;

    // The page fills the section once its first request to the API answers.
    let endpoint = browser
        .wait_for(
            "the Endpoint section",
            Duration::from_secs(10),
            async || {
                let text = browser.section_text("Endpoint").await;
                text.contains(&receiver).then_some(text)
            },
        )
        .await;
    assert!(endpoint.contains("Enabled"), "{endpoint}");
    assert!(endpoint.contains("public development secret"), "{endpoint}");
    assert!(endpoint.contains(&secret[..10]), "{endpoint}");
    assert!(!endpoint.contains(&secret[10..]), "never the whole secret");

    let options = browser
        .labelled("Event type")
        .await
        .find_all(Locator::Css("option"))
        .await
        .unwrap();
    assert_eq!(options.len(), 46);

    let id = browser.send_example("user.created").await;
    let row = browser
        .wait_for_row(&id, "Succeeded", Duration::from_secs(5))
        .await;
    assert!(row.contains("user.created") && row.contains("200"), "{row}");

    // From the keyboard: Tab from the payload reaches "Send example", and Enter sends.
    let payload = browser.labelled("Payload").await;
    payload.send_keys(&Key::Tab.to_string()).await.unwrap();
    let focused = browser.client.active_element().await.unwrap();
    assert_eq!(focused.text().await.unwrap(), "Send example");
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    let second = browser
        .wait_for("a second Sent line", Duration::from_secs(5), async || {
            let text = browser.section_text("Testing").await;
            let sent = text.lines().find_map(|l| l.trim().strip_prefix("Sent "))?;
            (sent.trim() != id).then(|| sent.trim().to_owned())
        })
        .await;
    browser
        .wait_for_row(&second, "Succeeded", Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_endpoint_goes_pending_then_failed_and_resend_adds_an_attempt() {
    let _one = ONE_BROWSER.lock().await;
    assert!(!SECRET.contains(DEVELOPMENT_SECRET));
    let endpoint = Endpoint::start(vec![], Reply::status(500)).await;
    // 0.0001: the eight attempts spread over 9.9 s, so Pending is on screen for seconds.
    let page = start_dev(&endpoint.url, SECRET, 0.000_1).await;
    let browser = Browser::open(&page).await;
    let shown = browser
        .wait_for(
            "the Endpoint section",
            Duration::from_secs(10),
            async || {
                let text = browser.section_text("Endpoint").await;
                text.contains(&endpoint.url).then_some(text)
            },
        )
        .await;
    assert!(
        !shown.contains("public development secret"),
        "no warning with a secret of your own: {shown}"
    );

    let id = browser.send_example("user.updated").await;
    let pending = browser
        .wait_for_row(&id, "Pending", Duration::from_secs(5))
        .await;
    assert!(pending.contains("500"), "{pending}");
    browser
        .wait_for_row(&id, "Failed", Duration::from_secs(30))
        .await;

    // Open it from the keyboard: focus the id's button and press Enter.
    let xpath = format!("//button[normalize-space()='{id}']");
    browser
        .wait_for(
            "the id's button to take Enter",
            Duration::from_secs(5),
            async || {
                let link = browser.client.find(Locator::XPath(&xpath)).await.ok()?;
                link.send_keys(&Key::Enter.to_string()).await.ok()
            },
        )
        .await;
    let attempts = browser
        .wait_for(
            "eight attempts in the message",
            Duration::from_secs(5),
            async || {
                let rows = browser.rows("Message msg_").await;
                (rows.len() == 8).then_some(rows)
            },
        )
        .await;
    for (number, row) in attempts.iter().enumerate() {
        assert!(row.starts_with(&(number + 1).to_string()), "{row}");
        assert!(row.contains("500") && row.contains("Scheduled"), "{row}");
    }
    let message = browser.section_text("Message msg_").await;
    assert!(
        message.contains(&id) && message.contains("\"type\": \"user.updated\""),
        "{message}"
    );

    // The response body and the request headers, behind "Show".
    let show = browser
        .client
        .find(Locator::XPath("//summary[normalize-space()='Show']"))
        .await
        .unwrap();
    show.click().await.unwrap();
    let shown = browser.section_text("Message msg_").await;
    assert!(
        shown.contains("answer 500") && shown.contains("svix-signature: v1,"),
        "{shown}"
    );
    assert!(
        !shown.contains(SECRET.trim_start_matches("whsec_")),
        "never the secret"
    );

    endpoint.set_otherwise(Reply::status(200));
    browser.button("Resend").await.click().await.unwrap();
    let rows = browser
        .wait_for("a ninth attempt", Duration::from_secs(5), async || {
            let rows = browser.rows("Message msg_").await;
            (rows.len() == 9).then_some(rows)
        })
        .await;
    assert!(
        rows[8].contains("Resend") && rows[8].contains("200"),
        "{}",
        rows[8]
    );
    browser
        .wait_for_row(&id, "Succeeded", Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disable_answer_shows_the_endpoint_disabled_until_enable_is_clicked() {
    let _one = ONE_BROWSER.lock().await;
    let endpoint = Endpoint::start(
        vec![Reply::status(500).with_header("webhook-delivery", "disable")],
        Reply::status(200),
    )
    .await;
    let page = start_dev(&endpoint.url, SECRET, 0.001).await;
    let browser = Browser::open(&page).await;
    let id = browser.send_example("organization.created").await;
    browser
        .wait_for(
            "the endpoint to show Disabled",
            Duration::from_secs(5),
            async || {
                browser
                    .section_text("Endpoint")
                    .await
                    .contains("Disabled")
                    .then_some(())
            },
        )
        .await;
    let row = browser
        .wait_for_row(&id, "Pending", Duration::from_secs(5))
        .await;
    assert!(row.contains("waiting: endpoint disabled"), "{row}");

    browser.button("Enable").await.click().await.unwrap();
    browser
        .wait_for(
            "the endpoint to show Enabled",
            Duration::from_secs(5),
            async || {
                browser
                    .section_text("Endpoint")
                    .await
                    .contains("Enabled")
                    .then_some(())
            },
        )
        .await;
    browser
        .wait_for_row(&id, "Succeeded", Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recover_resends_failed_messages_and_the_filter_shows_one_status() {
    let _one = ONE_BROWSER.lock().await;
    let abort = Reply::status(422).with_header("webhook-delivery", "abort-message");
    let endpoint = Endpoint::start(
        vec![Reply::status(200), abort.clone(), abort],
        Reply::status(200),
    )
    .await;
    let page = start_dev(&endpoint.url, SECRET, 1.0).await;
    let browser = Browser::open(&page).await;
    let succeeded = browser.send_example("user.created").await;
    browser
        .wait_for_row(&succeeded, "Succeeded", Duration::from_secs(5))
        .await;
    let failed = browser.send_example("session.created").await;
    browser
        .wait_for_row(&failed, "Failed", Duration::from_secs(5))
        .await;
    let second_failed = browser.send_example("email.created").await;
    browser
        .wait_for_row(&second_failed, "Failed", Duration::from_secs(5))
        .await;
    let pending_forever = Reply::status(503);
    endpoint.set_otherwise(pending_forever);
    let pending = browser.send_example("organizationMembership.created").await;
    browser
        .wait_for_row(&pending, "Pending", Duration::from_secs(5))
        .await;

    browser
        .labelled("Filter by status")
        .await
        .select_by_value("failed")
        .await
        .unwrap();
    let rows = browser
        .wait_for(
            "only the two Failed rows",
            Duration::from_secs(5),
            async || {
                let rows = browser.rows("Message Attempts").await;
                (rows.len() == 2).then_some(rows)
            },
        )
        .await;
    assert!(rows.iter().all(|row| row.starts_with("Failed")), "{rows:?}");

    // Screenshot for the README: a failed message open, both outcomes in the list.
    browser
        .labelled("Filter by status")
        .await
        .select_by_value("")
        .await
        .unwrap();
    browser.open_message(&failed).await;
    browser
        .wait_for("the message to open", Duration::from_secs(5), async || {
            (browser.rows("Message msg_").await.len() == 1).then_some(())
        })
        .await;
    browser
        .client
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    browser.save_screenshot("console.png").await;

    endpoint.set_otherwise(Reply::status(200));
    browser
        .button("Recover failed messages")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for("the recovery report", Duration::from_secs(5), async || {
            browser
                .section_text("Message Attempts")
                .await
                .contains("Resent 2 failed message(s): 2 succeeded.")
                .then_some(())
        })
        .await;
    browser
        .wait_for_row(&failed, "Succeeded", Duration::from_secs(5))
        .await;
    browser
        .wait_for_row(&second_failed, "Succeeded", Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_body_is_shown_as_text_never_run_as_html() {
    let _one = ONE_BROWSER.lock().await;
    let hostile = "<img src=x onerror=\"document.title='owned'\"><b>bold</b>";
    let endpoint = Endpoint::start(vec![], Reply::status(400).body(hostile.to_owned())).await;
    let page = start_dev(&endpoint.url, SECRET, 1.0).await;
    let browser = Browser::open(&page).await;
    let id = browser.send_example("user.created").await;
    browser
        .wait_for_row(&id, "Pending", Duration::from_secs(5))
        .await;
    browser.open_message(&id).await;
    let show = browser
        .wait_for("the attempt's Show", Duration::from_secs(5), async || {
            browser
                .client
                .find(Locator::XPath("//summary[normalize-space()='Show']"))
                .await
                .ok()
        })
        .await;
    show.click().await.unwrap();
    let text = browser.section_text("Message msg_").await;
    assert!(text.contains(hostile), "the body appears verbatim: {text}");
    assert_eq!(browser.client.title().await.unwrap(), "clerk-webhook dev");
}

#[tokio::test(flavor = "multi_thread")]
async fn several_endpoints_show_their_filters_and_each_message_its_endpoint() {
    let _one = ONE_BROWSER.lock().await;
    let users = verifying_endpoint(SECRET).await;
    let everything = verifying_endpoint(SECRET).await;
    let svix = clerk_webhook_dev::LocalSvix::builder()
        .endpoint(clerk_webhook_dev::EndpointOptions::new(&users).filter_types(["user.*"]))
        .endpoint(everything.as_str())
        .secret(SECRET)
        .start()
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page = format!("http://{}", svix.serve(listener).unwrap());
    let browser = Browser::open(&page).await;

    let endpoints = browser
        .wait_for("both endpoints", Duration::from_secs(5), async || {
            let text = browser.section_text("Endpoints").await;
            text.contains(&everything).then_some(text)
        })
        .await;
    assert!(endpoints.contains(&users), "{endpoints}");
    assert!(endpoints.contains("user.*"), "{endpoints}");
    assert!(endpoints.contains("All event types"), "{endpoints}");

    let id = browser.send_example("organization.created").await;
    let row = browser
        .wait_for_row(&id, "Succeeded", Duration::from_secs(5))
        .await;
    assert!(
        row.contains("organization.created") && row.contains("200"),
        "{row}"
    );
    browser.open_message(&id).await;
    let attempts = browser
        .wait_for("the attempt", Duration::from_secs(5), async || {
            let rows = browser.rows("Message msg_").await;
            (!rows.is_empty()).then_some(rows)
        })
        .await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert!(
        attempts[0].contains("ep_2") && !attempts[0].contains("ep_1"),
        "{attempts:?}"
    );

    // Shown per endpoint: ep_1 (user.*) never got it.
    browser
        .labelled("Endpoint")
        .await
        .select_by_value("ep_1")
        .await
        .unwrap();
    browser
        .wait_for("ep_1's empty list", Duration::from_secs(5), async || {
            let text = browser.section_text("Message Attempts").await;
            (text.contains("No messages for ep_1.") && !text.contains(&id)).then_some(())
        })
        .await;
}
