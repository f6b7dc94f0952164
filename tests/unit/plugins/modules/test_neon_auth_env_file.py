# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.community.neon.plugins.module_utils import _envfile
from ansible_collections.community.neon.plugins.modules import neon_auth_env_file

from .conftest import API_KEY

PROJECT = 'demo-project-123456'
MAIN = 'br-main-123456'
DEV = 'br-dev-123456'
BRANCHES = (200, {'branches': [{'id': DEV, 'default': False}, {'id': MAIN, 'default': True}]})
NOT_FOUND = (404, {'code': '', 'message': 'not found'})

BASE_URL = 'https://ep-main.neonauth.us-east-2.aws.neon.tech/neondb/auth'
BA_JWKS = BASE_URL + '/.well-known/jwks.json'
BETTER = {'auth_provider': 'better_auth', 'auth_provider_project_id': 'ap-1', 'branch_id': MAIN, 'db_name': 'neondb',
          'owned_by': 'neon', 'base_url': BASE_URL, 'jwks_url': BA_JWKS}

STACK_JWKS = 'https://api.stack-auth.com/api/v1/projects/sp-1/.well-known/jwks.json'
STACK = {'auth_provider': 'stack', 'auth_provider_project_id': 'sp-1', 'branch_id': MAIN, 'db_name': 'neondb',
         'owned_by': 'neon', 'jwks_url': STACK_JWKS}
PUB = 'pck_env_unit_pub_31d7'
SECRET = 'ssk_env_unit_secret_8a42'
MINTED = (201, {'auth_provider': 'stack', 'auth_provider_project_id': 'sp-1', 'pub_client_key': PUB,
                'secret_server_key': SECRET, 'jwks_url': STACK_JWKS, 'schema_name': 'neon_auth', 'table_name': 'users_sync'})
HELD_PUB = 'pck_held_in_file_11'
HELD_SECRET = 'ssk_held_in_file_22'
HELD = ('NEXT_PUBLIC_STACK_PROJECT_ID=sp-1\nNEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY=%s\nSTACK_SECRET_SERVER_KEY=%s\n'
        'NEON_AUTH_JWKS_URL=%s\n' % (HELD_PUB, HELD_SECRET, STACK_JWKS))

DB_PASSWORD = 'npg_DbPassw0rdUnit77'
DB_URL = 'postgresql://neondb_owner:%s@ep-main-123456.us-east-2.aws.neon.tech/neondb?sslmode=require' % DB_PASSWORD
DB_LINE = "DATABASE_URL='%s'\n" % DB_URL  # '?' is not among the characters written bare
DATABASES = (200, {'databases': [{'name': 'neondb', 'owner_name': 'neondb_owner'},
                                 {'name': 'appdb', 'owner_name': 'app_owner'}]})

OTHER_LINES = ('# the app\'s own settings\n'
               'export PORT=3000\n'
               "GREETING='hello $USER'   \n"
               '\n'
               'SESSION_SECRET="keep me, I am not Neon\'s"\n')

BETTER_NAMES = ['DATABASE_URL', 'NEON_AUTH_BASE_URL', 'NEON_AUTH_JWKS_URL']
STACK_NAMES = ['DATABASE_URL', 'NEON_AUTH_JWKS_URL', 'NEXT_PUBLIC_STACK_PROJECT_ID',
               'NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY', 'STACK_SECRET_SERVER_KEY']


def auth_path(branch=MAIN):
    return '/projects/%s/branches/%s/auth' % (PROJECT, branch)


def with_better_auth(neon, integration=None, branch=MAIN):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', auth_path(branch), (200, integration or BETTER))
    with_database(neon, branch)


def with_stack(neon, *mint_answers):
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': [STACK]}))
    with_database(neon)
    if mint_answers:
        neon.on('POST', '/projects/auth/keys', *mint_answers)


def with_database(neon, branch=MAIN):
    neon.on('GET', '/projects/%s/branches/%s/databases' % (PROJECT, branch), DATABASES)
    neon.on('GET', '/projects/%s/connection_uri' % PROJECT, (200, {'uri': DB_URL}))


def run(run_module, dest, check_mode=False, diff=False, **args):
    args.setdefault('project_id', PROJECT)
    args['dest'] = str(dest)
    return run_module(neon_auth_env_file.main, args, check_mode=check_mode, diff=diff)


def key_requests(neon):
    return [c for c in neon.calls if c[1] == '/projects/auth/keys']


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(str(path), mode)


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def file_variables(path):
    """The variables as an app's dotenv reader sees them."""
    return _envfile.read_variables(str(path))


def assert_no_secret_in_output(result, *secrets):
    """The whole printed result (msg, warnings, diff, every return value) holds none of the secrets."""
    for secret in secrets:
        assert secret not in result['_raw']


# -- Better Auth ------------------------------------------------------------------------------------------------------

def test_better_auth_writes_its_urls_and_the_database_url_mode_0600(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    result = run(run_module, dest, diff=True)
    assert result['changed'] is True and result['minted'] is False
    assert result['variables'] == BETTER_NAMES
    assert result['variables_changed'] == ['NEON_AUTH_BASE_URL', 'NEON_AUTH_JWKS_URL', 'DATABASE_URL']
    assert result['branch_id'] == MAIN and result['database_name'] == 'neondb'
    assert file_variables(dest) == {'NEON_AUTH_BASE_URL': BASE_URL, 'NEON_AUTH_JWKS_URL': BA_JWKS, 'DATABASE_URL': DB_URL}
    assert mode_of(dest) == 0o600
    assert neon.writes() == []
    assert 'NEON_AUTH_BASE_URL=******** (new value)' in result['diff']['after']
    assert_no_secret_in_output(result, DB_PASSWORD)


def test_better_auth_second_run_changes_nothing(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    run(run_module, dest)
    before = dest.read_bytes()
    result = run(run_module, dest, diff=True)
    assert result['changed'] is False
    assert result['variables_changed'] == []
    assert dest.read_bytes() == before
    assert neon.writes() == []


def test_better_auth_on_a_given_branch_and_database(neon, run_module, tmp_path):
    with_better_auth(neon, dict(BETTER, branch_id=DEV), branch=DEV)
    dest = tmp_path / '.env'
    result = run(run_module, dest, branch_id=DEV, database_name='appdb')
    assert result['changed'] is True
    assert result['branch_id'] == DEV and result['database_name'] == 'appdb'
    uri_query = [c for c in neon.calls if c[1].endswith('/connection_uri')]
    assert len(uri_query) == 1
    assert not [c for c in neon.calls if c[1] == '/projects/%s/branches' % PROJECT], 'a given branch needs no branch list'


def test_better_auth_without_database_url(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    result = run(run_module, dest, database_url=False)
    assert result['variables'] == ['NEON_AUTH_BASE_URL', 'NEON_AUTH_JWKS_URL']
    assert 'database_name' not in result
    assert 'DATABASE_URL' not in file_variables(dest)
    assert not [c for c in neon.calls if 'connection_uri' in c[1] or c[1].endswith('/databases')]


def test_rotate_keys_is_refused_for_better_auth_before_any_request(neon, run_module, tmp_path):
    result = run(run_module, tmp_path / '.env', rotate_keys=True)
    assert result['failed'] is True
    assert 'rotate_keys applies to auth_provider=stack only' in result['msg']
    assert neon.calls == []


# -- other lines and the file mode ------------------------------------------------------------------------------------

def test_other_lines_are_kept_byte_for_byte_and_stale_values_replaced_in_place(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES + 'NEON_AUTH_BASE_URL=https://old.example/auth\n# tail comment\n')
    result = run(run_module, dest)
    assert result['changed'] is True
    assert dest.read_text() == (OTHER_LINES + 'NEON_AUTH_BASE_URL=%s\n# tail comment\n'
                                'NEON_AUTH_JWKS_URL=%s\n' % (BASE_URL, BA_JWKS) + DB_LINE)


def test_a_file_with_a_wider_mode_is_set_to_0600_without_rewriting_it(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    run(run_module, dest)
    os.chmod(str(dest), 0o644)
    inode = os.stat(str(dest)).st_ino
    result = run(run_module, dest, diff=True)
    assert result['changed'] is True and result['variables_changed'] == []
    assert mode_of(dest) == 0o600
    assert os.stat(str(dest)).st_ino == inode
    assert result['diff']['before'].startswith('# mode 0644') and result['diff']['after'].startswith('# mode 0600')


@pytest.mark.parametrize('mode, expected', [('0640', 0o640), ('640', 0o640), (0o640, 0o640)])
def test_the_mode_option_takes_octal_strings_and_numbers(neon, run_module, tmp_path, mode, expected):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    result = run(run_module, dest, mode=mode)
    assert result['changed'] is True
    assert mode_of(dest) == expected


# -- Stack Auth: keys -------------------------------------------------------------------------------------------------

def test_stack_keys_held_in_the_file_are_reused_without_a_keys_request(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES + HELD)
    result = run(run_module, dest, auth_provider='stack', diff=True)
    assert result['minted'] is False
    assert key_requests(neon) == []
    assert result['variables'] == STACK_NAMES
    assert result['variables_changed'] == ['DATABASE_URL']
    assert result['branch_id'] == MAIN, 'the Stack integration tells the branch'
    assert dest.read_text() == OTHER_LINES + HELD + DB_LINE
    assert_no_secret_in_output(result, HELD_PUB, HELD_SECRET, DB_PASSWORD)

    again = run(run_module, dest, auth_provider='stack')
    assert again['changed'] is False and again['minted'] is False
    assert key_requests(neon) == [] and neon.writes() == []


def test_stack_keys_passed_in_are_written_instead_of_minting(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    given = {'pub_client_key': 'pck_from_create_55', 'secret_server_key': 'ssk_from_create_66'}
    result = run(run_module, dest, auth_provider='stack', sdk_keys=given)
    assert result['changed'] is True and result['minted'] is False
    assert key_requests(neon) == []
    assert file_variables(dest) == {
        'NEXT_PUBLIC_STACK_PROJECT_ID': 'sp-1', 'NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY': 'pck_from_create_55',
        'STACK_SECRET_SERVER_KEY': 'ssk_from_create_66', 'NEON_AUTH_JWKS_URL': STACK_JWKS, 'DATABASE_URL': DB_URL}
    assert_no_secret_in_output(result, 'pck_from_create_55', 'ssk_from_create_66', DB_PASSWORD)


def test_keys_in_the_file_win_over_keys_passed_in(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD)
    result = run(run_module, dest, auth_provider='stack', database_url=False,
                 sdk_keys={'pub_client_key': 'pck_other_1', 'secret_server_key': 'ssk_other_2'})
    assert result['changed'] is False
    assert dest.read_text() == HELD


@pytest.mark.parametrize('given', [
    {'pub_client_key': 'pck_x', 'secret_server_key': 'ssk_x', 'auth_provider_project_id': 'sp-another-project'},
    {'pub_client_key': 'pck_x', 'secret_server_key': ''},
    {'pub_client_key': '', 'secret_server_key': ''},
], ids=['another-stack-project', 'half-a-key-set', 'better-auth-empty-keys'])
def test_keys_passed_in_that_do_not_fit_are_not_used(neon, run_module, tmp_path, given):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    result = run(run_module, dest, auth_provider='stack', sdk_keys=given)
    assert result['minted'] is True and len(key_requests(neon)) == 1
    assert file_variables(dest)['STACK_SECRET_SERVER_KEY'] == SECRET


def test_stack_without_keys_anywhere_mints_one_set(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES, 0o600)
    result = run(run_module, dest, auth_provider='stack', diff=True)
    assert result['changed'] is True and result['minted'] is True
    assert key_requests(neon) == [('POST', '/projects/auth/keys', {'project_id': PROJECT, 'auth_provider': 'stack'})]
    assert dest.read_text().startswith(OTHER_LINES)
    assert file_variables(dest)['NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY'] == PUB
    assert 'sdk_keys' not in result, 'the env file module never returns keys'
    assert_no_secret_in_output(result, PUB, SECRET, DB_PASSWORD)


def test_keys_of_another_stack_project_in_the_file_are_replaced(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD.replace('=sp-1', '=sp-old'))
    result = run(run_module, dest, auth_provider='stack')
    assert result['minted'] is True and len(key_requests(neon)) == 1
    assert file_variables(dest)['NEXT_PUBLIC_STACK_PROJECT_ID'] == 'sp-1'
    assert file_variables(dest)['STACK_SECRET_SERVER_KEY'] == SECRET


def test_rotate_keys_mints_even_when_the_file_holds_keys(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES + HELD)
    result = run(run_module, dest, auth_provider='stack', rotate_keys=True, database_url=False, diff=True,
                 sdk_keys={'pub_client_key': 'pck_given', 'secret_server_key': 'ssk_given'})
    assert result['changed'] is True and result['minted'] is True
    assert len(key_requests(neon)) == 1
    assert result['variables_changed'] == ['NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY', 'STACK_SECRET_SERVER_KEY']
    assert dest.read_text() == OTHER_LINES + HELD.replace(HELD_PUB, PUB).replace(HELD_SECRET, SECRET)
    assert_no_secret_in_output(result, PUB, SECRET, HELD_PUB, HELD_SECRET)


def test_an_unconfirmed_key_request_leaves_the_file_as_it_was(neon, run_module, tmp_path):
    with_stack(neon, (503, {'code': '', 'message': 'upstream failed'}))
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES, 0o644)
    result = run(run_module, dest, auth_provider='stack')
    assert result['failed'] is True
    assert 'may have minted new keys' in result['msg']
    assert dest.read_text() == OTHER_LINES and mode_of(dest) == 0o644


# -- check mode -------------------------------------------------------------------------------------------------------

def test_check_mode_writes_no_file_and_mints_no_key(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    result = run(run_module, dest, auth_provider='stack', check_mode=True, diff=True)
    assert result['changed'] is True and result['minted'] is True
    assert result['variables_changed'] == ['NEXT_PUBLIC_STACK_PROJECT_ID', 'NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY',
                                           'STACK_SECRET_SERVER_KEY', 'NEON_AUTH_JWKS_URL', 'DATABASE_URL']
    assert neon.writes() == [] and key_requests(neon) == []
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == [], 'no temporary file either'
    assert result['diff']['before'] == ''
    assert_no_secret_in_output(result, DB_PASSWORD)


def test_check_mode_leaves_an_existing_file_alone(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    write(dest, OTHER_LINES, 0o644)
    result = run(run_module, dest, check_mode=True)
    assert result['changed'] is True
    assert dest.read_text() == OTHER_LINES and mode_of(dest) == 0o644


def test_check_mode_with_keys_in_the_file_reports_no_change(neon, run_module, tmp_path):
    with_stack(neon, MINTED)
    dest = tmp_path / '.env'
    write(dest, HELD + DB_LINE)
    result = run(run_module, dest, auth_provider='stack', check_mode=True)
    assert result['changed'] is False and result['minted'] is False
    assert neon.calls and key_requests(neon) == []


# -- secrets ----------------------------------------------------------------------------------------------------------

def test_the_database_password_is_in_no_result_diff_or_message(neon, run_module, tmp_path):
    with_better_auth(neon)
    dest = tmp_path / '.env'
    result = run(run_module, dest, diff=True)
    assert DB_PASSWORD in dest.read_text()
    assert_no_secret_in_output(result, DB_PASSWORD, DB_URL)
    assert API_KEY not in result['_raw']


def test_a_database_url_that_cannot_be_written_fails_without_showing_it(neon, run_module, tmp_path):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', auth_path(), (200, BETTER))
    neon.on('GET', '/projects/%s/branches/%s/databases' % (PROJECT, MAIN), DATABASES)
    # A value no env file reader agrees on (a newline with a quote and a backslash).
    unwritable = "postgresql://neondb_owner:%s@host/neondb?options='a\n\\b\"'" % DB_PASSWORD
    neon.on('GET', '/projects/%s/connection_uri' % PROJECT, (200, {'uri': unwritable}))
    dest = tmp_path / '.env'
    result = run(run_module, dest)
    assert result['failed'] is True
    assert 'DATABASE_URL' in result['msg']
    assert not dest.exists()
    assert_no_secret_in_output(result, DB_PASSWORD)


def test_a_failing_connection_uri_request_fails_without_writing(neon, run_module, tmp_path):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', auth_path(), (200, BETTER))
    neon.on('GET', '/projects/%s/branches/%s/databases' % (PROJECT, MAIN), DATABASES)
    neon.on('GET', '/projects/%s/connection_uri' % PROJECT, (500, {'code': '', 'message': 'internal error'}))
    dest = tmp_path / '.env'
    result = run(run_module, dest)
    assert result['failed'] is True and 'Could not get the database URL' in result['msg']
    assert not dest.exists()


# -- no integration, bad input ----------------------------------------------------------------------------------------

def test_without_neon_auth_it_fails_and_writes_nothing(neon, run_module, tmp_path):
    neon.on('GET', '/projects/%s/branches' % PROJECT, BRANCHES)
    neon.on('GET', auth_path(), NOT_FOUND)
    neon.on('GET', '/projects/%s/branches/%s' % (PROJECT, MAIN), (200, {'branch': {'id': MAIN}}))
    dest = tmp_path / '.env'
    result = run(run_module, dest)
    assert result['failed'] is True
    assert 'run community.neon.neon_auth_integration first' in result['msg']
    assert not dest.exists() and neon.writes() == []


def test_without_a_stack_integration_it_fails_without_minting(neon, run_module, tmp_path):
    neon.on('GET', '/projects/%s/auth/integrations' % PROJECT, (200, {'data': []}))
    neon.on('POST', '/projects/auth/keys', MINTED)
    dest = tmp_path / '.env'
    result = run(run_module, dest, auth_provider='stack')
    assert result['failed'] is True
    assert 'run community.neon.neon_auth_integration first' in result['msg']
    assert not dest.exists() and neon.writes() == []


def test_bad_input_fails_before_any_request(neon, run_module, tmp_path):
    (tmp_path / 'adir').mkdir()
    cases = (
        (dict(dest='relative/.env'), 'must be an absolute path'),
        (dict(dest=str(tmp_path / 'missing' / '.env')), 'does not exist'),
        (dict(dest=str(tmp_path / 'adir')), 'is a directory'),
        (dict(mode='u=rw'), 'is not a file mode'),
        (dict(mode='0999'), 'is not a file mode'),
        (dict(mode=True), 'is not a file mode'),
        (dict(project_id='Not_A_Neon_Id'), 'not a valid Neon id'),
        (dict(branch_id='br/../x'), 'not a valid Neon id'),
        (dict(auth_provider='auth0'), 'value of auth_provider must be one of'),
    )
    for args, words in cases:
        dest = args.pop('dest', str(tmp_path / '.env'))
        result = run(run_module, dest, **args)
        assert result['failed'] is True, args
        assert words in result['msg'], (args, result['msg'])
        assert 'Traceback' not in str(result.get('exception', ''))
    assert neon.calls == []
    assert not (tmp_path / '.env').exists()
