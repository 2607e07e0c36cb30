//! `cloak ticket-keys`: make and rotate the session-ticket key file that
//! servers behind one load balancer share (`cloak server --ticket-keys`).

use crate::Failure;
use cloaktls::crypto::SystemRandom;
use cloaktls::session::{new_key_file, KEY_FILE_MAX_KEYS};
use std::io::Write;
use std::path::Path;

/// `cloak ticket-keys new FILE` or `cloak ticket-keys rotate FILE`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Write a new key file holding one fresh key (readable by its owner
    /// only).
    New {
        /// The key file.
        file: String,
    },
    /// Put a fresh key first (it seals new tickets from now on) and keep
    /// the previous keys after it (they still open tickets), up to
    /// `--keep` of them. The file is replaced in one step, so servers
    /// reading it see the old file or the new one, never half of one.
    Rotate {
        /// The key file.
        file: String,
        /// How many previous keys to keep.
        #[arg(long, default_value_t = 1)]
        keep: usize,
    },
}

/// Runs `cloak ticket-keys`.
pub fn run(a: Args) -> Result<(), Failure> {
    let fresh = new_key_file(&SystemRandom::new())?;
    match a.action {
        Action::New { file } => write_atomically(Path::new(&file), &fresh),
        Action::Rotate { file, keep } => {
            let old = std::fs::read_to_string(&file)
                .map_err(|e| Failure::Message(format!("{file}: {e}")))?;
            let previous: Vec<&str> = old
                .lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .take(keep.min(KEY_FILE_MAX_KEYS - 1))
                .collect();
            let mut text = fresh;
            for k in previous {
                text.push_str(k);
                text.push('\n');
            }
            write_atomically(Path::new(&file), &text)
        }
    }
}

/// Writes `text` to a temporary file beside `path` (mode 0600 on Unix),
/// then renames it over `path`.
fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    let tmp = path.with_extension("tmp-cloak");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(&tmp)
        .map_err(|e| Failure::Message(format!("{}: {e}", tmp.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Failure::Message(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path)
        .map_err(|e| Failure::Message(format!("{}: {e}", path.display())))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
