//! From JSON text to [`Config`]: positions, per-server isolation of errors, expansion.
//!
//! Each server entry is first captured as a borrowed `RawValue`, so its byte offset in the file
//! is known; it is then deserialized on its own. A bad entry becomes a [`ServerConfigError`] with
//! an absolute line and column, and the other entries are unaffected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{ConfigError, Location, ServerConfigError, ServerErrorKind};
use crate::expand::expand;
use crate::sandbox::{DiscoverConfig, SandboxConfig};
use crate::spec::{
    DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_CONCURRENCY, DEFAULT_STARTUP_TIMEOUT, HttpSpec, Secret,
    ServerSpec, StdioSpec, Transport,
};
use crate::{Config, ServerEntry};

#[derive(Deserialize)]
struct RawFile<'a> {
    #[serde(rename = "mcpServers", borrow)]
    mcp_servers: Option<&'a RawValue>,
    #[serde(borrow)]
    sandbox: Option<&'a RawValue>,
    #[serde(borrow)]
    discover: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawServer {
    #[serde(rename = "type")]
    transport: Option<String>,
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: IndexMap<String, String>,
    cwd: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: IndexMap<String, String>,
    #[serde(default)]
    disabled: bool,
    timeout: Option<DurationValue>,
    #[serde(alias = "startupTimeout")]
    startup_timeout: Option<DurationValue>,
    #[serde(alias = "maxConcurrency")]
    max_concurrency: Option<u64>,
    #[serde(alias = "allowedTools")]
    allow: Option<Vec<String>>,
    #[serde(default, alias = "disabledTools")]
    deny: Vec<String>,
}

/// Seconds as a number, or a string with a unit (`500ms`, `30s`, `2m`).
#[derive(Deserialize)]
#[serde(untagged)]
enum DurationValue {
    Seconds(f64),
    Text(String),
}

impl DurationValue {
    fn resolve(&self, field: &'static str) -> Result<Duration, ServerErrorKind> {
        let bad = |message: String| ServerErrorKind::BadValue { field, message };
        let secs = match self {
            DurationValue::Seconds(s) => *s,
            DurationValue::Text(t) => {
                let t = t.trim();
                let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
                    (n, 0.001)
                } else if let Some(n) = t.strip_suffix('s') {
                    (n, 1.0)
                } else if let Some(n) = t.strip_suffix('m') {
                    (n, 60.0)
                } else {
                    (t, 1.0)
                };
                num.trim().parse::<f64>().map_err(|_| {
                    bad(format!(
                        "\"{t}\" is not a duration (try 30, \"30s\", \"500ms\", \"2m\")"
                    ))
                })? * scale
            }
        };
        if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
            return Err(bad(format!("{secs} s is out of range (0 < t <= 86400)")));
        }
        Ok(Duration::from_secs_f64(secs))
    }
}

/// 1-based line and column of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Byte offset of a borrowed raw value inside `src`.
fn offset_in(src: &str, raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(src.as_ptr() as usize)
}

pub(crate) fn parse(
    src: &str,
    file: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let at = |offset: usize| {
        let (line, column) = line_col(src, offset);
        Location {
            file: file.to_path_buf(),
            line,
            column,
        }
    };
    let raw: RawFile<'_> = serde_json::from_str(src).map_err(|e| {
        let location = Location {
            file: file.to_path_buf(),
            line: e.line().max(1),
            column: e.column().max(1),
        };
        let message = strip_position(&e.to_string());
        if e.is_syntax() || e.is_eof() {
            ConfigError::Syntax { location, message }
        } else {
            ConfigError::Shape {
                location,
                message: format!("the top level must be a JSON object ({message})"),
            }
        }
    })?;
    let Some(servers_raw) = raw.mcp_servers else {
        return Err(ConfigError::Shape {
            location: at(0),
            message: "no \"mcpServers\" object".into(),
        });
    };
    let map: IndexMap<String, &RawValue> =
        serde_json::from_str(servers_raw.get()).map_err(|_| ConfigError::Shape {
            location: at(offset_in(src, servers_raw)),
            message: "\"mcpServers\" must be an object mapping server names to entries".into(),
        })?;

    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let servers = map
        .into_iter()
        .map(|(name, value)| {
            let location = at(offset_in(src, value));
            let spec = parse_server(&name, value, &location, &base_dir, lookup);
            ServerEntry { name, spec }
        })
        .collect();

    let sandbox = match raw.sandbox {
        None => Ok(SandboxConfig::default()),
        Some(value) => serde_json::from_str::<SandboxConfig>(value.get()).map_err(|e| {
            let base = at(offset_in(src, value));
            ConfigError::Shape {
                location: shift(&base, &e),
                message: format!("in \"sandbox\": {}", strip_position(&e.to_string())),
            }
        }),
    };

    let discover = match raw.discover {
        None => Ok(DiscoverConfig::default()),
        Some(value) => serde_json::from_str::<DiscoverConfig>(value.get()).map_err(|e| {
            let base = at(offset_in(src, value));
            ConfigError::Shape {
                location: shift(&base, &e),
                message: format!("in \"discover\": {}", strip_position(&e.to_string())),
            }
        }),
    };

    Ok(Config {
        path: Some(file.to_path_buf()),
        servers,
        sandbox: sandbox.map_err(std::sync::Arc::new),
        discover: discover.map_err(std::sync::Arc::new),
    })
}

/// A serde error position inside a raw slice, made absolute.
fn shift(base: &Location, e: &serde_json::Error) -> Location {
    let (line, column) = if e.line() <= 1 {
        (base.line, base.column + e.column().saturating_sub(1))
    } else {
        (base.line + e.line() - 1, e.column())
    };
    Location {
        file: base.file.clone(),
        line,
        column,
    }
}

/// serde's message without its position suffix and without the value it quotes
/// (`invalid type: string "Bearer sk-…", expected a map` must not print a token).
fn strip_position(msg: &str) -> String {
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(i) = rest.find(", expected")
        {
            let kind = rest[..i].split_whitespace().next().unwrap_or("value");
            return format!("{prefix}{kind}{}", &rest[i..]);
        }
    }
    let mut out = String::with_capacity(msg.len());
    let mut quoted = false;
    for c in msg.chars() {
        if c == '`' {
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

fn parse_server(
    name: &str,
    value: &RawValue,
    location: &Location,
    base_dir: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ServerSpec, ServerConfigError> {
    let fail = |location: Location, kind| ServerConfigError {
        server: name.to_owned(),
        location,
        kind,
    };
    let raw: RawServer = serde_json::from_str(value.get()).map_err(|e| {
        let message = strip_position(&e.to_string());
        let message = if matches!(serde_json::from_str::<Value>(value.get()), Ok(v) if !v.is_object()) {
            "an entry must be a JSON object".to_owned()
        } else {
            message
        };
        fail(shift(location, &e), ServerErrorKind::Invalid(message))
    })?;
    let here = |kind| fail(location.clone(), kind);
    let ex = |field: String, text: &str| {
        expand(text, lookup).map_err(|source| here(ServerErrorKind::Expand { field, source }))
    };

    let kind = match raw.transport.as_deref() {
        Some("stdio") => "stdio",
        Some("sse") => "sse",
        Some("http" | "streamable-http" | "streamableHttp" | "streamable_http") => "http",
        Some(other) => return Err(here(ServerErrorKind::UnknownType(other.to_owned()))),
        None if raw.command.is_some() => "stdio",
        None if raw.url.is_some() => "http",
        None => return Err(here(ServerErrorKind::NoCommandOrUrl)),
    };

    let transport = if kind == "stdio" {
        let command = raw.command.as_deref().ok_or_else(|| {
            here(ServerErrorKind::Missing {
                transport: "stdio",
                field: "command",
            })
        })?;
        let command = ex("command".into(), command)?;
        let args = raw
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| ex(format!("args[{i}]"), a))
            .collect::<Result<Vec<_>, _>>()?;
        let env = raw
            .env
            .iter()
            .map(|(k, v)| Ok((k.clone(), Secret::new(ex(format!("env.{k}"), v)?))))
            .collect::<Result<Vec<_>, ServerConfigError>>()?;
        let cwd = match raw.cwd.as_deref() {
            Some(c) => {
                let c = PathBuf::from(ex("cwd".into(), c)?);
                Some(if c.is_relative() { base_dir.join(c) } else { c })
            }
            None => None,
        };
        Transport::Stdio(StdioSpec {
            command,
            args,
            env,
            cwd,
        })
    } else {
        let transport_name = if kind == "sse" { "sse" } else { "http" };
        let url = raw.url.as_deref().ok_or_else(|| {
            here(ServerErrorKind::Missing {
                transport: transport_name,
                field: "url",
            })
        })?;
        let url = ex("url".into(), url)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
            return Err(here(ServerErrorKind::BadUrl(format!(
                "\"{}\" must start with http:// or https://",
                crate::spec::redact_url(&url)
            ))));
        }
        let headers = raw
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), Secret::new(ex(format!("headers.{k}"), v)?))))
            .collect::<Result<Vec<_>, ServerConfigError>>()?;
        let spec = HttpSpec { url, headers };
        if kind == "sse" {
            Transport::Sse(spec)
        } else {
            Transport::StreamableHttp(spec)
        }
    };

    let duration = |v: &Option<DurationValue>, field, default| match v {
        Some(v) => v.resolve(field).map_err(here),
        None => Ok(default),
    };
    let max_concurrency = match raw.max_concurrency {
        None => DEFAULT_MAX_CONCURRENCY,
        Some(0) => {
            return Err(here(ServerErrorKind::BadValue {
                field: "max_concurrency",
                message: "must be at least 1".into(),
            }));
        }
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX).min(4096),
    };
    let target = match (&raw.command, &raw.url) {
        (Some(command), _) if kind == "stdio" => std::iter::once(command.as_str())
            .chain(raw.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        (_, Some(url)) => crate::spec::redact_url(url),
        _ => String::new(),
    };
    Ok(ServerSpec {
        target,
        name: name.to_owned(),
        transport,
        disabled: raw.disabled,
        timeout: duration(&raw.timeout, "timeout", DEFAULT_CALL_TIMEOUT)?,
        startup_timeout: duration(
            &raw.startup_timeout,
            "startup_timeout",
            DEFAULT_STARTUP_TIMEOUT,
        )?,
        max_concurrency,
        allow: raw.allow,
        deny: raw.deny,
        location: location.clone(),
    })
}
