# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulated branch databases as real PostgreSQL databases.

* Every (project, branch, database) maps to a real database ``nemu_<hash>_<name>``
  (the hash keeps it unique and inside PostgreSQL's 63-byte limit).
* A real database is created the first time something needs it (connection
  URI, Neon Auth, a branch copy), then its initializer (seed content) runs:
  starting and resetting stay fast however large the seed is.
  ``CREATE DATABASE ... TEMPLATE parent`` copies a branch.
* Emulated roles are real login roles with the same name, one random password
  per role per emulator run.  Roles are cluster-wide, so all projects share
  them; the emulator never drops them.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time

from neon_emulator.pg import psycopg, random_password, sql
from neon_emulator.routing import ApiError

DATABASE_PREFIX = 'nemu_'
_COPY_WAIT_SECONDS = 3.0


def real_database_name(project_id, branch_id, database_name):
    """The real database of an emulated one: ``nemu_<12 hex>_<sanitised name, at most 40 chars>``."""
    digest = hashlib.sha256(('%s/%s/%s' % (project_id, branch_id, database_name)).encode('utf-8')).hexdigest()[:12]
    readable = re.sub(r'[^a-z0-9_]', '_', database_name.lower())[:40]
    return '%s%s_%s' % (DATABASE_PREFIX, digest, readable)


class Databases:
    """Creates, copies, drops and connects to the real databases behind branches."""

    def __init__(self, cluster):
        self.cluster = cluster
        self._materialized = set()
        self._initializers = {}
        self._passwords = {}
        self._server_version = None
        self._superuser = None

    # -- whole cluster ---------------------------------------------------------------------------------------
    def drop_all(self):
        """Drop every ``nemu_*`` database (also leftovers of an earlier run on the same server)."""
        with self._admin() as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'nemu\\_%'")]
            for name in names:
                conn.execute(sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)').format(sql.Identifier(name)))
        self._materialized.clear()
        self._initializers.clear()

    def set_initializer(self, branch, database_name, initializer):
        """Run ``initializer(conn)`` (superuser connection to the new database) right after it is created."""
        self._initializers[real_database_name(branch.project_id, branch.id, database_name)] = initializer

    # -- one branch database ---------------------------------------------------------------------------------
    def ensure(self, branch, database_name):
        """Create the real database of ``branch``/``database_name`` if needed; return its name."""
        real = real_database_name(branch.project_id, branch.id, database_name)
        if real in self._materialized:
            return real
        owner = branch.databases[database_name].owner_name
        with self._admin() as conn:
            self._ensure_roles(conn, branch)
            conn.execute(self._create_sql(real, owner, 'template1'))
        self._materialized.add(real)
        initializer = self._initializers.pop(real, None)
        if initializer is not None:
            with self.cluster.admin_connect(real) as conn:
                initializer(conn)
        return real

    def copy(self, parent, child, database_name):
        """Create the child's database as a copy of the parent's (when the parent's exists or has seed content)."""
        source = real_database_name(parent.project_id, parent.id, database_name)
        if source not in self._materialized and source not in self._initializers:
            return False
        self.ensure(parent, database_name)
        target = real_database_name(child.project_id, child.id, database_name)
        owner = child.databases[database_name].owner_name
        deadline = time.monotonic() + _COPY_WAIT_SECONDS
        with self._admin() as conn:
            self._ensure_roles(conn, child)
            while True:
                try:
                    conn.execute(self._create_sql(target, owner, source))
                    break
                except psycopg.errors.ObjectInUse:
                    # CREATE DATABASE ... TEMPLATE needs the source to have no other sessions.
                    if time.monotonic() > deadline:
                        raise ApiError(423, 'cannot branch: database %s of branch %s has open connections; close them and retry'
                                       % (database_name, parent.id)) from None
                    time.sleep(0.05)
        self._materialized.add(target)
        return True

    def drop(self, branch, database_name):
        """Drop the real database of one emulated database (if it exists)."""
        real = real_database_name(branch.project_id, branch.id, database_name)
        with self._admin() as conn:
            conn.execute(sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)').format(sql.Identifier(real)))
        self._materialized.discard(real)

    @contextlib.contextmanager
    def connect(self, branch, database_name):
        """A superuser connection (autocommit; use ``conn.transaction()``) to the branch database."""
        real = self.ensure(branch, database_name)
        with self.cluster.admin_connect(real) as conn:
            yield conn

    def role_uri(self, branch, database_name, role_name):
        """URI that logs in as the emulated role (real password) to the branch database."""
        real = self.ensure(branch, database_name)
        return self.cluster.role_uri(role_name, self._passwords[role_name], real)

    def admin_uri(self, branch, database_name):
        """Superuser URI of the branch database, for tests."""
        return self.cluster.admin_uri(self.ensure(branch, database_name))

    # -- helpers ---------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _admin(self):
        with self.cluster.admin_connect() as conn:
            if self._server_version is None:
                self._server_version = conn.info.server_version
                self._superuser = conn.execute('SELECT current_user').fetchone()[0]
            yield conn

    def _create_sql(self, name, owner, template):
        statement = 'CREATE DATABASE {} OWNER {} TEMPLATE {}'
        if self._server_version and self._server_version >= 150000:
            statement += ' STRATEGY FILE_COPY'  # ~10x faster than WAL_LOG for small databases
        return sql.SQL(statement).format(sql.Identifier(name), sql.Identifier(owner), sql.Identifier(template))

    def _ensure_roles(self, conn, branch):
        for role_name in branch.roles:
            if role_name in self._passwords:
                continue
            if role_name == self._superuser:
                raise ApiError(500, 'emulated role %s collides with the superuser of the PostgreSQL server' % role_name)
            exists = conn.execute('SELECT 1 FROM pg_roles WHERE rolname = %s', (role_name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL('CREATE ROLE {} LOGIN').format(sql.Identifier(role_name)))
            else:
                conn.execute(sql.SQL('ALTER ROLE {} LOGIN').format(sql.Identifier(role_name)))
            password = random_password()
            self.cluster.set_password(conn, role_name, password)
            self._passwords[role_name] = password
