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

/// Writes `text` to a new temporary file beside `path`, under a random
/// name and created exclusively (so that nothing planted there, file or
/// symbolic link, is written through), readable by its owner only (or
/// with the mode the key file already had), then renames it over `path`
/// and syncs the directory.
fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    let mut suffix = [0u8; 8];
    cloaktls::crypto::RandomSource::fill(&SystemRandom::new(), &mut suffix)?;
    let tmp = path.with_extension(format!("tmp-{}", hex(&suffix)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o600);
        // Never wider than the owner's and the group's reading.
        options.mode(mode & 0o640);
    }
    let mut f = options
        .open(&tmp)
        .map_err(|e| Failure::Message(format!("{}: {e}", tmp.display())))?;
    let written = f.write_all(text.as_bytes()).and_then(|_| f.sync_all());
    #[cfg(unix)]
    let written = written.and_then(|_| keep_owner(path, &tmp));
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Message(format!("{}: {e}", path.display())));
    }
    // The rename itself is durable once the directory is.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// A rotated file keeps the owner and group of the one it replaces, so
/// that servers running as another user can still read it (possible when
/// run as that owner or as root; otherwise the file is the caller's).
#[cfg(unix)]
fn keep_owner(old: &Path, new: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata(old) {
        if std::os::unix::fs::chown(new, Some(m.uid()), Some(m.gid())).is_err() {
            eprintln!(
                "warning: {} keeps its owner only if rotated by that owner or root",
                old.display()
            );
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
