//! Replays every kept fuzz input on stable (issue 15): each file of `fuzz/corpus/TARGET/` through
//! its target, so an input that once crashed meshlb, or that a fuzz run found to reach new code,
//! fails CI if it crashes again. Bounded and deterministic: the corpora are minimised
//! (`cargo xtask fuzz --minimise`), and each target is a pure function of its bytes.

use std::path::Path;

#[test]
fn every_kept_input_replays_without_a_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut total = 0;
    for (name, target) in meshlb_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no inputs", dir.display());
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} crashes", file.display());
        }
        total += files.len();
    }
    assert!(total > 0);
}

/// The seeds of `filter` and `explain` reach past the readers: each configuration seed (but
/// `seed-bad-config`) configures the filter, each input seed loads (a seed refused at the door
/// would leave the fuzzer to find the format again).
#[test]
fn the_new_targets_seeds_are_accepted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, accepted) in [
        (
            "filter",
            (|data: &[u8]| {
                let configuration = data.split(|b| *b == 0).next().unwrap_or_default();
                meshlb_filter::native::Filter::configure(configuration).map(|_| ())
            }) as fn(&[u8]) -> Result<(), String>,
        ),
        ("explain", |data: &[u8]| {
            let (text, options) = meshlb_fuzz::explain_options(data).ok_or("not UTF-8")?;
            meshlb_formats::load("seed", text, &options).map(|_| ())
        }),
    ] {
        for entry in std::fs::read_dir(root.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("seed-") || name == "seed-bad-config" {
                continue;
            }
            let outcome = accepted(&std::fs::read(&path).unwrap());
            assert!(outcome.is_ok(), "{target}/{name}: {outcome:?}");
        }
    }
}
