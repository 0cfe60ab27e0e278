//! The filter without the proxy-wasm host, callable natively (the `filter` fuzz target, tests):
//! the code the host's callbacks run — configuration (`config::parse`, the header checks), the
//! request's answer (`Worker::decide`: the admin path or the pick), the update documents'
//! merge into shared data and the tick's polling (`Worker::publish`, `Worker::poll`) — over
//! [`Memory`], a host whose shared data, request headers and log are in memory. What is not
//! run here is the proxy-wasm glue: the contexts, the hostcalls and the local answers, tested
//! under Node (`filter/tests/`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use meshlb::Explanation;
use meshlb_formats::Picked;
use proxy_wasm::types::{LogLevel, Status};

use crate::{Host, Outcome, Polled, UPDATE_HEADER, Worker, config, header_values, update};

/// A host in memory: one shared-data key space with Envoy's compare-and-swap tokens
/// (proxy-wasm-cpp-host `SharedData`: one counter from 1 for every key, 0 skipped; an absent
/// key created whatever the token; a present one written under its current token or none),
/// the current request's headers, and the log.
#[derive(Debug)]
pub struct Memory {
    /// Each key's value and token.
    shared: RefCell<Vec<(String, Vec<u8>, u32)>>,
    /// The next token.
    next_cas: Cell<u32>,
    headers: RefCell<Vec<(String, Vec<u8>)>>,
    log: RefCell<Vec<String>>,
    /// Another worker's document, written under the key read after each of the next `.1`
    /// reads, as when workers update at the same time.
    contention: RefCell<Option<(Vec<u8>, usize)>>,
}

impl Default for Memory {
    fn default() -> Self {
        Self {
            shared: RefCell::default(),
            next_cas: Cell::new(1),
            headers: RefCell::default(),
            log: RefCell::default(),
            contention: RefCell::default(),
        }
    }
}

impl Memory {
    /// Makes another worker write `document` under the key read right after each of the
    /// next `reads` reads of shared data: a write under the token such a read gave is then
    /// refused.
    pub fn contend(&self, document: &[u8], reads: usize) {
        *self.contention.borrow_mut() = Some((document.to_vec(), reads));
    }

    /// The shared data under `key`.
    #[must_use]
    pub fn shared(&self, key: &str) -> Option<Vec<u8>> {
        let shared = self.shared.borrow();
        shared
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(_, v, _)| v.clone())
    }

    /// The lines logged so far, each with its level's name.
    #[must_use]
    pub fn logged(&self) -> Vec<String> {
        self.log.borrow().clone()
    }

    /// The next token: `nextCas`, which skips 0.
    fn next_cas(&self) -> u32 {
        let cas = self.next_cas.get();
        self.next_cas.set(cas.wrapping_add(1).max(1));
        cas
    }

    /// Writes `value` under `key` by Envoy's rules (see [`Memory`]).
    fn write(&self, key: &str, value: &[u8], cas: u32) -> Result<(), Status> {
        let mut shared = self.shared.borrow_mut();
        match shared.iter_mut().find(|(k, ..)| k == key) {
            Some((_, _, current)) if cas != 0 && cas != *current => Err(Status::CasMismatch),
            Some((_, stored, current)) => {
                *stored = value.to_vec();
                *current = self.next_cas();
                Ok(())
            }
            None => {
                shared.push((key.to_owned(), value.to_vec(), self.next_cas()));
                Ok(())
            }
        }
    }
}

impl Host for Memory {
    fn log(&self, level: LogLevel, message: &str) {
        self.log.borrow_mut().push(format!("{level:?}: {message}"));
    }

    fn debug_enabled(&self) -> bool {
        false
    }

    fn request_header(&self, name: &str) -> Option<Vec<u8>> {
        let headers = self.headers.borrow();
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    fn shared_data(&self, key: &str) -> Result<(Option<Vec<u8>>, Option<u32>), Status> {
        let read = {
            let shared = self.shared.borrow();
            match shared.iter().find(|(k, ..)| k == key) {
                Some((_, value, cas)) => (Some(value.clone()), Some(*cas)),
                None => (None, None),
            }
        };
        let mut contention = self.contention.borrow_mut();
        if let Some((document, reads)) = contention.as_mut()
            && *reads > 0
        {
            *reads -= 1;
            self.write(key, document, 0)?;
        }
        Ok(read)
    }

    fn set_shared_data(&self, key: &str, value: &[u8], cas: Option<u32>) -> Result<(), Status> {
        self.write(key, value, cas.unwrap_or(0))
    }
}

/// A configured filter: one worker's configuration and balancer, over a [`Memory`] host.
#[derive(Debug)]
pub struct Filter {
    worker: Worker,
    host: Rc<Memory>,
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

impl From<update::Applied> for Updated {
    fn from(applied: update::Applied) -> Self {
        Self {
            changed: applied.changed,
            errors: applied.errors,
        }
    }
}

impl Filter {
    /// Reads the plugin configuration (`on_configure`); picks are seeded with the
    /// configuration's `seed`, or 0 without one.
    ///
    /// # Errors
    /// The message `on_configure` logs.
    pub fn configure(bytes: &[u8]) -> Result<Self, String> {
        Self::configure_on(bytes, Rc::default())
    }

    /// [`Filter::configure`] over `host`, which other filters may share, as Envoy's workers
    /// share one proxy's shared data.
    ///
    /// # Errors
    /// The message `on_configure` logs.
    pub fn configure_on(bytes: &[u8], host: Rc<Memory>) -> Result<Self, String> {
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
            host,
        })
    }

    /// The host the filter runs over: its shared data and log.
    #[must_use]
    pub fn host(&self) -> &Memory {
        &self.host
    }

    /// Applies an update document as the admin path does (`Worker::publish`): merged into the
    /// shared document, applied to this worker.
    ///
    /// # Errors
    /// The document's first problem (the admin path's 400), or that the shared document kept
    /// changing (its 409; the update applied on this worker all the same).
    pub fn update(&mut self, document: &[u8]) -> Result<Updated, String> {
        let updates = update::parse(document)?;
        let (stored, applied) = self.worker.publish(&*self.host, &updates);
        if stored {
            Ok(applied.into())
        } else {
            Err(format!(
                "shared data {:?} kept changing",
                self.worker.config.shared_data_key
            ))
        }
    }

    /// Reads the shared document as a worker's tick does (`Worker::poll`), and applies it
    /// when it changed since the last read.
    ///
    /// # Errors
    /// Why the document was rejected (the tick logs it).
    pub fn poll(&mut self) -> Result<Updated, String> {
        match self.worker.poll(&*self.host) {
            Polled::Unchanged => Ok(Updated::default()),
            Polled::Applied(applied) => Ok(applied.into()),
            Polled::Rejected(e) => Err(e),
        }
    }

    /// A request (`on_http_request_headers`, `Worker::decide`): its `:path` and the value
    /// of the configured `hash_header` (bytes, as the host gives them), and the
    /// `x-meshlb-update` header the admin path reads. A request has one value a header: when
    /// `hash_header` is `:path` or `x-meshlb-update`, `hash_value` is that header's.
    pub fn request(
        &mut self,
        path: &[u8],
        hash_value: Option<&[u8]>,
        update_header: Option<&[u8]>,
    ) -> Answer {
        {
            // One value a header, as a request has: a hash header that is `:path` or the
            // update header takes `hash_value`.
            let mut headers = self.host.headers.borrow_mut();
            headers.clear();
            let mut set = |name: &str, value: &[u8]| {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                headers.push((name.to_owned(), value.to_vec()));
            };
            set(":path", path);
            if let Some(value) = update_header {
                set(UPDATE_HEADER, value);
            }
            if let (Some(name), Some(value)) = (&self.worker.config.hash_header, hash_value) {
                set(name, value);
            }
        }
        match self.worker.decide(&*self.host) {
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
        on(admin, Rc::default())
    }

    /// A worker over `host` (shared with other workers).
    fn on(admin: bool, host: Rc<Memory>) -> Filter {
        let mut config = serde_json::json!({"input": SCENARIO, "seed": 7, "hash_header": "x-user"});
        if admin {
            config["updates"] = serde_json::json!({"admin_path": "/meshlb/update"});
        }
        Filter::configure_on(config.to_string().as_bytes(), host).expect("the example configures")
    }

    /// The admin path's answer to `document`.
    fn admin(filter: &mut Filter, document: Option<&[u8]>) -> (u32, String) {
        match filter.request(b"/meshlb/update", None, document) {
            Answer::Respond { status, body } => (status, body),
            Answer::Route { .. } => panic!("the admin path routed"),
        }
    }

    /// region1 (the client's region: zone1's two endpoints) down.
    const FAIL: &[u8] = br#"{"updates": [{"locality": "region1", "health": "UNHEALTHY"}]}"#;

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
        match filter.request(b"/meshlb/update?now", None, Some(FAIL)) {
            Answer::Respond { status, body } => {
                assert_eq!(status, 200, "{body}");
                assert!(
                    body.starts_with(
                        "meshlb: 1 updates applied on this worker, 2 endpoints changed; now "
                    ),
                    "{body}"
                );
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
        let (status, body) = admin(&mut filter, Some(b"[]"));
        assert_eq!(status, 400);
        assert!(body.starts_with("meshlb: x-meshlb-update: "), "{body}");
        let (status, body) = admin(&mut filter, None);
        assert_eq!(status, 400);
        assert!(
            body.contains("send the update document in the x-meshlb-update header"),
            "{body}"
        );
    }

    #[test]
    fn an_update_on_one_worker_reaches_the_others_at_their_tick() {
        let host = Rc::new(Memory::default());
        let (mut a, mut b) = (on(true, Rc::clone(&host)), on(true, Rc::clone(&host)));
        assert_eq!(admin(&mut a, Some(FAIL)).0, 200);
        assert_eq!(
            locality(&a.request(b"/", Some(b"u"), None)),
            "region2/zone3"
        );
        // Worker b has not ticked yet; its tick applies the shared document once.
        assert_eq!(
            locality(&b.request(b"/", Some(b"u"), None)),
            "region1/zone1"
        );
        assert_eq!(b.poll().map(|u| u.changed), Ok(2));
        assert_eq!(
            locality(&b.request(b"/", Some(b"u"), None)),
            "region2/zone3"
        );
        assert_eq!(b.poll(), Ok(Updated::default()));
        // Each update merges into the one document: region1 back, read by both.
        let back = br#"{"updates": [{"locality": "region1", "health": "HEALTHY"}]}"#;
        assert_eq!(admin(&mut b, Some(back)).0, 200);
        assert_eq!(a.poll().map(|u| u.changed), Ok(2));
        assert_eq!(
            locality(&a.request(b"/", Some(b"u"), None)),
            "region1/zone1"
        );
    }

    /// region2 (region1's failover) down, written by another worker.
    const OTHER: &[u8] = br#"{"updates": [{"locality": "region2", "health": "UNHEALTHY"}]}"#;

    #[test]
    fn shared_data_that_keeps_changing_is_a_409_and_the_update_applies_here_alone() {
        let host = Rc::new(Memory::default());
        let (mut a, mut b) = (on(true, Rc::clone(&host)), on(true, Rc::clone(&host)));
        // Another worker writes after each of a's reads: every write a makes is refused,
        // the first (no document yet) as the others.
        host.contend(OTHER, crate::CAS_ATTEMPTS);
        let (status, body) = admin(&mut a, Some(FAIL));
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("2 endpoints changed"), "{body}");
        assert!(
            body.ends_with("other workers will not see this update; retry\n"),
            "{body}"
        );
        assert_eq!(
            locality(&a.request(b"/", Some(b"u"), None)),
            "region2/zone3"
        );
        // The other worker's document stands: b takes region2 down, not region1.
        assert_eq!(host.shared("meshlb.updates"), Some(OTHER.to_vec()));
        assert_eq!(b.poll().map(|u| u.changed), Ok(1));
        assert_eq!(
            locality(&b.request(b"/", Some(b"u"), None)),
            "region1/zone1"
        );
        // One contended read short of the attempts: the last attempt stores it.
        host.contend(OTHER, crate::CAS_ATTEMPTS - 1);
        assert_eq!(a.update(FAIL), Ok(Updated::default()));
        assert_eq!(b.poll().map(|u| u.changed), Ok(2));
    }

    /// The first document is written under a token no write gives (`FIRST_WRITE`): when
    /// another worker created the document between this worker's read and write, the write is
    /// refused and the update merged into that document, where no token would have
    /// overwritten it (region2's update lost, and a third worker failing over to region2).
    #[test]
    fn the_first_update_does_not_overwrite_another_workers_first_document() {
        let host = Rc::new(Memory::default());
        let (mut a, mut c) = (on(true, Rc::clone(&host)), on(true, Rc::clone(&host)));
        host.contend(OTHER, 1);
        assert_eq!(admin(&mut a, Some(FAIL)).0, 200);
        // Region1's two endpoints and region2's one: region3 serves.
        assert_eq!(c.poll().map(|u| u.changed), Ok(3));
        assert_eq!(
            locality(&c.request(b"/", Some(b"u"), None)),
            "region3/zone4"
        );
    }

    #[test]
    fn a_shared_document_that_does_not_parse_is_rejected_once_and_logged() {
        let host = Rc::new(Memory::default());
        let mut worker = on(false, Rc::clone(&host));
        host.set_shared_data("meshlb.updates", b"{\"updates\": 3}", None)
            .expect("written");
        let expected = "updates: expected a list, found an integer (line 1)";
        assert_eq!(worker.poll(), Err(expected.into()));
        // The same document is not read again until it changes.
        assert_eq!(worker.poll(), Ok(Updated::default()));
        let log = host.logged();
        assert_eq!(
            log,
            [format!(
                "Error: meshlb: shared data \"meshlb.updates\": update rejected: {expected}"
            )]
        );
    }

    /// proxy-wasm-cpp-host's `SharedData::set`: an absent key is created whatever the token;
    /// a present one is written under its current token or none (0), and refused under
    /// another; tokens come from one counter for every key.
    #[test]
    fn shared_data_tokens_are_envoys() {
        let host = Memory::default();
        host.set_shared_data("k", b"1", Some(77))
            .expect("an absent key, any token");
        let (_, token) = host.shared_data("k").expect("read");
        assert_eq!(token, Some(1));
        host.set_shared_data("k", b"2", token)
            .expect("the current token");
        assert_eq!(
            host.set_shared_data("k", b"3", token),
            Err(Status::CasMismatch)
        );
        assert_eq!(host.shared("k"), Some(b"2".to_vec()));
        host.set_shared_data("k", b"4", Some(0))
            .expect("no token: no check");
        host.set_shared_data("j", b"5", None).expect("another key");
        assert_eq!(host.shared_data("j"), Ok((Some(b"5".to_vec()), Some(4))));
        assert_eq!(host.shared("k"), Some(b"4".to_vec()));
    }

    /// A request has one value a header: a hash header that is `:path` takes the hash value,
    /// which the pick hashes (and the admin path reads as the path).
    #[test]
    fn a_hash_header_that_is_the_path_takes_the_hash_value() {
        let config = serde_json::json!({"input": SCENARIO, "seed": 7, "hash_header": ":path"});
        let mut filter = Filter::configure(config.to_string().as_bytes()).expect("configures");
        let _ = filter.request(b"/", Some(b"/user/1"), None);
        let headers = filter.host.headers.borrow();
        assert_eq!(*headers, [(":path".to_owned(), b"/user/1".to_vec())]);
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
