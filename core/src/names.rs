//! The names of meshlb's enumerations, in one place: each enum's spelling in JSON (the public
//! contract), `as_str`, `Display`, `FromStr` with the valid names in the error, and `ALL`.
//!
//! Adapters (the CLI's flags, the wasm package's options, the filter's configuration and
//! updates) parse with `str::parse` and show [`UnknownName`]'s message, so a user meets the same
//! list of valid names everywhere. A test checks each spelling against serde's, so the JSON and
//! the names here cannot drift apart.

use core::fmt;
use core::str::FromStr;

use crate::explain::{DropReason, EndpointKind, LocalityLbMode, Status};
use crate::model::{HealthStatus, LbPolicy};
use crate::note::NoteCode;

/// A name that is none of an enumeration's: what was given, what it should have been, and the
/// valid names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What the name is of (`load-balancing policy`).
    pub what: &'static str,
    /// The name given.
    pub given: alloc::string::String,
    /// Every valid name, in declaration order.
    pub valid: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; expected one of ",
            self.what, self.given
        )?;
        for (i, name) in self.valid.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl core::error::Error for UnknownName {}

/// Declares the names of an enum: `ALL`, `NAMES`, `as_str`, `Display` and `FromStr`.
macro_rules! names {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [Self; [$($name),+].len()] = [$(Self::$variant),+];
            /// Every value's name, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The value's name, as in JSON.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(UnknownName {
                        what: $what,
                        given: s.into(),
                        valid: Self::NAMES,
                    }),
                }
            }
        }
    };
}

names!(LbPolicy, "load-balancing policy", {
    RoundRobin => "ROUND_ROBIN",
    LeastRequest => "LEAST_REQUEST",
    Random => "RANDOM",
    RingHash => "RING_HASH",
    Maglev => "MAGLEV",
});

names!(HealthStatus, "health status", {
    Unknown => "UNKNOWN",
    Healthy => "HEALTHY",
    Unhealthy => "UNHEALTHY",
    Draining => "DRAINING",
    Timeout => "TIMEOUT",
    Degraded => "DEGRADED",
});

names!(Status, "status", {
    Routed => "routed",
    DnsFailure => "dns-failure",
    NotVisible => "not-visible",
    Untrusted => "untrusted",
    NoEndpoints => "no-endpoints",
    NoRoute => "no-route",
    NotImported => "not-imported",
});

names!(NoteCode, "note code", {
    EmptyAssignment => "empty-assignment",
    DropOverload => "drop-overload",
    NoHealthyUpstream => "no-healthy-upstream",
    PriorityLoad => "priority-load",
    SpillOver => "spill-over",
    DrainingExcluded => "draining-excluded",
    DegradedLoad => "degraded-load",
    TotalPanic => "total-panic",
    PriorityFallback => "priority-fallback",
    Panic => "panic",
    LocalityWeighted => "locality-weighted",
    UnweightedLocality => "unweighted-locality",
    LocalityWeightsIgnored => "locality-weights-ignored",
    Policy => "policy",
    HashNoHost => "hash-no-host",
    UnhealthyEndpoints => "unhealthy-endpoints",
    ControlPlane => "control-plane",
    Dns => "dns",
    Visibility => "visibility",
    DestinationRule => "destination-rule",
    Route => "route",
    Network => "network",
    MeshBoundary => "mesh-boundary",
    LocalitySetting => "locality-setting",
    PanicThreshold => "panic-threshold",
    Failure => "failure",
    NoEndpoint => "no-endpoint",
    Flag => "flag",
    NoClient => "no-client",
    NoRequest => "no-request",
    Import => "import",
    NotRead => "not-read",
    Source => "source",
    NotModelled => "not-modelled",
    MayDiffer => "may-differ",
    Input => "input",
    HealthCheck => "health-check",
});

names!(DropReason, "drop reason", {
    NoRemoteSecret => "no-remote-secret",
    ClusterLocal => "cluster-local",
    ProxylessCrossNetwork => "proxyless-cross-network",
    OtherMesh => "other-mesh",
    UntrustedMesh => "untrusted-mesh",
    NotInSubset => "not-in-subset",
    NotExported => "not-exported",
    NotDistributed => "not-distributed",
    NotReady => "not-ready",
    Terminating => "terminating",
    NoAddress => "no-address",
});

names!(LocalityLbMode, "locality load-balancing mode", {
    Off => "off",
    Failover => "failover",
    FailoverPriority => "failover-priority",
    Distribute => "distribute",
});

names!(EndpointKind, "endpoint kind", {
    Workload => "workload",
    Gateway => "gateway",
});

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    /// Every name parses back to its value, and nothing else parses.
    fn round_trips<T>(all: &[T], names: &[&str])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr<Err = UnknownName>,
    {
        assert_eq!(all.len(), names.len());
        for (value, name) in all.iter().zip(names) {
            assert_eq!(value.to_string(), *name);
            assert_eq!(name.parse::<T>(), Ok(*value));
            // Names are case-sensitive, as the proto enum names and the JSON are.
            let other = if name.chars().any(char::is_lowercase) {
                name.to_uppercase()
            } else {
                name.to_lowercase()
            };
            assert!(other.parse::<T>().is_err(), "{other}");
        }
    }

    #[test]
    fn every_name_round_trips() {
        round_trips(&LbPolicy::ALL, LbPolicy::NAMES);
        round_trips(&HealthStatus::ALL, HealthStatus::NAMES);
        round_trips(&Status::ALL, Status::NAMES);
        round_trips(&DropReason::ALL, DropReason::NAMES);
        round_trips(&NoteCode::ALL, NoteCode::NAMES);
        round_trips(&LocalityLbMode::ALL, LocalityLbMode::NAMES);
        round_trips(&EndpointKind::ALL, EndpointKind::NAMES);
    }

    #[test]
    fn the_error_lists_the_valid_names() {
        let e = "ROUND_ROBN".parse::<LbPolicy>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown load-balancing policy \"ROUND_ROBN\"; expected one of ROUND_ROBIN, \
             LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV"
        );
        let e = "ok".parse::<HealthStatus>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown health status \"ok\"; expected one of UNKNOWN, HEALTHY, UNHEALTHY, \
             DRAINING, TIMEOUT, DEGRADED"
        );
    }

    /// The names are the JSON's: serde's spelling of each value (the schema's enums) is the
    /// name here.
    #[cfg(feature = "serde")]
    #[test]
    fn names_are_the_json_spellings() {
        fn check<T: serde::Serialize + fmt::Display>(all: &[T]) {
            for value in all {
                let json = serde_json::to_string(value).ok();
                assert_eq!(json, Some(alloc::format!("\"{value}\"")));
            }
        }
        check(&LbPolicy::ALL);
        check(&HealthStatus::ALL);
        check(&Status::ALL);
        check(&DropReason::ALL);
        check(&NoteCode::ALL);
        check(&LocalityLbMode::ALL);
        check(&EndpointKind::ALL);
    }
}
