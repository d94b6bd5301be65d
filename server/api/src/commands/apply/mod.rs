//! Applying each command: one file per command (or pair of close ones), each
//! turning the parsed request into calls of the CRM services.

pub mod assign;
pub mod deal;
pub mod done;
pub mod info;
pub mod move_deal;
pub mod task;

use artel_core::user::{Language, User};

/// Picks the sentence in the user's language.
pub fn say(user: &User, en: String, ru: String) -> String {
    match user.language {
        Language::En => en,
        Language::Ru => ru,
    }
}
