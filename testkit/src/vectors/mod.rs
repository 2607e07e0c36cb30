//! Test-vector traces as plain data (the files under `vectors/`): a trace
//! is a list of steps, each a title and `label = hex` values, in the order
//! of RFC 8448's text. Parsing is total: a bad file is an error, never a
//! panic.

pub mod replay;
pub mod rfc8448;

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
    /// Whether this step prints a ClientHello that is only the prefix
    /// before its PSK binders (RFC 8448 §4 prints those separately).
    pub fn steps_before_binder(&self) -> bool {
        self.values.iter().any(|(l, _)| l == "ClientHello prefix")
            || (self.title.contains("construct a ClientHello")
                && self
                    .values
                    .iter()
                    .any(|(l, v)| l == "ClientHello" && has_psk_without_binders(v)))
    }

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

/// A ClientHello whose length field claims more bytes than it holds: the
/// partial hello that a PSK binder is computed over.
pub(crate) fn has_psk_without_binders(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize + 4 > bytes.len()
}

/// The result of running every trace in a directory.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Key schedule and message checks: (file name, comparisons passed, or
    /// the first failure).
    pub results: Vec<(String, Result<usize, String>)>,
    /// Whole-handshake replays, each trace with our client and our server.
    pub replays: Vec<replay::ReplayResult>,
}

impl RunReport {
    /// How many checks and replays passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|(_, r)| r.is_ok()).count()
            + self.replays.iter().filter(|r| r.result.is_ok()).count()
    }

    /// How many failed.
    pub fn failed(&self) -> usize {
        self.results.len() + self.replays.len() - self.passed()
    }
}

/// Runs every `.txt` trace under `dir/rfc8448` (or `dir` itself): the
/// checks of [`rfc8448::run`], then [`replay::replay_all`].
pub fn run_dir(dir: impl AsRef<Path>) -> Result<RunReport, String> {
    let dir = dir.as_ref();
    let dir = if dir.join("rfc8448").is_dir() {
        dir.join("rfc8448")
    } else {
        dir.to_path_buf()
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut report = RunReport::default();
    let mut traces = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match Trace::load(&f) {
            Ok(t) => {
                report.results.push((name.clone(), rfc8448::run(&name, &t)));
                traces.push((name, t));
            }
            Err(e) => report.results.push((name, Err(e))),
        }
    }
    report.replays = replay::replay_all(&traces);
    Ok(report)
}
