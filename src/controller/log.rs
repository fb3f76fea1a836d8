//! The controller's structured log: one JSON object a line on stderr
//! (`ts`, `level`, `msg`, then the fields), which log collectors parse
//! without configuration. The rest of the tool prints for people; a
//! long-running process in a pod prints for machines. No logging crate:
//! a handful of fields per line needs none, and kube-runtime's own
//! tracing events (watch restarts) surface as the errors its streams
//! return, which are logged here.

use std::io::Write;

use serde_json::{Map, Value};

pub fn info(msg: &str, fields: &[(&str, &str)]) {
    line("info", msg, fields);
}

pub fn warn(msg: &str, fields: &[(&str, &str)]) {
    line("warn", msg, fields);
}

pub fn error(msg: &str, fields: &[(&str, &str)]) {
    line("error", msg, fields);
}

/// The line for one entry (without its newline).
pub fn render(ts: &str, level: &str, msg: &str, fields: &[(&str, &str)]) -> String {
    let mut map = Map::new();
    map.insert("ts".into(), ts.into());
    map.insert("level".into(), level.into());
    map.insert("msg".into(), msg.into());
    for (k, v) in fields {
        map.insert((*k).into(), (*v).into());
    }
    Value::Object(map).to_string()
}

fn line(level: &str, msg: &str, fields: &[(&str, &str)]) {
    let ts = k8s_openapi::jiff::Timestamp::now().to_string();
    let mut text = render(&ts, level, msg, fields);
    text.push('\n');
    // A closed stderr is no reason to stop reconciling.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
