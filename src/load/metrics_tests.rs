//! Tests of [`super`]: histograms merge exactly, requests fall into their
//! interval, and a long run's series stay bounded.

mod totals {
    use super::super::*;

    #[test]
    fn the_active_time_runs_from_the_first_send_to_the_last_answer() {
        let m = Metrics::default();
        assert_eq!(m.active_secs(), None, "no request: no active time");
        // Answered at 1.5 s after 500 ms in flight: sent at 1.0 s.
        m.record("StartFlow fresh", 1_500, 500_000, 200, None);
        m.record("StartFlow fresh", 3_000, 2_000, 200, None);
        m.record("StartFlow fresh", 2_000, 1_000, 200, None);
        assert_eq!(m.active_secs(), Some(2.0), "1.0 s to 3.0 s");
    }

    #[test]
    fn recorded_histograms_merge_exactly() {
        let (mut a, mut b) = (new_histogram(), new_histogram());
        for v in 1..=1000 {
            a.record(v).expect("record");
            b.record(v * 10).expect("record");
        }
        let mut merged = Recorded::of(&a).histogram();
        merged.add(Recorded::of(&b).histogram()).expect("add");
        let mut direct = a.clone();
        direct.add(&b).expect("add");
        assert_eq!(merged.len(), 2000);
        assert_eq!(
            merged.value_at_quantile(0.99),
            direct.value_at_quantile(0.99)
        );
        assert_eq!(merged.max(), direct.max());
    }
}

mod series {
    use super::super::*;

    #[test]
    fn requests_fall_into_their_interval_with_their_failures() {
        let m = Metrics::new(std::time::Duration::from_secs(1));
        m.record("a", 10, 100, 200, None);
        m.record("a", 900, 300, 500, Some("a: 500".into()));
        m.record("a", 2_500, 1_000, 200, None);
        let s = m.series();
        assert_eq!(s.len(), 1);
        let idx: Vec<u32> = s[0].points.iter().map(|p| p.index).collect();
        assert_eq!(idx, [0, 2], "an interval without requests has no point");
        assert_eq!(s[0].points[0].requests, 2);
        assert_eq!(s[0].points[0].failed(), 1, "the failure is in its interval");
        assert_eq!(
            s[0].points[1].p99_us / 10,
            100,
            "1% precision: {:?}",
            s[0].points[1]
        );
    }
}

mod bounded {
    use super::super::*;

    #[test]
    fn a_long_run_keeps_at_most_max_points_and_every_request() {
        let m = Metrics::new(std::time::Duration::from_millis(1));
        let n = (MAX_POINTS * 5) as u32;
        for at in 0..n {
            let failure = (at % 100 == 0).then(|| "a: 500".to_owned());
            m.record("a", at, 100 + u64::from(at % 7), 200, failure);
        }
        let s = m.series();
        let points = &s[0].points;
        assert!(
            points.len() <= MAX_POINTS,
            "{} points kept for {n} intervals",
            points.len()
        );
        assert_eq!(m.interval_ms(), 8, "1 ms doubled three times");
        assert_eq!(
            points.iter().map(|p| p.requests).sum::<u64>(),
            u64::from(n),
            "no request is lost by merging"
        );
        assert_eq!(
            points.iter().map(Point::failed).sum::<u64>(),
            u64::from(n / 100)
        );
        assert!(
            points.windows(2).all(|w| w[0].index < w[1].index),
            "one point per interval, in order"
        );
        assert_eq!(
            points[0].requests, 8,
            "the first point holds 8 ms of requests"
        );
    }
}
