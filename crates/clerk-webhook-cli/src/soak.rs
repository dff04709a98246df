//! `clerk-webhook soak`: many mixed deliveries at full speed, each judged by what it should get.
//!
//! Every delivery is one of six kinds, in a fixed interleaving (so a run is repeatable):
//! valid (every sample type in turn, fresh id), drifted (a known type whose data has changed
//! shape, as when Clerk changes a field), duplicate (a byte-for-byte resend of a recent
//! valid one), tampered (a body byte changed after signing), stale (signed six minutes ago)
//! and oversized (just past the 1 MiB limit). Valid, drifted and duplicate deliveries must
//! get a 2xx; the others a 4xx (or, for oversized, a closed connection); nothing may
//! get a 5xx. With `--pid`, the server's resident memory is sampled as the run goes.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clerk_webhook_core::{DEFAULT_BODY_LIMIT, EVENT_TYPES, WebhookVerifier};
use futures_util::StreamExt as _;

use crate::delivery::{Answer, CliError, Deliverer, SignedDelivery, sign_now, unix_now};
use crate::send::{Payload, answer_label};

/// What a delivery is, and so what it must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Correctly signed, fresh: 2xx.
    Valid,
    /// Correctly signed, a known type whose data does not fit the typed model: 2xx (no
    /// retry can fix it, and refusing it would get the endpoint disabled).
    Drifted,
    /// A recent valid delivery sent again unchanged (Svix retries do this): 2xx.
    Duplicate,
    /// One body byte changed after signing: 4xx.
    Tampered,
    /// Signed six minutes ago, outside the five-minute window: 4xx.
    Stale,
    /// One byte past the 1 MiB limit: 413, or the connection closed.
    Oversized,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Self; 6] = [
        Self::Valid,
        Self::Drifted,
        Self::Duplicate,
        Self::Tampered,
        Self::Stale,
        Self::Oversized,
    ];

    /// The kind of delivery number `index`: per 100, 54 valid, 5 drifted, 20 duplicate,
    /// 10 tampered, 10 stale and 1 oversized, interleaved.
    #[must_use]
    pub fn of(index: usize) -> Self {
        if index % 100 == 50 {
            return Self::Oversized;
        }
        match index % 20 {
            1 | 11 => Self::Tampered,
            5 | 15 => Self::Stale,
            3 | 8 | 13 | 18 => Self::Duplicate,
            17 => Self::Drifted,
            _ => Self::Valid,
        }
    }

    /// Whether `answer` is the right one for this kind.
    #[must_use]
    pub fn accepts(self, answer: &Answer) -> bool {
        match (self, answer) {
            (Self::Valid | Self::Drifted | Self::Duplicate, answer) => answer.is_success(),
            (Self::Tampered | Self::Stale, Answer::Status { code, .. }) => {
                (400..500).contains(code)
            }
            (Self::Oversized, Answer::Status { code, .. }) => *code == 413,
            (Self::Oversized, Answer::Closed) => true,
            (Self::Tampered | Self::Stale, Answer::Closed) => false,
        }
    }

    /// The kind's name in the report.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Drifted => "drifted",
            Self::Duplicate => "duplicate",
            Self::Tampered => "tampered",
            Self::Stale => "stale",
            Self::Oversized => "oversized",
        }
    }

    /// What the kind must get, for the report.
    #[must_use]
    pub fn expected(self) -> &'static str {
        match self {
            Self::Valid | Self::Drifted | Self::Duplicate => "2xx",
            Self::Tampered | Self::Stale => "4xx",
            Self::Oversized => "413 or closed",
        }
    }
}

/// How to soak.
#[derive(Debug, Clone)]
pub struct SoakPlan {
    /// Deliveries in all.
    pub count: usize,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// The server's process id, to sample its resident memory (Linux `/proc`).
    pub pid: Option<u32>,
}

/// Per kind: how many were sent, and what they got.
#[derive(Debug, Clone, Default)]
pub struct KindTally {
    /// Deliveries of this kind.
    pub sent: usize,
    /// Those that got the wrong answer.
    pub wrong: usize,
    /// Answer label (`200`, `400`, `closed`…) → count.
    pub answers: BTreeMap<String, usize>,
}

/// One memory sample: deliveries done so far and the server's resident set in KiB.
#[derive(Debug, Clone, Copy)]
pub struct RssSample {
    /// Deliveries completed when the sample was taken.
    pub done: usize,
    /// `VmRSS` in KiB.
    pub rss_kib: u64,
}

/// The whole soak.
#[derive(Debug, Clone)]
pub struct SoakReport {
    /// Tallies by kind.
    pub kinds: BTreeMap<Kind, KindTally>,
    /// Wall time.
    pub elapsed: Duration,
    /// Memory samples, when a pid was given: before the first delivery, then every tenth.
    /// Judged over the second half ([`SoakReport::rss_growth`]).
    pub rss: Vec<RssSample>,
}

/// Resident memory may grow by this much over the second half of the run before the run
/// counts as not flat. The first half is warm-up: connection pools, allocator caches and
/// pages freed but not yet returned (jemalloc returns them about ten seconds later, longer
/// than a 100,000-delivery run lasts). A leak of 20 bytes a delivery fails a 100,000 run
/// of a 10 MiB server.
pub const RSS_GROWTH_ALLOWED: f64 = 0.10;

impl SoakReport {
    /// Deliveries in all.
    #[must_use]
    pub fn total(&self) -> usize {
        self.kinds.values().map(|tally| tally.sent).sum()
    }

    /// Deliveries answered 5xx.
    #[must_use]
    pub fn server_errors(&self) -> usize {
        self.kinds
            .values()
            .flat_map(|tally| tally.answers.iter())
            .filter(|(label, _)| label.starts_with('5'))
            .map(|(_, count)| count)
            .sum()
    }

    /// Growth of resident memory over the second half of the run, when sampled.
    #[must_use]
    pub fn rss_growth(&self) -> Option<f64> {
        if self.rss.len() < 3 {
            return None;
        }
        let warm = self.rss.get(self.rss.len() / 2)?.rss_kib as f64;
        let last = self.rss.last()?.rss_kib as f64;
        (warm > 0.0).then(|| (last - warm) / warm)
    }

    /// Every delivery got its right answer, no 5xx, and memory (when sampled) stayed flat.
    #[must_use]
    pub fn passed(&self) -> bool {
        let answers_right = self.kinds.values().all(|tally| tally.wrong == 0);
        let memory_flat = self
            .rss_growth()
            .is_none_or(|growth| growth <= RSS_GROWTH_ALLOWED);
        answers_right && self.server_errors() == 0 && memory_flat
    }

    /// The report printed after a run.
    #[must_use]
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64().max(f64::EPSILON);
        let mut out = format!(
            "deliveries: {} in {seconds:.1} s ({:.0}/s); 5xx: {}\n",
            self.total(),
            self.total() as f64 / seconds,
            self.server_errors()
        );
        let _ = writeln!(
            out,
            "{:<10} {:>8}  {:<14} {:>6}  answers",
            "kind", "sent", "must get", "wrong"
        );
        for (kind, tally) in &self.kinds {
            let answers: Vec<String> = tally
                .answers
                .iter()
                .map(|(label, count)| format!("{label} x{count}"))
                .collect();
            let _ = writeln!(
                out,
                "{:<10} {:>8}  {:<14} {:>6}  {}",
                kind.name(),
                tally.sent,
                kind.expected(),
                tally.wrong,
                answers.join(", ")
            );
        }
        if !self.rss.is_empty() {
            let series: Vec<String> = self
                .rss
                .iter()
                .map(|sample| format!("{}:{}", sample.done, sample.rss_kib))
                .collect();
            let _ = writeln!(
                out,
                "server RSS KiB (after N deliveries): {}",
                series.join(" ")
            );
            if let Some(growth) = self.rss_growth() {
                let _ = writeln!(
                    out,
                    "RSS growth over the second half: {:+.1} % (allowed {:+.0} %)",
                    growth * 100.0,
                    RSS_GROWTH_ALLOWED * 100.0
                );
            }
        }
        let _ = write!(out, "{}", if self.passed() { "PASSED" } else { "FAILED" });
        out
    }
}

/// Builds deliveries and remembers recent valid ones for duplicates.
struct Mixer<'a> {
    signer: &'a WebhookVerifier,
    payloads: Vec<Payload>,
    drifted: Vec<Vec<u8>>,
    oversized: Vec<u8>,
    recent: Mutex<VecDeque<SignedDelivery>>,
}

impl<'a> Mixer<'a> {
    fn new(signer: &'a WebhookVerifier) -> Result<Self, CliError> {
        let payloads = EVENT_TYPES
            .iter()
            .map(|event_type| Payload::sample(event_type))
            .collect::<Result<Vec<_>, _>>()?;
        let mut oversized = payloads
            .first()
            .map(|payload| payload.body.clone())
            .unwrap_or_default();
        oversized.resize(DEFAULT_BODY_LIMIT + 1, b' ');
        let drifted = clerk_webhook_core::samples::drifted_samples()
            .into_iter()
            .map(|(_, body)| body.into_bytes())
            .collect();
        Ok(Self {
            signer,
            payloads,
            drifted,
            oversized,
            recent: Mutex::new(VecDeque::new()),
        })
    }

    fn delivery(&self, index: usize, kind: Kind) -> Result<SignedDelivery, CliError> {
        let payload = &self.payloads[index % self.payloads.len()];
        match kind {
            Kind::Valid => {
                let delivery = sign_now(self.signer, payload.body.clone())?;
                if let Ok(mut recent) = self.recent.lock() {
                    if recent.len() == 64 {
                        recent.pop_front();
                    }
                    recent.push_back(delivery.clone());
                }
                Ok(delivery)
            }
            Kind::Duplicate => {
                let earlier = self
                    .recent
                    .lock()
                    .ok()
                    .and_then(|recent| recent.get(index % recent.len().max(1)).cloned());
                match earlier {
                    Some(delivery) => Ok(delivery),
                    None => sign_now(self.signer, payload.body.clone()),
                }
            }
            Kind::Tampered => {
                let mut delivery = sign_now(self.signer, payload.body.clone())?;
                let last_letter = delivery.body.iter().rposition(u8::is_ascii_alphabetic);
                if let Some(at) = last_letter {
                    delivery.body[at] ^= 0x20; // flip its case
                }
                Ok(delivery)
            }
            Kind::Stale => Ok(SignedDelivery::sign(
                self.signer,
                crate::ids::message_id()?,
                unix_now() - 360,
                payload.body.clone(),
            )),
            Kind::Drifted => {
                let body = self.drifted.get(index % self.drifted.len().max(1));
                sign_now(self.signer, body.cloned().unwrap_or_default())
            }
            Kind::Oversized => sign_now(self.signer, self.oversized.clone()),
        }
    }
}

/// Runs the soak.
///
/// # Errors
/// [`CliError::Connect`] as soon as a connection is refused (the server went away).
pub async fn run(
    deliverer: &Deliverer,
    signer: &WebhookVerifier,
    plan: &SoakPlan,
) -> Result<SoakReport, CliError> {
    let mixer = Mixer::new(signer)?;
    let oversized_deliverer = Deliverer::without_reuse(deliverer.url())?;
    let mut kinds: BTreeMap<Kind, KindTally> = Kind::ALL
        .iter()
        .map(|kind| (*kind, KindTally::default()))
        .collect();
    let mut rss = Vec::new();
    let sample_every = (plan.count / 10).max(1);
    let sample = |done: usize, rss: &mut Vec<RssSample>| {
        if let Some(rss_kib) = plan.pid.and_then(resident_kib) {
            rss.push(RssSample { done, rss_kib });
        }
    };
    sample(0, &mut rss);
    let started = Instant::now();
    let mut answers = futures_util::stream::iter(0..plan.count)
        .map(|index| {
            let (mixer, oversized_deliverer) = (&mixer, &oversized_deliverer);
            async move {
                let kind = Kind::of(index);
                let delivery = mixer.delivery(index, kind)?;
                let deliverer = match kind {
                    Kind::Oversized => oversized_deliverer,
                    _ => deliverer,
                };
                let outcome = deliverer.deliver(&delivery).await?;
                Ok::<_, CliError>((kind, outcome.answer))
            }
        })
        .buffer_unordered(plan.concurrency.max(1));
    let mut done = 0;
    while let Some(answer) = answers.next().await {
        let (kind, answer) = answer?;
        let tally = kinds.entry(kind).or_default();
        tally.sent += 1;
        if !kind.accepts(&answer) {
            tally.wrong += 1;
        }
        *tally.answers.entry(answer_label(&answer)).or_default() += 1;
        done += 1;
        if done % sample_every == 0 {
            sample(done, &mut rss);
        }
    }
    Ok(SoakReport {
        kinds,
        elapsed: started.elapsed(),
        rss,
    })
}

/// `VmRSS` of process `pid` in KiB, from `/proc` (Linux); `None` elsewhere or if gone.
#[must_use]
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_as_documented() {
        let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
        for index in 0..100 {
            *counts.entry(Kind::of(index)).or_default() += 1;
        }
        let counts: Vec<usize> = Kind::ALL.iter().map(|kind| counts[kind]).collect();
        assert_eq!(counts, [54, 5, 20, 10, 10, 1]);
    }

    fn report_with_rss(rss_kib: &[u64]) -> SoakReport {
        SoakReport {
            kinds: BTreeMap::new(),
            elapsed: Duration::from_secs(1),
            rss: rss_kib
                .iter()
                .enumerate()
                .map(|(tenth, rss_kib)| RssSample {
                    done: tenth * 10_000,
                    rss_kib: *rss_kib,
                })
                .collect(),
        }
    }

    #[test]
    fn memory_is_judged_over_the_second_half() {
        // Warm-up growth in the first half is allowed.
        let warming = report_with_rss(&[
            4000, 7600, 7900, 8000, 8100, 8200, 8250, 8300, 8350, 8400, 8450,
        ]);
        assert!(warming.passed(), "{}", warming.summary());
        // A steady leak (here 20 bytes a delivery on 100,000) is not.
        let leaking: Vec<u64> = (0..=10).map(|tenth| 8000 + tenth * 200).collect();
        let leaking = report_with_rss(&leaking);
        assert!(!leaking.passed(), "{}", leaking.summary());
        // Without samples there is nothing to judge.
        assert!(report_with_rss(&[]).rss_growth().is_none());
    }

    #[test]
    fn judging_answers() {
        let status = |code| Answer::status(code, "");
        assert!(Kind::Valid.accepts(&status(200)));
        assert!(!Kind::Valid.accepts(&status(400)));
        assert!(Kind::Drifted.accepts(&status(204)));
        assert!(!Kind::Drifted.accepts(&status(400)));
        assert!(!Kind::Duplicate.accepts(&Answer::Closed));
        assert!(Kind::Tampered.accepts(&status(400)));
        assert!(!Kind::Stale.accepts(&status(200)));
        assert!(!Kind::Stale.accepts(&status(500)));
        assert!(Kind::Oversized.accepts(&status(413)));
        assert!(Kind::Oversized.accepts(&Answer::Closed));
        assert!(!Kind::Oversized.accepts(&status(400)));
    }
}
