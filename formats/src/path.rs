//! JSON paths (`endpoints[1].lb_endpoints[0].health_status`) and the line each one starts on.

use std::fmt;

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object member, spelled as in the document.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A path into a document, printed as `a.b[3].c`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path(pub Vec<Segment>);

impl Path {
    /// The document root.
    #[must_use]
    pub const fn root() -> Self {
        Self(Vec::new())
    }

    /// This path, one member further.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_owned()));
        p
    }

    /// This path, one element further.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(index));
        p
    }

    /// The path with indices replaced by `[]`, to group notes about many elements.
    #[must_use]
    pub fn pattern(&self) -> String {
        let mut out = String::new();
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(_) => out.push_str("[]"),
            }
        }
        out
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// A path under construction, borrowed from its parent: cheap to extend while walking a large
/// document, turned into a [`Path`] only when an error or a note needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At<'a> {
    /// The document root.
    Root,
    /// A member of the parent.
    Key(&'a At<'a>, &'a str),
    /// An element of the parent.
    Index(&'a At<'a>, usize),
}

impl<'a> At<'a> {
    /// This path, one member further.
    pub(crate) fn key<'b>(&'b self, key: &'b str) -> At<'b>
    where
        'a: 'b,
    {
        At::Key(self, key)
    }

    /// This path, one element further.
    pub(crate) fn index<'b>(&'b self, index: usize) -> At<'b>
    where
        'a: 'b,
    {
        At::Index(self, index)
    }

    /// The owned path.
    pub(crate) fn path(&self) -> Path {
        let mut segments = Vec::new();
        let mut at = self;
        loop {
            match at {
                At::Root => break,
                At::Key(parent, key) => {
                    segments.push(Segment::Key((*key).to_owned()));
                    at = parent;
                }
                At::Index(parent, index) => {
                    segments.push(Segment::Index(*index));
                    at = parent;
                }
            }
        }
        segments.reverse();
        Path(segments)
    }
}

/// A small scanner over JSON text that knows line numbers: it finds where a path's value starts
/// and spots duplicate object keys (which `serde_json::Value` would silently collapse).
///
/// It runs only on text `serde_json` has already accepted, so it reads valid JSON; on anything
/// unexpected it gives up (returns `None`) rather than guess.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Reads a string token and returns its decoded text (escapes decoded through serde_json).
    fn string(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.pos;
        if self.bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        loop {
            match *self.bytes.get(self.pos)? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        serde_json::from_slice(&self.bytes[start..self.pos]).ok()
    }

    /// Skips one value; `on_object_key` sees every key of every object inside it.
    fn skip_value(
        &mut self,
        path: &mut Vec<Segment>,
        dup: &mut Option<(Path, usize)>,
    ) -> Option<()> {
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                let mut seen: Vec<String> = Vec::new();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    let line = {
                        self.skip_ws();
                        self.line
                    };
                    let key = self.string()?;
                    if dup.is_none() && seen.contains(&key) {
                        let mut p = path.clone();
                        p.push(Segment::Key(key.clone()));
                        *dup = Some((Path(p), line));
                    }
                    self.expect(b':')?;
                    path.push(Segment::Key(key.clone()));
                    self.skip_value(path, dup)?;
                    path.pop();
                    seen.push(key);
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                let mut i = 0;
                loop {
                    path.push(Segment::Index(i));
                    self.skip_value(path, dup)?;
                    path.pop();
                    i += 1;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while let Some(&b) = self.bytes.get(self.pos) {
                    if matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace() {
                        break;
                    }
                    self.pos += 1;
                }
                Some(())
            }
        }
    }

    /// Walks to the value at `path`, returning the line it starts on.
    fn find(&mut self, path: &[Segment]) -> Option<usize> {
        let Some((first, rest)) = path.split_first() else {
            self.skip_ws();
            return Some(self.line);
        };
        let mut scratch = Vec::new();
        let mut dup = None;
        match (self.peek()?, first) {
            (b'{', Segment::Key(want)) => {
                self.pos += 1;
                if self.peek()? == b'}' {
                    return None;
                }
                loop {
                    let key = self.string()?;
                    self.expect(b':')?;
                    if &key == want {
                        return self.find(rest);
                    }
                    self.skip_value(&mut scratch, &mut dup)?;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        _ => return None,
                    }
                }
            }
            (b'[', Segment::Index(want)) => {
                self.pos += 1;
                for _ in 0..*want {
                    self.skip_value(&mut scratch, &mut dup)?;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        _ => return None,
                    }
                }
                self.find(rest)
            }
            _ => None,
        }
    }
}

/// The line (1-based) on which the value at `path` starts in the JSON `text`.
#[must_use]
pub fn line_of(text: &str, path: &Path) -> Option<usize> {
    Scanner::new(text).find(&path.0)
}

/// The first object key that appears twice in the same object, with its line.
#[must_use]
pub fn duplicate_key(text: &str) -> Option<(Path, usize)> {
    let mut scanner = Scanner::new(text);
    let mut dup = None;
    scanner.skip_value(&mut Vec::new(), &mut dup)?;
    dup
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "cluster_name": "a",
  "endpoints": [
    {"lb_endpoints": [{"x": 1}]},
    {
      "lb_endpoints": [
        {"health_status": "HEALTHYY"}
      ]
    }
  ]
}"#;

    #[test]
    fn finds_the_line_of_a_nested_value() {
        let path = Path::root()
            .key("endpoints")
            .index(1)
            .key("lb_endpoints")
            .index(0)
            .key("health_status");
        assert_eq!(line_of(DOC, &path), Some(7));
        assert_eq!(line_of(DOC, &Path::root().key("cluster_name")), Some(2));
        assert_eq!(line_of(DOC, &Path::root().key("nope")), None);
        assert_eq!(
            path.to_string(),
            "endpoints[1].lb_endpoints[0].health_status"
        );
        assert_eq!(path.pattern(), "endpoints[].lb_endpoints[].health_status");
    }

    #[test]
    fn spots_duplicate_keys() {
        assert_eq!(duplicate_key(DOC), None);
        let doc = "{\"a\": {\"b\": 1,\n \"b\": 2}}";
        let (path, line) = duplicate_key(doc).unwrap();
        assert_eq!(path.to_string(), "a.b");
        assert_eq!(line, 2);
    }
}
