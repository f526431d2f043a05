//! Times reading and comparing two documents, as `cargo xtask bench` measures the drift check
//! on a large real document: `cargo run --release -p openapi-drift --example time_diff -- A B [RUNS]`.
//! Prints one line per run: `load_ms compare_ms total_ms findings`.

use std::{path::Path, time::Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [reference, candidate, rest @ ..] = args.as_slice() else {
        return Err("usage: time_diff REFERENCE CANDIDATE [RUNS]".into());
    };
    let runs: usize = rest.first().map_or(Ok(5), |runs| runs.parse())?;
    for _ in 0..runs {
        let started = Instant::now();
        let (reference, candidate) = (
            openapi_drift::load_path(Path::new(reference))?,
            openapi_drift::load_path(Path::new(candidate))?,
        );
        let loaded = started.elapsed();
        let report = openapi_drift::compare(&reference, &candidate)?;
        let total = started.elapsed();
        println!(
            "{:.1} {:.1} {:.1} {}",
            loaded.as_secs_f64() * 1e3,
            (total - loaded).as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3,
            report.findings.len()
        );
    }
    Ok(())
}
