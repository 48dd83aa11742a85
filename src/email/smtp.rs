//! Sending over SMTP with lettre, as `EMAIL_*` says: STARTTLS (the default),
//! implicit TLS, or plain (a local relay or test server). Failures come back
//! sorted by what the caller should do, with the recipient's address
//! removed from every message, so they can be logged and stored.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{Error as SmtpError, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{EmailConfig, EmailTls};

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpFailure {
    /// Try again later: 4xx, network, timeout.
    #[error("transient SMTP failure: {0}")]
    Transient(String),
    /// The server refused this recipient for good (550, 551, 553): the
    /// address bounces.
    #[error("recipient refused: {0}")]
    RecipientRefused(String),
    /// Any other permanent failure (our sender, authentication, the message).
    #[error("permanent SMTP failure: {0}")]
    Permanent(String),
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(cfg: &EmailConfig) -> anyhow::Result<Mailer> {
        let from: Mailbox = cfg.from.parse().map_err(|e| {
            anyhow::anyhow!("EMAIL_FROM is not an address lettre accepts ({e}); use \"name <alerts@example.com>\"")
        })?;
        let tls = match cfg.tls {
            EmailTls::None => Tls::None,
            EmailTls::StartTls => Tls::Required(TlsParameters::new(cfg.host.clone())?),
            EmailTls::Tls => Tls::Wrapper(TlsParameters::new(cfg.host.clone())?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.as_str())
                .port(cfg.port)
                .tls(tls)
                .timeout(Some(Duration::from_secs(30)))
                .pool_config(
                    PoolConfig::new()
                        .max_size(8)
                        .idle_timeout(Duration::from_secs(60)),
                );
        if let (Some(user), Some(pass)) = (&cfg.user, &cfg.pass) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                pass.expose_secret().to_string(),
            ));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// The sender from `EMAIL_FROM`.
    pub fn from(&self) -> Mailbox {
        self.from.clone()
    }

    /// Connects, says EHLO, upgrades to TLS and logs in as configured, and
    /// sends nothing (`pricewatch doctor`).
    pub async fn test_connection(&self) -> Result<(), SmtpFailure> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SmtpFailure::Transient(
                "the server did not answer NOOP".into(),
            )),
            Err(e) => Err(classify(&e)),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SmtpFailure> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// Maps lettre's error to what the outbox does, without the address.
fn classify(e: &SmtpError) -> SmtpFailure {
    let code = e.status().map(u16::from);
    let text = redact(&e.to_string());
    match code {
        Some(550 | 551 | 553) if e.is_permanent() => SmtpFailure::RecipientRefused(text),
        _ if e.is_permanent() => SmtpFailure::Permanent(text),
        // A message lettre cannot put on the wire (no 8BITMIME, …) will not
        // get better on retry.
        _ if e.is_client() => SmtpFailure::Permanent(text),
        _ => SmtpFailure::Transient(text),
    }
}

/// Server replies often repeat the recipient (`550 <bob@x>: unknown`):
/// every word with an `@` becomes `<address>`.
pub fn redact(text: &str) -> String {
    let mut out: String = text
        .split(' ')
        .map(|w| if w.contains('@') { "<address>" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_never_reach_a_log_line() {
        assert_eq!(
            redact("permanent error (550): 5.1.1 <bob@example.com>: Recipient unknown"),
            "permanent error (550): 5.1.1 <address> Recipient unknown"
        );
    }

    #[test]
    fn a_bad_sender_stops_start_up_with_the_variable_named() {
        let cfg = EmailConfig {
            host: "127.0.0.1".into(),
            port: 25,
            user: None,
            pass: None,
            from: "not an address @".into(),
            tls: EmailTls::None,
        };
        let err = Mailer::new(&cfg)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("EMAIL_FROM"), "{err}");
    }
}
