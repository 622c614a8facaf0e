//! The stream handed to the host.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream};
use futures_util::{Stream, StreamExt};

use crate::error::ProviderError;
use crate::event::StreamEvent;
use crate::reader::EventReader;

/// The events of one answer, ending with `Finish` or an error (after
/// either, it yields `None`).
///
/// Dropping it closes the HTTP connection mid-body: that is how an abort
/// reaches the provider (which then stops generating and billing).
pub struct ChatStream {
    inner: BoxStream<'static, Result<StreamEvent, ProviderError>>,
}

impl ChatStream {
    /// `first` is the item `Client::stream` already read (to know whether
    /// a retry was still allowed); it is yielded before the rest.
    pub(crate) fn new(
        first: Option<Result<StreamEvent, ProviderError>>,
        reader: EventReader,
    ) -> Self {
        let inner = stream::unfold((first, reader), |(first, mut reader)| async move {
            let item = match first {
                Some(item) => Some(item),
                None => reader.next().await,
            };
            item.map(|item| (item, (None, reader)))
        });
        // Fused: polling after the end keeps answering `None`.
        Self {
            inner: inner.fuse().boxed(),
        }
    }

    /// The next event, without importing `StreamExt`.
    pub async fn next_event(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        self.inner.next().await
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamEvent, ProviderError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatStream").finish_non_exhaustive()
    }
}
