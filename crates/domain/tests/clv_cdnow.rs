//! The BG/NBD fit reproduces the published CDNOW parameters (Fader, Hardie & Lee 2005):
//! r = 0.243, α = 4.414, a = 0.793, b = 2.426, log-likelihood −9582.4, each within 0.5 %.

use domain::clv::{expected_purchases, fit_bg_nbd, p_alive, CustomerSummary};

fn cdnow() -> Vec<CustomerSummary> {
    include_str!("data/cdnow_customers_summary.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<f64> = line
                .split(',')
                .skip(1)
                .map(|v| v.trim().parse().unwrap_or(f64::NAN))
                .collect();
            CustomerSummary {
                frequency: f[0],
                recency: f[1],
                t: f[2],
            }
        })
        .collect()
}

#[test]
fn the_cdnow_fit_gives_the_published_parameters() {
    let customers = cdnow();
    assert_eq!(customers.len(), 2357);
    let fit = fit_bg_nbd(&customers);
    let p = fit.params;
    let close = |got: f64, want: f64| ((got - want) / want).abs() < 0.005;
    assert!(close(p.r, 0.243), "r = {}", p.r);
    assert!(close(p.alpha, 4.414), "alpha = {}", p.alpha);
    assert!(close(p.a, 0.793), "a = {}", p.a);
    assert!(close(p.b, 2.426), "b = {}", p.b);
    assert!(
        close(fit.log_likelihood, -9582.4),
        "LL = {}",
        fit.log_likelihood
    );

    // With the fitted model: every P(alive) is a probability and expectations are finite.
    for c in &customers {
        let alive = p_alive(&p, c);
        assert!((0.0..=1.0).contains(&alive));
        let e = expected_purchases(&p, c, 39.0);
        assert!(e.is_finite() && e >= 0.0, "{c:?} → {e}");
    }
}
