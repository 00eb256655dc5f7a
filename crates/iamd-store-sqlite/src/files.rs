//! The files iamd keeps beside its database are readable by their owner alone, whatever
//! the umask: the data directory 0700; the database, its `-wal` and `-shm` (which SQLite
//! creates with the database file's mode), the lock file and `master.key` 0600. Files and
//! directories made by older versions are tightened when the store opens.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use iamd_store::secret::MasterKey;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// The master key file iamd generates in the data directory when given no key.
pub const MASTER_KEY_FILE: &str = "master.key";

/// Creates `dir` (and missing parents) with mode 0700.
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)
}

/// Makes `dir`, iamd's own data directory, 0700 (creating it if missing).
pub fn private_dir(dir: &Path) -> Result<(), String> {
    create_dir(dir).map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    tighten(dir, DIR_MODE)
}

/// Opens `path` for reading and writing, creating it with mode 0600 if missing and
/// tightening it to 0600 if it exists.
pub(crate) fn open_private(path: &Path) -> Result<File, String> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    let file = options
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    tighten(path, FILE_MODE)?;
    Ok(file)
}

/// Creates the database file (0600) if missing, so that SQLite's `-wal` and `-shm`, which
/// take its mode, are 0600 too, and tightens the existing ones.
pub(crate) fn prepare_database(path: &Path) -> Result<(), String> {
    drop(open_private(path)?);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = PathBuf::from(side);
        if side.exists() {
            tighten(&side, FILE_MODE)?;
        }
    }
    Ok(())
}

/// Clears the group and other permission bits of `path` if any is set.
fn tighten(path: &Path, mode: u32) -> Result<(), String> {
    #[cfg(unix)]
    {
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the permissions of {}: {e}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
                format!("cannot restrict the permissions of {}: {e}", path.display())
            })?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The master key kept in `data_dir/master.key`, generated there (mode 0600) if missing.
/// The file appears whole or not at all (written aside, then linked into place), and an
/// existing one is never replaced. Returns the key and whether it was generated now.
/// A missing directory is created 0700; an existing one's mode is left to the caller
/// (`private_dir` for iamd's own data directory).
pub fn data_dir_master_key(data_dir: &Path) -> Result<(MasterKey, bool), String> {
    create_dir(data_dir)
        .map_err(|e| format!("cannot create directory {}: {e}", data_dir.display()))?;
    let path = data_dir.join(MASTER_KEY_FILE);
    if path.exists() {
        tighten(&path, FILE_MODE)?;
        return Ok((read_master_key(&path)?, false));
    }
    let aside = data_dir.join(format!("{MASTER_KEY_FILE}.{}.new", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    let (key, text) = MasterKey::generate();
    let written = options.open(&aside).and_then(|mut file| {
        file.write_all(format!("{}\n", text.as_str()).as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&aside, &path));
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => {
            if let Ok(dir) = File::open(data_dir) {
                let _ = dir.sync_all();
            }
            Ok((key, true))
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok((read_master_key(&path)?, false)),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// A master key file: base64 of 32 bytes, white space around it ignored.
pub fn read_master_key(path: &Path) -> Result<MasterKey, String> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the master key file {}: {e}", path.display()))?,
    );
    MasterKey::from_base64(&text).map_err(|e| format!("{}: {e}", path.display()))
}
