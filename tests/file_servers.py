"""Pytest plugin: real file servers for the feed tests, started in this process on free ports.

- `http_files`: an HTTP server over a folder, with ETag and Last-Modified, optional Basic auth,
  and a log of the requests it served (so a test can tell a HEAD from a download);
- `sftp_files`: an SFTP server (asyncssh) over a folder, with a password and a key user;
- `s3_files`: moto's S3-compatible server, with one bucket;
- `gcs_files`: gcp-storage-emulator's Google Cloud Storage server, with one bucket.

Nothing is mocked: the console talks to them over TCP exactly as it would to the real ones.
"""

import asyncio
import base64
import email.utils
import hashlib
import http.server
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import boto3
import pytest

SFTP_USER = "feeds"
SFTP_PASSWORD = "sftp-pass-7f3a9c"  # noqa: S105
HTTP_USER = "feeder"
HTTP_PASSWORD = "http-pass-51d2e8"  # noqa: S105
S3_KEY = "AKIAFEEDTESTKEY00001"
S3_SECRET = "s3-secret-4b8e1f0a9c7d"  # noqa: S105
BUCKET = "retailer-drop"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class HttpFiles:
    root: Path
    port: int
    requests: list[tuple[str, str]] = field(default_factory=list)
    require_auth: bool = False
    send_validators: bool = True
    get_delay: float = 0.0  # seconds a download waits before its body (a slow source)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def write(self, name: str, text: str, *, mtime: float | None = None) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def downloads(self, name: str) -> int:
        return sum(1 for method, path in self.requests if method == "GET" and path == f"/{name}")


def _http_handler(state: HttpFiles):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet test output
            pass

        def _authorised(self) -> bool:
            if not state.require_auth:
                return True
            expected = base64.b64encode(f"{HTTP_USER}:{HTTP_PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return True
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="feeds"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False

        def _serve(self, body: bool) -> None:
            state.requests.append((self.command, self.path))
            if not self._authorised():
                return
            path = state.root / self.path.lstrip("/").split("?")[0]
            if not path.is_file():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = path.read_bytes()
            stat = path.stat()
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(data)))
            if state.send_validators:
                self.send_header("ETag", f'"{hashlib.md5(data).hexdigest()}"')  # noqa: S324
                self.send_header(
                    "Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True)
                )
            self.end_headers()
            if body:
                # A slow source: the headers are out, the body comes late (a stalled transfer).
                time.sleep(state.get_delay)
                self.wfile.write(data)

        def do_HEAD(self):  # noqa: N802
            self._serve(body=False)

        def do_GET(self):  # noqa: N802
            self._serve(body=True)

    return Handler


@pytest.fixture(scope="session")
def _http_server(tmp_path_factory):
    state = HttpFiles(root=tmp_path_factory.mktemp("http-files"), port=0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_files(_http_server):
    _reset_folder(_http_server.root)
    _http_server.requests.clear()
    _http_server.require_auth = False
    _http_server.send_validators = True
    _http_server.get_delay = 0.0
    return _http_server


def _reset_folder(root: Path) -> None:
    for child in root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


# --- SFTP ---------------------------------------------------------------------------------


@dataclass
class SftpFiles:
    root: Path
    port: int
    client_key_pem: str
    host_key_line: str

    def url(self, name: str, *, user: str = SFTP_USER, password: str = "") -> str:
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"sftp://{auth}127.0.0.1:{self.port}/{name}"

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path


class _SftpAuth(asyncssh.SSHServer):
    client_public_key = None

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == SFTP_USER and password == SFTP_PASSWORD

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key) -> bool:
        return username == SFTP_USER and key == self.client_public_key


@pytest.fixture(scope="session")
def _sftp_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("sftp-files")
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    _SftpAuth.client_public_key = client_key.convert_to_public()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict = {}

    async def start():
        holder["server"] = await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            server_factory=_SftpAuth,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
            allow_scp=False,
        )
        ready.set()

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), "the SFTP server did not start"
    port = holder["server"].sockets[0].getsockname()[1]
    public = host_key.export_public_key("openssh").decode().split()
    yield SftpFiles(
        root=root,
        port=port,
        client_key_pem=client_key.export_private_key("openssh").decode(),
        host_key_line=f"{public[0]} {public[1]}",
    )
    loop.call_soon_threadsafe(holder["server"].close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def sftp_files(_sftp_server):
    _reset_folder(_sftp_server.root)
    return _sftp_server


# --- S3 (moto's server mode) ----------------------------------------------------------------


@dataclass
class S3Files:
    endpoint: str
    client: object

    def url(self, key: str) -> str:
        return f"s3://{BUCKET}/{key}"

    def write(self, key: str, text: str) -> None:
        self.client.put_object(Bucket=BUCKET, Key=key, Body=text.encode())


@pytest.fixture(scope="session")
def _s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    yield S3Files(endpoint=endpoint, client=client)
    server.stop()


@pytest.fixture
def s3_files(_s3_server):
    client = _s3_server.client
    try:
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    except client.exceptions.NoSuchBucket:
        client.create_bucket(Bucket=BUCKET)
    return _s3_server


# --- Google Cloud Storage (gcp-storage-emulator) ----------------------------------------------


@dataclass
class GcsFiles:
    endpoint: str
    port: int

    def url(self, name: str) -> str:
        return f"gs://{BUCKET}/{name}"

    def write(self, name: str, text: str) -> None:
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 (the emulator on this machine)
            f"{self.endpoint}/upload/storage/v1/b/{BUCKET}/o?uploadType=media&name={name}",
            data=text.encode(),
            method="POST",
            headers={"Content-Type": "text/csv"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 200


@pytest.fixture(scope="session")
def _gcs_server():
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    yield GcsFiles(endpoint=f"http://127.0.0.1:{port}", port=port)
    server.stop()


@pytest.fixture
def gcs_files(_gcs_server):
    return _gcs_server
