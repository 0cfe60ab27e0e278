//! A small RE2-syntax regular expression matcher for VirtualService `regex` conditions.
//!
//! Istio's `StringMatch.regex` is RE2 syntax (<https://github.com/google/re2/wiki/Syntax>), and
//! Envoy matches it against the **whole** value (`safe_regex`, `RE2::FullMatch`; Envoy
//! `source/common/common/regex.cc`). meshlb does the same with a Thompson NFA simulated in lock
//! step (Pike's VM), as RE2 does: linear in the input, no backtracking, no allocation per
//! character beyond two thread lists.
//!
//! **Why not a crate.** `regex-lite` requires its `std` feature; `regex-automata` (with
//! `regex-syntax`) builds without `std` but is tens of thousands of lines for a core that also
//! runs inside a proxy-wasm filter, whose size is budgeted. Route conditions use a small part of
//! RE2, so meshlb implements that part exactly and refuses the rest with an error (never a
//! silent mismatch).
//!
//! Supported: literals, `.` (any character but `\n`), `[...]` and `[^...]` classes with ranges
//! and `\d \w \s` inside, `\d \D \w \W \s \S`, escaped punctuation, `\n \t \r \f \v`, groups
//! `(...)`, `(?:...)`, `(?P<name>...)`, `(?<name>...)`, alternation `|`, repetition `* + ?
//! {n} {n,} {n,m}` (lazy forms match the same strings), and `^`/`$` (redundant for a full match,
//! accepted anywhere as assertions). Refused: flags such as `(?i)`, Unicode classes `\p{..}`,
//! POSIX classes `[[:alpha:]]`, `\b`, `\x..`, octal escapes.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Largest program meshlb compiles (RE2 refuses large repetitions too).
const MAX_PROGRAM: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
    Start,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Class {
    ranges: Vec<(char, char)>,
    negated: bool,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= c && c <= b) != self.negated
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inst {
    Char(char),
    Any,
    Class(Class),
    Split(usize, usize),
    Jmp(usize),
    Start,
    End,
    Match,
}

/// A compiled regular expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regex {
    program: Vec<Inst>,
}

const DIGIT: &[(char, char)] = &[('0', '9')];
const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
const SPACE: &[(char, char)] = &[('\t', '\n'), ('\x0c', '\r'), (' ', ' ')];

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    source: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn error(&self, what: &str) -> String {
        format!(
            "regex {:?}: {what} at offset {} (meshlb reads the RE2 subset documented in docs/scenario.md)",
            self.source, self.pos
        )
    }

    fn alternation(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.concat()?];
        while self.eat('|') {
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.repetitions(atom)?);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let s: String = self.chars[start..self.pos].iter().collect();
        s.parse().ok()
    }

    fn repetitions(&mut self, mut node: Node) -> Result<Node, String> {
        let mut repeated = false;
        loop {
            let (min, max) = match self.peek() {
                Some('*') => (0, None),
                Some('+') => (1, None),
                Some('?') => (0, Some(1)),
                Some('{') => {
                    let save = self.pos;
                    self.pos += 1;
                    let Some(min) = self.number() else {
                        // RE2 reads a `{` that starts no repetition as a literal.
                        self.pos = save;
                        return Ok(node);
                    };
                    let max = if self.eat(',') {
                        if self.peek() == Some('}') {
                            None
                        } else {
                            Some(self.number().ok_or_else(|| self.error("bad repetition"))?)
                        }
                    } else {
                        Some(min)
                    };
                    if self.peek() != Some('}') {
                        return Err(self.error("bad repetition"));
                    }
                    if max.is_some_and(|m| m < min) || min > 1000 || max.is_some_and(|m| m > 1000) {
                        return Err(self.error("bad repetition range (RE2 allows at most 1000)"));
                    }
                    (min, max)
                }
                _ => return Ok(node),
            };
            self.pos += 1;
            // RE2 refuses `a**` and `^*`, not `(a*)*`.
            if repeated || matches!(node, Node::Start | Node::End) {
                return Err(self.error("missing or repeated argument to a repetition operator"));
            }
            repeated = true;
            // A lazy `?` matches the same strings.
            self.eat('?');
            node = Node::Repeat {
                node: Box::new(node),
                min,
                max,
            };
        }
    }

    fn atom(&mut self) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return Err(self.error("unexpected end"));
        };
        self.pos += 1;
        match c {
            '(' => {
                if self.eat('?') {
                    if self.eat(':') {
                    } else if self.eat('P') || self.peek() == Some('<') {
                        if !self.eat('<') {
                            return Err(self.error("bad named group"));
                        }
                        while let Some(n) = self.peek() {
                            self.pos += 1;
                            if n == '>' {
                                break;
                            }
                            if !(n.is_ascii_alphanumeric() || n == '_') {
                                return Err(self.error("bad group name"));
                            }
                        }
                    } else {
                        return Err(self.error("flags and other (? groups are not supported"));
                    }
                }
                let inner = self.alternation()?;
                if !self.eat(')') {
                    return Err(self.error("missing )"));
                }
                Ok(inner)
            }
            ')' => Err(self.error("unexpected )")),
            '[' => self.class(),
            '.' => Ok(Node::Any),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            '*' | '+' | '?' => Err(self.error("missing argument to a repetition operator")),
            '\\' => self.escape(false).map(|e| match e {
                Escaped::Char(c) => Node::Char(c),
                Escaped::Class(class) => Node::Class(class),
            }),
            c => Ok(Node::Char(c)),
        }
    }

    fn escape(&mut self, in_class: bool) -> Result<Escaped, String> {
        let Some(c) = self.peek() else {
            return Err(self.error("trailing \\"));
        };
        self.pos += 1;
        let class = |ranges: &[(char, char)], negated: bool| {
            Escaped::Class(Class {
                ranges: ranges.to_vec(),
                negated,
            })
        };
        Ok(match c {
            'd' => class(DIGIT, false),
            'w' => class(WORD, false),
            's' => class(SPACE, false),
            'D' | 'W' | 'S' if in_class => {
                return Err(self.error("negated classes inside [] are not supported"));
            }
            'D' => class(DIGIT, true),
            'W' => class(WORD, true),
            'S' => class(SPACE, true),
            'n' => Escaped::Char('\n'),
            't' => Escaped::Char('\t'),
            'r' => Escaped::Char('\r'),
            'f' => Escaped::Char('\x0c'),
            'v' => Escaped::Char('\x0b'),
            c if c.is_ascii_punctuation() => Escaped::Char(c),
            _ => return Err(self.error(&format!("escape \\{c} is not supported"))),
        })
    }

    fn class(&mut self) -> Result<Node, String> {
        let mut class = Class {
            negated: self.eat('^'),
            ..Class::default()
        };
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("missing ]"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' && self.chars.get(self.pos + 1) == Some(&':') {
                return Err(self.error("POSIX classes [[:name:]] are not supported"));
            }
            self.pos += 1;
            let low = if c == '\\' {
                match self.escape(true)? {
                    Escaped::Char(c) => c,
                    Escaped::Class(inner) => {
                        class.ranges.extend(inner.ranges);
                        continue;
                    }
                }
            } else {
                c
            };
            let high = if self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']') {
                self.pos += 1;
                let Some(h) = self.peek() else {
                    return Err(self.error("missing ]"));
                };
                self.pos += 1;
                let h = if h == '\\' {
                    match self.escape(true)? {
                        Escaped::Char(c) => c,
                        Escaped::Class(_) => return Err(self.error("bad class range")),
                    }
                } else {
                    h
                };
                if h < low {
                    return Err(self.error("bad class range"));
                }
                h
            } else {
                low
            };
            class.ranges.push((low, high));
        }
        Ok(Node::Class(class))
    }
}

enum Escaped {
    Char(char),
    Class(Class),
}

fn compile(node: &Node, program: &mut Vec<Inst>) -> Result<(), String> {
    if program.len() > MAX_PROGRAM {
        return Err(format!(
            "the expression is too large (more than {MAX_PROGRAM} instructions)"
        ));
    }
    match node {
        Node::Empty => {}
        Node::Char(c) => program.push(Inst::Char(*c)),
        Node::Any => program.push(Inst::Any),
        Node::Class(c) => program.push(Inst::Class(c.clone())),
        Node::Start => program.push(Inst::Start),
        Node::End => program.push(Inst::End),
        Node::Concat(items) => {
            for item in items {
                compile(item, program)?;
            }
        }
        Node::Alt(branches) => {
            // split L1, next; L1: a; jmp end; next: split L2, ...
            let mut jumps = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                if i + 1 < branches.len() {
                    let split = program.len();
                    program.push(Inst::Split(split + 1, 0));
                    compile(branch, program)?;
                    jumps.push(program.len());
                    program.push(Inst::Jmp(0));
                    let next = program.len();
                    program[split] = Inst::Split(split + 1, next);
                } else {
                    compile(branch, program)?;
                }
            }
            let end = program.len();
            for j in jumps {
                program[j] = Inst::Jmp(end);
            }
        }
        Node::Repeat { node, min, max } => {
            for _ in 0..*min {
                compile(node, program)?;
            }
            match max {
                None => {
                    // L: split body, end; body; jmp L
                    let split = program.len();
                    program.push(Inst::Split(split + 1, 0));
                    compile(node, program)?;
                    program.push(Inst::Jmp(split));
                    let end = program.len();
                    program[split] = Inst::Split(split + 1, end);
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(program.len());
                        program.push(Inst::Split(0, 0));
                        compile(node, program)?;
                    }
                    let end = program.len();
                    for s in splits {
                        program[s] = Inst::Split(s + 1, end);
                    }
                }
            }
        }
    }
    Ok(())
}

impl Regex {
    /// Compiles `pattern`.
    ///
    /// # Errors
    /// A message naming the pattern, the offset and what meshlb does not read (RE2 syntax
    /// outside the subset in the module documentation, or a malformed expression).
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            source: pattern,
        };
        let node = parser.alternation()?;
        if parser.pos != parser.chars.len() {
            return Err(parser.error("unexpected )"));
        }
        let mut program = Vec::new();
        compile(&node, &mut program).map_err(|e| format!("regex {pattern:?}: {e}"))?;
        program.push(Inst::Match);
        Ok(Self { program })
    }

    /// Whether the whole of `text` matches (Envoy's `safe_regex` semantics).
    #[must_use]
    pub fn full_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let n = self.program.len();
        let mut current: Vec<usize> = Vec::new();
        let mut next: Vec<usize> = Vec::new();
        let mut seen = vec![usize::MAX; n];
        let mut stack = Vec::new();
        self.add(0, 0, chars.len(), &mut current, &mut seen, &mut stack);
        for (i, &c) in chars.iter().enumerate() {
            if current.is_empty() {
                return false;
            }
            next.clear();
            for &pc in &current {
                let advance = match &self.program[pc] {
                    Inst::Char(x) => *x == c,
                    Inst::Any => c != '\n',
                    Inst::Class(class) => class.matches(c),
                    _ => false,
                };
                if advance {
                    self.add(pc + 1, i + 1, chars.len(), &mut next, &mut seen, &mut stack);
                }
            }
            core::mem::swap(&mut current, &mut next);
        }
        current
            .iter()
            .any(|&pc| matches!(self.program[pc], Inst::Match))
    }

    /// Adds `pc` and everything reachable from it without reading a character at position
    /// `at` (of `len`) to `list`; `seen` marks the position each instruction was added at.
    fn add(
        &self,
        pc: usize,
        at: usize,
        len: usize,
        list: &mut Vec<usize>,
        seen: &mut [usize],
        stack: &mut Vec<usize>,
    ) {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if seen[pc] == at {
                continue;
            }
            seen[pc] = at;
            match &self.program[pc] {
                Inst::Jmp(t) => stack.push(*t),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Start => {
                    if at == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    if at == len {
                        stack.push(pc + 1);
                    }
                }
                _ => list.push(pc),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    fn m(p: &str, t: &str) -> bool {
        Regex::new(p).expect("compiles").full_match(t) // invariant: test patterns are in the subset
    }

    #[test]
    fn full_match_semantics() {
        assert!(m("abc", "abc"));
        assert!(
            !m("abc", "abcd"),
            "Envoy's safe_regex matches the whole value"
        );
        assert!(!m("b", "abc"));
        assert!(m("/api/v[0-9]+/.*", "/api/v12/users"));
        assert!(!m("/api/v[0-9]+/.*", "/api/vx/users"));
        assert!(m("(foo|bar)baz", "barbaz"));
        assert!(m("a{2,3}", "aaa"));
        assert!(!m("a{2,3}", "aaaa"));
        assert!(m("a{2,}", "aaaaa"));
        assert!(m("x?y*", ""));
        assert!(m("^v1$", "v1"));
        assert!(m(r"\d+\.\d+", "10.25"));
        assert!(m(r"[^/]+", "abc"));
        assert!(!m(r"[^/]+", "a/c"));
        assert!(m(r"(?:ab)+", "ababab"));
        assert!(m(r"(?P<v>v\d)", "v2"));
        assert!(m(r"[\w-]+", "my-user_1"));
        assert!(m("a|", ""));
        assert!(!m(".", "\n"));
    }

    #[test]
    fn no_exponential_blowup() {
        let text = "a".repeat(64);
        assert!(!m("(a*)*b", &text));
        assert!(m("(a|aa)*", &text));
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        for p in [
            "(?i)abc",
            r"\p{Greek}",
            "[[:alpha:]]",
            r"\bword",
            "(abc",
            "abc)",
            "*a",
            "a**",
        ] {
            assert!(Regex::new(p).is_err(), "{p} should be refused");
        }
    }
}
