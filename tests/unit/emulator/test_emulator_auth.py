# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the emulator's Neon Auth routes (legacy L1-L7, branch-scoped B1-B3, B5-B7) and their database side.

One emulator subprocess serves the module; every test starts from the seed.  Rows are checked in the real
PostgreSQL through ``/_emulator/database_url``.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pytest

psycopg = pytest.importorskip('psycopg')

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'emulator'))

from neon_emulator import harness  # noqa: E402  pylint: disable=wrong-import-position
from neon_emulator.harness import (  # noqa: E402  pylint: disable=wrong-import-position
    BETTER_ADMIN, BETTER_MAIN, BETTER_PROJECT, DEMO_MAIN, DEMO_PROJECT, STACK_ALICE, STACK_CAROL, STACK_MAIN, STACK_PROJECT,
    auth_path, shared_emulator)

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
INTEGRATION_FIELDS = {'auth_provider', 'auth_provider_project_id', 'branch_id', 'db_name', 'created_at', 'owned_by', 'jwks_url', 'name'}
CREATED_FIELDS = {'auth_provider', 'auth_provider_project_id', 'pub_client_key', 'secret_server_key', 'jwks_url', 'schema_name', 'table_name'}


# Started while pytest imports this module, in the pytest process: ansible-test units runs each test in a
# forked child without fixture teardown, so a module-scoped fixture would start one emulator per test.
EMULATOR = shared_emulator(api_key='contract-test-key')


@pytest.fixture
def emulator():
    """The shared emulator, back at the seed state (log, faults, behaviour cleared)."""
    EMULATOR.reset()
    return EMULATOR


def assert_error(answer, status, in_message=''):
    """``answer`` = (status, headers, body); it must be a GeneralError."""
    assert not harness.general_error_problems(answer[0], answer[1], answer[2], status), answer
    assert in_message in answer[2]['message']


def assert_empty(answer, status):
    """A success without body."""
    assert answer[0] == status, answer
    assert answer[2] is None


def rows(emulator, query, project_id=DEMO_PROJECT, branch_id=None, params=()):  # pylint: disable=redefined-outer-name
    """Run ``query`` as superuser in a branch database."""
    with psycopg.connect(emulator.database_url(project_id, branch_id)) as conn:
        return conn.execute(query, params).fetchall()


def enable(emulator, auth_provider='better_auth', project_id=DEMO_PROJECT, branch_id=DEMO_MAIN):  # pylint: disable=redefined-outer-name
    """B2, which must answer 201."""
    status, dummy, body = emulator.api('POST', auth_path(project_id, branch_id), {'auth_provider': auth_provider})
    assert status == 201, body
    return body


def legacy_enable(emulator, auth_provider='stack'):  # pylint: disable=redefined-outer-name
    """L1 on the demo project, which must answer 201."""
    status, dummy, body = emulator.api('POST', '/projects/auth/create', {
        'auth_provider': auth_provider, 'project_id': DEMO_PROJECT, 'branch_id': DEMO_MAIN, 'role_name': 'ignored'})
    assert status == 201, body
    return body


def legacy_integration(emulator, project_id=DEMO_PROJECT):  # pylint: disable=redefined-outer-name
    """L2 data list."""
    status, dummy, body = emulator.api('GET', '/projects/%s/auth/integrations' % project_id)
    assert status == 200
    return body['data']


# -- B1/B2/B3 -----------------------------------------------------------------------------------------------
def test_enable_better_auth_201_then_409_then_get(emulator):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('GET', auth_path()), 404, 'not enabled')
    created = enable(emulator)
    assert set(created) == CREATED_FIELDS | {'base_url'}
    assert created['pub_client_key'] == '' and created['secret_server_key'] == ''
    assert created['schema_name'] == 'neon_auth' and created['table_name'] == 'users_sync'
    assert re.match(r'^https://ep-[a-z0-9-]+\.neonauth\.us-east-2\.aws\.neon\.tech/neondb/auth$', created['base_url'])
    assert created['jwks_url'] == created['base_url'] + '/.well-known/jwks.json'
    assert UUID_RE.match(created['auth_provider_project_id'])
    assert_error(emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'}), 409, 'already enabled')
    status, dummy, got = emulator.api('GET', auth_path())
    assert status == 200
    assert set(got) == INTEGRATION_FIELDS | {'base_url'}
    assert got['branch_id'] == DEMO_MAIN and got['db_name'] == 'neondb' and got['owned_by'] == 'neon' and got['name'] == 'demo-project'
    assert got['auth_provider_project_id'] == created['auth_provider_project_id']


def test_better_auth_database_side(emulator):  # pylint: disable=redefined-outer-name
    enable(emulator)
    columns = rows(emulator, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                             "WHERE table_schema = 'neon_auth' AND table_name = 'user' ORDER BY ordinal_position")
    assert [item[0] for item in columns] == ['id', 'name', 'email', 'emailVerified', 'image', 'createdAt', 'updatedAt', 'role',
                                             'banned', 'banReason', 'banExpires']
    constraints = {item[0] for item in rows(emulator, "SELECT conname FROM pg_constraint WHERE conrelid = 'neon_auth.\"user\"'::regclass")}
    assert 'user_email_key' in constraints
    config = rows(emulator, 'SELECT endpoint_id, allow_localhost, trusted_origins FROM neon_auth.project_config')
    assert config == [('ep-main-123456', True, [])]
    owner = rows(emulator, "SELECT tableowner FROM pg_tables WHERE schemaname = 'neon_auth' AND tablename = 'user'")
    assert owner == [('neondb_owner',)]


def test_stack_on_branch_route_gets_keys(emulator):  # pylint: disable=redefined-outer-name
    created = enable(emulator, 'stack')
    assert created['pub_client_key'].startswith('pck_') and created['secret_server_key'].startswith('ssk_')
    assert 'base_url' not in created
    assert emulator.api('GET', auth_path())[2]['auth_provider'] == 'stack'


def test_disable_keeps_data_and_reenable_finds_it(emulator):  # pylint: disable=redefined-outer-name
    enable(emulator)
    user_id = emulator.api('POST', auth_path(suffix='/users'), {'email': 'keep@example.com'})[2]['id']
    assert_empty(emulator.api('DELETE', auth_path()), 200)
    assert_error(emulator.api('GET', auth_path()), 404)
    assert rows(emulator, 'SELECT id::text FROM neon_auth."user"') == [(user_id,)]
    enable(emulator)
    assert_error(emulator.api('POST', auth_path(suffix='/users'), {'email': 'keep@example.com'}), 409)


def test_disable_with_delete_data_drops_the_schema(emulator):  # pylint: disable=redefined-outer-name
    enable(emulator)
    assert_empty(emulator.api('DELETE', auth_path(), {'delete_data': True}), 200)
    assert rows(emulator, "SELECT count(*) FROM pg_namespace WHERE nspname = 'neon_auth'") == [(0,)]


@pytest.mark.parametrize('behaviour, status', [(None, 404), (404, 404), (204, 204), (200, 200)])
def test_disable_without_auth_answers_per_behaviour(emulator, behaviour, status):  # pylint: disable=redefined-outer-name
    if behaviour is not None:
        emulator.set_behaviour(repeated_delete_status=behaviour)
    answer = emulator.api('DELETE', auth_path())
    if status == 404:
        assert_error(answer, 404)
    else:
        assert_empty(answer, status)


# -- B5/B6/B7 -----------------------------------------------------------------------------------------------
def test_branch_users_create_role_delete(emulator):  # pylint: disable=redefined-outer-name
    enable(emulator)
    status, dummy, body = emulator.api('POST', auth_path(suffix='/users'), {'email': 'New.User@Example.com', 'name': 'New User'})
    assert status == 201 and set(body) == {'id'} and UUID_RE.match(body['id'])
    user_id = body['id']
    assert rows(emulator, 'SELECT email, name, role FROM neon_auth."user"') == [('new.user@example.com', 'New User', 'user')]
    status, dummy, body = emulator.api('PUT', auth_path(suffix='/users/%s/role' % user_id), {'roles': ['admin', 'editor']})
    assert status == 200 and body == {'id': user_id}
    assert rows(emulator, 'SELECT role FROM neon_auth."user"') == [('admin,editor',)]
    assert_empty(emulator.api('DELETE', auth_path(suffix='/users/%s' % user_id)), 204)
    assert rows(emulator, 'SELECT count(*) FROM neon_auth."user"') == [(0,)]
    assert_error(emulator.api('DELETE', auth_path(suffix='/users/%s' % user_id)), 404)


@pytest.mark.parametrize('status', [400, 409, 422])
def test_duplicate_email_answers_per_behaviour(emulator, status):  # pylint: disable=redefined-outer-name
    emulator.set_behaviour(duplicate_email_status=status)
    assert_error(emulator.api('POST', auth_path(BETTER_PROJECT, BETTER_MAIN, '/users'), {'email': 'ADMIN@example.com'}), status)


@pytest.mark.parametrize('status', [200, 204])
def test_repeated_user_delete_answers_per_behaviour(emulator, status):  # pylint: disable=redefined-outer-name
    emulator.set_behaviour(repeated_delete_status=status)
    path = auth_path(BETTER_PROJECT, BETTER_MAIN, '/users/%s' % BETTER_ADMIN)
    assert_empty(emulator.api('DELETE', path), 204)
    assert_empty(emulator.api('DELETE', path), status)
    assert_empty(emulator.api('DELETE', auth_path(BETTER_PROJECT, BETTER_MAIN, '/users/not-a-uuid')), status)


def test_seeded_better_auth_users(emulator):  # pylint: disable=redefined-outer-name
    found = rows(emulator, 'SELECT email, role FROM neon_auth."user" ORDER BY email', BETTER_PROJECT)
    assert found == [('admin@example.com', 'admin'), ('user@example.com', 'user')]


@pytest.mark.parametrize('body', [{}, {'email': 'not-an-email'}, {'email': 'a@b.co', 'name': ''}, {'email': 'a@b.co', 'name': 'x' * 256},
                                  {'email': 'x' * 251 + '@b.com'}])
def test_user_body_validation(emulator, body):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('POST', auth_path(BETTER_PROJECT, BETTER_MAIN, '/users'), body), 400)


@pytest.mark.parametrize('body', [{}, {'roles': []}, {'roles': 'admin'}, {'roles': ['']}])
def test_role_body_validation(emulator, body):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('PUT', auth_path(BETTER_PROJECT, BETTER_MAIN, '/users/%s/role' % BETTER_ADMIN), body), 400)


def test_role_of_unknown_user_is_404(emulator):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('PUT', auth_path(BETTER_PROJECT, BETTER_MAIN, '/users/%s/role' % STACK_ALICE), {'roles': ['admin']}), 404)


def test_user_routes_without_auth_are_404(emulator):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('POST', auth_path(suffix='/users'), {'email': 'a@example.com'}), 404, 'not enabled')
    emulator.set_behaviour(repeated_delete_status=204)
    assert_error(emulator.api('DELETE', auth_path(suffix='/users/%s' % BETTER_ADMIN)), 404, 'not enabled')
    assert_error(emulator.api('PUT', auth_path(suffix='/users/%s/role' % BETTER_ADMIN), {'roles': ['admin']}), 404)


# -- legacy L1-L7 -------------------------------------------------------------------------------------------
def test_legacy_create_201_keys_then_409(emulator):  # pylint: disable=redefined-outer-name
    created = legacy_enable(emulator)
    assert set(created) == CREATED_FIELDS
    assert created['auth_provider'] == 'stack'
    assert re.match(r'^pck_[0-9a-f]{40}$', created['pub_client_key']) and re.match(r'^ssk_[0-9a-f]{48}$', created['secret_server_key'])
    assert created['jwks_url'] == 'https://api.stack-auth.com/api/v1/projects/%s/.well-known/jwks.json' % created['auth_provider_project_id']
    answer = emulator.api('POST', '/projects/auth/create', {'auth_provider': 'stack', 'project_id': DEMO_PROJECT, 'branch_id': DEMO_MAIN})
    assert_error(answer, 409)
    data = legacy_integration(emulator)
    assert len(data) == 1 and set(data[0]) == INTEGRATION_FIELDS
    assert data[0]['auth_provider'] == 'stack' and data[0]['branch_id'] == DEMO_MAIN and 'transfer_status' not in data[0]


def test_legacy_create_validation(emulator):  # pylint: disable=redefined-outer-name
    for body in ({'auth_provider': 'stack', 'project_id': DEMO_PROJECT}, {'auth_provider': 'stack', 'project_id': 'Bad!', 'branch_id': DEMO_MAIN},
                 {'auth_provider': 'stack_v2', 'project_id': DEMO_PROJECT, 'branch_id': DEMO_MAIN}):
        assert_error(emulator.api('POST', '/projects/auth/create', body), 400)
    assert_error(emulator.api('POST', '/projects/auth/create', {'auth_provider': 'stack', 'project_id': 'ghost-1', 'branch_id': DEMO_MAIN}), 404)


def test_users_sync_real_ddl(emulator):  # pylint: disable=redefined-outer-name
    legacy_enable(emulator)
    generated = rows(emulator, "SELECT column_name, is_generated FROM information_schema.columns "
                               "WHERE table_schema = 'neon_auth' AND table_name = 'users_sync' ORDER BY ordinal_position")
    assert generated == [('raw_json', 'NEVER'), ('id', 'ALWAYS'), ('name', 'ALWAYS'), ('email', 'ALWAYS'), ('created_at', 'ALWAYS'),
                         ('updated_at', 'NEVER'), ('deleted_at', 'NEVER')]
    assert rows(emulator, "SELECT conname FROM pg_constraint WHERE conrelid = 'neon_auth.users_sync'::regclass AND contype = 'p'") == [('users_sync_pkey',)]
    assert rows(emulator, "SELECT indexname FROM pg_indexes WHERE schemaname = 'neon_auth' AND indexname = 'users_sync_deleted_at_idx'") != []


def test_legacy_keys_are_fresh_every_call(emulator):  # pylint: disable=redefined-outer-name
    first = legacy_enable(emulator)
    body = {'project_id': DEMO_PROJECT, 'auth_provider': 'stack'}
    second = emulator.api('POST', '/projects/auth/keys', body)
    third = emulator.api('POST', '/projects/auth/keys', body)
    assert second[0] == third[0] == 201
    keys = {first['secret_server_key'], second[2]['secret_server_key'], third[2]['secret_server_key']}
    assert len(keys) == 3 and all(key.startswith('ssk_') for key in keys)
    assert second[2]['auth_provider_project_id'] == first['auth_provider_project_id']
    assert_error(emulator.api('POST', '/projects/auth/keys', {'project_id': DEMO_PROJECT, 'auth_provider': 'better_auth'}), 404)
    ba_keys = emulator.api('POST', '/projects/auth/keys', {'project_id': BETTER_PROJECT, 'auth_provider': 'better_auth'})
    assert ba_keys[0] == 201 and ba_keys[2]['pub_client_key'] == '' and ba_keys[2]['secret_server_key'] == ''


def test_legacy_user_create_and_soft_delete(emulator):  # pylint: disable=redefined-outer-name
    legacy_enable(emulator)
    status, dummy, body = emulator.api('POST', '/projects/auth/user', {'project_id': DEMO_PROJECT, 'auth_provider': 'stack',
                                                                       'email': 'stack.user@example.com', 'name': 'Stack User'})
    assert status == 201 and UUID_RE.match(body['id'])
    user_id = body['id']
    found = rows(emulator, 'SELECT id, name, email, raw_json, created_at IS NOT NULL, deleted_at FROM neon_auth.users_sync')
    assert len(found) == 1
    assert found[0][:3] == (user_id, 'Stack User', 'stack.user@example.com')
    assert set(found[0][3]) == {'id', 'display_name', 'primary_email', 'signed_up_at_millis'} and found[0][4] is True and found[0][5] is None
    duplicate = {'project_id': DEMO_PROJECT, 'auth_provider': 'stack', 'email': 'stack.user@example.com'}
    assert_error(emulator.api('POST', '/projects/auth/user', duplicate), 409)
    assert_empty(emulator.api('DELETE', '/projects/%s/auth/users/%s' % (DEMO_PROJECT, user_id)), 204)
    assert rows(emulator, 'SELECT deleted_at IS NOT NULL FROM neon_auth.users_sync WHERE id = %s', params=(user_id,)) == [(True,)]
    assert_error(emulator.api('DELETE', '/projects/%s/auth/users/%s' % (DEMO_PROJECT, user_id)), 404)
    # the email is free again once the user is (soft-)deleted
    assert emulator.api('POST', '/projects/auth/user', duplicate)[0] == 201


def test_seeded_stack_users_and_deleted_one(emulator):  # pylint: disable=redefined-outer-name
    found = rows(emulator, 'SELECT email, deleted_at IS NULL FROM neon_auth.users_sync ORDER BY email', STACK_PROJECT)
    assert found == [('alice@example.com', True), ('bob@example.com', True), ('carol@example.com', False)]
    assert_error(emulator.api('DELETE', '/projects/%s/auth/users/%s' % (STACK_PROJECT, STACK_CAROL)), 404)
    assert_empty(emulator.api('DELETE', auth_path(STACK_PROJECT, STACK_MAIN, '/users/%s' % STACK_ALICE)), 204)


def test_stack_sync_delay_row_arrives_later_api_knows_at_once(emulator):  # pylint: disable=redefined-outer-name
    emulator.set_behaviour(stack_sync_delay=0.5)
    path = auth_path(STACK_PROJECT, STACK_MAIN, '/users')
    user_id = emulator.api('POST', path, {'email': 'late@example.com'})[2]['id']
    query = 'SELECT count(*) FROM neon_auth.users_sync WHERE id = %s'
    assert rows(emulator, query, STACK_PROJECT, params=(user_id,)) == [(0,)]
    assert_error(emulator.api('POST', path, {'email': 'late@example.com'}), 409)
    for dummy in range(100):  # poll: the row must show up (no timing assertion)
        if rows(emulator, query, STACK_PROJECT, params=(user_id,)) == [(1,)]:
            break
        time.sleep(0.1)
    assert rows(emulator, query, STACK_PROJECT, params=(user_id,)) == [(1,)]


def test_deleting_a_user_before_its_sync(emulator):  # pylint: disable=redefined-outer-name
    emulator.set_behaviour(stack_sync_delay=600)
    path = auth_path(STACK_PROJECT, STACK_MAIN, '/users')
    user_id = emulator.api('POST', path, {'email': 'soon-gone@example.com'})[2]['id']
    assert_empty(emulator.api('DELETE', '%s/%s' % (path, user_id)), 204)
    assert_error(emulator.api('DELETE', '%s/%s' % (path, user_id)), 404)
    assert emulator.api('POST', path, {'email': 'soon-gone@example.com'})[0] == 201


def test_legacy_transfer_then_complete(emulator):  # pylint: disable=redefined-outer-name
    body = {'project_id': STACK_PROJECT, 'auth_provider': 'stack'}
    status, dummy, first = emulator.api('POST', '/projects/auth/transfer_ownership', body)
    assert status == 200 and set(first) == {'url'}
    assert first['url'].startswith('https://app.stack-auth.com/integrations/neon/projects/transfer/confirm?code=')
    integration = legacy_integration(emulator, STACK_PROJECT)[0]
    assert integration['owned_by'] == 'neon' and integration['transfer_status'] == 'initiated'
    second = emulator.api('POST', '/projects/auth/transfer_ownership', body)[2]
    assert second['url'] != first['url']
    completed = emulator.control('POST', '/transfer/complete', {'project_id': STACK_PROJECT})
    assert completed['owned_by'] == 'user' and completed['transfer_status'] == 'finished'
    assert legacy_integration(emulator, STACK_PROJECT)[0]['owned_by'] == 'user'
    emulator.set_behaviour(repeated_transfer='error')
    assert_error(emulator.api('POST', '/projects/auth/transfer_ownership', body), 409)


def test_transfer_rules(emulator):  # pylint: disable=redefined-outer-name
    emulator.set_behaviour(repeated_transfer='error')
    body = {'project_id': STACK_PROJECT, 'auth_provider': 'stack'}
    assert emulator.api('POST', '/projects/auth/transfer_ownership', body)[0] == 200
    assert_error(emulator.api('POST', '/projects/auth/transfer_ownership', body), 409)
    assert_error(emulator.api('POST', '/projects/auth/transfer_ownership', {'project_id': BETTER_PROJECT, 'auth_provider': 'better_auth'}), 400)
    assert_error(emulator.api('POST', '/projects/auth/transfer_ownership', {'project_id': DEMO_PROJECT, 'auth_provider': 'stack'}), 404)
    status, dummy, body = emulator.raw('POST', emulator.root_url + '/_emulator/transfer/complete', {'project_id': DEMO_PROJECT})
    assert status == 404


def test_legacy_delete_integration(emulator):  # pylint: disable=redefined-outer-name
    path = '/projects/%s/auth/integration/stack' % STACK_PROJECT
    assert_empty(emulator.api('DELETE', path, {'delete_data': True}), 200)
    assert legacy_integration(emulator, STACK_PROJECT) == []
    assert rows(emulator, "SELECT count(*) FROM pg_namespace WHERE nspname = 'neon_auth'", STACK_PROJECT) == [(0,)]
    assert_error(emulator.api('DELETE', path), 404)
    emulator.set_behaviour(repeated_delete_status=200)
    assert_empty(emulator.api('DELETE', path), 200)
    assert_error(emulator.api('DELETE', '/projects/%s/auth/integration/okta' % STACK_PROJECT), 400)


def test_legacy_delete_integration_keeps_data_by_default(emulator):  # pylint: disable=redefined-outer-name
    assert_empty(emulator.api('DELETE', '/projects/%s/auth/integration/stack' % STACK_PROJECT), 200)
    assert rows(emulator, 'SELECT count(*) FROM neon_auth.users_sync', STACK_PROJECT) == [(3,)]


# -- branching ----------------------------------------------------------------------------------------------
def test_branch_of_better_auth_parent_gets_auth_users_and_config(emulator):  # pylint: disable=redefined-outer-name
    status, dummy, body = emulator.api('POST', '/projects/%s/branches' % BETTER_PROJECT, {'branch': {'parent_id': BETTER_MAIN}})
    assert status == 201
    child = body['branch']['id']
    parent_auth = emulator.api('GET', auth_path(BETTER_PROJECT, BETTER_MAIN))[2]
    child_auth = emulator.api('GET', auth_path(BETTER_PROJECT, child))[2]
    assert child_auth['branch_id'] == child and child_auth['auth_provider'] == 'better_auth'
    assert child_auth['base_url'] != parent_auth['base_url'] and child_auth['base_url'].startswith('https://ep-')
    assert rows(emulator, 'SELECT email FROM neon_auth."user" ORDER BY email', BETTER_PROJECT, child) == [('admin@example.com',), ('user@example.com',)]
    endpoint = rows(emulator, 'SELECT endpoint_id FROM neon_auth.project_config', BETTER_PROJECT, child)
    assert endpoint == [('ep-' + child[3:],)]
    assert emulator.api('POST', auth_path(BETTER_PROJECT, child, '/users'), {'email': 'child@example.com'})[0] == 201
    assert rows(emulator, 'SELECT count(*) FROM neon_auth."user"', BETTER_PROJECT, BETTER_MAIN) == [(2,)]
    assert_error(emulator.api('POST', auth_path(BETTER_PROJECT, child), {'auth_provider': 'better_auth'}), 409)


def test_branch_of_stack_parent_copies_rows_not_the_integration(emulator):  # pylint: disable=redefined-outer-name
    child = emulator.api('POST', '/projects/%s/branches' % STACK_PROJECT, {})[2]['branch']['id']
    assert_error(emulator.api('GET', auth_path(STACK_PROJECT, child)), 404)
    assert rows(emulator, 'SELECT count(*) FROM neon_auth.users_sync', STACK_PROJECT, child) == [(3,)]
    assert len(legacy_integration(emulator, STACK_PROJECT)) == 1


def test_second_stack_integration_in_a_project_is_409(emulator):  # pylint: disable=redefined-outer-name
    child = emulator.api('POST', '/projects/%s/branches' % STACK_PROJECT, {})[2]['branch']['id']
    assert_error(emulator.api('POST', auth_path(STACK_PROJECT, child), {'auth_provider': 'stack'}), 409)
    assert emulator.api('POST', auth_path(STACK_PROJECT, child), {'auth_provider': 'better_auth'})[0] == 201
    assert {item['auth_provider'] for item in legacy_integration(emulator, STACK_PROJECT)} == {'stack', 'better_auth'}


def test_write_log_of_an_enable_and_user_flow(emulator):  # pylint: disable=redefined-outer-name
    enable(emulator)
    emulator.api('GET', auth_path())
    user_id = emulator.api('POST', auth_path(suffix='/users'), {'email': 'flow@example.com'})[2]['id']
    emulator.api('DELETE', auth_path(suffix='/users/%s' % user_id))
    writes = [(item['method'], item['route'], item['status']) for item in emulator.request_log() if item['write']]
    assert writes == [('POST', 'createNeonAuth', 201), ('POST', 'createBranchNeonAuthNewUser', 201),
                      ('DELETE', 'deleteBranchNeonAuthUser', 204)]
