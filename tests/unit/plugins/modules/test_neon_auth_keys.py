# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat

import requests

from ansible_collections.community.neon.plugins.module_utils import _envfile
from ansible_collections.community.neon.plugins.modules import neon_auth_keys

PROJECT = 'stack-project-123456'
INTEGRATIONS = '/projects/%s/auth/integrations' % PROJECT
JWKS = 'https://api.stack-auth.com/api/v1/projects/sp-1/.well-known/jwks.json'
STACK = {'auth_provider': 'stack', 'auth_provider_project_id': 'sp-1', 'branch_id': 'br-main-123456',
         'db_name': 'neondb', 'owned_by': 'neon', 'jwks_url': JWKS}
PUB = 'pck_unit_pub_5e1f0a'
SECRET = 'ssk_unit_secret_9b2c4d'
MINTED = (201, {'auth_provider': 'stack', 'auth_provider_project_id': 'sp-1', 'pub_client_key': PUB,
                'secret_server_key': SECRET, 'jwks_url': JWKS, 'schema_name': 'neon_auth', 'table_name': 'users_sync'})
OTHER_LINES = 'DATABASE_URL="postgresql://app:pw@ep-x/neondb"\n# keep me\nexport PORT=3000\n'
HELD = ('NEXT_PUBLIC_STACK_PROJECT_ID=sp-1\nNEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY=pck_held_1\n'
        'STACK_SECRET_SERVER_KEY=ssk_held_2\nNEON_AUTH_JWKS_URL=%s\n' % JWKS)


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault('project_id', PROJECT)
    return run_module(neon_auth_keys.main, args, check_mode=check_mode, diff=diff)


def with_stack(neon, *mint_answers):
    neon.on('GET', INTEGRATIONS, (200, {'data': [STACK]}))
    if mint_answers:
        neon.on('POST', '/projects/auth/keys', *mint_answers)


def key_posts(neon):
    return [c for c in neon.calls if c[0] == 'POST' and c[1] == '/projects/auth/keys']


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(str(path), mode)


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def assert_no_key_outside_keys(result, *secrets):
    """Keys may be in result['sdk_keys'] only: never in msg, warnings, diff or anything else."""
    rest = dict((k, v) for k, v in result.items() if k not in ('sdk_keys', '_raw'))
    for secret in secrets:
        assert secret not in str(rest)


# -- without dest: an action ---------------------------------------------------------------------------------------

def test_without_dest_every_run_mints_and_returns_keys(neon, run_module):
    with_stack(neon, MINTED)
    result = run(run_module)
    assert result['changed'] is True and result['minted'] is True
    assert result['sdk_keys'] == {'auth_provider_project_id': 'sp-1', 'pub_client_key': PUB,
                                  'secret_server_key': SECRET, 'jwks_url': JWKS}
    assert result['sdk_keys_source'] == 'minted'
    assert key_posts(neon) == [('POST', '/projects/auth/keys', {'project_id': PROJECT, 'auth_provider': 'stack'})]
    assert 'dest' not in result and 'diff' not in result
    assert_no_key_outside_keys(result, PUB, SECRET)


def test_check_mode_never_calls_the_keys_endpoint(neon, run_module):
    with_stack(neon, MINTED)
    result = run(run_module, check_mode=True)
    assert result['changed'] is True and result['minted'] is True
    assert 'sdk_keys' not in result
    assert neon.writes() == []


# -- with dest ------------------------------------------------------------------------------------------------------

def test_writes_keys_to_a_new_env_file_with_mode_0600(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env.local'
    result = run(run_module, dest=str(dest), diff=True)
    assert result['changed'] is True and result['sdk_keys_source'] == 'minted'
    assert dest.read_text() == (
        'NEXT_PUBLIC_STACK_PROJECT_ID=sp-1\nNEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY=%s\n'
        'STACK_SECRET_SERVER_KEY=%s\nNEON_AUTH_JWKS_URL=%s\n' % (PUB, SECRET, JWKS))
    assert mode_of(dest) == 0o600
    assert result['variables_changed'] == ['NEXT_PUBLIC_STACK_PROJECT_ID', 'NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY',
                                           'STACK_SECRET_SERVER_KEY', 'NEON_AUTH_JWKS_URL']
    assert 'STACK_SECRET_SERVER_KEY=********' in result['diff']['after']
    assert_no_key_outside_keys(result, PUB, SECRET)


def test_other_lines_of_the_app_env_file_are_kept(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES + 'NEXT_PUBLIC_STACK_PROJECT_ID=old-project\n', 0o640)
    result = run(run_module, dest=str(dest), mode='0640')
    assert result['changed'] is True
    text = dest.read_text()
    assert text.startswith(OTHER_LINES + 'NEXT_PUBLIC_STACK_PROJECT_ID=sp-1\n')
    assert 'STACK_SECRET_SERVER_KEY=%s\n' % SECRET in text
    assert mode_of(dest) == 0o640


def test_keys_already_in_dest_mean_no_request_and_no_change(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES + HELD)
    result = run(run_module, dest=str(dest))
    assert result['changed'] is False and result['minted'] is False
    assert key_posts(neon) == []
    assert result['sdk_keys'] == {'auth_provider_project_id': 'sp-1', 'pub_client_key': 'pck_held_1',
                                  'secret_server_key': 'ssk_held_2', 'jwks_url': JWKS}
    assert result['sdk_keys_source'] == 'dest'
    assert dest.read_text() == OTHER_LINES + HELD


def test_keys_in_dest_are_not_minted_in_check_mode_either(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD)
    result = run(run_module, dest=str(dest), check_mode=True)
    assert result['changed'] is False
    assert neon.writes() == []


def test_held_keys_with_a_stale_jwks_url_and_mode_are_fixed_without_minting(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD.replace(JWKS, 'https://old.example/jwks.json'), 0o644)
    result = run(run_module, dest=str(dest), diff=True)
    assert result['changed'] is True and result['minted'] is False
    assert key_posts(neon) == []
    assert result['variables_changed'] == ['NEON_AUTH_JWKS_URL']
    assert mode_of(dest) == 0o600
    assert 'pck_held_1' in dest.read_text()
    assert_no_key_outside_keys(result, 'pck_held_1', 'ssk_held_2')


def test_keys_of_another_auth_project_are_replaced(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD.replace('=sp-1', '=sp-old'))
    result = run(run_module, dest=str(dest))
    assert result['changed'] is True and len(key_posts(neon)) == 1
    assert 'NEXT_PUBLIC_STACK_PROJECT_ID=sp-1\n' in dest.read_text()


def test_an_empty_key_in_dest_means_minting(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD.replace('ssk_held_2', ''))
    result = run(run_module, dest=str(dest))
    assert result['minted'] is True and len(key_posts(neon)) == 1


def test_rotate_mints_even_when_dest_holds_keys(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES + HELD)
    result = run(run_module, dest=str(dest), rotate=True, diff=True)
    assert result['changed'] is True and result['minted'] is True
    assert len(key_posts(neon)) == 1
    assert dest.read_text() == OTHER_LINES + HELD.replace('pck_held_1', PUB).replace('ssk_held_2', SECRET)
    assert result['variables_changed'] == ['NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY', 'STACK_SECRET_SERVER_KEY']
    assert_no_key_outside_keys(result, PUB, SECRET, 'pck_held_1', 'ssk_held_2')


def test_check_mode_with_dest_shows_what_would_change_and_writes_nothing(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES)
    result = run(run_module, dest=str(dest), check_mode=True, diff=True)
    assert result['changed'] is True and 'sdk_keys' not in result
    assert neon.writes() == []
    assert dest.read_text() == OTHER_LINES
    assert 'STACK_SECRET_SERVER_KEY=******** (new value)' in result['diff']['after']


# -- failures -------------------------------------------------------------------------------------------------------

def test_better_auth_fails_with_an_explanation_before_any_request(neon, run_module):
    result = run(run_module, auth_provider='better_auth')
    assert result['failed'] is True
    assert 'Better Auth integrations have no SDK keys' in result['msg']
    assert 'base_url' in result['msg'] and 'jwks_url' in result['msg']
    assert neon.calls == []


def test_no_stack_integration_fails_without_minting(neon, run_module, tmp_path):
    neon.on('GET', INTEGRATIONS, (200, {'data': []}))
    result = run(run_module, dest=str(tmp_path / '.env'))
    assert result['failed'] is True
    assert 'run community.neon.neon_auth_integration first' in result['msg']
    assert neon.writes() == []
    assert not (tmp_path / '.env').exists()


def test_bad_input_fails_before_any_request(neon, run_module, tmp_path):
    for args, words in (
        (dict(mode='u=rw'), 'is not a file mode'),
        (dict(dest='relative/.env'), 'must be an absolute path'),
        (dict(dest=str(tmp_path / 'missing' / '.env')), 'does not exist'),
        (dict(dest=str(tmp_path)), 'is a directory'),
        (dict(project_id='Not_An_Id'), 'not a valid Neon id'),
    ):
        result = run(run_module, **args)
        assert result['failed'] is True, args
        assert words in result['msg'], result['msg']
        assert 'exception' not in result
    assert neon.calls == []


def test_an_ambiguous_failure_writes_nothing_and_says_to_run_again(neon, run_module, tmp_path):
    with_stack(neon, (503, {'code': '', 'message': 'upstream failed'}))
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES, 0o644)
    result = run(run_module, dest=str(dest))
    assert result['failed'] is True
    assert 'may have minted new keys' in result['msg'] and 'Run the task again' in result['msg']
    assert 'is unchanged' in result['msg']
    assert len(key_posts(neon)) == 1
    assert dest.read_text() == OTHER_LINES and mode_of(dest) == 0o644


def test_a_dropped_connection_is_ambiguous_too(neon, run_module):
    with_stack(neon, requests.exceptions.ConnectionError('reset by peer'))
    result = run(run_module)
    assert result['failed'] is True and 'may have minted new keys' in result['msg']


def test_a_refusal_says_no_keys_were_minted(neon, run_module):
    with_stack(neon, (400, {'code': '', 'message': 'keys are not supported for this integration'}))
    result = run(run_module)
    assert result['failed'] is True
    assert 'no keys were minted' in result['msg'] and result['api_error']['status'] == 400


def test_an_answer_without_keys_is_not_written(neon, run_module, tmp_path):
    with_stack(neon, (201, {'auth_provider_project_id': 'sp-1', 'pub_client_key': '', 'secret_server_key': ''}))
    dest = tmp_path / '.env'
    result = run(run_module, dest=str(dest))
    assert result['failed'] is True and 'without a publishable and a secret key' in result['msg']
    assert not dest.exists()


def test_a_failed_write_after_minting_masks_the_keys_and_keeps_the_old_file(neon, run_module, tmp_path, monkeypatch):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES)

    def broken_rename(src, dst):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(_envfile.os, 'rename', broken_rename)
    result = run(run_module, dest=str(dest))
    assert result['failed'] is True
    assert 'old file is unchanged' in result['msg'] and 'lost' in result['msg']
    assert dest.read_text() == OTHER_LINES
    assert PUB not in result['_raw'] and SECRET not in result['_raw']
