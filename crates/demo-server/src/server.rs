//! [`DemoServer`]: the hand-written rmcp [`ServerHandler`] that lists and dispatches tools.
//!
//! The tool list is dynamic (`change_tools` adds tools at runtime) and has names that are not
//! Rust identifiers, so this is a plain `ServerHandler` rather than rmcp's `#[tool]` macros. The
//! handler owns the per-process state: the note store and the tools added at runtime.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::{
    ErrorData, ServerHandler, Service,
    model::{
        CallToolRequestParams, CallToolResponse, ClientNotification, ClientRequest, Implementation,
        ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig,
        ServerResult, Tool,
    },
    service::{NotificationContext, RequestContext, RoleServer},
};
use tokio_util::sync::CancellationToken;

use crate::{DemoOptions, args::Args, faults, notes::NoteStore, tools};

/// Instructions sent in the `initialize` result.
const INSTRUCTIONS: &str = "A small demo server bundled with mcpscript. Try `echo`, `add`, \
     `word_stats` and the `notes_*` tools; nothing here touches your files or the network.";

/// The demo MCP server: serve it with rmcp (`handler.serve(transport)`) or via
/// [`crate::serve_stdio`].
///
/// Clones share state (notes and tools added at runtime).
///
/// Tool calls fail in two ways, on purpose:
/// - an unknown tool name is a JSON-RPC error, `-32602` invalid params, with the message
///   `unknown tool: NAME` (the request cannot be routed);
/// - a missing or wrongly typed argument is a normal result with `isError: true` and a text block
///   such as ``invalid arguments for tool `add`: `a` must be a number, got string``, so the
///   caller (a script or a model) can read and fix it, as MCP 2025-11-25 recommends.
#[derive(Debug, Clone)]
pub struct DemoServer {
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    config: ServerConfig,
    faults: bool,
    /// The fixed tools: the demo set, then the fault tools when enabled.
    base_tools: Vec<Tool>,
    /// Tools added by `change_tools`, in order.
    added_tools: Mutex<Vec<Tool>>,
    notes: NoteStore,
    /// Cancelled when the transport's input reaches EOF (only [`crate::serve_stdio`] does so),
    /// so that `hang` lets the process exit instead of holding rmcp's shutdown drain.
    input_closed: CancellationToken,
}

impl DemoServer {
    /// A server configured by `opts` (the start mode is ignored here: it concerns the process).
    pub fn new(opts: &DemoOptions) -> Self {
        let mut base_tools = tools::definitions();
        if opts.faults {
            base_tools.extend(faults::definitions());
        }
        let config = ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new(
            opts.name.clone(),
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(INSTRUCTIONS);
        Self {
            state: Arc::new(State {
                config,
                faults: opts.faults,
                base_tools,
                added_tools: Mutex::new(Vec::new()),
                notes: NoteStore::default(),
                input_closed: CancellationToken::new(),
            }),
        }
    }

    /// Every tool currently offered, in `tools/list` order.
    pub fn tools(&self) -> Vec<Tool> {
        let added = self
            .state
            .added_tools
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.state
            .base_tools
            .iter()
            .chain(added.iter())
            .cloned()
            .collect()
    }

    /// Adds `tool` unless a tool of that name exists; returns whether it was added.
    pub(crate) fn add_tool(&self, tool: Tool) -> bool {
        let mut added = self
            .state
            .added_tools
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let exists = self
            .state
            .base_tools
            .iter()
            .chain(added.iter())
            .any(|existing| existing.name == tool.name);
        if !exists {
            added.push(tool);
        }
        !exists
    }

    /// The token cancelled when the input stream ends.
    pub(crate) fn input_closed(&self) -> &CancellationToken {
        &self.state.input_closed
    }

    fn is_added(&self, name: &str) -> bool {
        self.state
            .added_tools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|tool| tool.name == name)
    }
}

impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        self.state.config.clone()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools().into_iter().find(|tool| tool.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.as_ref();
        let args = Args::new(request.arguments.as_ref());
        tracing::debug!(tool = name, "tools/call");
        let mut outcome = tools::call(name, args, &self.state.notes, &context).await;
        if outcome.is_none() && self.state.faults {
            outcome = faults::call(name, args, self, &context).await;
        }
        if outcome.is_none() && self.is_added(name) {
            outcome = Some(tools::echo(args));
        }
        match outcome {
            Some(Ok(result)) => Ok(result.into()),
            Some(Err(error)) => Ok(error.into_result(name).into()),
            None => Err(ErrorData::invalid_params(
                format!("unknown tool: {name}"),
                None,
            )),
        }
    }
}

/// The demo server as [`crate::handler`] and [`crate::serve_stdio`] serve it: [`DemoServer`]'s
/// `ServerHandler` dispatch, plus the one answer rmcp's typed model cannot express — the
/// `future_content` fault tool's block of a content type MCP does not define (yet), as a server
/// speaking a newer spec may send. Served directly, [`DemoServer`] answers `future_content` with
/// its text block only.
#[derive(Debug, Clone)]
pub struct DemoService {
    server: DemoServer,
}

impl DemoService {
    /// Serves `server`.
    pub fn new(server: DemoServer) -> Self {
        Self { server }
    }

    /// The wrapped handler.
    pub fn server(&self) -> &DemoServer {
        &self.server
    }
}

impl Service<RoleServer> for DemoService {
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let future_content = self.server.state.faults
            && matches!(&request, ClientRequest::CallToolRequest(call)
                if call.params.name == faults::FUTURE_CONTENT);
        let result = Service::handle_request(&self.server, request, context).await?;
        Ok(if future_content {
            faults::with_future_block(result)
        } else {
            result
        })
    }

    async fn handle_notification(
        &self,
        notification: ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Service::handle_notification(&self.server, notification, context).await
    }

    fn get_info(&self) -> ServerConfig {
        Service::get_info(&self.server)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Service::supported_protocol_versions(&self.server)
    }
}
