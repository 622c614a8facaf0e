//! Order statistics over a handful of samples: durations (spawn timings)
//! and plain numbers (the shell benchmark's milliseconds and microseconds).
//!
//! With n = 30 an HDR histogram buys nothing; sorting the samples gives exact
//! values and keeps the definitions obvious.

use std::time::Duration;

/// Median, p90, min and max of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median; the mean of the two middle samples when `n` is even.
    pub median: Duration,
    /// 90th percentile, nearest-rank (the smallest sample ≥ 90 % of them).
    pub p90: Duration,
    /// Smallest sample.
    pub min: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[Duration]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        };
        // Nearest rank: ceil(0.9 n), 1-based; n ≥ 1 so the index is in range.
        let rank = (n * 9).div_ceil(10).max(1);
        Some(Self {
            n,
            median,
            p90: sorted[rank - 1],
            min,
            max,
        })
    }
}

/// The `q` quantile (0 ≤ q ≤ 1) of `values`: the sample at rank
/// round((n − 1)·q) in sorted order; NaN when there are none.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    let v = sorted(values);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Median (the mean of the middle two for an even count), min and max of
/// `values`; NaN for each when there are none.
pub fn median_min_max(values: &[f64]) -> (f64, f64, f64) {
    let v = sorted(values);
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (median, v[0], v[n - 1])
}

/// The arithmetic mean; 0 for no values.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Milliseconds with three decimals, for reports and JSON.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_vec(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn empty_has_no_summary() {
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn odd_and_even_medians() {
        let s = Summary::of(&ms_vec(&[5, 1, 3])).unwrap();
        assert_eq!(s.median, Duration::from_millis(3));
        let s = Summary::of(&ms_vec(&[4, 1, 3, 2])).unwrap();
        assert_eq!(s.median, Duration::from_micros(2500));
    }

    #[test]
    fn float_percentiles_medians_and_means() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 1.0), 5.0);
        assert_eq!(median_min_max(&v), (3.0, 1.0, 5.0));
        assert_eq!(median_min_max(&[4.0, 1.0, 3.0, 2.0]), (2.5, 1.0, 4.0));
        assert_eq!(mean(&v), 3.0);
        assert!(percentile(&[], 0.5).is_nan());
        assert!(median_min_max(&[]).0.is_nan());
        assert_eq!(mean(&[]), 0.0);
    }

    #[test]
    fn p90_is_nearest_rank() {
        let v: Vec<u64> = (1..=30).collect();
        let s = Summary::of(&ms_vec(&v)).unwrap();
        assert_eq!(s.p90, Duration::from_millis(27));
        assert_eq!(s.min, Duration::from_millis(1));
        assert_eq!(s.max, Duration::from_millis(30));
        let s = Summary::of(&ms_vec(&[7])).unwrap();
        assert_eq!(s.p90, Duration::from_millis(7));
    }
}
