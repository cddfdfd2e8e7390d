//! The load test's options, typed (durations, rates, enums parsed once at
//! the command line's edge), their validation before anything starts, and
//! the thresholds that judge a run or a merge.

use std::time::Duration;

pub use goose::metrics::GooseCoordinatedOmissionMitigation as CoMitigation;

/// How often each transaction runs, relative to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    /// StartFlow with a token never used.
    pub fresh: usize,
    /// StartFlow replaying a recent token.
    pub replay: usize,
    /// StartFlow with a recent token on a scheduled flow (409).
    pub conflict: usize,
    /// DescribeFlow.
    pub describe: usize,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            fresh: 80,
            replay: 15,
            conflict: 5,
            describe: 0,
        }
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fresh={},replay={},conflict={},describe={}",
            self.fresh, self.replay, self.conflict, self.describe
        )
    }
}

impl std::str::FromStr for Mix {
    type Err = String;

    /// `fresh=80,replay=15,conflict=5,describe=0`; unnamed parts are 0.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut mix = Mix {
            fresh: 0,
            replay: 0,
            conflict: 0,
            describe: 0,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not NAME=WEIGHT"))?;
            let v: usize = v
                .trim()
                .parse()
                .map_err(|_| format!("`{v}` is not a whole number"))?;
            match k.trim() {
                "fresh" => mix.fresh = v,
                "replay" => mix.replay = v,
                "conflict" => mix.conflict = v,
                "describe" => mix.describe = v,
                other => {
                    return Err(format!(
                        "unknown transaction `{other}` (fresh, replay, conflict, describe)"
                    ));
                }
            }
        }
        if mix.fresh == 0 {
            return Err(
                "fresh must have a weight: replays and conflicts reuse fresh tokens".into(),
            );
        }
        Ok(mix)
    }
}

/// The limits that fail a run (or a merge of runs), applied once to the
/// finished report (`LoadReport::judge`).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Availability: fail above this percentage of wrong or missing answers.
    pub max_error_rate_pct: f64,
    /// Evidence: fail with fewer fresh starts verified than this (at least 1).
    pub min_verified: u64,
    /// Fail when any request type's p99 exceeds this many milliseconds.
    pub max_p99_ms: Option<f64>,
    /// Fail below this many requests per second.
    pub min_rps: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_error_rate_pct: 1.0,
            min_verified: 100,
            max_p99_ms: None,
            min_rps: None,
        }
    }
}

impl Thresholds {
    /// Refuses limits that mean nothing.
    ///
    /// # Errors
    /// The flag and why, as the user typed it.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=100.0).contains(&self.max_error_rate_pct) {
            return Err("--max-error-rate is a percentage, 0 to 100".into());
        }
        if self.max_p99_ms.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
            return Err("--max-p99 must be a positive number of milliseconds".into());
        }
        if self.min_rps.is_some_and(|v| !(v > 0.0 && v.is_finite())) {
            return Err("--min-rps must be a positive number of requests per second".into());
        }
        Ok(())
    }
}

/// Everything a load run needs besides its target.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Concurrent goose users (at least 1).
    pub users: usize,
    /// Users started per second (more than 0).
    pub hatch_rate: f64,
    /// How long the attack runs once users are started (more than 0).
    pub run_time: Duration,
    /// The transactions' weights.
    pub mix: Mix,
    /// On-demand flows the starts are spread over (1 to 65,535).
    pub flows: usize,
    /// At most this many requests per second, all users together.
    pub throttle: Option<usize>,
    /// Goose's coordinated-omission mitigation.
    pub co_mitigation: CoMitigation,
    /// Recent fresh tokens kept for replays (at least 1).
    pub pool: usize,
    /// Each request's timeout.
    pub timeout: Duration,
    /// A run is listed at most this long after its answer (real services
    /// list runs late): reads wait this long before calling a run lost.
    pub settle: Duration,
    /// The time series' interval (at least 100 ms).
    pub interval: Duration,
    /// Let goose print its own tables.
    pub goose_output: bool,
    /// Percent of fresh starts' answers thrown away after they came, the
    /// same token then sent again (`--lose-answers`).
    pub lose_answers_pct: f64,
    /// The limits that fail the run.
    pub thresholds: Thresholds,
    /// This worker's index and the number of workers (distributed runs).
    pub worker: Option<(usize, usize)>,
    /// Start the attack at this time (epoch seconds), so workers start together.
    pub start_at: Option<f64>,
    /// Print a progress line every few seconds.
    pub progress: bool,
    /// The users' HTTP client: [`Client::Tuned`] (one for all, HTTP/1 only,
    /// TCP_NODELAY, one kept connection per user, no proxy lookup, no
    /// decompression), or goose's default (for comparisons).
    pub client: Client,
}

/// Which HTTP client each goose user sends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Client {
    /// Ours, set with goose's `set_client_builder` when a user starts.
    #[default]
    Tuned,
    /// goose's default client.
    Goose,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            users: 8,
            hatch_rate: 8.0,
            run_time: Duration::from_secs(30),
            mix: Mix::default(),
            flows: 16,
            throttle: None,
            co_mitigation: CoMitigation::Disabled,
            pool: 4096,
            timeout: Duration::from_secs(10),
            settle: Duration::from_millis(2000),
            interval: Duration::from_secs(1),
            goose_output: false,
            lose_answers_pct: 0.0,
            thresholds: Thresholds::default(),
            worker: None,
            start_at: None,
            progress: false,
            client: Client::Tuned,
        }
    }
}

impl LoadOptions {
    /// Refuses options that mean nothing, before anything starts.
    ///
    /// # Errors
    /// The flag and why.
    pub fn validate(&self) -> Result<(), String> {
        let checks: [(bool, &str); 9] = [
            (self.users == 0, "--users must be at least 1"),
            (
                self.flows == 0 || self.flows > usize::from(u16::MAX),
                "--flows must be 1 to 65535",
            ),
            (self.pool == 0, "--pool must be at least 1"),
            (
                !(self.hatch_rate > 0.0 && self.hatch_rate.is_finite()),
                "--hatch-rate must be a positive number of users per second",
            ),
            (
                self.run_time.is_zero(),
                "--run-time must be longer than 0s (a load test must end by itself)",
            ),
            (
                self.throttle == Some(0),
                "--throttle must be at least 1 request per second",
            ),
            (
                self.interval < Duration::from_millis(100),
                "--interval must be at least 100ms",
            ),
            (self.timeout.is_zero(), "--timeout must be longer than 0s"),
            (
                !(0.0..=100.0).contains(&self.lose_answers_pct),
                "--lose-answers is a percentage, 0 to 100",
            ),
        ];
        if let Some((_, why)) = checks.iter().find(|(bad, _)| *bad) {
            return Err((*why).to_owned());
        }
        if let Some((i, n)) = self.worker
            && (n == 0 || i >= n)
        {
            return Err(format!("--worker-index {i} is not below --workers {n}"));
        }
        self.thresholds.validate()
    }

    /// The options as the report keeps them (what must agree to merge).
    pub fn as_json(&self) -> serde_json::Value {
        serde_json::json!({
            "users": self.users,
            "hatch_rate": self.hatch_rate,
            "run_time_secs": self.run_time.as_secs_f64(),
            "mix": self.mix.to_string(),
            "flows": self.flows,
            "throttle": self.throttle,
            "lose_answers_pct": self.lose_answers_pct,
            "pool": self.pool,
            "settle_ms": u64::try_from(self.settle.as_millis()).unwrap_or(u64::MAX),
            "interval_ms": u64::try_from(self.interval.as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// `--run-time`: `30s`, `2m`, `1h`, or a number of seconds.
///
/// # Errors
/// What is wrong with `s`.
pub fn parse_run_time(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<u64>() {
        Ok(secs) => Ok(Duration::from_secs(secs)),
        Err(_) => crate::scenario::parse_duration(s),
    }
}

/// `--co-mitigation`: disabled, average, minimum, maximum.
///
/// # Errors
/// The accepted values.
pub fn parse_co_mitigation(s: &str) -> Result<CoMitigation, String> {
    s.parse::<CoMitigation>()
        .map_err(|_| format!("`{s}` is not one of disabled, average, minimum, maximum"))
}
