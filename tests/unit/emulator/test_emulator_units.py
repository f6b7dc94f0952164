# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulator building blocks tested in-process, without PostgreSQL: routing, validation, controls, seed, names."""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'emulator'))

# pylint: disable=wrong-import-position
from neon_emulator.controls import Behaviour, Faults, RateLimiter  # noqa: E402
from neon_emulator.databases import real_database_name  # noqa: E402
from neon_emulator.model import SeedError, load_seed, state_from_seed  # noqa: E402
from neon_emulator.pg import build_uri  # noqa: E402
from neon_emulator.routing import ApiError, Router, RouteTable, discover_route_tables  # noqa: E402
from neon_emulator.validation import Field, query_int, validate_body  # noqa: E402

SEED_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'emulator', 'seed.json')


def make_router():
    """Two overlapping patterns, as in the real route set."""
    table = RouteTable()
    table.route('GET', '/projects/{project_id}', name='getProject')(lambda ctx: 'project')
    table.route('POST', '/projects/auth/keys', name='keys')(lambda ctx: 'keys')
    table.route('POST', '/projects/{project_id}/branches', name='createBranch')(lambda ctx: 'branch')
    table.route('DELETE', '/projects/{project_id}/auth/integration/{auth_provider}', name='deleteIntegration',
                choices={'auth_provider': ('stack', 'better_auth')})(lambda ctx: 'delete')
    return Router([table])


def test_router_prefers_literal_paths_and_validates_ids():
    router = make_router()
    assert router.resolve('POST', '/api/v2/projects/auth/keys')[0].name == 'keys'
    route, params = router.resolve('GET', '/api/v2/projects/demo-1')
    assert route.name == 'getProject' and params == {'project_id': 'demo-1'}
    with pytest.raises(ApiError) as caught:
        router.resolve('GET', '/api/v2/projects/Demo_1')
    assert caught.value.status == 400
    with pytest.raises(ApiError) as caught:
        router.resolve('DELETE', '/api/v2/projects/demo-1/auth/integration/okta')
    assert caught.value.status == 400 and 'auth_provider' in caught.value.message
    with pytest.raises(ApiError) as caught:
        router.resolve('PUT', '/api/v2/projects/demo-1')
    assert caught.value.status == 405 and caught.value.headers['Allow'] == 'GET'
    with pytest.raises(ApiError) as caught:
        router.resolve('GET', '/api/v2/elsewhere')
    assert caught.value.status == 404


def test_router_refuses_duplicate_routes():
    table = RouteTable()
    table.route('GET', '/x', name='one')(lambda ctx: None)
    table.route('GET', '/x', name='two')(lambda ctx: None)
    with pytest.raises(ValueError):
        Router([table])


def test_all_route_modules_load_and_operation_names_are_unique():
    tables = discover_route_tables()
    routes = [route for table in tables for route in table.routes]
    names = [route.name for route in routes if not route.control]
    assert len(names) == len(set(names))
    assert {'getNeonAuth', 'createNeonAuth', 'disableNeonAuth', 'createNeonAuthIntegration', 'listProjects'} <= set(names)
    Router(table for table in tables if not table.control)  # no duplicate method + pattern


@pytest.mark.parametrize('field, value', [
    (Field('string', min_length=1), ''),
    (Field('string', max_length=3), 'abcd'),
    (Field('string', fmt='email'), 'nobody'),
    (Field('string', fmt='uri'), 'example.com'),
    (Field('string', fmt='neon_id'), 'UPPER'),
    (Field('string', enum=('a', 'b')), 'c'),
    (Field('integer'), True),
    (Field('integer', minimum=1), 0),
    (Field('boolean'), 'true'),
    (Field('array', min_items=1), []),
    (Field('array', items=Field('string')), ['ok', 3]),
])
def test_field_rules(field, value):
    with pytest.raises(ApiError) as caught:
        validate_body({'value': value}, {'value': field})
    assert caught.value.status == 400 and 'value' in caught.value.message


def test_validation_messages_never_echo_values():
    for field in (Field('string', fmt='email'), Field('string', max_length=5), Field('string', enum=('a',))):
        with pytest.raises(ApiError) as caught:
            validate_body({'password': 'Secret-Value-42'}, {'password': field})
        assert 'Secret-Value-42' not in caught.value.message


def test_validate_body_required_unknown_and_null():
    fields = {'name': Field('string', required=True), 'flag': Field('boolean')}
    assert validate_body({'name': 'x', 'extra': 1, 'flag': None}, fields) == {'name': 'x'}
    with pytest.raises(ApiError):
        validate_body({'flag': True}, fields)
    with pytest.raises(ApiError):
        validate_body(['not', 'an', 'object'], fields)


def test_query_int():
    assert query_int({}, 'limit', 10, 1, 400) == 10
    assert query_int({'limit': '7'}, 'limit', 10, 1, 400) == 7
    for raw in ('0', '401', 'x', '1.5'):
        with pytest.raises(ApiError):
            query_int({'limit': raw}, 'limit', 10, 1, 400)


def test_rate_limiter_burst_per_route_and_minute_per_key():
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.check('key', 'getNeonAuth') is None  # disabled by default
    limiter.configure({'enabled': True, 'per_minute': 5, 'burst_per_second': 2, 'retry_after': True})
    assert limiter.check('key', 'getNeonAuth') is None
    assert limiter.check('key', 'getNeonAuth') is None
    assert limiter.check('key', 'getNeonAuth') == (1, True)  # third in the same second on one route
    assert limiter.check('key', 'listProjects') is None  # another route has its own burst budget
    assert limiter.check('other-key', 'getNeonAuth') is None  # another key too
    now[0] += 1.01
    assert limiter.check('key', 'getNeonAuth') is None
    assert limiter.check('key', 'createNeonAuth') is None  # 5th of this key in the minute
    wait, header = limiter.check('key', 'createNeonAuth')
    assert header is True and 58 <= wait <= 60
    now[0] += 60
    assert limiter.check('key', 'createNeonAuth') is None
    limiter.configure({'retry_after': False, 'per_minute': 1})
    assert limiter.check('key', 'x') is None
    assert limiter.check('key', 'x')[1] is False
    with pytest.raises(ApiError):
        limiter.configure({'per_minute': 0})


def test_faults_match_in_order_and_count_down():
    faults = Faults()
    faults.add({'kind': 'status', 'status': 503, 'method': 'post', 'path_regex': '/auth$', 'count': 2})
    faults.add({'kind': 'drop'})
    assert faults.take('GET', '/api/v2/x/auth').kind == 'drop'  # method does not match the first rule
    assert faults.take('POST', '/api/v2/x/auth').status == 503
    assert faults.take('POST', '/api/v2/x/auth').status == 503
    assert faults.take('POST', '/api/v2/x/auth') is None
    assert faults.describe() == []


def test_behaviour_assignments_and_registration():
    assert Behaviour.parse_assignments(['duplicate_email_status=422', 'repeated_transfer=error', 'keys_revoke_previous=true']) == {
        'duplicate_email_status': 422, 'repeated_transfer': 'error', 'keys_revoke_previous': True}
    with pytest.raises(ValueError):
        Behaviour.parse_assignments(['novalue'])
    Behaviour.register('unit_test_switch', 'a', lambda name, value: value)
    try:
        behaviour = Behaviour({'unit_test_switch': 'b'})
        assert behaviour.get('unit_test_switch') == 'b'
        behaviour.update({'unit_test_switch': 'c'})
        behaviour.reset()
        assert behaviour.get('unit_test_switch') == 'b'
    finally:
        del Behaviour.DEFAULTS['unit_test_switch']
        del Behaviour.CHECKS['unit_test_switch']


def test_seed_is_consistent():
    state, seeded_auth = state_from_seed(load_seed(SEED_PATH))
    assert len(state.projects) > 10
    for project in state.projects.values():
        assert sum(1 for branch in project.branches.values() if branch.default) == 1
        for branch in project.branches.values():
            assert 'neondb' in branch.databases and branch.roles
    assert {(project.id, branch.auth.auth_provider) for project, branch, dummy in seeded_auth} == {
        ('stack-project-123456', 'stack'), ('better-auth-project-123456', 'better_auth')}


@pytest.mark.parametrize('seed, message', [
    ({}, 'projects'),
    ({'projects': [{'id': 'Bad'}]}, 'id'),
    ({'projects': [{'id': 'p-1', 'branches': [{'id': 'br-1'}]}]}, 'default'),
    ({'projects': [{'id': 'p-1'}, {'id': 'p-1'}]}, 'duplicate'),
    ({'projects': [{'id': 'p-1', 'branches': [{'id': 'br-1', 'default': True, 'auth': {'auth_provider': 'okta'}}]}]}, 'auth'),
])
def test_seed_errors(seed, message):
    with pytest.raises(SeedError) as caught:
        state_from_seed(json.loads(json.dumps(seed)))
    assert message in str(caught.value)


def test_real_database_names_fit_and_differ():
    long_name = 'x' * 63
    first = real_database_name('p' * 60, 'b' * 60, long_name)
    assert len(first) <= 63 and first.startswith('nemu_')
    assert real_database_name('p-1', 'br-1', 'neondb') != real_database_name('p-1', 'br-2', 'neondb')
    assert real_database_name('p-1', 'br-1', 'My DB').endswith('_my_db')


def test_build_uri_quotes_and_socket_hosts():
    assert build_uri('neondb_owner', 'p@ss/w:rd', '127.0.0.1', 5432, 'db') == 'postgresql://neondb_owner:p%40ss%2Fw%3Ard@127.0.0.1:5432/db'
    assert build_uri('u', None, '/tmp/sock', 5433, 'db') == 'postgresql://u@:5433/db?host=%2Ftmp%2Fsock'
    assert build_uri('u', 'p', '::1', None, 'db') == 'postgresql://u:p@[::1]/db'


def test_stale_temporary_data_dirs_are_removed(tmp_path, monkeypatch):
    from neon_emulator import pg  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(pg.tempfile, 'gettempdir', lambda: str(tmp_path))
    stale = tmp_path / (pg.TEMP_DATA_PREFIX + 'stale')
    fresh = tmp_path / (pg.TEMP_DATA_PREFIX + 'fresh')
    running = tmp_path / (pg.TEMP_DATA_PREFIX + 'running')
    other = tmp_path / 'something-else'
    for path in (stale, fresh, running, other):
        path.mkdir()
    (running / 'postmaster.pid').write_text('%d\n/data\n' % os.getpid())
    old = 1000000000
    for path in (stale, running, other):
        os.utime(str(path), (old, old))
    pg._remove_stale_temp_dirs()  # pylint: disable=protected-access
    assert not stale.exists()
    assert fresh.exists() and running.exists() and other.exists()
