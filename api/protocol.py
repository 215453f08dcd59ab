"""uvicorn's HTTP/1.1 protocol with one change: a request too malformed to reach the app gets
the API's JSON error body instead of uvicorn's plain text, so a client reads one error shape."""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.errors import error_body


class JsonErrorH11Protocol(H11Protocol):
    """Pass as `uvicorn.run(..., http=JsonErrorH11Protocol)`."""

    def send_400_response(self, msg: str) -> None:
        message = (f"{msg.rstrip('.')}: this is not a valid HTTP/1.1 request; check the request line, "
                   "the header names and values, and the body length")
        body = json.dumps(error_body(400, "bad_request", message, None)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()
