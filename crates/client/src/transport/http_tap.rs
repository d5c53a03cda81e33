//! A Streamable HTTP client that shows raw incoming frames to a [`RawTap`].
//!
//! Streamable HTTP runs on rmcp's own transport, which parses every frame into typed messages and
//! drops fields rmcp does not know. [`TappedHttpClient`] owns the HTTP side of that transport: it
//! delegates each request to rmcp's `reqwest::Client` implementation (so its response and SSE
//! event size limits stay enforced) and hands the `data` of every SSE event, from `POST`
//! responses and `GET` streams alike, to the tap while a `tools/list` is in flight, passing
//! the events on unchanged. A plain JSON `POST` response reaches us already parsed, so for it the
//! tap sees the typed message serialized back: a lossy fallback that keeps only the fields rmcp
//! knows.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use super::RawTap;

/// A stream of SSE events, as rmcp's HTTP client trait deals in them.
type SseEvents = BoxStream<'static, Result<Sse, SseError>>;

/// rmcp's reqwest-based Streamable HTTP client with a [`RawTap`] on its incoming frames.
#[derive(Clone, Debug)]
pub struct TappedHttpClient {
    /// The client that does the HTTP work.
    pub inner: reqwest::Client,
    /// Where raw incoming frames go.
    pub tap: RawTap,
}

impl TappedHttpClient {
    /// Wraps `inner`, showing incoming frames to `tap`.
    pub fn new(inner: reqwest::Client, tap: RawTap) -> Self {
        Self { inner, tap }
    }

    /// Passes every event of `events` on unchanged, showing its data to the tap first.
    fn tap_events(&self, events: SseEvents) -> SseEvents {
        let tap = self.tap.clone();
        events
            .inspect(move |event| {
                if let Ok(Sse {
                    data: Some(data), ..
                }) = event
                    && tap.is_armed()
                {
                    tap.observe_str(data);
                }
            })
            .boxed()
    }

    /// Shows a `POST` response's frames to the tap: SSE events as they stream past, a JSON body
    /// serialized back from its typed form.
    fn tap_response(&self, response: StreamableHttpPostResponse) -> StreamableHttpPostResponse {
        match response {
            StreamableHttpPostResponse::Sse(events, session) => {
                StreamableHttpPostResponse::Sse(self.tap_events(events), session)
            }
            StreamableHttpPostResponse::Json(message, session) => {
                if self.tap.is_armed()
                    && let Ok(frame) = serde_json::to_vec(&message)
                {
                    self.tap.observe(&frame);
                }
                StreamableHttpPostResponse::Json(message, session)
            }
            other => other,
        }
    }
}

impl StreamableHttpClient for TappedHttpClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let response = self
            .inner
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await?;
        Ok(self.tap_response(response))
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let response = self
            .inner
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await?;
        Ok(self.tap_response(response))
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let response = self
            .inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await?;
        Ok(self.tap_response(response))
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<SseEvents, StreamableHttpError<Self::Error>> {
        let events = self
            .inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await?;
        Ok(self.tap_events(events))
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<SseEvents, StreamableHttpError<Self::Error>> {
        let events = self
            .inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await?;
        Ok(self.tap_events(events))
    }
}
