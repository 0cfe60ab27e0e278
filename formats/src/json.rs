//! JSON (RFC 8259) read into the document tree ([`crate::tree`]), with the line of every value.
//!
//! Envoy input and the filter's configuration are JSON and read only here. Scenarios in JSON
//! take this path too (machine-written scenarios are large, and JSON is YAML 1.2's subset);
//! with the `yaml` feature, a scenario that is not strict JSON (comments, unquoted keys) is
//! then read by the YAML loader, which reports its own errors. Numbers resolve as YAML 1.2's
//! core schema resolves them (an integer when it has no fraction or exponent and fits `i64`,
//! else a float), so both loaders give the same tree, lines and spans for the same JSON (lines
//! end at `\n` here; a lone `\r`, which YAML also counts, does not end one).

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::error::InputError;
use crate::path::{At, Path};
use crate::tree::{Node, Value};

/// Deepest nesting read here (the YAML loader's limit).
const MAX_DEPTH: usize = crate::tree::MAX_DEPTH;
const UNTERMINATED: &str = "unterminated string";
const EXPECTED_KEY: &str = "expected a key (a string in double quotes)";
const CONTROL: &str = "control character in a string (escape it)";
const SURROGATE: &str = "invalid UTF-16 surrogate pair in a `\\u` escape";

/// Why the text was not read.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Not (strict) JSON: where and what (the YAML loader may still read it).
    NotJson(Syntax),
    /// JSON, but not a valid document for meshlb (a duplicate key, too deep).
    Invalid(InputError),
}

/// A JSON syntax error: 1-based line and column (in characters) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Syntax {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: &'static str,
    /// Whether the error is where the document's first key should be (so the text is likely
    /// YAML flow style, `{a: 1}`, rather than broken JSON).
    pub(crate) at_first_key: bool,
    /// The path of the innermost value being read (a file cut off in the middle names where).
    pub(crate) path: Option<Path>,
}

impl Syntax {
    /// As an input error: `malformed JSON: expected ... (column C)` on its line. Without the
    /// `yaml` feature, an error where the first key should be (`{clusters: ...`, YAML flow
    /// style) also says how to turn YAML into JSON.
    pub(crate) fn into_error(self) -> InputError {
        let hint = if cfg!(feature = "yaml") || !self.at_first_key || self.message != EXPECTED_KEY {
            ""
        } else {
            "; if this is YAML: this build reads JSON only, `meshlb convert FILE` turns a YAML scenario into JSON"
        };
        InputError {
            path: self.path.unwrap_or_default(),
            line: Some(self.line),
            message: format!(
                "malformed JSON: {} (column {}){hint}",
                self.message, self.column
            ),
        }
    }
}

/// Reads a JSON document, reporting malformed JSON as an [`InputError`].
///
/// # Errors
/// Malformed JSON (line, column and what was expected), a duplicate key (its path and line),
/// nesting deeper than 128 levels.
pub(crate) fn parse(text: &str) -> Result<Node, InputError> {
    load(text).map_err(|outcome| match outcome {
        Outcome::NotJson(syntax) => syntax.into_error(),
        Outcome::Invalid(e) => e,
    })
}

/// Whether `text` starts (after whitespace) like a JSON document.
pub(crate) fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with(['{', '['])
}

/// Reads a JSON document.
pub(crate) fn load(text: &str) -> Result<Node, Outcome> {
    let mut reader = Reader::new(text);
    reader.ws();
    let line = reader.line;
    if reader.peek().is_none() {
        return Err(reader.error("the document is empty"));
    }
    let node = reader.value(line, &At::Root, 0)?;
    reader.ws();
    if reader.pos != reader.bytes.len() {
        return Err(reader.error("trailing characters after the document"));
    }
    Ok(node)
}

/// Whether the JSON document's top level is an object with one of `keys` (`None`: not JSON).
pub(crate) fn top_level_has(text: &str, keys: &[&str]) -> Option<bool> {
    let mut reader = Reader::new(text);
    reader.ws();
    if reader.peek()? != b'{' {
        return reader.peek().map(|_| false);
    }
    reader.bump();
    reader.ws();
    if reader.peek()? == b'}' {
        return Some(false);
    }
    loop {
        reader.ws();
        let key = reader.string().ok()?;
        if keys.contains(&key.as_ref()) {
            return Some(true);
        }
        reader.ws();
        reader.expect(b':', "").ok()?;
        reader.ws();
        reader.skip(0).ok()?;
        reader.ws();
        match reader.peek()? {
            b',' => reader.bump(),
            b'}' => return Some(false),
            _ => return None,
        }
    }
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// 1-based line at `pos`.
    line: usize,
    /// Characters before `pos` (spans count characters, as the YAML loader's do).
    chars: usize,
    /// Characters before the current line.
    line_start: usize,
    /// Whether a first mapping key has been read.
    past_first_key: bool,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            chars: 0,
            line_start: 0,
            past_first_key: false,
        }
    }

    /// A syntax error at the current position.
    fn error(&self, message: &'static str) -> Outcome {
        Outcome::NotJson(Syntax {
            line: self.line,
            column: self.chars - self.line_start + 1,
            message,
            at_first_key: !self.past_first_key,
            path: None,
        })
    }

    /// The error for the byte at `pos`, or for the end of the text.
    fn unexpected(&self, expected: &'static str) -> Outcome {
        if self.peek().is_none() {
            self.error("unexpected end of the document")
        } else {
            self.error(expected)
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The node of a mapping or list from `start` to its closing bracket (consumed).
    fn close(&mut self, line: usize, start: usize, value: Value) -> Node {
        let end = self.chars;
        self.bump();
        Node {
            line,
            span: (start, end),
            value,
        }
    }

    fn bump(&mut self) {
        if let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            if b & 0xC0 != 0x80 {
                self.chars += 1;
            }
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.chars;
            }
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    fn expect(&mut self, b: u8, expected: &'static str) -> Result<(), Outcome> {
        if self.peek() == Some(b) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// A value starting at `pos` (whitespace skipped); `line` is the line to report for it.
    /// `depth` counts the mappings and lists around the value; one more than [`MAX_DEPTH`]
    /// is refused, as the YAML loader refuses it.
    fn value(&mut self, line: usize, at: &At<'_>, depth: usize) -> Result<Node, Outcome> {
        // The innermost value names the place of a syntax error.
        self.value_at(line, at, depth)
            .map_err(|outcome| match outcome {
                Outcome::NotJson(mut syntax) if syntax.path.is_none() => {
                    syntax.path = Some(at.path());
                    Outcome::NotJson(syntax)
                }
                other => other,
            })
    }

    fn value_at(&mut self, line: usize, at: &At<'_>, depth: usize) -> Result<Node, Outcome> {
        if depth >= MAX_DEPTH && matches!(self.peek(), Some(b'{' | b'[')) {
            return Err(Outcome::Invalid(InputError {
                path: at.path(),
                line: Some(self.line),
                message: format!("the document is nested more than {MAX_DEPTH} levels deep"),
            }));
        }
        let start = self.chars;
        let value = match self
            .peek()
            .ok_or_else(|| self.unexpected("expected a value"))?
        {
            b'{' => {
                self.bump();
                let mut entries: Vec<(String, Node)> = Vec::new();
                // Keys seen, for the duplicate check once a mapping is large (a linear scan
                // before: most mappings are small).
                let mut keys: BTreeSet<String> = BTreeSet::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    return Ok(self.close(line, start, Value::Map(entries)));
                }
                loop {
                    self.ws();
                    let key_line = self.line;
                    if self.peek() != Some(b'"') {
                        return Err(self.unexpected(EXPECTED_KEY));
                    }
                    let key = self.string()?.into_owned();
                    self.past_first_key = true;
                    let duplicate = if entries.len() < 32 {
                        entries.iter().any(|(k, _)| *k == key)
                    } else {
                        if keys.is_empty() {
                            keys.extend(entries.iter().map(|(k, _)| k.clone()));
                        }
                        !keys.insert(key.clone())
                    };
                    if duplicate {
                        return Err(Outcome::Invalid(InputError {
                            path: at.key(&key).path(),
                            line: Some(key_line),
                            message: format!(
                                "duplicate key `{key}` (a key may appear once in a mapping)"
                            ),
                        }));
                    }
                    self.ws();
                    self.expect(b':', "expected `:` after the key")?;
                    self.ws();
                    let v = self.value(key_line, &at.key(&key), depth + 1)?;
                    entries.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b'}') => {
                            return Ok(self.close(line, start, Value::Map(entries)));
                        }
                        _ => return Err(self.unexpected("expected `,` or `}`")),
                    }
                }
            }
            b'[' => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    return Ok(self.close(line, start, Value::Seq(items)));
                }
                loop {
                    self.ws();
                    let item_line = self.line;
                    items.push(self.value(item_line, &at.index(items.len()), depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b']') => {
                            return Ok(self.close(line, start, Value::Seq(items)));
                        }
                        _ => return Err(self.unexpected("expected `,` or `]`")),
                    }
                }
            }
            b'"' => Value::Str(self.string()?.into_owned()),
            b't' => self.literal("true", Value::Bool(true))?,
            b'f' => self.literal("false", Value::Bool(false))?,
            b'n' => self.literal("null", Value::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(self.error("expected a value")),
        };
        Ok(Node {
            line,
            span: (start, self.chars),
            value,
        })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, Outcome> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            for _ in 0..word.len() {
                self.bump();
            }
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// A number, checked against JSON's grammar, resolved as YAML 1.2's core schema resolves
    /// a plain scalar: an integer when it has neither fraction nor exponent and fits `i64`,
    /// else a float.
    fn number(&mut self) -> Result<Value, Outcome> {
        let from = self.pos;
        let digits = |r: &mut Self| {
            let at = r.pos;
            while matches!(r.peek(), Some(b'0'..=b'9')) {
                r.bump();
            }
            r.pos > at
        };
        if self.peek() == Some(b'-') {
            self.bump();
        }
        let mut integer = true;
        if self.peek() == Some(b'0') {
            self.bump();
        } else if !digits(self) {
            return Err(self.unexpected("expected a digit"));
        }
        if self.peek() == Some(b'.') {
            integer = false;
            self.bump();
            if !digits(self) {
                return Err(self.unexpected("expected a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if !digits(self) {
                return Err(self.unexpected("expected a digit in the exponent"));
            }
        }
        // The token is ASCII digits and signs, so the slice is on character boundaries.
        let token = self.text.get(from..self.pos).unwrap_or_default();
        if integer && let Ok(i) = token.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        // JSON's number grammar is a subset of what `f64::from_str` reads; an exponent too
        // large gives infinity, as YAML's resolution does.
        Ok(Value::Float(token.parse().unwrap_or(f64::NAN)))
    }

    /// A string token, decoded.
    fn string(&mut self) -> Result<Cow<'t, str>, Outcome> {
        self.expect(b'"', "expected a string")?;
        let from = self.pos;
        // Fast path: no escapes. `"`, `\\` and control characters are ASCII, so every slice
        // below starts and ends on character boundaries.
        loop {
            match self.peek().ok_or_else(|| self.error(UNTERMINATED))? {
                b'"' => {
                    let s = self.text.get(from..self.pos).unwrap_or_default();
                    self.bump();
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1F => return Err(self.error(CONTROL)),
                _ => self.bump(),
            }
        }
        let mut out = String::from(self.text.get(from..self.pos).unwrap_or_default());
        loop {
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
            match self.peek().ok_or_else(|| self.error(UNTERMINATED))? {
                b'"' => {
                    self.bump();
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.bump();
                    let escape = self.peek().ok_or_else(|| self.error(UNTERMINATED))?;
                    self.bump();
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                self.expect(b'\\', SURROGATE)?;
                                self.expect(b'u', SURROGATE)?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error(SURROGATE));
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.ok_or_else(|| self.error(SURROGATE))?);
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                _ => return Err(self.error(CONTROL)),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Outcome> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.error("expected four hex digits after `\\u`"))?;
        let n = digits.iter().fold(0, |n, &d| {
            n * 16 + char::from(d).to_digit(16).unwrap_or_default()
        });
        for _ in 0..4 {
            self.bump();
        }
        Ok(n)
    }

    /// Skips a value (for [`top_level_has`]).
    fn skip(&mut self, depth: usize) -> Result<(), Outcome> {
        if depth >= MAX_DEPTH && matches!(self.peek(), Some(b'{' | b'[')) {
            return Err(self.error("nested too deep"));
        }
        match self
            .peek()
            .ok_or_else(|| self.unexpected("expected a value"))?
        {
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.bump();
                self.ws();
                if self.peek() == Some(close) {
                    self.bump();
                    return Ok(());
                }
                loop {
                    self.ws();
                    if open == b'{' {
                        self.string()?;
                        self.ws();
                        self.expect(b':', "expected `:` after the key")?;
                        self.ws();
                    }
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(c) if c == close => {
                            self.bump();
                            return Ok(());
                        }
                        _ => return Err(self.unexpected("expected `,` or a closing bracket")),
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.literal("true", Value::Null).map(|_| ()),
            b'f' => self.literal("false", Value::Null).map(|_| ()),
            b'n' => self.literal("null", Value::Null).map(|_| ()),
            b'-' | b'0'..=b'9' => self.number().map(|_| ()),
            _ => Err(self.error("expected a value")),
        }
    }
}
