//! Every report path a command was given is checked before anything runs:
//! a run on AWS costs money, and a report lost at the end loses it.

use std::path::Path;

use super::CommandError;

/// Checks that each `(flag, path)` given can be written: its folder
/// exists, it is no folder itself, and a file can be made there (made and
/// removed if it was not there; an existing file is opened without being
/// truncated). The error names the flag and the path (exit 2, usage).
///
/// For every command with report flags (`check`, `compare`, `load`).
pub fn check_writable(paths: &[(&str, Option<&Path>)]) -> Result<(), CommandError> {
    for (flag, path) in paths {
        if let Some(path) = path {
            writable(path).map_err(|why| {
                CommandError::Usage(format!("{flag} {}: {why}; nothing was run", path.display()))
            })?;
        }
    }
    Ok(())
}

fn writable(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err("is a folder; give a file name".into());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!("the folder {} does not exist", parent.display()));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("cannot be written ({})", e.kind()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folders_and_folders_are_refused_naming_the_flag() {
        let dir = std::env::temp_dir().join(format!("ah-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good = dir.join("report.json");
        assert!(check_writable(&[("--json", Some(&good)), ("--junit", None)]).is_ok());
        assert!(!good.exists(), "the probe leaves no file behind");
        let missing = dir.join("no/such/x.json");
        let e = check_writable(&[("--json", Some(&missing))]).expect_err("missing folder");
        assert!(
            e.to_string().starts_with("--json ") && e.to_string().contains("does not exist"),
            "{e}"
        );
        assert_eq!(e.exit_code(), crate::exit_codes::USAGE);
        let e = check_writable(&[("--html", Some(&dir))]).expect_err("a folder");
        assert!(e.to_string().contains("is a folder"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
