//! Errors of the plan stage: an assignment or configuration Envoy would reject.

use alloc::string::String;
use core::fmt;

/// Why a [`crate::LoadAssignment`] and [`crate::LbConfig`] cannot be planned.
///
/// Indices are positions in the caller's input: `locality` indexes
/// [`crate::LoadAssignment::localities`], `endpoint` the endpoints of that locality, so an
/// adapter can name the place in its own format (`endpoints[1].lb_endpoints[0]`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlanError {
    /// `policy.overprovisioning_factor` is 0 (the proto requires `gt: 0`).
    ZeroOverprovisioningFactor,
    /// The healthy panic threshold is not a percentage in `[0, 100]`.
    PanicThreshold(f64),
    /// An endpoint's `load_balancing_weight` is 0 (the proto requires `gte: 1`).
    ZeroEndpointWeight {
        /// Locality group index.
        locality: usize,
        /// Endpoint index within the group.
        endpoint: usize,
    },
    /// A locality's `load_balancing_weight` is 0 (the proto requires `gte: 1`; leave it unset
    /// to give the locality no load).
    ZeroLocalityWeight {
        /// Locality group index.
        locality: usize,
    },
    /// A priority above 128 (the proto's `lte: 128`).
    PriorityTooLarge {
        /// Locality group index.
        locality: usize,
        /// The priority given.
        priority: u32,
    },
    /// The same `address:port` twice in one assignment.
    DuplicateEndpoint {
        /// Locality group index of the second occurrence.
        locality: usize,
        /// Endpoint index of the second occurrence.
        endpoint: usize,
        /// Locality group index of the first occurrence.
        first_locality: usize,
        /// Endpoint index of the first occurrence.
        first_endpoint: usize,
        /// `address:port`.
        key: String,
    },
    /// The endpoint weights of one locality sum past `u32::MAX` (endpoint_components.proto:
    /// "the sum of the weights of all endpoints in the endpoint's locality must not exceed
    /// uint32_t maximal value").
    EndpointWeightOverflow {
        /// Locality group index.
        locality: usize,
        /// Index of the endpoint whose weight made the sum overflow.
        endpoint: usize,
    },
    /// The locality weights of one priority sum past `u32::MAX` (endpoint_components.proto).
    LocalityWeightOverflow {
        /// The priority.
        priority: u32,
        /// Locality group index whose weight made the sum overflow.
        locality: usize,
    },
    /// A ring size outside `1 ..= 8M`.
    RingSizeOutOfRange {
        /// Which bound: `"minimum_ring_size"` or `"maximum_ring_size"`.
        field: &'static str,
        /// The value given.
        value: u64,
    },
    /// `minimum_ring_size` above `maximum_ring_size`.
    RingSizeInverted {
        /// `minimum_ring_size`.
        min: u64,
        /// `maximum_ring_size`.
        max: u64,
    },
    /// A Maglev `table_size` that is not a prime, or above 5,000,011.
    MaglevTableSize(u64),
    /// `choice_count` below 2 or above [`crate::MAX_CHOICE_COUNT`].
    ChoiceCount(u32),
    /// `active_request_bias` negative or not finite.
    ActiveRequestBias(f64),
    /// `policy.drop_overloads` drops more than every request (parts per million above 1,000,000).
    DropOverload(u32),
    /// More endpoints than meshlb plans in one assignment.
    TooManyEndpoints {
        /// How many were given.
        count: usize,
        /// The limit, [`crate::MAX_ENDPOINTS`].
        max: usize,
    },
    /// The endpoint addresses of one assignment are longer together than meshlb plans.
    AddressesTooLong {
        /// Their bytes.
        bytes: usize,
        /// The limit, [`crate::MAX_ADDRESS_BYTES`].
        max: usize,
    },
    /// More locality groups than meshlb plans in one assignment.
    TooManyLocalities {
        /// How many were given.
        count: usize,
        /// The limit, [`crate::limits::MAX_LOCALITIES`].
        max: usize,
    },
    /// The hash tables of all priorities could hold more entries than meshlb builds for one
    /// plan ([`crate::limits::hash_table_entries_bound`]).
    HashTablesTooLarge {
        /// The bound computed for the input.
        entries: u64,
        /// The limit, [`crate::limits::MAX_HASH_TABLE_ENTRIES`].
        max: u64,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroOverprovisioningFactor => {
                f.write_str("overprovisioning factor must be greater than 0 (percent; 140 means 1.4)")
            }
            Self::PanicThreshold(v) => {
                write!(f, "healthy panic threshold {v} is not a percentage between 0 and 100")
            }
            Self::ZeroEndpointWeight { .. } => {
                f.write_str("endpoint load_balancing_weight must be at least 1 (got 0)")
            }
            Self::ZeroLocalityWeight { .. } => f.write_str(
                "locality load_balancing_weight must be at least 1 (got 0; leave it unset to give the locality no load)",
            ),
            Self::PriorityTooLarge { priority, .. } => {
                write!(f, "priority {priority} is above Envoy's maximum of 128")
            }
            Self::DuplicateEndpoint { key, first_locality, first_endpoint, .. } => write!(
                f,
                "duplicate endpoint {key} (first seen at locality group {first_locality}, endpoint {first_endpoint})"
            ),
            Self::EndpointWeightOverflow { .. } => f.write_str(
                "the endpoint weights of this locality sum past 4294967295 (u32), which Envoy rejects",
            ),
            Self::LocalityWeightOverflow { priority, .. } => write!(
                f,
                "the locality weights of priority {priority} sum past 4294967295 (u32), which Envoy rejects"
            ),
            Self::RingSizeOutOfRange { field, value } => {
                write!(f, "{field} {value} is out of range: it must be between 1 and 8388608")
            }
            Self::RingSizeInverted { min, max } => write!(
                f,
                "minimum_ring_size ({min}) is greater than maximum_ring_size ({max})"
            ),
            Self::MaglevTableSize(v) => write!(
                f,
                "maglev table_size {v} must be a prime number no larger than 5000011"
            ),
            Self::ChoiceCount(v) => write!(
                f,
                "least request choice_count {v} must be between 2 and {}",
                crate::MAX_CHOICE_COUNT
            ),
            Self::ActiveRequestBias(v) => {
                write!(f, "least request active_request_bias {v} must be a finite number >= 0")
            }
            Self::DropOverload(ppm) => write!(
                f,
                "drop_overloads drops {ppm} requests per million: more than all of them"
            ),
            Self::TooManyEndpoints { count, max } => {
                write!(f, "{count} endpoints is more than meshlb plans in one assignment ({max})")
            }
            Self::TooManyLocalities { count, max } => write!(
                f,
                "{count} locality groups is more than meshlb plans in one assignment ({max})"
            ),
            Self::AddressesTooLong { bytes, max } => write!(
                f,
                "the endpoint addresses of this assignment hold {bytes} bytes together, more than meshlb plans ({max})"
            ),
            Self::HashTablesTooLarge { entries, max } => write!(
                f,
                "the hash tables of this assignment could hold {entries} entries over all priorities, more than meshlb builds for one plan ({max}): lower minimum_ring_size, maximum_ring_size or the Maglev table_size, or use fewer priorities"
            ),
        }
    }
}

impl core::error::Error for PlanError {}
