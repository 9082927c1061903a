"""Each kind of source, against a real server: what it says about a file, and the file itself."""

import pytest

from syncs.feeds.sources import Source, SourceError, location_parse, source_error_message
from tests.file_servers import HTTP_PASSWORD, S3_KEY, S3_SECRET, SFTP_PASSWORD

CSV = "catalogId,gtin,inventory\ncat-1,04006381333931,5\n"


def _read(url: str, *, options=None, credentials=None):
    location, in_url = location_parse(url)
    with Source(
        location=location, options=options or {}, credentials={**in_url, **(credentials or {})}
    ) as source:
        fingerprint = source.stat()
        with source.open() as f:
            return fingerprint, f.read().decode(), source


def test_http_gives_etag_last_modified_and_size(http_files):
    http_files.write("products.csv", CSV)
    fingerprint, text, _ = _read(http_files.url("products.csv"))
    assert text == CSV
    assert fingerprint.size == len(CSV)
    assert fingerprint.etag and fingerprint.modified and fingerprint.conclusive


def test_http_basic_auth(http_files):
    http_files.require_auth = True
    http_files.write("products.csv", CSV)
    with pytest.raises(FileNotFoundError) as refused:
        _read(http_files.url("products.csv"))
    location, _ = location_parse(http_files.url("products.csv"))
    assert source_error_message(refused.value, location) == (
        "127.0.0.1 refused the feed's credentials (401)."
    )
    _, text, _ = _read(
        http_files.url("products.csv"),
        options={"username": "feeder"},
        credentials={"password": HTTP_PASSWORD},
    )
    assert text == CSV


def test_sftp_with_password_pins_the_host_key(sftp_files):
    sftp_files.write("products.csv", CSV)
    fingerprint, text, source = _read(sftp_files.url("products.csv", password=SFTP_PASSWORD))
    assert text == CSV
    assert fingerprint.size == len(CSV) and fingerprint.modified
    assert source.host_key_seen == sftp_files.host_key_line


def test_sftp_with_a_private_key(sftp_files):
    sftp_files.write("products.csv", CSV)
    _, text, _ = _read(
        sftp_files.url("products.csv"),
        credentials={"private_key": sftp_files.client_key_pem},
        options={"host_key": sftp_files.host_key_line},
    )
    assert text == CSV


def test_sftp_refuses_a_changed_host_key(sftp_files):
    sftp_files.write("products.csv", CSV)
    with pytest.raises(Exception, match="host key changed"):
        _read(
            sftp_files.url("products.csv", password=SFTP_PASSWORD),
            options={"host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther" + "Key" * 12},
        )


def test_s3_compatible_endpoint(s3_files):
    s3_files.write("daily/products.csv", CSV)
    fingerprint, text, _ = _read(
        s3_files.url("daily/products.csv"),
        options={"endpoint_url": s3_files.endpoint, "region": "us-east-1"},
        credentials={"key": S3_KEY, "secret": S3_SECRET},
    )
    assert text == CSV
    assert fingerprint.etag and fingerprint.size == len(CSV)


def test_gcs_emulator(gcs_files):
    gcs_files.write("products.csv", CSV)
    fingerprint, text, _ = _read(
        gcs_files.url("products.csv"), options={"endpoint_url": gcs_files.endpoint}
    )
    assert text == CSV
    assert fingerprint.etag and fingerprint.size == len(CSV)


def test_local_file_under_the_feed_root(settings, tmp_path):
    settings.FEED_LOCAL_ROOT = tmp_path
    (tmp_path / "products.csv").write_text(CSV)
    fingerprint, text, _ = _read(str(tmp_path / "products.csv"))
    assert text == CSV and fingerprint.modified and fingerprint.size == len(CSV)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/file.csv", "Unknown source"),
        ("http://example.com/file.csv", "http:// is for a file served on this machine"),
        ("https://example.com/", "names no file"),
        ("/etc/passwd", "FEED_LOCAL_ROOT"),
        ("s3://user:pw@bucket/key.csv", "carry no user"),
        ("", "Give the file's URL"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(SourceError, match=message):
        location_parse(url)


def test_a_password_in_the_url_is_taken_out_of_it():
    location, extracted = location_parse("sftp://feeds:s3cr%40t@files.example.com:2222/in/p.csv")
    assert location.url == "sftp://feeds@files.example.com:2222/in/p.csv"
    assert extracted == {"password": "s3cr@t"}
    assert location.port == 2222 and location.username == "feeds" and location.path == "/in/p.csv"
