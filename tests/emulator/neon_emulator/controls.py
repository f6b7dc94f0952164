# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What tests switch and observe: request log, behaviour switches, faults, rate limiting.

All classes are thread-safe (each has its own lock); none holds secrets.
"""

from __future__ import annotations

import collections
import copy
import json
import math
import re
import threading
import time

from neon_emulator.routing import ApiError

WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))


class RequestLog:
    """Every /api/v2 request: ``{seq, method, path, query, status, write, route}`` (no bodies, no headers)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._seq = 0

    def start(self, method, path, query, is_api):
        """Record an arriving request; ``finish`` fills in status and route."""
        with self._lock:
            self._seq += 1
            entry = {
                'seq': self._seq,
                'method': method,
                'path': path,
                'query': dict(query),
                'status': None,
                'write': bool(is_api and method in WRITE_METHODS),
                'route': None,
            }
            self._entries.append(entry)
            return entry

    def finish(self, entry, status, route_name):
        """Set the final status (None when the connection was dropped) and the route name."""
        with self._lock:
            entry['status'] = status
            entry['route'] = route_name

    def snapshot(self):
        """A copy of all entries, oldest first."""
        with self._lock:
            return copy.deepcopy(self._entries)

    def clear(self):
        """Forget all entries (sequence numbers keep growing)."""
        with self._lock:
            del self._entries[:]


def _one_of(*allowed):
    def check(name, value):
        # 409 and True are different things: refuse bools where numbers are meant and vice versa.
        if isinstance(value, bool) != isinstance(allowed[0], bool) or value not in allowed:
            raise ApiError(400, 'behaviour %s must be one of: %s' % (name, ', '.join(json.dumps(item) for item in allowed)))
        return value
    return check


def _seconds(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
        raise ApiError(400, 'behaviour %s must be a number of seconds between 0 and 3600' % name)
    return value


class Behaviour:
    """Switchable answers for cases the Neon API does not document (see the contract)."""

    DEFAULTS = {
        'duplicate_email_status': 409,
        'repeated_delete_status': 404,
        'stack_sync_delay': 0,
        'keys_revoke_previous': False,
        'repeated_transfer': 'new_url',
    }
    CHECKS = {
        'duplicate_email_status': _one_of(400, 409, 422),
        'repeated_delete_status': _one_of(200, 204, 404),
        'stack_sync_delay': _seconds,
        'keys_revoke_previous': _one_of(True, False),
        'repeated_transfer': _one_of('new_url', 'error'),
    }

    @classmethod
    def register(cls, key, default, check):
        """Add a switch (for route modules with their own undocumented cases); ``check(name, value)`` returns
        the value or raises ApiError(400).  Registering the same key again keeps the first registration."""
        cls.DEFAULTS.setdefault(key, default)
        cls.CHECKS.setdefault(key, check)

    def __init__(self, overrides=None):
        self._lock = threading.Lock()
        self._initial = dict(self.DEFAULTS)
        self._initial.update(self.validate(overrides or {}))
        self._values = dict(self._initial)

    @classmethod
    def validate(cls, changes):
        """Return ``changes`` checked; raise ApiError(400) on unknown keys or bad values."""
        if not isinstance(changes, dict):
            raise ApiError(400, 'behaviour must be a JSON object')
        unknown = sorted(set(changes) - set(cls.DEFAULTS))
        if unknown:
            raise ApiError(400, 'unknown behaviour key(s): %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(cls.DEFAULTS))))
        return {key: cls.CHECKS[key](key, value) for key, value in changes.items()}

    @staticmethod
    def parse_assignments(assignments):
        """Turn CLI ``key=value`` strings into a dict; values are JSON when they parse, else strings."""
        result = {}
        for assignment in assignments or ():
            key, sep, raw = assignment.partition('=')
            if not sep or not key:
                raise ValueError('--behaviour expects key=value, got %r' % assignment)
            try:
                result[key.strip()] = json.loads(raw)
            except ValueError:
                result[key.strip()] = raw
        return result

    def update(self, changes):
        """Merge validated ``changes``; return all values."""
        checked = self.validate(changes)
        with self._lock:
            self._values.update(checked)
            return dict(self._values)

    def get(self, key):
        """Current value of one switch."""
        with self._lock:
            return self._values[key]

    def all(self):
        """All current values."""
        with self._lock:
            return dict(self._values)

    def reset(self):
        """Back to the start values (defaults plus --behaviour overrides)."""
        with self._lock:
            self._values = dict(self._initial)


FAULT_KINDS = ('status', 'html502', 'apply_then_503', 'drop', 'stall')
_DEFAULT_FAULT_MESSAGES = {
    423: 'project already has running conflicting operations, scheduling of new ones is prohibited',
    429: 'too many requests',
    500: 'internal server error',
    502: 'bad gateway',
    503: 'service unavailable',
    504: 'gateway timeout',
}


class FaultRule:
    """One injected fault: which requests it hits, how, and how many more times."""

    def __init__(self, rule_id, spec):
        self.rule_id = rule_id
        self.method = spec['method']
        self.path_regex = spec['path_regex']
        self.kind = spec['kind']
        self.remaining = spec['count']
        self.status = spec.get('status')
        self.retry_after = spec.get('retry_after')
        self.seconds = spec.get('seconds')
        self.message = spec.get('message')
        self.code = spec.get('code', '')
        self._compiled = re.compile(self.path_regex)

    def matches(self, method, path):
        """True when this rule applies to the request."""
        return (self.method in ('*', method)) and self._compiled.search(path) is not None

    def error_message(self):
        """Message of the GeneralError body of a ``status`` fault."""
        return self.message or _DEFAULT_FAULT_MESSAGES.get(self.status, 'injected fault')

    def describe(self):
        """JSON view of the rule."""
        result = {'id': self.rule_id, 'method': self.method, 'path_regex': self.path_regex, 'kind': self.kind,
                  'count': self.remaining}
        for key in ('status', 'retry_after', 'seconds', 'message'):
            if getattr(self, key) is not None:
                result[key] = getattr(self, key)
        if self.code:
            result['code'] = self.code
        return result


class Faults:
    """Injected faults, matched in the order they were added."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._next_id = 1

    @staticmethod
    def validate(spec):
        """Check a fault spec from ``POST /_emulator/faults``; return it normalised."""
        if not isinstance(spec, dict):
            raise ApiError(400, 'fault must be a JSON object')
        known = {'method', 'path_regex', 'kind', 'count', 'status', 'retry_after', 'seconds', 'message', 'code'}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ApiError(400, 'unknown fault key(s): %s' % ', '.join(unknown))
        kind = spec.get('kind')
        if kind not in FAULT_KINDS:
            raise ApiError(400, 'fault kind must be one of: %s' % ', '.join(FAULT_KINDS))
        result = {'kind': kind, 'method': str(spec.get('method') or '*').upper(), 'path_regex': spec.get('path_regex') or '.*'}
        if not isinstance(result['path_regex'], str):
            raise ApiError(400, 'path_regex must be a string')
        try:
            re.compile(result['path_regex'])
        except re.error as exc:
            raise ApiError(400, 'path_regex is not a valid regular expression: %s' % exc) from None
        result['count'] = _int_in(spec, 'count', 1, 1, 1000000)
        if kind == 'status':
            if 'status' not in spec:
                raise ApiError(400, 'fault kind status needs "status"')
            result['status'] = _int_in(spec, 'status', None, 400, 599)
        if 'retry_after' in spec:
            result['retry_after'] = _int_in(spec, 'retry_after', None, 0, 86400)
        if kind == 'stall':
            seconds = spec.get('seconds')
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 600:
                raise ApiError(400, 'fault kind stall needs "seconds" between 0 and 600')
            result['seconds'] = seconds
        for key in ('message', 'code'):
            if key in spec:
                if not isinstance(spec[key], str):
                    raise ApiError(400, '%s must be a string' % key)
                result[key] = spec[key]
        return result

    def add(self, spec):
        """Add a validated rule; return its JSON view."""
        checked = self.validate(spec)
        with self._lock:
            rule = FaultRule(self._next_id, checked)
            self._next_id += 1
            self._rules.append(rule)
            return rule.describe()

    def take(self, method, path):
        """Return the first rule matching the request and use up one of its hits, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def describe(self):
        """JSON view of the remaining rules."""
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def clear(self):
        """Remove all rules."""
        with self._lock:
            del self._rules[:]


def _int_in(spec, key, default, minimum, maximum):
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ApiError(400, '%s must be an integer between %d and %d' % (key, minimum, maximum))
    return value


class RateLimiter:
    """Neon's documented limits: N requests per minute per API key, M per second per route (burst).

    Off by default.  Rejected requests do not count.  Windows are sliding.
    """

    DEFAULTS = {'enabled': False, 'per_minute': 700, 'burst_per_second': 40, 'retry_after': True}

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._config = dict(self.DEFAULTS)
        self._per_key = collections.defaultdict(collections.deque)
        self._per_route = collections.defaultdict(collections.deque)

    def configure(self, changes):
        """Merge settings from ``PUT /_emulator/rate_limit``; return all settings."""
        if not isinstance(changes, dict):
            raise ApiError(400, 'rate_limit must be a JSON object')
        unknown = sorted(set(changes) - set(self.DEFAULTS))
        if unknown:
            raise ApiError(400, 'unknown rate_limit key(s): %s' % ', '.join(unknown))
        for key in ('enabled', 'retry_after'):
            if key in changes and not isinstance(changes[key], bool):
                raise ApiError(400, '%s must be true or false' % key)
        for key in ('per_minute', 'burst_per_second'):
            if key in changes:
                _int_in(changes, key, None, 1, 1000000)
        with self._lock:
            self._config.update(changes)
            self._per_key.clear()
            self._per_route.clear()
            return dict(self._config)

    def settings(self):
        """Current settings."""
        with self._lock:
            return dict(self._config)

    def reset(self):
        """Back to the defaults (disabled) and empty windows."""
        with self._lock:
            self._config = dict(self.DEFAULTS)
            self._per_key.clear()
            self._per_route.clear()

    def check(self, api_key, route_name):
        """Count the request; return None when allowed, else ``(seconds_to_wait, send_retry_after)``."""
        with self._lock:
            if not self._config['enabled']:
                return None
            now = self._clock()
            minute = self._window(self._per_key[api_key], now, 60.0)
            burst = self._window(self._per_route[(api_key, route_name)], now, 1.0)
            waits = []
            if len(minute) >= self._config['per_minute']:
                waits.append(minute[0] + 60.0 - now)
            if len(burst) >= self._config['burst_per_second']:
                waits.append(burst[0] + 1.0 - now)
            if waits:
                return max(1, int(math.ceil(max(waits)))), self._config['retry_after']
            minute.append(now)
            burst.append(now)
            return None

    @staticmethod
    def _window(stamps, now, width):
        while stamps and stamps[0] <= now - width:
            stamps.popleft()
        return stamps
