# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Search outputs and the emulator's log for every secret of the run; exit 1 if any is found.

Usage: python check_leaks.py WORKDIR OUTPUT...
WORKDIR holds known.json (the API key, the secrets the playbooks gave, where the emulator and its log are, the
branches used), minted.json (keys the Stack integrations returned) and the env files the modules wrote (minted keys,
database URLs). The branch databases' passwords are asked from the emulator. Secrets are never printed: a finding
names the secret, its length, the form found, the file and the line number.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import sys
import urllib.parse
import urllib.request

# Values in env files that are secrets (the others are ids and URLs).
SECRET_VARIABLES = ('NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY', 'STACK_SECRET_SERVER_KEY')
MIN_FORM_LENGTH = 8   # shorter base64 fragments would match by chance


def get_json(url, api_key=None):
    request = urllib.request.Request(url, headers={'Accept': 'application/json'})
    if api_key:
        request.add_header('Authorization', 'Bearer %s' % api_key)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read().decode())


def password_of(url):
    password = urllib.parse.urlsplit(url).password
    return urllib.parse.unquote(password) if password else None


def env_values(path):
    """NAME=value pairs of an env file written by the collection (values bare or single-quoted)."""
    values = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            name, sep, value = line.rstrip('\n').partition('=')
            if sep and not name.startswith('#'):
                values[name.replace('export ', '').strip()] = value.strip().strip("'\"")
    return values


def collect_secrets(workdir):
    """{label: value} of every secret the run handled."""
    with open(os.path.join(workdir, 'known.json'), encoding='utf-8') as handle:
        known = json.load(handle)
    secrets = {'API key': known['api_key']}
    secrets.update(('given %s' % name, value) for name, value in known['given'].items())
    with open(os.path.join(workdir, 'minted.json'), encoding='utf-8') as handle:
        for number, keys in enumerate(json.load(handle)):
            for field in ('pub_client_key', 'secret_server_key'):
                secrets['returned key set %d %s' % (number, field)] = keys.get(field)
    for path in sorted(glob.glob(os.path.join(workdir, '*.env'))):
        values = env_values(path)
        for name in SECRET_VARIABLES:
            if values.get(name):
                secrets['%s in %s' % (name, os.path.basename(path))] = values[name]
        if values.get('DATABASE_URL'):
            secrets['database password in %s' % os.path.basename(path)] = password_of(values['DATABASE_URL'])
    for project, branch in known['branches']:
        query = urllib.parse.urlencode(dict(branch_id=branch, database_name='neondb', role_name='neondb_owner'))
        uri = get_json('%s/projects/%s/connection_uri?%s' % (known['api_endpoint'], project, query), known['api_key'])['uri']
        secrets['password of neondb_owner on %s' % branch] = password_of(uri)
        query = urllib.parse.urlencode(dict(project_id=project, branch_id=branch))
        superuser = get_json('%s/_emulator/database_url?%s' % (known['emulator_url'], query))['url']
        secrets['superuser password of the emulator\'s PostgreSQL'] = password_of(superuser)
    return known, dict((label, value) for label, value in secrets.items() if value)


def forms(secret):
    """The ways a secret could show up: as is, URL-encoded, and base64 at each of the three byte alignments."""
    found = {'raw': secret, 'url-encoded': urllib.parse.quote(secret, safe='')}
    data = secret.encode()
    for shift in range(3):
        encoded = base64.b64encode(b'\0' * shift + data).decode()
        # only the characters that depend on the secret alone, wherever it sits in a longer encoded text
        start = -(-8 * shift // 6)
        end = 8 * (shift + len(data)) // 6
        piece = encoded[start:end]
        if len(piece) >= MIN_FORM_LENGTH:
            found['base64 (offset %d)' % shift] = piece
            found['base64url (offset %d)' % shift] = piece.replace('+', '-').replace('/', '_')
    return dict((name, value) for name, value in found.items() if len(value) >= MIN_FORM_LENGTH)


def search(paths, secrets):
    findings = []
    for path in paths:
        with open(path, encoding='utf-8', errors='replace') as handle:
            lines = handle.read().splitlines()
        for label, secret in secrets.items():
            for form, value in forms(secret).items():
                for number, line in enumerate(lines, 1):
                    if value in line:
                        findings.append('%s (%d characters) found %s in %s line %d' % (
                            label, len(secret), form, path, number))
    return findings


def detection_works(workdir, secrets):
    """The search finds a secret hidden in each way it looks for (a check that cannot fail proves nothing)."""
    label, secret = sorted(secrets.items())[0]
    planted = os.path.join(workdir, 'planted.txt')
    lines = ['prefix %s suffix' % secret, 'url=%s' % urllib.parse.quote(secret, safe='')]
    lines.extend('blob %s' % base64.b64encode(pad + secret.encode() + b'!').decode() for pad in (b'', b'x', b'xy'))
    with open(planted, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')
    found = set(int(finding.rsplit(' ', 1)[1]) for finding in search([planted], {label: secret}))
    os.unlink(planted)
    return found == set(range(1, len(lines) + 1))


def main():
    workdir, outputs = sys.argv[1], sys.argv[2:]
    known, secrets = collect_secrets(workdir)
    problems = []
    if not detection_works(workdir, secrets):
        problems.append('the search does not find a secret planted raw, URL-encoded and in base64 at every offset')
    kinds = {'API key': 'API key', 'key set': 'Stack keys returned', 'STACK_SECRET_SERVER_KEY': 'Stack keys in env files',
             'password of neondb_owner': 'database passwords', 'given oauth': 'OAuth client secrets',
             'given smtp': 'SMTP passwords'}
    for part, kind in kinds.items():
        if not [label for label in secrets if part in label]:
            problems.append('no %s known: the check would prove nothing' % kind)
    logs = known['emulator_logs']
    if not logs:
        problems.append('integration_config.yml names no emulator log (neon_emulator_logs): run the target through '
                        'scripts/test, whose integration_config.yml lists the files')
    missing = [path for path in list(outputs) + list(logs) if not os.path.isfile(path)]
    if missing:
        problems.append('missing output or log file(s): %s' % ', '.join(missing))
    files = [path for path in list(outputs) + list(logs) if os.path.isfile(path)]
    problems.extend(search(files, secrets))
    if problems:
        print('SECRET LEAK CHECK FAILED:\n  ' + '\n  '.join(problems))
        return 1
    print('no leak: %d secrets (%d forms) searched in %d files (%d bytes): %s' % (
        len(secrets), sum(len(forms(s)) for s in secrets.values()), len(files),
        sum(os.path.getsize(path) for path in files), ', '.join(sorted(secrets))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
