//! `clerk-webhook send`: deliver signed sample events and measure.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clerk_webhook_core::WebhookVerifier;
use futures_util::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::delivery::{Answer, CliError, Deliverer, Outcome, sign_now};

/// One payload to send, with the event type it carries.
#[derive(Debug, Clone)]
pub struct Payload {
    /// The event type (for the report).
    pub event_type: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Payload {
    /// The built-in sample for `event_type`.
    ///
    /// # Errors
    /// [`CliError::Usage`] for a type without a sample, listing how to see them.
    pub fn sample(event_type: &str) -> Result<Self, CliError> {
        clerk_webhook_core::samples::sample(event_type)
            .map(|body| Self {
                event_type: event_type.to_owned(),
                body: body.as_bytes().to_vec(),
            })
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "no sample for event type {event_type:?}; `clerk-webhook samples` lists them"
                ))
            })
    }

    /// The body with `_{suffix}` appended to `data.id` (a distinct row per delivery), or
    /// the body unchanged when it has no string `data.id`.
    #[must_use]
    pub fn body_with_fresh_id(&self, suffix: &str) -> Vec<u8> {
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&self.body) else {
            return self.body.clone();
        };
        match value.pointer_mut("/data/id") {
            Some(serde_json::Value::String(id)) => {
                id.push('_');
                id.push_str(suffix);
                value.to_string().into_bytes()
            }
            _ => self.body.clone(),
        }
    }

    /// A payload from a file's bytes; its type is read from the JSON when there is one.
    #[must_use]
    pub fn from_bytes(body: Vec<u8>) -> Self {
        let event_type = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["type"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "(custom payload)".to_owned());
        Self { event_type, body }
    }
}

/// What one delivery got.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    /// The event type sent.
    pub event_type: String,
    /// The message id sent.
    pub id: String,
    /// What came back.
    pub outcome: Outcome,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct SendReport {
    /// Every delivery, in completion order.
    pub deliveries: Vec<DeliveryReport>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// The concurrency used.
    pub concurrency: usize,
}

impl SendReport {
    /// Whether every delivery got a 2xx.
    #[must_use]
    pub fn all_succeeded(&self) -> bool {
        self.deliveries
            .iter()
            .all(|d| d.outcome.answer.is_success())
    }

    /// `status → count` (`closed` for a connection closed without an answer).
    #[must_use]
    pub fn status_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for delivery in &self.deliveries {
            *counts
                .entry(answer_label(&delivery.outcome.answer))
                .or_default() += 1;
        }
        counts
    }

    /// The latency at quantile `q` (0.0 to 1.0), nearest rank.
    #[must_use]
    pub fn latency_quantile(&self, q: f64) -> Duration {
        let mut latencies: Vec<Duration> =
            self.deliveries.iter().map(|d| d.outcome.latency).collect();
        latencies.sort_unstable();
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1]
    }

    /// The summary lines printed after a run.
    #[must_use]
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64().max(f64::EPSILON);
        let statuses: Vec<String> = self
            .status_counts()
            .into_iter()
            .map(|(status, count)| format!("{status} x{count}"))
            .collect();
        format!(
            "deliveries: {} in {:.2} s ({:.1}/s), concurrency {}\nlatency: p50 {:.2} ms, p99 {:.2} ms\nstatuses: {}",
            self.deliveries.len(),
            seconds,
            self.deliveries.len() as f64 / seconds,
            self.concurrency,
            ms(self.latency_quantile(0.50)),
            ms(self.latency_quantile(0.99)),
            statuses.join(", ")
        )
    }
}

/// The label of an answer: its status code, or `closed`.
#[must_use]
pub fn answer_label(answer: &Answer) -> String {
    match answer {
        Answer::Status { code, .. } => code.to_string(),
        Answer::Closed => "closed".to_owned(),
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// One line per delivery: status, type, id, latency, response body.
#[must_use]
pub fn delivery_line(report: &DeliveryReport) -> String {
    let body = match &report.outcome.answer {
        Answer::Status { body, .. } => body.chars().take(80).collect::<String>(),
        Answer::Closed => "(connection closed without a response)".to_owned(),
    };
    format!(
        "{:<6} {:<36} {} {:>8.2} ms  {}",
        answer_label(&report.outcome.answer),
        report.event_type,
        report.id,
        ms(report.outcome.latency),
        body.trim()
    )
}

/// How to send.
#[derive(Debug, Clone)]
pub struct SendPlan {
    /// What to send, cycled through until `count` deliveries are made.
    pub payloads: Vec<Payload>,
    /// How many deliveries in all.
    pub count: usize,
    /// How many at once.
    pub concurrency: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Give every delivery's `data.id` a unique suffix, so a load test creates many
    /// distinct rows instead of updating one.
    pub fresh_ids: bool,
}

/// Sends every delivery of `plan`, each freshly signed with a new id and the current time.
///
/// # Errors
/// [`CliError::Connect`] as soon as a connection is refused (the rest are not sent).
pub async fn run(
    deliverer: &Deliverer,
    signer: &WebhookVerifier,
    plan: &SendPlan,
) -> Result<SendReport, CliError> {
    if plan.payloads.is_empty() {
        return Err(CliError::Usage(
            "nothing to send: name event types, --all, or --file".to_owned(),
        ));
    }
    let bar = plan.progress.then(|| progress_bar(plan.count));
    let started = Instant::now();
    let run_tag = crate::ids::message_id()?.split_off(4);
    let payloads = plan.payloads.iter().cycle().take(plan.count).enumerate();
    let mut results = futures_util::stream::iter(payloads)
        .map(|(index, payload)| {
            let body = if plan.fresh_ids {
                payload.body_with_fresh_id(&format!("{run_tag}_{index}"))
            } else {
                payload.body.clone()
            };
            async move {
                let delivery = sign_now(signer, body)?;
                let outcome = deliverer.deliver(&delivery).await?;
                Ok::<_, CliError>(DeliveryReport {
                    event_type: payload.event_type.clone(),
                    id: delivery.id,
                    outcome,
                })
            }
        })
        .buffer_unordered(plan.concurrency.max(1));
    let mut deliveries = Vec::with_capacity(plan.count);
    while let Some(result) = results.next().await {
        deliveries.push(result?);
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(SendReport {
        deliveries,
        elapsed: started.elapsed(),
        concurrency: plan.concurrency.max(1),
    })
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} deliveries, {per_sec}, eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}
