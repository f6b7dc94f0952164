# Copyright: community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for scripts/setup, scripts/test and scripts/demo (run with the project's .venv Python).

Subcommands:
  ansible-test-pip-versions          pip versions the installed ansible-test bootstraps into its venvs
  copy-collection SRC DEST KEY       copy git-tracked and untracked-not-ignored files of SRC to a fresh DEST;
                                     ansible-test's delegation venvs in DEST survive when KEY is unchanged
  write-integration-config FILE      write ansible-test's integration_config.yml from NEON_API_ENDPOINT,
                                     NEON_API_KEY and NEON_EMULATOR_URL (the key never goes on a command line),
                                     and NEON_EMULATOR_LOGS (the emulator's log files, ':'-separated) if set
  demo-report PROJECT_ID ENV_FILE    list the neon_auth tables of each branch of PROJECT_ID through the emulator,
                                     then show ENV_FILE with its secrets masked
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request

# Never copied into the build copy when SRC is not a git checkout (a git checkout uses .gitignore instead).
UNVERSIONED_SKIP = {'.git', '.build', '.cache', '.pytest_cache', '__pycache__', os.path.join('tests', 'output')}


def ansible_test_pip_versions() -> int:
    """Print each pip version named in the installed ansible-test's venv bootstrap table, one per line."""
    import ansible_test  # pylint: disable=import-outside-toplevel

    source = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')

    with open(source, encoding='utf-8') as handle:
        versions = sorted(set(re.findall(r"\bpip\s*=\s*['\"]([0-9][0-9.]*)['\"]", handle.read())))

    print('\n'.join(versions))
    return 0 if versions else 1


def collection_files(src: str) -> list[str]:
    """Relative paths of the files that make up the collection in src."""
    if os.path.isdir(os.path.join(src, '.git')):
        listing = subprocess.run(['git', '-C', src, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                                 check=True, capture_output=True).stdout.decode('utf-8')
        return sorted({path for path in listing.split('\0') if path and os.path.lexists(os.path.join(src, path))})

    paths = []

    for root, dirs, files in os.walk(src):
        relative = os.path.relpath(root, src)
        dirs[:] = [name for name in dirs
                   if name not in UNVERSIONED_SKIP and os.path.normpath(os.path.join(relative, name)) not in UNVERSIONED_SKIP
                   and not name.startswith('.venv')]
        paths.extend(os.path.relpath(os.path.join(root, name), src) for name in files if not name.endswith('.pyc'))

    return sorted(paths)


DELEGATION_DIR = os.path.join('tests', 'output', '.tmp', 'delegation')
DELEGATION_KEY_FILE = '.community-neon-key'


def copy_collection(src: str, dest: str, key: str) -> int:
    """Replace dest with a copy of the collection's files (modes and symlinks kept).

    The venvs ansible-test made in dest for --venv (tests/output/.tmp/delegation) are kept while key (the
    interpreters and ansible-core in use) is the same: that halves warm runs and lets them work offline.
    """
    src = os.path.abspath(src)
    dest = os.path.abspath(dest)
    files = collection_files(src)
    delegation = os.path.join(dest, DELEGATION_DIR)
    parked = dest + '.delegation'
    shutil.rmtree(parked, ignore_errors=True)

    try:
        with open(os.path.join(delegation, DELEGATION_KEY_FILE), encoding='utf-8') as handle:
            reuse = handle.read() == key
    except OSError:
        reuse = False

    if reuse:
        os.rename(delegation, parked)

    shutil.rmtree(dest, ignore_errors=True)

    for path in files:
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(src, path), target, follow_symlinks=False)

    # ansible-test lists content with git from the nearest enclosing repository; without one here it would find
    # the source checkout above .build/ (where the copy is ignored) and see no files at all.
    subprocess.run(['git', '-c', 'init.defaultBranch=main', 'init', '-q', dest], check=True)
    os.makedirs(os.path.dirname(delegation), exist_ok=True)

    if reuse:
        os.rename(parked, delegation)
    else:
        os.makedirs(delegation)

        with open(os.path.join(delegation, DELEGATION_KEY_FILE), 'w', encoding='utf-8') as handle:
            handle.write(key)

    print('build copy: %d files -> %s' % (len(files), dest))
    return 0


def yaml_quote(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def write_integration_config(path: str) -> int:
    """Write the variables every integration target gets (see README, Testing)."""
    try:
        endpoint = os.environ['NEON_API_ENDPOINT']
        api_key = os.environ['NEON_API_KEY']
        emulator_url = os.environ['NEON_EMULATOR_URL']
    except KeyError as exc:
        print('write-integration-config: environment variable %s is not set' % exc, file=sys.stderr)
        return 2

    # The emulator's own output, for targets that check it (secrets_no_leak); [] when not known.
    emulator_logs = [item for item in os.environ.get('NEON_EMULATOR_LOGS', '').split(':') if item]

    content = '\n'.join([
        '---',
        '# Written by scripts/test for one run against the local emulator; git-ignored.',
        'neon_api_endpoint: %s' % yaml_quote(endpoint),
        'neon_api_key: %s' % yaml_quote(api_key),
        'neon_emulator_url: %s' % yaml_quote(emulator_url),
        'neon_emulator_logs: [%s]' % ', '.join(yaml_quote(item) for item in emulator_logs),
        '',
    ])
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
        handle.write(content)

    return 0


def get_json(url: str, api_key: str | None = None) -> dict:
    """GET a JSON document from the emulator (only ever 127.0.0.1)."""
    request = urllib.request.Request(url, headers={'Accept': 'application/json'})

    if api_key:
        request.add_header('Authorization', 'Bearer %s' % api_key)

    with urllib.request.urlopen(request, timeout=30) as response:  # nosec - local emulator
        return json.loads(response.read().decode('utf-8'))


SECRET_NAME = re.compile(r'SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|PRIVATE', re.IGNORECASE)
URL_PASSWORD = re.compile(r'(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<password>[^@\s]+)(?P<tail>@)', re.IGNORECASE)


def mask_value(name: str, value: str) -> str:
    """Hide a secret value: keep only its length; hide the password inside URLs."""
    if SECRET_NAME.search(name):
        return '******** (%d characters)' % len(value) if value else ''

    return URL_PASSWORD.sub(r'\g<head>********\g<tail>', value)


def masked_env_lines(text: str) -> list[str]:
    """Lines of a KEY=VALUE file with secret values masked; comments and blank lines kept."""
    lines = []

    for line in text.splitlines():
        match = re.match(r'^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$', line)

        if not match:
            lines.append(line if not line.strip() or line.lstrip().startswith('#') else '<line hidden: not KEY=VALUE>')
            continue

        prefix, name, equals, value = match.groups()
        quote = value[0] if value[:1] in ('"', "'") and value[-1:] == value[:1] and len(value) > 1 else ''
        inner = value[1:-1] if quote else value
        lines.append('%s%s%s%s%s%s' % (prefix, name, equals, quote, mask_value(name, inner), quote))

    return lines


def print_neon_auth_tables(url: str) -> None:
    """Print the neon_auth tables of one database: row counts, and the user rows without secrets."""
    import psycopg  # pylint: disable=import-outside-toplevel,import-error

    with psycopg.connect(url, connect_timeout=10) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'neon_auth' ORDER BY table_name").fetchall()]

        if not tables:
            print('    schema neon_auth: absent (Neon Auth not enabled on this branch)')
            return

        for table in tables:
            count = conn.execute('SELECT count(*) FROM neon_auth.%s' % quote_ident(table)).fetchone()[0]
            print('    neon_auth.%s: %d row(s)' % (table, count))

        if 'users_sync' in tables:
            for row in conn.execute('SELECT id, email, name, deleted_at FROM neon_auth.users_sync ORDER BY email').fetchall():
                print('      users_sync: id=%s email=%s name=%s deleted_at=%s' % row)

        if 'user' in tables:
            for row in conn.execute('SELECT id, email, name, role FROM neon_auth."user" ORDER BY email').fetchall():
                print('      user: id=%s email=%s name=%s role=%s' % row)


def quote_ident(name: str) -> str:
    """Quote a PostgreSQL identifier."""
    return '"%s"' % name.replace('"', '""')


def demo_report(project_id: str, env_file: str) -> int:
    """What the demo playbook left behind: neon_auth tables per branch, and the env file with secrets masked."""
    endpoint = os.environ['NEON_API_ENDPOINT']
    emulator_url = os.environ['NEON_EMULATOR_URL']
    api_key = os.environ['NEON_API_KEY']
    status = 0
    quoted_project = urllib.parse.quote(project_id, safe='')
    branches = get_json('%s/projects/%s/branches' % (endpoint, quoted_project), api_key).get('branches', [])
    print('project %s: %d branch(es)' % (project_id, len(branches)))

    for branch in branches:
        databases = get_json('%s/projects/%s/branches/%s/databases' % (endpoint, quoted_project, urllib.parse.quote(branch['id'], safe='')),
                             api_key).get('databases', [])

        for database in databases:
            print('  branch %s (%s), database %s:' % (branch['id'], branch.get('name', '?'), database['name']))
            query = urllib.parse.urlencode({'project_id': project_id, 'branch_id': branch['id'], 'database_name': database['name']})

            try:
                print_neon_auth_tables(get_json('%s/_emulator/database_url?%s' % (emulator_url, query))['url'])
            except Exception as exc:  # pylint: disable=broad-exception-caught
                print('    could not read the database: %s' % type(exc).__name__)
                status = 1

    print('')

    if os.path.isfile(env_file):
        print('env file %s (secrets masked):' % env_file)

        with open(env_file, encoding='utf-8') as handle:
            for line in masked_env_lines(handle.read()):
                print('  ' + line)
    else:
        print('env file %s: not found (the playbook did not write one there)' % env_file)
        status = 1

    return status


def main(argv: list[str]) -> int:
    """Dispatch a subcommand."""
    commands = {
        'ansible-test-pip-versions': (ansible_test_pip_versions, 0),
        'copy-collection': (copy_collection, 3),
        'write-integration-config': (write_integration_config, 1),
        'demo-report': (demo_report, 2),
    }

    if not argv or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        print(__doc__, file=sys.stderr)
        return 2

    function, _count = commands[argv[0]]
    return function(*argv[1:])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
