//! Tests of the write-back loop's pure parts: the conflict rule and the retry
//! backoff.

use super::*;

fn c(file: &str, line: usize, old: &str, new: &str) -> Change {
    Change {
        file: file.into(),
        line,
        image: "nginx".into(),
        old_value: old.into(),
        new_value: new.into(),
        old_tag: old.into(),
        new_tag: new.into(),
        setter: None,
        object: None,
        app: None,
        alias: None,
    }
}

#[test]
fn conflict_rule() {
    let first = [c("a.yaml", 3, "1.0", "1.1")];
    // Re-planned from the same old value (another line moved): fine.
    assert_eq!(find_conflict(&first, &[c("a.yaml", 5, "1.0", "1.1")]), None);
    // The remote already has our value: no change re-planned: fine.
    assert_eq!(find_conflict(&first, &[]), None);
    // Other files do not count.
    assert_eq!(find_conflict(&first, &[c("b.yaml", 3, "0.9", "1.1")]), None);
    // A third value on the remote: conflict.
    let msg = find_conflict(&first, &[c("a.yaml", 3, "2.0", "1.1")]).unwrap();
    assert!(
        msg.contains("from \"1.0\" to \"2.0\"") && msg.contains("remote's value wins"),
        "{msg}"
    );
}

#[test]
fn backoff_is_bounded_and_grows() {
    let mut j = Jitter::new();
    let b = (Duration::from_millis(100), Duration::from_secs(1));
    for _ in 0..100 {
        let d1 = j.delay(1, b);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d9 = j.delay(9, b);
        assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_secs(1));
    }
}
