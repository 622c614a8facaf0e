//! Which provider a key or an endpoint belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A model provider whose API key the host stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// `openrouter`
    #[serde(rename = "openrouter")]
    OpenRouter,
    /// `ai-gateway`
    AiGateway,
    /// `custom`
    Custom,
}

impl Provider {
    /// Every provider, in display order.
    pub const ALL: [Provider; 3] = [Provider::OpenRouter, Provider::AiGateway, Provider::Custom];

    /// Stable identifier: wire name, keyring user and `auth.json` key.
    pub fn id(self) -> &'static str {
        match self {
            Provider::OpenRouter => "openrouter",
            Provider::AiGateway => "ai-gateway",
            Provider::Custom => "custom",
        }
    }

    /// Inverse of [`Provider::id`] (exact match).
    pub fn parse(s: &str) -> Option<Provider> {
        Self::ALL.into_iter().find(|p| p.id() == s)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.id()), Some(p));
            let json = serde_json::to_string(&p).expect("serialise");
            assert_eq!(json, format!("\"{}\"", p.id()));
            let back: Provider = serde_json::from_str(&json).expect("parse");
            assert_eq!(back, p);
        }
        assert_eq!(Provider::OpenRouter.id(), "openrouter");
        assert_eq!(Provider::AiGateway.id(), "ai-gateway");
        assert_eq!(Provider::Custom.id(), "custom");
        assert_eq!(Provider::parse("OpenRouter"), None);
        assert_eq!(Provider::parse("open-router"), None);
        assert_eq!(Provider::parse(""), None);
    }
}
