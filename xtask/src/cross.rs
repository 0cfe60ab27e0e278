//! `cargo xtask test-cross`: one decision everywhere. The same inputs and seeds through the
//! native core (`meshlb explain --format json`, `meshlb pick`), the wasm package under Node and
//! the proxy-wasm filter in its test host; `tests/cross/cross.test.mjs` compares the
//! explanations and the first 10,000 picks, for every example and the generated scenarios, and
//! `tests/cross/errors.test.mjs` checks the wasm and filter entries of docs/errors.md.
//!
//! - The generated scenarios: `cargo test --workspace --test integration invariants::` with
//!   `MESHLB_CROSS_DIR=target/cross` writes 24 meshes from fixed seeds (the generator of the
//!   invariant tests, `tests/src/meshgen.rs`), in the test build CI already has.
//! - The builds are reused: `target/release/meshlb` (built here if missing, as the wasm and
//!   filter tests do), `target/dist/node` (`cargo xtask wasm`) and
//!   `target/dist/meshlb_filter.wasm` (`cargo xtask filter`); `ci` runs this after those.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{ensure_node, run, target_dir, workspace_root};

/// Where the generated scenarios go.
const GENERATED: &str = "cross";

/// Writes the generated scenarios, then runs the two Node tests of `tests/cross/`.
pub(crate) fn test() -> Result<(), String> {
    let root = workspace_root();
    let target = target_dir(&root);
    for (what, path) in [
        (
            "the wasm package (cargo xtask wasm)",
            target.join("dist").join("node"),
        ),
        (
            "the filter (cargo xtask filter)",
            target.join("dist").join("meshlb_filter.wasm"),
        ),
    ] {
        if !path.exists() {
            return Err(format!("{} is missing: build {what} first", path.display()));
        }
    }
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["build", "--release", "-p", "meshlb-cli"]))?;
    let generated = target.join(GENERATED);
    run(Command::new("cargo")
        .current_dir(&root)
        .args([
            "test",
            // The workspace's features, as `cargo test --workspace` resolved them: with
            // `-p meshlb-tests` alone cargo resolves fewer and rebuilds half the tree (4 min).
            "--workspace",
            "--test",
            "integration",
            "--",
            "invariants::cross_build_scenarios",
        ])
        .env("MESHLB_CROSS_DIR", &generated))?;
    ensure_node()?;
    let dir: PathBuf = root.join("tests").join("cross");
    run(Command::new("node")
        .current_dir(&root)
        .arg("--test")
        .arg(dir.join("cross.test.mjs"))
        .arg(dir.join("errors.test.mjs"))
        .env("MESHLB_BIN", target.join("release").join("meshlb"))
        .env("MESHLB_WASM_NODE", target.join("dist").join("node"))
        .env(
            "MESHLB_FILTER_WASM",
            target.join("dist").join("meshlb_filter.wasm"),
        )
        .env("MESHLB_CROSS_DIR", &generated))
}
