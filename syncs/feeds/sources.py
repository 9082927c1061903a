"""Where a feed's file lives, reached through fsspec: one interface for every kind of source.

fsspec is the file-system layer of the PyData world (pandas, Dask, Hugging Face read through it);
its implementations cover each source a retailer drops files on: SFTP (paramiko), HTTP(S)
(aiohttp), S3 and S3-compatible stores (s3fs), Google Cloud Storage (gcsfs) and local files. They
all answer `info()` with what the source knows about the file (size, modification time, ETag) and
`open()` with a stream, which is all a feed needs. docs/feeds.md says why it was chosen.
"""

import base64
import io
import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import fsspec
import paramiko
from django.conf import settings

SCHEMES = ("sftp", "https", "http", "s3", "gs", "file")
# The credentials each kind of source takes; they are stored encrypted, never in the URL.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "sftp": ("password", "private_key", "passphrase"),
    "https": ("password", "token"),
    "http": ("password", "token"),
    "s3": ("key", "secret"),
    "gs": ("token",),
    "file": (),
}
# Settings of a source that are not secret.
OPTION_FIELDS: dict[str, tuple[str, ...]] = {
    "sftp": ("host_key",),
    "https": ("username",),
    "http": ("username",),
    "s3": ("endpoint_url", "region"),
    "gs": ("endpoint_url", "project"),
    "file": (),
}
SECRET_LABELS = {
    "password": "password",
    "private_key": "private key (PEM)",
    "passphrase": "private key passphrase",
    "token": "token",
    "key": "access key id",
    "secret": "secret access key",
}


class SourceError(Exception):
    """The source cannot be reached or read; the message is safe to show and to log."""


@dataclass(frozen=True)
class Location:
    scheme: str
    url: str  # as stored and shown: never with a password
    host: str = ""
    port: int | None = None
    username: str = ""
    path: str = ""  # what fsspec is given: a URL, "bucket/key", a remote or a local path

    @property
    def name(self) -> str:
        """The file's name, for the import job."""
        return Path(urlsplit(self.url).path or self.path).name or "feed.csv"


@dataclass
class Fingerprint:
    """What the source says about the file without sending it: equal fingerprints, same file."""

    etag: str = ""
    modified: str = ""
    size: int | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"etag": self.etag, "modified": self.modified, "size": self.size}

    @property
    def conclusive(self) -> bool:
        """An ETag or a modification time identify a version; a size alone does not."""
        return bool(self.etag or self.modified)

    def describe(self) -> str:
        parts = []
        if self.size is not None:
            parts.append(f"{self.size:,} bytes")
        if self.modified:
            parts.append(f"modified {self.modified}")
        if self.etag:
            parts.append(f"ETag {self.etag}")
        return ", ".join(parts) or "no size, date or ETag given"


def location_parse(url: str) -> tuple[Location, dict[str, str]]:
    """Check a feed URL; returns it without any password, and the password it carried.

    Raises SourceError saying what is wrong. Local paths must be inside FEED_LOCAL_ROOT, so the
    console cannot be made to import its own configuration files.
    """
    url = (url or "").strip()
    if not url:
        raise SourceError("Give the file's URL or path.")
    if url.startswith("/") or url.startswith("file://"):
        return _local(url), {}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SourceError(
            f"Unknown source {scheme or url!r}: use sftp://, https://, s3://, gs:// or a local "
            "path (http:// for a file served on this machine)."
        )
    if not parts.hostname:
        raise SourceError(f"The URL {url!r} names no host (or bucket).")
    if not parts.path.strip("/"):
        raise SourceError(f"The URL {url!r} names no file.")
    if (parts.query or parts.fragment) and scheme not in ("http", "https"):
        raise SourceError("Only http(s) URLs may have a query string.")
    password = unquote(parts.password or "")
    username = unquote(parts.username or "")
    host = parts.hostname
    try:
        port = parts.port
    except ValueError:
        raise SourceError(f"The port in {url!r} is not a number.") from None
    netloc = (f"{parts.username}@" if parts.username else "") + (
        f"[{host}]" if ":" in host else host
    )
    if port:
        netloc += f":{port}"
    clean = urlunsplit((scheme, netloc, parts.path, parts.query, ""))
    if scheme == "http" and not _is_loopback(host):
        raise SourceError(
            "http:// is for a file served on this machine (localhost, 127.0.0.1); "
            "use https:// for anything else, so the file and any password travel encrypted."
        )
    if scheme in ("s3", "gs"):
        if username or password:
            raise SourceError(f"{scheme}:// URLs carry no user: give the credentials below.")
        path = f"{host}{parts.path}"
    elif scheme == "sftp":
        path = unquote(parts.path)
    else:
        path = urlunsplit(
            (
                scheme,
                (f"[{host}]" if ":" in host else host) + (f":{port}" if port else ""),
                parts.path,
                parts.query,
                "",
            )
        )
    location = Location(
        scheme=scheme, url=clean, host=host, port=port, username=username, path=path
    )
    return location, ({"password": password} if password else {})


def _local(url: str) -> Location:
    raw = unquote(urlsplit(url).path) if url.startswith("file://") else url
    root = Path(settings.FEED_LOCAL_ROOT).resolve()
    path = Path(raw).resolve()
    if not path.is_relative_to(root):
        raise SourceError(f"A local feed must be a file under {root} (FEED_LOCAL_ROOT), not {raw}.")
    return Location(scheme="file", url=str(path), path=str(path))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _PinnedHostKey(paramiko.MissingHostKeyPolicy):
    """Trust on first use: the key seen first is pinned on the feed; a different one is refused."""

    def __init__(self, expected: str):
        self.expected = expected
        self.seen = ""

    def missing_host_key(self, client, hostname, key) -> None:
        self.seen = f"{key.get_name()} {key.get_base64()}"
        if self.expected and self.seen != self.expected:
            raise paramiko.SSHException(
                f"The SFTP server's host key changed (now {key.get_name()} "
                f"{key.fingerprint}): if that is expected, clear the feed's host key."
            )


def _private_key(pem: str, passphrase: str) -> paramiko.PKey:
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(pem), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise SourceError("The private key needs its passphrase.") from None
        except (paramiko.SSHException, ValueError):
            continue
    raise SourceError("The private key is not an Ed25519, ECDSA or RSA key in PEM/OpenSSH form.")


class Source:
    """An open connection to one feed's file. Use as a context manager."""

    def __init__(self, *, location: Location, options: dict, credentials: dict[str, str]):
        self.location = location
        self.options = options
        self.credentials = credentials
        self.host_key_policy: _PinnedHostKey | None = None
        self.fs = None

    def __enter__(self) -> "Source":
        self.fs = self._filesystem()
        return self

    def __exit__(self, *exc_info) -> None:
        client = getattr(self.fs, "client", None)
        if isinstance(client, paramiko.SSHClient):
            client.close()

    @property
    def host_key_seen(self) -> str:
        return self.host_key_policy.seen if self.host_key_policy else ""

    def stat(self) -> Fingerprint:
        """What the source says about the file; SourceError when there is none."""
        info = self.fs.info(self.location.path)
        if info.get("type") == "directory":
            raise SourceError(f"{self.location.url} is a folder: point the feed at a file.")
        lower = {str(key).lower(): value for key, value in info.items()}
        etag = lower.get("etag") or lower.get("generation") or lower.get("md5hash") or ""
        modified = (
            lower.get("last-modified")
            or lower.get("lastmodified")
            or lower.get("updated")
            or lower.get("mtime")
            or ""
        )
        size = info.get("size")
        return Fingerprint(
            etag=str(etag).strip('"'),
            modified=str(modified),
            size=int(size) if size is not None else None,
        )

    def open(self):
        return self.fs.open(self.location.path, "rb", block_size=1024 * 1024)

    def _filesystem(self):
        scheme = self.location.scheme
        timeout = settings.FEED_TIMEOUT
        secrets = self.credentials
        common = {"skip_instance_cache": True}
        if scheme == "file":
            return fsspec.filesystem("file", **common)
        if scheme == "sftp":
            self.host_key_policy = _PinnedHostKey(self.options.get("host_key", ""))
            pkey = None
            if secrets.get("private_key"):
                pkey = _private_key(secrets["private_key"], secrets.get("passphrase", ""))
            return fsspec.filesystem(
                "sftp",
                host=self.location.host,
                port=self.location.port or 22,
                username=self.location.username or None,
                password=secrets.get("password") or None,
                pkey=pkey,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                # Only the feed's own credentials: never the worker's keys or agent.
                look_for_keys=False,
                allow_agent=False,
                host_key_policy=self.host_key_policy,
                **common,
            )
        if scheme in ("http", "https"):
            import aiohttp

            client_kwargs: dict = {
                "timeout": aiohttp.ClientTimeout(
                    total=None, sock_read=timeout, sock_connect=timeout
                )
            }
            headers = {}
            if secrets.get("token"):
                headers["Authorization"] = f"Bearer {secrets['token']}"
            elif secrets.get("password"):
                user = self.location.username or self.options.get("username", "")
                pair = base64.b64encode(f"{user}:{secrets['password']}".encode()).decode()
                headers["Authorization"] = f"Basic {pair}"
            return fsspec.filesystem("http", client_kwargs=client_kwargs, headers=headers, **common)
        if scheme == "s3":
            client_kwargs = {}
            if self.options.get("endpoint_url"):
                client_kwargs["endpoint_url"] = self.options["endpoint_url"]
            if self.options.get("region"):
                client_kwargs["region_name"] = self.options["region"]
            return fsspec.filesystem(
                "s3",
                key=secrets.get("key") or None,
                secret=secrets.get("secret") or None,
                anon=not secrets.get("key"),
                client_kwargs=client_kwargs,
                config_kwargs={
                    "connect_timeout": timeout,
                    "read_timeout": timeout,
                    "retries": {"max_attempts": 2},
                },
                **common,
            )
        if scheme == "gs":
            token = "anon"  # noqa: S105 (gcsfs' word for "no credentials")
            if secrets.get("token"):
                try:
                    token = json.loads(secrets["token"])
                except ValueError:
                    raise SourceError(
                        "The gs:// token must be a service account key (JSON)."
                    ) from None
            kwargs = {"token": token, "timeout": timeout}
            if self.options.get("endpoint_url"):
                kwargs["endpoint_url"] = self.options["endpoint_url"]
            if self.options.get("project"):
                kwargs["project"] = self.options["project"]
            # gcsfs' core implementation: its default "experimental" subclass first asks a gRPC
            # endpoint for the bucket's layout, which a reader of one file does not need.
            from gcsfs.core import GCSFileSystem

            return GCSFileSystem(**kwargs, **common)
        raise SourceError(f"Unknown source {scheme!r}.")


def source_error_message(exc: BaseException, location: Location) -> str:
    """A plain sentence for what went wrong talking to the source (never a credential)."""
    import aiohttp

    where = location.url
    if isinstance(exc, FileNotFoundError) and isinstance(exc.__cause__, aiohttp.ClientError):
        # fsspec's HTTP reports any failed HEAD-then-GET as "not found"; the cause says more.
        cause = exc.__cause__
        if not isinstance(cause, aiohttp.ClientResponseError) or cause.status != 404:
            exc = cause
    if isinstance(exc, SourceError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"No file at {where}."
    if isinstance(exc, paramiko.AuthenticationException):
        return f"The SFTP server {location.host} refused the feed's credentials."
    if isinstance(exc, PermissionError):
        return f"Access to {where} was refused: check the feed's credentials."
    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status in (401, 403):
            return f"{location.host} refused the feed's credentials ({exc.status})."
        return f"{location.host} answered {exc.status} {exc.message} for {where}."
    if isinstance(exc, paramiko.SSHException):
        return f"SFTP error with {location.host}: {exc}"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return f"{location.host or where} did not answer in time."
    if isinstance(exc, OSError | aiohttp.ClientError):
        return f"Could not reach {location.host or where}: {exc}"
    return f"Reading {where} failed: {type(exc).__name__}: {exc}"
