# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP layer: stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive, every answer with Content-Length.

It only moves bytes: parsing the request line, reading the body, sending the
emulator's Outcome.  It never logs bodies or headers (they may hold secrets).
"""

from __future__ import annotations

import socket
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from neon_emulator.app import Request
from neon_emulator.routing import ApiError, error_response

MAX_BODY_BYTES = 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """One thread per connection; threads never block shutdown."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator):
        self.emulator = emulator
        super().__init__(address, EmulatorRequestHandler)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """Turns HTTP requests into ``Emulator.handle`` calls."""

    protocol_version = 'HTTP/1.1'
    server_version = 'neon-emulator'
    # Headers and body go out in separate writes: with Nagle's algorithm on, a kept-alive client waits ~40 ms
    # (delayed ACK) for every answer.
    disable_nagle_algorithm = True

    def version_string(self):
        """The Server header."""
        return self.server_version

    def do_GET(self):  # pylint: disable=invalid-name
        """GET."""
        self._serve()

    def do_POST(self):  # pylint: disable=invalid-name
        """POST."""
        self._serve()

    def do_PUT(self):  # pylint: disable=invalid-name
        """PUT."""
        self._serve()

    def do_PATCH(self):  # pylint: disable=invalid-name
        """PATCH."""
        self._serve()

    def do_DELETE(self):  # pylint: disable=invalid-name
        """DELETE."""
        self._serve()

    def _serve(self):
        request_id = (self.headers.get('X-Request-ID') or '').strip()[:200] or str(uuid.uuid4())
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body, body_error = b'', None
        try:
            body = self._read_body()
        except ApiError as err:
            body_error = err
            self.close_connection = True  # the rest of the stream cannot be trusted
        request = Request(self.command, parts.path, query, self.headers, body, request_id, body_error)
        outcome = self.server.emulator.handle(request)
        if outcome.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if outcome.stall:
            time.sleep(outcome.stall)
        self._send(outcome.response, request_id)

    def _read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            return self._read_chunked()
        raw_length = self.headers.get('Content-Length')
        if not raw_length:
            return b''
        try:
            length = int(raw_length)
        except ValueError:
            raise ApiError(400, 'invalid Content-Length') from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise ApiError(413, 'request body too large')
        return self.rfile.read(length)

    def _read_chunked(self):
        chunks = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b';', 1)[0].strip(), 16)
            except ValueError:
                raise ApiError(400, 'invalid chunked body') from None
            if size == 0:
                while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                    pass
                return b''.join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ApiError(413, 'request body too large')
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, response, request_id):
        if response is None:
            response = error_response(500, 'no response', request_id)
        self.send_response(response.status)
        self.send_header('x-request-id', request_id)
        if response.content_type:
            self.send_header('Content-Type', response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 204:
            self.send_header('Content-Length', str(len(response.body)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if response.body and response.status != 204:
            self.wfile.write(response.body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Access log on stderr only with --log-requests (request line and status, nothing else)."""
        if self.server.emulator.config.log_requests:
            sys.stderr.write('neon-emulator: %s\n' % (format % args))
