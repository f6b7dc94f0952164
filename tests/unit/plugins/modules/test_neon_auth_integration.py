# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
import requests

from ansible_collections.community.neon.plugins.modules import neon_auth_integration, neon_auth_integration_info

from .conftest import API_KEY

PROJECT = 'demo-project-123456'
MAIN = 'br-main-123456'
BRANCHES = (200, {'branches': [{'id': 'br-dev-123456', 'default': False}, {'id': MAIN, 'default': True}]})
AUTH_PATH = '/projects/%s/branches/%s/auth' % (PROJECT, MAIN)
BETTER = {'auth_provider': 'better_auth', 'auth_provider_project_id': 'ap-1', 'branch_id': MAIN, 'db_name': 'neondb',
          'base_url': 'https://ep-x.neonauth.example/neondb/auth', 'jwks_url': 'https://ep-x.neonauth.example/neondb/auth/.well-known/jwks.json'}
STACK = {'auth_provider': 'stack', 'auth_provider_project_id': 'sp-1', 'branch_id': MAIN, 'db_name': 'neondb', 'owned_by': 'neon'}
CREATED_STACK = dict(STACK, pub_client_key='pck_secret_pub_987', secret_server_key='ssk_secret_srv_654')
NOT_FOUND = (404, {'code': '', 'message': 'not found'})


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault('project_id', PROJECT)
    return run_module(neon_auth_integration.main, args, check_mode=check_mode, diff=diff)


def test_creates_better_auth_on_the_default_branch(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND, (200, BETTER))
    neon.on('POST', AUTH_PATH, (201, dict(BETTER, pub_client_key='', secret_server_key='')))
    result = run(run_module, diff=True)
    assert result['changed'] is True
    assert result['branch_id'] == MAIN and result['branch_chosen'] == 'default'
    assert result['integration']['base_url'] == BETTER['base_url']
    assert result['database_name'] == 'neondb'
    assert result['sdk_keys'] == {'pub_client_key': '', 'secret_server_key': ''}
    assert neon.writes() == [('POST', AUTH_PATH, {'auth_provider': 'better_auth'})]
    assert result['diff']['before'] == {} and 'pub_client_key' not in result['diff']['after']


def test_existing_integration_is_not_changed(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, (200, BETTER))
    result = run(run_module)
    assert result['changed'] is False
    assert 'sdk_keys' not in result
    assert neon.writes() == []


def test_check_mode_sends_no_write(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND)
    result = run(run_module, check_mode=True)
    assert result['changed'] is True
    assert result['integration']['auth_provider'] == 'better_auth'
    assert neon.writes() == []


def test_409_on_create_reads_the_existing_integration(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND, (200, BETTER))
    neon.on('POST', AUTH_PATH, (409, {'code': '', 'message': 'Neon Auth is already enabled for this branch'}))
    result = run(run_module)
    assert result.get('failed') is not True
    assert result['changed'] is False
    assert result['integration']['auth_provider_project_id'] == 'ap-1'


def test_ambiguous_create_failure_reads_before_anything_else(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND, (200, BETTER))
    neon.on('POST', AUTH_PATH, (503, {'code': '', 'message': 'upstream failed'}))
    result = run(run_module)
    assert result['changed'] is True
    assert len(neon.writes()) == 1
    assert 'did not confirm' in str(result.get('warnings'))


def test_ambiguous_create_failure_that_did_nothing_is_read_back_then_sent_again(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND, NOT_FOUND, (200, BETTER))
    neon.on('POST', AUTH_PATH, requests.exceptions.ConnectionError('Connection aborted.'), (201, BETTER))
    result = run(run_module)
    assert result.get('failed') is not True and result['changed'] is True
    assert [c[0] for c in neon.calls if c[1] == AUTH_PATH] == ['GET', 'POST', 'GET', 'POST', 'GET']
    assert 'warnings' not in result


def test_ambiguous_create_failure_that_never_applies_fails_when_the_budget_is_spent(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND)
    neon.on('POST', AUTH_PATH, requests.exceptions.ConnectionError('Connection aborted.'))
    result = run(run_module, api_retry_budget=0)
    assert result['failed'] is True
    assert 'nothing was created' in result['msg'] and 'did not show the write applied' in result['msg']
    assert len(neon.writes()) == 1


def test_ambiguous_delete_failure_that_did_nothing_is_sent_again(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, (200, BETTER), (200, BETTER), NOT_FOUND)
    neon.on('DELETE', AUTH_PATH, (502, {'code': '', 'message': 'bad gateway'}), (200, None))
    result = run(run_module, state='absent')
    assert result.get('failed') is not True and result['changed'] is True
    assert [c[0] for c in neon.writes()] == ['DELETE', 'DELETE']


def test_differing_database_fails_and_names_it(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, (200, BETTER))
    result = run(run_module, database_name='otherdb')
    assert result['failed'] is True
    assert 'db_name is neondb, asked otherdb' in result['msg']
    assert neon.writes() == []


def test_stack_create_returns_keys_once_and_never_in_diff_or_msg(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': []}), (200, {'data': [STACK]}))
    neon.on('POST', '/projects/auth/create', (201, CREATED_STACK))
    result = run(run_module, auth_provider='stack', role_name='neondb_owner', diff=True)
    assert result['changed'] is True
    assert result['sdk_keys']['secret_server_key'] == 'ssk_secret_srv_654'
    assert 'ssk_secret_srv_654' not in str(result['diff']) and 'ssk_secret_srv_654' not in str(result['integration'])
    body = neon.writes()[0][2]
    assert body == {'auth_provider': 'stack', 'project_id': PROJECT, 'branch_id': MAIN, 'role_name': 'neondb_owner'}


def test_stack_existing_on_another_branch_fails(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': [dict(STACK, branch_id='br-dev-123456')]}))
    result = run(run_module, auth_provider='stack')
    assert result['failed'] is True and 'branch_id is br-dev-123456, asked br-main-123456' in result['msg']


@pytest.mark.parametrize('delete_status', [200, 204, 404])
def test_absent_deletes_once_and_accepts_any_repeated_delete_answer(neon, run_module, delete_status):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, (200, BETTER))
    neon.on('DELETE', AUTH_PATH, (delete_status, None))
    result = run(run_module, state='absent', delete_data=True)
    assert result['changed'] is True
    assert neon.writes() == [('DELETE', AUTH_PATH, {'delete_data': True})]


def test_absent_when_gone_sends_nothing(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, NOT_FOUND)
    result = run(run_module, state='absent')
    assert result['changed'] is False and neon.writes() == []


def test_stack_absent_needs_no_branch_lookup(neon, run_module):
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': [STACK]}))
    neon.on('DELETE', '/projects/%s/auth/integration/stack' % PROJECT, (200, None))
    result = run(run_module, state='absent', auth_provider='stack')
    assert result['changed'] is True
    assert [c[1] for c in neon.calls] == ['/projects/%s/auth/integrations' % PROJECT, '/projects/%s/auth/integration/stack' % PROJECT]


@pytest.mark.parametrize('args, fragment', [
    ({'project_id': 'Bad_Project'}, 'not a valid Neon id'),
    ({'branch_id': 'x' * 61}, 'not a valid Neon id'),
    ({'api_endpoint': 'http://neon.example.com/api/v2'}, 'not loopback'),
    ({'api_endpoint': 'ftp://x'}, 'not an http(s) URL'),
    ({'api_endpoint': ''}, 'api_endpoint is empty'),
    ({'auth_provider': 'firebase'}, 'value of auth_provider must be one of'),
    ({'database_name': ''}, 'database_name is empty'),
    ({'role_name': ' '}, 'role_name is empty'),
])
def test_bad_input_fails_before_any_request(neon, run_module, args, fragment):
    result = run(run_module, **args)
    assert result['failed'] is True and fragment in result['msg']
    assert neon.calls == []


def test_missing_api_key_names_option_and_variable(neon, run_module, monkeypatch):
    monkeypatch.delenv('NEON_API_KEY', raising=False)
    result = run(run_module, api_key='')
    assert result['failed'] is True
    assert 'api_key' in result['msg'] and 'NEON_API_KEY' in result['msg']
    assert neon.calls == []


def test_api_error_shows_status_and_request_id_never_the_key(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, (500, {'code': 'INTERNAL', 'message': 'boom %s' % API_KEY, 'request_id': 'rid-1'}))
    result = run(run_module, api_retry_budget=0)
    assert result['failed'] is True
    assert 'rid-1' in result['msg'] and 'HTTP 500' in result['msg']
    assert API_KEY not in result['_raw']


def test_numeric_branch_id_round_trips_as_string(neon, run_module):
    neon.on('GET', '/projects/%s/branches/2024' % PROJECT, (200, {'branch': {'id': '2024', 'default': False}}))
    neon.on('GET', '/projects/%s/branches/2024/auth' % PROJECT, (200, dict(BETTER, branch_id='2024')))
    result = run(run_module, branch_id=2024)
    assert result['changed'] is False and result['branch_id'] == '2024'


def test_info_reads_every_branch(neon, run_module):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', AUTH_PATH, (200, BETTER))
    neon.on('GET', '/projects/%s/branches/br-dev-123456/auth' % PROJECT, NOT_FOUND)
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': []}))
    result = run_module(neon_auth_integration_info.main, {'project_id': PROJECT}, check_mode=True)
    assert result['changed'] is False
    assert [i['branch_id'] for i in result['integrations']] == [MAIN]
    assert sorted(result['branches_read']) == sorted(['br-dev-123456', MAIN])
