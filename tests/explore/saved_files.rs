//! What a saved file holds beyond single calls: a burst with several
//! tokens (or none) as one concurrent step (`concurrent`, `each`, counts
//! every order agrees on), and ListFlows contents judged on the
//! sequence's own flows (`all-pages`, `contains`, `excludes`). Each fault
//! is found by explore, and its file fails `check` on the faulty endpoint,
//! passes on the emulator (and, for ListFlows, on one holding foreign flows).

use super::faults::found_at;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_at_once_merged_into_one_run_are_saved_as_a_concurrent_step() {
    let (_, text) = found_at(
        "concurrency (several tokens)",
        |up| Box::pin(async move { super::coalescing::start(&up).await }),
        1,
    )
    .await;
    eprintln!("{text}");
    let burst = text
        .lines()
        .position(|l| l.contains("concurrent:"))
        .unwrap_or_else(|| panic!("the burst is one concurrent step:\n{text}"));
    let step: Vec<&str> = text.lines().skip(burst).take(4).collect();
    assert!(
        step.iter().any(|l| l.contains("each: {\"clientToken\"")),
        "each copy sends its own token (`each:`):\n{text}"
    );
    assert!(
        step.iter().any(|l| l.contains("expect:")),
        "the concurrent step carries expectations every order allows:\n{text}"
    );
}
