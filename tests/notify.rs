//! systemd readiness (`Type=notify`): the daemon, started with `NOTIFY_SOCKET` pointing at a
//! datagram socket of ours, reports READY=1 once it serves, RELOADING=1 (with MONOTONIC_USEC)
//! and READY=1 around a SIGHUP, watchdog pings when WATCHDOG_USEC is set, and STOPPING=1 on
//! SIGTERM.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{setup, src, FeedServer};

/// The longest the test waits for one message; a deadline, not a synchronization.
const DEADLINE: Duration = Duration::from_secs(60);

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads datagrams until one has the line `want`; returns that datagram's lines.
fn until(sock: &UnixDatagram, want: &str, log: &std::path::Path) -> Vec<String> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).unwrap_or_else(|e| {
            panic!(
                "no {want} from the daemon ({e}); its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        });
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.iter().any(|l| l == want) {
            return lines;
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn daemon_notifies_systemd_ready_reloading_watchdog_and_stopping() {
    let server = FeedServer::start();
    server.feed(
        "feed.xml",
        r#"<rss version="2.0"><channel><title>P</title><item><title>One</title><guid>1</guid></item></channel></rss>"#,
        "application/rss+xml",
    );
    let s = setup(&[src("partner", server.url("feed.xml"))], "");
    let socket_path = s.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket_path).unwrap();
    sock.set_read_timeout(Some(DEADLINE)).unwrap();
    let log = s.dir.path().join("daemon.log");
    let child = s
        .std_cmd()
        .args(["run", "--listen", "127.0.0.1:0"])
        .env("NOTIFY_SOCKET", &socket_path)
        // A 200 ms watchdog: pings every 100 ms.
        .env("WATCHDOG_USEC", "200000")
        .env("RUST_LOG", "tributary=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut child = Killed(child);

    // READY=1 comes with a status naming the address, and the server answers at once.
    let ready = until(&sock, "READY=1", &log);
    let status = ready
        .iter()
        .find_map(|l| l.strip_prefix("STATUS="))
        .unwrap_or_else(|| panic!("no STATUS with READY=1: {ready:?}"));
    let addr = status
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {status:?}"))
        .to_string();
    let health = get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    until(&sock, "WATCHDOG=1", &log);

    // SIGHUP: RELOADING=1 with the monotonic time, then READY=1 with a status line.
    signal(&child.0, "HUP");
    let reloading = until(&sock, "RELOADING=1", &log);
    assert!(
        reloading.iter().any(|l| l
            .strip_prefix("MONOTONIC_USEC=")
            .is_some_and(|v| v.parse::<u64>().is_ok())),
        "{reloading:?}"
    );
    let ready = until(&sock, "READY=1", &log);
    assert!(
        ready
            .iter()
            .any(|l| l.starts_with("STATUS=serving 1 source, ")),
        "{ready:?}"
    );

    // SIGTERM: STOPPING=1, then a clean exit.
    signal(&child.0, "TERM");
    until(&sock, "STOPPING=1", &log);
    let code = child.0.wait().unwrap().code();
    assert_eq!(
        code,
        Some(0),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
