fn rss() -> String { std::fs::read_to_string("/proc/self/status").unwrap().lines().filter(|l| l.starts_with("VmHWM")||l.starts_with("VmRSS")).collect::<Vec<_>>().join(" ") }
fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let mode = std::env::args().nth(2).unwrap_or_default();
    eprintln!("node {} kind {}", std::mem::size_of::<imageupdate::yaml::Node>(), std::mem::size_of::<imageupdate::yaml::NodeKind>());
    if mode == "events" {
        let mut p = yaml_rust2::parser::Parser::new_from_str(&text);
        let mut n = 0;
        loop { match p.next_token() { Ok((yaml_rust2::Event::StreamEnd, _)) | Err(_) => break, _ => n += 1 } }
        eprintln!("events {n} {}", rss());
        return;
    }
    let y = imageupdate::yaml::parse(&text);
    eprintln!("nodes {} {}", y.nodes.len(), rss());
    if mode == "validate" {
        let dir = std::path::Path::new(std::env::args().nth(3).as_deref().unwrap()).to_path_buf();
        let (_ws, d) = imageupdate::validate(&dir, &[], &Default::default());
        eprintln!("validate {} {}", d.len(), rss());
    }
}
