//! Markdown to safe HTML. Clients get both the source and the rendering; the
//! rendering is sanitised with ammonia's allow-list, so no script, no event
//! attribute and no `javascript:` (or `data:`) URL can survive, whatever the input.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, Options, Parser};

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEAN: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            .set_tag_attribute_value("a", "target", "_blank");
        b
    })
}

/// Renders a message body (CommonMark + strikethrough + tables + task lists).
/// Raw HTML in the source is escaped-or-stripped by the sanitiser like anything else.
pub fn markdown_to_html(source: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(source.len() + source.len() / 2);
    html::push_html(&mut raw, Parser::new_ext(source, options));
    sanitizer().clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::markdown_to_html;

    #[test]
    fn formatting_survives() {
        let html = markdown_to_html("**жирный** _курсив_ `code` [link](https://artel.example)");
        assert!(html.contains("<strong>жирный</strong>"));
        assert!(html.contains("<em>курсив</em>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("href=\"https://artel.example\""));
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""));
    }

    #[test]
    fn nothing_executable_survives() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg onload=alert(1)>",
            "<iframe src=https://evil.example></iframe>",
            "![x](javascript:alert(1))",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "[x](&#106;avascript:alert(1))",
        ];
        for attack in attacks {
            let html = markdown_to_html(attack).to_lowercase();
            assert!(!html.contains("<script"), "{attack} → {html}");
            assert!(!html.contains("javascript:"), "{attack} → {html}");
            assert!(!html.contains("data:"), "{attack} → {html}");
            assert!(!html.contains("onerror") && !html.contains("onload"), "{attack} → {html}");
            assert!(!html.contains("<iframe") && !html.contains("style="), "{attack} → {html}");
        }
    }
}
