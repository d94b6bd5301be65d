//! Latency histograms (HDR: fixed relative error at every magnitude, so p99.9
//! and max stay honest) and the run's printed summary.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// Microsecond latencies from 1 µs to 10 minutes, 3 significant digits.
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        // Bounds are constants within hdrhistogram's limits, so this cannot fail.
        Self(Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!()))
    }
}

impl Latency {
    pub fn record(&mut self, us: u64) {
        self.0.saturating_record(us.max(1));
    }

    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// p50 / p99 / p99.9 / max in milliseconds.
    pub fn summary(&self) -> Value {
        let ms = |us: u64| (us as f64 / 1000.0 * 100.0).round() / 100.0;
        if self.0.is_empty() {
            return json!({"count": 0});
        }
        json!({
            "count": self.0.len(),
            "p50_ms": ms(self.0.value_at_quantile(0.50)),
            "p99_ms": ms(self.0.value_at_quantile(0.99)),
            "p999_ms": ms(self.0.value_at_quantile(0.999)),
            "max_ms": ms(self.0.max()),
        })
    }

    pub fn line(&self) -> String {
        let s = self.summary();
        if self.0.is_empty() {
            return "no samples".into();
        }
        format!(
            "p50 {} ms  p99 {} ms  p99.9 {} ms  max {} ms  (n={})",
            s["p50_ms"], s["p99_ms"], s["p999_ms"], s["max_ms"], s["count"]
        )
    }
}

/// Error frames by code.
#[derive(Debug, Default, Clone)]
pub struct ErrorCounts(pub BTreeMap<String, u64>);

impl ErrorCounts {
    pub fn add(&mut self, code: &str) {
        *self.0.entry(code.to_string()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &ErrorCounts) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_default() += v;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn to_json(&self) -> Value {
        json!(self.0)
    }
}

/// Prints the machine-readable result as one line, after the human-readable one.
pub fn print_result(result: &Value) {
    println!("RESULT {result}");
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
