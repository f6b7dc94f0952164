# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import ssl

import pytest

from ansible_collections.community.neon.plugins.module_utils import _users_db
from ansible_collections.community.neon.plugins.module_utils._users_db import (
    BETTER_AUTH_QUERY,
    STACK_QUERY,
    ExistingUsers,
    UsersDBError,
    pg8000_connect_args,
    read_users,
    sanitize,
    split_roles,
    sqlstate_of,
    url_problem,
    url_secrets,
)

PASSWORD = 'npg_S3cr%2Ft'
URL = 'postgresql://neondb_owner:%s@ep-cool-1.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require' % PASSWORD


def test_url_secrets_cover_the_url_and_both_forms_of_the_password():
    secrets = url_secrets(URL)
    assert URL in secrets and 'npg_S3cr%2Ft' in secrets and 'npg_S3cr/t' in secrets


def test_sanitize_removes_secrets_urls_and_password_settings():
    text = ('connection to %s failed: password authentication failed; dsn: host=x password=npg_S3cr/t user=u; '
            'see postgres://a:b@c/d' % URL)
    clean = sanitize(text, url_secrets(URL))
    assert 'npg_S3cr' not in clean and 'ep-cool-1' not in clean and 'a:b@c' not in clean
    assert 'password authentication failed' in clean and 'password=********' in clean


@pytest.mark.parametrize('url, problem', [
    (URL, None),
    ('postgres://u@h/db', None),
    ('postgresql:///db?host=/var/run/postgresql', None),
    ('mysql://u:p@h/db', 'must start with postgresql:// or postgres://'),
    ('postgresql:///db', 'has no host'),
    ('', 'must start with postgresql:// or postgres://'),
])
def test_url_problem(url, problem):
    assert url_problem(url) == problem


def test_pg8000_gets_keyword_arguments_and_libpq_sslmode():
    args = pg8000_connect_args(URL, 7)
    assert args['user'] == 'neondb_owner' and args['password'] == 'npg_S3cr/t'
    assert args['host'] == 'ep-cool-1.us-east-2.aws.neon.tech' and args['port'] == 5432 and args['database'] == 'neondb'
    assert args['timeout'] == 7
    # sslmode=require encrypts without checking the certificate, as libpq does.
    assert args['ssl_context'].verify_mode == ssl.CERT_NONE and args['ssl_context'].check_hostname is False
    full = pg8000_connect_args('postgresql://u:p@h:6543/db?sslmode=verify-full', 5)
    assert full['port'] == 6543 and full['ssl_context'].check_hostname is True
    assert 'ssl_context' not in pg8000_connect_args('postgresql://u@h/db', 5)
    socket = pg8000_connect_args('postgresql://u@/db?host=/tmp/pg&port=5433', 5)
    assert socket['unix_sock'] == '/tmp/pg/.s.PGSQL.5433' and 'host' not in socket


def test_split_roles():
    assert split_roles('admin, user,,') == ['admin', 'user']
    assert split_roles(None) == [] and split_roles('') == []


class Psycopg2Error(Exception):
    pgcode = '42P01'


def test_sqlstate_of_every_driver():
    psycopg_error = Exception('x')
    psycopg_error.sqlstate = '42P01'
    assert sqlstate_of(psycopg_error) == '42P01'
    assert sqlstate_of(Psycopg2Error('x')) == '42P01'
    assert sqlstate_of(Exception({'S': 'ERROR', 'C': '3F000', 'M': 'schema "neon_auth" does not exist'})) == '3F000'
    assert sqlstate_of(Exception('plain')) is None


def test_existing_users_compare_emails_trimmed_and_case_insensitively():
    users = ExistingUsers([dict(id='1', email=' Ann@Example.com', name='Ann', roles=[], deleted=False),
                           dict(id='0', email='ann@example.com', name='Ann', roles=[], deleted=True)])
    assert [r['id'] for r in users.active('ANN@example.COM ')] == ['1']
    assert [r['id'] for r in users.any_row('ann@example.com')] == ['1', '0']
    assert users.by_id('0')[0]['deleted'] is True


class FakeCursor(object):
    def __init__(self, connection):
        self.connection = connection

    def execute(self, query, params):
        self.connection.executed.append((query, params))
        if self.connection.error:
            raise self.connection.error

    def fetchall(self):
        return self.connection.rows


class FakeConnection(object):
    def __init__(self, rows=(), error=None):
        self.rows = list(rows)
        self.error = error
        self.executed = []
        self.closed = False

    def cursor(self):
        return FakeCursor(self)

    def close(self):
        self.closed = True


def test_read_users_sends_one_query_with_normalized_emails(monkeypatch):
    connection = FakeConnection(rows=[('u1', 'Ann@Example.com', 'Ann', 'admin,user', False)])
    monkeypatch.setattr(_users_db, 'connect', lambda driver, url, timeout: connection)
    users = read_users('psycopg', URL, 'better_auth', [' ANN@example.com', 'ann@example.com', 'b@example.com'], ['u9'])
    assert connection.executed == [(BETTER_AUTH_QUERY, (json.dumps(['ann@example.com', 'b@example.com']), json.dumps(['u9'])))]
    assert users.rows == [dict(id='u1', email='Ann@Example.com', name='Ann', roles=['admin', 'user'], deleted=False)]
    assert connection.closed is True


def test_read_users_stack_reads_soft_deleted_rows_too(monkeypatch):
    connection = FakeConnection(rows=[('s1', 'a@example.com', None, None, True)])
    monkeypatch.setattr(_users_db, 'connect', lambda driver, url, timeout: connection)
    users = read_users('pg8000', URL, 'stack', ['a@example.com'])
    assert connection.executed[0][0] == STACK_QUERY
    assert users.active('a@example.com') == [] and users.any_row('a@example.com')[0]['deleted'] is True


def test_missing_table_is_named(monkeypatch):
    error = Exception('relation "neon_auth.user" does not exist')
    error.sqlstate = '42P01'
    monkeypatch.setattr(_users_db, 'connect', lambda driver, url, timeout: FakeConnection(error=error))
    with pytest.raises(UsersDBError) as caught:
        read_users('psycopg', URL, 'better_auth', ['a@example.com'])
    assert caught.value.missing_table is True and 'neon_auth."user"' in caught.value.message


def test_connection_errors_never_carry_the_url_or_password(monkeypatch):
    def refuse(driver, url, timeout):
        raise RuntimeError('could not connect with %s (password npg_S3cr/t)' % url)
    monkeypatch.setattr(_users_db, 'connect', refuse)
    with pytest.raises(UsersDBError) as caught:
        read_users('psycopg2', URL, 'stack', ['a@example.com'])
    assert 'npg_S3cr' not in caught.value.message and 'ep-cool-1' not in caught.value.message
    assert caught.value.message.startswith('could not connect to the database (psycopg2)')


def test_no_driver_is_a_clear_error():
    with pytest.raises(UsersDBError) as caught:
        read_users(None, URL, 'stack', ['a@example.com'])
    assert 'psycopg, psycopg2 or pg8000' in caught.value.message
