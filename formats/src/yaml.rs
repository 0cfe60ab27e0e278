//! YAML documents (feature `yaml`) read into the document tree ([`crate::tree`]).
//!
//! One pass over `saphyr-parser`'s events builds the tree (no `saphyr` document in between), which
//! keeps what the scenario parser needs: mappings in the order written (keys as strings),
//! sequences, resolved scalars (YAML 1.2 core schema), and for each value the line it is written
//! on (for a mapping's value, the line of its key) and its span in the text. [`load`] takes one
//! document, [`load_stream`] several; duplicate keys are an error naming the key.

use std::collections::{BTreeMap, BTreeSet};

use saphyr::Scalar;

use crate::error::InputError;
use crate::path::Path;
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

/// Deepest nesting read: saphyr caps flow collections itself, not block ones, so the builder
/// counts the depth on each event, before it builds anything deeper.
use crate::tree::MAX_DEPTH;

/// Most nodes aliases may copy in one input, all aliases together: saphyr's loader's own
/// default (`YamlLoader::alias_limit`), against a few nested anchors expanding into an
/// exponential number of nodes ("billion laughs").
const ALIAS_BUDGET: usize = 100_000;

/// One document as [`build`] leaves it.
enum Doc {
    /// No node at all (`---` alone), or a root scalar that does not match its tag: the line
    /// of where it ends or of that scalar. Empty documents do not count (see [`load_yaml`]).
    Empty(usize),
    /// The root node, with the first error found in it, if any (a value that does not match
    /// its tag, a key that is a list or a mapping): reported only if the document is read.
    Node(Node, Option<InputError>),
}

impl Doc {
    /// Where the document is: its root's line, or where it ends when it has none.
    fn line(&self) -> usize {
        match self {
            Doc::Empty(line) => *line,
            Doc::Node(node, _) => node.line,
        }
    }

    /// Whether the document counts as one: a node other than `null`.
    fn counts(&self) -> bool {
        matches!(self, Doc::Node(node, _) if node.value != Value::Null)
    }

    /// The root node, or the first error in it.
    fn into_node(self) -> Result<Node, InputError> {
        match self {
            Doc::Empty(line) => Ok(Node {
                line,
                span: (0, 0),
                value: Value::Null,
            }),
            Doc::Node(_, Some(e)) => Err(e),
            Doc::Node(node, None) => Ok(node),
        }
    }
}

/// A collection being read: where it starts, the line it reports (see [`Node::line`]), its
/// anchor, and what it holds so far.
struct Frame {
    start: usize,
    line: usize,
    anchor: usize,
    items: Items,
}

enum Items {
    Seq(Vec<Node>),
    /// The entries so far, the key read whose value comes next (with its line), and once the
    /// mapping has more than [`FEW_KEYS`] keys, every key read, for the duplicate check (an
    /// ordered set: meshlb keeps no hash set, whose iteration order is random).
    Map(
        Vec<(String, Node)>,
        Option<(String, usize)>,
        Option<BTreeSet<String>>,
    ),
}

/// Keys a mapping checks a new key against one by one; past them, an ordered set.
const FEW_KEYS: usize = 16;

/// Builds our tree straight from saphyr's event iterator: every rule of saphyr's loader
/// that meshlb relies on (scalars resolved by the YAML 1.2 core schema, `!!int` and the
/// other core tags checked, other tags ignored, an alias a copy of its anchor's node within
/// [`ALIAS_BUDGET`], anchors the document's own, one value a key), plus meshlb's own: keys
/// as strings and unique as strings, nesting up to [`MAX_DEPTH`], at most
/// [`crate::MAX_DOCUMENTS`] documents.
///
/// saphyr's loader built its own tree (hashed mappings of marked nodes), which was then
/// converted into ours and dropped; `perf` had allocation and freeing at 45 % of importing
/// kubectl dumps. Before that, `Parser::load` recursed a level at a time, so a pass over the
/// events checked the depth first: the text was scanned twice. Built-in default scenario
/// (3.5 KB), `meshlb_wasm::explain_text` natively (best of 5 × 3,000): two scans 213 µs, one
/// 151, this builder 130. One generated cluster's dump (289 KB, 34,743 events) to JSON:
/// 12.0 → 8.8–9.2 ms, of which the events alone 5.8–6.8. `explain --kube` of 50 such dumps
/// (14 MB): 1.35–1.39 s, then 0.95–1.03, now 0.57.
struct Builder<'t> {
    text: &'t str,
    stack: Vec<Frame>,
    docs: Vec<Doc>,
    /// Whether the current document's root has been read.
    rooted: bool,
    /// The first error of the current document (see [`Doc::Node`]).
    doc_error: Option<InputError>,
    /// The first error saphyr's loader would have given (a duplicate key, an alias past the
    /// budget): it reads on, as the loader did, so that a syntax error after it comes first.
    loader_error: Option<InputError>,
    /// Anchored nodes by id, each with its size in the alias budget's count.
    anchors: BTreeMap<usize, (Node, usize)>,
    /// Anchors below this id are earlier documents' (the event iterator numbers them across
    /// documents; `Parser::load` forgets them at each document).
    first_anchor: usize,
    next_anchor: usize,
    alias_budget: usize,
    depth: usize,
    documents: usize,
}

/// Why [`Builder`] stopped reading.
enum Stop {
    /// Past one of the input's limits.
    Input(InputError),
    /// What saphyr's parser would have said.
    Syntax(saphyr::ScanError),
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            stack: Vec::new(),
            docs: Vec::new(),
            rooted: false,
            doc_error: None,
            loader_error: None,
            anchors: BTreeMap::new(),
            first_anchor: 0,
            next_anchor: 0,
            alias_budget: ALIAS_BUDGET,
            depth: 0,
            documents: 0,
        }
    }

    /// The line the next node reports: its key's, in a mapping whose key has been read;
    /// otherwise where it starts.
    fn line_here(&self, start_line: usize) -> usize {
        match self.stack.last() {
            Some(Frame {
                items: Items::Map(_, Some((_, key_line)), _),
                ..
            }) => *key_line,
            _ => start_line,
        }
    }

    /// The path of the next node: its mapping's (`of_key`: the node is the mapping's key) or
    /// with its own key or index.
    fn path_here(&self, of_key: bool) -> Path {
        let mut path = Path::root();
        let last = self.stack.len().saturating_sub(1);
        for (i, frame) in self.stack.iter().enumerate() {
            path = match &frame.items {
                Items::Seq(items) => path.index(items.len()),
                Items::Map(_, Some((key, _)), _) if !(i == last && of_key) => path.key(key),
                Items::Map(..) => path,
            };
        }
        path
    }

    /// Records the document's first error (a later one in it is not reported).
    fn fail(&mut self, path: Path, line: usize, message: &str) {
        first_error(&mut self.doc_error, path, line, message);
    }

    fn event(
        &mut self,
        event: saphyr_parser::Event<'t>,
        span: saphyr_parser::Span,
    ) -> Result<(), Stop> {
        use saphyr_parser::Event;
        let (start, start_line) = (span.start.index(), span.start.line());
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Stop::Input(root_error(
                        Some(start_line),
                        &format!("the document is nested more than {MAX_DEPTH} levels deep"),
                    )));
                }
                self.see_anchor(anchor);
                let items = match event {
                    Event::SequenceStart(..) => Items::Seq(Vec::new()),
                    _ => Items::Map(Vec::new(), None, None),
                };
                let line = self.line_here(start_line);
                self.stack.push(Frame {
                    start,
                    line,
                    anchor,
                    items,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.depth = self.depth.saturating_sub(1);
                if let Some(frame) = self.stack.pop() {
                    let value = match frame.items {
                        Items::Seq(items) => Value::Seq(items),
                        Items::Map(entries, ..) => Value::Map(entries),
                    };
                    let node = Node {
                        line: frame.line,
                        span: (frame.start, start),
                        value,
                    };
                    self.place(node, frame.anchor, true, start_line)?;
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.see_anchor(anchor);
                // A tag outside the core schema does not change the value (`!degree 50`).
                let tag = tag.filter(|t| t.is_yaml_core_schema());
                let line = self.line_here(start_line);
                let value = match Scalar::parse_from_cow_and_metadata(text, style, tag.as_ref()) {
                    Some(scalar) => scalar_value(scalar),
                    None => {
                        let of_key = self.at_key();
                        let path = self.path_here(of_key);
                        if of_key {
                            self.fail(path, start_line, NOT_A_STRING_KEY);
                        } else if self.stack.is_empty() {
                            // A root that is no value: as empty a document as none.
                            self.docs.push(Doc::Empty(start_line));
                            self.rooted = true;
                            return Ok(());
                        } else {
                            self.fail(path, line, NO_VALUE);
                        }
                        Value::Null
                    }
                };
                let node = Node {
                    line,
                    span: (start, span.end.index()),
                    value,
                };
                self.place(node, anchor, false, start_line)?;
            }
            Event::Alias(id) => {
                let Some((anchored, size)) = (id >= self.first_anchor)
                    .then(|| self.anchors.get(&id))
                    .flatten()
                    .map(|(node, size)| (node, *size))
                else {
                    // An earlier document's anchor (this one's, not yet complete, is no anchor
                    // yet either: saphyr's loader gave no value then).
                    if id < self.first_anchor {
                        return Err(Stop::Syntax(saphyr::ScanError::new_str(
                            span.start,
                            "while parsing node, found unknown anchor",
                        )));
                    }
                    let path = self.path_here(self.at_key());
                    let line = self.line_here(start_line);
                    self.fail(path, line, NO_VALUE);
                    let node = Node {
                        line,
                        span: (start, span.end.index()),
                        value: Value::Null,
                    };
                    return self.place(node, 0, false, start_line);
                };
                if size > self.alias_budget {
                    if self.loader_error.is_none() {
                        let e = saphyr::ScanError::new_str(
                            span.start,
                            "alias expansion exceeded the maximum node budget (possible billion-laughs attack)",
                        );
                        self.loader_error = Some(syntax_error(self.text, &e));
                    }
                    // No copy: the budget is spent.
                    self.alias_budget = 0;
                    let node = Node {
                        line: self.line_here(start_line),
                        span: (start, span.end.index()),
                        value: Value::Null,
                    };
                    return self.place(node, 0, false, start_line);
                }
                self.alias_budget -= size;
                let mut node = anchored.clone();
                node.line = self.line_here(start_line);
                node.span = (start, span.end.index());
                let collection = matches!(node.value, Value::Seq(_) | Value::Map(_));
                self.place(node, 0, collection, start_line)?;
            }
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > crate::MAX_DOCUMENTS {
                    return Err(Stop::Input(root_error(
                        Some(start_line),
                        &format!(
                            "more than {} YAML documents (`---`) in one input; meshlb reads at most that many",
                            crate::MAX_DOCUMENTS
                        ),
                    )));
                }
                // The earlier documents' anchors are out of reach (see `first_anchor`).
                self.first_anchor = self.next_anchor;
                self.anchors.clear();
                self.rooted = false;
                self.doc_error = None;
            }
            Event::DocumentEnd => {
                if !self.rooted {
                    self.docs.push(Doc::Empty(start_line));
                }
                self.rooted = false;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Whether the next node is a mapping's key.
    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                items: Items::Map(_, None, _),
                ..
            })
        )
    }

    /// Notes an anchor's id (they are numbered from 1 as met; 0: none).
    fn see_anchor(&mut self, anchor: usize) {
        if anchor > 0 {
            self.next_anchor = self.next_anchor.max(anchor + 1);
        }
    }

    /// Puts a complete node where it belongs: the document's root, a list's next item, a
    /// mapping's key or the value of the key before it. `start_line` is where the node
    /// starts (a key's line).
    fn place(
        &mut self,
        node: Node,
        anchor: usize,
        collection: bool,
        start_line: usize,
    ) -> Result<(), Stop> {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size(&node)));
        }
        let Some(frame) = self.stack.last_mut() else {
            let error = self.doc_error.take();
            self.docs.push(Doc::Node(node, error));
            self.rooted = true;
            return Ok(());
        };
        let again = match &mut frame.items {
            Items::Seq(items) => {
                items.push(node);
                return Ok(());
            }
            Items::Map(entries, key @ Some(_), _) => {
                if let Some((name, _)) = key.take() {
                    entries.push((name, node));
                }
                return Ok(());
            }
            // A key: the mapping's next, unless it is a list or a mapping.
            Items::Map(_, key @ None, _) if collection => {
                *key = Some((String::new(), start_line));
                let path = self.path_here(true);
                self.fail(path, start_line, NOT_A_STRING_KEY);
                return Ok(());
            }
            Items::Map(entries, key @ None, seen) => {
                let name = key_string(node.value);
                let again = match seen {
                    Some(seen) => !seen.insert(name.clone()),
                    None if entries.len() < FEW_KEYS => entries.iter().any(|(k, _)| *k == name),
                    None => {
                        let mut keys: BTreeSet<String> =
                            entries.iter().map(|(k, _)| k.clone()).collect();
                        let again = !keys.insert(name.clone());
                        *seen = Some(keys);
                        again
                    }
                };
                *key = Some((name, start_line));
                again
            }
        };
        if again && self.loader_error.is_none() {
            let name = match self.stack.last() {
                Some(Frame {
                    items: Items::Map(_, Some((name, _)), _),
                    ..
                }) => name.clone(),
                _ => String::new(),
            };
            // The key just read is the path's last segment.
            self.loader_error = Some(InputError {
                path: self.path_here(false),
                line: Some(start_line),
                message: format!("duplicate key `{name}` (a key may appear once in a mapping)"),
            });
        }
        Ok(())
    }
}

/// Sets `slot` to the error unless it holds one.
fn first_error(slot: &mut Option<InputError>, path: Path, line: usize, message: &str) {
    if slot.is_none() {
        *slot = Some(InputError {
            path,
            line: Some(line),
            message: message.into(),
        });
    }
}

/// A mapping key that is a list or a mapping (or no value at all).
const NOT_A_STRING_KEY: &str = "mapping keys must be strings, not lists or mappings";

/// A scalar that does not match its tag, or an alias to no anchor.
const NO_VALUE: &str =
    "the value does not match its tag (e.g. `!!int abc`) or names an unknown anchor";

/// How many nodes a copy of `node` makes in the alias budget's count (saphyr's: a node, and
/// one more for each mapping key).
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(size).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| 1 + size(v)).sum(),
        _ => 0,
    }
}

/// Every document of the text ([`Builder`]). The first of a syntax error and a limit passed
/// comes first (the parser stops at either), then the loader's error (a duplicate key, an
/// alias past the budget); a document's own errors come with it.
fn build(text: &str) -> Result<Vec<Doc>, InputError> {
    let mut builder = Builder::new(text);
    for item in saphyr_parser::Parser::new_from_str(text) {
        let stop = match item {
            Ok((event, span)) => match builder.event(event, span) {
                Ok(()) => continue,
                Err(stop) => stop,
            },
            Err(e) => Stop::Syntax(e),
        };
        return Err(match stop {
            Stop::Input(e) => e,
            Stop::Syntax(e) => syntax_error(builder.text, &e),
        });
    }
    match builder.loader_error {
        Some(e) => Err(e),
        None => Ok(builder.docs),
    }
}

/// The YAML loader: one document, or with `several` a stream of them as a list.
fn load_yaml(text: &str, several: bool) -> Result<Node, InputError> {
    let docs = build(text)?;
    let first_line = docs.first().map(Doc::line);
    // Empty documents (a trailing `---`) do not count.
    let mut docs = docs.into_iter().filter(Doc::counts).peekable();
    let Some(doc) = docs.next() else {
        return Err(root_error(first_line, "the document is empty"));
    };
    if several && docs.peek().is_some() {
        let mut items = vec![doc.into_node()?];
        let start = items.first().map_or(0, |n| n.span.0);
        for (i, d) in docs.enumerate() {
            items.push(d.into_node().map_err(|mut e| {
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
            Some(document_marker(text, second.line())),
            "the input holds several YAML documents (`---`): a scenario is one document",
        ));
    }
    doc.into_node()
}

/// Loads every document of a YAML stream (`---` separated; `kubectl get -o yaml` output and
/// files of several objects), empty documents included as `null` nodes so that document
/// indices match the text.
///
/// # Errors
/// As [`load`], except that several documents are expected.
#[cfg(feature = "kube")]
pub(crate) fn load_all(text: &str) -> Result<Vec<Node>, InputError> {
    build(text)?.into_iter().map(Doc::into_node).collect()
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

/// A key as a string: scalars in their YAML form.
fn key_string(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s,
        // Collections are placed as keys by `Builder::place` with their own error.
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

fn scalar_value(scalar: Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::Int(i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.into_owned()),
    }
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
    fn keys_are_unique_as_the_strings_they_become() {
        // `1` and `"1"` are different YAML values but the same key here (keys are strings):
        // kept both, a lookup would find the first and drop the second unseen.
        let e = load("a: x\n1: y\n\"1\": z\n").unwrap_err();
        assert_eq!(e.path.to_string(), "1");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("duplicate key `1`"), "{}", e.message);
        // Past the keys checked one by one: 10,000 keys, the last a repeat of the 5,000th.
        let mut text: String = (0..10_000).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k4999: again\n");
        let e = load(&text).unwrap_err();
        assert_eq!(e.path.to_string(), "k4999");
        assert_eq!(e.line, Some(10_001));
        assert_eq!(load(&text[..text.len() - 13]).map(|n| n.line), Ok(1));
    }

    #[test]
    fn a_syntax_error_comes_before_a_duplicate_key_written_above_it() {
        // As saphyr's loader read on past a duplicate key and its parser's error came first.
        let e = load("a: 1\na: 2\nb: [1, 2\n").unwrap_err();
        assert!(e.message.starts_with("malformed YAML"), "{}", e.message);
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn an_alias_is_a_copy_of_its_anchor_within_a_budget() {
        // The copy reports the alias's line; what it holds keeps the lines written.
        let root = load("a: &x\n  b: 1\nc: *x\n").unwrap();
        let c = root.get("c").unwrap();
        assert_eq!(c.line, 3);
        assert_eq!(
            c.get("b").map(|b| (&b.value, b.line)),
            Some((&Value::Int(1), 2))
        );
        // "Billion laughs": nine levels of ten aliases each would be 10^9 nodes.
        let mut text = String::from("l0: &l0 [x]\n");
        for i in 1..10 {
            let refs = vec![format!("*l{}", i - 1); 10].join(", ");
            text.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        let e = load(&text).unwrap_err();
        assert!(
            e.message.contains("alias expansion exceeded"),
            "{}",
            e.message
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

#[cfg(test)]
mod oracle_tests {
    use super::load_stream;

    /// The reader as it was until 2026-12-06, kept as the oracle for [`Builder`]: saphyr's own
    /// loader (`YamlLoader` over `MarkedYaml`, after a pass checking the depth, since
    /// `Parser::load` recurses), its tree converted as meshlb converted it then. `None` for any
    /// error.
    mod saphyr_loader {
        use saphyr::{MarkedYaml, Scalar, YamlData, YamlLoader};

        use crate::tree::{MAX_DEPTH, Node, Value};

        fn shallow(text: &str) -> bool {
            use saphyr_parser::Event;
            let (mut depth, mut documents) = (0_usize, 0_usize);
            for item in saphyr_parser::Parser::new_from_str(text) {
                let Ok((event, _)) = item else { return true };
                match event {
                    Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
                    Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
                    Event::DocumentStart(..) => documents += 1,
                    _ => {}
                }
                if depth > MAX_DEPTH || documents > crate::MAX_DOCUMENTS {
                    return false;
                }
            }
            true
        }

        fn key(key: MarkedYaml<'_>) -> Option<String> {
            match key.data {
                YamlData::Value(Scalar::Null) => Some(String::new()),
                YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
                YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
                YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.into_inner().to_string()),
                YamlData::Value(Scalar::String(s)) => Some(s.into_owned()),
                YamlData::Tagged(_, inner) => self::key(*inner),
                _ => None,
            }
        }

        fn convert(node: MarkedYaml<'_>, line: usize) -> Option<Node> {
            let span = (node.span.start.index(), node.span.end.index());
            let value = match node.data {
                YamlData::Value(Scalar::Null) => Value::Null,
                YamlData::Value(Scalar::Boolean(b)) => Value::Bool(b),
                YamlData::Value(Scalar::Integer(i)) => Value::Int(i),
                YamlData::Value(Scalar::FloatingPoint(f)) => Value::Float(f.into_inner()),
                YamlData::Value(Scalar::String(s)) => Value::Str(s.into_owned()),
                YamlData::Tagged(_, inner) => {
                    let mut n = convert(*inner, line)?;
                    n.span = span;
                    return Some(n);
                }
                YamlData::Sequence(items) => Value::Seq(
                    items
                        .into_iter()
                        .map(|item| {
                            let l = item.span.start.line();
                            convert(item, l)
                        })
                        .collect::<Option<_>>()?,
                ),
                YamlData::Mapping(entries) => {
                    let mut out = Vec::new();
                    for (k, v) in entries {
                        let key_line = k.span.start.line();
                        out.push((key(k)?, convert(v, key_line)?));
                    }
                    Value::Map(out)
                }
                _ => return None,
            };
            Some(Node { line, span, value })
        }

        /// `load_stream` as it was.
        pub(super) fn load_stream(text: &str) -> Option<Node> {
            if !shallow(text) {
                return None;
            }
            let mut parser = saphyr_parser::Parser::new_from_str(text);
            let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
            if parser.load(&mut loader, true).is_err() || loader.error().is_some() {
                return None;
            }
            let empty = |d: &MarkedYaml<'_>| {
                matches!(d.data, YamlData::BadValue | YamlData::Value(Scalar::Null))
            };
            let docs: Vec<MarkedYaml<'_>> = loader
                .into_documents()
                .into_iter()
                .filter(|d| !empty(d))
                .collect();
            let mut nodes = Vec::new();
            let start = docs.first()?.span.start.index();
            for doc in docs {
                let line = doc.span.start.line();
                nodes.push(convert(doc, line)?);
            }
            if nodes.len() == 1 {
                return nodes.pop();
            }
            Some(Node {
                line: nodes.first()?.line,
                span: (start, text.chars().count()),
                value: Value::Seq(nodes),
            })
        }
    }

    /// Every YAML (and JSON) text the project holds, and cuts of each, read by [`Builder`] and
    /// by saphyr's own loader as meshlb read YAML before it: the same trees (values, lines,
    /// spans) where the loader read the text, an error where it gave one. The one difference
    /// allowed: keys the loader told apart by type (`1`, `"1"`) are one key here, an error.
    #[test]
    fn reads_as_saphyrs_own_loader_did() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![root.join("examples"), root.join("tests")];
        for target in ["yaml", "kube", "scenario", "envoy", "explain"] {
            dirs.push(root.join("fuzz").join("corpus").join(target));
        }
        dirs.push(root.join("..").join("shared").join("real-inputs"));
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path)
                    && text.len() <= 1 << 20
                {
                    files.push((path, text));
                }
            }
        }
        assert!(files.len() > 100, "{} files", files.len());
        let (mut same, mut refused) = (0, 0);
        for (path, text) in &files {
            // The whole text, then cut at up to 12 line ends (most cuts are malformed).
            let ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
            let step = ends.len() / 12 + 1;
            let cuts = ends.iter().step_by(step).map(|&i| &text[..i]);
            for text in std::iter::once(text.as_str()).chain(cuts) {
                let ours = load_stream(text);
                match (saphyr_loader::load_stream(text), ours) {
                    (Some(theirs), Ok(ours)) => {
                        assert_eq!(ours, theirs, "{}", path.display());
                        same += 1;
                    }
                    (None, Err(_)) => refused += 1,
                    (Some(_), Err(e)) => assert!(
                        e.message.starts_with("duplicate key"),
                        "{}: read by the loader, not by the builder: {e}",
                        path.display()
                    ),
                    (None, Ok(_)) => {
                        panic!(
                            "{}: refused by the loader, read by the builder",
                            path.display()
                        )
                    }
                }
            }
        }
        assert!(
            same > 100 && refused > 100,
            "{same} read alike, {refused} refused by both"
        );
    }
}
