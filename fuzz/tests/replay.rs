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
