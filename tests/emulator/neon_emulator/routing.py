# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Routing: path patterns, route tables, responses and API errors.

Extension point
---------------
Every module of this package named ``routes_<topic>.py`` is loaded at start
(alphabetical order).  It must define a module-level ``routes`` attribute, a
:class:`RouteTable`, and register its handlers with the decorator::

    from neon_emulator.routing import RouteTable, json_response

    routes = RouteTable()            # API routes, under /api/v2

    @routes.route('GET', '/projects/{project_id}/branches/{branch_id}/auth/webhooks',
                  name='getNeonAuthWebhookConfig')
    def get_webhooks(ctx):
        branch, integration = auth_service.require_branch_auth(ctx)
        ...
        return json_response(200, {...})

A handler receives a :class:`neon_emulator.app.RequestContext` and returns a
:class:`Response` (helpers: :func:`json_response`, :func:`empty_response`) or
raises :class:`ApiError` (answered as a Neon ``GeneralError``).  Handlers of
API routes run under the emulator's state lock, one at a time, after the API
key check, fault injection and rate limiting.  ``name`` is the Neon
operationId; it appears as ``route`` in the request log.

Path parameters are written ``{name}``.  ``project_id`` and ``branch_id`` are
checked against Neon's pattern ``^[a-z0-9-]{1,60}$`` (400 when they do not
match); other parameters accept any non-empty segment, or the choices given in
``RouteTable.route(..., choices={'param': (...)})``.

``RouteTable(control=True)`` registers routes of the control API under
``/_emulator`` instead (no API key, not logged, no faults, no rate limit).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from urllib.parse import unquote

from neon_emulator import API_PREFIX, CONTROL_PREFIX

NEON_ID_PATTERN = re.compile(r'^[a-z0-9-]{1,60}$')
NEON_ID_PARAMS = frozenset(('project_id', 'branch_id'))
_PARAM_RE = re.compile(r'\{([a-z_]+)\}')


class ApiError(Exception):
    """An error answered as Neon's GeneralError ``{"code", "message", "request_id"}``."""

    def __init__(self, status, message, code='', headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


class Response:
    """What a handler answers: status, body bytes, content type and extra headers."""

    def __init__(self, status, body=b'', content_type=None, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})

    def json(self):
        """Return the decoded JSON body (None when empty); used by the control API and tests."""
        return json.loads(self.body) if self.body else None


def json_response(status, payload, headers=None):
    """Answer ``payload`` as JSON."""
    body = json.dumps(payload, separators=(',', ':'), sort_keys=False).encode('utf-8')
    return Response(status, body, 'application/json', headers)


def empty_response(status):
    """Answer without a body (200 "empty body", 201 without body, 204)."""
    return Response(status)


def error_response(status, message, request_id, code='', headers=None):
    """Answer a GeneralError."""
    return json_response(status, {'code': code, 'message': message, 'request_id': request_id}, headers)


class Route:
    """One method + path pattern bound to a handler."""

    def __init__(self, method, pattern, handler, name, control=False, choices=None):
        self.method = method.upper()
        self.pattern = pattern
        self.handler = handler
        self.name = name
        self.control = control
        self.choices = {key: frozenset(values) for key, values in (choices or {}).items()}
        self.param_names = _PARAM_RE.findall(pattern)
        unknown = set(self.choices) - set(self.param_names)
        if unknown:
            raise ValueError('choices for unknown path parameters %s in %s' % (sorted(unknown), pattern))
        regex = ''
        for part in re.split(r'(\{[a-z_]+\})', pattern):
            if part.startswith('{'):
                regex += '(?P<%s>[^/]+)' % part[1:-1]
            else:
                regex += re.escape(part)
        self.regex = re.compile('^%s$' % regex)

    def match(self, path):
        """Return the raw path parameters if ``path`` matches, else None."""
        found = self.regex.match(path)
        if found is None:
            return None
        return {key: unquote(value) for key, value in found.groupdict().items()}

    def check_params(self, params):
        """Validate path parameters; raise ApiError(400) naming the bad one."""
        for key, value in params.items():
            if key in NEON_ID_PARAMS and not NEON_ID_PATTERN.match(value):
                raise ApiError(400, '%s must match ^[a-z0-9-]{1,60}$' % key)
            if key in self.choices and value not in self.choices[key]:
                raise ApiError(400, '%s must be one of: %s' % (key, ', '.join(sorted(self.choices[key]))))
            if not value:
                raise ApiError(400, '%s must not be empty' % key)


class RouteTable:
    """The routes one ``routes_*.py`` module contributes (see the module docstring)."""

    def __init__(self, control=False):
        self.control = control
        self.prefix = CONTROL_PREFIX if control else API_PREFIX
        self.routes = []

    def route(self, method, pattern, name, choices=None):
        """Decorator registering ``handler(ctx) -> Response`` for ``method`` ``prefix + pattern``."""
        def decorator(handler):
            self.routes.append(Route(method, self.prefix + pattern, handler, name, self.control, choices))
            return handler
        return decorator


class Router:
    """All routes of the emulator; finds the route for a request."""

    def __init__(self, tables=()):
        self.routes = []
        for table in tables:
            self.add_table(table)

    def add_table(self, table):
        """Add the routes of a RouteTable; the same method + pattern twice is a programming error."""
        known = {(route.method, route.pattern) for route in self.routes}
        for route in table.routes:
            if (route.method, route.pattern) in known:
                raise ValueError('route %s %s registered twice' % (route.method, route.pattern))
            known.add((route.method, route.pattern))
            self.routes.append(route)

    def resolve(self, method, path):
        """Return ``(route, params)``; raise ApiError 404 (no such path) or 405 (other methods only).

        When several patterns match, the one with the fewest parameters wins, so
        literal paths such as ``/projects/auth/keys`` beat ``/projects/{project_id}/...``.
        """
        candidates = []
        for route in self.routes:
            params = route.match(path)
            if params is not None:
                candidates.append((len(route.param_names), route, params))
        if not candidates:
            raise ApiError(404, 'not found: %s' % path)
        candidates.sort(key=lambda item: item[0])
        for dummy, route, params in candidates:
            if route.method == method:
                route.check_params(params)
                return route, params
        allowed = sorted({route.method for dummy, route, dummy_params in candidates})
        raise ApiError(405, 'method %s is not allowed here (allowed: %s)' % (method, ', '.join(allowed)),
                       headers={'Allow': ', '.join(allowed)})


def discover_route_tables(package='neon_emulator'):
    """Import every ``<package>.routes_*`` module and return their ``routes`` tables (sorted by module name)."""
    pkg = importlib.import_module(package)
    tables = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda item: item.name):
        if not info.name.startswith('routes_'):
            continue
        module = importlib.import_module('%s.%s' % (package, info.name))
        table = getattr(module, 'routes', None)
        if not isinstance(table, RouteTable):
            raise TypeError('%s.%s must define routes = RouteTable(...)' % (package, info.name))
        tables.append(table)
    return tables
