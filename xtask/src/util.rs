//! Helpers every xtask task shares: where things are, running and echoing commands, installing
//! a missing tool, measuring a module.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The wasm target of the package and the filter.
pub(crate) const TARGET: &str = "wasm32-unknown-unknown";

pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

pub(crate) fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[allow(clippy::cast_precision_loss)] // sizes of a few MiB
pub(crate) fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// Runs a command, echoing it, and fails on a non-zero exit.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    eprintln!("$ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs `program args` in the workspace root with `env` added, echoing it.
pub(crate) fn run_in_root(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(), String> {
    run(Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(workspace_root()))
}

/// The standard output of a command, `None` when it cannot run or fails.
pub(crate) fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs an install step and says how long it took.
// xtask times its install steps for the report; it is automation, not the deterministic core.
#[allow(clippy::disallowed_methods)]
pub(crate) fn timed(what: &str, step: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let start = Instant::now();
    step()?;
    eprintln!("xtask: {what} took {:.0?}", start.elapsed());
    Ok(())
}

/// `wasm-opt` from Debian's `binaryen`.
pub(crate) fn ensure_wasm_opt() -> Result<(), String> {
    if output("wasm-opt", &["--version"]).is_some() {
        return Ok(());
    }
    apt_install("binaryen")
}

/// cmake from Debian: pingora-core's zlib (libz-ng-sys) builds with it, for meshlb-pingora and
/// the benches' pingora peers (`cargo bench --no-run` in CI, and `bench-report` on a machine
/// that never ran `setup`).
pub(crate) fn ensure_cmake() -> Result<(), String> {
    if output("cmake", &["--version"]).is_some() {
        return Ok(());
    }
    apt_install("cmake")
}

/// Node.js and npm for the tests (`node --test` needs 18 or newer).
pub(crate) fn ensure_node() -> Result<(), String> {
    for (program, package) in [("node", "nodejs"), ("npm", "npm")] {
        if output(program, &["--version"]).is_none() {
            apt_install(package)?;
        }
    }
    Ok(())
}

pub(crate) fn apt_install(package: &str) -> Result<(), String> {
    timed(&format!("apt-get install -y {package}"), || {
        let install = || run(Command::new("apt-get").args(["install", "-y", package]));
        install().or_else(|_| {
            run(Command::new("apt-get").arg("update"))?;
            install()
        })
    })
}

/// `wasm-opt --enable-*` flags for the features rustc's output uses: the target's default
/// features as `rustc --print cfg` lists them (bulk-memory, multivalue, mutable-globals,
/// nontrapping-fptoint, reference-types and sign-ext for rustc 1.95).
pub(crate) fn wasm_opt_features() -> Vec<String> {
    let cfg = output("rustc", &["--print", "cfg", "--target", TARGET]).unwrap_or_default();
    cfg.lines()
        .filter_map(|l| l.strip_prefix("target_feature=\"")?.strip_suffix('"'))
        .filter_map(|feature| {
            let flag = match feature {
                "nontrapping-fptoint" => "nontrapping-float-to-int",
                "simd128" => "simd",
                "bulk-memory" | "multivalue" | "mutable-globals" | "reference-types"
                | "sign-ext" | "tail-call" | "extended-const" | "exception-handling"
                | "multimemory" | "relaxed-simd" | "gc" => feature,
                // Parts of a feature above (bulk-memory-opt, call-indirect-overlong), or one
                // binaryen reads from the module's target_features section anyway.
                _ => return None,
            };
            Some(format!("--enable-{flag}"))
        })
        .collect()
}

/// The size of `path` compressed with `gzip -9`.
pub(crate) fn gzip_size(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if out.status.success() {
        Ok(out.stdout.len() as u64)
    } else {
        Err(format!("gzip {} failed", path.display()))
    }
}

/// `package` in `dir/node_modules` at the version `dir/package.json` pins, installed by `npm ci`
/// from `dir/package-lock.json` when it is missing or another.
pub(crate) fn ensure_npm_pinned(dir: &Path, package: &str) -> Result<(), String> {
    let wanted = pinned_version(&dir.join("package.json"), package)?;
    let installed = dir.join("node_modules").join(package).join("package.json");
    if installed.exists() && pinned_version(&installed, "version").ok().as_deref() == Some(&wanted)
    {
        return Ok(());
    }
    run(Command::new("npm").current_dir(dir).args([
        "ci",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
    ]))
}

/// The string value of the first `"key": "value"` in a JSON file (enough for package.json).
fn pinned_version(path: &Path, key: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let needle = format!("\"{key}\"");
    let rest = &text[text
        .find(&needle)
        .ok_or_else(|| format!("{}: no {needle}", path.display()))?
        + needle.len()..];
    let start = rest
        .find('"')
        .ok_or_else(|| format!("{}: {needle} has no value", path.display()))?
        + 1;
    let end = start
        + rest[start..]
            .find('"')
            .ok_or_else(|| format!("{}: bad {needle}", path.display()))?;
    Ok(rest[start..end].to_string())
}
