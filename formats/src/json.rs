//! A fast path for JSON documents: the same tree [`crate::yaml::load`] builds from YAML, read
//! straight from JSON text (machine-written scenarios are large, and JSON is YAML 1.2's subset).
//!
//! Anything that is not strict JSON (comments, unquoted keys, several documents, a syntax
//! error) is left to the YAML loader, which then reports it as YAML: this reader only answers
//! for documents that are JSON. Scalars resolve exactly as the YAML loader resolves them
//! (numbers through saphyr's core-schema resolution), and lines and spans are the ones the
//! YAML loader gives.

use std::borrow::Cow;

use saphyr::Scalar;

use crate::error::InputError;
use crate::path::At;
use crate::yaml::{Node, Value};

/// Deepest nesting read here (the YAML loader has its own limit and message).
const MAX_DEPTH: usize = 200;

/// Why the text was not read.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Not (strict) JSON: let the YAML loader read it.
    NotJson,
    /// JSON, but not a valid document for meshlb (a duplicate key).
    Invalid(InputError),
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
    let node = reader.value(line, &At::Root, 0)?;
    reader.ws();
    if reader.pos != reader.bytes.len() {
        return Err(Outcome::NotJson);
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
        reader.expect(b':').ok()?;
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
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            chars: 0,
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
            }
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Outcome> {
        if self.peek() == Some(b) {
            self.bump();
            Ok(())
        } else {
            Err(Outcome::NotJson)
        }
    }

    /// A value starting at `pos` (whitespace skipped); `line` is the line to report for it.
    fn value(&mut self, line: usize, at: &At<'_>, depth: usize) -> Result<Node, Outcome> {
        if depth > MAX_DEPTH {
            return Err(Outcome::NotJson);
        }
        let start = self.chars;
        let value = match self.peek().ok_or(Outcome::NotJson)? {
            b'{' => {
                self.bump();
                let mut entries: Vec<(String, Node)> = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    return Ok(self.close(line, start, Value::Map(entries)));
                }
                loop {
                    self.ws();
                    let key_line = self.line;
                    let key = self.string()?.into_owned();
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(Outcome::Invalid(InputError {
                            path: at.key(&key).path(),
                            line: Some(key_line),
                            message: format!(
                                "duplicate key `{key}` (a key may appear once in a mapping)"
                            ),
                        }));
                    }
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    let v = self.value(key_line, &at.key(&key), depth + 1)?;
                    entries.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.bump(),
                        Some(b'}') => {
                            return Ok(self.close(line, start, Value::Map(entries)));
                        }
                        _ => return Err(Outcome::NotJson),
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
                        _ => return Err(Outcome::NotJson),
                    }
                }
            }
            b'"' => Value::Str(self.string()?.into_owned()),
            b't' => self.literal("true", Value::Bool(true))?,
            b'f' => self.literal("false", Value::Bool(false))?,
            b'n' => self.literal("null", Value::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(Outcome::NotJson),
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
            Err(Outcome::NotJson)
        }
    }

    /// A number, checked against JSON's grammar, resolved as YAML resolves a plain scalar.
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
        if self.peek() == Some(b'0') {
            self.bump();
        } else if !digits(self) {
            return Err(Outcome::NotJson);
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !digits(self) {
                return Err(Outcome::NotJson);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if !digits(self) {
                return Err(Outcome::NotJson);
            }
        }
        let token = self.text.get(from..self.pos).ok_or(Outcome::NotJson)?;
        Ok(match Scalar::parse_from_cow(Cow::Borrowed(token)) {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(b),
            Scalar::Integer(i) => Value::Int(i),
            Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
            Scalar::String(s) => Value::Str(s.into_owned()),
        })
    }

    /// A string token, decoded.
    fn string(&mut self) -> Result<Cow<'t, str>, Outcome> {
        self.expect(b'"')?;
        let from = self.pos;
        // Fast path: no escapes.
        loop {
            match self.peek().ok_or(Outcome::NotJson)? {
                b'"' => {
                    let s = self.text.get(from..self.pos).ok_or(Outcome::NotJson)?;
                    self.bump();
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1F => return Err(Outcome::NotJson),
                _ => self.bump(),
            }
        }
        let mut out = String::from(self.text.get(from..self.pos).ok_or(Outcome::NotJson)?);
        loop {
            let run = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(self.text.get(run..self.pos).ok_or(Outcome::NotJson)?);
            match self.peek().ok_or(Outcome::NotJson)? {
                b'"' => {
                    self.bump();
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.bump();
                    let escape = self.peek().ok_or(Outcome::NotJson)?;
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
                                self.expect(b'\\')?;
                                self.expect(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(Outcome::NotJson);
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.ok_or(Outcome::NotJson)?);
                        }
                        _ => return Err(Outcome::NotJson),
                    }
                }
                _ => return Err(Outcome::NotJson),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Outcome> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or(Outcome::NotJson)?;
        let n = u32::from_str_radix(digits, 16).map_err(|_| Outcome::NotJson)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Outcome::NotJson);
        }
        for _ in 0..4 {
            self.bump();
        }
        Ok(n)
    }

    /// Skips a value (for [`top_level_has`]).
    fn skip(&mut self, depth: usize) -> Result<(), Outcome> {
        if depth > MAX_DEPTH {
            return Err(Outcome::NotJson);
        }
        match self.peek().ok_or(Outcome::NotJson)? {
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
                        self.expect(b':')?;
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
                        _ => return Err(Outcome::NotJson),
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.literal("true", Value::Null).map(|_| ()),
            b'f' => self.literal("false", Value::Null).map(|_| ()),
            b'n' => self.literal("null", Value::Null).map(|_| ()),
            b'-' | b'0'..=b'9' => self.number().map(|_| ()),
            _ => Err(Outcome::NotJson),
        }
    }
}
