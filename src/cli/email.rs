//! `pricewatch email test <address>`: sends one message through the
//! configured SMTP server (`EMAIL_*`), so an operator can check the settings
//! without linking an address in chat.

use clap::{Args, Subcommand};

use crate::config::Config;
use crate::email::address::EmailAddress;
use crate::email::render::simple_message;
use crate::email::smtp::Mailer;
use crate::i18n::{self, Key, t};

#[derive(Debug, Subcommand)]
pub enum EmailCommand {
    /// Send a test message to ADDRESS through EMAIL_HOST.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Where to send it.
    pub address: String,
    /// Language of the message: en, de, fr, es or it.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

pub async fn run(cmd: EmailCommand, config: &Config) -> anyhow::Result<()> {
    let EmailCommand::Test(args) = cmd;
    let Some(cfg) = &config.email else {
        anyhow::bail!("EMAIL_HOST is not set: there is no SMTP server to send through.");
    };
    let Some(address) = EmailAddress::parse(&args.address) else {
        anyhow::bail!("\"{}\" is not an email address.", args.address);
    };
    let locale = i18n::supported(Some(&args.lang));
    let mailer = Mailer::new(cfg)?;
    let message = simple_message(
        mailer.from(),
        lettre::message::Mailbox::new(None, address.as_str().parse()?),
        &t(locale, Key::EmailTestSubject, &[]),
        &t(locale, Key::EmailTestBody, &[]),
        None,
        None,
    )?;
    mailer.send(message).await?;
    println!(
        "Sent a test email through {}:{}. Check the inbox of {address}.",
        cfg.host, cfg.port
    );
    Ok(())
}
