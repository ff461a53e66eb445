//! The master key and `haven keys rotate`.

use crate::support::*;

#[test]
fn the_master_key_is_created_once_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(haven().args(["keys", "init"]).arg("--data-dir").arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let key = data.join("master.key");
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 44, "32 bytes of base64");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let again = run(haven().args(["keys", "init"]).arg("--data-dir").arg(&data));
    assert!(!again.status.success());
    assert!(stderr(&again).contains("never replaces a master key"));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);

    // Without its key file, a database with keys is not served.
    std::fs::rename(&key, dir.path().join("moved.key")).unwrap();
    let out = run(&mut serve_cmd(&data, free_addr(), None));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("master key file") && stderr(&out).contains("missing"),
        "{}",
        stderr(&out)
    );
    assert!(!key.exists(), "no new key was invented");

    // The wrong key file is refused too.
    std::fs::write(&key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    let out = run(&mut serve_cmd(&data, free_addr(), None));
    assert!(
        stderr(&out).contains("does not unwrap") || stderr(&out).contains("could not be unwrapped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn keys_rotate_re_encrypts_and_retires_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    // The demo encrypts the certifier's TOTP secret and its fictional case:
    // the person's name and profile, the trafficking profile, the screening,
    // three needs, a plan item and the relief facts; and the full records of
    // the demo directory's two confidential shelters.
    let addr = free_addr();
    let mut cmd = haven();
    cmd.args(["demo", "--listen", &addr.to_string()])
        .arg("--data-dir")
        .arg(&data);
    let (ok, _, err) = Server::start(cmd, addr).terminate();
    assert!(ok, "{err}");

    let out = run(haven()
        .args(["keys", "rotate", "--settle-seconds", "0"])
        .arg("--data-dir")
        .arg(&data));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("added data key 2"), "{text}");
    assert!(
        // Three more than before issue 7: the demo's second person (name,
        // profile) and her case (profile).
        text.contains("re-encrypted 15 values under key 2"),
        "{text}"
    );
    assert!(text.contains("retired data key 1"), "{text}");

    let out = run(haven()
        .args(["keys", "rotate", "--resume", "--settle-seconds", "0"])
        .arg("--data-dir")
        .arg(&data));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("re-encrypted 0 values under key 2") && !text.contains("added"),
        "{text}"
    );

    // The rotation is in the audit log, and the log is intact.
    let out = run(haven().args(["audit", "seal"]).arg("--data-dir").arg(&data));
    assert!(out.status.success());
    let out = run(haven()
        .args(["audit", "verify"])
        .arg("--data-dir")
        .arg(&data));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
}
