//! The filter's handling of configurations, update documents and request headers without the
//! proxy-wasm host, callable natively (the `filter` fuzz target, tests). Configuration
//! (`config::parse`, the header checks), the pick (`Worker::route`), and the update
//! documents' parsing, merging and applying (`meshlb_formats::update`) are the code the
//! host's callbacks run. The admin path's answer and the tick's polling are written again
//! here over an in-memory document: the host's versions (`Request::admin`,
//! `Root::poll_updates`) add the shared data's compare-and-swap and their logging, and are
//! tested under Node (`filter/tests/`), not fuzzed.

use meshlb::Explanation;
use meshlb_formats::Picked;

use crate::{Outcome, Worker, config, header_values, is_admin, update};

/// A configured filter: one worker's configuration and balancer, with the shared update
/// document the admin path writes.
#[derive(Debug)]
pub struct Filter {
    worker: Worker,
    /// The shared-data document (what `updates.shared_data_key` would hold).
    shared: Option<Vec<u8>>,
}

/// What the filter does with a request.
#[derive(Debug)]
pub enum Answer {
    /// Steer it: `header` set to `host` (`address:port`), `x-meshlb-locality` to `locality`.
    Route {
        /// The header written.
        header: String,
        /// The picked endpoint, as the header holds it.
        host: String,
        /// The picked endpoint's locality.
        locality: String,
        /// The pick, active until [`Filter::finish`].
        picked: Picked,
    },
    /// Answer it locally with this status and body.
    Respond {
        /// HTTP status.
        status: u32,
        /// Body.
        body: String,
    },
}

/// What an update document did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Updated {
    /// Endpoints whose health or weight changed.
    pub changed: usize,
    /// Updates that could not apply, one sentence each.
    pub errors: Vec<String>,
}

impl Filter {
    /// Reads the plugin configuration (`on_configure`); picks are seeded with the
    /// configuration's `seed`, or 0 without one.
    ///
    /// # Errors
    /// The message `on_configure` logs.
    pub fn configure(bytes: &[u8]) -> Result<Self, String> {
        let config::Config { loaded, settings } = config::parse(bytes)?;
        let seed = settings.seed.unwrap_or(0);
        let balancer = meshlb_formats::Balancer::new(loaded, seed);
        header_values(&balancer)?;
        Ok(Self {
            worker: Worker {
                config: settings,
                balancer,
                seen: None,
                configuration: 0,
            },
            shared: None,
        })
    }

    /// Applies an update document as the admin path does: validated, merged into the shared
    /// document, applied to this worker.
    ///
    /// # Errors
    /// The document's first problem, as the admin path answers it (status 400).
    pub fn update(&mut self, document: &[u8]) -> Result<Updated, String> {
        let updates = update::parse(document)?;
        self.shared = Some(update::merge(self.shared.as_deref(), &updates));
        let applied = update::apply(&mut self.worker.balancer, &updates);
        Ok(Updated {
            changed: applied.changed,
            errors: applied.errors,
        })
    }

    /// Reads the shared document as a worker's tick does, and applies it.
    ///
    /// # Errors
    /// Why the document was rejected (the tick logs it).
    pub fn poll(&mut self) -> Result<Updated, String> {
        let Some(document) = self.shared.clone() else {
            return Ok(Updated::default());
        };
        let updates = update::parse(&document)?;
        let applied = update::apply(&mut self.worker.balancer, &updates);
        Ok(Updated {
            changed: applied.changed,
            errors: applied.errors,
        })
    }

    /// A request's headers (`on_http_request_headers`): its `:path` and the value of the
    /// configured `hash_header` (bytes, as the host gives them), and the `x-meshlb-update`
    /// header the admin path reads.
    pub fn request(
        &mut self,
        path: &[u8],
        hash_value: Option<&[u8]>,
        update_header: Option<&[u8]>,
    ) -> Answer {
        if let Some(admin) = &self.worker.config.admin_path
            && is_admin(admin, path)
        {
            let Some(document) = update_header else {
                return Answer::Respond {
                    status: 400,
                    body: "meshlb: no update document\n".into(),
                };
            };
            return match self.update(document) {
                Ok(updated) => Answer::Respond {
                    status: 200,
                    body: format!("meshlb: {} endpoints changed\n", updated.changed),
                },
                Err(e) => Answer::Respond {
                    status: 400,
                    body: format!("meshlb: {e}\n"),
                },
            };
        }
        let hash_value = self.worker.config.hash_header.as_ref().and(hash_value);
        match self.worker.route(hash_value) {
            Outcome::Route {
                header,
                host,
                locality,
                started: (_, picked),
            } => Answer::Route {
                header,
                host,
                locality,
                picked,
            },
            Outcome::Respond { status, body } => Answer::Respond { status, body },
        }
    }

    /// The stream's end (`on_log`): the pick no longer counts as active.
    pub fn finish(&mut self, picked: &Picked) {
        self.worker.balancer.finish(picked);
    }

    /// The current explanation (what the filter logs at debug level).
    #[must_use]
    pub fn explain(&self) -> &Explanation {
        self.worker.balancer.explain()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `meshlb convert examples/locality-failover.yaml`: the client in region1/zone1.
    const SCENARIO: &str = include_str!("../tests/fixtures/locality-failover.json");

    fn filter(admin: bool) -> Filter {
        let mut config = serde_json::json!({"input": SCENARIO, "seed": 7, "hash_header": "x-user"});
        if admin {
            config["updates"] = serde_json::json!({"admin_path": "/meshlb/update"});
        }
        Filter::configure(config.to_string().as_bytes()).expect("the example configures")
    }

    fn locality(answer: &Answer) -> &str {
        match answer {
            Answer::Route { locality, .. } => locality,
            Answer::Respond { status, body } => panic!("{status}: {body}"),
        }
    }

    #[test]
    fn a_locality_that_is_no_header_value_is_refused_at_configuration() {
        // A CR/LF in a locality would have gone into x-meshlb-locality verbatim.
        let cla = r#"{"cluster_name": "c", "endpoints": [{"locality": {"region": "us\r\nx-injected: 1", "zone": "z"},
            "lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}}]}]}"#;
        let config = serde_json::json!({"input": cla});
        let error = Filter::configure(config.to_string().as_bytes()).expect_err("refused");
        assert!(error.contains("10.0.0.1:80"), "{error}");
        assert!(error.contains("control character '\\r'"), "{error}");
        // The same endpoint in a locality without one configures.
        let config = serde_json::json!({"input": cla.replace("\\r\\nx-injected: 1", "")});
        assert!(Filter::configure(config.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn the_filters_own_headers_are_no_destination_header() {
        for name in ["x-meshlb-locality", "X-Meshlb-Update"] {
            let config = serde_json::json!({"input": SCENARIO, "header": name});
            let error = Filter::configure(config.to_string().as_bytes()).expect_err("refused");
            assert!(error.contains("the filter's own header"), "{error}");
        }
    }

    #[test]
    fn routes_updates_and_admin_requests_as_the_host_callbacks_do() {
        let mut filter = filter(true);
        // Locality failover keeps the client's healthy zone (SCENARIO.md's walk-through).
        let answer = filter.request(b"/", Some(b"user-1"), None);
        assert_eq!(locality(&answer), "region1/zone1");
        let Answer::Route { header, picked, .. } = answer else {
            unreachable!()
        };
        assert_eq!(header, "x-envoy-original-dst-host");
        filter.finish(&picked);
        // The admin path, its query ignored: region1 fails over to region2/zone3.
        let fail = br#"{"updates": [{"locality": "region1", "health": "UNHEALTHY"}]}"#;
        match filter.request(b"/meshlb/update?now", None, Some(fail)) {
            Answer::Respond { status, body } => {
                assert_eq!(status, 200, "{body}");
                assert_eq!(body, "meshlb: 2 endpoints changed\n");
            }
            Answer::Route { .. } => panic!("the admin path routed"),
        }
        assert_eq!(
            locality(&filter.request(b"/", Some(b"user-1"), None)),
            "region2/zone3"
        );
        // The shared document reads back, and applying it again changes nothing.
        assert_eq!(filter.poll(), Ok(Updated::default()));
        // A bad document is a 400 naming the problem; a missing one too.
        for document in [Some(&b"[]"[..]), None] {
            match filter.request(b"/meshlb/update", None, document) {
                Answer::Respond { status, .. } => assert_eq!(status, 400),
                Answer::Route { .. } => panic!("the admin path routed"),
            }
        }
    }

    #[test]
    fn without_an_admin_path_every_path_routes() {
        let mut filter = filter(false);
        let answer = filter.request(b"/meshlb/update", None, Some(b"{}"));
        assert_eq!(locality(&answer), "region1/zone1");
        assert_eq!(
            filter.update(b"{\"updates\": 3}"),
            Err("updates: expected a list, found an integer (line 1)".into())
        );
    }
}
