//! Active health checking: Envoy's per-host hysteresis and check intervals, without I/O.
//!
//! Envoy's active health checker (`envoy.config.core.v3.HealthCheck`, envoy
//! `api/envoy/config/core/v3/health_check.proto`; the state machine in
//! `source/extensions/health_checkers/common/health_checker_base_impl.cc`,
//! `ActiveHealthCheckSession::handleSuccess` / `setUnhealthy` and `HealthCheckerImplBase::interval`)
//! keeps, per host, a "failed active health check" flag and two counters:
//!
//! - a host added to a health-checked cluster starts **failed** (`FAILED_ACTIVE_HC`) until its
//!   first check; the **first** check result decides at once (`first_check_`: "we immediately move
//!   it to healthy. This makes startup faster");
//! - after that, a failed host becomes healthy after `healthy_threshold` consecutive successes;
//! - a healthy host becomes failed at once on a non-network failure (an HTTP status outside
//!   `expected_statuses`, which default to 200 only, and not in `retriable_statuses`), and after
//!   `unhealthy_threshold` consecutive network failures (connection refused or reset, or no
//!   answer within `timeout`);
//! - the next check comes after `interval` (a healthy host), `unhealthy_interval` (a failed one),
//!   or, while a transition is pending (a counter below its threshold), `healthy_edge_interval` /
//!   `unhealthy_edge_interval`; before the cluster has ever had traffic, after
//!   `no_traffic_interval` (60 s by default). The proto's defaults: `unhealthy_interval` =
//!   `interval`, `unhealthy_edge_interval` = `unhealthy_interval`, `healthy_edge_interval` =
//!   `interval`, no jitter.
//!
//! The probing itself (connections, timeouts, clocks) is the adapter's: time is an argument
//! here, in milliseconds.

use core::fmt;

/// Envoy's default `no_traffic_interval` (health_check.proto: "The default value for 'no traffic
/// interval' is 60 seconds").
pub const NO_TRAFFIC_INTERVAL_MS: u64 = 60_000;

/// An active health check's settings, validated (see [`HealthCheckConfig::new`]).
///
/// The fields Envoy requires (`interval`, `timeout`, `unhealthy_threshold`,
/// `healthy_threshold`) are arguments of [`HealthCheckConfig::new`]; those with proto defaults
/// are set to them and can be changed with the `with_` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCheckConfig {
    interval_ms: u64,
    timeout_ms: u64,
    unhealthy_threshold: u32,
    healthy_threshold: u32,
    no_traffic_interval_ms: u64,
    unhealthy_interval_ms: Option<u64>,
    unhealthy_edge_interval_ms: Option<u64>,
    healthy_edge_interval_ms: Option<u64>,
}

/// Why a [`HealthCheckConfig`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HealthCheckError {
    /// An interval or the timeout of 0 ms (health_check.proto: `gt: {}`, greater than zero).
    ZeroDuration(&'static str),
    /// A threshold of 0 (the proto requires the field; a host could never change state).
    ZeroThreshold(&'static str),
}

impl fmt::Display for HealthCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroDuration(name) => write!(f, "health check {name} must be greater than 0"),
            Self::ZeroThreshold(name) => write!(f, "health check {name} must be at least 1"),
        }
    }
}

impl core::error::Error for HealthCheckError {}

impl HealthCheckConfig {
    /// A configuration with the four values Envoy requires, and the proto's defaults for the
    /// rest.
    ///
    /// # Errors
    /// [`HealthCheckError`] for an interval or timeout of 0, or a threshold of 0.
    ///
    /// # Examples
    /// ```
    /// use meshlb::HealthCheckConfig;
    /// let config = HealthCheckConfig::new(5_000, 1_000, 2, 2)?;
    /// // health_check.proto: unhealthy_interval defaults to interval, no_traffic_interval to 60 s.
    /// assert_eq!(config.unhealthy_interval_ms(), 5_000);
    /// assert_eq!(config.no_traffic_interval_ms(), 60_000);
    /// # Ok::<(), meshlb::HealthCheckError>(())
    /// ```
    pub fn new(
        interval_ms: u64,
        timeout_ms: u64,
        unhealthy_threshold: u32,
        healthy_threshold: u32,
    ) -> Result<Self, HealthCheckError> {
        if interval_ms == 0 {
            return Err(HealthCheckError::ZeroDuration("interval"));
        }
        if timeout_ms == 0 {
            return Err(HealthCheckError::ZeroDuration("timeout"));
        }
        if unhealthy_threshold == 0 {
            return Err(HealthCheckError::ZeroThreshold("unhealthy_threshold"));
        }
        if healthy_threshold == 0 {
            return Err(HealthCheckError::ZeroThreshold("healthy_threshold"));
        }
        Ok(Self {
            interval_ms,
            timeout_ms,
            unhealthy_threshold,
            healthy_threshold,
            no_traffic_interval_ms: NO_TRAFFIC_INTERVAL_MS,
            unhealthy_interval_ms: None,
            unhealthy_edge_interval_ms: None,
            healthy_edge_interval_ms: None,
        })
    }

    /// Sets `no_traffic_interval`.
    ///
    /// # Errors
    /// [`HealthCheckError::ZeroDuration`] for 0.
    pub fn with_no_traffic_interval_ms(mut self, ms: u64) -> Result<Self, HealthCheckError> {
        if ms == 0 {
            return Err(HealthCheckError::ZeroDuration("no_traffic_interval"));
        }
        self.no_traffic_interval_ms = ms;
        Ok(self)
    }

    /// Sets `unhealthy_interval`, `unhealthy_edge_interval` and `healthy_edge_interval` (each
    /// `None`: the proto's default).
    ///
    /// # Errors
    /// [`HealthCheckError::ZeroDuration`] for a 0.
    pub fn with_intervals_ms(
        mut self,
        unhealthy: Option<u64>,
        unhealthy_edge: Option<u64>,
        healthy_edge: Option<u64>,
    ) -> Result<Self, HealthCheckError> {
        for (value, name) in [
            (unhealthy, "unhealthy_interval"),
            (unhealthy_edge, "unhealthy_edge_interval"),
            (healthy_edge, "healthy_edge_interval"),
        ] {
            if value == Some(0) {
                return Err(HealthCheckError::ZeroDuration(name));
            }
        }
        self.unhealthy_interval_ms = unhealthy;
        self.unhealthy_edge_interval_ms = unhealthy_edge;
        self.healthy_edge_interval_ms = healthy_edge;
        Ok(self)
    }

    /// `interval`.
    #[must_use]
    pub const fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// `timeout`: a check not answered within it is a network failure (`NETWORK_TIMEOUT`).
    #[must_use]
    pub const fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// `unhealthy_threshold`.
    #[must_use]
    pub const fn unhealthy_threshold(&self) -> u32 {
        self.unhealthy_threshold
    }

    /// `healthy_threshold`.
    #[must_use]
    pub const fn healthy_threshold(&self) -> u32 {
        self.healthy_threshold
    }

    /// `no_traffic_interval` (default 60 s).
    #[must_use]
    pub const fn no_traffic_interval_ms(&self) -> u64 {
        self.no_traffic_interval_ms
    }

    /// `unhealthy_interval` (default: `interval`).
    #[must_use]
    pub const fn unhealthy_interval_ms(&self) -> u64 {
        match self.unhealthy_interval_ms {
            Some(ms) => ms,
            None => self.interval_ms,
        }
    }

    /// `unhealthy_edge_interval` (default: `unhealthy_interval`).
    #[must_use]
    pub const fn unhealthy_edge_interval_ms(&self) -> u64 {
        match self.unhealthy_edge_interval_ms {
            Some(ms) => ms,
            None => self.unhealthy_interval_ms(),
        }
    }

    /// `healthy_edge_interval` (default: `interval`).
    #[must_use]
    pub const fn healthy_edge_interval_ms(&self) -> u64 {
        match self.healthy_edge_interval_ms {
            Some(ms) => ms,
            None => self.interval_ms,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The expected answer (HTTP: a status in `expected_statuses`, 200 by default).
    Success,
    /// A connection failure, or no answer within the timeout (Envoy's `NETWORK` and
    /// `NETWORK_TIMEOUT`): counts towards `unhealthy_threshold`.
    NetworkFailure,
    /// An answer that is not the expected one (an HTTP status outside `expected_statuses` and
    /// `retriable_statuses`): fails a healthy host at once.
    Failure,
}

/// What one check result did to a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The host changed state (healthy to failed or back).
    Changed,
    /// A counter moved towards its threshold; the state is unchanged.
    ChangePending,
    /// Nothing changed.
    Unchanged,
}

/// One host's active health check state: Envoy's `ActiveHealthCheckSession`, without timers.
///
/// # Examples
/// ```
/// use meshlb::{CheckOutcome, HealthCheckConfig, HostCheck, Transition};
/// let config = HealthCheckConfig::new(1_000, 500, 3, 2)?;
/// let mut host = HostCheck::new();
/// assert!(!host.is_healthy()); // failed until its first check
/// assert_eq!(host.observe(CheckOutcome::Success, &config), Transition::Changed); // first check
/// // Three network failures in a row (unhealthy_threshold 3) fail it.
/// assert_eq!(host.observe(CheckOutcome::NetworkFailure, &config), Transition::ChangePending);
/// assert_eq!(host.observe(CheckOutcome::NetworkFailure, &config), Transition::ChangePending);
/// assert_eq!(host.observe(CheckOutcome::NetworkFailure, &config), Transition::Changed);
/// assert!(!host.is_healthy());
/// // Two successes in a row (healthy_threshold 2) bring it back.
/// assert_eq!(host.observe(CheckOutcome::Success, &config), Transition::ChangePending);
/// assert_eq!(host.observe(CheckOutcome::Success, &config), Transition::Changed);
/// assert!(host.is_healthy());
/// # Ok::<(), meshlb::HealthCheckError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCheck {
    failed: bool,
    first_check: bool,
    num_healthy: u32,
    num_unhealthy: u32,
    /// The last result's state and transition, for the next interval.
    last: Option<(bool, Transition)>,
}

impl Default for HostCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl HostCheck {
    /// A host just added to a health-checked cluster: failed until its first check.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            failed: true,
            first_check: true,
            num_healthy: 0,
            num_unhealthy: 0,
            last: None,
        }
    }

    /// Whether the host passes its active health check (Envoy: `FAILED_ACTIVE_HC` clear).
    #[must_use]
    pub const fn is_healthy(&self) -> bool {
        !self.failed
    }

    /// Records one check's result (`handleSuccess` / `setUnhealthy`).
    pub fn observe(&mut self, outcome: CheckOutcome, config: &HealthCheckConfig) -> Transition {
        let transition = match outcome {
            CheckOutcome::Success => {
                self.num_unhealthy = 0;
                if self.failed {
                    self.num_healthy = self.num_healthy.saturating_add(1);
                    if self.first_check || self.num_healthy >= config.healthy_threshold {
                        self.failed = false;
                        self.num_healthy = 0;
                        Transition::Changed
                    } else {
                        Transition::ChangePending
                    }
                } else {
                    Transition::Unchanged
                }
            }
            CheckOutcome::NetworkFailure | CheckOutcome::Failure => {
                self.num_healthy = 0;
                if self.failed {
                    Transition::Unchanged
                } else {
                    self.num_unhealthy = self.num_unhealthy.saturating_add(1);
                    if outcome == CheckOutcome::Failure
                        || self.num_unhealthy >= config.unhealthy_threshold
                    {
                        self.failed = true;
                        self.num_unhealthy = 0;
                        Transition::Changed
                    } else {
                        Transition::ChangePending
                    }
                }
            }
        };
        self.first_check = false;
        let healthy_result = outcome == CheckOutcome::Success;
        self.last = Some((healthy_result, transition));
        transition
    }

    /// Milliseconds until the next check (`HealthCheckerImplBase::interval`, without jitter):
    /// `no_traffic_interval` while the cluster has had no traffic, else by the last result:
    /// a success `interval` (`healthy_edge_interval` while a recovery is pending), a failure
    /// `unhealthy_interval` (`unhealthy_edge_interval` while a failure is pending). Before the
    /// first check: 0 (Envoy checks a new host at once, `initial_jitter` 0).
    #[must_use]
    pub const fn next_interval_ms(&self, config: &HealthCheckConfig, traffic: bool) -> u64 {
        let Some((success, transition)) = self.last else {
            return 0;
        };
        if !traffic {
            return config.no_traffic_interval_ms;
        }
        let pending = matches!(transition, Transition::ChangePending);
        match (success, pending) {
            (true, false) => config.interval_ms,
            (true, true) => config.healthy_edge_interval_ms(),
            (false, false) => config.unhealthy_interval_ms(),
            (false, true) => config.unhealthy_edge_interval_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> HealthCheckConfig {
        HealthCheckConfig::new(1_000, 200, 2, 3)
            .and_then(|c| c.with_intervals_ms(Some(4_000), None, Some(500)))
            .unwrap()
    }

    #[test]
    fn first_check_decides_at_once_either_way() {
        // health_checker_base_impl.cc: `first_check_ || ++num_healthy_ == healthy_threshold_`.
        let c = config();
        let mut up = HostCheck::new();
        assert_eq!(up.observe(CheckOutcome::Success, &c), Transition::Changed);
        assert!(up.is_healthy());
        // A host that fails its first check stays failed (it starts failed): unchanged.
        let mut down = HostCheck::new();
        assert_eq!(
            down.observe(CheckOutcome::NetworkFailure, &c),
            Transition::Unchanged
        );
        assert!(!down.is_healthy());
        // Then healthy_threshold (3) successes are needed.
        assert_eq!(
            down.observe(CheckOutcome::Success, &c),
            Transition::ChangePending
        );
        assert_eq!(
            down.observe(CheckOutcome::Success, &c),
            Transition::ChangePending
        );
        assert_eq!(down.observe(CheckOutcome::Success, &c), Transition::Changed);
    }

    #[test]
    fn a_non_network_failure_fails_at_once_network_ones_count() {
        let c = config();
        let mut host = HostCheck::new();
        host.observe(CheckOutcome::Success, &c);
        assert_eq!(host.observe(CheckOutcome::Failure, &c), Transition::Changed);
        let mut host = HostCheck::new();
        host.observe(CheckOutcome::Success, &c);
        assert_eq!(
            host.observe(CheckOutcome::NetworkFailure, &c),
            Transition::ChangePending
        );
        // A success in between resets the count.
        assert_eq!(
            host.observe(CheckOutcome::Success, &c),
            Transition::Unchanged
        );
        assert_eq!(
            host.observe(CheckOutcome::NetworkFailure, &c),
            Transition::ChangePending
        );
        assert_eq!(
            host.observe(CheckOutcome::NetworkFailure, &c),
            Transition::Changed
        );
    }

    #[test]
    fn intervals_follow_state_and_edges() {
        // interval 1 s, unhealthy_interval 4 s, unhealthy_edge = unhealthy (4 s), healthy_edge 0.5 s.
        let c = config();
        let mut host = HostCheck::new();
        assert_eq!(host.next_interval_ms(&c, true), 0);
        host.observe(CheckOutcome::Success, &c);
        assert_eq!(host.next_interval_ms(&c, false), 60_000);
        assert_eq!(host.next_interval_ms(&c, true), 1_000);
        host.observe(CheckOutcome::NetworkFailure, &c); // pending
        assert_eq!(host.next_interval_ms(&c, true), 4_000);
        host.observe(CheckOutcome::NetworkFailure, &c); // failed
        assert_eq!(host.next_interval_ms(&c, true), 4_000);
        host.observe(CheckOutcome::Success, &c); // pending recovery
        assert_eq!(host.next_interval_ms(&c, true), 500);
    }

    #[test]
    fn zero_values_are_refused() {
        assert_eq!(
            HealthCheckConfig::new(0, 1, 1, 1),
            Err(HealthCheckError::ZeroDuration("interval"))
        );
        assert_eq!(
            HealthCheckConfig::new(1, 1, 0, 1),
            Err(HealthCheckError::ZeroThreshold("unhealthy_threshold"))
        );
    }
}
