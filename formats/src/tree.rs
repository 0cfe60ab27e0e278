//! The document tree every input is read into: meshlb's JSON reader ([`parse_json`]) and, with
//! the `yaml` feature, the YAML loader (saphyr) give the same [`Node`]s, each knowing its line.
//!
//! Scenarios, Envoy input and the proxy-wasm filter's configuration are all walked as this
//! tree, so a message can name the path and the line of any value, whatever the format.

use crate::error::InputError;
use crate::names::lower_camel;
use crate::path::{Path, Segment};

/// Deepest nesting of mappings and sequences meshlb reads. A scenario needs about ten levels;
/// trees are built and read recursively, so deeper input is refused before it is built.
pub(crate) const MAX_DEPTH: usize = 128;

/// A value of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (in YAML also `~` or nothing).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits `i64`, written without fraction or exponent.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence (a JSON array).
    Seq(Vec<Node>),
    /// A mapping (a JSON object), in the order written; keys are unique.
    Map(Vec<(String, Node)>),
}

/// A value and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line: of the key for a mapping's value, else where the value starts.
    pub line: usize,
    /// Character range of the value in the text. A JSON mapping or list runs from its opening
    /// bracket up to (not including) its closing one, as the YAML loader's flow collections
    /// do; a YAML block collection ends where the next token starts.
    pub span: (usize, usize),
    /// The value.
    pub value: Value,
}

impl Node {
    /// What kind of value this is, for messages (`a string`, `a mapping`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The value of `key` when this is a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, when this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The line of the value at `path`, or of its longest prefix that exists (`None` when not
    /// even the first step does). Keys match as written or in lowerCamelCase (`port_level_settings`
    /// is `portLevelSettings`).
    #[must_use]
    pub fn line_of(&self, path: &Path) -> Option<usize> {
        let mut node = self;
        let mut line = None;
        for segment in &path.0 {
            let next = match (segment, &node.value) {
                (Segment::Key(want), Value::Map(entries)) => entries
                    .iter()
                    .find(|(k, _)| k == want)
                    .or_else(|| {
                        let camel = lower_camel(want);
                        entries
                            .iter()
                            .find(|(k, _)| *k == camel || lower_camel(k) == *want)
                    })
                    .map(|(_, v)| v),
                (Segment::Index(i), Value::Seq(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => {
                    line = Some(n.line);
                    node = n;
                }
                None => break,
            }
        }
        line
    }

    /// The value as compact JSON text, mappings in their written order. `text` is the document
    /// the node was read from: a number is written as it is there when that is a JSON number
    /// (`1.30` stays `1.30`: a scenario's `istioVersion` tells 1.30 from 1.3 by its text), else
    /// by value; a float that is not finite (YAML's `.inf`, `.nan`) becomes `null`, as JSON has
    /// no such numbers.
    #[must_use]
    pub fn to_json(&self, text: &str) -> String {
        let mut out = String::new();
        self.write_json(text, &mut out);
        out
    }

    fn write_json(&self, text: &str, out: &mut String) {
        use std::fmt::Write as _;
        match &self.value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(_) | Value::Float(_) if is_json_number(&raw(text, self.span)) => {
                out.push_str(&raw(text, self.span));
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            // `{:?}` is the shortest text that reads back as the same f64 (`1.0`, `1e300`).
            Value::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f:?}");
            }
            Value::Float(_) => out.push_str("null"),
            Value::Str(s) => json_string(s, out),
            Value::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(text, out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(key, out);
                    out.push(':');
                    value.write_json(text, out);
                }
                out.push('}');
            }
        }
    }
}

/// A mapping's members, checked against the names a reader knows ([`Node::members`]).
#[derive(Debug)]
pub struct Members<'n> {
    path: Path,
    fields: crate::object::Fields<'n>,
}

impl<'n> Members<'n> {
    /// The member `name`, unless absent or `null`, with its path.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<(&'n Node, Path)> {
        self.fields
            .get(name)
            .map(|(key, node)| (node, self.path.key(key)))
    }

    /// The member `name`, or an error naming it as missing (`what` says what it holds).
    ///
    /// # Errors
    /// `missing field `name` (what)` at the mapping's path.
    pub fn require(&self, name: &str, what: &str) -> Result<(&'n Node, Path), InputError> {
        self.get(name)
            .ok_or_else(|| InputError::at(&self.path, format!("missing field `{name}` ({what})")))
    }
}

impl Node {
    /// This node as a mapping whose keys are all among `known` (`path` is where it is, for
    /// messages).
    ///
    /// # Errors
    /// Not a mapping; an unknown key (with a "did you mean" hint).
    pub fn members(&self, path: &Path, known: &[&'static str]) -> Result<Members<'_>, InputError> {
        use crate::object::{Misread, Shape, read};
        let fields = read(self, &Shape::own("", known), |_, _, _| {}).map_err(|e| match e {
            Misread::NotAMapping => {
                self.error(path, format!("expected a mapping, found {}", self.kind()))
            }
            Misread::Key(key, line, message) => InputError {
                path: path.key(key),
                line: Some(line),
                message,
            },
        })?;
        Ok(Members {
            path: path.clone(),
            fields,
        })
    }

    /// The string this node holds.
    ///
    /// # Errors
    /// Another kind of value.
    pub fn string(&self, path: &Path) -> Result<&str, InputError> {
        self.as_str()
            .ok_or_else(|| self.error(path, format!("expected a string, found {}", self.kind())))
    }

    /// The integer this node holds, between 0 and `max`: a JSON number, or a string of decimal
    /// digits (as proto3 JSON writes 64-bit integers, which JSON numbers cannot all hold).
    ///
    /// # Errors
    /// Not an integer, negative, or above `max`; a number written with a fraction or exponent
    /// above 2^53 (where such numbers stop being exact) when `max` allows it: it must be written
    /// as a string of digits.
    pub fn uint(&self, path: &Path, max: u64) -> Result<u64, InputError> {
        /// 2^53: integers up to here are exact as f64.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let too_large = |n: &dyn std::fmt::Display| {
            self.error(path, format!("{n} is too large (at most {max})"))
        };
        let n = match &self.value {
            Value::Int(i) if *i >= 0 => i.unsigned_abs(),
            Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<u64>().map_err(|_| too_large(s))?
            }
            // `1e3`, or an integer past i64 (the reader keeps those as floats).
            Value::Float(f) if *f >= 0.0 && f.fract() == 0.0 => {
                if *f > max as f64 {
                    return Err(too_large(f));
                }
                if *f > EXACT {
                    return Err(self.error(
                        path,
                        "the number is beyond 2^53, where JSON numbers lose precision: write it as a string of digits".into(),
                    ));
                }
                *f as u64
            }
            _ if max == u64::MAX => {
                return Err(self.error(
                    path,
                    format!("expected a non-negative integer, found {}", self.describe()),
                ));
            }
            _ => {
                return Err(self.error(
                    path,
                    format!(
                        "expected an integer between 0 and {max}, found {}",
                        self.describe()
                    ),
                ));
            }
        };
        if n > max {
            return Err(too_large(&n));
        }
        Ok(n)
    }

    /// The number this node holds.
    ///
    /// # Errors
    /// Not a number.
    pub fn number(&self, path: &Path) -> Result<f64, InputError> {
        match self.value {
            Value::Int(i) => Ok(i as f64),
            Value::Float(f) => Ok(f),
            _ => Err(self.error(path, format!("expected a number, found {}", self.kind()))),
        }
    }

    /// A short description for messages: `"7"`, `-1`, `a list`.
    fn describe(&self) -> String {
        match &self.value {
            Value::Str(s) => format!("{s:?}"),
            Value::Int(i) => format!("{i}"),
            _ => self.kind().into(),
        }
    }

    fn error(&self, path: &Path, message: String) -> InputError {
        InputError {
            path: path.clone(),
            line: Some(self.line),
            message,
        }
    }

    /// The text of this node as written in `text`, the JSON document it was read from (a
    /// mapping or list through its closing bracket). For JSON only: a YAML block collection's
    /// span ends elsewhere (see [`Node::span`]).
    #[must_use]
    pub fn source(&self, text: &str) -> String {
        let (start, end) = self.span;
        let end = match self.value {
            Value::Map(_) | Value::Seq(_) => end + 1,
            _ => end,
        };
        raw(text, (start, end))
    }
}

/// Whether `s` is a number as JSON writes one (RFC 8259 §6).
fn is_json_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let int = digits(s);
    if int == 0 || (int > 1 && s.starts_with('0')) {
        return false;
    }
    let mut rest = &s[int..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        if n == 0 {
            return false;
        }
        rest = &exponent[n..];
    }
    rest.is_empty()
}

/// `s` as a JSON string literal (RFC 8259 §7: `"`, `\` and control characters escaped).
pub fn json_string(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The text of the character range `span` (for messages that quote the input).
pub(crate) fn raw(text: &str, span: (usize, usize)) -> String {
    text.chars()
        .skip(span.0)
        .take(span.1.saturating_sub(span.0))
        .collect()
}

/// Reads a JSON document (strictly: RFC 8259) into the tree.
///
/// # Errors
/// Malformed JSON (`malformed JSON: expected ... (column C)` on its line), a duplicate key
/// (naming it, its path and line), nesting deeper than 128 levels.
pub fn parse_json(text: &str) -> Result<Node, InputError> {
    crate::json::parse(text)
}

/// Loads a file that may hold several documents: JSON (one document), or with the `yaml`
/// feature a YAML stream, several documents becoming a list of them.
///
/// # Errors
/// As [`load`], without the one-document rule.
pub(crate) fn load_stream(text: &str) -> Result<Node, InputError> {
    if crate::json::looks_like_json(text) {
        match crate::json::load(text) {
            Ok(node) => return Ok(node),
            Err(crate::json::Outcome::Invalid(e)) => return Err(e),
            Err(crate::json::Outcome::NotJson(_)) => {}
        }
    }
    #[cfg(feature = "yaml")]
    if let Ok(node) = crate::yaml::load_stream(text) {
        return Ok(node);
    }
    // The one-document reader's message says best what is wrong.
    load(text)
}

/// Loads one scenario document: JSON, or with the `yaml` feature any YAML.
///
/// # Errors
/// Malformed input with its line, several documents, an empty document, a duplicate key
/// (naming it, its path and line), a mapping key that is not a scalar, an unresolvable value;
/// without the `yaml` feature, text that is not JSON.
pub(crate) fn load(text: &str) -> Result<Node, InputError> {
    let json_error = if crate::json::looks_like_json(text) {
        match crate::json::load(text) {
            Ok(node) => return Ok(node),
            Err(crate::json::Outcome::Invalid(e)) => return Err(e),
            Err(crate::json::Outcome::NotJson(syntax)) => Some(syntax),
        }
    } else {
        None
    };
    load_not_json(text, json_error)
}

/// Text the JSON reader did not take (`json_error`: its syntax error, when it looked like JSON):
/// YAML reads it (or says what is wrong). Text that YAML cannot read either gets the JSON
/// reader's message when it is JSON past its first key (`{"clusters": [` ...): the message a
/// JSON-only build (the proxy-wasm filter) gives for the same text. YAML flow style
/// (`{clusters: [`) keeps YAML's.
#[cfg(feature = "yaml")]
fn load_not_json(text: &str, json_error: Option<crate::json::Syntax>) -> Result<Node, InputError> {
    crate::yaml::load(text).map_err(|yaml| match json_error {
        Some(json) if !json.at_first_key => json.into_error(),
        _ => yaml,
    })
}

/// Without YAML: the JSON reader's error, or why text that is not JSON is refused.
#[cfg(not(feature = "yaml"))]
fn load_not_json(text: &str, json_error: Option<crate::json::Syntax>) -> Result<Node, InputError> {
    Err(match json_error {
        Some(json) => json.into_error(),
        None => InputError {
            path: Path::root(),
            line: Some(1),
            message: if text.trim().is_empty() {
                "the document is empty".into()
            } else {
                NO_YAML.into()
            },
        },
    })
}

/// Why a build without the `yaml` feature refuses text that is not JSON.
#[cfg(not(feature = "yaml"))]
pub(crate) const NO_YAML: &str = "not JSON: this build of meshlb reads JSON only (it is built without YAML, as the proxy-wasm filter is); turn a YAML scenario into JSON with `meshlb convert FILE`";

/// Whether the document's top level is a mapping with one of `keys`, without building a tree.
pub(crate) fn top_level_has(text: &str, keys: &[&str]) -> bool {
    if crate::json::looks_like_json(text)
        && let Some(found) = crate::json::top_level_has(text, keys)
    {
        return found;
    }
    #[cfg(feature = "yaml")]
    {
        crate::yaml::top_level_has(text, keys)
    }
    #[cfg(not(feature = "yaml"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_in_written_order() {
        let text = r#"{"b":1,"a":["x\n\"",2.5,true,null,-3,1e300],"c":{"d":"\u0001é"}}"#;
        let node = parse_json(text).unwrap();
        assert_eq!(
            node.to_json(text),
            r#"{"b":1,"a":["x\n\"",2.5,true,null,-3,1e300],"c":{"d":"\u0001é"}}"#
        );
    }

    #[test]
    fn numbers_are_written_as_written() {
        let text = "{\"istioVersion\": 1.30, \"w\": 1e3, \"n\": -0.50}";
        assert_eq!(
            parse_json(text).unwrap().to_json(text),
            "{\"istioVersion\":1.30,\"w\":1e3,\"n\":-0.50}"
        );
        for (s, json) in [
            ("1", true),
            ("-0", true),
            ("1.5e-3", true),
            ("01", false),
            ("1.", false),
            (".5", false),
            ("1e", false),
            ("0x1F", false),
            ("+1", false),
            ("", false),
        ] {
            assert_eq!(is_json_number(s), json, "{s}");
        }
    }

    #[test]
    fn json_numbers_resolve_as_yaml_core_schema() {
        let node = parse_json(r#"[1, -0, 1.0, 1e2, 9223372036854775808]"#).unwrap();
        let Value::Seq(items) = node.value else {
            panic!("a list")
        };
        let values: Vec<Value> = items.into_iter().map(|n| n.value).collect();
        assert_eq!(
            values,
            [
                Value::Int(1),
                Value::Int(0),
                Value::Float(1.0),
                Value::Float(100.0),
                Value::Float(9_223_372_036_854_775_808.0)
            ]
        );
    }

    #[test]
    fn malformed_json_names_line_column_and_expectation() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "{\"a\": 1,\n \"b\" 2}",
                2,
                "malformed JSON: expected `:` after the key (column 6)",
            ),
            (
                "{\"a\": [1, 2}",
                1,
                "malformed JSON: expected `,` or `]` (column 12)",
            ),
            (
                "{\"a\": tru}",
                1,
                "malformed JSON: expected a value (column 7)",
            ),
            (
                "{\"a\": 1",
                1,
                "malformed JSON: unexpected end of the document (column 8)",
            ),
            (
                "{\"a\": 1} x",
                1,
                "malformed JSON: trailing characters after the document (column 10)",
            ),
            (
                "{\"a\": 1, b: 1}",
                1,
                "malformed JSON: expected a key (a string in double quotes) (column 10)",
            ),
            (
                "{\"a\": \"x\ny\"}",
                1,
                "malformed JSON: control character in a string (escape it) (column 9)",
            ),
            (
                "{\"a\": 01}",
                1,
                "malformed JSON: expected `,` or `}` (column 8)",
            ),
            ("  ", 1, "malformed JSON: the document is empty (column 3)"),
        ];
        for (text, line, message) in cases {
            let e = parse_json(text).unwrap_err();
            assert_eq!(
                (e.line, e.message.as_str()),
                (Some(*line), *message),
                "{text:?}"
            );
        }
    }

    #[test]
    fn duplicate_keys_and_depth_are_refused() {
        let e = parse_json("{\"a\": {\"b\": 1,\n \"b\": 2}}").unwrap_err();
        assert_eq!(e.path.to_string(), "a.b");
        assert_eq!(e.line, Some(2));
        // 128 levels of lists read; 129 are refused, as the YAML loader refuses them.
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_json(&nested(128)).is_ok());
        let e = parse_json(&nested(129)).unwrap_err();
        assert!(e.message.contains("nested more than 128 levels"), "{e}");
        assert!(parse_json(&nested(100_000)).is_err());
        // Many keys: the duplicate is found past the small-mapping scan too.
        let mut doc: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        assert!(parse_json(&format!("{{{}}}", doc.join(","))).is_ok());
        doc.push("\"k7\": 0".into());
        let e = parse_json(&format!("{{{}}}", doc.join(","))).unwrap_err();
        assert_eq!(e.path.to_string(), "k7");
    }

    #[test]
    fn lines_follow_keys() {
        let node = parse_json("{\n \"a\": {\n  \"b\": [\n   1,\n   {\"c\": 2}]}}").unwrap();
        let path = Path::root().key("a").key("b").index(1).key("c");
        assert_eq!(node.line_of(&path), Some(5));
        assert_eq!(node.line_of(&Path::root().key("a").key("zz")), Some(2));
    }

    /// The JSON-only build (the proxy-wasm filter's): JSON scenarios load, YAML is refused
    /// with the way to convert it, broken JSON gets the JSON reader's message.
    #[cfg(not(feature = "yaml"))]
    #[test]
    fn without_yaml_flow_style_yaml_gets_the_way_to_convert_it() {
        let e = parse_json("{a: 1}").unwrap_err();
        assert!(
            e.message
                .ends_with("`meshlb convert FILE` turns a YAML scenario into JSON"),
            "{e}"
        );
    }

    #[cfg(not(feature = "yaml"))]
    #[test]
    fn without_yaml_json_loads_and_yaml_is_refused() {
        let scenario = r#"{"clusters": [{"name": "east"}],
            "services": [{"name": "r", "namespace": "ns", "clusters": ["east"]}],
            "workloads": [{"service": "r.ns", "cluster": "east", "address": "10.0.0.1", "port": 80}],
            "client": {"cluster": "east", "namespace": "ns"}, "request": {"host": "r.ns.svc.cluster.local"}}"#;
        let loaded = crate::load("s.json", scenario, &crate::Options::default()).unwrap();
        assert_eq!(loaded.explain().endpoints.len(), 1);
        let e = crate::load(
            "s.yaml",
            "clusters: [{name: east}]\n",
            &crate::Options::default(),
        )
        .unwrap_err();
        assert_eq!(e, format!("s.yaml: {NO_YAML} (line 1)"));
        let e = load("{\"clusters\": [\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "clusters[0]: malformed JSON: unexpected end of the document (column 1) (line 2)"
        );
    }

    #[test]
    fn unsigned_integers_as_numbers_or_digit_strings() {
        let node = parse_json(
            r#"[7, "18446744073709551615", 1e3, 18446744073709551615, -1, 1.5, "18446744073709551616", "7x", 300]"#,
        )
        .unwrap();
        let Value::Seq(items) = &node.value else {
            panic!("a list")
        };
        let at = Path::root();
        let read = |i: usize, max: u64| items[i].uint(&at, max).map_err(|e| e.message);
        assert_eq!(read(0, u64::MAX), Ok(7));
        assert_eq!(read(1, u64::MAX), Ok(u64::MAX));
        assert_eq!(read(2, u64::MAX), Ok(1000));
        assert!(read(3, u64::MAX).unwrap_err().contains("beyond 2^53"));
        assert!(read(4, 10).unwrap_err().contains("found -1"));
        assert!(read(5, 10).unwrap_err().contains("found a number"));
        assert!(read(6, u64::MAX).unwrap_err().contains("too large"));
        assert!(read(7, 10).unwrap_err().contains("found \"7x\""));
        assert_eq!(read(8, 255), Err("300 is too large (at most 255)".into()));
        let node = parse_json(r#"[9007199254740992.0, 9007199254740994.0, 1e20, "+80"]"#).unwrap();
        let Value::Seq(items) = &node.value else {
            panic!("a list")
        };
        let read = |i: usize, max: u64| items[i].uint(&at, max).map_err(|e| e.message);
        assert_eq!(read(0, u64::MAX), Ok(1 << 53));
        assert!(read(1, u64::MAX).unwrap_err().contains("beyond 2^53"));
        assert_eq!(
            read(2, u64::from(u32::MAX)),
            Err("100000000000000000000 is too large (at most 4294967295)".into())
        );
        assert!(read(3, 100).unwrap_err().contains("found \"+80\""));
    }
}
