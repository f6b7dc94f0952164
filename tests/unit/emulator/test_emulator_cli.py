# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator command: options, errors, clean stop, --database-url, and no secrets in its output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

psycopg = pytest.importorskip('psycopg')

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'emulator'))

from neon_emulator.harness import (  # noqa: E402  pylint: disable=wrong-import-position
    DEMO_MAIN, DEMO_PROJECT, RUN_EMULATOR, EmulatorError, EmulatorProcess, auth_path)


def run_cli(*args):
    """Run the command to completion (for options that make it exit at once)."""
    return subprocess.run([sys.executable, RUN_EMULATOR] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120, check=False)


def test_help_lists_the_options():
    result = run_cli('--help')
    assert result.returncode == 0
    for option in (b'--port', b'--api-key', b'--seed', b'--database-url', b'--data-dir', b'--behaviour'):
        assert option in result.stdout


@pytest.mark.parametrize('args, message', [
    (('--behaviour', 'duplicate_email_status=418'), 'duplicate_email_status'),
    (('--behaviour', 'no_such_switch=1'), 'no_such_switch'),
    (('--behaviour', 'novalue'), 'key=value'),
    (('--seed', '/nonexistent/seed.json'), 'seed'),
])
def test_bad_options_exit_2_with_a_message(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == b''
    assert message in result.stderr.decode()


def test_behaviour_option_sets_the_start_value(tmp_path):
    with EmulatorProcess(args=['--behaviour', 'duplicate_email_status=422', '--behaviour', 'repeated_transfer=error']) as emu:
        behaviour = emu.control('GET', '/behaviour')
        assert behaviour['duplicate_email_status'] == 422 and behaviour['repeated_transfer'] == 'error'
        emu.set_behaviour(duplicate_email_status=400)
        emu.reset()
        assert emu.control('GET', '/behaviour')['duplicate_email_status'] == 422
    assert tmp_path.exists()


def test_sigterm_stops_postgres_and_removes_the_temporary_data_dir():
    emu = EmulatorProcess()
    emu.start()
    description = emu.control('GET', '/health')['postgres']
    data_dir = re.search(r'data (\S+),', description).group(1)
    assert os.path.isdir(data_dir)
    emu.stop()
    assert not os.path.exists(data_dir)
    assert 'stopped' in emu.stderr_text()


def test_seed_file_option(tmp_path):
    seed = {'projects': [{'id': 'only-project-1', 'name': 'only', 'branches': [{'id': 'br-only-1', 'name': 'main', 'default': True}]}]}
    path = tmp_path / 'seed.json'
    path.write_text(json.dumps(seed))
    with EmulatorProcess(args=['--seed', str(path)]) as emu:
        projects = emu.api('GET', '/projects')[2]['projects']
        assert [item['id'] for item in projects] == ['only-project-1']
        databases = emu.api('GET', '/projects/only-project-1/branches/br-only-1/databases')[2]['databases']
        assert [(item['name'], item['owner_name']) for item in databases] == [('neondb', 'neondb_owner')]


def test_no_secrets_in_the_emulator_output():
    with EmulatorProcess(api_key='Sup3r-Secret-Api-Key', args=['--log-requests']) as emu:
        created = emu.api('POST', '/projects/auth/create', {'auth_provider': 'stack', 'project_id': DEMO_PROJECT, 'branch_id': DEMO_MAIN})[2]
        keys = emu.api('POST', '/projects/auth/keys', {'project_id': DEMO_PROJECT, 'auth_provider': 'stack'})[2]
        uri = emu.api('GET', '/projects/%s/connection_uri' % DEMO_PROJECT, query={'database_name': 'neondb', 'role_name': 'neondb_owner'})[2]['uri']
        superuser_url = emu.database_url(DEMO_PROJECT)
        emu.api('POST', auth_path(suffix='/users'), {'email': 'x@example.com'}, api_key='wrong-key-Also-Secret')
    output = emu.stderr_text()
    assert 'POST /api/v2/projects/auth/create' in output  # the access log is on
    secrets = ['Sup3r-Secret-Api-Key', 'wrong-key-Also-Secret', created['pub_client_key'], created['secret_server_key'],
               keys['secret_server_key'], re.search(r':(npg_[^@]+)@', uri).group(1), re.search(r':([^:@/]+)@', superuser_url).group(1)]
    for secret in secrets:
        assert secret not in output


def test_existing_server_via_database_url():
    """--database-url: databases and roles on a server the emulator does not own (here: a second embedded one)."""
    from neon_emulator.pg import EmbeddedCluster, PostgresError  # pylint: disable=import-outside-toplevel
    try:
        server = EmbeddedCluster()
        server.start()
    except PostgresError as exc:
        pytest.skip('no embedded PostgreSQL: %s' % exc)
    try:
        url = server.admin_uri('postgres')
        with EmulatorProcess(args=['--database-url', url]) as emu:
            assert 'existing PostgreSQL server' in emu.control('GET', '/health')['postgres']
            assert emu.api('POST', auth_path(), {'auth_provider': 'better_auth'})[0] == 201
            assert emu.api('POST', auth_path(suffix='/users'), {'email': 'ext@example.com'})[0] == 201
            uri = emu.api('GET', '/projects/%s/connection_uri' % DEMO_PROJECT, query={'database_name': 'neondb', 'role_name': 'neondb_owner'})[2]['uri']
            with psycopg.connect(uri) as conn:
                assert conn.execute('SELECT email FROM neon_auth."user"').fetchall() == [('ext@example.com',)]
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'nemu%'").fetchone()[0] == 1
        with psycopg.connect(url) as conn:  # a clean exit drops its databases from a server it does not own
            assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'nemu%'").fetchone()[0] == 0
    finally:
        server.stop()


def test_unreachable_database_url_fails_fast():
    with pytest.raises(EmulatorError) as caught:
        EmulatorProcess(args=['--database-url', 'postgresql://postgres:pw@127.0.0.1:1/postgres']).start()
    assert 'cannot connect' in str(caught.value)
    assert ':pw@' not in str(caught.value)


def _process_gone(pid):
    """True when ``pid`` no longer runs (a zombie waiting for a reaper counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid, encoding='ascii') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return True


@pytest.mark.skipif(not os.path.isdir('/proc/self'), reason='needs /proc')
def test_emulator_stops_when_its_starter_exits_without_stopping_it():
    """What happens under ansible-test units, whose forked test processes exit without fixture teardown."""
    code = ('import os, sys; sys.path.insert(0, %r)\n'
            'from neon_emulator.harness import EmulatorProcess\n'
            'emu = EmulatorProcess(); emu.start(); print(emu.process.pid, flush=True); os._exit(0)\n'
            % os.path.dirname(RUN_EMULATOR))
    result = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=True)
    pid = int(result.stdout.split()[0])
    for dummy in range(300):  # poll (no timing assertion): the emulator checks its parent every 0.5 s
        if _process_gone(pid):
            break
        time.sleep(0.1)
    assert _process_gone(pid)
