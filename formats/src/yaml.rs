//! YAML documents (feature `yaml`) read into the document tree ([`crate::tree`]).
//!
//! `saphyr` loads the text as [`MarkedYaml`]; the tree keeps what the scenario parser needs:
//! mappings in the order written (keys as strings), sequences, resolved scalars (YAML 1.2 core
//! schema), and for each value the line it is written on (for a mapping's value, the line of its
//! key) and its span in the text. One document only; duplicate keys are an error naming the key.

use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};

use crate::error::InputError;
use crate::path::{At, Path};
use crate::tree::{Node, Value};

/// Loads one YAML document (JSON text reaches here only when it is not strict JSON).
///
/// # Errors
/// Malformed YAML (with the line), several documents, an empty document, a duplicate key (naming
/// it, its path and line), a mapping key that is not a scalar, an unresolvable value.
pub(crate) fn load(text: &str) -> Result<Node, InputError> {
    load_yaml(text, false)
}

/// Loads a stream of YAML documents: one document as itself, several as a list of them (each
/// keeps its lines in the whole text). Envoy and Kubernetes files are often such streams.
///
/// # Errors
/// As [`load`], but several documents are not an error.
pub(crate) fn load_stream(text: &str) -> Result<Node, InputError> {
    load_yaml(text, true)
}

/// Deepest nesting read: saphyr caps flow collections itself, not block ones, so depth is
/// checked on the event stream before the tree is built.
use crate::tree::MAX_DEPTH;

/// saphyr's loader behind a guard on the event stream: it refuses documents nested deeper
/// than [`MAX_DEPTH`] and streams of more than [`crate::MAX_DOCUMENTS`] documents before the
/// loader sees them, so that no tree deeper than that is built (nor dropped, nor converted,
/// which recurse).
///
/// The events come from saphyr's event iterator, which keeps no stack of its own, where
/// saphyr's `Parser::load` recurses once a level (a deep enough document overflows the
/// stack). The guard was a pass of its own before the loader's, over the same iterator: the
/// text was scanned twice, and saphyr's scanner is most of reading a scenario. The built-in
/// default scenario (3.5 KB): `meshlb_wasm::explain_text` 213 → 151 µs natively (best of 5
/// × 3,000), the package's `explain(text)` 857 → 392 µs under Node (median of 21 × 20).
struct Guarded<'input> {
    loader: YamlLoader<'input, MarkedYaml<'input>>,
    depth: usize,
    documents: usize,
    /// The anchors the documents before this one defined are those below `first_anchor`:
    /// `Parser::load` forgets them at each document (an alias to one is an unknown anchor),
    /// the event iterator does not.
    first_anchor: usize,
    next_anchor: usize,
}

impl<'input> Guarded<'input> {
    /// Passes `event` on to the loader, or refuses it: too deep, one document too many, an
    /// alias to an earlier document's anchor.
    fn on_event(
        &mut self,
        event: saphyr_parser::Event<'input>,
        span: saphyr_parser::Span,
    ) -> Result<(), Refused> {
        use saphyr_parser::{Event, SpannedEventReceiver as _};
        let anchor = match &event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Refused::Input(root_error(
                        Some(span.start.line()),
                        &format!("the document is nested more than {MAX_DEPTH} levels deep"),
                    )));
                }
                *anchor
            }
            Event::Scalar(_, _, anchor, _) => *anchor,
            Event::SequenceEnd | Event::MappingEnd => {
                self.depth = self.depth.saturating_sub(1);
                0
            }
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > crate::MAX_DOCUMENTS {
                    return Err(Refused::Input(root_error(
                        Some(span.start.line()),
                        &format!(
                            "more than {} YAML documents (`---`) in one input; meshlb reads at most that many",
                            crate::MAX_DOCUMENTS
                        ),
                    )));
                }
                self.first_anchor = self.next_anchor;
                0
            }
            Event::Alias(id) if *id < self.first_anchor => {
                return Err(Refused::Syntax(saphyr::ScanError::new_str(
                    span.start,
                    "while parsing node, found unknown anchor",
                )));
            }
            _ => 0,
        };
        // Anchors are numbered from 1 in the order they are met (0: none).
        if anchor > 0 {
            self.next_anchor = self.next_anchor.max(anchor + 1);
        }
        self.loader.on_event(event, span);
        Ok(())
    }
}

/// Why [`Guarded`] stopped the stream.
enum Refused {
    /// Past a limit meshlb sets.
    Input(InputError),
    /// What saphyr's parser would have said.
    Syntax(saphyr::ScanError),
}

/// Every document of the text, as saphyr loads them behind the guard ([`Guarded`]).
fn documents(text: &str) -> Result<Vec<MarkedYaml<'_>>, InputError> {
    let mut guarded = Guarded {
        loader: YamlLoader::default(),
        depth: 0,
        documents: 0,
        first_anchor: 0,
        next_anchor: 0,
    };
    let mut failed = None;
    for item in saphyr_parser::Parser::new_from_str(text) {
        let refused = match item {
            Ok((event, span)) => guarded.on_event(event, span),
            Err(e) => Err(Refused::Syntax(e)),
        };
        match refused {
            Ok(()) => {}
            Err(Refused::Input(e)) => return Err(e),
            Err(Refused::Syntax(e)) => {
                failed = Some(e);
                break;
            }
        }
    }
    // The parser's error first, as `Parser::load` returns it before the loader's.
    let loader = guarded.loader;
    match failed.or_else(|| loader.error().cloned()) {
        None => Ok(loader.into_documents()),
        Some(e) if e.info().starts_with("duplicated key") => Err(duplicate_key(text, &e)),
        Some(e) => Err(syntax_error(text, &e)),
    }
}

/// The YAML loader: one document, or with `several` a stream of them
/// as a list.
fn load_yaml(text: &str, several: bool) -> Result<Node, InputError> {
    let docs = documents(text)?;
    // Empty documents (a trailing `---`) do not count.
    let is_empty =
        |d: &MarkedYaml<'_>| matches!(d.data, YamlData::BadValue | YamlData::Value(Scalar::Null));
    let first_line = docs.first().map(|d| d.span.start.line());
    let mut docs = docs.into_iter().filter(|d| !is_empty(d)).peekable();
    let Some(doc) = docs.next() else {
        return Err(root_error(first_line, "the document is empty"));
    };
    if several && docs.peek().is_some() {
        let start = doc.span.start.index();
        let first = doc.span.start.line();
        let mut items = vec![convert(doc, first, &At::Root)?];
        for (i, d) in docs.enumerate() {
            let line = d.span.start.line();
            items.push(convert(d, line, &At::Root).map_err(|mut e| {
                e.message = format!("document {}: {}", i + 2, e.message);
                e
            })?);
        }
        let line = items.first().map_or(1, |n| n.line);
        return Ok(Node {
            line,
            span: (start, text.chars().count()),
            value: Value::Seq(items),
        });
    }
    if let Some(second) = docs.next() {
        return Err(root_error(
            Some(document_marker(text, second.span.start.line())),
            "the input holds several YAML documents (`---`): a scenario is one document",
        ));
    }
    let line = doc.span.start.line();
    convert(doc, line, &At::Root)
}

/// Loads every document of a YAML stream (`---` separated; `kubectl get -o yaml` output and
/// files of several objects), empty documents included as `null` nodes so that document
/// indices match the text.
///
/// # Errors
/// As [`load`], except that several documents are expected.
#[cfg(feature = "kube")]
pub(crate) fn load_all(text: &str) -> Result<Vec<Node>, InputError> {
    documents(text)?
        .into_iter()
        .map(|doc| {
            let line = doc.span.start.line();
            if matches!(doc.data, YamlData::BadValue) {
                return Ok(Node {
                    line,
                    span: (0, 0),
                    value: Value::Null,
                });
            }
            convert(doc, line, &At::Root)
        })
        .collect()
}

/// The line of the `---` that starts the document whose content starts on `line` (or `line`).
fn document_marker(text: &str, line: usize) -> usize {
    let lines: Vec<&str> = text.lines().take(line).collect();
    lines
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| {
            l.strip_prefix("---")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        })
        .map_or(line, |(i, _)| i + 1)
}

fn root_error(line: Option<usize>, message: &str) -> InputError {
    InputError {
        path: Path::root(),
        line,
        message: message.into(),
    }
}

fn syntax_error(text: &str, e: &saphyr::ScanError) -> InputError {
    let marker = e.marker();
    let (mut line, mut col) = (marker.line().max(1), marker.col() + 1);
    if e.info().contains("tab") {
        // saphyr marks where the token began (a scalar before a tab-indented line): point at
        // the tab itself.
        let (mut l, mut c) = (line, col);
        for ch in text.chars().skip(marker.index()) {
            if ch == '\t' {
                (line, col) = (l, c);
                break;
            }
            if ch == '\n' {
                (l, c) = (l + 1, 1);
            } else {
                c += 1;
            }
        }
    }
    InputError {
        path: Path::root(),
        line: Some(line),
        message: format!("malformed YAML: {} (column {col})", e.info()),
    }
}

/// A key as a string: scalars in their YAML form, anything else refused.
fn key_string(key: MarkedYaml<'_>, at: &At<'_>) -> Result<String, InputError> {
    let line = key.span.start.line();
    match key.data {
        YamlData::Value(scalar) => Ok(scalar_string(scalar)),
        YamlData::Representation(s, _, _) => Ok(s.into_owned()),
        YamlData::Tagged(_, inner) => key_string(*inner, at).map_err(|mut e| {
            e.line = Some(line);
            e
        }),
        _ => Err(InputError {
            path: at.path(),
            line: Some(line),
            message: "mapping keys must be strings, not lists or mappings".into(),
        }),
    }
}

fn scalar_string(scalar: Scalar<'_>) -> String {
    match scalar {
        Scalar::Null => String::new(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.into_inner().to_string(),
        Scalar::String(s) => s.into_owned(),
    }
}

/// Turns saphyr's node into ours; `line` is the line to report for it.
fn convert(node: MarkedYaml<'_>, line: usize, at: &At<'_>) -> Result<Node, InputError> {
    let span = (node.span.start.index(), node.span.end.index());
    let value = match node.data {
        YamlData::Value(Scalar::Null) => Value::Null,
        YamlData::Value(Scalar::Boolean(b)) => Value::Bool(b),
        YamlData::Value(Scalar::Integer(i)) => Value::Int(i),
        YamlData::Value(Scalar::FloatingPoint(f)) => Value::Float(f.into_inner()),
        YamlData::Value(Scalar::String(s)) => Value::Str(s.into_owned()),
        YamlData::Representation(s, _, _) => Value::Str(s.into_owned()),
        YamlData::Tagged(_, inner) => {
            // A tag (`!foo`) does not change the value; the inner node carries no position.
            let mut n = convert(*inner, line, at)?;
            n.span = span;
            return Ok(n);
        }
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let l = item.span.start.line();
                out.push(convert(item, l, &at.index(i))?);
            }
            Value::Seq(out)
        }
        YamlData::Mapping(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key_line = k.span.start.line();
                let key = key_string(k, at)?;
                let value = convert(v, key_line, &at.key(&key))?;
                out.push((key, value));
            }
            Value::Map(out)
        }
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(InputError {
                path: at.path(),
                line: Some(line),
                message:
                    "the value does not match its tag (e.g. `!!int abc`) or names an unknown anchor"
                        .into(),
            });
        }
    };
    Ok(Node { line, span, value })
}

/// A duplicate key: saphyr gives where the second one is; load again keeping duplicates to find
/// the mapping that holds it, and so its path.
fn duplicate_key(text: &str, e: &saphyr::ScanError) -> InputError {
    let marker = *e.marker();
    let key = key_at(text, marker.index());
    let mut path = Path::root();
    if let Some(key) = &key {
        let mut parser = saphyr_parser::Parser::new_from_str(text);
        let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
        loader.allow_duplicate_keys(true);
        if parser.load(&mut loader, true).is_ok() && loader.error().is_none() {
            for doc in loader.into_documents() {
                if let Some(p) = find_mapping_with(&doc, marker.index(), key, &Path::root()) {
                    path = p;
                    break;
                }
            }
        }
    }
    InputError {
        path,
        line: Some(marker.line().max(1)),
        message: match key {
            Some(k) => format!("duplicate key `{k}` (a key may appear once in a mapping)"),
            None => "duplicate key (a key may appear once in a mapping)".into(),
        },
    }
}

/// The innermost mapping whose span holds character `index` and that has `key`: its path + key.
fn find_mapping_with(node: &MarkedYaml<'_>, index: usize, key: &str, path: &Path) -> Option<Path> {
    let holds = |n: &MarkedYaml<'_>| n.span.start.index() <= index && index < n.span.end.index();
    match &node.data {
        YamlData::Tagged(_, inner) => find_mapping_with(inner, index, key, path),
        YamlData::Sequence(items) => items
            .iter()
            .enumerate()
            .filter(|(_, item)| holds(item))
            .find_map(|(i, item)| find_mapping_with(item, index, key, &path.index(i))),
        YamlData::Mapping(entries) => {
            if !holds(node) {
                return None;
            }
            let mut own = None;
            for (k, v) in entries {
                let name = match &k.data {
                    YamlData::Value(s) => scalar_string(s.clone()),
                    _ => continue,
                };
                if holds(v)
                    && let Some(p) = find_mapping_with(v, index, key, &path.key(&name))
                {
                    return Some(p);
                }
                if name == key {
                    own = Some(path.key(&name));
                }
            }
            own
        }
        _ => None,
    }
}

/// The key written at character `index`: quoted, or plain up to `:`.
fn key_at(text: &str, index: usize) -> Option<String> {
    let rest: String = text.chars().skip(index).take(1024).collect();
    let mut chars = rest.chars();
    let first = chars.next()?;
    let key = match first {
        '"' | '\'' => {
            let mut out = String::new();
            let mut escaped = false;
            for c in chars {
                if first == '"' && c == '\\' && !escaped {
                    escaped = true;
                    continue;
                }
                if c == first && !escaped {
                    break;
                }
                escaped = false;
                out.push(c);
            }
            out
        }
        _ => {
            let end = rest
                .char_indices()
                .find(|&(i, c)| {
                    matches!(c, '\n' | '\r' | ',' | '}' | ']' | '#')
                        || (c == ':'
                            && rest[i + 1..]
                                .chars()
                                .next()
                                .is_none_or(|n| n.is_whitespace() || matches!(n, ',' | '}')))
                })
                .map_or(rest.len(), |(i, _)| i);
            rest[..end].trim_end().to_string()
        }
    };
    (!key.is_empty()).then_some(key)
}

/// Whether the first document's top level is a mapping with one of `keys`, reading the event
/// stream without building a tree.
pub(crate) fn top_level_has(text: &str, keys: &[&str]) -> bool {
    use saphyr_parser::Event;
    let mut depth = 0_usize;
    let mut root_is_mapping = false;
    // Within the top-level mapping, nodes alternate key, value.
    let mut at_key = true;
    for event in saphyr_parser::Parser::new_from_str(text) {
        let Ok((event, _)) = event else { return false };
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 {
                    root_is_mapping = matches!(event, Event::MappingStart(..));
                    if !root_is_mapping {
                        return false;
                    }
                } else if depth == 1 {
                    at_key = !at_key;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return false;
                }
            }
            Event::Scalar(value, style, ..) => {
                if depth == 0 {
                    // A null document (`~`) is empty, as `load` reads it.
                    let null = style == saphyr_parser::ScalarStyle::Plain
                        && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                    if null {
                        continue;
                    }
                    return false;
                }
                if depth == 1 {
                    if at_key && root_is_mapping && keys.contains(&value.as_ref()) {
                        return true;
                    }
                    at_key = !at_key;
                }
            }
            Event::Alias(_) => {
                if depth == 1 {
                    at_key = !at_key;
                }
            }
            // An empty document (`---` alone) before the scenario: read on.
            Event::DocumentEnd if depth == 0 && !root_is_mapping => {}
            Event::DocumentEnd | Event::StreamEnd => return false,
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_and_items() {
        let text = "a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\ne: 'q'\n";
        let root = load(text).unwrap();
        let path = Path::root().key("a").key("c").index(1).key("d");
        assert_eq!(root.line_of(&path), Some(5));
        assert_eq!(root.line_of(&Path::root().key("a").key("c")), Some(3));
        // Longest existing prefix.
        assert_eq!(
            root.line_of(&Path::root().key("a").key("zz").key("y")),
            Some(1)
        );
        assert_eq!(root.line_of(&Path::root().key("nope")), None);
        assert_eq!(
            root.get("e").map(|n| &n.value),
            Some(&Value::Str("q".into()))
        );
    }

    #[test]
    fn an_alias_names_an_anchor_of_its_own_document() {
        // Anchors are the document's (YAML 1.2, 3.2.2.2): `Parser::load`'s unknown anchor,
        // where the event iterator the loader is fed from would have found the first
        // document's.
        let e = load_stream("a: &x 1\n---\nb: *x\n").unwrap_err();
        assert!(e.message.contains("unknown anchor"), "{}", e.message);
        assert_eq!(e.line, Some(3));
        let root = load_stream("a: &x 1\nb: *x\n").unwrap();
        assert_eq!(root.get("b").map(|n| &n.value), Some(&Value::Int(1)));
        // An anchor defined again in the second document is that document's.
        let root = load_stream("a: &x 1\n---\nb: &x 2\nc: *x\n").unwrap();
        let Value::Seq(docs) = &root.value else {
            panic!("two documents: {root:?}")
        };
        assert_eq!(docs[1].get("c").map(|n| &n.value), Some(&Value::Int(2)));
    }

    #[test]
    fn a_document_nested_past_the_limit_is_refused_on_its_line() {
        // 100,000 compact sequences on line 3: each a level, refused at the 129th before
        // the loader (or a parser that recursed a level at a time) goes deeper.
        let text = format!("a: 1\nb:\n{}x\n", "- ".repeat(100_000));
        let e = load(&text).unwrap_err();
        assert!(
            e.message.contains("nested more than 128 levels deep"),
            "{}",
            e.message
        );
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn duplicate_keys_name_the_key_and_path() {
        let e = load("a: 1\nb:\n  - c: 1\n    c: 2\n").unwrap_err();
        assert_eq!(e.path.to_string(), "b[0].c");
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("`c`"), "{}", e.message);
        let e = load("{\"a\": 1, \"b\": {\"x\": 1, \"x\": 2}}").unwrap_err();
        assert_eq!(e.path.to_string(), "b.x");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn finds_top_level_keys() {
        assert!(top_level_has("a: [1]\nclusters: []\n", &["clusters"]));
        assert!(!top_level_has("a: {clusters: 1}\n", &["clusters"]));
        assert!(!top_level_has("a: clusters\n", &["clusters"]));
        assert!(!top_level_has("[clusters]\n", &["clusters"]));
        assert!(!top_level_has("a: [\n", &["clusters"]));
        assert!(top_level_has(
            "{\"x\": {}, \"workloads\": []}",
            &["workloads"]
        ));
        assert!(!top_level_has(
            "{\"x\": {\"workloads\": 1}}",
            &["workloads"]
        ));
        assert!(top_level_has("{x: 1, workloads: []}", &["workloads"]));
        assert!(!top_level_has("{\"x\": 1}", &["workloads"]));
        assert!(top_level_has("---\n---\nworkloads: []\n", &["workloads"]));
        assert!(top_level_has(
            "---\n~\n---\nworkloads: []\n",
            &["workloads"]
        ));
        assert!(!top_level_has(
            "---\nx\n---\nworkloads: []\n",
            &["workloads"]
        ));
    }

    #[test]
    fn json_reads_as_yaml_does() {
        let docs = [
            "{\"clusters\": [{\"name\": \"east\", \"n\": 1, \"f\": 1.30, \"e\": 1e3, \"neg\": -0,\n \"big\": 123456789012345678901, \"t\": true, \"nul\": null}],\n\"s\": \"a\\\"b\\u00e9\\n\", \"u\": \"é😀\", \"empty\": {}, \"list\": [],\n \"nested\": [[1, [2]], {\"x\": {\"y\": [\n3]}}]}",
            "[1, \"two\", {\"three\": 3}]",
            "  \n{ \"a\" : 1 }\n",
        ];
        for doc in docs {
            let fast = crate::json::load(doc).unwrap();
            let yaml = load_yaml(doc, false).unwrap();
            assert_eq!(fast, yaml, "{doc}");
        }
        // JSON's surrogate pairs (saphyr's YAML reader refuses them).
        let node = crate::json::load("[\"\\ud83d\\ude00\"]").unwrap();
        assert_eq!(
            node.value,
            Value::Seq(vec![Node {
                line: 1,
                span: (1, 15),
                value: Value::Str("😀".into())
            }])
        );
        // Not strict JSON: left to YAML.
        for doc in [
            "{a: 1}",
            "{\"a\": 1} # c",
            "{\"a\": 01}",
            "{\"a\": 1}\n---\n{}",
            "{\"a\": [1,]}",
        ] {
            assert!(
                matches!(
                    crate::json::load(doc),
                    Err(crate::json::Outcome::NotJson(_))
                ),
                "{doc}"
            );
        }
        assert_eq!(
            load("{a: 1}").unwrap().get("a").map(|n| &n.value),
            Some(&Value::Int(1))
        );
        let e = crate::tree::load("{\"a\": {\"b\": 1,\n \"b\": 2}}").unwrap_err();
        assert_eq!((e.path.to_string(), e.line), ("a.b".to_string(), Some(2)));
    }

    #[test]
    fn documents() {
        assert!(load("a: 1\n---\n").is_ok());
        assert!(load("---\na: 1\n...\n").is_ok());
        let e = load("---\n---\na: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        let e = load("a: 1\n--- {b: 2}\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("several YAML documents"));
        assert!(load("---\n").unwrap_err().message.contains("empty"));
        assert!(load("~\n").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn keys_at_positions() {
        assert_eq!(key_at("  \"a b\": 1", 2).as_deref(), Some("a b"));
        assert_eq!(key_at("ab: 1", 0).as_deref(), Some("ab"));
        assert_eq!(key_at("{ab: 1}", 1).as_deref(), Some("ab"));
        assert_eq!(key_at("x", 10), None);
    }
}

#[cfg(test)]
mod to_json_tests {
    #[test]
    fn yaml_becomes_json_in_written_order() {
        let json =
            crate::yaml_to_json("b: 1\na: [x, 2.5, true, null]\nc: { d: \"q\\\"\" }\n").unwrap();
        assert_eq!(json, r#"{"b":1,"a":["x",2.5,true,null],"c":{"d":"q\""}}"#);
        assert!(crate::yaml_to_json("a: [").is_err());
    }
}

#[cfg(test)]
mod depth_tests {
    #[test]
    fn deep_block_nesting_is_refused_not_overflowed() {
        let mut text = String::from("a:\n");
        for i in 0..10_000 {
            text.push_str(&" ".repeat(i));
            text.push_str("- \n");
        }
        let error = super::load(&text).unwrap_err();
        assert!(
            error.message.contains("nested more than 128 levels"),
            "{error}"
        );
        assert_eq!(error.line, Some(129));
    }
}
