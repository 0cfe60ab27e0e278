//! `cargo xtask playground` and `cargo xtask test-web`: the browser playground of `web/`.
//!
//! - [`playground`]: builds the wasm package and the playground into `target/dist/web/`
//!   ([`crate::wasm::build`]), copies `examples/*.yaml` there as presets ([`presets`]), prints
//!   the CLI's explanation of the default scenario, then serves the playground on 127.0.0.1
//!   (port 8080, or the first free one after it) with a small static HTTP server written with
//!   `std` alone, until Ctrl-C. `--port N` picks another port. No Node.js is needed.
//! - [`test()`]: installs Debian's `chromium` and `playwright-core` (pinned in
//!   `web/tests/package-lock.json`) when missing, builds the playground and the CLI, then runs
//!   `node --test` on `web/tests/`: headless Chromium loads the page, the tests compare what it
//!   shows with `meshlb explain` and save screenshots in `target/screenshots/`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::util::{
    apt_install, ensure_node, ensure_npm_pinned, relative, run, target_dir, workspace_root,
};
use std::time::{Duration, Instant};

/// The port the playground tries first; the next ones follow when it is taken.
const FIRST_PORT: u16 = 8080;
/// How many ports after [`FIRST_PORT`] to try before letting the OS pick one.
const PORT_TRIES: u16 = 20;
/// The browser the tests drive (Debian's package; playwright cannot download one here).
const CHROMIUM: &str = "/usr/bin/chromium";
/// The largest request head the server reads.
const MAX_HEAD: u64 = 16 * 1024;

/// Builds the playground and serves it on 127.0.0.1, printing its URL.
///
/// # Errors
/// A failed build, no port to listen on.
pub(crate) fn playground() -> Result<(), String> {
    let mut port = None;
    let mut args = std::env::args().skip(2);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                port = Some(
                    value
                        .parse::<u16>()
                        .map_err(|e| format!("--port {value}: {e}"))?,
                );
            }
            other => {
                return Err(format!(
                    "playground: unknown argument {other:?} (try --port N)"
                ));
            }
        }
    }
    let root = workspace_root();
    crate::wasm::build()?;
    let dist = dist(&root);
    presets(&root, &dist)?;

    // What the page will show first, as the CLI says it.
    println!();
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["run", "--quiet", "--release", "-p", "meshlb-cli", "--"])
        .args(["explain", "examples/default.yaml"]))?;
    println!();

    let listener = listen(port)?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("local address: {e}"))?
        .port();
    println!("meshlb playground: http://127.0.0.1:{port}/");
    println!("(serving {}; Ctrl-C stops it)", relative(&root, &dist));
    serve(&listener, &dist);
    Ok(())
}

/// Installs what the browser tests need, builds, and runs them.
///
/// # Errors
/// A failed install or build, or a failing test.
// xtask times the test run for the report; it is automation, not the deterministic core.
#[allow(clippy::disallowed_methods)]
pub(crate) fn test() -> Result<(), String> {
    let root = workspace_root();
    ensure_chromium()?;
    ensure_node()?;
    ensure_npm_pinned(&root.join("web").join("tests"), "playwright-core")?;
    crate::wasm::build()?;
    let dist = dist(&root);
    presets(&root, &dist)?;
    run(Command::new("cargo")
        .current_dir(&root)
        .args(["build", "--release", "-p", "meshlb-cli"]))?;

    let tests = root.join("web").join("tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&tests)
        .map_err(|e| format!("{}: {e}", tests.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs in {}", tests.display()));
    }
    let start = Instant::now();
    // The files by name rather than the folder: `node --test DIR` means a folder on Node 20 and
    // a glob on later versions.
    run(Command::new("node")
        .current_dir(&root)
        .arg("--test")
        .args(&files)
        .env(
            "MESHLB_BIN",
            target_dir(&root).join("release").join("meshlb"),
        )
        .env("MESHLB_WEB_DIR", &dist)
        .env("MESHLB_SCREENSHOTS", target_dir(&root).join("screenshots"))
        .env("CHROMIUM", CHROMIUM))?;
    eprintln!(
        "xtask: browser tests took {:.0?}; screenshots in {}",
        start.elapsed(),
        relative(&root, &target_dir(&root).join("screenshots"))
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Presets

/// Copies `examples/*.yaml` into `dist/presets/` and writes `presets.json`, the index the page
/// reads: `[{"name", "file", "title"}]`, `default` first, then by name. A preset's title is the
/// first sentence of the comment its file opens with.
///
/// # Errors
/// A file that cannot be read or written.
pub(crate) fn presets(root: &Path, dist: &Path) -> Result<(), String> {
    let examples = root.join("examples");
    let out = dist.join("presets");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&examples)
        .map_err(|e| format!("{}: {e}", examples.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort_by_key(|p| {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        (stem != "default", stem)
    });
    let mut index = String::from("[\n");
    for (i, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = file.trim_end_matches(".yaml");
        std::fs::write(out.join(&file), &text).map_err(|e| format!("{}: {e}", out.display()))?;
        let _ = writeln!(
            index,
            "  {{\"name\": {}, \"file\": {}, \"title\": {}}}{}",
            json_string(name),
            json_string(&file),
            json_string(&title(&text)),
            if i + 1 < files.len() { "," } else { "" }
        );
    }
    index.push_str("]\n");
    let index_path = out.join("presets.json");
    std::fs::write(&index_path, index).map_err(|e| format!("{}: {e}", index_path.display()))?;
    eprintln!("xtask: {} presets in {}", files.len(), relative(root, &out));
    Ok(())
}

/// The first sentence of the comment block a YAML file opens with.
fn title(text: &str) -> String {
    let mut paragraph = String::new();
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if comment.is_empty() {
            if paragraph.is_empty() {
                continue;
            }
            break;
        }
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(comment);
    }
    match paragraph.find(". ") {
        Some(end) => paragraph[..=end].to_string(),
        None => paragraph,
    }
}

/// `text` as a JSON string literal (meshlb's own writer, as the filter's update documents use).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    meshlb_formats::tree::json_string(text, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// The static server

/// A listener on 127.0.0.1: `port`, or [`FIRST_PORT`] and the ones after it, or any free one.
fn listen(port: Option<u16>) -> Result<TcpListener, String> {
    let bind = |port: u16| TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    if let Some(port) = port {
        return bind(port).map_err(|e| format!("127.0.0.1:{port}: {e}"));
    }
    (FIRST_PORT..FIRST_PORT + PORT_TRIES)
        .find_map(|port| bind(port).ok())
        .map_or_else(|| bind(0).map_err(|e| format!("127.0.0.1: {e}")), Ok)
}

/// Serves the files under `root` to every connection, one thread each, forever.
fn serve(listener: &TcpListener, root: &Path) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.to_path_buf();
        std::thread::spawn(move || {
            if let Err(e) = respond(&stream, &root) {
                eprintln!("xtask: playground server: {e}");
            }
        });
    }
}

/// Reads one request and answers it (`Connection: close`: one request per connection).
fn respond(stream: &TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.take(MAX_HEAD));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The rest of the head: headers are not needed, but must be read before answering.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let response = match method {
        "GET" | "HEAD" => lookup(root, target),
        _ => Response::error(405, "Method Not Allowed"),
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        response.status,
        response.reason,
        response.content_type,
        response.body.len()
    );
    if response.status == 405 {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    let mut out = stream;
    out.write_all(head.as_bytes())?;
    if method != "HEAD" {
        out.write_all(&response.body)?;
    }
    out.flush()
}

/// One answer of the server.
#[derive(Debug)]
struct Response {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn error(status: u16, reason: &'static str) -> Self {
        Self {
            status,
            reason,
            content_type: "text/plain; charset=utf-8",
            body: format!("{status} {reason}\n").into_bytes(),
        }
    }
}

/// The file a request target names under `root` (`index.html` for a folder), or an error.
fn lookup(root: &Path, target: &str) -> Response {
    let Some(path) = resolve(root, target) else {
        return Response::error(400, "Bad Request");
    };
    let path = if path.is_dir() {
        path.join("index.html")
    } else {
        path
    };
    match std::fs::read(&path) {
        Ok(body) => Response {
            status: 200,
            reason: "OK",
            content_type: mime(&path),
            body,
        },
        Err(_) => Response::error(404, "Not Found"),
    }
}

/// The path a request target names under `root`: the query and fragment dropped, percent-escapes
/// decoded; `None` for anything that could leave `root` (`..`, a drive, a NUL).
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let path = percent_decode(path.strip_prefix('/')?)?;
    if path.contains(['\0', '\\']) {
        return None;
    }
    let mut resolved = root.to_path_buf();
    for component in Path::new(&path).components() {
        match component {
            Component::Normal(part) => resolved.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(resolved)
}

/// `%XX` escapes decoded (UTF-8); `None` for a malformed escape or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `Content-Type` of a file, by extension: browsers insist on `application/wasm` for
/// `WebAssembly.instantiateStreaming` and on a JavaScript type for modules.
fn mime(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        "md" | "ts" | "txt" | "license" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------------
// Installs and helpers

/// Debian's `chromium` (playwright's own browser download cannot work here).
fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    apt_install("chromium")
}

/// Where `cargo xtask wasm` puts the playground.
fn dist(root: &Path) -> PathBuf {
    target_dir(root).join("dist").join("web")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_browsers_insist_on() {
        assert_eq!(
            mime(Path::new("pkg/meshlb_wasm_bg.wasm")),
            "application/wasm"
        );
        assert_eq!(mime(Path::new("main.js")), "text/javascript; charset=utf-8");
        assert_eq!(
            mime(Path::new("module.mjs")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(mime(Path::new("style.css")), "text/css; charset=utf-8");
        assert_eq!(mime(Path::new("presets/presets.json")), "application/json");
        assert_eq!(
            mime(Path::new("presets/default.yaml")),
            "text/yaml; charset=utf-8"
        );
        assert_eq!(mime(Path::new("favicon.svg")), "image/svg+xml");
        assert_eq!(mime(Path::new("x.bin")), "application/octet-stream");
    }

    #[test]
    fn paths_stay_under_the_workspace_root() {
        let root = Path::new("/srv/web");
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/srv/web")));
        assert_eq!(
            resolve(root, "/pkg/meshlb_wasm.js?v=1#x"),
            Some(PathBuf::from("/srv/web/pkg/meshlb_wasm.js"))
        );
        assert_eq!(
            resolve(root, "/presets/a%20b.yaml"),
            Some(PathBuf::from("/srv/web/presets/a b.yaml"))
        );
        assert_eq!(
            resolve(root, "/./index.html"),
            Some(PathBuf::from("/srv/web/index.html"))
        );
        for bad in [
            "/../etc/passwd",
            "/pkg/../../x",
            "/%2e%2e/x",
            "/a%00b",
            "/a%5c..%5cb",
            "/%zz",
            "x",
            "/%e9",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn preset_titles_are_the_first_sentence() {
        assert_eq!(
            title(
                "# The built-in default scenario (`meshlb explain` with no file).\n#\n# More.\nmeshes: []\n"
            ),
            "The built-in default scenario (`meshlb explain` with no file)."
        );
        assert_eq!(
            title("# One cluster, one network: the simplest mesh. And\n# more.\n"),
            "One cluster, one network: the simplest mesh."
        );
        assert_eq!(title("# Two lines\n# joined\n\nx: 1\n"), "Two lines joined");
        assert_eq!(title("clusters: []\n"), "");
        assert_eq!(json_string("a \"b\"\\\n\u{1}"), r#""a \"b\"\\\n\u0001""#);
    }

    #[test]
    fn presets_are_the_examples_default_first() {
        let dist =
            std::env::temp_dir().join(format!("meshlb-xtask-presets-{}", std::process::id()));
        presets(&workspace_root(), &dist).unwrap();
        let index = std::fs::read_to_string(dist.join("presets/presets.json")).unwrap();
        assert!(index.starts_with(
            "[\n  {\"name\": \"default\", \"file\": \"default.yaml\", \"title\": \"The built-in default scenario"
        ), "{index}");
        let examples = std::fs::read_dir(workspace_root().join("examples"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "yaml")
            })
            .count();
        assert_eq!(index.matches("\"file\"").count(), examples);
        assert_eq!(
            std::fs::read(dist.join("presets/default.yaml")).unwrap(),
            std::fs::read(workspace_root().join("examples/default.yaml")).unwrap()
        );
        std::fs::remove_dir_all(&dist).unwrap();
    }

    #[test]
    fn the_server_serves_files_with_their_types_and_nothing_outside() {
        let dir = std::env::temp_dir().join(format!("meshlb-xtask-web-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.join("pkg/m.wasm"), b"\0asm").unwrap();
        let listener = listen(Some(0)).unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let served = dir.clone();
        std::thread::spawn(move || serve(&listener, &served));
        let get = |method: &str, target: &str| {
            let mut stream = TcpStream::connect(addr).unwrap();
            write!(
                stream,
                "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            answer
        };
        let index = get("GET", "/");
        assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
        assert!(index.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(index.ends_with("\r\n\r\n<!doctype html>"));
        let wasm = get("GET", "/pkg/m.wasm");
        assert!(
            wasm.contains("Content-Type: application/wasm\r\nContent-Length: 4\r\n"),
            "{wasm}"
        );
        let head = get("HEAD", "/index.html");
        assert!(
            head.contains("Content-Length: 15\r\n") && head.ends_with("\r\n\r\n"),
            "{head}"
        );
        assert!(get("GET", "/missing.js").starts_with("HTTP/1.1 404 "));
        assert!(get("GET", "/../Cargo.toml").starts_with("HTTP/1.1 400 "));
        assert!(get("POST", "/").starts_with("HTTP/1.1 405 "));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
