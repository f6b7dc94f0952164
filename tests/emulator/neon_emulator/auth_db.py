# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``neon_auth`` schema in a branch database: DDL, users and the Better Auth ``project_config`` row.

Functions take a psycopg connection to the branch database (as given by
``Databases.connect``) and run in their own transaction.

* Stack Auth (legacy): ``neon_auth.users_sync`` with the DDL seen in real Neon
  dumps (generated columns from ``raw_json``; delete is a soft delete).
* Better Auth: ``neon_auth."user"`` (unique email, role column) and
  ``neon_auth.project_config``, where the Better Auth configuration endpoints
  keep their settings (one row per branch endpoint).
"""

from __future__ import annotations

import time

from neon_emulator.pg import psycopg, sql

try:
    from psycopg.types.json import Jsonb
except ImportError:  # pragma: no cover - pg.require_psycopg() reports it
    Jsonb = None

SCHEMA = 'neon_auth'

STACK_DDL = (
    'CREATE SCHEMA IF NOT EXISTS neon_auth',
    """CREATE TABLE IF NOT EXISTS neon_auth.users_sync (
    raw_json jsonb NOT NULL,
    id text GENERATED ALWAYS AS ((raw_json ->> 'id'::text)) STORED NOT NULL,
    name text GENERATED ALWAYS AS ((raw_json ->> 'display_name'::text)) STORED,
    email text GENERATED ALWAYS AS ((raw_json ->> 'primary_email'::text)) STORED,
    created_at timestamp with time zone GENERATED ALWAYS AS (
        to_timestamp((trunc((((raw_json ->> 'signed_up_at_millis'::text))::bigint)::double precision) / (1000)::double precision))) STORED,
    updated_at timestamp with time zone,
    deleted_at timestamp with time zone,
    CONSTRAINT users_sync_pkey PRIMARY KEY (id)
)""",
    'CREATE INDEX IF NOT EXISTS users_sync_deleted_at_idx ON neon_auth.users_sync (deleted_at)',
)

BETTER_AUTH_DDL = (
    'CREATE SCHEMA IF NOT EXISTS neon_auth',
    """CREATE TABLE IF NOT EXISTS neon_auth."user" (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    email text NOT NULL,
    "emailVerified" boolean NOT NULL,
    image text,
    "createdAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updatedAt" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    role text,
    banned boolean,
    "banReason" text,
    "banExpires" timestamp with time zone,
    CONSTRAINT user_pkey PRIMARY KEY (id),
    CONSTRAINT user_email_key UNIQUE (email)
)""",
    """CREATE TABLE IF NOT EXISTS neon_auth.project_config (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    endpoint_id text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    trusted_origins jsonb DEFAULT '[]'::jsonb NOT NULL,
    social_providers jsonb DEFAULT '[]'::jsonb NOT NULL,
    email_provider jsonb,
    email_and_password jsonb,
    allow_localhost boolean DEFAULT true NOT NULL,
    plugin_configs jsonb,
    webhook_config jsonb,
    CONSTRAINT project_config_pkey PRIMARY KEY (id),
    CONSTRAINT project_config_endpoint_id_key UNIQUE (endpoint_id)
)""",
)

# Values of a fresh Better Auth branch, from a real dump of neon_auth.project_config (reference section 6.2).
# The configuration endpoints own the meaning of these columns and may refine the defaults here.
PROJECT_CONFIG_DEFAULTS = {
    'trusted_origins': [],
    'social_providers': [{'id': 'google', 'isShared': True}],
    'email_provider': {'type': 'shared'},
    'email_and_password': {
        'enabled': True, 'disableSignUp': False, 'emailVerificationMethod': 'otp', 'requireEmailVerification': False,
        'autoSignInAfterVerification': True, 'sendVerificationEmailOnSignIn': False, 'sendVerificationEmailOnSignUp': False,
    },
    'allow_localhost': True,
    'plugin_configs': {'organization': {'config': {'creatorRole': 'owner', 'organizationLimit': 1,
                                                   'allowUserToCreateOrganization': True}, 'enabled': True}},
    'webhook_config': {'enabled': False, 'enabledEvents': [], 'timeoutSeconds': 5},
}
PROJECT_CONFIG_COLUMNS = tuple(PROJECT_CONFIG_DEFAULTS)


class DuplicateEmail(Exception):
    """A user with this email exists already."""


def create_schema(conn, auth_provider, owner, endpoint_id, app_name):
    """Provision ``neon_auth`` for ``auth_provider`` (idempotent: re-enabling keeps existing data)."""
    statements = BETTER_AUTH_DDL if auth_provider == 'better_auth' else STACK_DDL
    with conn.transaction():
        # Objects belong to the database owner, as on Neon, so its connection URI can use them.
        conn.execute(sql.SQL('SET LOCAL ROLE {}').format(sql.Identifier(owner)))
        for statement in statements:
            conn.execute(statement)
        if auth_provider == 'better_auth':
            _insert_default_config(conn, endpoint_id, app_name)


def drop_schema(conn):
    """``delete_data``: remove the schema and everything in it."""
    conn.execute('DROP SCHEMA IF EXISTS neon_auth CASCADE')


def rebind_project_config(conn, endpoint_id, app_name):
    """After a branch copy: the child's config row belongs to the child's endpoint."""
    with conn.transaction():
        if _table_exists(conn, 'project_config'):
            conn.execute('UPDATE neon_auth.project_config SET endpoint_id = %s', (endpoint_id,))
            _insert_default_config(conn, endpoint_id, app_name)


def read_project_config(conn, endpoint_id):
    """The config row of ``endpoint_id`` as a dict of PROJECT_CONFIG_COLUMNS (+ name), or None."""
    columns = ('name',) + PROJECT_CONFIG_COLUMNS
    query = sql.SQL('SELECT {} FROM neon_auth.project_config WHERE endpoint_id = %s').format(
        sql.SQL(', ').join(sql.Identifier(column) for column in columns))
    row = conn.execute(query, (endpoint_id,)).fetchone()
    return dict(zip(columns, row)) if row else None


def update_project_config(conn, endpoint_id, changes):
    """Write ``{column: value}`` (jsonb columns take Python lists/dicts) into the config row of ``endpoint_id``."""
    unknown = set(changes) - set(PROJECT_CONFIG_COLUMNS) - {'name'}
    if unknown:
        raise ValueError('unknown project_config columns: %s' % ', '.join(sorted(unknown)))
    assignments = [sql.SQL('{} = %s').format(sql.Identifier(column)) for column in changes]
    query = sql.SQL('UPDATE neon_auth.project_config SET {}, updated_at = now() WHERE endpoint_id = %s').format(
        sql.SQL(', ').join(assignments))
    values = [_adapt(value) for value in changes.values()] + [endpoint_id]
    with conn.transaction():
        conn.execute(query, values)


# -- Stack Auth users ---------------------------------------------------------------------------------------
def stack_email_taken(conn, email):
    """True when an active (not soft-deleted) Stack user has this email."""
    row = conn.execute('SELECT 1 FROM neon_auth.users_sync WHERE lower(email) = lower(%s) AND deleted_at IS NULL',
                       (email,)).fetchone()
    return row is not None


def stack_insert_user(conn, user_id, email, name, signed_up_at_millis=None, deleted=False):
    """The row Stack Auth's sync writes: ``raw_json`` plus timestamps; the other columns are generated."""
    raw = {
        'id': user_id,
        'display_name': name,
        'primary_email': email,
        'signed_up_at_millis': signed_up_at_millis or int(time.time() * 1000),
    }
    with conn.transaction():
        conn.execute('INSERT INTO neon_auth.users_sync (raw_json, updated_at, deleted_at) '
                     'VALUES (%s, now(), CASE WHEN %s THEN now() END) ON CONFLICT (id) DO NOTHING',
                     (Jsonb(raw), deleted))


def stack_soft_delete(conn, user_id):
    """Set ``deleted_at``; False when no active user has this id."""
    with conn.transaction():
        cursor = conn.execute('UPDATE neon_auth.users_sync SET deleted_at = now(), updated_at = now() '
                              'WHERE id = %s AND deleted_at IS NULL', (user_id,))
        return cursor.rowcount > 0


# -- Better Auth users --------------------------------------------------------------------------------------
def better_auth_insert_user(conn, email, name, user_id=None):
    """Insert into ``neon_auth."user"`` (role ``user``); return the id; raise DuplicateEmail.

    Better Auth keeps emails lower-case; a user without a name gets the empty string (the column is NOT NULL).
    """
    try:
        with conn.transaction():
            row = conn.execute('INSERT INTO neon_auth."user" (id, name, email, "emailVerified", role) '
                               "VALUES (COALESCE(%s::uuid, gen_random_uuid()), %s, %s, false, 'user') RETURNING id::text",
                               (user_id, name or '', email.lower())).fetchone()
    except psycopg.errors.UniqueViolation:
        raise DuplicateEmail(email) from None
    return row[0]


def better_auth_delete_user(conn, user_id):
    """Delete the row; False when there was none."""
    with conn.transaction():
        cursor = conn.execute('DELETE FROM neon_auth."user" WHERE id::text = %s', (user_id,))
        return cursor.rowcount > 0


def better_auth_set_roles(conn, user_id, roles):
    """``role`` = the roles joined by ","; False when the user does not exist."""
    with conn.transaction():
        cursor = conn.execute('UPDATE neon_auth."user" SET role = %s, "updatedAt" = now() WHERE id::text = %s',
                              (','.join(roles), user_id))
        return cursor.rowcount > 0


# -- helpers ------------------------------------------------------------------------------------------------
def _insert_default_config(conn, endpoint_id, app_name):
    columns = ('name', 'endpoint_id') + PROJECT_CONFIG_COLUMNS
    values = [app_name, endpoint_id] + [_adapt(PROJECT_CONFIG_DEFAULTS[column]) for column in PROJECT_CONFIG_COLUMNS]
    query = sql.SQL('INSERT INTO neon_auth.project_config ({}) VALUES ({}) ON CONFLICT (endpoint_id) DO NOTHING').format(
        sql.SQL(', ').join(sql.Identifier(column) for column in columns),
        sql.SQL(', ').join(sql.Placeholder() for dummy in columns))
    conn.execute(query, values)


def _table_exists(conn, table):
    return conn.execute('SELECT to_regclass(%s) IS NOT NULL', ('%s.%s' % (SCHEMA, table),)).fetchone()[0]


def _adapt(value):
    return Jsonb(value) if isinstance(value, (dict, list)) else value
