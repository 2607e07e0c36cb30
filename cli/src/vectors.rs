//! `cloak vectors`: the RFC 8448 test vectors, checked and replayed.

use crate::Failure;

/// `cloak vectors [DIR]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory of vectors (default: the project's vectors/).
    #[arg(value_name = "DIR")]
    dir: Option<String>,
}

/// Runs `cloak vectors`.
pub fn run(a: Args) -> Result<(), Failure> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors");
    let dir = a.dir.unwrap_or_else(|| {
        if std::path::Path::new("vectors").is_dir() {
            "vectors".into()
        } else {
            default.into()
        }
    });
    let report = cloaktls_testkit::vectors::run_dir(&dir)?;
    for (name, r) in &report.results {
        match r {
            Ok(n) => println!("ok    {name}: key schedule and messages ({n} comparisons)"),
            Err(e) => println!("FAIL  {name}: {e}"),
        }
    }
    for r in &report.replays {
        let who = format!("{}: our {:?} replayed", r.trace, r.side).to_lowercase();
        match &r.result {
            Ok(done) => {
                println!("ok    {who} ({} comparisons)", done.checks);
                for i in &done.injected {
                    println!("        injected: {i}");
                }
            }
            Err(e) => println!("FAIL  {who}: {e}"),
        }
    }
    println!("{} passed, {} failed", report.passed(), report.failed());
    if report.failed() > 0 {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}
