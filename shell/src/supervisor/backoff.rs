//! The restart policy: how long to wait before the next start, and when to
//! stop trying. Kept free of processes and clocks so it is tested directly.

use std::time::Duration;

use super::config::BackoffConfig;

/// What to do after a host failed (failed to start, exited, went unhealthy).
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Start again after `delay`; `attempt` counts consecutive failures.
    Retry { attempt: u32, delay: Duration },
    /// `max_failures` consecutive failures: give up.
    GiveUp,
}

/// Consecutive-failure count and the next delay.
#[derive(Debug)]
pub struct RestartPolicy {
    config: BackoffConfig,
    max_failures: u32,
    failures: u32,
    next_delay: Duration,
}

impl RestartPolicy {
    pub fn new(config: BackoffConfig, max_failures: u32) -> Self {
        let next_delay = config.initial;
        Self {
            config,
            max_failures,
            failures: 0,
            next_delay,
        }
    }

    /// Records one failure of a host that had been healthy for
    /// `healthy_for` (zero when it never got ready) and decides.
    pub fn on_failure(&mut self, healthy_for: Duration) -> Verdict {
        if healthy_for >= self.config.reset_after {
            // It proved itself: this crash is a fresh incident.
            self.failures = 0;
            self.next_delay = self.config.initial;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= self.max_failures {
            return Verdict::GiveUp;
        }
        let delay = self.next_delay.min(self.config.max);
        self.next_delay = delay.saturating_mul(2).min(self.config.max);
        Verdict::Retry {
            attempt: self.failures,
            delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn policy(max_failures: u32) -> RestartPolicy {
        RestartPolicy::new(
            BackoffConfig {
                initial: ms(250),
                max: ms(1000),
                reset_after: ms(30_000),
            },
            max_failures,
        )
    }

    #[test]
    fn doubles_up_to_the_cap_then_gives_up() {
        let mut p = policy(6);
        let delays: Vec<_> = (0..5)
            .map(|_| match p.on_failure(Duration::ZERO) {
                Verdict::Retry { delay, .. } => delay,
                Verdict::GiveUp => panic!("gave up early"),
            })
            .collect();
        assert_eq!(delays, [ms(250), ms(500), ms(1000), ms(1000), ms(1000)]);
        assert_eq!(p.on_failure(Duration::ZERO), Verdict::GiveUp);
    }

    #[test]
    fn attempts_count_consecutive_failures() {
        let mut p = policy(3);
        assert_eq!(
            p.on_failure(ms(10)),
            Verdict::Retry {
                attempt: 1,
                delay: ms(250)
            }
        );
        assert_eq!(
            p.on_failure(ms(10)),
            Verdict::Retry {
                attempt: 2,
                delay: ms(500)
            }
        );
        assert_eq!(p.on_failure(ms(10)), Verdict::GiveUp);
    }

    #[test]
    fn a_long_healthy_run_resets_count_and_delay() {
        let mut p = policy(3);
        let _ = p.on_failure(Duration::ZERO);
        let _ = p.on_failure(Duration::ZERO);
        assert_eq!(
            p.on_failure(ms(30_000)),
            Verdict::Retry {
                attempt: 1,
                delay: ms(250)
            }
        );
    }

    #[test]
    fn max_failures_of_one_never_retries() {
        assert_eq!(policy(1).on_failure(Duration::ZERO), Verdict::GiveUp);
    }
}
