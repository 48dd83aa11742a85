//! Reading an email address a user typed in chat. Deliberately stricter than
//! RFC 5321 (no quoted local parts, no IP literals, ASCII only): what passes is
//! an address every SMTP server accepts in `RCPT TO`, and nothing that could
//! smuggle a second recipient or a header.

/// A plausible address: trimmed, domain lower-cased. Not proof that it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Option<EmailAddress> {
        let s = input
            .trim()
            .trim_start_matches("mailto:")
            .trim_start_matches('<')
            .trim_end_matches('>');
        if s.len() > 254 {
            return None;
        }
        let (local, domain) = s.split_once('@')?;
        if !local_ok(local) || !domain_ok(domain) {
            return None;
        }
        let address = format!("{local}@{}", domain.to_ascii_lowercase());
        // lettre must agree, or sending would fail later.
        address.parse::<lettre::Address>().ok()?;
        Some(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn local_ok(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
}

fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or_default();
    domain.len() <= 253
        && labels.len() >= 2
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        for (input, want) in [
            ("you@example.com", "you@example.com"),
            (
                "  First.Last+tag@Mail.Example.CO.UK ",
                "First.Last+tag@mail.example.co.uk",
            ),
            ("<a_b@sub-domain.example.org>", "a_b@sub-domain.example.org"),
            ("mailto:x@y.io", "x@y.io"),
        ] {
            assert_eq!(
                EmailAddress::parse(input).map(|a| a.to_string()).as_deref(),
                Some(want),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_deliverable_address() {
        for input in [
            "",
            "off",
            "you",
            "you@",
            "@example.com",
            "you@localhost",
            "you@example",
            "you@example.c",
            "you@exa mple.com",
            "you@@example.com",
            "a@b@example.com",
            "you@-example.com",
            "you@example..com",
            ".you@example.com",
            "you.@example.com",
            "y..ou@example.com",
            "you@example.com, other@example.com",
            "you@example.com\r\nBcc: x@example.com",
            "\"quoted\"@example.com",
            "jörg@example.com",
            "you@[127.0.0.1]",
            "you@127.0.0.1",
        ] {
            assert!(EmailAddress::parse(input).is_none(), "{input:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_none());
    }
}
