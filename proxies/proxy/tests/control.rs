//! The proxy's control task without sockets: update documents against a scenario.

use meshlb_formats::Options;
use meshlb_proxy::control::{Control, endpoints_of};

/// The filter's fixture (`meshlb convert examples/locality-failover.yaml`), under Istio 1.30's
/// rules, where an UNHEALTHY pod leaves the explanation.
fn control() -> Control {
    let fixture = include_str!("../../../filter/tests/fixtures/locality-failover.json");
    let mut scenario: serde_json::Value = serde_json::from_str(fixture).expect("fixture");
    scenario["istioVersion"] = "1.30".into();
    let loaded = meshlb_formats::load("fixture.json", &scenario.to_string(), &Options::default())
        .expect("loads");
    let explanation = loaded.explain();
    let notes = loaded.notes.clone();
    let route = loaded.into_route();
    let (endpoints, eds) = endpoints_of(&explanation);
    Control::initial(route, notes, eds, endpoints, None).expect("control")
}

fn listed(control: &Control, address: &str) -> bool {
    let snapshot = control.shared().snapshot.load();
    snapshot
        .route
        .explain()
        .endpoints
        .iter()
        .any(|e| e.address == address)
}

#[test]
fn an_update_brings_back_a_pod_the_explanation_dropped() {
    let mut control = control();
    assert!(listed(&control, "10.1.0.10"));
    let fail = meshlb_formats::update::parse(
        br#"{"updates":[{"locality":"region1/zone1","health":"UNHEALTHY"}]}"#,
    )
    .expect("valid");
    assert_eq!(control.update(&fail).0, 200);
    // Under 1.30's rules the UNHEALTHY pod is no longer an endpoint of the explanation.
    assert!(!listed(&control, "10.1.0.10"));
    for document in [
        &br#"{"updates":[{"locality":"region1/zone1","health":"HEALTHY"}]}"#[..],
        br#"{"updates":[{"endpoint":"10.1.0.10:5000","health":"UNHEALTHY"}]}"#,
        br#"{"updates":[{"endpoint":"10.1.0.10:5000","health":"HEALTHY"}]}"#,
    ] {
        let updates = meshlb_formats::update::parse(document).expect("valid");
        let (status, body) = control.update(&updates);
        assert_eq!(status, 200, "{body}");
        assert!(!body.contains("selects no endpoint"), "{body}");
    }
    assert!(listed(&control, "10.1.0.10"));
}
