//! `cargo xtask test-cross`: one decision everywhere. The same inputs and seeds through the
//! native core (`meshlb explain --format json`, `meshlb pick`), the wasm package under Node and
//! the proxy-wasm filter in its test host; `tests/cross/cross.test.mjs` compares the
//! explanations and the first 10,000 picks, for every example and the generated scenarios, and
//! `tests/cross/errors.test.mjs` checks the wasm and filter entries of docs/errors.md.
//!
//! - The generated scenarios: the `integration` test binary of `cargo test --workspace` (the
//!   test build CI already has), run on `invariants::cross_build_scenarios` with
//!   `MESHLB_CROSS_DIR=target/cross`, writes 24 meshes from fixed seeds (the generator of the
//!   invariant tests, `tests/src/meshgen.rs`).
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
    // The integration tests' binary as `cargo test --workspace` built it, run directly: any
    // narrower cargo selection (`-p meshlb-tests`, `--test integration`) resolves fewer
    // features and rebuilds half the tree (3 to 5 minutes of CI).
    let tests = integration_tests_binary(&root)?;
    run(Command::new(&tests)
        .current_dir(root.join("tests"))
        .args(["invariants::cross_build_scenarios", "--exact"])
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

/// The path of the `integration` test binary of `cargo test --workspace` (built if missing).
fn integration_tests_binary(root: &std::path::Path) -> Result<PathBuf, String> {
    let listing = Command::new("cargo")
        .current_dir(root)
        .args(["test", "--workspace", "--no-run", "--message-format=json"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo test --no-run: {e}"))?;
    if !listing.status.success() {
        return Err(format!(
            "cargo test --workspace --no-run: {}",
            listing.status
        ));
    }
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| l.contains(r#""reason":"compiler-artifact""#))
        .filter(|l| l.contains(r#""kind":["test"]"#) && l.contains(r#""name":"integration""#))
        .find_map(|l| l.split(r#""executable":""#).nth(1)?.split('"').next())
        .map(PathBuf::from)
        .ok_or_else(|| "cargo test --workspace --no-run listed no `integration` test binary".into())
}
