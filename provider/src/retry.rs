//! How long to wait before the next attempt.

use std::time::Duration;

use rand::Rng;

use crate::config::ClientConfig;

/// The wait before retry number `attempt` (0-based).
///
/// A provider's `Retry-After` wins (capped by `backoff_cap`: a gateway
/// saying "come back in an hour" must not hang the agent loop). Otherwise
/// exponential backoff with "equal jitter": half fixed, half random, so
/// concurrent sessions spread out but never retry immediately.
pub(crate) fn delay(
    config: &ClientConfig,
    attempt: u32,
    retry_after: Option<Duration>,
) -> Duration {
    if let Some(after) = retry_after {
        return after.min(config.backoff_cap);
    }
    let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
    let full = config
        .backoff_base
        .checked_mul(factor)
        .unwrap_or(config.backoff_cap)
        .min(config.backoff_cap);
    let half = full / 2;
    let jitter_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let jitter = if jitter_nanos == 0 {
        Duration::ZERO
    } else {
        Duration::from_nanos(rand::rng().random_range(0..=jitter_nanos))
    };
    half + jitter
}

/// Parses `Retry-After` in its delay-seconds form; the HTTP-date form is
/// rare from these providers and is ignored (plain backoff applies).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let config = ClientConfig::default();
        for _ in 0..100 {
            let first = delay(&config, 0, None);
            assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(250));
            let third = delay(&config, 2, None);
            assert!(third >= Duration::from_millis(500) && third <= Duration::from_secs(1));
            let late = delay(&config, 40, None);
            assert!(late >= Duration::from_secs(2) && late <= Duration::from_secs(4));
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let config = ClientConfig::default();
        assert_eq!(
            delay(&config, 0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            delay(&config, 0, Some(Duration::from_secs(3600))),
            Duration::from_secs(4)
        );
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
