//! Reading `multipart/form-data` bodies in the fakes (Telegram's file
//! uploads, Discord's attachments).

pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub value: Vec<u8>,
}

impl Part {
    /// A file part as the tests look at it.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "file_name": self.file_name,
            "bytes": self.value.len(),
            "png": self.value.starts_with(b"\x89PNG\r\n\x1a\n"),
        })
    }
}

pub fn parts(content_type: &str, body: &[u8]) -> Vec<Part> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap_or_default()
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        let content = &rest[head_end + 4..];
        let end = find(content, delimiter.as_bytes()).unwrap_or(content.len());
        let attr = |name: &str| {
            head.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(String::from)
        };
        out.push(Part {
            name: attr("name").unwrap_or_default(),
            file_name: attr("filename"),
            value: content[..end.saturating_sub(2)].to_vec(),
        });
        rest = &content[end..];
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
