# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests of the emulator's HTTP core, projects/branches routes and control API.

One emulator subprocess (``run_emulator.py --port 0``, embedded PostgreSQL) serves the module;
every test starts from the seed (``POST /_emulator/reset``).
"""

from __future__ import annotations

import http.client
import os
import re
import sys
from urllib.parse import urlsplit

import pytest

psycopg = pytest.importorskip('psycopg')

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'emulator'))

from neon_emulator import harness  # noqa: E402  pylint: disable=wrong-import-position
from neon_emulator.harness import DEMO_DEV, DEMO_MAIN, DEMO_PROJECT, auth_path, shared_emulator  # noqa: E402  pylint: disable=wrong-import-position

SEED_PROJECT_COUNT = 13


# Started while pytest imports this module, in the pytest process: ansible-test units runs each test in a
# forked child without fixture teardown, so a module-scoped fixture would start one emulator per test.
EMULATOR = shared_emulator(api_key='contract-test-key')


@pytest.fixture
def emulator():
    """The shared emulator, back at the seed state (log, faults, behaviour cleared)."""
    EMULATOR.reset()
    return EMULATOR


def assert_error(answer, status, in_message=''):
    """``answer`` = (status, headers, body) of api(); it must be a GeneralError."""
    assert not harness.general_error_problems(answer[0], answer[1], answer[2], status)
    assert in_message in answer[2]['message']
    return answer[2]


def connection(emulator):  # pylint: disable=redefined-outer-name
    """A raw keep-alive HTTP/1.1 connection to the emulator."""
    parts = urlsplit(emulator.base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


# -- server core --------------------------------------------------------------------------------------------
def test_first_stdout_line_is_the_base_url(emulator):  # pylint: disable=redefined-outer-name
    assert re.match(r'^http://127\.0\.0\.1:\d+/api/v2$', emulator.base_url)


@pytest.mark.parametrize('headers', [{}, {'Authorization': 'Bearer wrong-key'}, {'Authorization': 'Basic contract-test-key'}])
def test_missing_or_wrong_api_key_is_401(emulator, headers):  # pylint: disable=redefined-outer-name
    answer = emulator.raw('GET', emulator.base_url + '/projects', headers=headers)
    assert_error(answer, 401)


def test_x_request_id_is_echoed_in_header_and_body(emulator):  # pylint: disable=redefined-outer-name
    status, headers, body = emulator.api('GET', auth_path(), headers={'X-Request-ID': 'my-request-7'})
    assert status == 404
    assert headers['x-request-id'] == 'my-request-7'
    assert body['request_id'] == 'my-request-7'
    status, headers, body = emulator.api('GET', '/projects/%s' % DEMO_PROJECT, headers={'X-Request-ID': 'ok-request'})
    assert status == 200 and headers['x-request-id'] == 'ok-request'


def test_generated_request_ids_differ(emulator):  # pylint: disable=redefined-outer-name
    first = emulator.api('GET', auth_path())[2]['request_id']
    second = emulator.api('GET', auth_path())[2]['request_id']
    assert first and second and first != second


def test_unknown_path_404_and_wrong_method_405(emulator):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('GET', '/no/such/thing'), 404)
    answer = emulator.api('PATCH', '/projects')
    assert_error(answer, 405)
    assert 'GET' in answer[1]['Allow']


@pytest.mark.parametrize('path', ['/projects/Demo_Project', '/projects/%s' % ('a' * 61),
                                  '/projects/%s/branches/BR.main/auth' % DEMO_PROJECT])
def test_path_ids_must_match_neon_pattern(emulator, path):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('GET', path), 400, 'must match')


@pytest.mark.parametrize('body', [b'{not json', b'[1, 2]', b'', {'auth_provider': 'okta'}, {'database_name': 'neondb'},
                                  {'auth_provider': 'better_auth', 'database_name': 5}])
def test_invalid_bodies_are_400(emulator, body):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('POST', auth_path(), body), 400)


def test_unknown_project_branch_and_database_are_404(emulator):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('GET', '/projects/no-such-project'), 404, 'no-such-project')
    assert_error(emulator.api('GET', '/projects/%s/branches/br-none-1' % DEMO_PROJECT), 404)
    assert_error(emulator.api('POST', auth_path(), {'auth_provider': 'better_auth', 'database_name': 'nope'}), 404)


def test_keep_alive_serves_several_requests_on_one_connection(emulator):  # pylint: disable=redefined-outer-name
    conn = connection(emulator)
    headers = {'Authorization': 'Bearer contract-test-key'}
    sockets = []
    for path in ('/api/v2/projects', '/api/v2/no-such-route', '/api/v2/projects/%s' % DEMO_PROJECT):
        conn.request('GET', path, headers=headers)
        response = conn.getresponse()
        assert response.getheader('Content-Length') == str(len(response.read()))
        assert response.version == 11 and not response.will_close
        sockets.append(conn.sock)
    assert sockets[0] is sockets[1] is sockets[2]
    conn.close()


def test_chunked_request_body_is_read(emulator):  # pylint: disable=redefined-outer-name
    conn = connection(emulator)
    conn.request('POST', '/api/v2' + auth_path(), body=iter([b'{"auth_provider":', b' "better_auth"}']),
                 headers={'Authorization': 'Bearer contract-test-key', 'Content-Type': 'application/json'},
                 encode_chunked=True)
    response = conn.getresponse()
    response.read()
    assert response.status == 201
    conn.close()


# -- projects -----------------------------------------------------------------------------------------------
def test_projects_cursor_pagination_default_limit_10(emulator):  # pylint: disable=redefined-outer-name
    status, dummy, first = emulator.api('GET', '/projects')
    assert status == 200
    assert len(first['projects']) == 10
    assert first['pagination']['cursor'] == first['projects'][-1]['id']
    dummy, dummy, second = emulator.api('GET', '/projects', query={'cursor': first['pagination']['cursor']})
    assert len(second['projects']) == SEED_PROJECT_COUNT - 10
    ids = [item['id'] for item in first['projects'] + second['projects']]
    assert len(set(ids)) == SEED_PROJECT_COUNT and DEMO_PROJECT in ids
    dummy, dummy, after_last = emulator.api('GET', '/projects', query={'cursor': second['pagination']['cursor']})
    assert after_last['projects'] == [] and 'pagination' not in after_last
    dummy, dummy, everything = emulator.api('GET', '/projects', query={'limit': '400'})
    assert [item['id'] for item in everything['projects']] == ids


def test_projects_small_pages_walk_everything(emulator):  # pylint: disable=redefined-outer-name
    seen, cursor = [], None
    for dummy in range(20):
        query = {'limit': '4'}
        if cursor:
            query['cursor'] = cursor
        page = emulator.api('GET', '/projects', query=query)[2]
        seen += [item['id'] for item in page['projects']]
        if len(page['projects']) < 4:
            break
        cursor = page['pagination']['cursor']
    assert len(seen) == len(set(seen)) == SEED_PROJECT_COUNT


@pytest.mark.parametrize('query', [{'limit': '0'}, {'limit': '401'}, {'limit': 'ten'}, {'cursor': 'no-such-cursor'}])
def test_projects_bad_paging_is_400(emulator, query):  # pylint: disable=redefined-outer-name
    assert_error(emulator.api('GET', '/projects', query=query), 400)


def test_project_fields(emulator):  # pylint: disable=redefined-outer-name
    project = emulator.api('GET', '/projects/%s' % DEMO_PROJECT)[2]['project']
    assert project['id'] == DEMO_PROJECT and project['name'] == 'demo-project'
    assert project['region_id'] == 'aws-us-east-2' and 'created_at' in project and 'pg_version' in project


# -- branches -----------------------------------------------------------------------------------------------
def test_branches_without_limit_are_all_and_unpaginated(emulator):  # pylint: disable=redefined-outer-name
    body = emulator.api('GET', '/projects/%s/branches' % DEMO_PROJECT)[2]
    assert 'pagination' not in body
    by_id = {item['id']: item for item in body['branches']}
    assert set(by_id) == {DEMO_MAIN, DEMO_DEV}
    assert by_id[DEMO_MAIN]['default'] is True and by_id[DEMO_DEV]['default'] is False
    assert by_id[DEMO_DEV]['parent_id'] == DEMO_MAIN


def test_branches_next_cursor_when_limit_given(emulator):  # pylint: disable=redefined-outer-name
    for dummy in range(3):
        assert emulator.api('POST', '/projects/%s/branches' % DEMO_PROJECT, {})[0] == 201
    seen, query = [], {'limit': '2', 'sort_by': 'name', 'sort_order': 'asc'}
    for dummy in range(10):
        page = emulator.api('GET', '/projects/%s/branches' % DEMO_PROJECT, query=query)[2]
        assert page['pagination']['sort_by'] == 'name' and page['pagination']['sort_order'] == 'asc'
        seen += [item['name'] for item in page['branches']]
        if 'next' not in page['pagination']:
            break
        query['cursor'] = page['pagination']['next']
    assert len(seen) == 5 and seen == sorted(seen)
    assert_error(emulator.api('GET', '/projects/%s/branches' % DEMO_PROJECT, query={'limit': '1', 'cursor': 'garbage!'}), 400)
    assert_error(emulator.api('GET', '/projects/%s/branches' % DEMO_PROJECT, query={'sort_by': 'size'}), 400)


def test_branch_create_copies_databases_and_roles(emulator):  # pylint: disable=redefined-outer-name
    status, dummy, body = emulator.api('POST', '/projects/%s/branches' % DEMO_PROJECT, {'branch': {'parent_id': DEMO_MAIN, 'name': 'feature-x'}})
    assert status == 201
    branch = body['branch']
    assert re.match(r'^br-[a-z]+-[a-z]+-[0-9a-f]{8}$', branch['id'])
    assert branch['parent_id'] == DEMO_MAIN and branch['name'] == 'feature-x' and branch['default'] is False
    assert [item['name'] for item in body['databases']] == ['neondb']
    assert {item['name'] for item in body['roles']} == {'neondb_owner', 'app_user'}
    operation = body['operations'][0]
    assert operation['status'] == 'finished'
    fetched = emulator.api('GET', '/projects/%s/operations/%s' % (DEMO_PROJECT, operation['id']))[2]['operation']
    assert fetched == operation
    assert emulator.api('GET', '/projects/%s/branches/%s' % (DEMO_PROJECT, branch['id']))[2]['branch']['name'] == 'feature-x'
    assert_error(emulator.api('POST', '/projects/%s/branches' % DEMO_PROJECT, {'branch': {'name': 'feature-x'}}), 409)
    assert_error(emulator.api('POST', '/projects/%s/branches' % DEMO_PROJECT, {'branch': {'parent_id': 'br-nope-1'}}), 404)


def test_branch_copy_carries_the_data(emulator):  # pylint: disable=redefined-outer-name
    with psycopg.connect(emulator.database_url(DEMO_PROJECT, DEMO_MAIN)) as conn:
        conn.execute('CREATE TABLE notes (body text)')
        conn.execute("INSERT INTO notes VALUES ('from parent')")
    child = emulator.api('POST', '/projects/%s/branches' % DEMO_PROJECT, {})[2]['branch']['id']
    with psycopg.connect(emulator.database_url(DEMO_PROJECT, child)) as conn:
        assert conn.execute('SELECT body FROM notes').fetchall() == [('from parent',)]
        conn.execute("INSERT INTO notes VALUES ('child only')")
    with psycopg.connect(emulator.database_url(DEMO_PROJECT, DEMO_MAIN)) as conn:
        assert conn.execute('SELECT count(*) FROM notes').fetchone()[0] == 1


def test_databases_and_roles(emulator):  # pylint: disable=redefined-outer-name
    databases = emulator.api('GET', '/projects/%s/branches/%s/databases' % (harness.MULTI_DB_PROJECT, 'br-multi-main-123456'))[2]
    assert {(item['name'], item['owner_name']) for item in databases['databases']} == {('neondb', 'neondb_owner'), ('appdb', 'app_owner')}
    assert all(isinstance(item['id'], int) for item in databases['databases'])
    roles = emulator.api('GET', '/projects/%s/branches/%s/roles' % (DEMO_PROJECT, DEMO_MAIN))[2]['roles']
    assert {item['name'] for item in roles} == {'neondb_owner', 'app_user'}
    assert all('password' not in item for item in roles)


# -- connection URI -----------------------------------------------------------------------------------------
def test_connection_uri_really_connects_as_the_role(emulator):  # pylint: disable=redefined-outer-name
    status, dummy, body = emulator.api('GET', '/projects/%s/connection_uri' % DEMO_PROJECT,
                                       query={'branch_id': DEMO_DEV, 'database_name': 'neondb', 'role_name': 'neondb_owner'})
    assert status == 200
    uri = body['uri']
    assert uri.startswith('postgresql://neondb_owner:npg_') and '@127.0.0.1:' in uri
    with psycopg.connect(uri) as conn:
        user, database = conn.execute('SELECT current_user, current_database()').fetchone()
    assert user == 'neondb_owner' and len(database) <= 63 and database.endswith('_neondb')
    wrong = re.sub(r':npg_[A-Za-z0-9]+@', ':npg_wrongpassword@', uri)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(wrong).close()


def test_connection_uri_defaults_to_default_branch_and_checks_names(emulator):  # pylint: disable=redefined-outer-name
    path = '/projects/%s/connection_uri' % DEMO_PROJECT
    main_uri = emulator.api('GET', path, query={'database_name': 'neondb', 'role_name': 'app_user'})[2]['uri']
    with psycopg.connect(main_uri) as conn:
        assert conn.execute('SELECT current_user').fetchone()[0] == 'app_user'
    assert_error(emulator.api('GET', path, query={'database_name': 'neondb'}), 400, 'role_name')
    assert_error(emulator.api('GET', path, query={'database_name': 'other', 'role_name': 'app_user'}), 404)
    assert_error(emulator.api('GET', path, query={'database_name': 'neondb', 'role_name': 'ghost'}), 404)


# -- control API --------------------------------------------------------------------------------------------
def test_request_log_records_api_calls_only(emulator):  # pylint: disable=redefined-outer-name
    emulator.api('GET', '/projects')
    emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'}, query={'x': '1'})
    emulator.api('GET', '/projects', api_key='bad')
    emulator.control('GET', '/behaviour')
    log = emulator.request_log()
    assert [(item['method'], item['route'], item['status'], item['write']) for item in log] == [
        ('GET', 'listProjects', 200, False),
        ('POST', 'createNeonAuth', 201, True),
        ('GET', None, 401, False),
    ]
    assert log[1]['path'] == '/api/v2' + auth_path() and log[1]['query'] == {'x': '1'}
    assert [item['seq'] for item in log] == sorted(item['seq'] for item in log)
    assert set(log[0]) == {'seq', 'method', 'path', 'query', 'status', 'write', 'route'}
    emulator.clear_request_log()
    assert emulator.request_log() == []


def test_behaviour_merges_and_validates(emulator):  # pylint: disable=redefined-outer-name
    assert emulator.control('GET', '/behaviour')['duplicate_email_status'] == 409
    merged = emulator.set_behaviour(duplicate_email_status=422, stack_sync_delay=1.5)
    assert merged['duplicate_email_status'] == 422 and merged['repeated_delete_status'] == 404 and merged['stack_sync_delay'] == 1.5
    for bad in ({'duplicate_email_status': 418}, {'repeated_delete_status': True}, {'nope': 1}, {'stack_sync_delay': -1}):
        status, dummy, body = emulator.raw('PUT', emulator.root_url + '/_emulator/behaviour', bad)
        assert status == 400, body
    emulator.reset()
    assert emulator.control('GET', '/behaviour')['duplicate_email_status'] == 409


def test_fault_status_with_count_and_retry_after(emulator):  # pylint: disable=redefined-outer-name
    rule = emulator.add_fault(kind='status', status=423, method='POST', path_regex='/auth$', count=2, retry_after=3)
    assert rule['count'] == 2
    assert emulator.api('GET', '/projects')[0] == 200  # other requests pass
    for dummy in range(2):
        answer = emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'})
        assert_error(answer, 423)
        assert answer[1]['Retry-After'] == '3'
    assert emulator.control('GET', '/faults')['faults'] == []
    assert emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'})[0] == 201
    assert [item['status'] for item in emulator.request_log() if item['write']] == [423, 423, 201]


def test_fault_html502(emulator):  # pylint: disable=redefined-outer-name
    emulator.add_fault(kind='html502', path_regex='/projects$')
    status, headers, body = emulator.api('GET', '/projects')
    assert status == 502 and headers['Content-Type'] == 'text/html' and '502 Bad Gateway' in body
    assert emulator.api('GET', '/projects')[0] == 200


def test_fault_apply_then_503_performs_the_write(emulator):  # pylint: disable=redefined-outer-name
    emulator.add_fault(kind='apply_then_503', method='POST', path_regex='/auth$')
    assert_error(emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'}), 503)
    assert emulator.api('GET', auth_path())[0] == 200
    assert_error(emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'}), 409)


def test_fault_drop_closes_without_answer_and_does_not_apply(emulator):  # pylint: disable=redefined-outer-name
    emulator.add_fault(kind='drop', method='POST', path_regex='/auth$')
    conn = connection(emulator)
    conn.request('POST', '/api/v2' + auth_path(), body=b'{"auth_provider": "better_auth"}',
                 headers={'Authorization': 'Bearer contract-test-key', 'Content-Type': 'application/json'})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.getresponse()
    conn.close()
    assert emulator.api('GET', auth_path())[0] == 404
    assert [(item['route'], item['status']) for item in emulator.request_log()] == [(None, None), ('getNeonAuth', 404)]


def test_fault_stall_answers_normally_afterwards(emulator):  # pylint: disable=redefined-outer-name
    emulator.add_fault(kind='stall', seconds=0.2, method='GET', path_regex='^/api/v2/projects$')
    assert emulator.api('GET', '/projects')[0] == 200
    assert emulator.control('GET', '/faults')['faults'] == []


def test_fault_validation_and_clear(emulator):  # pylint: disable=redefined-outer-name
    for bad in ({'kind': 'explode'}, {'kind': 'status'}, {'kind': 'status', 'status': 200}, {'kind': 'stall'},
                {'kind': 'drop', 'path_regex': '('}, {'kind': 'drop', 'count': 0}):
        assert emulator.raw('POST', emulator.root_url + '/_emulator/faults', bad)[0] == 400, bad
    emulator.add_fault(kind='drop', count=5)
    assert len(emulator.control('GET', '/faults')['faults']) == 1
    assert emulator.control('DELETE', '/faults') == {'faults': []}
    assert emulator.api('GET', '/projects')[0] == 200


@pytest.mark.parametrize('retry_after', [True, False])
def test_rate_limit_per_minute_per_key(emulator, retry_after):  # pylint: disable=redefined-outer-name
    settings = emulator.set_rate_limit(enabled=True, per_minute=3, retry_after=retry_after)
    assert settings == {'enabled': True, 'per_minute': 3, 'burst_per_second': 40, 'retry_after': retry_after}
    assert [emulator.api('GET', '/projects/%s' % DEMO_PROJECT)[0] for dummy in range(3)] == [200, 200, 200]
    answer = emulator.api('GET', '/projects')
    assert_error(answer, 429)
    assert ('Retry-After' in answer[1]) is retry_after
    if retry_after:
        assert 1 <= int(answer[1]['Retry-After']) <= 60
    assert emulator.control('GET', '/rate_limit')['enabled'] is True
    emulator.set_rate_limit(enabled=False)
    assert emulator.api('GET', '/projects')[0] == 200


def test_reset_restores_the_seed(emulator):  # pylint: disable=redefined-outer-name
    emulator.api('POST', auth_path(), {'auth_provider': 'better_auth'})
    emulator.api('POST', '/projects/%s/branches' % DEMO_PROJECT, {})
    emulator.set_behaviour(repeated_delete_status=204)
    emulator.add_fault(kind='drop', path_regex='/never')
    emulator.reset()
    assert emulator.api('GET', auth_path())[0] == 404
    assert len(emulator.api('GET', '/projects/%s/branches' % DEMO_PROJECT)[2]['branches']) == 2
    assert emulator.control('GET', '/faults')['faults'] == []
    assert emulator.control('GET', '/behaviour')['repeated_delete_status'] == 404
    assert [item['route'] for item in emulator.request_log()] == ['getNeonAuth', 'listProjectBranches']


def test_control_database_url_is_a_superuser_url(emulator):  # pylint: disable=redefined-outer-name
    with psycopg.connect(emulator.database_url(DEMO_PROJECT)) as conn:
        assert conn.execute('SELECT rolsuper FROM pg_roles WHERE rolname = current_user').fetchone()[0] is True
    status, dummy, body = emulator.raw('GET', emulator.root_url + '/_emulator/database_url', query={'project_id': 'nope-1'})
    assert status == 404 and body['message']
