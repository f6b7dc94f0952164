# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local emulator of the Neon management API (the parts community.neon calls).

A stateful HTTP server (stdlib ``http.server``) backed by a real PostgreSQL
server: every emulated branch database is a real database.  Start it with
``tests/emulator/run_emulator.py``; see ``tests/emulator/README.md``.

Routes live in the ``routes_*.py`` modules of this package.  Each defines a
module-level ``routes = RouteTable(...)``; adding a new ``routes_<topic>.py``
file is all it takes to add endpoints (see :mod:`neon_emulator.routing`).
"""

from __future__ import annotations

API_PREFIX = '/api/v2'
CONTROL_PREFIX = '/_emulator'
DEFAULT_API_KEY = 'neon-emulator-key'
