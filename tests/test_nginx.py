"""README's nginx configuration, as printed, serving a published folder through a real nginx.

Only the machine-specific values are replaced (ports, certificate files, the root folder), so a
directive this nginx does not know, a location that misses the assets, or a cache header that
does not fit the fingerprinted names fails here. Skips with the reason where nginx or openssl
is not installed (`apt-get install nginx`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import BASIC_SITE_YAML, NOW, readme_block, run_cli, write_files

CSP = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
SITE = {
    "content/messages/alpha.md": "---\ntitle: Alpha kommt\ndate: 2026-01-10\ntags: [assets]\n---\nText.\n",
    "content/info.md": "---\ntitle: Info-Seite\n---\nÜber uns.\n",
}


def nginx_binary() -> str:
    """nginx on PATH or in /usr/sbin (not on a non-root PATH), else skip."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        pytest.skip("the nginx tests need nginx (apt-get install nginx); none found")
    if not shutil.which("openssl"):
        pytest.skip("the nginx tests need openssl for a test certificate; none found")
    return found


def mime_types(nginx: str) -> Path:
    """The mime.types beside the configuration nginx was built with."""
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=False).stderr
    conf = re.search(r"--conf-path=(\S+)", version)
    path = Path(conf.group(1)).parent / "mime.types" if conf else Path("/etc/nginx/mime.types")
    if not path.is_file():
        pytest.skip(f"nginx's mime.types not found at {path}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_block(block: str, *, port: int, port80: int, cert: Path, key: Path, root: Path) -> str:
    """A README server block with this machine's ports, certificate and root."""
    replaced = {
        "listen 443 ": f"listen 127.0.0.1:{port} ",
        "listen 80;": f"listen 127.0.0.1:{port80};",
        "/etc/ssl/intranet.crt": str(cert),
        "/etc/ssl/intranet.key": str(key),
    }
    for old, new in replaced.items():
        assert old in block, f"README's nginx block no longer has {old!r}"
        block = block.replace(old, new)
    roots = re.findall(r"^\s*root (\S+);", block, flags=re.M)
    assert len(roots) == 1, roots
    return block.replace(f"root {roots[0]};", f"root {root};", 1)


@contextlib.contextmanager
def nginx_serving(tmp_path: Path, site_conf: str) -> Iterator[None]:
    """Write a minimal nginx.conf around site_conf and the README's header snippet, check it with
    `nginx -t` (which must pass) and run nginx until the block ends."""
    nginx = nginx_binary()
    conf_dir = tmp_path / "nginx"
    (conf_dir / "snippets").mkdir(parents=True)
    (conf_dir / "snippets" / "im-site-headers.conf").write_text(readme_block("Point the server's root at DIR", "nginx"))
    (conf_dir / "site.conf").write_text(site_conf)
    temp = "\n".join(f"    {name}_temp_path {conf_dir / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (conf_dir / "nginx.conf").write_text(
        f"pid {conf_dir / 'nginx.pid'};\nerror_log {conf_dir / 'error.log'};\n"
        + ("user root;\n" if os.geteuid() == 0 else "")
        + f"events {{}}\nhttp {{\n    include {mime_types(nginx)};\n    default_type application/octet-stream;\n"
        f"    access_log off;\n{temp}\n    include site.conf;\n}}\n")
    command = [nginx, "-p", str(conf_dir), "-c", str(conf_dir / "nginx.conf"), "-e", str(conf_dir / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, f"nginx -t refuses README's configuration:\n{checked.stderr}"
    server = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"listen 127\.0\.0\.1:(\d+) ssl", site_conf).group(1))  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert server.poll() is None, f"nginx ended: {server.stderr.read() if server.stderr else ''}"
            assert time.monotonic() < deadline, "nginx did not start listening"
            time.sleep(0.05)
        yield
    finally:
        server.terminate()
        server.wait(timeout=20)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        self.status, self.headers, self.body = status, headers, body


def get(port: int, path: str) -> Response:
    """GET https://127.0.0.1:port/path (the test certificate is not verified); redirects not followed."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(f"https://127.0.0.1:{port}{path}", timeout=20) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode("utf-8", "replace"))


class Loads(HTMLParser):
    """What a page loads itself: stylesheets, scripts, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "stylesheet" or tag in ("script", "img"):
            url = found.get("href") if tag == "link" else found.get("src")
            if url:
                self.urls.append(url)


def loads(html: str) -> list[str]:
    parser = Loads()
    parser.feed(html)
    return parser.urls


def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "intranet.crt", tmp_path / "intranet.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=intranet",
                    "-keyout", str(key), "-out", str(cert)], capture_output=True, check=True)
    return cert, key


def publish(tmp_path: Path, base_url: str, dest: Path, audience: str | None = None) -> None:
    """Two versions of the small site into dest, and of the audience's edition if one is named."""
    root = tmp_path / "site"
    write_files(root, {"site.yaml": BASIC_SITE_YAML + f"base_url: {base_url}\n", **SITE})
    for version in ("v1", "v2"):
        for edition in ([], ["--audience", audience]) if audience else ([],):
            result = run_cli(root, "publish", "--dest", str(dest), "--version", version, "--now", NOW, *edition)
            assert result.exit_code == 0, result.output


def assert_served(port: int, prefix: str, dest: Path) -> None:
    """Pages, assets, old versions and the 404 page of dest, published under prefix ('/' or '/intranet/')."""
    home = get(port, prefix)
    assert home.status == 200 and "latest/index.html" in home.body
    assert home.headers["content-security-policy"] == CSP
    assert home.headers["cache-control"] == "no-cache"
    page = get(port, f"{prefix}latest/messages/alpha/")
    assert page.status == 200 and "Alpha kommt" in page.body
    assert page.headers["cache-control"] == "no-cache"
    assets = [url for url in loads(page.body) if "/assets/" in url]
    assert assets
    for url in assets:  # relative: ../../assets/site.<hash>.css
        asset = get(port, f"{prefix}latest/messages/alpha/{url}")
        assert asset.status == 200, f"{url}: {asset.status}"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable", url
        assert asset.headers["content-security-policy"] == CSP
    old = get(port, f"{prefix}versions/v1/messages/alpha/")
    assert old.status == 200 and "Alpha kommt" in old.body
    assert old.headers["cache-control"] == "public, max-age=604800"
    for url in assets:  # an old version's own fingerprinted files are cached as long as latest/'s
        asset = get(port, f"{prefix}versions/v1/messages/alpha/{url}")
        assert asset.status == 200, f"{url}: {asset.status}"
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable", url
    # A listing is no fingerprinted file, even where its name is `assets` (a tag).
    tag = get(port, f"{prefix}latest/tags/assets/")
    assert tag.status == 200 and tag.headers["cache-control"] == "no-cache"
    # A deep missing address gets the styled 404 page, whose files load from there.
    missing = get(port, f"{prefix}versions/x/messages/nope/")
    assert missing.status == 404 and 'rel="stylesheet"' in missing.body
    assert missing.headers["content-security-policy"] == CSP
    for url in loads(missing.body):
        assert url.startswith(f"{prefix}latest/"), url
        assert get(port, url).status == 200, url
    assert get(port, f"{prefix}.im-site.lock").status == 404
    leftover = dest / "versions/.pruned-v0-abcd1234"  # what a publish killed while pruning leaves: a whole version
    leftover.mkdir()
    (leftover / "index.html").write_text("old")
    assert get(port, f"{prefix}versions/.pruned-v0-abcd1234/index.html").status == 404
    listed = get(port, f"{prefix}versions/")  # an address shortened to the versions: their list, not 403
    assert listed.status == 200 and "v1/index.html" in listed.body


def with_edition_block(block: str) -> str:
    """The server block with its commented per-audience location taken in, as IT does (without
    the `auth_request` line, which needs an authentication service)."""
    lines = block.splitlines()
    start = next(index for index, line in enumerate(lines) if line.strip().startswith("# location ^~ /filiale/"))
    end = next(index for index in range(start, len(lines)) if lines[index].strip() == "# }")
    taken = [line.replace("# ", "", 1) for line in lines[start:end + 1] if "auth_request" not in line]
    return "\n".join(lines[:start] + taken + lines[end + 1:]) + "\n"


def assert_edition_served(port: int, dest: Path) -> None:
    """An audience edition behind the README's location: its pages and 404 page, its assets cached
    for a year, its old versions for a week but by the reader's browser only (the pages are behind
    a login: no shared cache may hand them on), and no hidden file of a publish served."""
    page = get(port, "/filiale/latest/messages/alpha/")
    assert page.status == 200 and "Alpha kommt" in page.body and page.headers["cache-control"] == "no-cache"
    assets = [url for url in loads(page.body) if "/assets/" in url]
    assert assets
    for version in ("latest", "versions/v1"):
        for url in assets:
            asset = get(port, f"/filiale/{version}/messages/alpha/{url}")
            assert asset.status == 200, f"{version} {url}: {asset.status}"
            assert asset.headers["cache-control"] == "public, max-age=31536000, immutable", f"{version} {url}"
            assert asset.headers["content-security-policy"] == CSP
    old = get(port, "/filiale/versions/v1/messages/alpha/")
    assert old.status == 200 and old.headers["cache-control"] == "private, max-age=604800"
    missing = get(port, "/filiale/versions/v1/nope/")
    assert missing.status == 404 and "filiale/latest/" in missing.body
    leftover = dest / "filiale/versions/.pruned-v0-abcd1234"  # what a publish killed while pruning leaves
    leftover.mkdir()
    (leftover / "index.html").write_text("old")
    assert get(port, "/filiale/versions/.pruned-v0-abcd1234/index.html").status == 404


def test_readme_nginx_config_serves_the_published_folder(tmp_path: Path) -> None:
    """The server block as printed passes `nginx -t` on the nginx of Debian and Ubuntu LTS (1.22, 1.24:
    no `http2 on;`) and serves pages, versions, assets and the 404 page with the headers it promises;
    with its per-audience location taken in, an audience edition too."""
    nginx_binary()
    dest = tmp_path / "srv" / "im-site"
    publish(tmp_path, "https://intranet.example.internal/", dest, audience="filiale")
    port = free_port()
    cert, key = certificate(tmp_path)
    block = readme_block("# /etc/nginx/snippets/im-site-headers.conf", "nginx")
    assert block.startswith("# /etc/nginx/sites-available/intranet\n")
    conf = server_block(with_edition_block(block), port=port, port80=free_port(), cert=cert, key=key, root=dest)
    with nginx_serving(tmp_path, conf):
        assert_served(port, "/", dest)
        assert_edition_served(port, dest)


def test_readme_nginx_sub_path_serves_the_published_folder(tmp_path: Path) -> None:
    """README's sub-path locations, nested in a server block as it says: under /intranet/ (base_url
    set to it) assets load, old versions are cached for a week, and a deep missing address gets the
    styled 404 page, whose files load from /intranet/latest/."""
    nginx_binary()
    www = tmp_path / "www"
    publish(tmp_path, "https://intranet.example.internal/intranet/", www / "intranet")
    port = free_port()
    cert, key = certificate(tmp_path)
    fragment = readme_block("**Under a sub-path**", "nginx")
    assert fragment.startswith("# in the server block")
    roots = re.findall(r"^\s*root (\S+);", fragment, flags=re.M)
    assert roots == ["/srv/www"], roots
    conf = (f"server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name _;\n"
            f"    ssl_certificate {cert};\n    ssl_certificate_key {key};\n"
            + fragment.replace("root /srv/www;", f"root {www};") + "}\n")
    with nginx_serving(tmp_path, conf):
        assert_served(port, "/intranet/", www / "intranet")
        assert get(port, "/intranet/latest/messages/nope/").status == 404
        assert get(port, "/elsewhere/").status == 404
