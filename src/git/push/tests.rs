//! Tests of redaction and of telling local remotes from network ones.

use super::*;

#[test]
fn redaction() {
    assert_eq!(
        redact("failed https://alice:s3cret@host:8080/git/x.git and http://tok@h/"),
        "failed https://host:8080/git/x.git and http://h/"
    );
    assert_eq!(redact("no url here"), "no url here");
    add_secret("hunter2");
    assert_eq!(redact("password hunter2 leaked"), "password *** leaked");
}

#[test]
fn local_paths() {
    let base = Path::new("/w");
    assert_eq!(
        local_path("file:///tmp/a%20b.git", base),
        Some(PathBuf::from("/tmp/a b.git"))
    );
    assert_eq!(
        local_path("/srv/x.git", base),
        Some(PathBuf::from("/srv/x.git"))
    );
    assert_eq!(
        local_path("../x.git", base),
        Some(PathBuf::from("/w/../x.git"))
    );
    assert_eq!(local_path("git@github.com:o/r.git", base), None);
    assert_eq!(local_path("https://h/r.git", base), None);
    assert_eq!(local_path("ssh://h/r.git", base), None);
}
