"""Fetch a document from a URL a user typed, only from a public web address, within the crawls' limits.

A server that fetches whatever URL it is given can be made to read its own network (an admin page on
127.0.0.1, a cloud metadata address) or to swallow an endless body (``file:///dev/zero``). So the app
fetches only when the operator enables it (``COBASE_APP_FETCH=1``, :mod:`cobase.access`), and then:

* only ``http`` and ``https``;
* the host is resolved once, every address it resolves to must be public (not loopback, private,
  link-local, multicast, reserved or unspecified), and the connection goes to the address that was
  checked, so a second DNS answer cannot point elsewhere;
* redirects are followed by hand (at most :data:`MAX_REDIRECTS`), each target checked the same way;
* the body is read in chunks and refused beyond the crawls' size cap, within the crawls' timeout
  (Scrapy's ``DOWNLOAD_MAXSIZE`` and ``DOWNLOAD_TIMEOUT`` from ``crawlers/settings.py``).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from cobase.clock import utcnow
from crawlers.items import RawResponse

MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 60.0
CHUNK_BYTES = 64 * 1024
USER_AGENT = "cobase/0.1 (user-cited document)"

Resolver = Callable[[str, int], list[str]]


class UnsafeFetchError(ValueError):
    """The URL is not fetched (scheme, address, size, time or HTTP status); the message says why.

    It keeps its French and English halves apart so that each caller adds its own advice in both
    languages (the app: upload the file; the command line: pass it with ``--file``) instead of
    nesting one message inside another.
    """

    def __init__(self, french: str, english: str) -> None:
        super().__init__(f"{french} / {english}")
        self.french = french
        self.english = english

    def advise(self, french: str, english: str) -> UnsafeFetchError:
        """The same refusal followed by what the reader can do instead."""
        return UnsafeFetchError(f"{self.french} : {french}", f"{self.english}; {english}")


def crawl_limits() -> tuple[int, float]:
    """(maximum body bytes, timeout seconds) the crawls use, so a typed URL gets no more than a crawl."""
    try:
        from crawlers import settings
    except ImportError:  # an installed package without the Scrapy project: the defaults
        return DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_SECONDS
    max_bytes = int(getattr(settings, "DOWNLOAD_MAXSIZE", 0) or DEFAULT_MAX_BYTES)
    timeout = float(getattr(settings, "DOWNLOAD_TIMEOUT", 0) or DEFAULT_TIMEOUT_SECONDS)
    return max_bytes, timeout


def _resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is on the public internet (not loopback, private, link-local, reserved...)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever older Pythons say of it
    return ip.is_global and not ip.is_multicast


def public_address(host: str, port: int, resolver: Resolver = _resolve) -> str:
    """The first address of ``host``, after checking that every address it resolves to is public."""
    try:
        addresses = resolver(host, port)
    except OSError as exc:
        raise UnsafeFetchError(f"le nom {host!r} ne se résout pas", f"cannot resolve {host!r}") from exc
    if not addresses:
        raise UnsafeFetchError(f"le nom {host!r} ne se résout pas", f"cannot resolve {host!r}")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not is_public(ip):
            raise UnsafeFetchError(
                f"{host} désigne une adresse non publique ({ip}) : le serveur ne la consulte pas",
                "not a public address",
            )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the address that was checked, whatever DNS answers next."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to the checked address; the certificate is still verified for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def fetch_public(
    url: str,
    source_key: str,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
    resolver: Resolver = _resolve,
) -> RawResponse:
    """GET ``url`` under the rules of this module; the response as a raw response to keep as a snapshot."""
    return fetch_url(
        url, source_key, public_only=True, max_bytes=max_bytes, timeout=timeout, resolver=resolver
    )


def fetch_url(
    url: str,
    source_key: str,
    *,
    public_only: bool,
    max_bytes: int | None = None,
    timeout: float | None = None,
    resolver: Resolver = _resolve,
) -> RawResponse:
    """GET ``url`` within the crawls' size cap and timeout, following at most :data:`MAX_REDIRECTS`.

    The one way cobase fetches a single document outside a crawl. ``public_only`` is the server's rule
    (the app fetches a URL a user typed only from a public address, checked at every redirect); the
    command line runs on its operator's machine and may read a document from their own network
    (``public_only=False``), with the same limits and certificate checks.
    """
    default_bytes, default_timeout = crawl_limits()
    max_bytes = max_bytes or default_bytes
    timeout = timeout or default_timeout
    current = url.strip()
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeFetchError(
                f"seules les adresses http:// ou https:// sont consultées (reçu {current[:60]!r})",
                "only http(s) URLs are fetched",
            )
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = public_address(parts.hostname, port, resolver) if public_only else parts.hostname
        connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(parts.hostname, port, address, timeout)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        try:
            headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                current = urljoin(current, response.getheader("Location") or "")
                continue
            if response.status >= 400:
                status = response.status
                raise UnsafeFetchError(
                    f"{parts.hostname} a répondu {status}", f"{parts.hostname} answered {status}"
                )
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(max_bytes)
            body = bytearray()
            while chunk := response.read(CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_big(max_bytes)
            return RawResponse(
                source=source_key,
                url=current,
                status=response.status,
                body=bytes(body),
                content_type=response.getheader("Content-Type"),
                retrieved_at=utcnow().isoformat(),
            )
        except (OSError, http.client.HTTPException) as exc:
            raise UnsafeFetchError(
                f"le document n'a pas pu être récupéré ({exc.__class__.__name__})",
                f"cannot fetch the document ({exc.__class__.__name__})",
            ) from exc
        finally:
            connection.close()
    raise UnsafeFetchError(f"plus de {MAX_REDIRECTS} redirections", f"more than {MAX_REDIRECTS} redirects")


def _too_big(max_bytes: int) -> UnsafeFetchError:
    return UnsafeFetchError(
        f"le document dépasse la taille maximale de {max_bytes // (1024 * 1024)} Mo",
        f"the document is larger than the size cap ({max_bytes // (1024 * 1024)} MB)",
    )


def refuse_fetch(url: str) -> RawResponse:
    """The app's fetcher when the operator has not enabled fetching: the user uploads the document."""
    raise UnsafeFetchError(
        "ce serveur ne récupère pas les documents à partir d'une adresse : déposez le fichier, son adresse "
        "restera citée",
        "this server does not fetch typed URLs: upload the document",
    )


def user_url_fetcher(source_key: str, enabled: bool) -> Callable[[str], RawResponse]:
    """How the app gets a document from a URL a user typed: :func:`fetch_public`, or a refusal."""
    if not enabled:
        return refuse_fetch

    def fetch(url: str) -> RawResponse:
        try:
            return fetch_public(url, source_key)
        except UnsafeFetchError as exc:
            raise exc.advise("déposez le fichier", "upload the file instead") from exc

    return fetch
