//! Notes are values with a code (`Note { code, text }`): every note of every explanation has
//! one, the JSON carries them (`note_codes`, in the order of `notes`), and the decisions made on
//! notes (leaving out Envoy-level notes a scenario makes moot, marking failure notes, dropping
//! the Kubernetes import's "no client" note once a flag sets the client) are made on codes.
//!
//! The expected codes are derived by hand from the rules each example exercises (README's
//! walk-throughs), not printed by the code under test.

use meshlb::{Explanation, NoteCode};
use meshlb_formats::{Options, load};
use meshlb_tests::{envoy_examples, explain_path, workspace_root};

use NoteCode::*;

fn explain(path: &str, fail: &[&str]) -> Explanation {
    let path = workspace_root().join(path);
    let text = std::fs::read_to_string(&path).expect("readable");
    let options = Options {
        fail: fail.iter().map(|f| (*f).to_string()).collect(),
        ..Options::default()
    };
    load(&path.to_string_lossy(), &text, &options)
        .expect("loads")
        .explain()
}

fn codes(e: &Explanation) -> Vec<NoteCode> {
    e.coded_notes()
        .map(|(code, text)| code.unwrap_or_else(|| panic!("no code for {text:?}")))
        .collect()
}

fn scenario_examples() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_note_of_every_example_has_a_code_in_the_json_too() {
    let mut files = scenario_examples();
    files.extend(envoy_examples().iter().map(|p| {
        p.strip_prefix(workspace_root())
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }));
    assert!(files.len() >= 20, "{files:?}");
    for file in &files {
        let e = explain(file, &[]);
        assert!(!e.notes.is_empty(), "{file}: no notes");
        assert_eq!(e.note_codes.len(), e.notes.len(), "{file}");
        // The CLI's JSON: the same codes, spelled as NoteCode's names.
        let json = explain_path(&workspace_root().join(file), &[], file);
        let spelled: Vec<&str> = json["note_codes"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no note_codes"))
            .iter()
            .map(|c| c.as_str().unwrap_or_default())
            .collect();
        let expected: Vec<&str> = e.note_codes.iter().map(|c| c.as_str()).collect();
        assert_eq!(spelled, expected, "{file}");
    }
}

/// README's walk-through of the built-in default scenario: the DestinationRule applies, locality
/// failover is on (it has outlierDetection), Istio turns panic off, P0 (one of two pods ready)
/// spills 30 % over, locality-weighted LB is on (istiod always sets locality weights), one
/// endpoint is unhealthy, and outlier detection's fields are read but not modelled. No policy
/// note: with locality-weighted LB Envoy schedules each locality's hosts on their own, and no
/// locality mixes weights (the weight-2 gateway is alone in us-west-1a), so ROUND_ROBIN stays
/// unweighted.
#[test]
fn the_default_scenario_says_what_applied_in_order() {
    let e = explain("examples/default.yaml", &[]);
    assert_eq!(
        codes(&e),
        [
            DestinationRule,
            LocalitySetting,
            PanicThreshold,
            PriorityLoad,
            SpillOver,
            LocalityWeighted,
            UnhealthyEndpoints,
            NotModelled,
        ]
    );
    assert_eq!(e.notes_of(SpillOver).count(), 1);
}

/// README's Envoy walk-through: P0 has 1 of 9 considered hosts healthy (15 % health), below
/// the 50 % panic threshold, so it is in panic; 84 % spills to P1; one DRAINING host is
/// excluded; with a priority in panic there is no "unhealthy get nothing" note; equal weights
/// under ROUND_ROBIN need no policy note; `connect_timeout` is read but not modelled.
#[test]
fn the_envoy_spillover_example_says_what_applied_in_order() {
    let e = explain("examples/envoy/spillover-panic.json", &[]);
    assert_eq!(
        codes(&e),
        [
            PriorityLoad,
            SpillOver,
            DrainingExcluded,
            Panic,
            NotModelled
        ]
    );
}

/// The mesh explanation leaves out the Envoy-level notes a scenario makes moot, by their codes:
/// istiod always sends locality weights (so "weights are ignored" never applies) and an empty
/// assignment is the view's to explain.
#[test]
fn scenarios_never_carry_the_envoy_notes_they_make_moot() {
    for file in scenario_examples() {
        for fail in [&[][..], &["zone=us-east/us-east-1a"][..]] {
            let path = workspace_root().join(&file);
            let text = std::fs::read_to_string(&path).expect("readable");
            let options = Options {
                fail: fail.iter().map(|f| (*f).to_string()).collect(),
                ..Options::default()
            };
            // Not every example has that zone: those that reject the failure are skipped.
            let Ok(loaded) = load(&file, &text, &options) else {
                continue;
            };
            let e = loaded.explain();
            for code in codes(&e) {
                assert!(
                    !matches!(code, EmptyAssignment | LocalityWeightsIgnored),
                    "{file} {fail:?}: {code}"
                );
            }
        }
    }
}

/// Failure notes are the ones coded `failure`, and only they: each says which `--fail` it is.
#[test]
fn failure_notes_are_coded_as_such() {
    let healthy = explain("examples/locality-failover.yaml", &[]);
    assert_eq!(healthy.notes_of(Failure).count(), 0);
    let failed = explain("examples/locality-failover.yaml", &["zone=region1/zone1"]);
    let failure_notes: Vec<&str> = failed.notes_of(Failure).collect();
    assert!(!failure_notes.is_empty(), "{:?}", failed.notes);
    for (code, text) in failed.coded_notes() {
        assert_eq!(
            code == Some(Failure),
            text.starts_with("--fail zone=region1/zone1: "),
            "{code:?} {text}"
        );
    }
}

/// A note added by hand keeps the two lists in step; JSON written before codes reads back with
/// no codes rather than wrong ones.
#[test]
fn pushed_notes_keep_texts_and_codes_in_step() {
    let mut e = explain("examples/envoy/spillover-panic.json", &[]);
    let before = e.notes.len();
    e.push_note(meshlb::Note::new(Input, "added by a test"));
    assert_eq!(
        (e.notes.len(), e.note_codes.len()),
        (before + 1, before + 1)
    );
    assert_eq!(e.notes_of(Input).collect::<Vec<_>>(), ["added by a test"]);

    let mut json = serde_json::to_value(&e).expect("serialises");
    json.as_object_mut()
        .expect("an object")
        .remove("note_codes");
    let old: Explanation = serde_json::from_value(json).expect("reads JSON without note_codes");
    assert!(old.coded_notes().all(|(code, _)| code.is_none()));
}

/// The schema lists every code, in NoteCode's order, and nothing else.
#[test]
fn the_schema_lists_every_code() {
    let text = std::fs::read_to_string(workspace_root().join("schema/explain.schema.json"))
        .expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let listed: Vec<&str> = schema["properties"]["note_codes"]["items"]["enum"]
        .as_array()
        .expect("an enum of codes")
        .iter()
        .map(|c| c.as_str().unwrap_or_default())
        .collect();
    assert_eq!(listed, NoteCode::NAMES);
}
