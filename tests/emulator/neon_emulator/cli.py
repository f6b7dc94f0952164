# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: ``run_emulator.py [--port 0] [--api-key KEY] [--seed FILE] [--database-url URL] ...``.

The first stdout line is the base URL (flushed); stdout carries nothing else.
Diagnostics go to stderr, never with secrets.  SIGTERM/SIGINT stop cleanly.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from neon_emulator import DEFAULT_API_KEY
from neon_emulator.controls import Behaviour
from neon_emulator.model import SeedError
from neon_emulator.pg import PostgresError
from neon_emulator.routing import ApiError

DEFAULT_SEED = Path(__file__).resolve().parent.parent / 'seed.json'


def build_parser():
    """The argument parser (also documents the options in --help)."""
    parser = argparse.ArgumentParser(
        prog='run_emulator.py',
        description='Local emulator of the Neon management API (Neon Auth and what the community.neon collection calls), '
                    'backed by a real PostgreSQL.  Prints the base URL as the first line on stdout.')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1; keep it local)')
    parser.add_argument('--port', type=int, default=0, help='port to listen on; 0 picks a free one (default 0)')
    parser.add_argument('--api-key', default=None,
                        help='the API key clients must send as Bearer token (default: env NEON_EMULATOR_API_KEY, else %s)'
                        % DEFAULT_API_KEY)
    parser.add_argument('--seed', default=str(DEFAULT_SEED), help='seed JSON file (default: seed.json next to run_emulator.py)')
    parser.add_argument('--database-url', default=None,
                        help='superuser URL of an existing PostgreSQL (default: env NEON_EMULATOR_DATABASE_URL, '
                             'else a private embedded PostgreSQL)')
    parser.add_argument('--data-dir', default=None,
                        help='data directory of the embedded PostgreSQL, kept after exit (default: a temporary directory)')
    parser.add_argument('--cache-dir', default=None,
                        help='where the initialised data directory is cached (default: env NEON_EMULATOR_CACHE_DIR, '
                             'else ~/.cache/neon-emulator)')
    parser.add_argument('--behaviour', action='append', default=[], metavar='KEY=VALUE',
                        help='start value of a behaviour switch, e.g. duplicate_email_status=422 (repeatable)')
    parser.add_argument('--log-requests', action='store_true', help='write an access log line per request to stderr')
    parser.add_argument('--stop-with-parent', action='store_true',
                        help='stop when the process that started the emulator exits (test harnesses: no orphans)')
    return parser


def main(argv=None):
    """Run until SIGTERM/SIGINT; return the exit code."""
    parent = os.getppid()  # now, while the starter surely waits for our first line
    args = build_parser().parse_args(argv)
    # Imported here so that --help works without psycopg installed.
    from neon_emulator.app import Emulator, EmulatorConfig  # pylint: disable=import-outside-toplevel
    from neon_emulator.pg import EmbeddedCluster, ExternalCluster  # pylint: disable=import-outside-toplevel

    try:
        behaviour = Behaviour.parse_assignments(args.behaviour)
    except ValueError as exc:
        return _fail(str(exc))
    database_url = args.database_url or os.environ.get('NEON_EMULATOR_DATABASE_URL')
    config = EmulatorConfig(
        seed_path=args.seed,
        api_key=args.api_key or os.environ.get('NEON_EMULATOR_API_KEY') or DEFAULT_API_KEY,
        host=args.host, port=args.port, database_url=database_url, data_dir=args.data_dir,
        cache_dir=args.cache_dir, behaviour=behaviour, log_requests=args.log_requests)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    log = _stderr
    try:
        cluster = ExternalCluster(database_url) if database_url else EmbeddedCluster(args.data_dir, args.cache_dir, log)
        emulator = Emulator(config, cluster)  # checks seed and --behaviour before PostgreSQL starts
        base_url = emulator.start()
    except ApiError as exc:
        return _fail('--behaviour: %s' % exc.message)
    except (PostgresError, SeedError, OSError) as exc:
        return _fail(str(exc))
    sys.stdout.write(base_url + '\n')
    sys.stdout.flush()
    log('listening on %s (control API %s/_emulator; %s)' % (base_url, base_url.rsplit('/api/', 1)[0], cluster.description))
    code = 0
    try:
        while not stop.wait(0.5):
            if not cluster.is_running():
                log('PostgreSQL stopped unexpectedly; exiting')
                code = 1
                break
            if args.stop_with_parent and os.getppid() != parent:
                log('the process that started the emulator exited; stopping')
                break
    finally:
        emulator.stop()
        log('stopped')
    return code


def _stderr(message):
    sys.stderr.write('neon-emulator: %s\n' % message)
    sys.stderr.flush()


def _fail(message):
    _stderr('error: %s' % message)
    return 2
