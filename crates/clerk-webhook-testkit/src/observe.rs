//! What one request of the suite left behind: the `webhook` spans it opened and the metric
//! samples it emitted, captured in-process by a `tracing` layer and a `metrics` recorder
//! that are installed only while that request's future is polled (the suite's apps run in
//! the test's own task, so nothing from another test reaches them).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use tracing::field::{Field, Visit};
use tracing::instrument::WithSubscriber as _;
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// The recorded fields of one span, by name (numbers as decimal text).
pub(crate) type SpanFields = BTreeMap<String, String>;

/// One value given to a counter or a histogram.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) value: f64,
}

/// Everything one request left behind.
#[derive(Debug, Default)]
pub(crate) struct Observation {
    /// Every span named `webhook` opened while the request was handled.
    pub(crate) spans: Vec<SpanFields>,
    /// Every counter increment and histogram value, in order.
    pub(crate) samples: Vec<Sample>,
}

impl Observation {
    /// The samples of metric `name`.
    pub(crate) fn samples_of(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|s| s.name == name).collect()
    }
}

#[derive(Default)]
struct Captured {
    observation: Observation,
    /// Open `webhook` spans: tracing's span id to the index in `observation.spans`.
    open: HashMap<u64, usize>,
}

type Shared = Arc<Mutex<Captured>>;

/// Captures spans and metrics for one request at a time.
pub(crate) struct Observer {
    captured: Shared,
    dispatch: Dispatch,
    recorder: SampleRecorder,
}

impl Observer {
    pub(crate) fn new() -> Self {
        let captured = Shared::default();
        let subscriber = tracing_subscriber::registry().with(SpanCapture(Arc::clone(&captured)));
        Self {
            dispatch: Dispatch::new(subscriber),
            recorder: SampleRecorder(Arc::clone(&captured)),
            captured,
        }
    }

    /// Runs `future` (one request to the app) with the capture installed, and returns its
    /// output and what it left behind.
    pub(crate) async fn observe<F: Future>(&self, future: F) -> (F::Output, Observation) {
        *self.captured.lock().unwrap() = Captured::default();
        let output = WithRecorder {
            inner: Box::pin(future.with_subscriber(self.dispatch.clone())),
            recorder: &self.recorder,
        }
        .await;
        let captured = std::mem::take(&mut *self.captured.lock().unwrap());
        (output, captured.observation)
    }
}

/// Polls `inner` with `recorder` as the thread's metrics recorder.
struct WithRecorder<'r, F> {
    inner: Pin<Box<F>>,
    recorder: &'r SampleRecorder,
}

impl<F: Future> Future for WithRecorder<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let recorder = self.recorder;
        let _installed = metrics::set_default_local_recorder(recorder);
        self.inner.as_mut().poll(cx)
    }
}

/// A layer that keeps the fields of every `webhook` span.
struct SpanCapture(Shared);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanCapture {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, _: LayerContext<'_, S>) {
        if attributes.metadata().name() != "webhook" {
            return;
        }
        let mut fields = SpanFields::new();
        attributes.record(&mut FieldText(&mut fields));
        let mut captured = self.0.lock().unwrap();
        let index = captured.observation.spans.len();
        captured.observation.spans.push(fields);
        captured.open.insert(id.into_u64(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: LayerContext<'_, S>) {
        let mut captured = self.0.lock().unwrap();
        if let Some(&index) = captured.open.get(&id.into_u64()) {
            values.record(&mut FieldText(&mut captured.observation.spans[index]));
        }
    }

    fn on_close(&self, id: Id, _: LayerContext<'_, S>) {
        self.0.lock().unwrap().open.remove(&id.into_u64());
    }
}

struct FieldText<'a>(&'a mut SpanFields);

impl Visit for FieldText<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// A recorder that keeps every counter increment and histogram value.
struct SampleRecorder(Shared);

impl SampleRecorder {
    fn handle(&self, key: &Key) -> Arc<SampleHandle> {
        Arc::new(SampleHandle {
            captured: Arc::clone(&self.0),
            name: key.name().to_owned(),
            labels: key
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect(),
        })
    }
}

impl Recorder for SampleRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}

struct SampleHandle {
    captured: Shared,
    name: String,
    labels: BTreeMap<String, String>,
}

impl SampleHandle {
    fn push(&self, value: f64) {
        self.captured
            .lock()
            .unwrap()
            .observation
            .samples
            .push(Sample {
                name: self.name.clone(),
                labels: self.labels.clone(),
                value,
            });
    }
}

impl CounterFn for SampleHandle {
    #[allow(clippy::cast_precision_loss)]
    fn increment(&self, value: u64) {
        self.push(value as f64);
    }

    #[allow(clippy::cast_precision_loss)]
    fn absolute(&self, value: u64) {
        self.push(value as f64);
    }
}

impl HistogramFn for SampleHandle {
    fn record(&self, value: f64) {
        self.push(value);
    }
}
