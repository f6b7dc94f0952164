# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator's side of the runme.sh targets, one process per call (each Ansible task costs seconds).

    emulator.py CONFIG reset | clear | complete-transfer PROJECT_ID
    emulator.py CONFIG env                      shell lines exporting NEON_API_ENDPOINT and NEON_API_KEY
    emulator.py CONFIG state PROJECT_ID BRANCH_ID PROVIDER ENV_FILE
    emulator.py CONFIG expect PROJECT_ID BRANCH_ID PROVIDER ENV_FILE NAME=VALUE...

CONFIG is ansible-test's integration_config.yml (neon_api_endpoint, neon_api_key, neon_emulator_url). `state` prints
one JSON object: the API requests logged since the last clear, the neon_auth schema and active users of the branch
database, and the names and mode of the variables in ENV_FILE (never their values). `expect` compares that state with
NAME=VALUE pairs (see EXPECTATIONS) and exits 1, saying what differs, when one does not hold.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import sys
import urllib.parse
import urllib.request

import psycopg
import yaml

ASSIGNMENT = re.compile(r'^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=', re.MULTILINE)


def call(url, method='GET', body=None):
    data = None if body is None else json.dumps(body).encode('utf-8')
    request = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode('utf-8')
    return json.loads(text) if text.strip() else None


def database_state(base, project_id, branch_id, provider):
    query = urllib.parse.urlencode(dict(project_id=project_id, branch_id=branch_id, database_name='neondb'))
    url = call('%s/_emulator/database_url?%s' % (base, query))['url']
    with psycopg.connect(url) as conn:
        schema = conn.execute("select exists(select 1 from pg_namespace where nspname = 'neon_auth')").fetchone()[0]
        rows = []
        if schema and provider == 'stack':
            rows = conn.execute('select email, null from neon_auth.users_sync where deleted_at is null').fetchall()
        elif schema:
            rows = conn.execute('select email, role from neon_auth."user"').fetchall()
    return dict(schema=schema, users=[dict(email=email, role=role) for email, role in sorted(rows)])


def env_file_state(path):
    if not os.path.exists(path):
        return dict(exists=False, mode=None, names=[])
    with open(path, encoding='utf-8') as handle:
        names = sorted(set(ASSIGNMENT.findall(handle.read())))
    return dict(exists=True, mode='%04o' % stat.S_IMODE(os.stat(path).st_mode), names=names)


def listed(value):
    """A comma-separated list; '-' for none."""
    return [] if value == '-' else sorted(value.split(','))


# NAME=VALUE of `expect`: how to read NAME from the state, and how to read VALUE.
EXPECTATIONS = {
    'writes': (lambda found: len([r for r in found['requests'] if r['write']]), int),
    'key_requests': (lambda found: len([r for r in found['requests'] if r['path'].endswith('/projects/auth/keys')]), int),
    'users': (lambda found: sorted(u['email'] for u in found['db']['users']), listed),
    'schema': (lambda found: 'yes' if found['db']['schema'] else 'no', str),
    'env': (lambda found: found['env']['names'], listed),
    'mode': (lambda found: found['env']['mode'] or '-', str),
}


def state(base, project_id, branch_id, provider, env_file):
    return dict(requests=call(base + '/_emulator/requests')['requests'],
                db=database_state(base, project_id, branch_id, provider),
                env=env_file_state(env_file))


def expect(found, pairs):
    """The expectations that do not hold, as 'name: expected X, found Y' strings. A count of '+' means at least one."""
    problems = []
    for pair in pairs:
        name, value = pair.split('=', 1)
        read, parse = EXPECTATIONS[name]
        if value == '+' and parse is int:
            holds = read(found) > 0
        else:
            holds = read(found) == parse(value)
        if not holds:
            problems.append('%s: expected %s, found %s' % (name, value, read(found)))
    return problems


def main(argv):
    with open(argv[1], encoding='utf-8') as handle:
        config = yaml.safe_load(handle)
    base = config['neon_emulator_url'].rstrip('/')
    command = argv[2]
    if command == 'reset':
        call(base + '/_emulator/reset', 'POST')
    elif command == 'clear':
        call(base + '/_emulator/requests', 'DELETE')
    elif command == 'complete-transfer':
        call(base + '/_emulator/transfer/complete', 'POST', dict(project_id=argv[3]))
    elif command == 'env':
        # The way a user points the collection at an API: the modules read these when api_* options are not set.
        endpoint, api_key = shlex.quote(config['neon_api_endpoint']), shlex.quote(config['neon_api_key'])
        print('export NEON_API_ENDPOINT=%s NEON_API_KEY=%s' % (endpoint, api_key))
    elif command == 'state':
        print(json.dumps(state(base, *argv[3:7])))
    elif command == 'expect':
        found = state(base, *argv[3:7])
        problems = expect(found, argv[7:])
        writes = ['%s %s' % (r['method'], r['route']) for r in found['requests'] if r['write']]
        print('EXPECT %s: %d API requests, %d writes %s' % (' '.join(argv[7:]), len(found['requests']), len(writes), writes))
        if problems:
            sys.exit('EXPECTATION FAILED: ' + '; '.join(problems))
    else:
        sys.exit('unknown command %r' % command)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
