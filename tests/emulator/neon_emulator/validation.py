# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation of request bodies and query parameters (400 GeneralError on violation).

Messages name the offending field and the rule, never the value (values may be secrets).

Example::

    body = validate_body(ctx.json_body(), {
        'auth_provider': Field('string', required=True, enum=AUTH_PROVIDERS),
        'database_name': Field('string', min_length=1, max_length=63),
    })
"""

from __future__ import annotations

import re

from neon_emulator.routing import ApiError, NEON_ID_PATTERN

EMAIL_PATTERN = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
URI_PATTERN = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s]+$')
UUID_PATTERN = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
_TYPES = {
    'string': (str,),
    'boolean': (bool,),
    'integer': (int,),
    'number': (int, float),
    'array': (list,),
    'object': (dict,),
}


class Field:
    """Rules for one JSON value.

    ``fmt`` is one of ``email``, ``uri``, ``neon_id`` (``^[a-z0-9-]{1,60}$``).
    ``items`` is the Field every array element must satisfy.
    """

    def __init__(self, kind, required=False, enum=None, min_length=None, max_length=None, fmt=None,
                 minimum=None, maximum=None, items=None, min_items=None, max_items=None):
        if kind not in _TYPES:
            raise ValueError('unknown field kind %s' % kind)
        self.kind = kind
        self.required = required
        self.enum = tuple(enum) if enum is not None else None
        self.min_length = min_length
        self.max_length = max_length
        self.fmt = fmt
        self.minimum = minimum
        self.maximum = maximum
        self.items = items
        self.min_items = min_items
        self.max_items = max_items

    def check(self, name, value):
        """Raise ApiError(400) when ``value`` breaks a rule."""
        # bool is an int in Python; JSON true is not an integer.
        if not isinstance(value, _TYPES[self.kind]) or (self.kind in ('integer', 'number') and isinstance(value, bool)):
            raise ApiError(400, '%s must be of type %s' % (name, self.kind))
        if self.enum is not None and value not in self.enum:
            raise ApiError(400, '%s must be one of: %s' % (name, ', '.join(str(item) for item in self.enum)))
        if self.kind == 'string':
            self._check_string(name, value)
        if self.kind in ('integer', 'number'):
            if self.minimum is not None and value < self.minimum:
                raise ApiError(400, '%s must be >= %s' % (name, self.minimum))
            if self.maximum is not None and value > self.maximum:
                raise ApiError(400, '%s must be <= %s' % (name, self.maximum))
        if self.kind == 'array':
            if self.min_items is not None and len(value) < self.min_items:
                raise ApiError(400, '%s must have at least %d item(s)' % (name, self.min_items))
            if self.max_items is not None and len(value) > self.max_items:
                raise ApiError(400, '%s must have at most %d item(s)' % (name, self.max_items))
            if self.items is not None:
                for index, item in enumerate(value):
                    self.items.check('%s[%d]' % (name, index), item)

    def _check_string(self, name, value):
        if self.min_length is not None and len(value) < self.min_length:
            raise ApiError(400, '%s must be at least %d character(s) long' % (name, self.min_length))
        if self.max_length is not None and len(value) > self.max_length:
            raise ApiError(400, '%s must be at most %d characters long' % (name, self.max_length))
        if self.fmt == 'email' and not EMAIL_PATTERN.match(value):
            raise ApiError(400, '%s must be an email address' % name)
        if self.fmt == 'uri' and not URI_PATTERN.match(value):
            raise ApiError(400, '%s must be a URI' % name)
        if self.fmt == 'neon_id' and not NEON_ID_PATTERN.match(value):
            raise ApiError(400, '%s must match ^[a-z0-9-]{1,60}$' % name)


def validate_body(body, fields, prefix=''):
    """Check ``body`` (a dict) against ``{name: Field}``; return a dict of the known fields present.

    Unknown fields are ignored, as the Neon API does with additional properties.
    """
    if not isinstance(body, dict):
        raise ApiError(400, '%s must be a JSON object' % (prefix.rstrip('.') or 'request body'))
    result = {}
    for name, field in fields.items():
        if name not in body or body[name] is None:
            if field.required:
                raise ApiError(400, '%s%s is required' % (prefix, name))
            continue
        field.check(prefix + name, body[name])
        result[name] = body[name]
    return result


def query_int(query, name, default=None, minimum=None, maximum=None):
    """An integer query parameter within [minimum, maximum], or ``default`` when absent."""
    raw = query.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise ApiError(400, 'query parameter %s must be an integer' % name) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ApiError(400, 'query parameter %s must be between %s and %s' % (name, minimum, maximum))
    return value


def query_choice(query, name, choices, default):
    """A query parameter restricted to ``choices``."""
    raw = query.get(name)
    if raw is None or raw == '':
        return default
    if raw not in choices:
        raise ApiError(400, 'query parameter %s must be one of: %s' % (name, ', '.join(choices)))
    return raw


def query_bool(query, name, default=False):
    """A boolean query parameter (``true``/``false``)."""
    raw = query.get(name)
    if raw is None or raw == '':
        return default
    if raw.lower() in ('true', '1'):
        return True
    if raw.lower() in ('false', '0'):
        return False
    raise ApiError(400, 'query parameter %s must be true or false' % name)
