//! The facts a release is judged on, as the built-in stage policies read them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use strongroom_policy::{evaluate_with, Limits, PolicyBundle, Stage};

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let Ok(input) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    let stage = Stage::ALL[*pick as usize % Stage::ALL.len()];
    let limits = Limits {
        time_per_rule: std::time::Duration::from_secs(1),
    };
    let _ = evaluate_with(&input, stage, &PolicyBundle::default(), &[], &limits);
});
