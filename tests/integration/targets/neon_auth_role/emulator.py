# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator's side of the neon_auth_role test, in one process per call (each ansible task costs seconds).

    emulator.py CONFIG reset | clear | complete-transfer PROJECT_ID
    emulator.py CONFIG state PROJECT_ID BRANCH_ID PROVIDER ENV_FILE

CONFIG is ansible-test's integration_config.yml (neon_emulator_url). `state` prints one JSON object: the API requests
logged since the last clear, the neon_auth schema and active users of the branch database, and the names and mode of
the variables in ENV_FILE (never their values).
"""

from __future__ import annotations

import json
import os
import re
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


def main(argv):
    with open(argv[1], encoding='utf-8') as handle:
        base = yaml.safe_load(handle)['neon_emulator_url'].rstrip('/')
    command = argv[2]
    if command == 'reset':
        call(base + '/_emulator/reset', 'POST')
    elif command == 'clear':
        call(base + '/_emulator/requests', 'DELETE')
    elif command == 'complete-transfer':
        call(base + '/_emulator/transfer/complete', 'POST', dict(project_id=argv[3]))
    elif command == 'state':
        project_id, branch_id, provider, env_file = argv[3:7]
        print(json.dumps(dict(requests=call(base + '/_emulator/requests')['requests'],
                              db=database_state(base, project_id, branch_id, provider),
                              env=env_file_state(env_file))))
    else:
        sys.exit('unknown command %r' % command)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
