# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""Reading Neon Auth users from the branch database (Neon has no API to list or get users).

Any one of three PostgreSQL drivers is used, whichever is installed: psycopg (3), psycopg2 or pg8000.
None of them is required; without a driver, callers fall back to what the API alone can tell.
The connection URL and its password are secrets: they never appear in an error text of this file.
"""

from __future__ import annotations

import importlib
import json
import re
import ssl
from urllib.parse import parse_qs, unquote, urlsplit

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError
from ansible_collections.community.neon.plugins.module_utils._auth import STACK
from ansible_collections.community.neon.plugins.module_utils._module import default_database_name, normalize_email

# The drivers are imported when first needed, and only up to the first that imports: a module that never reads the
# database (neon_auth_env_file) loads none, and neon_auth_user loads one, not all three (each takes 0.1-0.3 s).
# The collection must import (and pass sanity) with none of them installed.
DRIVER_IMPORTS = (('psycopg', 'psycopg'), ('psycopg2', 'psycopg2'), ('pg8000', 'pg8000.dbapi'))
_loaded_drivers = {}
DRIVER_NAMES = tuple(name for name, dummy in DRIVER_IMPORTS)
MISSING_DRIVER = 'a PostgreSQL driver for Python (psycopg, psycopg2 or pg8000)'
URL_SCHEMES = ('postgres', 'postgresql')

# SQLSTATEs meaning "the neon_auth table or schema is not in this database".
MISSING_TABLE_STATES = frozenset(['42P01', '3F000'])

# One query per read, whatever the number of users: the emails and ids travel as one JSON array each,
# which every driver passes the same way (a plain string) and which needs no IN-list building.
BETTER_AUTH_QUERY = (
    'SELECT id::text, email, name, role, false '
    'FROM neon_auth."user" '
    'WHERE lower(btrim(email)) IN (SELECT jsonb_array_elements_text(%s::jsonb)) '
    'OR id::text IN (SELECT jsonb_array_elements_text(%s::jsonb))'
)
# Stack keeps deleted users as rows with deleted_at set; they are read too, to tell "deleted" from "not synced yet".
STACK_QUERY = (
    'SELECT id, email, name, NULL, deleted_at IS NOT NULL '
    'FROM neon_auth.users_sync '
    'WHERE lower(btrim(email)) IN (SELECT jsonb_array_elements_text(%s::jsonb)) '
    'OR id IN (SELECT jsonb_array_elements_text(%s::jsonb))'
)

HIDDEN = '********'


class UsersDBError(Exception):
    """The users could not be read from the database. The message holds no URL and no password.

    missing_table: the database answered, but has no neon_auth users table.
    api_error: the NeonAPIError behind it, when the API was asked for the connection details.
    """

    def __init__(self, message, missing_table=False, api_error=None):
        super(UsersDBError, self).__init__(message)
        self.message = message
        self.missing_table = missing_table
        self.api_error = api_error


def load_driver(name):
    """The driver's DB-API module (pg8000.dbapi for pg8000), imported on first use; None when it does not import."""
    if name not in _loaded_drivers:
        try:
            _loaded_drivers[name] = importlib.import_module(dict(DRIVER_IMPORTS)[name])
        except ImportError:
            _loaded_drivers[name] = None
    return _loaded_drivers[name]


def find_driver():
    """The name of the first installed driver, or None."""
    for name in DRIVER_NAMES:
        if load_driver(name) is not None:
            return name
    return None


def url_problem(url):
    """Why a database URL is unusable, or None. The URL itself is never part of the answer."""
    try:
        parts = urlsplit(url or '')
    except ValueError:
        return 'is not a URL'
    if parts.scheme not in URL_SCHEMES:
        return 'must start with postgresql:// or postgres://'
    if not parts.hostname and 'host=' not in (parts.query or ''):
        return 'has no host'
    return None


def url_secrets(url):
    """Every form of the URL and its password that could leak into a message."""
    found = set()
    if url:
        found.add(url)
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            found.add(password)
            found.add(unquote(password))
        for value in parse_qs(urlsplit(url).query).get('password', []):
            found.add(value)
    return [s for s in found if s]


def sanitize(text, secrets=()):
    """A driver's error text without the given secrets, any connection URL or any password=... setting."""
    text = str(text or '')
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, HIDDEN)
    text = re.sub(r'postgres(?:ql)?://\S+', 'postgresql://' + HIDDEN, text)
    text = re.sub(r'(password\s*=\s*)(\'[^\']*\'|\S+)', r'\1' + HIDDEN, text, flags=re.IGNORECASE)
    return ' '.join(text.split())


def sqlstate_of(exc):
    """The SQLSTATE of a driver exception, whichever driver raised it, or None."""
    for attribute in ('sqlstate', 'pgcode'):
        value = getattr(exc, attribute, None)
        if value:
            return value
    # pg8000 puts the server's error fields in a dict as the first argument ('C' is the code).
    if exc.args and isinstance(exc.args[0], dict):
        return exc.args[0].get('C')
    return None


def pg8000_connect_args(url, timeout):
    """pg8000 takes no URL: split one into its keyword arguments (libpq's sslmode included)."""
    parts = urlsplit(url)
    query = dict((k, v[-1]) for k, v in parse_qs(parts.query).items())
    host = parts.hostname or query.get('host') or 'localhost'
    port = parts.port or int(query.get('port') or 5432)
    args = dict(
        user=unquote(parts.username or '') or query.get('user'),
        password=unquote(parts.password) if parts.password is not None else query.get('password'),
        database=unquote(parts.path.lstrip('/')) or query.get('dbname') or None,
        timeout=timeout,
        application_name='ansible-community.neon',
    )
    if host.startswith('/'):
        # A socket directory, as libpq understands host=/path.
        args['unix_sock'] = '%s/.s.PGSQL.%d' % (host.rstrip('/'), port)
    else:
        args.update(host=host, port=port)
    sslmode = query.get('sslmode', 'prefer')
    if sslmode in ('require', 'verify-ca', 'verify-full'):
        context = ssl.create_default_context()
        if sslmode != 'verify-full':
            context.check_hostname = False
        if sslmode == 'require':
            # libpq's "require" encrypts without checking the certificate.
            context.verify_mode = ssl.CERT_NONE
        args['ssl_context'] = context
    return args


def connect(driver, url, timeout):
    module = load_driver(driver) if driver in DRIVER_NAMES else None
    if module is None:
        raise ValueError('PostgreSQL driver %r is not installed' % driver)
    if driver == 'psycopg':
        return module.connect(url, connect_timeout=timeout, autocommit=True)
    if driver == 'psycopg2':
        connection = module.connect(url, connect_timeout=timeout)
        connection.autocommit = True
        return connection
    return module.connect(**pg8000_connect_args(url, timeout))


def split_roles(value):
    """Better Auth keeps a user's roles in one text column, comma-separated."""
    if value is None:
        return []
    return [role.strip() for role in str(value).split(',') if role.strip()]


class ExistingUsers(object):
    """The users rows found for a set of emails and ids."""

    def __init__(self, rows=()):
        self.rows = list(rows)

    def active(self, email):
        key = normalize_email(email)
        return [row for row in self.rows if not row['deleted'] and normalize_email(row['email']) == key]

    def any_row(self, email):
        key = normalize_email(email)
        return [row for row in self.rows if normalize_email(row['email']) == key]

    def by_id(self, user_id):
        return [row for row in self.rows if row['id'] == user_id]


def row_to_user(row):
    user_id, email, name, role, deleted = row
    return dict(id=str(user_id), email=email or '', name=name, roles=split_roles(role), deleted=bool(deleted))


def read_users(driver, url, provider, emails, ids=(), timeout=30):
    """The users rows of the given emails (compared trimmed and lower-cased) and ids, in one query.

    Raises UsersDBError with a sanitized message.
    """
    secrets = url_secrets(url)
    query = STACK_QUERY if provider == STACK else BETTER_AUTH_QUERY
    params = (json.dumps(sorted(set(normalize_email(e) for e in emails))), json.dumps(sorted(set(ids))))
    if driver not in DRIVER_NAMES:
        raise UsersDBError('no PostgreSQL driver: install %s' % MISSING_DRIVER)
    try:
        connection = connect(driver, url, timeout)
    # Each driver has its own error classes, so any exception is a driver failure here.
    except Exception as exc:  # pylint: disable=broad-except
        raise UsersDBError('could not connect to the database (%s): %s' % (driver, sanitize(exc, secrets)))
    try:
        cursor = connection.cursor()
        cursor.execute(query, params)
        rows = cursor.fetchall()
    except Exception as exc:  # pylint: disable=broad-except
        state = sqlstate_of(exc)
        if state in MISSING_TABLE_STATES:
            table = 'neon_auth.users_sync' if provider == STACK else 'neon_auth."user"'
            raise UsersDBError('the database has no %s table: Neon Auth keeps its users in another database '
                               '(set database_name), or it is not set up' % table, missing_table=True)
        raise UsersDBError('could not read the users (%s, SQLSTATE %s): %s'
                           % (driver, state or 'unknown', sanitize(exc, secrets)))
    finally:
        try:
            connection.close()
        # Closing is best effort: the users were read already.
        except Exception:  # pylint: disable=broad-except
            pass
    return ExistingUsers(row_to_user(row) for row in rows)


def connection_uri(neon, project_id, branch_id, database_name=None):
    """A connection URI for the branch database that holds neon_auth, asked from the API.

    The database is the given one, else the branch's default; the role is the database's owner.
    Returns (uri, database name). Raises UsersDBError (with .api_error) when the API cannot give one.
    """
    try:
        data = neon.client.get('/projects/%s/branches/%s/databases' % (project_id, branch_id)) or {}
    except NeonAPIError as exc:
        raise UsersDBError('could not list the databases of branch %s: %s' % (branch_id, exc), api_error=exc)
    databases = dict((db.get('name'), db) for db in data.get('databases') or [] if db.get('name'))
    name = database_name or default_database_name(list(databases))
    if name not in databases:
        raise UsersDBError('database %s does not exist on branch %s of project %s' % (
            name or '(none)', branch_id, project_id))
    query = dict(branch_id=branch_id, database_name=name)
    owner = databases[name].get('owner_name')
    if owner:
        query['role_name'] = owner
    try:
        answer = neon.client.get('/projects/%s/connection_uri' % project_id, query=query) or {}
    except NeonAPIError as exc:
        raise UsersDBError('Neon gave no connection URI for database %s: %s' % (name, exc), api_error=exc)
    uri = answer.get('uri')
    if not uri:
        raise UsersDBError('Neon answered without a connection URI for database %s' % name)
    neon.hide(*url_secrets(uri))
    return uri, name
