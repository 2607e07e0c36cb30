//! Test-vector traces as plain data (the files under `vectors/`): a trace
//! is a list of steps, each a title and `label = hex` values, in the order
//! of RFC 8448's text. Parsing is total: a bad file is an error, never a
//! panic.

use std::path::Path;

/// One step of a trace: a title such as `{server} derive secret "tls13 c hs
/// traffic"` and the values it prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's title.
    pub title: String,
    /// Its values, in order: label and bytes.
    pub values: Vec<(String, Vec<u8>)>,
}

impl Step {
    /// The value with `label`.
    pub fn get(&self, label: &str) -> Option<&[u8]> {
        self.values
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_slice())
    }
}

/// A whole trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

impl Trace {
    /// Parses a trace file's text.
    pub fn parse(text: &str) -> Result<Trace, String> {
        let mut steps: Vec<Step> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || (line.starts_with('#') && !line.starts_with("## ")) {
                continue;
            }
            if let Some(title) = line.strip_prefix("## ") {
                steps.push(Step {
                    title: title.to_string(),
                    values: Vec::new(),
                });
                continue;
            }
            let (label, value) = line
                .split_once(" = ")
                .or_else(|| line.strip_suffix(" =").map(|l| (l, "")))
                .ok_or_else(|| format!("line {}: expected `label = hex`", n + 1))?;
            let bytes = hex::decode(value.trim()).map_err(|e| format!("line {}: {e}", n + 1))?;
            let step = steps
                .last_mut()
                .ok_or_else(|| format!("line {}: a value before any step", n + 1))?;
            step.values.push((label.trim().to_string(), bytes));
        }
        Ok(Trace { steps })
    }

    /// Reads and parses a trace file.
    pub fn load(path: impl AsRef<Path>) -> Result<Trace, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Trace::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Every step whose title starts with `title`, in order.
    pub fn steps<'a>(&'a self, title: &'a str) -> impl Iterator<Item = &'a Step> + 'a {
        self.steps
            .iter()
            .filter(move |s| s.title.starts_with(title))
    }

    /// The value `label` of the `nth` step (from 0) whose title starts with
    /// `title`.
    pub fn nth(&self, title: &str, nth: usize, label: &str) -> Result<&[u8], String> {
        self.steps
            .iter()
            .filter(|s| s.title.starts_with(title))
            .nth(nth)
            .and_then(|s| s.get(label))
            .ok_or_else(|| format!("no value `{label}` in step #{nth} `{title}`"))
    }

    /// The value `label` of the first step whose title starts with `title`.
    pub fn get(&self, title: &str, label: &str) -> Result<&[u8], String> {
        self.nth(title, 0, label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let t = Trace::parse("# c\n\n## {a} one\nx = 0102\ny = \n## {a} one\nx = ff\n").unwrap();
        assert_eq!(t.get("{a} one", "x").unwrap(), &[1, 2]);
        assert_eq!(t.get("{a} one", "y").unwrap(), &[] as &[u8]);
        assert_eq!(t.nth("{a} one", 1, "x").unwrap(), &[0xff]);
        assert!(t.nth("{a} one", 2, "x").is_err());
        assert!(Trace::parse("x = 00\n").is_err());
        assert!(Trace::parse("## s\nx = 0g\n").is_err());
        assert!(Trace::parse("## s\nnot a value\n").is_err());
    }
}
