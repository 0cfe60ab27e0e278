//! Input errors: the place (path and line) and the problem.

use std::fmt;

use crate::path::Path;

/// Bad input: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Path of the offending value (`endpoints[1].lb_endpoints[0].health_status`).
    pub path: Path,
    /// 1-based line where the value starts, when known.
    pub line: Option<usize>,
    /// The problem, lowercase, without the place.
    pub message: String,
}

impl InputError {
    /// An error at `path`.
    #[must_use]
    pub fn at(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            line: None,
            message: message.into(),
        }
    }

    /// The same error with its line looked up in `text` (a JSON or YAML document), if not
    /// known yet: the line of the value at the error's path, or of its longest prefix there.
    #[must_use]
    pub fn with_line_from(self, text: &str) -> Self {
        if self.line.is_some() || self.path.0.is_empty() {
            return self;
        }
        match crate::tree::load(text) {
            Ok(root) => self.with_line_in(&root),
            Err(_) => self,
        }
    }

    /// The same error with its line looked up in `root`, the document already read, if not
    /// known yet.
    #[must_use]
    pub fn with_line_in(mut self, root: &crate::tree::Node) -> Self {
        if self.line.is_none() {
            self.line = root.line_of(&self.path);
        }
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.0.is_empty() {
            f.write_str(&self.message)?;
        } else {
            write!(f, "{}: {}", self.path, self.message)?;
        }
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}
