//! A real SMTP server for tests (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
//! QUIT over plain TCP), the inbox it fills, and a small MIME reader so tests
//! can look at a message the way a mail client does: headers (RFC 2047
//! decoded), nested multiparts, base64 and quoted-printable bodies.
//!
//! It can refuse a recipient for good (`550`) or once for now (`451`).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Inner {
    inbox: Vec<Received>,
    refuse: HashSet<String>,
    refuse_once: HashSet<String>,
    /// Replies to RCPT TO per address, in order (for assertions on retries).
    rcpt_replies: HashMap<String, Vec<u16>>,
}

#[derive(Clone)]
pub struct FakeSmtp {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeSmtp {
            addr: listener.local_addr().unwrap(),
            inner: Arc::default(),
        };
        let inner = fake.inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, inner.clone()));
            }
        });
        fake
    }

    /// `EMAIL_*` settings that send here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("EMAIL_HOST", "127.0.0.1".into()),
            ("EMAIL_PORT", self.addr.port().to_string()),
            ("EMAIL_TLS", "none".into()),
            ("EMAIL_FROM", "pricewatch <alerts@pricewatch.test>".into()),
        ]
    }

    /// Answer `550 5.1.1` to RCPT TO for this address from now on.
    pub fn refuse(&self, address: &str) {
        let mut i = self.inner.lock().unwrap();
        i.refuse.insert(address.to_ascii_lowercase());
    }

    /// Answer `451 4.3.0` to the next RCPT TO for this address.
    pub fn refuse_once(&self, address: &str) {
        let mut i = self.inner.lock().unwrap();
        i.refuse_once.insert(address.to_ascii_lowercase());
    }

    pub fn inbox(&self) -> Vec<Received> {
        self.inner.lock().unwrap().inbox.clone()
    }

    /// Messages delivered to `address`, oldest first, parsed.
    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.inbox()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .map(|m| Mail::parse(&m.data))
            .collect()
    }

    /// The codes RCPT TO got for `address`.
    pub fn rcpt_replies(&self, address: &str) -> Vec<u16> {
        let i = self.inner.lock().unwrap();
        i.rcpt_replies
            .get(&address.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }
}

/// `<a@b>` or `<a@b> SIZE=…` after `MAIL FROM:` / `RCPT TO:`.
fn path_of(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map_or(arg, |(a, _)| a);
    inner.to_string()
}

async fn session(stream: tokio::net::TcpStream, inner: Arc<Mutex<Inner>>) {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    if w.write_all(b"220 fake.test ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = text.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-fake.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 fake.test\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            rcpts.clear();
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let to = path_of(&text["RCPT TO:".len()..]);
            let key = to.to_ascii_lowercase();
            let mut i = inner.lock().unwrap();
            let code = if i.refuse.contains(&key) {
                550
            } else if i.refuse_once.remove(&key) {
                451
            } else {
                rcpts.push(to.clone());
                250
            };
            i.rcpt_replies.entry(key).or_default().push(code);
            match code {
                550 => format!("550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n"),
                451 => "451 4.3.0 Mailbox temporarily unavailable, try again later\r\n".into(),
                _ => "250 2.1.5 ok\r\n".into(),
            }
        } else if upper == "DATA" {
            if rcpts.is_empty() {
                "503 5.5.1 no valid recipients\r\n".into()
            } else {
                if w.write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    match r.read_until(b'\n', &mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    // Undo dot-stuffing.
                    let body = if line.starts_with(b"..") {
                        &line[1..]
                    } else {
                        &line[..]
                    };
                    data.extend_from_slice(body);
                }
                inner.lock().unwrap().inbox.push(Received {
                    to: std::mem::take(&mut rcpts),
                    data: String::from_utf8_lossy(&data).into_owned(),
                });
                "250 2.0.0 queued\r\n".into()
            }
        } else if upper.starts_with("RSET") {
            rcpts.clear();
            "250 2.0.0 ok\r\n".into()
        } else if upper.starts_with("NOOP") {
            "250 2.0.0 ok\r\n".into()
        } else if upper.starts_with("QUIT") {
            let _ = w.write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else {
            "502 5.5.2 command not recognised\r\n".into()
        };
        if w.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A MIME entity: headers, the decoded body, and its parts when multipart.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub parts: Vec<Mail>,
}

impl Mail {
    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut mail = Mail {
            headers,
            body: Vec::new(),
            parts: Vec::new(),
        };
        if let Some(boundary) = mail.param("Content-Type", "boundary") {
            let delimiter = format!("--{boundary}");
            for chunk in body.split(&delimiter).skip(1) {
                if chunk.starts_with("--") {
                    break;
                }
                let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
                let chunk = chunk.strip_suffix('\n').unwrap_or(chunk);
                mail.parts.push(Mail::parse(chunk));
            }
        } else {
            let encoding = mail
                .header("Content-Transfer-Encoding")
                .unwrap_or_default()
                .to_ascii_lowercase();
            mail.body = match encoding.as_str() {
                "base64" => STANDARD
                    .decode(body.split_whitespace().collect::<String>())
                    .unwrap(),
                "quoted-printable" => quoted_printable(body),
                _ => body.as_bytes().to_vec(),
            };
        }
        mail
    }

    /// The first header of that name, RFC 2047 words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| decode_words(v))
    }

    /// `type/subtype`, lower-case (text/plain when absent).
    pub fn content_type(&self) -> String {
        self.header("Content-Type")
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_else(|| "text/plain".into())
    }

    /// A parameter of a header, like the boundary of Content-Type.
    pub fn param(&self, header: &str, name: &str) -> Option<String> {
        let value = self.header(header)?;
        value.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().trim_matches('"').to_string())
        })
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Every entity, depth first, this one included.
    pub fn all(&self) -> Vec<&Mail> {
        let mut v = vec![self];
        for p in &self.parts {
            v.extend(p.all());
        }
        v
    }

    /// The first part of this content type.
    pub fn part(&self, content_type: &str) -> Option<&Mail> {
        self.all()
            .into_iter()
            .find(|m| m.content_type() == content_type)
    }

    pub fn plain(&self) -> String {
        self.part("text/plain").map(Mail::text).unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.part("text/html").map(Mail::text).unwrap_or_default()
    }
}

fn quoted_printable(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); the
/// space between two encoded words is dropped.
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let mut fields = word.splitn(3, '?');
        let (Some(_charset), Some(enc), Some(tail)) = (fields.next(), fields.next(), fields.next())
        else {
            out.push_str(&rest[start..]);
            return out;
        };
        let Some(end) = tail.find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &tail[..end];
        let bytes = if enc.eq_ignore_ascii_case("b") {
            STANDARD.decode(text).unwrap()
        } else {
            quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        last_was_word = true;
        rest = &tail[end + 2..];
    }
    out.push_str(rest);
    out
}
