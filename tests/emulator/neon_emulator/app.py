# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator: state, PostgreSQL, controls, and the request pipeline.

Pipeline of an API request (``/api/v2/...``), in order:
request log entry -> injected fault (status/html502/drop answer here) ->
API key (401) -> route and path ids (404/405/400) -> rate limit (429) ->
handler under the state lock -> ``apply_then_503`` / ``stall``.
Control requests (``/_emulator/...``) skip everything but the lock.
"""

from __future__ import annotations

import hmac
import json
import sys
import threading
import traceback

from neon_emulator import API_PREFIX, CONTROL_PREFIX, DEFAULT_API_KEY, auth_service
from neon_emulator.controls import Behaviour, Faults, RateLimiter, RequestLog
from neon_emulator.databases import Databases
from neon_emulator.model import load_seed, state_from_seed
from neon_emulator.routing import ApiError, Response, Router, discover_route_tables, error_response
from neon_emulator import auth_db

HTML_502 = (b'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n'
            b'<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')


class EmulatorConfig:
    """Settings from the command line (see cli.py)."""

    def __init__(self, seed_path, api_key=DEFAULT_API_KEY, host='127.0.0.1', port=0, database_url=None, data_dir=None,
                 cache_dir=None, behaviour=None, log_requests=False):
        self.seed_path = seed_path
        self.api_key = api_key
        self.host = host
        self.port = port
        self.database_url = database_url
        self.data_dir = data_dir
        self.cache_dir = cache_dir
        self.behaviour = dict(behaviour or {})
        self.log_requests = log_requests


class Request:
    """What the HTTP layer hands to the emulator (``body_error``: the body could not be read)."""

    def __init__(self, method, path, query, headers, body, request_id, body_error=None):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.request_id = request_id
        self.body_error = body_error


class Outcome:
    """What the HTTP layer sends: a response, or nothing (``drop``), possibly after ``stall`` seconds."""

    def __init__(self, response=None, drop=False, stall=0):
        self.response = response
        self.drop = drop
        self.stall = stall


class RequestContext:
    """Everything a route handler needs.  ``params``: path parameters, ``query``: query parameters (last wins)."""

    def __init__(self, emulator, request, params):
        self.emulator = emulator
        self.request = request
        self.params = params
        self.method = request.method
        self.path = request.path
        self.query = request.query
        self.request_id = request.request_id

    @property
    def state(self):
        """The in-memory model (:class:`neon_emulator.model.State`)."""
        return self.emulator.state

    @property
    def databases(self):
        """The real databases (:class:`neon_emulator.databases.Databases`)."""
        return self.emulator.databases

    @property
    def behaviour(self):
        """The behaviour switches (:class:`neon_emulator.controls.Behaviour`)."""
        return self.emulator.behaviour

    def json_body(self, required=True):
        """The decoded JSON body; 400 when it is missing (and ``required``), not JSON, or not an object."""
        if not self.request.body.strip():
            if required:
                raise ApiError(400, 'request body is required')
            return {}
        try:
            body = json.loads(self.request.body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, 'request body is not valid JSON') from None
        if not isinstance(body, dict):
            raise ApiError(400, 'request body must be a JSON object')
        return body


class Emulator:
    """One emulated Neon: call ``start()`` (returns the base URL) and ``stop()``."""

    def __init__(self, config, cluster):
        self.config = config
        self.cluster = cluster
        self.lock = threading.RLock()
        self.requests = RequestLog()
        # Route modules may register behaviour switches when imported: discover them first.
        tables = discover_route_tables()
        self.behaviour = Behaviour(config.behaviour)
        self.faults = Faults()
        self.rate_limiter = RateLimiter()
        self.api_router = Router(table for table in tables if not table.control)
        self.control_router = Router(table for table in tables if table.control)
        self.seed = load_seed(config.seed_path)
        self.databases = Databases(cluster)
        self.state = None
        self._pending_users = {}
        self._http = None
        self._thread = None
        self.base_url = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self):
        """Start PostgreSQL, load the seed, serve HTTP in a background thread; return the API base URL."""
        from neon_emulator.server import EmulatorHTTPServer  # pylint: disable=import-outside-toplevel
        self._http = EmulatorHTTPServer((self.config.host, self.config.port), self)
        try:
            self.cluster.start()
            self.reset()
        except BaseException:
            self._http.server_close()
            self.cluster.stop()
            raise
        # A short poll interval makes stop() (and so SIGTERM) quick.
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='neon-emulator-http', daemon=True)
        self._thread.start()
        host, port = self._http.server_address[:2]
        self.base_url = 'http://%s:%d%s' % (host, port, API_PREFIX)
        return self.base_url

    def stop(self):
        """Stop serving, cancel pending syncs; drop our databases on an existing server, stop an embedded one."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        with self.lock:
            self.forget_pending_users()
            if not self.cluster.owned:
                try:
                    self.databases.drop_all()
                except Exception as exc:  # pylint: disable=broad-except
                    sys.stderr.write('neon-emulator: could not drop the nemu_* databases: %s\n' % exc.__class__.__name__)
        self.cluster.stop()

    def reset(self):
        """Back to the seed: drop all emulated databases, reload state, clear log, faults, behaviour, rate limit."""
        with self.lock:
            self.forget_pending_users()
            self.databases.drop_all()
            self.state, seeded_auth = state_from_seed(self.seed)
            auth_service.apply_seed(self, seeded_auth)
            self.requests.clear()
            self.faults.clear()
            self.behaviour.reset()
            self.rate_limiter.reset()

    # -- request pipeline ------------------------------------------------------------------------------------
    def handle(self, request):
        """Answer one request (see the module docstring for the order of checks)."""
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + '/'):
            return Outcome(self._dispatch(self.control_router, request))
        entry = self.requests.start(request.method, request.path, request.query, request.path.startswith(API_PREFIX + '/'))
        outcome, route_name = self._handle_api(request)
        self.requests.finish(entry, None if outcome.drop else outcome.response.status, route_name)
        return outcome

    def _handle_api(self, request):
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.kind == 'drop':
            return Outcome(drop=True), None
        if fault is not None and fault.kind == 'html502':
            return Outcome(Response(502, HTML_502, 'text/html')), None
        if fault is not None and fault.kind == 'status':
            headers = {'Retry-After': str(fault.retry_after)} if fault.retry_after is not None else None
            return Outcome(error_response(fault.status, fault.error_message(), request.request_id, fault.code, headers)), None
        route_name = None
        try:
            api_key = self._check_api_key(request)
            if request.body_error is not None:
                raise request.body_error
            route, params = self.api_router.resolve(request.method, request.path)
            route_name = route.name
            limited = self.rate_limiter.check(api_key, route.name)
            if limited is not None:
                wait, send_header = limited
                raise ApiError(429, 'too many requests: rate limit exceeded', headers={'Retry-After': str(wait)} if send_header else None)
            response = self._run(route, params, request)
        except ApiError as err:
            response = error_response(err.status, err.message, request.request_id, err.code, err.headers)
        if fault is not None and fault.kind == 'apply_then_503':
            response = error_response(503, fault.message or 'service unavailable', request.request_id, fault.code)
        stall = fault.seconds if fault is not None and fault.kind == 'stall' else 0
        return Outcome(response, stall=stall), route_name

    def _dispatch(self, router, request):
        try:
            route, params = router.resolve(request.method, request.path)
            return self._run(route, params, request)
        except ApiError as err:
            return error_response(err.status, err.message, request.request_id, err.code, err.headers)

    def _run(self, route, params, request):
        ctx = RequestContext(self, request, params)
        try:
            with self.lock:
                return route.handler(ctx)
        except ApiError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # A bug or a database problem: answer 500 and show the traceback (never request bodies or headers).
            sys.stderr.write('neon-emulator: error in %s %s (%s):\n%s' % (request.method, request.path, route.name, traceback.format_exc()))
            sys.stderr.flush()
            raise ApiError(500, 'internal emulator error: %s' % exc.__class__.__name__) from None

    def _check_api_key(self, request):
        header = request.headers.get('Authorization') or ''
        scheme, dummy, token = header.partition(' ')
        if scheme.lower() != 'bearer' or not token.strip():
            raise ApiError(401, 'authentication required: send the header Authorization: Bearer <API key>')
        token = token.strip()
        if not hmac.compare_digest(token.encode('utf-8'), self.config.api_key.encode('utf-8')):
            raise ApiError(401, 'invalid API key')
        return token

    # -- Stack Auth users waiting for the users_sync delay ----------------------------------------------------
    def add_pending_user(self, delay, branch, db_name, user_id, email, name):
        """Insert the users_sync row of a Stack user after ``delay`` seconds (behaviour stack_sync_delay)."""
        timer = threading.Timer(delay, self._sync_pending_user, args=(user_id,))
        timer.daemon = True
        self._pending_users[user_id] = {'branch': branch, 'db_name': db_name, 'email': email, 'name': name,
                                        'deleted': False, 'timer': timer}
        timer.start()

    def pending_email_taken(self, branch_id, email):
        """True when a not yet synced, not deleted user of the branch has this email."""
        return any(item['branch'].id == branch_id and not item['deleted'] and item['email'].lower() == email.lower()
                   for item in self._pending_users.values())

    def delete_pending_user(self, branch_id, user_id):
        """Mark a not yet synced user deleted (its row arrives soft-deleted); False when unknown."""
        item = self._pending_users.get(user_id)
        if item is None or item['branch'].id != branch_id or item['deleted']:
            return False
        item['deleted'] = True
        return True

    def forget_pending_users(self, branch_id=None):
        """Cancel pending syncs (of one branch, or all)."""
        for user_id, item in list(self._pending_users.items()):
            if branch_id is None or item['branch'].id == branch_id:
                item['timer'].cancel()
                del self._pending_users[user_id]

    def _sync_pending_user(self, user_id):
        with self.lock:
            item = self._pending_users.pop(user_id, None)
            if item is None:
                return
            try:
                with self.databases.connect(item['branch'], item['db_name']) as conn:
                    auth_db.stack_insert_user(conn, user_id, item['email'], item['name'], deleted=item['deleted'])
            except Exception as exc:  # pylint: disable=broad-except
                sys.stderr.write('neon-emulator: delayed users_sync insert failed: %s\n' % exc.__class__.__name__)
