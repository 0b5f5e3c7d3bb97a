//! Output files written atomically: a temporary file beside the target, renamed over it once
//! complete, so that an interrupted run never leaves a half-written file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Standard output, or a file being written (handle, temporary path, final path).
pub struct Output {
    file: Option<(File, PathBuf, PathBuf)>,
}

impl Output {
    /// Opens the temporary file now, so that an unwritable path fails before any work.
    pub fn create(path: &str) -> Result<Output, String> {
        if path == "-" {
            return Ok(Output { file: None });
        }
        let target = PathBuf::from(path);
        if target.is_dir() {
            return Err(format!("error: cannot write `{path}`: it is a directory\n"));
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file =
            File::create(&tmp).map_err(|e| format!("error: cannot write `{path}`: {e}\n"))?;
        Ok(Output {
            file: Some((file, tmp, target)),
        })
    }

    pub fn is_stdout(&self) -> bool {
        self.file.is_none()
    }

    /// Writes everything and moves it into place.
    pub fn commit(mut self, bytes: &[u8]) -> Result<(), String> {
        match self.file.take() {
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("error: cannot write output: {e}\n"))
            }
            Some((mut file, tmp, target)) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                drop(file);
                match written.and_then(|()| std::fs::rename(&tmp, &target)) {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let _ = std::fs::remove_file(&tmp);
                        Err(format!("error: cannot write `{}`: {e}\n", target.display()))
                    }
                }
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // A file never committed (an error came first) leaves nothing behind.
        if let Some((_, tmp, _)) = &self.file {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
