//! `mcpscript tools [SERVER]`.

use std::fmt::Write as _;

use futures::future::join_all;
use serde_json::{Map, Value};

use crate::context::Context;
use crate::output::{self, Failure, exit};

/// Lists tools of one server, or of every enabled server (failures reported, others listed).
pub async fn run(ctx: &Context, server: Option<&str>) -> Result<u8, Failure> {
    let names: Vec<String> = match server {
        Some(s) => vec![s.to_owned()],
        None => ctx
            .config
            .servers
            .iter()
            .filter(|e| matches!(&e.spec, Ok(spec) if !spec.disabled))
            .map(|e| e.name.clone())
            .collect(),
    };
    let lists = join_all(names.iter().map(|n| ctx.pool.list_tools(n))).await;
    let listed: Vec<String> = names
        .iter()
        .zip(&lists)
        .filter(|(_, l)| l.is_ok())
        .map(|(n, _)| n.clone())
        .collect();
    ctx.remember_lists(&listed).await;
    let mut code = exit::OK;
    let mut rows = Vec::new();
    let mut text = String::new();
    for (name, list) in names.iter().zip(lists) {
        let list = match list {
            Ok(list) => list,
            Err(e) if server.is_some() => return Err(e.into()),
            Err(e) => {
                let failure = Failure::from(e);
                code = failure.code;
                output::report(&failure);
                continue;
            }
        };
        for tool in &list.tools {
            if ctx.json {
                let mut row = Map::new();
                row.insert("server".into(), Value::String(name.clone()));
                if let Value::Object(raw) = &tool.raw {
                    // A tool's own "server" field must not hide which server it belongs to.
                    row.extend(
                        raw.iter()
                            .filter(|(k, _)| *k != "server")
                            .map(|(k, v)| (k.clone(), v.clone())),
                    );
                }
                rows.push(Value::Object(row));
            } else {
                let _ = writeln!(text, "{name}.{}  {}", tool.name(), tool.summary());
            }
        }
    }
    if ctx.json {
        output::json(&Value::Array(rows))?;
    } else {
        output::stdout(&text)?;
    }
    Ok(code)
}
