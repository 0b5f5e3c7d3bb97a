//! Output files, written so that nothing but the named output is ever touched:
//!
//! - a regular file (new or existing) is written to a temporary file beside it and renamed over
//!   it once complete, so an interrupted or failed run never leaves it half-written. On Linux the
//!   temporary file has no name until then (`O_TMPFILE`, given one with `linkat` just before the
//!   rename), so even a process killed outright (SIGKILL) leaves nothing behind; where the file
//!   system cannot do that, it is a hidden `.NAME.PID.….tmp` file, removed on any exit but a kill;
//! - a symbolic link is followed: the file it points to is written (as above) and the link kept;
//! - a FIFO, a character device or a socket (`/dev/null`, a pipe a reader waits on) is written
//!   directly, when the output is complete, and never replaced;
//! - `-` is standard output.
//!
//! Before any work, a command checks its outputs together ([`check_outputs`]: none empty, at most
//! one on standard output, no two the same file) and against its inputs ([`refuse_inputs`]: no
//! output is a file the scenario was read from).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Symbolic links followed at most before a path is called a loop.
const MAX_LINKS: usize = 40;

/// Where an output goes.
enum Target {
    Stdout,
    /// A regular file: (temporary file, its path, the final path).
    File(File, PathBuf, PathBuf),
    /// A regular file, written to an unnamed temporary file in its folder: (that file, the
    /// folder, the final path).
    Unnamed(File, PathBuf, PathBuf),
    /// A FIFO, device or socket, opened for writing when the output is complete.
    Special(PathBuf),
}

/// One output of a command.
pub struct Output {
    target: Option<Target>,
    /// The path as the user gave it, for messages.
    shown: String,
    /// What [`Output::write`] gave a FIFO or device so far: written with the rest at commit.
    pending: Vec<u8>,
}

/// Refuses a command's outputs before any work: `(flag, path)` pairs, e.g. `("--out", "r.json")`.
pub fn check_outputs(outputs: &[(&str, &str)]) -> Result<(), String> {
    for (flag, path) in outputs {
        if path.is_empty() {
            return Err(format!(
                "error: {flag} \"\": an empty path names no file\n      = hint: give a file name, or - for standard output\n"
            ));
        }
    }
    let stdout: Vec<&str> = outputs
        .iter()
        .filter(|(_, p)| *p == "-")
        .map(|(f, _)| *f)
        .collect();
    if stdout.len() > 1 {
        return Err(format!(
            "error: {} all write to standard output (-): their contents would interleave\n      = hint: send all but one to files\n",
            stdout.join(" and ")
        ));
    }
    let files: Vec<(&str, &str, PathBuf)> = outputs
        .iter()
        .filter(|(_, p)| *p != "-")
        .map(|(f, p)| (*f, *p, identity(Path::new(p))))
        .collect();
    for (i, (fa, pa, a)) in files.iter().enumerate() {
        for (fb, pb, b) in &files[i + 1..] {
            if a == b && !is_char_device(a) {
                return Err(format!(
                    "error: {fa} `{pa}` and {fb} `{pb}` are the same file: one would overwrite the other\n"
                ));
            }
        }
    }
    Ok(())
}

/// Refuses outputs that are one of `inputs` (the files a scenario was read from, or the reports
/// a comparison reads): the same file, also through a link or another path.
pub fn refuse_inputs(outputs: &[(&str, &str)], inputs: &[String]) -> Result<(), String> {
    for (flag, path) in outputs.iter().filter(|(_, p)| *p != "-") {
        let Ok(out) = std::fs::metadata(path) else {
            continue; // a new file is no input
        };
        for input in inputs {
            if std::fs::metadata(input).is_ok_and(|m| same_file(&m, &out)) {
                return Err(format!(
                    "error: {flag} `{path}` is `{input}`, which this command reads: writing it would destroy it\n      = hint: write the output to another file\n"
                ));
            }
        }
    }
    Ok(())
}

/// Whether `path` is a character device (`/dev/null`): writing it twice destroys nothing.
fn is_char_device(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// Whether `path` names one of the process's own file descriptors.
pub fn is_descriptor_path(path: &str) -> bool {
    path.starts_with("/dev/fd/")
        || matches!(path, "/dev/stdout" | "/dev/stderr" | "/dev/stdin")
        || (path.starts_with("/proc/") && path.contains("/fd/"))
}

/// A hidden temporary name beside the target `name` in `dir`, not guessable:
/// `.NAME.PID.<nanoseconds><attempt>.tmp`.
fn hidden_name(dir: &Path, name: &str, attempt: u32) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    dir.join(format!(
        ".{name}.{}.{nanos:x}{attempt}.tmp",
        std::process::id()
    ))
}

/// A new temporary file beside the target, created only if no file of its name exists (so a
/// name planted in advance, say as a link, is never opened), under a name not guessable.
fn temporary(dir: &Path, name: &str) -> std::io::Result<(File, PathBuf)> {
    let mut last = None;
    for attempt in 0..16u32 {
        let tmp = hidden_name(dir, name, attempt);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((file, tmp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary name was free")))
}

/// An unnamed temporary file in `dir` (Linux `O_TMPFILE`): it vanishes with the process unless
/// [`link_unnamed`] gives it a name. An error where the system or file system cannot make one.
#[cfg(target_os = "linux")]
fn unnamed(dir: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .mode(0o666)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
}

#[cfg(not(target_os = "linux"))]
fn unnamed(_: &Path) -> std::io::Result<File> {
    Err(std::io::Error::other("no unnamed temporary files here"))
}

/// Gives an unnamed temporary file a hidden name beside its target (`.NAME.PID.….tmp`, one that
/// does not exist yet), for the rename that follows at once; the name.
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::AsRawFd;
    let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(std::io::Error::other)?;
    let mut last = None;
    for attempt in 0..16u32 {
        let tmp = hidden_name(dir, name, attempt);
        let to =
            std::ffi::CString::new(tmp.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
        // SAFETY: both paths are NUL-terminated C strings that outlive the call.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r == 0 {
            return Ok(tmp);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::AlreadyExists {
            return Err(e);
        }
        last = Some(e);
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary name was free")))
}

#[cfg(not(target_os = "linux"))]
fn link_unnamed(_: &File, _: &Path, _: &str) -> std::io::Result<PathBuf> {
    Err(std::io::Error::other("no unnamed temporary files here"))
}

/// Writes to a FIFO, device or descriptor. A FIFO nobody reads yet is waited for without
/// blocking, so Ctrl-C or SIGTERM still stops the command.
fn write_special(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        const O_NONBLOCK: i32 = 0o4000;
        let fifo = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo());
        if fifo {
            let mut file = loop {
                match std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(O_NONBLOCK)
                    .open(path)
                {
                    Ok(f) => break f,
                    // ENXIO: no reader yet.
                    Err(e) if e.raw_os_error() == Some(6) => {
                        if super::stop_requested() {
                            return Err(std::io::Error::other(
                                "interrupted while waiting for a reader",
                            ));
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    Err(e) => return Err(e),
                }
            };
            let mut rest = bytes;
            while !rest.is_empty() {
                match file.write(rest) {
                    Ok(n) => rest = &rest[n..],
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        // A reader that stopped reading: still stoppable.
                        if super::stop_requested() {
                            return Err(std::io::Error::other(
                                "interrupted while the reader was not reading",
                            ));
                        }
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
    }
    // Appending: a descriptor reopened by its path (`/dev/stdout` redirected with `>>` to a
    // file) would otherwise be written from its start, over what it holds.
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// A path's identity for comparing outputs: the file it ends at (links followed) as an absolute,
/// canonical path where its folder exists.
fn identity(path: &Path) -> PathBuf {
    let end = follow_links(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(c) = end.canonicalize() {
        return c;
    }
    let dir = match end.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (dir.canonicalize(), end.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => end,
    }
}

/// The path a chain of symbolic links starting at `path` ends at (`path` itself if it is none),
/// whether or not that file exists.
fn follow_links(path: &Path) -> Result<PathBuf, String> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p).map_err(|e| e.to_string())?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(format!("more than {MAX_LINKS} symbolic links (a loop?)"))
}

impl Output {
    /// Opens the output: for a regular file its temporary file now, so that an unwritable path
    /// fails before any work.
    pub fn create(path: &str) -> Result<Output, String> {
        let shown = path.to_string();
        if path == "-" {
            return Ok(Output {
                target: Some(Target::Stdout),
                shown,
                pending: Vec::new(),
            });
        }
        let fail = |why: String| format!("error: cannot write `{path}`: {why}\n");
        if path.is_empty() {
            return Err(fail("an empty path names no file".into()));
        }
        // A process's own descriptors (`/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`) are
        // written to as they are, whatever they lead to: replacing the file a shell redirected
        // standard output to would destroy what it already holds.
        if is_descriptor_path(path) {
            return Ok(Output {
                target: Some(Target::Special(PathBuf::from(path))),
                shown,
                pending: Vec::new(),
            });
        }
        // What the path ends at, links followed by the system: a FIFO or device is opened by
        // this path itself.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_dir() {
                return Err(fail("it is a directory".into()));
            }
            if !meta.is_file() {
                return Ok(Output {
                    target: Some(Target::Special(PathBuf::from(path))),
                    shown,
                    pending: Vec::new(),
                });
            }
        }
        // A regular file, or none yet: the temporary file goes beside the file the links end
        // at, and is renamed onto it, so the links stay.
        let target = follow_links(Path::new(path)).map_err(fail)?;
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let existing = std::fs::metadata(&target).ok();
        if existing
            .as_ref()
            .is_some_and(|m| m.permissions().readonly())
        {
            return Err(fail("it is read-only".into()));
        }
        let target = match unnamed(dir) {
            Ok(file) => Target::Unnamed(file, dir.to_path_buf(), target),
            Err(_) => {
                let (file, tmp) = temporary(dir, &name).map_err(|e| fail(e.to_string()))?;
                Target::File(file, tmp, target)
            }
        };
        // The file replaced keeps its permissions (a private report stays private).
        if let (Some(meta), Target::File(file, ..) | Target::Unnamed(file, ..)) =
            (&existing, &target)
        {
            let _ = file.set_permissions(meta.permissions());
        }
        Ok(Output {
            target: Some(target),
            shown,
            pending: Vec::new(),
        })
    }

    /// Writes part of the output now (streamed outputs, such as a sweep's rows as points
    /// finish): into the temporary file of a regular file, straight to standard output, and kept
    /// for a FIFO or device until [`Output::commit`]. A regular file still appears only when
    /// committed.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let result = match &mut self.target {
            None => Ok(()),
            Some(Target::Stdout) => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Some(Target::Special(_)) => {
                self.pending.extend_from_slice(bytes);
                Ok(())
            }
            Some(Target::File(file, _, _) | Target::Unnamed(file, _, _)) => file.write_all(bytes),
        };
        result.map_err(|e| format!("error: cannot write `{}`: {e}\n", self.shown))
    }

    /// Whether this output is standard output.
    pub fn is_stdout(&self) -> bool {
        matches!(self.target, Some(Target::Stdout))
    }

    /// Writes everything and, for a regular file, moves it into place.
    pub fn commit(mut self, bytes: &[u8]) -> Result<(), super::Failure> {
        let shown = std::mem::take(&mut self.shown);
        let fail = |e: std::io::Error| {
            if super::stop_requested() {
                // Stopped while a FIFO waited for its reader: the signal's status.
                return super::Failure {
                    message: format!("interrupted: `{shown}`: {e}\n"),
                    code: super::signal_code(),
                };
            }
            super::Failure::from(format!("error: cannot write `{shown}`: {e}\n"))
        };
        match self.target.take() {
            None => Ok(()),
            Some(Target::Stdout) => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| super::Failure::from(format!("error: cannot write output: {e}\n")))
            }
            Some(Target::Special(path)) => {
                let mut all = std::mem::take(&mut self.pending);
                all.extend_from_slice(bytes);
                write_special(&path, &all).map_err(fail)
            }
            Some(Target::Unnamed(mut file, dir, target)) => {
                let name = target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                // Named only now, and renamed into place at once.
                match written.and_then(|()| link_unnamed(&file, &dir, &name)) {
                    Ok(tmp) => match std::fs::rename(&tmp, &target) {
                        Ok(()) => Ok(()),
                        Err(e) => {
                            let _ = std::fs::remove_file(&tmp);
                            Err(fail(e))
                        }
                    },
                    Err(e) => Err(fail(e)),
                }
            }
            Some(Target::File(mut file, tmp, target)) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                drop(file);
                match written.and_then(|()| std::fs::rename(&tmp, &target)) {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        Err(fail(e))
                    }
                }
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // A file never committed (an error or an interruption came first) leaves nothing behind.
        if let Some(Target::File(_, tmp, _)) = &self.target {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
