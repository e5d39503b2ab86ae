"""Where webhooks may be sent (docs/api.md, "Webhooks"): only to public HTTP(S) addresses.

A subscription's URL is checked when it is saved, and again at every send after DNS
resolution, and the connection goes to exactly the address that was checked — so a
name that later resolves inside (DNS rebinding) fails too. Loopback, private,
link-local (cloud metadata at 169.254.169.254), multicast, reserved and unspecified
addresses are refused, as are schemes other than http and https, unless the operator
allow-lists a network in ``WEBHOOK_ALLOWED_NETWORKS`` (e.g. an intranet receiver).
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SCHEMES = ("http", "https")


class TargetRefused(OSError):
    """A webhook target that may not be reached; the message is for people."""


def _allowed_networks():
    return [ipaddress.ip_network(item, strict=False) for item in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])]


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def resolve_allowed(host: str, port: int) -> str:
    """The address to connect to: every address ``host`` resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(_("The host name %(host)s could not be resolved.") % {"host": host}) from error
    addresses = [info[4][0] for info in infos]
    refused = [address for address in addresses if not address_allowed(address)]
    if not addresses or refused:
        raise TargetRefused(_("%(host)s points to an internal address (%(address)s); webhooks are only sent to public "
                              "addresses.") % {"host": host, "address": (refused or ["?"])[0]})
    return addresses[0]


def target_check(url: str) -> None:
    """Raise ``TargetRefused`` unless ``url`` is http(s) on a host that resolves to allowed addresses."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise TargetRefused(_("Only http and https addresses can receive webhooks."))
    if not parts.hostname:
        raise TargetRefused(_("The address has no host name."))
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise TargetRefused(_("The port of the address is not valid.")) from None
    resolve_allowed(parts.hostname, port)


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        address = resolve_allowed(self.host, self.port)
        self.sock = socket.create_connection((address, self.port), self.timeout, self.source_address)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        address = resolve_allowed(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is a failed delivery (it would turn the POST into a GET)


def checked_opener() -> urllib.request.OpenerDirector:
    """An opener that never follows redirects, ignores proxy variables, speaks only
    http(s), and connects only to addresses ``resolve_allowed`` accepts."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler({}), urllib.request.UnknownHandler(), _CheckedHTTPHandler(),
                    _CheckedHTTPSHandler(), urllib.request.HTTPDefaultErrorHandler(), _NoRedirect(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener
