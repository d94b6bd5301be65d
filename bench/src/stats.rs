//! Latency histograms (HDR: fixed relative error at every magnitude, so p99.9
//! and max stay honest) and the run's printed summary.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use crate::proc;

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

/// Adds server CPU per unit of work, server RSS and the tool's own CPU share.
pub fn add_process_figures(
    result: &mut Value,
    before: Option<proc::Moment>,
    after: Option<proc::Moment>,
    work: u64,
    per_key: &str,
) {
    let (Some(b), Some(e)) = (before, after) else { return };
    let secs = result["measured_secs"].as_f64().unwrap_or(1.0);
    let server = e.server.cpu_secs - b.server.cpu_secs;
    let tool = e.tool_cpu - b.tool_cpu;
    let machine = e.machine_cpu - b.machine_cpu;
    result["server_cpu_secs"] = json!(round2(server));
    result["server_cpu_cores"] = json!(round2(server / secs));
    result[per_key] = json!(proc::cpu_us_per(&b.server, &e.server, work).map(round2));
    result["server_rss_mib"] = json!(round2(e.server.rss_kib as f64 / 1024.0));
    result["server_peak_rss_mib"] = json!(round2(e.server.hwm_kib as f64 / 1024.0));
    result["tool_cpu_cores"] = json!(round2(tool / secs));
    // Everything else that ran meanwhile (Postgres and Redis count here too).
    result["other_cpu_cores"] = json!(round2(((machine - server - tool) / secs).max(0.0)));
}

pub fn print_process_figures(result: &Value) {
    if result.get("server_cpu_secs").is_none() {
        return;
    }
    let per = result
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.ends_with("_per_delivery") || k.ends_with("_per_send")));
    println!(
        "server CPU {} cores ({}: {} µs)   server RSS {} MiB (peak {} MiB)   bench CPU {} cores   \
         other processes {} cores",
        result["server_cpu_cores"],
        per.map(|(k, _)| k.as_str()).unwrap_or("-"),
        per.map(|(_, v)| v.to_string()).unwrap_or_default(),
        result["server_rss_mib"],
        result["server_peak_rss_mib"],
        result["tool_cpu_cores"],
        result["other_cpu_cores"],
    );
}
