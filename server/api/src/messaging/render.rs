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

    mod fuzz {
        use super::markdown_to_html;
        use proptest::prelude::*;

        /// Pieces attackers combine; the generator strings them together with
        /// random text, markdown syntax and entity tricks.
        const PIECES: &[&str] = &[
            "<script>",
            "</script>",
            "<img src=x onerror=",
            "<svg onload=",
            "javascript:",
            "JaVaScRiPt:",
            "java\tscript:",
            "&#106;avascript:",
            "&#x6A;avascript:",
            "data:text/html,",
            "vbscript:",
            "[x](",
            "![y](",
            ")",
            "<a href=\"",
            "\">",
            "</a>",
            "<iframe src=",
            "<object data=",
            "<style>",
            "onclick=",
            " onmouseover=",
            "<div style=\"",
            "expression(",
            "`",
            "```\n",
            "\n\n",
            "<",
            ">",
            "\"",
            "'",
            "*",
            "_",
            "<math><mi xlink:href=\"",
            "<form action=",
            "<base href=",
            "<meta http-equiv=refresh content=",
        ];

        fn attack() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    prop::sample::select(PIECES).prop_map(str::to_string),
                    "[a-zA-Z0-9 :/().=]{0,12}",
                ],
                1..24,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            /// Whatever the input, no tag of the output can run code: only
            /// harmless elements, no event handlers or styles, no script URLs.
            #[test]
            fn no_executable_markup_survives(input in attack()) {
                let html = markdown_to_html(&input);
                for tag in tags(&html) {
                    let lower = tag.to_lowercase();
                    let name: String = lower.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                    prop_assert!(
                        !["script", "iframe", "object", "embed", "style", "form", "base", "meta", "svg", "math", "link"].contains(&name.as_str()),
                        "<{tag}> in {html:?} from {input:?}"
                    );
                    for (attr, value) in attributes(&lower) {
                        prop_assert!(!attr.starts_with("on") && attr != "style", "{attr} in <{tag}> from {input:?}");
                        if attr == "href" || attr == "src" {
                            let v = value.trim_start();
                            prop_assert!(
                                !(v.starts_with("javascript:") || v.starts_with("data:") || v.starts_with("vbscript:")),
                                "{attr}={value} in <{tag}> from {input:?}"
                            );
                        }
                    }
                }
            }
        }

        /// The tags of serialised HTML (text `<` is always escaped there).
        fn tags(html: &str) -> Vec<String> {
            let mut out = Vec::new();
            let mut rest = html;
            while let Some(start) = rest.find('<') {
                let mut quote = None;
                let mut end = None;
                for (i, c) in rest[start + 1..].char_indices() {
                    match (quote, c) {
                        (None, '"' | '\'') => quote = Some(c),
                        (Some(q), c) if c == q => quote = None,
                        (None, '>') => {
                            end = Some(start + 1 + i);
                            break;
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else { break };
                out.push(rest[start + 1..end].to_string());
                rest = &rest[end + 1..];
            }
            out
        }

        /// `name="value"` pairs of a tag (values unescaped enough for prefix checks).
        fn attributes(tag: &str) -> Vec<(String, String)> {
            let body = tag.split_once(char::is_whitespace).map(|(_, b)| b).unwrap_or("");
            let mut out = Vec::new();
            let mut rest = body.trim();
            while !rest.is_empty() {
                let name_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
                let name = rest[..name_end].to_string();
                rest = rest[name_end..].trim_start();
                let mut value = String::new();
                if let Some(after) = rest.strip_prefix('=') {
                    let after = after.trim_start();
                    if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                        let close = after[1..].find(q).map(|i| i + 1).unwrap_or(after.len());
                        value = after[1..close].replace("&amp;", "&");
                        rest = after.get(close + 1..).unwrap_or("").trim_start();
                    } else {
                        let end = after.find(char::is_whitespace).unwrap_or(after.len());
                        value = after[..end].to_string();
                        rest = after[end..].trim_start();
                    }
                }
                if !name.is_empty() && name != "/" {
                    out.push((name, value));
                }
            }
            out
        }
    }
}
