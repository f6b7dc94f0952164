# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.community.neon.plugins.modules import neon_auth_oauth_provider
from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import (  # pylint: disable=unused-import
    FakeResponse,
    auth,
    base_args,
    error,
)

SECRET = 'gcs-very-secret-2f9d'
GOOGLE = dict(id='google', type='standard', client_id='cid-1', client_secret=SECRET)


def run(run_module, check_mode=False, diff=False, **args):
    return run_module(neon_auth_oauth_provider.main, base_args(**args), check_mode=check_mode, diff=diff)


def test_shared_create_then_nothing(auth, run_module):
    result = run(run_module, id='github', type='shared')
    assert result['changed'] is True and result['provider'] == dict(id='github', type='shared')
    assert auth.writes()[0][2] == dict(id='github')
    assert auth.write_paths() == ['POST /oauth_providers']
    auth.calls = []
    assert run(run_module, id='github')['changed'] is False
    assert auth.writes() == []


def test_standard_create_sends_secret_once_and_never_shows_it(auth, run_module):
    result = run(run_module, diff=True, **GOOGLE)
    assert result['changed'] is True and result['secret_sent'] is True
    assert auth.writes()[0][2] == dict(id='google', client_id='cid-1', client_secret=SECRET)
    assert result['provider'] == dict(id='google', type='standard', client_id='cid-1')
    assert SECRET not in result['_raw']
    auth.calls = []
    again = run(run_module, diff=True, **GOOGLE)
    assert again['changed'] is False and again['secret_sent'] is False and auth.writes() == []
    assert SECRET not in again['_raw']


def test_secret_in_list_answer_is_hidden(auth, run_module):
    auth.providers['google'] = dict(id='google', type='standard', client_id='cid-1', client_secret='listed-secret-77')
    auth.list_secrets = True
    result = run(run_module, diff=True, id='google', client_id='cid-2')
    assert 'listed-secret-77' not in result['_raw']
    assert result['diff']['before'] == dict(id='google', type='standard', client_id='cid-1')


def test_changed_client_id_patches_only_that(auth, run_module):
    auth.providers['google'] = dict(id='google', type='standard', client_id='cid-1', client_secret=SECRET)
    result = run(run_module, id='google', client_id='cid-2', client_secret='another-secret')
    assert result['changed'] is True and result['secret_sent'] is False
    assert auth.write_paths() == ['PATCH /oauth_providers/google']
    assert auth.writes()[0][2] == dict(client_id='cid-2')
    assert auth.providers['google']['client_secret'] == SECRET


def test_update_secret_always_sends_it_every_run(auth, run_module):
    auth.providers['google'] = dict(id='google', type='standard', client_id='cid-1', client_secret='old')
    for dummy in range(2):
        auth.calls = []
        result = run(run_module, update_secret='always', **GOOGLE)
        assert result['changed'] is True and result['secret_sent'] is True
        assert auth.writes()[0][2] == dict(client_secret=SECRET)
        assert SECRET not in result['_raw']


def test_type_change_is_delete_then_add(auth, run_module):
    auth.providers['google'] = dict(id='google', type='shared')
    result = run(run_module, **GOOGLE)
    assert result['changed'] is True
    assert auth.write_paths() == ['DELETE /oauth_providers/google', 'POST /oauth_providers']
    assert auth.providers['google']['type'] == 'standard'
    auth.calls = []
    result = run(run_module, id='google', type='shared')
    assert auth.write_paths() == ['DELETE /oauth_providers/google', 'POST /oauth_providers']
    assert auth.providers['google'] == dict(id='google', type='shared')


def test_type_change_to_standard_without_credentials_fails_before_deleting(auth, run_module):
    auth.providers['google'] = dict(id='google', type='shared')
    result = run(run_module, id='google', type='standard', client_id='cid-1')
    assert result['failed'] is True and 'needs client_secret' in result['msg']
    assert auth.writes() == []


def test_microsoft_tenant_sent_along_when_not_readable(auth, run_module):
    args = dict(id='microsoft', client_id='mc', client_secret=SECRET, microsoft_tenant_id='tenant-1')
    result = run(run_module, **args)
    assert auth.writes()[0][2] == dict(id='microsoft', client_id='mc', client_secret=SECRET, microsoft_tenant_id='tenant-1')
    assert result['provider']['microsoft_tenant_id'] == 'tenant-1'
    auth.calls = []
    # The list does not return the tenant: it cannot be compared, so nothing is sent for it alone.
    assert run(run_module, **args)['changed'] is False
    auth.calls = []
    args['client_id'] = 'mc-2'
    run(run_module, **args)
    assert auth.writes()[0][2] == dict(client_id='mc-2', microsoft_tenant_id='tenant-1')


def test_invalid_shared_provider_gets_a_clear_message(auth, run_module):
    result = run(run_module, id='microsoft')
    assert result['failed'] is True
    assert 'Neon has no shared (development) credentials for microsoft' in result['msg']
    assert 'type=standard with client_id and client_secret' in result['msg']


def test_absent_then_absent_again(auth, run_module):
    auth.providers['vercel'] = dict(id='vercel', type='shared')
    result = run(run_module, id='vercel', state='absent', diff=True)
    assert result['changed'] is True and result['provider'] == {}
    assert result['diff'] == dict(before=dict(id='vercel', type='shared'), after={})
    assert auth.write_paths() == ['DELETE /oauth_providers/vercel']
    auth.calls = []
    assert run(run_module, id='vercel', state='absent')['changed'] is False
    assert auth.writes() == []


def test_delete_of_already_gone_is_fine(auth, run_module):
    auth.providers['vercel'] = dict(id='vercel', type='shared')
    auth.fault('DELETE', '/oauth_providers/vercel', error(404, 'provider not found'))
    result = run(run_module, id='vercel', state='absent')
    assert result['changed'] is True and 'failed' not in result


def test_check_mode_writes_nothing(auth, run_module):
    result = run(run_module, check_mode=True, **GOOGLE)
    assert result['changed'] is True and auth.writes() == []
    assert result['provider'] == dict(id='google', type='standard', client_id='cid-1')
    auth.providers['github'] = dict(id='github', type='shared')
    assert run(run_module, check_mode=True, id='github', state='absent')['changed'] is True
    assert auth.writes() == [] and 'github' in auth.providers


def test_concurrent_add_is_compared_not_failed(auth, run_module):
    auth.providers['github'] = dict(id='github', type='shared')
    # The first read does not see it yet; the add then answers 409.
    auth.fault('GET', '/oauth_providers$', FakeResponse(200, dict(providers=[])))
    result = run(run_module, id='github', type='shared')
    assert 'failed' not in result and result['changed'] is False
    assert auth.write_paths() == ['POST /oauth_providers']


def test_bad_input(auth, run_module):
    assert 'do not give client_id' in run(run_module, id='github', type='shared', client_id='x')['msg']
    assert 'only applies to id=microsoft' in run(run_module, id='github', microsoft_tenant_id='t')['msg']
    assert 'state=absent takes only id' in run(run_module, id='github', state='absent', client_id='x')['msg']
    assert 'client_id is empty' in run(run_module, id='github', client_id=' ')['msg']
    result = run(run_module, id='gitlab')
    assert result['failed'] is True and 'exception' not in result
    assert auth.calls == []
    result = run(run_module, id='google', client_id='cid')
    assert 'needs client_secret' in result['msg'] and auth.writes() == []


def test_ambiguous_secret_only_update_is_sent_again(auth, run_module):
    import requests
    auth.providers['google'] = dict(id='google', type='standard', client_id='cid-1', client_secret='old')
    auth.fault('PATCH', '/oauth_providers/google', requests.exceptions.ReadTimeout('timed out'), apply_first=True)
    result = run(run_module, update_secret='always', **GOOGLE)
    # a secret cannot be read back, so the (replacing) PATCH is sent again until Neon confirms it
    assert 'failed' not in result and result['changed'] is True and result['secret_sent'] is True
    assert SECRET not in result['_raw']
    assert auth.write_paths() == ['PATCH /oauth_providers/google'] * 2


def test_ambiguous_secret_only_update_fails_when_never_confirmed(auth, run_module):
    import requests
    auth.providers['google'] = dict(id='google', type='standard', client_id='cid-1', client_secret='old')
    for dummy in range(20):
        auth.fault('PATCH', '/oauth_providers/google', requests.exceptions.ReadTimeout('timed out'), apply_first=True)
    result = run(run_module, update_secret='always', api_retry_budget=0, **GOOGLE)
    assert result['failed'] is True and 'Could not update the OAuth provider google' in result['msg']
    assert SECRET not in result['_raw']
    assert auth.write_paths() == ['PATCH /oauth_providers/google']
