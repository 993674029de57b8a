//! Zero-copy sending of rendered documents (Linux).
//!
//! A feed document is rendered once and then written to thousands of clients. `write(2)`
//! copies its bytes into the socket buffer every time: under load that copy was a third of
//! the server's CPU. nginx avoids it with `sendfile(2)`, which hands the kernel references to
//! page-cache pages instead.
//!
//! [`share`] puts a large document into a sealed memfd and maps it read-only; the returned
//! [`Bytes`] read from that mapping like any other. Each connection's socket is wrapped in a
//! [`Socket`] that hyper writes through: when a slice hyper asks it to write lies inside a
//! shared document, it is sent with `sendfile` from the memfd at the matching offset (the
//! response head before it goes out with `MSG_MORE`, so head and body still share packets).
//! Everything else — small bodies, errors, metrics — is written as usual.
//!
//! Only the merged and topic feeds are shared (every reader polls them; per-source feeds are
//! many and each less read). Live shared documents are capped ([`MAX_SHARED`]), each holding
//! one file descriptor, so they can never take the descriptors connections need; past the
//! cap, or when the kernel refuses a memfd, a document is simply kept in ordinary memory.
//!
//! Measured against nginx on the 2,000-source benchmark store (docs/BENCHMARKS.md): 200s of
//! the 133 KB `/feeds/all.rss` at a median 0.90 of nginx's rate without this, 1.0 with it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{ready, Context, Poll};

use axum::body::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

/// Documents smaller than this are kept in ordinary memory: for them the copy costs less
/// than the extra system call.
pub const SHARE_FROM: usize = 16 << 10;

/// Shared documents alive at once, at most (one file descriptor each). Three formats, each
/// also gzipped, for the merged feed and every topic, twice over while a render replaces
/// them: enough for 9 topics; past that the rest are served from ordinary memory.
pub const MAX_SHARED: usize = 120;

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Mapped documents by start address: `start → (end, memfd)`.
static REGIONS: RwLock<BTreeMap<usize, (usize, Arc<File>)>> = RwLock::new(BTreeMap::new());

fn regions_read() -> std::sync::RwLockReadGuard<'static, BTreeMap<usize, (usize, Arc<File>)>> {
    REGIONS.read().unwrap_or_else(|e| e.into_inner())
}

fn regions_write() -> std::sync::RwLockWriteGuard<'static, BTreeMap<usize, (usize, Arc<File>)>> {
    REGIONS.write().unwrap_or_else(|e| e.into_inner())
}

/// The bytes of a rendered document, shared through a memfd when large enough (see the
/// module documentation); the same bytes in ordinary memory otherwise.
pub fn share(body: Vec<u8>) -> Bytes {
    if body.len() < SHARE_FROM {
        return Bytes::from(body);
    }
    if LIVE.fetch_add(1, Ordering::AcqRel) >= MAX_SHARED {
        LIVE.fetch_sub(1, Ordering::AcqRel);
        return Bytes::from(body);
    }
    match Shared::new(&body) {
        Ok(shared) => Bytes::from_owner(shared),
        Err(e) => {
            LIVE.fetch_sub(1, Ordering::AcqRel);
            tracing::debug!(error = %e, "document kept in memory: no memfd");
            Bytes::from(body)
        }
    }
}

/// A document in a sealed memfd, mapped read-only and registered for [`Socket`].
struct Shared {
    map: memmap2::Mmap,
    start: usize,
}

impl Shared {
    fn new(body: &[u8]) -> io::Result<Shared> {
        use rustix::fs::{MemfdFlags, SealFlags};
        use std::io::Write as _;
        let fd = rustix::fs::memfd_create(
            c"tributary-feed",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        let mut file = File::from(fd);
        file.write_all(body)?;
        // Sealed: the bytes can no longer change, which is what makes the mapping below (and
        // every `sendfile` of it) safe while the document lives.
        rustix::fs::fcntl_add_seals(
            &file,
            SealFlags::WRITE | SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
        )?;
        // SAFETY: the memfd is sealed against writes, shrinking and growing, so the mapped
        // bytes stay valid and unchanged for the life of the mapping.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        let start = map.as_ptr() as usize;
        regions_write().insert(start, (start + map.len(), Arc::new(file)));
        Ok(Shared { map, start })
    }
}

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Unregistered before the mapping goes, so no lookup can find an address that is no
        // longer this document's. Pages already handed to sockets stay alive in the kernel.
        regions_write().remove(&self.start);
        LIVE.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The memfd and offset holding `buf`, when `buf` lies inside a shared document.
fn lookup(buf: &[u8]) -> Option<(Arc<File>, u64)> {
    if buf.len() < SHARE_FROM / 4 {
        return None;
    }
    let at = buf.as_ptr() as usize;
    let regions = regions_read();
    let (&start, (end, file)) = regions.range(..=at).next_back()?;
    (at + buf.len() <= *end).then(|| (file.clone(), (at - start) as u64))
}

/// A connection's socket: reads as usual, writes shared documents with `sendfile`.
pub struct Socket {
    stream: TcpStream,
}

impl Socket {
    /// Wraps an accepted connection.
    pub fn new(stream: TcpStream) -> Socket {
        Socket { stream }
    }

    /// Runs a non-blocking write system call when the socket is writable.
    fn poll_syscall(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_io(Interest::WRITABLE, || op(&self.stream)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                done => return Poll::Ready(done),
            }
        }
    }

    fn poll_sendfile(
        &self,
        cx: &mut Context<'_>,
        file: &File,
        offset: u64,
        len: usize,
    ) -> Poll<io::Result<usize>> {
        self.poll_syscall(cx, |stream| {
            let mut at = offset;
            Ok(rustix::fs::sendfile(stream, file, Some(&mut at), len)?)
        })
    }

    /// Writes the response head (or whatever precedes a shared body) with `MSG_MORE`: the
    /// kernel holds it until the body follows, as nginx's `tcp_nopush` does.
    fn poll_send_more(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_syscall(cx, |stream| {
            Ok(rustix::net::sendmsg(
                stream,
                bufs,
                &mut rustix::net::SendAncillaryBuffer::default(),
                rustix::net::SendFlags::MORE | rustix::net::SendFlags::NOSIGNAL,
            )?)
        })
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match lookup(buf) {
            Some((file, offset)) => self.poll_sendfile(cx, &file, offset, buf.len()),
            None => Pin::new(&mut self.stream).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let shared = bufs
            .iter()
            .enumerate()
            .find_map(|(i, b)| lookup(b).map(|found| (i, found)));
        match shared {
            None => Pin::new(&mut self.stream).poll_write_vectored(cx, bufs),
            // What comes before the shared body goes first; hyper calls again for the rest.
            Some((i, _)) if i > 0 => self.poll_send_more(cx, &bufs[..i]),
            Some((_, (file, offset))) => self.poll_sendfile(cx, &file, offset, bufs[0].len()),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn document(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    /// A connected pair on 127.0.0.1: the server end wrapped as the daemon wraps it, with a
    /// small send buffer so that large writes go out in many partial sends.
    async fn pair() -> (Socket, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        rustix::net::sockopt::set_socket_send_buffer_size(&server, 16 << 10).unwrap();
        (Socket::new(server), client)
    }

    #[test]
    fn large_documents_are_mapped_and_registered_small_ones_are_not() {
        let small = share(document(SHARE_FROM - 1));
        assert!(lookup(&small).is_none());
        let body = document(200_000);
        let big = share(body.clone());
        assert_eq!(&big[..], &body[..]);
        let (_, offset) = lookup(&big[1000..]).expect("a shared document is registered");
        assert_eq!(offset, 1000);
        let start = big.as_ptr() as usize;
        drop(big);
        assert!(
            !regions_read().contains_key(&start),
            "a dropped document is unregistered"
        );
    }

    #[tokio::test]
    async fn a_response_head_and_shared_body_arrive_intact_across_partial_writes() {
        let body = document(3 << 20); // larger than the socket buffers: many partial sends
        let shared = share(body.clone());
        assert!(lookup(&shared).is_some());
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 3145728\r\n\r\n".to_vec();
        let (mut server, mut client) = pair().await;
        let expected: Vec<u8> = head.iter().chain(body.iter()).copied().collect();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        // What hyper does: vectored writes of what is left of head and body.
        let (mut h, mut b) = (&head[..], &shared[..]);
        while !h.is_empty() || !b.is_empty() {
            let bufs = [IoSlice::new(h), IoSlice::new(b)];
            let from = usize::from(h.is_empty());
            let n = server.write_vectored(&bufs[from..]).await.unwrap();
            assert!(n > 0);
            let in_head = n.min(h.len());
            h = &h[in_head..];
            b = &b[n - in_head..];
        }
        server.shutdown().await.unwrap();
        drop(server);
        assert!(reader.await.unwrap() == expected, "bytes differ");
    }

    #[tokio::test]
    async fn plain_writes_of_shared_and_ordinary_bytes_arrive_intact() {
        let body = document(500_000);
        let shared = share(body.clone());
        let (mut server, mut client) = pair().await;
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            got
        });
        server.write_all(&shared).await.unwrap();
        server.write_all(b"and some ordinary bytes").await.unwrap();
        server.shutdown().await.unwrap();
        drop(server);
        let got = reader.await.unwrap();
        assert_eq!(got.len(), body.len() + 23);
        assert!(got[..body.len()] == body[..], "shared bytes differ");
        assert_eq!(&got[body.len()..], b"and some ordinary bytes");
    }
}
