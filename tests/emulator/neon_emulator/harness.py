# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the emulator as a subprocess and talk to it, for tests (stdlib only).

Example (pytest)::

    sys.path.insert(0, 'tests/emulator')
    from neon_emulator.harness import shared_emulator

    # Start it while pytest imports the module, in the pytest process itself: ansible-test units runs every
    # test in a forked child that exits without fixture teardown, so a module-scoped fixture would start
    # (and abandon) one emulator per test.
    EMULATOR = shared_emulator()

    @pytest.fixture
    def emulator():
        EMULATOR.reset()
        return EMULATOR

    def test_enable(emulator):
        status, headers, body = emulator.api('POST', '/projects/demo-project-123456/branches/br-main-123456/auth',
                                             {'auth_provider': 'better_auth'})
        assert status == 201
        assert [r['route'] for r in emulator.request_log() if r['write']] == ['createNeonAuth']

Inside one test, ``with EmulatorProcess(args=[...]) as emu:`` gives a private emulator.
Emulators started here use ``--stop-with-parent``: they stop when the process that started them exits,
even if it never called ``stop()``.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

RUN_EMULATOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'run_emulator.py')

# Ids from seed.json that tests rely on.
DEMO_PROJECT = 'demo-project-123456'            # no auth; branches br-main-123456 (default) and br-dev-123456
DEMO_MAIN = 'br-main-123456'
DEMO_DEV = 'br-dev-123456'
STACK_PROJECT = 'stack-project-123456'          # Stack Auth enabled on br-stack-main-123456
STACK_MAIN = 'br-stack-main-123456'
STACK_ALICE = '8f5b6c1e-2d3a-4b7c-9e01-5a6b7c8d9e01'   # alice@example.com (bob ...e02 active, carol ...e03 soft-deleted)
STACK_CAROL = '8f5b6c1e-2d3a-4b7c-9e01-5a6b7c8d9e03'
BETTER_PROJECT = 'better-auth-project-123456'   # Better Auth enabled on br-ba-main-123456 (not on br-ba-dev-123456)
BETTER_MAIN = 'br-ba-main-123456'
BETTER_DEV = 'br-ba-dev-123456'
BETTER_ADMIN = '0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c01'  # admin@example.com, role admin (user@example.com ...c02, role user)
EMPTY_PROJECT = 'empty-project-123456'
MULTI_DB_PROJECT = 'multi-db-project-123456'    # databases neondb (neondb_owner) and appdb (app_owner)


def auth_path(project_id=DEMO_PROJECT, branch_id=DEMO_MAIN, suffix=''):
    """``/projects/{project_id}/branches/{branch_id}/auth`` + suffix."""
    return '/projects/%s/branches/%s/auth%s' % (project_id, branch_id, suffix)


def general_error_problems(status, headers, body, expected_status):
    """What is wrong with an answer that should be a Neon GeneralError of ``expected_status`` ([] when nothing)."""
    problems = []
    if status != expected_status:
        problems.append('status %s, expected %s' % (status, expected_status))
    if (headers.get('Content-Type') or '') != 'application/json':
        problems.append('Content-Type %r' % headers.get('Content-Type'))
    if not isinstance(body, dict) or set(body) != {'code', 'message', 'request_id'}:
        problems.append('body is not {code, message, request_id}: %r' % (body,))
    elif body['request_id'] != headers.get('x-request-id'):
        problems.append('request_id %r differs from header x-request-id %r' % (body['request_id'], headers.get('x-request-id')))
    return problems


class EmulatorError(RuntimeError):
    """The emulator did not start; the message carries its stderr."""


class EmulatorProcess:
    """``run_emulator.py --port 0`` in a subprocess; ``start()`` returns once the base URL is printed.

    ``python`` defaults to this interpreter (or env NEON_EMULATOR_PYTHON); ``args`` are extra CLI arguments.
    stderr goes to a temporary file (``stderr_text()``), so a chatty emulator can never block on a full pipe.
    """

    def __init__(self, api_key='test-api-key', args=(), python=None, env=None, start_timeout=60):
        self.api_key = api_key
        self.args = list(args) + ['--stop-with-parent']
        self.python = python or os.environ.get('NEON_EMULATOR_PYTHON') or sys.executable
        self.env = dict(os.environ if env is None else env)
        self.env['NEON_EMULATOR_API_KEY'] = api_key
        self.start_timeout = start_timeout
        self.process = None
        self.base_url = None
        self.root_url = None
        self.startup_seconds = None
        self._stderr = None
        self._owner_pid = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self):
        """Start and wait for the first stdout line; raise EmulatorError with stderr when it fails."""
        self._stderr = tempfile.TemporaryFile()  # pylint: disable=consider-using-with
        self._owner_pid = os.getpid()
        started = time.monotonic()
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [self.python, RUN_EMULATOR, '--port', '0'] + self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._stderr, env=self.env, start_new_session=True)
        first_line = []
        reader = threading.Thread(target=lambda: first_line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        line = first_line[0].decode('utf-8').strip() if first_line else ''
        if not line.startswith('http://'):
            self.stop()
            raise EmulatorError('emulator did not print its URL (got %r); stderr:\n%s' % (line, self.stderr_text()))
        self.startup_seconds = time.monotonic() - started
        self.base_url = line
        self.root_url = line.rsplit('/api/', 1)[0]
        return self.base_url

    def stop(self):
        """SIGTERM (the emulator stops its PostgreSQL), then kill the process group if it hangs.

        Only the process that started the emulator stops it (a forked child that inherited this object does not).
        """
        if self.process is None or os.getpid() != self._owner_pid:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process.stdout.close()
        self.process = None

    def stderr_text(self):
        """What the emulator wrote to stderr so far."""
        if self._stderr is None:
            return ''
        self._stderr.seek(0)
        return self._stderr.read().decode('utf-8', 'replace')

    # -- HTTP ------------------------------------------------------------------------------------------------
    def api(self, method, path, body=None, headers=None, query=None, api_key=None):
        """Call ``/api/v2`` + path with the API key; return ``(status, headers, decoded JSON or None)``."""
        sent = {'Authorization': 'Bearer %s' % (api_key or self.api_key)}
        sent.update(headers or {})
        return self.raw(method, self.base_url + path, body, sent, query)

    def control(self, method, path, body=None, query=None):
        """Call ``/_emulator`` + path; return the decoded JSON; raise on a non-2xx answer."""
        status, dummy, payload = self.raw(method, self.root_url + '/_emulator' + path, body, {}, query)
        if status >= 300:
            raise EmulatorError('control %s %s answered %s: %s' % (method, path, status, payload))
        return payload

    @staticmethod
    def raw(method, url, body=None, headers=None, query=None):
        """One HTTP request; JSON body in, ``(status, headers, JSON or text or None)`` out."""
        if query:
            url += '?' + urlencode(query)
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode('utf-8')
            headers.setdefault('Content-Type', 'application/json')
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # nosec - local emulator only
                return response.status, response.headers, _decode(response)
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers, _decode(err)

    # -- control API shortcuts -------------------------------------------------------------------------------
    def reset(self):
        """Back to the seed (also clears log, faults, behaviour, rate limit)."""
        self.control('POST', '/reset')

    def request_log(self):
        """The request log entries."""
        return self.control('GET', '/requests')['requests']

    def clear_request_log(self):
        """Empty the request log."""
        self.control('DELETE', '/requests')

    def set_behaviour(self, **values):
        """Merge behaviour switches."""
        return self.control('PUT', '/behaviour', values)

    def add_fault(self, **spec):
        """Add a fault rule (kind, method, path_regex, count, status, retry_after, seconds)."""
        return self.control('POST', '/faults', spec)

    def set_rate_limit(self, **settings):
        """Merge rate limit settings (enabled, per_minute, burst_per_second, retry_after)."""
        return self.control('PUT', '/rate_limit', settings)

    def database_url(self, project_id, branch_id=None, database_name=None):
        """Superuser URL of a branch database."""
        query = {'project_id': project_id}
        if branch_id:
            query['branch_id'] = branch_id
        if database_name:
            query['database_name'] = database_name
        return self.control('GET', '/database_url', query=query)['url']


_SHARED = {}


def shared_emulator(api_key='test-api-key', args=()):
    """One started emulator per (api_key, args) in this process, stopped when the process exits."""
    key = (api_key, tuple(args))
    if key not in _SHARED:
        emulator = EmulatorProcess(api_key=api_key, args=args)
        emulator.start()
        atexit.register(emulator.stop)
        _SHARED[key] = emulator
    return _SHARED[key]


def _decode(response):
    raw = response.read()
    if not raw:
        return None
    if 'json' in (response.headers.get('Content-Type') or ''):
        return json.loads(raw.decode('utf-8'))
    return raw.decode('utf-8', 'replace')
