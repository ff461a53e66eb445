//! What both backends share: one row decoder ([`row::Columns`]) and the
//! placeholder rewrite that lets one SQL text serve both.
//!
//! Store code shared by the backends lives in `crate::shared` and is
//! compiled once per backend (`include!`), with the backend's `Store`,
//! `Row` and `Db` types and its `sql!`, `write_tx!`, `reader!` and `writer!`
//! macros in scope. SQL is written with PostgreSQL's `$1` placeholders;
//! SQLite reads them as `?1` (the same numbered parameters).

pub(crate) mod row;

/// `$1` → `?1` outside quoted text: PostgreSQL's numbered placeholders in
/// SQLite's spelling.
#[must_use]
pub(crate) fn sqlite_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_renumbered_outside_quotes_only() {
        assert_eq!(
            super::sqlite_params("SELECT '$1', $1, $10 FROM t WHERE a = $2 AND b = '$'"),
            "SELECT '$1', ?1, ?10 FROM t WHERE a = ?2 AND b = '$'"
        );
    }
}
