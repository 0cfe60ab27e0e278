//! `cargo xtask wasm` and `cargo xtask test-wasm`: the wasm-bindgen packages of `wasm/`.
//!
//! [`build()`] installs what it needs when missing (the `wasm32-unknown-unknown` target,
//! `wasm-bindgen-cli` of exactly the `wasm-bindgen` crate's version, Debian's `binaryen` for
//! `wasm-opt`), builds `meshlb-wasm` with the `wasm-release` profile, shrinks the module with
//! `wasm-opt`, runs `wasm-bindgen` on it twice, adds the packages' entry (`meshlb.js`, from
//! `wasm/js/`), writes the npm `package.json` files and prints the sizes:
//!
//! - `target/dist/node/`: `--target nodejs` (CommonJS; `require` or `import` it),
//! - `target/dist/web/`: the playground, a copy of `web/` with its `--target web` package in
//!   `target/dist/web/pkg/`, a folder any static server can serve.
//!
//! [`test()`] builds the native CLI in release and runs `node --test` on `wasm/tests/`, which
//! compares the package with the CLI, then compiles TypeScript callers of both packages
//! (`wasm/tests/types/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{
    TARGET, ensure_node, ensure_npm_pinned, ensure_wasm_opt, gzip_size, kib, output, relative, run,
    target_dir, timed, wasm_opt_features, workspace_root,
};

/// The module's gzip budget (250 KiB): reported by [`build()`] and [`test()`] as a warning.
const BUDGET_GZIP: u64 = 250 * 1024;

/// `opt-level` for this build: `z` beats the shared `wasm-release` profile's `s` by 10 % here
/// (the profile is shared with `filter/`, so the override is this build's own).
const OPT_LEVEL: &str = "z";

/// The crates built at `opt-level = 3` in this build, beside the core (the profile's own
/// override): generic code is compiled in the crate that instantiates it, so the core's pick,
/// instantiated with the package's RNG by `meshlb-formats`' `Balancer`, took that crate's
/// `opt-level` ("z"). At 3, `pickMany` under Node: 62 → 45–50 ns a pick; the module: +53 KiB
/// gzip. saphyr's scanner (`saphyr-parser`, most of reading a YAML input) and its scalars
/// (`saphyr`): at 3, under Node,
/// `document(text)` of the built-in default scenario 218–232 → 179–186 µs and
/// `new Balancer(text)` 280–353 → 224–246 µs (medians of 21 × 20, three runs each); the
/// module 2.6 KiB gzip smaller.
const FULL_SPEED: &[&str] = &["meshlb-formats", "meshlb-wasm", "saphyr-parser", "saphyr"];

/// What `wasm-opt` runs: `-O3`. rustc's module is already at `opt-level = 3` where it picks
/// ([`FULL_SPEED`]); binaryen's `-Oz --converge` after it, which shares locals and merges
/// blocks for size, made V8's code for the pick slower: under Node 20 on the built-in default
/// scenario, `pickNext()` 26.7 → 23.7 ns a call (least of five `benches/wasm/ratio.mjs`
/// processes, interleaved; 24.4 → 23.3–23.6 in three other sets of 8–10), `pickMany` 19.3 →
/// 18.1 ns a pick, the rest within noise, for 0.9 KiB more gzip (545,305 → 546,277 bytes).
const WASM_OPT_PASSES: &[&str] = &["-O3"];

/// Builds both packages (installing what is missing) and prints their sizes.
///
/// # Errors
/// A failed install, build or tool run (a module over the gzip budget is a warning).
pub(crate) fn build() -> Result<(), String> {
    let root = workspace_root();
    let target_dir = target_dir(&root);
    ensure_target()?;
    let version = pinned_wasm_bindgen(&root)?;
    ensure_wasm_bindgen(&version)?;
    ensure_wasm_opt()?;

    run(Command::new("cargo")
        .current_dir(&root)
        .args(["build", "-p", "meshlb-wasm", "--target", TARGET])
        .args(["--profile", "wasm-release"])
        .args(FULL_SPEED.iter().flat_map(|package| {
            [
                "--config".to_owned(),
                format!("profile.wasm-release.package.{package}.opt-level=3"),
            ]
        }))
        .env("CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL", OPT_LEVEL))?;
    let built = target_dir
        .join(TARGET)
        .join("wasm-release")
        .join("meshlb_wasm.wasm");

    let dist = target_dir.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    // wasm-opt runs before wasm-bindgen, on rustc's module: binaryen 108 (Debian's) writes the
    // export of a second table wrongly, and wasm-bindgen's output has two (functions and
    // externrefs), so optimising it afterwards breaks `__wbindgen_externrefs`. wasm-bindgen
    // keeps what wasm-opt left intact (its descriptors are exports).
    let module = dist.join("meshlb_wasm.wasm");
    run(Command::new("wasm-opt")
        .args(WASM_OPT_PASSES)
        .args(wasm_opt_features())
        .arg(&built)
        .arg("-o")
        .arg(&module))?;
    let node = dist.join("node");
    let web = dist.join("web");
    for dir in [&node, &web] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    let pkg = web.join("pkg");
    let package_version = workspace_version(&root)?;
    for (bindgen_target, out) in [("nodejs", &node), ("web", &pkg)] {
        run(Command::new("wasm-bindgen")
            .args([
                "--target",
                bindgen_target,
                "--out-name",
                "meshlb_wasm",
                "--out-dir",
            ])
            .arg(out)
            .arg(&module))?;
        entry(&root.join("wasm/js"), out, bindgen_target == "nodejs")?;
        if bindgen_target == "nodejs" {
            commonjs_snippets(&out.join("snippets"))?;
        }
        write(
            &out.join("package.json"),
            &package_json(&package_version, bindgen_target == "web"),
        )?;
        copy(&root.join("wasm/README.md"), &out.join("README.md"))?;
        copy_dir(&root.join("schema"), &out.join("schema"))?;
    }
    let web_source = root.join("web");
    if web_source.is_dir() {
        copy_dir(&web_source, &web)?;
    }

    eprintln!();
    if let Err(over) = check_sizes(&root, &target_dir) {
        // Reported, not fatal, here and in `cargo xtask test-wasm` (see there).
        eprintln!("xtask: warning: {over}");
    }
    eprintln!(
        "xtask: packages in {} and {} (serve {} with any static server)",
        relative(&root, &node),
        relative(&root, &web),
        relative(&root, &web)
    );
    Ok(())
}

/// Prints the modules' sizes; an error names those over the gzip budget.
fn check_sizes(root: &Path, target_dir: &Path) -> Result<(), String> {
    let dist = target_dir.join("dist");
    let mut over = Vec::new();
    for bg in [
        dist.join("node").join("meshlb_wasm_bg.wasm"),
        dist.join("web").join("pkg").join("meshlb_wasm_bg.wasm"),
    ] {
        let raw = std::fs::metadata(&bg)
            .map_err(|e| format!("{}: {e}", bg.display()))?
            .len();
        let gzip = gzip_size(&bg)?;
        eprintln!(
            "xtask: {}: {raw} bytes ({:.1} KiB), gzip -9 {gzip} bytes ({:.1} KiB; budget {} KiB)",
            relative(root, &bg),
            kib(raw),
            kib(gzip),
            BUDGET_GZIP / 1024
        );
        if gzip > BUDGET_GZIP {
            over.push(relative(root, &bg));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} over the {} KiB gzip budget",
            over.join(", "),
            BUDGET_GZIP / 1024
        ))
    }
}

/// Builds the native CLI (release) and runs the Node tests of `wasm/tests/` against
/// `target/dist/node/` (call [`build()`] first), then checks the modules' gzip budget.
///
/// # Errors
/// A failed build, a missing Node.js that cannot be installed, or a failing test (a module over
/// the gzip budget is a warning).
pub(crate) fn test() -> Result<(), String> {
    let root = workspace_root();
    let target_dir = target_dir(&root);
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["build", "--release", "-p", "meshlb-cli"]))?;
    ensure_node()?;
    let tests_dir = root.join("wasm").join("tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&tests_dir)
        .map_err(|e| format!("{}: {e}", tests_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs in {}", tests_dir.display()));
    }
    run(Command::new("node")
        .current_dir(&root)
        .arg("--test")
        .args(&files)
        .env("MESHLB_BIN", target_dir.join("release").join("meshlb"))
        .env("MESHLB_WASM_NODE", target_dir.join("dist").join("node"))
        .env(
            "MESHLB_WASM_WEB",
            target_dir.join("dist").join("web").join("pkg"),
        ))?;
    check_types(&root, &target_dir.join("dist"))?;
    // Over budget is reported, not fatal, while the module is being brought under it (the
    // gzip size is printed either way).
    if let Err(over) = check_sizes(&root, &target_dir) {
        eprintln!("xtask: warning: {over}");
    }
    Ok(())
}

/// Compiles wasm/tests/types/'s callers of the two packages' declarations (`node.ts`,
/// `web.mts`) with `tsc --strict`, from `dist/types/` (their imports are `../node/` and
/// `../web/pkg/`), by the TypeScript its package-lock.json pins.
fn check_types(root: &Path, dist: &Path) -> Result<(), String> {
    let types = root.join("wasm").join("tests").join("types");
    ensure_npm_pinned(&types, "typescript")?;
    let out = dist.join("types");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let callers = ["node.ts", "web.mts"];
    for file in callers {
        copy(&types.join(file), &out.join(file))?;
    }
    run(Command::new("node")
        .arg(types.join("node_modules/typescript/bin/tsc"))
        .args([
            "--noEmit", "--strict", "--module", "nodenext", "--target", "esnext",
        ])
        .args(callers.map(|file| out.join(file))))
}

fn ensure_target() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == TARGET) {
        return Ok(());
    }
    timed(&format!("rustup target add {TARGET}"), || {
        run(Command::new("rustup").args(["target", "add", TARGET]))
    })
}

/// The `=x.y.z` pin of `wasm-bindgen` in the root `Cargo.toml`'s `[workspace.dependencies]`.
fn pinned_wasm_bindgen(root: &Path) -> Result<String, String> {
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    manifest
        .lines()
        .filter(|l| l.starts_with("wasm-bindgen ") || l.starts_with("wasm-bindgen="))
        .find_map(|l| {
            let start = l.find("\"=")? + 2;
            let end = start + l[start..].find('"')?;
            Some(l[start..end].to_string())
        })
        .ok_or_else(|| {
            "Cargo.toml: [workspace.dependencies] must pin wasm-bindgen exactly (version = \"=x.y.z\"): wasm-bindgen-cli has to match it".to_string()
        })
}

/// `wasm-bindgen-cli` of exactly `version` (the CLI refuses modules of another crate version).
fn ensure_wasm_bindgen(version: &str) -> Result<(), String> {
    let installed = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if installed.split_whitespace().nth(1) == Some(version) {
        return Ok(());
    }
    let what = format!("cargo install wasm-bindgen-cli --version {version}");
    timed(&what, || {
        let locked = run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            version,
            "--locked",
        ]));
        match locked {
            Ok(()) => Ok(()),
            Err(e) => {
                // The CLI's own Cargo.lock can name a dependency version the registry no longer
                // (or not yet) serves; the same CLI version then builds with fresh resolution.
                eprintln!("xtask: {e}; retrying without --locked");
                run(Command::new("cargo").args([
                    "install",
                    "wasm-bindgen-cli",
                    "--version",
                    version,
                ]))
            }
        }
    })
}

/// The workspace's `version` (`[workspace.package]`).
fn workspace_version(root: &Path) -> Result<String, String> {
    let manifest =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    manifest
        .split("[workspace.package]")
        .nth(1)
        .and_then(|section| {
            section
                .lines()
                .take_while(|l| !l.starts_with('['))
                .find_map(|l| l.strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'))
                .map(str::to_string)
        })
        .ok_or_else(|| "Cargo.toml: no version in [workspace.package]".into())
}

/// The npm manifest of one package.
fn package_json(version: &str, web: bool) -> String {
    let module = if web {
        "\n  \"type\": \"module\",\n  \"module\": \"meshlb.js\",\n  \"sideEffects\": false,"
    } else {
        ""
    };
    let target = if web {
        "browsers and bundlers (ES module; call the default export init() first)"
    } else {
        "Node.js (CommonJS)"
    };
    format!(
        r#"{{
  "name": "meshlb-wasm",
  "version": "{version}",
  "description": "meshlb for {target}: explain, simulate and pick endpoints of a service mesh with Envoy's load-balancing maths",
  "license": "Apache-2.0",
  "repository": "https://example.invalid/meshlb",
  "keywords": ["envoy", "istio", "load-balancing", "service-mesh", "wasm"],{module}
  "main": "meshlb.js",
  "types": "meshlb.d.ts",
  "files": [
    "meshlb.js",
    "meshlb.d.ts",
    "calls.js",
    "calls.d.ts",
    "meshlb_wasm_bg.wasm",
    "meshlb_wasm.js",
    "meshlb_wasm.d.ts",
    "meshlb_wasm_bg.wasm.d.ts",
    "schema/",
    "snippets/"
  ],
  "engines": {{ "node": ">=20" }}
}}
"#
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

/// Writes the package's entry into `out` beside wasm-bindgen's module: `meshlb.js` and its
/// types, which give `Balancer` the calls of `calls.js` (see there), from `js` (wasm/js/): the
/// Node package's CommonJS (`node.*`, and `calls.js` rewritten by [`commonjs`]) or the web
/// package's ES modules (`web.*`).
fn entry(js: &Path, out: &Path, node: bool) -> Result<(), String> {
    let (entry, types) = if node {
        ("node.js", "node.d.ts")
    } else {
        ("web.js", "web.d.ts")
    };
    copy(&js.join(entry), &out.join("meshlb.js"))?;
    copy(&js.join(types), &out.join("meshlb.d.ts"))?;
    copy(&js.join("calls.d.ts"), &out.join("calls.d.ts"))?;
    copy(&js.join("calls.js"), &out.join("calls.js"))?;
    if node {
        commonjs(&out.join("calls.js"))?;
    }
    Ok(())
}

/// wasm-bindgen writes the crate's `inline_js` snippets as ES modules, and its `nodejs` package
/// `require`s them: Node loads an ES module through `require` (told by its syntax, in a `.js`
/// file) only from 20.19 and 22.12, and not with `--no-experimental-require-module`. Each
/// snippet of the Node package under `dir` becomes CommonJS ([`commonjs`]).
fn commonjs_snippets(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            commonjs_snippets(&path)?;
            continue;
        }
        if path.extension().is_some_and(|e| e == "js") {
            commonjs(&path)?;
        }
    }
    Ok(())
}

/// Rewrites the ES module at `path` as CommonJS: strict, its `export function NAME(`
/// declarations plain ones, exported by `module.exports`. Any other `export` is an error: the
/// rewrite knows only that form.
fn commonjs(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut names = Vec::new();
    let mut body = String::from("\"use strict\";\n");
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("export function ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            names.push(name);
            body.push_str("function ");
            body.push_str(rest);
        } else if line.split_whitespace().any(|word| word == "export") {
            return Err(format!(
                "{}:{}: only `export function NAME(` is rewritten as CommonJS for the Node package",
                path.display(),
                n + 1
            ));
        } else {
            body.push_str(line);
        }
        body.push('\n');
    }
    body.push_str(&format!("module.exports = {{ {} }};\n", names.join(", ")));
    write(path, &body)
}

/// Copies a directory tree, leaving out generated or installed folders (`pkg`, `node_modules`).
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let name = entry.file_name();
        let path = entry.path();
        if path.is_dir() {
            if name == "pkg" || name == "node_modules" {
                continue;
            }
            copy_dir(&path, &to.join(&name))?;
        } else {
            copy(&path, &to.join(&name))?;
        }
    }
    Ok(())
}
