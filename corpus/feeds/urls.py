"""One address per story: links that differ only in tracking parameters, a fragment, http or
https, the case of the host or a default port are the same article."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_hsenc",
             "_hsmi", "ref", "ref_src", "cmpid", "ocid", "smid", "sr_share", "at_medium", "at_campaign"}


def normalise_url(url: str) -> str:
    """The key an article's address is known by: "//host/path?query", the scheme dropped (http and
    https are one page), tracking parameters and the fragment removed, the rest of the query sorted."""
    return clean_url(url).partition(":")[2]


def clean_url(url: str) -> str:
    """`url` without tracking parameters or fragment, its host lower-case, its query sorted."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith("utm_") and k.lower() not in _TRACKING)
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", urlencode(query), ""))
