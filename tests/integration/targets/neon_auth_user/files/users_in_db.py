# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print the active Neon Auth users of a branch database of the emulator as JSON (the real state behind neon_auth_user).

Usage: python users_in_db.py better_auth|stack PROJECT_ID BRANCH_ID EMULATOR_URL
The database URL is asked from the emulator's control API, so no password is ever on a command line.
Output: {"<lower-cased email>": {"count": <active rows>, "names": [...], "roles": [...]}, ...}
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request

import psycopg

QUERIES = {
    'better_auth': 'SELECT lower(email), name, role FROM neon_auth."user"',
    'stack': 'SELECT lower(email), name, NULL FROM neon_auth.users_sync WHERE deleted_at IS NULL',
}


def database_url(emulator_url, project_id, branch_id):
    query = urllib.parse.urlencode(dict(project_id=project_id, branch_id=branch_id, database_name='neondb'))
    with urllib.request.urlopen('%s/_emulator/database_url?%s' % (emulator_url, query), timeout=30) as answer:
        return json.load(answer)['url']


def main():
    provider, project_id, branch_id, emulator_url = sys.argv[1:5]
    users = {}
    with psycopg.connect(database_url(emulator_url, project_id, branch_id)) as connection:
        for email, name, role in connection.execute(QUERIES[provider]).fetchall():
            user = users.setdefault(email, {'count': 0, 'names': [], 'roles': []})
            user['count'] += 1
            user['names'].append(name)
            user['roles'] = sorted(r for r in (role or '').split(',') if r)
    print(json.dumps(users, sort_keys=True))


if __name__ == '__main__':
    main()
