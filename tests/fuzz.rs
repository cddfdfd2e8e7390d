//! Property tests over the harness's own input paths, bounded for CI (a
//! longer run: `benches/fuzz.sh`): the scenario parser, the template
//! renderer and the normaliser never panic on any input.

use proptest::prelude::*;

use crate::support::fuzz_cases::{catalogue_texts, json_value, scenario_text};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_scenario_parser_refuses_broken_files_with_a_location(text in scenario_text(catalogue_texts())) {
        if let Err(e) = appflow_harness::scenario::parse(std::path::Path::new("fuzz.yaml"), &text) {
            prop_assert!(e.line >= 1, "{e}");
            prop_assert!(e.to_string().starts_with("fuzz.yaml:"), "{e}");
        }
    }

    #[test]
    fn the_scenario_parser_survives_any_text(text in any::<String>()) {
        let _ = appflow_harness::scenario::parse(std::path::Path::new("fuzz.yaml"), &text);
    }

    #[test]
    fn templates_render_any_text(text in any::<String>(), value in json_value()) {
        let mut b = appflow_harness::scenario::template::Bindings::default();
        b.values.insert("x".into(), value);
        let _ = appflow_harness::scenario::template::names(&text);
        let _ = b.render_text(&text);
        let _ = b.render_str(&text);
    }

    #[test]
    fn the_normaliser_keeps_the_shape_of_any_json(v in json_value(), name in "[ -~]{0,12}") {
        let mut n = appflow_harness::normalise::Normaliser::new();
        n.name(&name, "<flow:x>".into());
        let out = n.normalise(&v);
        prop_assert_eq!(std::mem::discriminant(&out), std::mem::discriminant(&v));
        let _ = n.normalise_group(&[v.clone(), out], "step1");
    }
}
