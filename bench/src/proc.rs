//! Process figures from /proc (CPU seconds, RSS) and the open-files limit.
//! Linux only, like the servers this tool measures.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::recv::Shared;

/// One reading of a set of processes, summed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// utime + stime, in seconds.
    pub cpu_secs: f64,
    /// Resident set (VmRSS), KiB.
    pub rss_kib: u64,
    /// Peak resident set (VmHWM), KiB.
    pub hwm_kib: u64,
}

/// Reads every pid; an empty list gives an all-zero sample.
pub fn sample(pids: &[u32]) -> Result<Sample> {
    let tick = clock_ticks_per_sec();
    let mut s = Sample::default();
    for &pid in pids {
        s.cpu_secs += cpu_ticks(&format!("/proc/{pid}/stat"))? as f64 / tick;
        let (rss, hwm) = memory(&format!("/proc/{pid}/status"))?;
        s.rss_kib += rss;
        s.hwm_kib += hwm;
    }
    Ok(s)
}

/// The tool's own CPU seconds: it shares the machine's cores with the server, so
/// its cost belongs next to the server's in every report.
pub fn own_cpu_secs() -> f64 {
    cpu_ticks("/proc/self/stat").map(|t| t as f64 / clock_ticks_per_sec()).unwrap_or(0.0)
}

/// CPU seconds the whole machine spent busy (all cores, /proc/stat). Other
/// processes on the same two cores (builds, test suites) distort a benchmark;
/// machine − server − tool shows how much.
pub fn machine_busy_secs() -> f64 {
    let busy = || -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal …; guest time is already in user.
        let total: u64 = v.iter().take(8).sum();
        Some(total - v.get(3)? - v.get(4)?)
    };
    busy().map(|t| t as f64 / clock_ticks_per_sec()).unwrap_or(0.0)
}

fn cpu_ticks(path: &str) -> Result<u64> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may contain spaces; fields after its closing
    // parenthesis are fixed: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).context("odd /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok(utime + stime)
}

fn memory(path: &str) -> Result<(u64, u64)> {
    let status = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok((field("VmRSS:"), field("VmHWM:")))
}

/// USER_HZ. Asking `getconf` keeps the crate free of `unsafe` (the workspace
/// forbids it); every Linux we run on says 100.
fn clock_ticks_per_sec() -> f64 {
    use std::sync::OnceLock;
    static TICK: OnceLock<f64> = OnceLock::new();
    *TICK.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Raises the soft open-files limit to the hard one: every socket is a file, and
/// the default soft limit (1024) is far below what the idle test opens.
pub fn raise_nofile_limit() -> Result<u64> {
    let (_, hard) = rlimit::Resource::NOFILE.get()?;
    rlimit::Resource::NOFILE.set(hard, hard)?;
    Ok(hard)
}

/// The soft open-files limit of a running process, to warn when the server was
/// started without `ulimit -n` raised.
pub fn nofile_limit_of(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// CPU seconds between two samples divided by a count, in microseconds.
pub fn cpu_us_per(before: &Sample, after: &Sample, count: u64) -> Option<f64> {
    (count > 0).then(|| (after.cpu_secs - before.cpu_secs) * 1e6 / count as f64)
}

/// Samples at a moment, logging rather than failing: a benchmark should not die
/// because a pid was mistyped.
pub fn sample_or_warn(pids: &[u32]) -> Option<Sample> {
    if pids.is_empty() {
        return None;
    }
    match sample(pids) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("warning: cannot read server process figures: {e:#}");
            None
        }
    }
}

/// Waits, then samples; for settling memory before an RSS reading.
pub async fn settled_sample(pids: &[u32], settle: Duration) -> Option<Sample> {
    tokio::time::sleep(settle).await;
    sample_or_warn(pids)
}

/// Server, tool and whole-machine CPU at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub server: Sample,
    pub tool_cpu: f64,
    pub machine_cpu: f64,
}

impl Moment {
    fn now(pids: &[u32]) -> Option<Self> {
        let server = sample_or_warn(pids)?;
        Some(Self { server, tool_cpu: own_cpu_secs(), machine_cpu: machine_busy_secs() })
    }
}

/// Samples at the start and the end of the measured window.
pub async fn sample_window(shared: Arc<Shared>, pids: Vec<u32>) -> (Option<Moment>, Option<Moment>) {
    let at = |us: u64| shared.origin + Duration::from_micros(us);
    tokio::time::sleep_until(at(shared.from_us).into()).await;
    let before = Moment::now(&pids);
    tokio::time::sleep_until(at(shared.to_us).into()).await;
    (before, Moment::now(&pids))
}
