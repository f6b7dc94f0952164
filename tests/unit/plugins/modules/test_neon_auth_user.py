# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.community.neon.plugins.module_utils import _module
from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError, NeonClient
from ansible_collections.community.neon.plugins.module_utils._users_db import ExistingUsers, UsersDBError
from ansible_collections.community.neon.plugins.modules import neon_auth_user
from ansible_collections.community.neon.plugins.modules.neon_auth_user import is_duplicate_email_error, plan_user, wanted_users

from .conftest import FakeResponse

PROJECT = 'demo-project-123456'
MAIN = 'br-main-123456'
BRANCHES = (200, {'branches': [{'id': 'br-dev-123456', 'default': False}, {'id': MAIN, 'default': True}]})
AUTH_PATH = '/projects/%s/branches/%s/auth' % (PROJECT, MAIN)
USERS_PATH = AUTH_PATH + '/users'
STACK_USERS_PATH = '/projects/%s/auth/users' % PROJECT
BETTER = {'auth_provider': 'better_auth', 'branch_id': MAIN, 'db_name': 'neondb'}
STACK_INTEGRATION = {'auth_provider': 'stack', 'branch_id': MAIN, 'db_name': 'neondb'}
DB_PASSWORD = 'pg-Secret-Pa55'
DB_URL = 'postgresql://neondb_owner:%s@ep-example.neon.test/neondb?sslmode=require' % DB_PASSWORD
DUPLICATE_MESSAGES = {400: 'User with this email already exists', 409: 'conflict: email is already taken',
                      422: 'duplicate key value violates unique constraint "user_email_key"'}


class FakeUsers(object):
    """Neon Auth users behind the fake API and the fake database: creates, deletes and role changes are stateful."""

    def __init__(self, provider='better_auth', duplicate_status=409, repeated_delete_status=404):
        self.provider = provider
        self.rows = []
        self.duplicate_status = duplicate_status
        self.repeated_delete_status = repeated_delete_status
        self.reads = []
        self.unsynced = False       # Stack: new users are not in users_sync yet
        self.fail_next = []         # answers (status, body) or exceptions used before the real handling
        self.apply_then_fail = []   # perform the write, then answer this instead

    def add(self, email, name=None, roles=None, deleted=False):
        row = dict(id=str(uuid.uuid4()), email=email, name=name, roles=list(roles or []), deleted=deleted)
        self.rows.append(row)
        return row

    def active(self):
        return [r for r in self.rows if not r['deleted']]

    # -- the database side (read_users) --------------------------------------------------------

    def read_users(self, driver, url, provider, emails, ids=(), timeout=30):
        self.reads.append(dict(driver=driver, url=url, emails=list(emails), ids=list(ids)))
        keys = set(e.strip().lower() for e in emails)
        visible = [r for r in self.rows if not r.get('unsynced')]
        return ExistingUsers(dict(r) for r in visible if r['email'].strip().lower() in keys or r['id'] in ids)

    # -- the API side ----------------------------------------------------------------------------

    def handle(self, method, path, body):
        if self.fail_next:
            answer = self.fail_next.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return FakeResponse(*answer)
        result = self._apply(method, path, body)
        if self.apply_then_fail:
            answer = self.apply_then_fail.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return FakeResponse(*answer)
        return result

    def _apply(self, method, path, body):
        if method == 'POST':
            email = body['email'].strip().lower()
            if [r for r in self.active() if r['email'].strip().lower() == email]:
                return FakeResponse(self.duplicate_status, {'code': '', 'message': DUPLICATE_MESSAGES[self.duplicate_status]})
            row = self.add(body['email'], body.get('name'), ['user'] if self.provider == 'better_auth' else [])
            row['unsynced'] = self.unsynced
            return FakeResponse(201, {'id': row['id']})
        user_id = path.split('/users/')[1].split('/')[0]
        found = [r for r in self.active() if r['id'] == user_id]
        if method == 'DELETE':
            if not found:
                status = self.repeated_delete_status
                bodies = {200: {}, 204: None, 404: {'code': '', 'message': 'user not found'}}
                return FakeResponse(status, bodies[status])
            if self.provider == 'stack':
                found[0]['deleted'] = True
            else:
                self.rows.remove(found[0])
            return FakeResponse(204)
        if method == 'PUT':
            if not found:
                return FakeResponse(404, {'code': '', 'message': 'user not found'})
            found[0]['roles'] = list(body['roles'])
            return FakeResponse(200, {'id': user_id})
        return FakeResponse(405, {'code': '', 'message': 'method not allowed'})


@pytest.fixture(autouse=True)
def fresh_warnings():
    """ansible-core keeps warnings in a process-wide store; each in-process run must start without old ones."""
    ansible_warnings._global_warnings.clear()
    yield
    ansible_warnings._global_warnings.clear()


@pytest.fixture
def users(neon, monkeypatch):
    """Fake users wired into the fake API (user routes) and the database reader, with a driver installed."""
    fake = FakeUsers()
    routed = neon.request
    user_route = re.compile(r'^/projects/(auth/user|[^/]+/(branches/[^/]+/)?auth/users(/.*)?)$')

    def request(method, url, **kwargs):
        path = url.split('/api/v2', 1)[1]
        if method != 'GET' and user_route.match(path):
            body = json.loads(kwargs['data']) if kwargs.get('data') else None
            neon.calls.append((method, path, body))
            return fake.handle(method, path, body)
        return routed(method, url, **kwargs)

    neon.request = request
    monkeypatch.setattr(neon_auth_user, 'read_users', fake.read_users)
    monkeypatch.setattr(neon_auth_user, 'find_driver', lambda: 'psycopg')
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, (200, BETTER))
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': [STACK_INTEGRATION]}))
    neon.on('GET', '/projects/%s/branches/%s/databases' % (PROJECT, MAIN),
            (200, {'databases': [{'name': 'neondb', 'owner_name': 'neondb_owner'}]}))
    neon.on('GET', '/projects/%s/connection_uri' % PROJECT, (200, {'uri': DB_URL}))
    return fake


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault('project_id', PROJECT)
    return run_module(neon_auth_user.main, args, check_mode=check_mode, diff=diff)


def warnings_of(result):
    """The warnings as one text (ansible-core 2.19+ returns them as structured events)."""
    return json.dumps(result.get('warnings') or [])


def posts(neon):
    return [c for c in neon.writes() if c[0] == 'POST']


# -- input checks: nothing is sent ------------------------------------------------------------------

@pytest.mark.parametrize('args, message', [
    (dict(email='not-an-email'), 'the email is not a valid email address'),
    (dict(email='a@example.com', name='n' * 256), 'the name is longer than 255 characters (256 given)'),
    (dict(email='a@example.com', name='   '), 'the name is empty'),
    (dict(email='a@example.com', auth_provider='stack', roles=['admin']), 'roles are a Better Auth feature'),
    (dict(email='a@example.com', roles=[]), 'roles needs at least one role'),
    (dict(email='a@example.com', roles=['a,b']), 'may be neither empty nor contain a comma'),
    (dict(email='a@example.com', state='absent', id='../../projects'), 'is not a Neon Auth user id'),
    (dict(email='a@example.com', state='absent', existence_check='api'), "needs the user's id"),
    (dict(email='a@example.com', database_url='mysql://user:Secret99@db.example.test/db'), 'database_url must start with postgresql://'),
    (dict(users=[{'email': 'A@example.com', 'name': 'A'}, {'email': ' a@EXAMPLE.com', 'name': 'B'}]),
     'users[0] and users[1] are the same email (a@example.com) but differ in name'),
    (dict(users=[{'email': 'a@example.com'}, {'email': 'a@example.com', 'state': 'absent', 'id': 'x1'}]),
     'differ in state, id'),
])
def test_bad_input_fails_before_any_request(neon, users, run_module, args, message):
    result = run(run_module, **args)
    assert result['failed'] is True
    assert message in result['msg']
    assert neon.calls == []


def test_unknown_provider_and_email_with_users_are_refused_by_the_argument_spec(neon, users, run_module):
    result = run(run_module, email='a@example.com', auth_provider='mock')
    assert result['failed'] is True and 'auth_provider' in result['msg']
    result = run(run_module, email='a@example.com', users=[{'email': 'b@example.com'}])
    assert result['failed'] is True and 'mutually exclusive' in result['msg']
    assert neon.calls == []


def test_database_mode_without_a_driver_fails_before_any_request(neon, users, run_module, monkeypatch):
    monkeypatch.setattr(neon_auth_user, 'find_driver', lambda: None)
    result = run(run_module, email='a@example.com', existence_check='database')
    assert result['failed'] is True and 'psycopg, psycopg2 or pg8000' in result['msg']
    assert neon.calls == []


def test_neon_auth_not_set_up_fails_before_any_write(neon, users, run_module):
    neon.routes = [r for r in neon.routes if r[1].pattern != '^%s$' % AUTH_PATH]
    neon.on('GET', AUTH_PATH, (404, {'code': '', 'message': 'not found'}))
    neon.on('GET', '/projects/%s/branches/%s' % (PROJECT, MAIN), (200, {'branch': {'id': MAIN, 'default': True}}))
    result = run(run_module, users=[{'email': 'a@example.com'}, {'email': 'b@example.com'}])
    assert result['failed'] is True
    assert 'run community.neon.neon_auth_integration first' in result['msg']
    assert neon.writes() == [] and users.reads == []


# -- decision logic (pure) ----------------------------------------------------------------------

def params(**kwargs):
    base = dict(auth_provider='better_auth', users=None, email=None, name=None, roles=None, id=None, state='present')
    base.update(kwargs)
    return base


def test_wanted_users_reports_identical_duplicates_once():
    entries, problems = wanted_users(params(users=[
        {'email': 'Bob@Example.com', 'name': 'Bob'}, {'email': 'bob@example.com ', 'name': 'Bob'}, {'email': 'c@example.com'}]))
    assert problems == []
    assert [e['duplicate_of'] for e in entries] == [None, 0, None]
    assert entries[1]['key'] == 'bob@example.com' and entries[1]['email'] == 'bob@example.com'


def test_plan_matches_mixed_case_emails_in_the_database():
    existing = ExistingUsers([dict(id='u1', email='Alice@Example.COM', name='Alice', roles=['user'], deleted=False)])
    entry = wanted_users(params(email='  alice@example.com'))[0][0]
    assert plan_user(entry, existing, 'better_auth', 'database')['action'] == 'present'
    entry = wanted_users(params(email='ALICE@example.com', state='absent'))[0][0]
    step = plan_user(entry, existing, 'better_auth', 'database')
    assert step['op'] == 'delete' and step['ids'] == ['u1']


def test_plan_roles_compare_as_a_set_and_name_differences_only_warn():
    existing = ExistingUsers([dict(id='u1', email='a@example.com', name='Old', roles=['user', 'admin'], deleted=False)])
    entry = wanted_users(params(email='a@example.com', name='New', roles=['admin', 'user']))[0][0]
    step = plan_user(entry, existing, 'better_auth', 'database')
    assert step['op'] is None and step['action'] == 'present' and step['name_differs'] is True
    entry = wanted_users(params(email='a@example.com', roles=['admin']))[0][0]
    assert plan_user(entry, existing, 'better_auth', 'database')['op'] == 'set_roles'


def test_plan_never_deletes_another_users_id():
    existing = ExistingUsers([dict(id='u1', email='a@example.com', name=None, roles=[], deleted=False),
                              dict(id='u2', email='b@example.com', name=None, roles=[], deleted=False)])
    entry = wanted_users(params(email='a@example.com', state='absent', id='u2'))[0][0]
    assert 'is not the id of a@example.com' in plan_user(entry, existing, 'better_auth', 'database')['problem']
    entry = wanted_users(params(email='c@example.com', state='absent', id='u2'))[0][0]
    assert 'belongs to another user' in plan_user(entry, existing, 'better_auth', 'database')['problem']


def test_plan_stack_soft_deleted_row_is_absent_but_an_unsynced_id_is_deleted_by_neons_answer():
    existing = ExistingUsers([dict(id='s1', email='a@example.com', name=None, roles=[], deleted=True)])
    entry = wanted_users(params(auth_provider='stack', email='a@example.com', state='absent', id='s1'))[0][0]
    assert plan_user(entry, existing, 'stack', 'database')['op'] is None
    entry = wanted_users(params(auth_provider='stack', email='new@example.com', state='absent', id='s9'))[0][0]
    step = plan_user(entry, ExistingUsers(), 'stack', 'database')
    assert step['op'] == 'delete' and step['ids'] == ['s9']


@pytest.mark.parametrize('status, message, expected', [
    (400, 'User already exists', True),
    (409, 'A user with this email exists', True),
    (422, 'duplicate key value violates unique constraint "user_email_key"', True),
    (409, 'Conflict', False),
    (400, 'email must be a valid email address', False),
    (400, 'branch does not exist', False),
    (404, 'user already exists', False),
    (500, 'already exists', False),
])
def test_duplicate_email_answer_needs_a_plausible_status_and_a_message_saying_so(status, message, expected):
    assert is_duplicate_email_error(NeonAPIError(message, status=status)) is expected


def test_duplicate_email_code_counts_too():
    assert is_duplicate_email_error(NeonAPIError('', status=400, code='USER_ALREADY_EXISTS')) is True


# -- the database path ------------------------------------------------------------------------

def test_create_then_rerun_is_unchanged(neon, users, run_module):
    result = run(run_module, email='Alice@Example.com', name='Alice', diff=True)
    assert result['changed'] is True and result['existence_source'] == 'database'
    assert result['user']['action'] == 'created' and result['user']['id'] == users.rows[0]['id']
    assert posts(neon) == [('POST', USERS_PATH, {'email': 'Alice@Example.com', 'name': 'Alice'})]
    assert result['diff'] == {'before': {'users': []},
                              'after': {'users': [{'email': 'Alice@Example.com', 'name': 'Alice', 'roles': []}]}}
    assert DB_PASSWORD not in result['_raw'] and 'ep-example.neon.test' not in result['_raw']
    neon.calls[:] = []
    result = run(run_module, email=' alice@example.com ', name='Alice')
    assert result['changed'] is False and result['user']['action'] == 'present'
    assert neon.writes() == []
    assert len(users.active()) == 1


def test_connection_uri_is_asked_as_the_database_owner_and_never_shown(neon, users, run_module):
    result = run(run_module, email='a@example.com')
    gets = [c for c in neon.calls if c[0] == 'GET']
    assert ('GET', '/projects/%s/connection_uri' % PROJECT, None) in gets
    assert users.reads[0]['url'] == DB_URL
    assert result['database_name'] == 'neondb'
    assert DB_PASSWORD not in result['_raw'] and DB_URL not in result['_raw']


def test_given_database_url_is_used_and_hidden(neon, users, run_module):
    url = 'postgresql://owner:%s@db.example.test/neondb' % 'given-Pa55word'
    result = run(run_module, email='a@example.com', database_url=url, existence_check='database')
    assert users.reads[0]['url'] == url
    assert not [c for c in neon.calls if 'connection_uri' in c[1]]
    assert 'given-Pa55word' not in result['_raw'] and 'db.example.test' not in result['_raw']


def test_bulk_one_query_duplicates_reported_and_sent_once(neon, users, run_module):
    users.add('Carol@Example.com', 'Carol')
    users.add('gone@example.com', 'Gone')
    result = run(run_module, users=[
        {'email': 'dave@example.com', 'name': 'Dave'},
        {'email': 'DAVE@example.com ', 'name': 'Dave'},
        {'email': 'carol@example.com', 'name': 'Carol'},
        {'email': 'gone@example.com', 'state': 'absent'},
        {'email': 'never@example.com', 'state': 'absent'},
    ])
    assert result['changed'] is True
    assert [u['action'] for u in result['users']] == ['created', 'duplicate', 'present', 'deleted', 'absent']
    assert result['users'][1]['duplicate_of'] == 0 and result['users'][1]['id'] == result['users'][0]['id']
    assert result['summary'] == {'created': 1, 'duplicate': 1, 'present': 1, 'deleted': 1, 'absent': 1}
    assert len(users.reads) == 1
    assert len(posts(neon)) == 1 and len([c for c in neon.writes() if c[0] == 'DELETE']) == 1
    assert 'user' not in result


def test_check_mode_writes_nothing_and_predicts(neon, users, run_module):
    users.add('old@example.com', 'Old', ['user'])
    result = run(run_module, check_mode=True, diff=True, users=[
        {'email': 'new@example.com', 'name': 'New', 'roles': ['admin']},
        {'email': 'old@example.com', 'state': 'absent'}])
    assert result['changed'] is True
    assert [u['action'] for u in result['users']] == ['created', 'deleted']
    assert neon.writes() == []
    assert result['diff']['before'] == {'users': [{'email': 'old@example.com', 'name': 'Old', 'roles': ['user']}]}
    assert result['diff']['after'] == {'users': [{'email': 'new@example.com', 'name': 'New', 'roles': ['admin']}]}
    result = run(run_module, check_mode=True, email='old@example.com')
    assert result['changed'] is False


def test_roles_are_set_after_create_and_replaced_when_they_differ(neon, users, run_module):
    result = run(run_module, email='a@example.com', roles=['admin'])
    assert result['user']['action'] == 'created'
    user_id = users.rows[0]['id']
    assert neon.writes()[-1] == ('PUT', '%s/%s/role' % (USERS_PATH, user_id), {'roles': ['admin']})
    neon.calls[:] = []
    assert run(run_module, email='a@example.com', roles=['admin'])['changed'] is False
    result = run(run_module, email='a@example.com', roles=['admin', 'billing'])
    assert result['user']['action'] == 'updated' and users.rows[0]['roles'] == ['admin', 'billing']
    assert [c[0] for c in neon.writes()] == ['PUT']


def test_name_difference_is_a_warning_not_a_change(neon, users, run_module):
    users.add('a@example.com', 'Old Name')
    result = run(run_module, email='a@example.com', name='New Name')
    assert result['changed'] is False
    assert 'cannot rename' in warnings_of(result)


@pytest.mark.parametrize('status', [200, 204, 404])
def test_user_already_gone_is_unchanged_whatever_a_repeated_delete_answers(neon, users, run_module, status):
    users.repeated_delete_status = status
    row = users.add('a@example.com', 'A')
    assert run(run_module, email='a@example.com', state='absent')['changed'] is True
    neon.calls[:] = []
    result = run(run_module, email='a@example.com', state='absent', id=row['id'])
    assert result['changed'] is False and result['user']['action'] == 'absent'
    assert neon.writes() == []


def test_user_deleted_between_read_and_delete_is_unchanged(neon, users, run_module):
    row = users.add('a@example.com', 'A')
    users.fail_next.append((404, {'code': '', 'message': 'user not found'}))
    result = run(run_module, email='a@example.com', state='absent')
    assert result['changed'] is False and result['user']['action'] == 'absent'
    assert neon.writes() == [('DELETE', '%s/%s' % (USERS_PATH, row['id']), None)]


@pytest.mark.parametrize('status', [400, 409, 422])
def test_duplicate_answer_when_the_row_is_not_visible_yet_means_present(neon, users, run_module, status):
    """Stack syncs users_sync asynchronously: right after a create the re-run does not see the row."""
    users.provider = 'stack'
    users.duplicate_status = status
    users.unsynced = True
    assert run(run_module, email='s@example.com', name='S', auth_provider='stack', sync_timeout=0)['changed'] is True
    result = run(run_module, email='s@example.com', name='S', auth_provider='stack', sync_timeout=0)
    assert result['changed'] is False and result['user']['action'] == 'present'
    assert 'already exists (HTTP %d)' % status in result['user']['reason']
    assert len(users.rows) == 1
    body = {'email': 's@example.com', 'name': 'S', 'project_id': PROJECT, 'auth_provider': 'stack'}
    assert posts(neon)[0] == ('POST', '/projects/auth/user', body)


def test_stack_waits_until_users_sync_shows_the_new_user(neon, users, run_module, monkeypatch):
    users.provider = 'stack'
    users.unsynced = True
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        for row in users.rows:
            row['unsynced'] = False
    monkeypatch.setattr(neon_auth_user.time, 'sleep', sleep)
    result = run(run_module, email='s@example.com', auth_provider='stack')
    assert result['changed'] is True and not result.get('warnings')
    assert len(sleeps) == 1 and len(users.reads) == 3


def test_stack_delete_uses_the_project_path_and_soft_deletes(neon, users, run_module):
    users.provider = 'stack'
    row = users.add('s@example.com', 'S')
    result = run(run_module, email='s@example.com', auth_provider='stack', state='absent')
    assert result['changed'] is True
    assert neon.writes() == [('DELETE', '%s/%s' % (STACK_USERS_PATH, row['id']), None)]
    assert run(run_module, email='s@example.com', auth_provider='stack', state='absent')['changed'] is False


# -- ambiguous writes: never a duplicate ------------------------------------------------------

def test_ambiguous_create_that_was_applied_is_read_back_not_resent(neon, users, run_module):
    users.apply_then_fail.append((503, {'code': '', 'message': 'upstream'}))
    result = run(run_module, email='a@example.com')
    assert result['changed'] is True and result['user']['action'] == 'created'
    assert result['user']['reason'] == 'Neon did not confirm the create; the database shows it done'
    assert len(posts(neon)) == 1 and len(users.rows) == 1 and len(users.reads) == 2


def test_ambiguous_create_that_did_nothing_is_tried_once_more(neon, users, run_module):
    users.fail_next.append(requests.exceptions.ReadTimeout('read timed out'))
    result = run(run_module, email='a@example.com')
    assert result['user']['action'] == 'created' and len(posts(neon)) == 2 and len(users.rows) == 1


def test_api_path_ambiguous_create_is_retried_and_the_duplicate_answer_settles_it(neon, users, run_module):
    users.apply_then_fail.append((502, {'code': '', 'message': 'bad gateway'}))
    result = run(run_module, email='a@example.com', existence_check='api')
    assert result['existence_source'] == 'api'
    assert result['user']['action'] == 'created' and 'found it done' in result['user']['reason']
    assert len(posts(neon)) == 2 and len(users.rows) == 1 and users.reads == []


def test_stack_unconfirmed_create_not_yet_synced_is_settled_by_the_duplicate_answer(neon, users, run_module):
    users.provider = 'stack'
    users.unsynced = True
    users.apply_then_fail.append((503, {'code': '', 'message': 'upstream'}))
    result = run(run_module, email='s@example.com', auth_provider='stack', sync_timeout=0)
    assert result['user']['action'] == 'created' and 'found it done' in result['user']['reason']
    assert len(posts(neon)) == 2 and len(users.rows) == 1


@pytest.mark.parametrize('source', ['database', 'api'])
def test_unconfirmed_delete_is_settled_without_a_false_failure(neon, users, run_module, source):
    row = users.add('a@example.com', 'A')
    users.apply_then_fail.append((504, {'code': '', 'message': 'gateway timeout'}))
    result = run(run_module, email='a@example.com', id=row['id'], state='absent', existence_check=source)
    assert result['changed'] is True and result['user']['action'] == 'deleted'
    assert 'Neon did not confirm the delete' in result['user']['reason']
    deletes = [c for c in neon.writes() if c[0] == 'DELETE']
    # The database shows it gone: no second DELETE. Without the database, the repeat answers 404.
    assert len(deletes) == (1 if source == 'database' else 2)
    assert users.active() == []


def test_two_unconfirmed_attempts_fail_and_say_so(neon, users, run_module):
    users.fail_next.extend([(503, {'code': '', 'message': 'x'}), (503, {'code': '', 'message': 'x'})])
    result = run(run_module, email='a@example.com', existence_check='api')
    assert result['failed'] is True and 'run the task again' in result['msg']
    assert len(posts(neon)) == 2


# -- the api path -------------------------------------------------------------------------------

@pytest.mark.parametrize('status', [400, 409, 422])
def test_api_path_reads_a_duplicate_email_answer_as_present(neon, users, run_module, status):
    users.duplicate_status = status
    users.add('a@example.com', 'A')
    result = run(run_module, email='A@example.com', existence_check='api')
    assert result['changed'] is False and result['user']['action'] == 'present'
    assert result['existence_source'] == 'api' and users.reads == []


def test_api_path_other_errors_fail(neon, users, run_module):
    users.fail_next.append((400, {'code': '', 'message': 'email is invalid'}))
    result = run(run_module, email='a@example.com', existence_check='api')
    assert result['failed'] is True and 'email is invalid' in result['msg']


@pytest.mark.parametrize('status, changed', [(404, False), (200, True), (204, True)])
def test_api_path_repeated_delete(neon, users, run_module, status, changed):
    users.repeated_delete_status = status
    result = run(run_module, email='a@example.com', state='absent', id='u-gone', existence_check='api')
    assert result['changed'] is changed
    if changed:
        # Neon's 2xx for a user already gone cannot be told from a deletion without the database.
        assert 'cannot be told' in warnings_of(result)


def test_auto_falls_back_to_the_api_without_a_driver_and_says_why(neon, users, run_module, monkeypatch):
    monkeypatch.setattr(neon_auth_user, 'find_driver', lambda: None)
    result = run(run_module, email='a@example.com')
    assert result['existence_source'] == 'api' and 'no PostgreSQL driver' in result['existence_note']
    assert 'not read from the database' in warnings_of(result)
    assert not [c for c in neon.calls if 'connection_uri' in c[1]]


def test_auto_falls_back_when_the_database_cannot_be_read_without_leaking_the_url(neon, users, run_module, monkeypatch):
    def broken(driver, url, provider, emails, ids=(), timeout=30):
        raise UsersDBError('could not connect to the database (psycopg): password authentication failed')
    monkeypatch.setattr(neon_auth_user, 'read_users', broken)
    result = run(run_module, email='a@example.com')
    assert result['existence_source'] == 'api' and 'password authentication failed' in result['existence_note']
    assert DB_PASSWORD not in result['_raw']
    writes_so_far = len(neon.writes())
    result = run(run_module, email='a@example.com', existence_check='database')
    assert result['failed'] is True and 'password authentication failed' in result['msg']
    assert len(neon.writes()) == writes_so_far


def test_auto_fallback_with_absent_and_no_id_fails_before_any_write(neon, users, run_module, monkeypatch):
    def no_access(*args, **kwargs):
        raise UsersDBError('no access')
    monkeypatch.setattr(neon_auth_user, 'read_users', no_access)
    result = run(run_module, users=[{'email': 'a@example.com'}, {'email': 'b@example.com', 'state': 'absent'}])
    assert result['failed'] is True and "needs the user's id" in result['msg']
    assert neon.writes() == []


# -- bulk: stop on general failures, pacing under the rate limit ---------------------------------

def test_a_rejected_key_stops_the_bulk_after_one_request(neon, users, run_module):
    users.fail_next.append((401, {'code': '', 'message': 'invalid key'}))
    result = run(run_module, users=[{'email': 'u%d@example.com' % i} for i in range(5)])
    assert result['failed'] is True and 'Stopped after 0 of 5 users' in result['msg']
    assert [u['action'] for u in result['users']] == ['skipped'] * 5
    assert len(neon.writes()) == 1


def test_one_failed_user_does_not_stop_the_others(neon, users, run_module):
    users.fail_next.append((400, {'code': '', 'message': 'email domain is blocked'}))
    result = run(run_module, users=[{'email': 'u%d@example.com' % i} for i in range(3)])
    assert result['failed'] is True and result['changed'] is True
    assert [u['action'] for u in result['users']] == ['failed', 'created', 'created']
    assert '1 of 3 users failed' in result['msg']


class FakeClock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize('used_before, retry_after', [(0, True), (400, True), (400, False)])
def test_a_thousand_users_go_through_under_the_rate_limit(neon, users, run_module, monkeypatch, used_before, retry_after):
    """Neon allows 700 requests a minute (bursts of 40 a second per route): the client paces under both, and when
    another client of the same account has spent part of the minute, the 429 answers are waited out and retried."""
    clock = FakeClock()
    monkeypatch.setattr(_module, 'NeonClient', lambda **kw: NeonClient(clock=clock, sleep=clock.sleep, **kw))
    sent = [-0.5] * used_before
    limited = []
    inner = neon.request

    def request(method, url, **kwargs):
        window = [t for t in sent if t > clock.now - 60]
        second = [t for t in sent if t > clock.now - 1]
        if len(window) >= 700 or len(second) >= 40:
            limited.append(clock.now)
            wait = max(1, int(60 - (clock.now - window[0]))) if len(window) >= 700 else 1
            headers = {'Retry-After': str(wait)} if retry_after else {}
            return FakeResponse(429, {'code': '', 'message': 'rate limited'}, headers)
        sent.append(clock.now)
        return inner(method, url, **kwargs)
    neon.request = request
    result = run(run_module, users=[{'email': 'user%04d@example.com' % i, 'name': 'User %d' % i} for i in range(1000)])
    assert result.get('failed') is not True, result.get('msg')
    assert result['summary'] == {'created': 1000}
    assert len(users.active()) == 1000 and len(posts(neon)) == 1000 and len(users.reads) == 1
    if used_before:
        assert limited and clock.now < 200
    else:
        # Alone, the run never meets the limit: 1,000 creates in about 90 s of (fake) time, no 429 at all.
        assert limited == [] and clock.now < 100
