# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Print {"rows": N, "distinct": N} for the Better Auth users whose email starts with a prefix.

Usage: python count_users.py PREFIX; the database URL comes from NEON_TEST_DATABASE_URL (never a command line).
"""

from __future__ import annotations

import json
import os
import sys

import psycopg


def main():
    pattern = sys.argv[1] + '%'
    with psycopg.connect(os.environ['NEON_TEST_DATABASE_URL']) as connection:
        rows, distinct = connection.execute(
            'SELECT count(*), count(DISTINCT lower(email)) FROM neon_auth."user" WHERE email LIKE %s', (pattern,)).fetchone()
    print(json.dumps(dict(rows=rows, distinct=distinct)))


if __name__ == '__main__':
    main()
