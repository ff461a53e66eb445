//! A directory as it is published: a zip holding `datapackage.json` and
//! `data/*.csv` (the HSDS 1.x datapackages 211s publish), loose CSV tables,
//! or HSDS 3.0 JSON. Everything is read into named texts for the importer;
//! text that is not UTF-8 is read as Windows-1252, which is what such
//! exports are when they are not UTF-8.

use crate::web::error::AppError;
use std::io::Read;

/// The most a zip may unpack to, and how many entries it may hold: a
/// published directory is a few megabytes (a national one tens), a zip
/// bomb is not.
const MAX_UNPACKED: u64 = 128 * 1024 * 1024;
const MAX_ENTRIES: usize = 2_000;

fn unreadable(message: String) -> AppError {
    AppError::Invalid {
        code: "unreadable",
        field: Some("files"),
        message,
    }
}

fn is_zip(name: &str, bytes: &[u8]) -> bool {
    name.to_ascii_lowercase().ends_with(".zip") || bytes.starts_with(b"PK\x03\x04")
}

fn wanted(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    !base.starts_with('.')
        && !lower.starts_with("__macosx/")
        && (base.ends_with(".csv") || base.ends_with(".json"))
}

/// Text from bytes: UTF-8 (without a byte-order mark), or Windows-1252.
#[must_use]
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => haven_domain::directory::import::lenient::from_windows_1252(bytes),
    }
}

fn unzip(name: &str, bytes: &[u8], out: &mut Vec<(String, String)>) -> Result<(), AppError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(format!("{name}: not a readable zip ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(unreadable(format!(
            "{name}: more than {MAX_ENTRIES} files in the zip"
        )));
    }
    let mut total = 0_u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| unreadable(format!("{name}: {e}")))?;
        let path = entry
            .name()
            .map_err(|e| unreadable(format!("{name}: {e}")))?
            .into_owned();
        if entry.is_dir() || !wanted(&path) {
            continue;
        }
        let mut data = Vec::new();
        let room = MAX_UNPACKED.saturating_sub(total);
        (&mut entry)
            .take(room + 1)
            .read_to_end(&mut data)
            .map_err(|e| unreadable(format!("{name}: {path}: {e}")))?;
        total += data.len() as u64;
        if total > MAX_UNPACKED {
            return Err(unreadable(format!(
                "{name}: unpacks to more than {} MB",
                MAX_UNPACKED / 1024 / 1024
            )));
        }
        out.push((path, decode(&data)));
    }
    Ok(())
}

/// The tables a `datapackage.json` names, by the name the importer knows
/// them by (`services.csv`), from the paths it gives (`data/services.csv`).
fn datapackage_names(text: &str) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for r in v["resources"].as_array().into_iter().flatten() {
        let paths: Vec<&str> = match &r["path"] {
            serde_json::Value::String(p) => vec![p.as_str()],
            serde_json::Value::Array(ps) => ps.iter().filter_map(|p| p.as_str()).collect(),
            _ => Vec::new(),
        };
        for p in paths {
            let base = p
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(p)
                .to_ascii_lowercase();
            names.push((p.to_owned(), base));
        }
    }
    names
}

/// Reads what an operator gave (file names and their bytes: zips, CSV
/// tables, JSON) into named texts. A `datapackage.json` decides which
/// tables are read and where they are. Nothing recognizable is an error.
///
/// # Errors
/// A zip that cannot be read or is too large; no table or JSON at all.
pub fn unpack(inputs: Vec<(String, Vec<u8>)>) -> Result<Vec<(String, String)>, AppError> {
    let mut files = Vec::new();
    for (name, bytes) in inputs {
        if is_zip(&name, &bytes) {
            unzip(&name, &bytes, &mut files)?;
        } else if wanted(&name) {
            files.push((name, decode(&bytes)));
        }
    }
    let package = files.iter().find(|(n, _)| {
        n.rsplit(['/', '\\'])
            .next()
            .is_some_and(|b| b.eq_ignore_ascii_case("datapackage.json"))
    });
    if let Some((_, text)) = package {
        let listed = datapackage_names(text);
        if !listed.is_empty() {
            let path_of = |n: &str| n.replace('\\', "/").to_ascii_lowercase();
            // Only the tables it lists (and itself): other JSON in a
            // package is its metadata, not HSDS records.
            files.retain(|(n, _)| {
                let p = path_of(n);
                p.ends_with("datapackage.json")
                    || listed
                        .iter()
                        .any(|(l, _)| p == path_of(l) || p.ends_with(&format!("/{}", path_of(l))))
            });
        }
    }
    let tables = files
        .iter()
        .filter(|(n, _)| {
            let lower = n.to_ascii_lowercase();
            lower.ends_with(".csv")
                || (lower.ends_with(".json") && !lower.ends_with("datapackage.json"))
        })
        .count();
    if tables == 0 {
        return Err(unreadable(
            "Nothing to import was found: expected HSDS CSV tables (organizations.csv, services.csv ...), a zip or folder holding them with datapackage.json, or HSDS 3.0 JSON.".into(),
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_utf8_is_read_as_windows_1252() {
        assert_eq!(decode(b"caf\xe9 \x93quoted\x94 \x92"), "café “quoted” ’");
        assert_eq!(decode("Kreyòl".as_bytes()), "Kreyòl");
        assert_eq!(decode(b"\xEF\xBB\xBFid,name"), "id,name");
    }

    #[test]
    fn nothing_recognizable_is_an_error_not_an_empty_import() {
        let e = unpack(vec![("notes.txt".into(), b"hello".to_vec())]).unwrap_err();
        assert!(e.body().message.contains("Nothing to import"));
    }
}
