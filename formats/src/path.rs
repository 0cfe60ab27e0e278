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
    fn paths_print_and_find_their_line() {
        let path = Path::root()
            .key("endpoints")
            .index(1)
            .key("lb_endpoints")
            .index(0)
            .key("health_status");
        let root = crate::parse_json(DOC).unwrap();
        assert_eq!(root.line_of(&path), Some(7));
        assert_eq!(root.line_of(&Path::root().key("cluster_name")), Some(2));
        assert_eq!(root.line_of(&Path::root().key("nope")), None);
        assert_eq!(
            path.to_string(),
            "endpoints[1].lb_endpoints[0].health_status"
        );
        assert_eq!(path.pattern(), "endpoints[].lb_endpoints[].health_status");
        assert_eq!(Path::root().to_string(), "(document)");
    }
}
