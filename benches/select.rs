//! Benchmark of tag selection (not a test: nothing is asserted): each Flux
//! policy kind and each Argo strategy over 100,000 tags. Budget: under
//! 50 ms per policy.
//!
//! Run: `cargo bench --bench select`.

use std::time::{Duration, Instant};

use imageupdate::resolve::{Platform, TagInfo, Timestamp, argo, flux};

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("runs > 0"))
}

fn main() {
    const N: usize = 100_000;
    // A realistic mix: releases, prereleases, build-stamped tags, junk.
    let tags: Vec<String> = (0..N)
        .map(|i| match i % 5 {
            0 => format!("{}.{}.{}", i / 10_000, (i / 100) % 100, i % 100),
            1 => format!(
                "v{}.{}.{}-rc.{}",
                i / 10_000,
                (i / 100) % 100,
                i % 100,
                i % 7
            ),
            2 => format!("main-{i:08x}-{}", 1_700_000_000 + i),
            3 => format!("{}", 1_700_000_000u64 + i as u64),
            _ => format!("sha256-{i:064x}.sig"),
        })
        .collect();
    let infos: Vec<TagInfo> = tags
        .iter()
        .enumerate()
        .map(|(i, t)| TagInfo {
            tag: t.clone(),
            created: Some(Timestamp {
                secs: 1_600_000_000 + (i as i64 * 7919) % 100_000_000,
                nanos: 0,
            }),
            digest: Some(format!("sha256:{i:064x}")),
            platforms: vec![Platform {
                os: "linux".into(),
                arch: "amd64".into(),
                variant: None,
            }],
        })
        .collect();

    let flux_cases = [
        (
            "flux semver >=1.0.0 <9.0.0",
            flux::PolicyKind::Semver {
                range: ">=1.0.0 <9.0.0".into(),
            },
            None,
            None,
        ),
        (
            "flux alphabetical asc",
            flux::PolicyKind::Alphabetical { desc: false },
            None,
            None,
        ),
        (
            "flux numerical asc, filter+extract",
            flux::PolicyKind::Numerical { desc: false },
            Some(r"^main-[a-f0-9]+-(?P<ts>[0-9]+)$".to_owned()),
            Some("$ts".to_owned()),
        ),
    ];
    for (name, kind, pattern, extract) in flux_cases {
        let policy = flux::FluxPolicy {
            kind,
            filter_pattern: pattern,
            filter_extract: extract,
            exclusion_list: None,
        };
        let (t, sel) = best(5, || flux::select(&policy, &tags));
        println!(
            "{name:<40} {N} tags: best of 5 {t:>9.2?} -> {:?}",
            sel.map(|s| s.tag)
        );
    }
    for (name, strategy, constraint) in [
        (
            "argo semver ~5",
            argo::Strategy::Semver,
            Some("~5".to_owned()),
        ),
        ("argo newest-build", argo::Strategy::NewestBuild, None),
        ("argo alphabetical", argo::Strategy::Alphabetical, None),
        (
            "argo digest 3.0.0",
            argo::Strategy::Digest,
            Some("3.0.0".to_owned()),
        ),
    ] {
        let settings = argo::ArgoSettings {
            strategy,
            constraint,
            allow_tags: Some(r"regexp:^[0-9v]".into()),
            ignore_tags: vec!["*-rc.6".into()],
            platforms: vec!["linux/amd64".into()],
        };
        let (t, sel) = best(5, || argo::select(&settings, &infos));
        println!(
            "{name:<40} {N} tags: best of 5 {t:>9.2?} -> {:?}",
            sel.ok().flatten().map(|s| s.tag)
        );
    }
}
