//! Per-connection timers. A connection is always in one phase, and each phase has a deadline;
//! past it the connection is dropped:
//! - waiting for a request: the header-read timeout from the first byte of its head (or from the
//!   accept, for a new connection's first request), else the idle timeout since the last answer;
//! - serving a request: the request timeout from its head, whatever the handler or the client's
//!   reading is doing. The body alone has its own deadline (see [`DeadlineBody`]).

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::body::Bytes;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::Notify,
    time::{Instant, Sleep},
};

/// The timeouts of [`super::EdgeLimits`] a connection runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub header_read: Duration,
    pub body: Duration,
    pub idle: Duration,
    pub request: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Waiting {
        since: Instant,
        head_started: Option<Instant>,
        first_request: bool,
    },
    Serving {
        since: Instant,
        in_flight: usize,
    },
}

/// The idle timeout while the server is under pressure (most connection slots taken), when it
/// is shorter than the configured one: idle connections give their slots back sooner.
pub const PRESSURED_IDLE: Duration = Duration::from_secs(5);

/// One connection's phase, shared by its I/O, its service and its watchdog.
#[derive(Debug)]
pub struct ConnectionClock {
    timeouts: Timeouts,
    phase: Mutex<Phase>,
    changed: Notify,
    body_timed_out: std::sync::atomic::AtomicBool,
    /// Shared by every connection: whether the server is short of connection slots.
    pressure: Arc<std::sync::atomic::AtomicBool>,
    reclaim: Notify,
}

impl ConnectionClock {
    pub fn new(timeouts: Timeouts, pressure: Arc<std::sync::atomic::AtomicBool>) -> Arc<Self> {
        Arc::new(Self {
            timeouts,
            phase: Mutex::new(Phase::Waiting {
                since: Instant::now(),
                head_started: None,
                first_request: true,
            }),
            changed: Notify::new(),
            body_timed_out: false.into(),
            pressure,
            reclaim: Notify::new(),
        })
    }

    /// Since when the connection has been idle: waiting for a request of which no byte has
    /// arrived (a kept-alive connection between requests, or a new one that sent nothing).
    pub fn idle_since(&self) -> Option<Instant> {
        self.idle().map(|(since, _)| since)
    }

    /// [`Self::idle_since`], and whether the connection has yet to send its first request.
    pub fn idle(&self) -> Option<(Instant, bool)> {
        match *self.phase.lock().expect("never poisoned") {
            Phase::Waiting {
                since,
                head_started: None,
                first_request,
            } => Some((since, first_request)),
            _ => None,
        }
    }

    /// Asks the connection to close once idle: its slot is wanted by a new one.
    pub fn reclaim(&self) {
        self.reclaim.notify_one();
    }

    /// Completes when the connection has been asked to give its slot back.
    pub async fn reclaimed(&self) {
        self.reclaim.notified().await;
    }

    /// Wakes the watchdog to work its deadline out again (the pressure changed).
    pub fn recheck(&self) {
        self.changed.notify_one();
    }

    fn update(&self, change: impl FnOnce(&mut Phase)) {
        change(&mut self.phase.lock().expect("never poisoned"));
        self.changed.notify_one();
    }

    fn deadline(&self) -> Instant {
        let timeouts = self.timeouts;
        match *self.phase.lock().expect("never poisoned") {
            Phase::Waiting {
                head_started: Some(started),
                ..
            } => started + timeouts.header_read,
            Phase::Waiting {
                since,
                first_request: true,
                ..
            } => since + timeouts.header_read,
            Phase::Waiting { since, .. } => {
                let idle = if self.pressure.load(std::sync::atomic::Ordering::Relaxed) {
                    timeouts.idle.min(PRESSURED_IDLE)
                } else {
                    timeouts.idle
                };
                since + idle
            }
            Phase::Serving { since, .. } => since + timeouts.request,
        }
    }

    /// Bytes arrived: if the connection was idle, a request head has begun.
    fn bytes_read(&self) {
        let mut phase = self.phase.lock().expect("never poisoned");
        if let Phase::Waiting {
            head_started: head_started @ None,
            ..
        } = &mut *phase
        {
            *head_started = Some(Instant::now());
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// A request's head has been read; the returned guard ends its phase when dropped (with
    /// the answer's body, or with the request if it is abandoned).
    pub fn request_started(self: &Arc<Self>) -> InFlight {
        self.update(|phase| {
            *phase = match *phase {
                Phase::Serving { since, in_flight } => Phase::Serving {
                    since,
                    in_flight: in_flight + 1,
                },
                Phase::Waiting { .. } => Phase::Serving {
                    since: Instant::now(),
                    in_flight: 1,
                },
            }
        });
        InFlight(self.clone())
    }

    /// Whether a body missed its deadline on this connection (which then gets 408 and closes).
    pub fn body_timed_out(&self) -> bool {
        self.body_timed_out
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Completes when the connection has overrun its current phase's deadline.
    pub async fn overrun(&self) {
        loop {
            let changed = self.changed.notified();
            let deadline = self.deadline();
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    if self.deadline() <= Instant::now() {
                        return;
                    }
                }
                () = changed => {}
            }
        }
    }
}

/// A request in flight on a connection.
#[derive(Debug)]
pub struct InFlight(Arc<ConnectionClock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|phase| {
            if let Phase::Serving { since, in_flight } = *phase {
                *phase = if in_flight > 1 {
                    Phase::Serving {
                        since,
                        in_flight: in_flight - 1,
                    }
                } else {
                    Phase::Waiting {
                        since: Instant::now(),
                        head_started: None,
                        first_request: false,
                    }
                };
            }
        });
    }
}

pin_project_lite::pin_project! {
    /// The connection's socket, telling its clock when bytes arrive.
    #[derive(Debug)]
    pub struct TimedIo<T> {
        #[pin]
        inner: T,
        clock: Arc<ConnectionClock>,
    }
}

impl<T> TimedIo<T> {
    pub fn new(inner: T, clock: Arc<ConnectionClock>) -> Self {
        Self { inner, clock }
    }
}

impl<T: AsyncRead> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let result = this.inner.poll_read(cx, buf);
        if buf.filled().len() > before {
            this.clock.bytes_read();
        }
        result
    }
}

impl<T: AsyncWrite> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A request body not received in full within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
pub struct BodyTimedOut(Duration);

pin_project_lite::pin_project! {
    /// A request body that fails once its deadline (from the request's head) has passed, however
    /// slowly its bytes trickle in.
    #[derive(Debug)]
    pub struct DeadlineBody<B> {
        #[pin]
        inner: B,
        #[pin]
        deadline: Sleep,
        clock: Arc<ConnectionClock>,
    }
}

impl<B> DeadlineBody<B> {
    pub fn new(inner: B, clock: Arc<ConnectionClock>) -> Self {
        Self {
            inner,
            deadline: tokio::time::sleep(clock.timeouts.body),
            clock,
        }
    }
}

impl<B> http_body::Body for DeadlineBody<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if this.deadline.poll(cx).is_ready() {
            this.clock
                .body_timed_out
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyTimedOut(this.clock.timeouts.body).into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

pin_project_lite::pin_project! {
    /// An answer's body, holding its request in flight until the body is done with.
    #[derive(Debug)]
    pub struct TrackedBody<B> {
        #[pin]
        inner: B,
        in_flight: InFlight,
    }
}

impl<B> TrackedBody<B> {
    pub fn new(inner: B, in_flight: InFlight) -> Self {
        Self { inner, in_flight }
    }
}

impl<B: http_body::Body> http_body::Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
