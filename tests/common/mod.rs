//! Shared test helpers: a feed server on 127.0.0.1 and a config writer.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, Response, StatusCode};

/// What the server answers on one path.
#[derive(Clone)]
pub enum Route {
    /// A feed document with an ETag (304 when the client sends it back).
    Feed { body: Vec<u8>, content_type: String },
    /// A 200 whose body arrives one byte at a time, forever (a stuck or hostile server).
    Trickle,
    /// A feed that is held back until the test opens the gate (a slow server the test
    /// controls): the body is sent once `open` is true.
    Gated {
        body: Vec<u8>,
        open: Arc<std::sync::atomic::AtomicBool>,
    },
    /// A feed only for requests that carry this header with this value; 401 otherwise.
    Guarded {
        header: String,
        value: String,
        body: Vec<u8>,
    },
    /// A fixed status with headers and no useful body.
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// Per-path counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    pub requests: usize,
    pub full: usize,
    pub not_modified: usize,
    pub body_bytes: usize,
}

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Route>>,
    hits: Mutex<HashMap<String, Hits>>,
    user_agents: Mutex<Vec<String>>,
}

/// A feed server bound to 127.0.0.1 on a free port, running on its own thread.
pub struct FeedServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl FeedServer {
    pub fn start() -> FeedServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(move |req: Request<Body>| {
                    let state = shared.clone();
                    async move { serve(&state, req) }
                });
                axum::serve(listener, app).await.unwrap();
            });
        });
        FeedServer { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    pub fn route(&self, path: &str, route: Route) {
        let key = format!("/{}", path.trim_start_matches('/'));
        self.state.routes.lock().unwrap().insert(key, route);
    }

    pub fn feed(&self, path: &str, body: impl Into<Vec<u8>>, content_type: &str) {
        self.route(
            path,
            Route::Feed {
                body: body.into(),
                content_type: content_type.into(),
            },
        );
    }

    /// Serves every file of a folder under its file name.
    pub fn serve_dir(&self, dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let ct = match path.extension().and_then(|e| e.to_str()) {
                Some("json") => "application/feed+json",
                Some("rdf") => "application/rdf+xml",
                Some("xml") => "application/rss+xml",
                _ => "text/plain",
            };
            self.feed(&name, std::fs::read(&path).unwrap(), ct);
        }
    }

    pub fn hits(&self, path: &str) -> Hits {
        let key = format!("/{}", path.trim_start_matches('/'));
        self.state
            .hits
            .lock()
            .unwrap()
            .get(&key)
            .copied()
            .unwrap_or_default()
    }

    pub fn total_hits(&self) -> Hits {
        let mut t = Hits::default();
        for h in self.state.hits.lock().unwrap().values() {
            t.requests += h.requests;
            t.full += h.full;
            t.not_modified += h.not_modified;
            t.body_bytes += h.body_bytes;
        }
        t
    }

    pub fn user_agents(&self) -> Vec<String> {
        self.state.user_agents.lock().unwrap().clone()
    }
}

fn serve(state: &State, req: Request<Body>) -> Response<Body> {
    let path = req.uri().path().to_string();
    if let Some(ua) = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        state.user_agents.lock().unwrap().push(ua.to_string());
    }
    let route = state.routes.lock().unwrap().get(&path).cloned();
    let mut hits = state.hits.lock().unwrap();
    let h = hits.entry(path).or_default();
    h.requests += 1;
    match route {
        Some(Route::Gated { body, open }) => {
            h.full += 1;
            drop(hits);
            let stream = futures_util::stream::unfold(Some(body), move |body| {
                let open = open.clone();
                async move {
                    let body = body?;
                    while !open.load(std::sync::atomic::Ordering::SeqCst) {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(body)), None))
                }
            });
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/rss+xml")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Some(Route::Trickle) => {
            let stream = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Some((
                    Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b" ")),
                    (),
                ))
            });
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/rss+xml")
                .body(Body::from_stream(stream))
                .unwrap()
        }
        Some(Route::Guarded {
            header,
            value,
            body,
        }) => {
            let sent = req
                .headers()
                .get(header.as_str())
                .and_then(|v| v.to_str().ok());
            if sent != Some(value.as_str()) {
                return Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header(header::WWW_AUTHENTICATE, "Basic realm=\"feeds\"")
                    .body(Body::from("login needed"))
                    .unwrap();
            }
            h.full += 1;
            h.body_bytes += body.len();
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/rss+xml")
                .body(Body::from(body))
                .unwrap()
        }
        None => Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap(),
        Some(Route::Status {
            code,
            headers,
            body,
        }) => {
            let mut b = Response::builder().status(code);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            h.body_bytes += body.len();
            b.body(Body::from(body)).unwrap()
        }
        Some(Route::Feed { body, content_type }) => {
            let etag = format!("\"{}\"", blake3::hash(&body).to_hex()[..16].to_owned());
            if if_none_match(req.headers()).is_some_and(|v| v == etag) {
                h.not_modified += 1;
                return Response::builder()
                    .status(StatusCode::NOT_MODIFIED)
                    .header(header::ETAG, etag)
                    .body(Body::empty())
                    .unwrap();
            }
            h.full += 1;
            h.body_bytes += body.len();
            Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::ETAG, etag)
                .header(header::LAST_MODIFIED, "Wed, 26 Feb 2020 10:00:00 GMT")
                .body(Body::from(body))
                .unwrap()
        }
    }
}

fn if_none_match(h: &HeaderMap) -> Option<String> {
    h.get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A port on 127.0.0.1 that refuses connections for as long as the returned socket lives:
/// bound, never listening. (A port bound and released could be taken by another process
/// before the test uses it.)
pub fn refusing_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}

/// A temporary directory with a config file in it.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

/// One `[[sources]]` entry.
pub struct Src<'a> {
    pub id: &'a str,
    pub url: String,
    pub kind: &'a str,
}

pub fn src(id: &str, url: String) -> Src<'_> {
    Src {
        id,
        url,
        kind: "partner",
    }
}

/// Writes a config with the given sources and extra top-level TOML.
pub fn setup(sources: &[Src<'_>], extra: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{extra}\n[store]\npath = \"data\"\ncache_capacity = \"16MiB\"\n");
    for s in sources {
        text.push_str(&format!(
            "\n[[sources]]\nid = \"{}\"\ntitle = \"Source {}\"\nurl = \"{}\"\nkind = \"{}\"\n",
            s.id, s.id, s.url, s.kind
        ));
    }
    let config = dir.path().join("tributary.toml");
    std::fs::write(&config, text).unwrap();
    Setup { dir, config }
}

impl Setup {
    /// The binary with `--config` set.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// [`Setup::cmd`] as a `std::process::Command`, for a test that spawns the binary or
    /// gives it other stdio.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = binary();
        c.arg("--config").arg(&self.config);
        c
    }

    /// Runs `sources --json` and reads each source's health, by source id.
    pub fn health(&self) -> HashMap<String, serde_json::Value> {
        self.json_lines(&["sources", "--json"])
            .into_iter()
            .map(|v| (v["id"].as_str().unwrap().to_string(), v))
            .collect()
    }

    /// Runs `items --json --limit 0` and parses the lines.
    pub fn items(&self) -> Vec<serde_json::Value> {
        self.json_lines(&["items", "--json", "--limit", "0"])
    }

    /// Runs a command that succeeds and prints a JSON object per line, and parses them.
    pub fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The merged feed as the daemon serves it in JSON Feed (`render --format json`).
    pub fn rendered_json(&self) -> serde_json::Value {
        let out = self
            .cmd()
            .args(["render", "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Runs `fetch --json` and returns (exit code, reports by source id).
    pub fn fetch(&self, extra: &[&str]) -> (i32, HashMap<String, serde_json::Value>) {
        let out = self
            .cmd()
            .arg("fetch")
            .arg("--json")
            .args(extra)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let reports = stdout
            .lines()
            .map(|l| {
                let v: serde_json::Value =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                (v["source"].as_str().unwrap().to_string(), v)
            })
            .collect();
        (out.status.code().unwrap_or(-1), reports)
    }
}

/// Waits for `child` to exit and gives its output (what is left of it to read), on a thread of
/// its own: one still running after a minute is killed and fails the test with `hung`, rather
/// than hold up the suite.
pub fn output_within_a_minute(child: std::process::Child, hung: &str) -> std::process::Output {
    let pid = child.id().to_string();
    let (done, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match output.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            panic!("{hung}");
        }
    }
}

/// The binary, with whatever it reads from the environment taken out: a developer's
/// `TRIBUTARY_DATA_DIR` would point a test at their own store, a `NOTIFY_SOCKET` at their
/// service manager. A test sets what it needs after this.
pub fn binary() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tributary"));
    for name in [
        "TRIBUTARY_CONFIG",
        "TRIBUTARY_DATA_DIR",
        "TRIBUTARY_LOG_FORMAT",
        "TRIBUTARY_LISTEN",
        "TRIBUTARY_ADMIN_TOKEN",
        "NOTIFY_SOCKET",
        "WATCHDOG_USEC",
        "WATCHDOG_PID",
        "RUST_LOG",
    ] {
        c.env_remove(name);
    }
    c
}

/// The repository's fixture folder.
pub fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(sub)
}

/// Whether an external tool the test needs is usable (`program probe…` exits 0). When it is
/// not, the test is skipped with a notice — unless TRIBUTARY_REQUIRE_READERS=1 (set by
/// `.ci/run`, which installs the tools) makes that a failure.
pub fn tool_available(program: &str, probe: &[&str]) -> bool {
    let found = std::process::Command::new(program)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("TRIBUTARY_REQUIRE_READERS").as_deref() != Ok("1"),
            "{program} {probe:?} is required (TRIBUTARY_REQUIRE_READERS=1) but failed"
        );
        println!("notice: {program} {probe:?} failed; check skipped");
    }
    found
}
