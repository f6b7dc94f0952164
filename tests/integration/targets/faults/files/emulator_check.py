# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault rules in, verdicts out: the emulator side of the faults target.

Usage: python emulator_check.py prepare|check
Input (environment, JSON where structured): NEON_EMULATOR_URL, NEON_API_ENDPOINT, NEON_API_KEY (never on a command
line), FAULT (one item of `faults`), FAULT_MODULES (`fault_modules`), FAULT_TARGET (ids and `wanted`), FAULT_WORKDIR.
prepare: reset the emulator, enforce Neon's real rate limits, put the fault's rules on the request each module's fault
hits.
check: prints {"problems": [...], "routes": {module: [status, ...]}, "state": {...}}; problems is empty when every
module's route shows the retries the fault calls for, the emulator's state holds exactly one of each thing asked,
and every env file written is mode 0600.
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

OK = (200, 201, 204)


def call(url, method='GET', body=None, api_key=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': 'application/json'})
    if api_key:
        request.add_header('Authorization', 'Bearer %s' % api_key)
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode()
    return json.loads(text) if text.strip() else None


def control(path, method='GET', body=None):
    return call(os.environ['NEON_EMULATOR_URL'] + '/_emulator' + path, method, body)


def api(path):
    return call(os.environ['NEON_API_ENDPOINT'] + path, api_key=os.environ['NEON_API_KEY'])


REAL_RATE_LIMIT = dict(enabled=True, per_minute=700, burst_per_second=40, retry_after=True)


def prepare(fault, modules):
    control('/reset', 'POST', {})
    control('/rate_limit', 'PUT', REAL_RATE_LIMIT)
    for module in modules:
        for rule in fault['rules']:
            control('/faults', 'POST', dict(rule, method=module['method'], path_regex=module['path_regex']))


def fault_hits(fault):
    """The statuses the request log shows for the requests the fault's rules hit (None: no answer at all)."""
    hits = []
    for rule in fault['rules']:
        status = {'status': rule.get('status'), 'html502': 502, 'apply_then_503': 503, 'drop': None}.get(rule['kind'], 'ok')
        hits.extend([status] * rule.get('count', 1))
    return hits


def expected_route(fault, module):
    """The statuses the module's route must show, oldest first ('ok' for any success)."""
    hits = fault_hits(fault)
    writes = module['writes']
    if module.get('read') or fault['outcome'] == 'refused':
        return hits + ['ok'] * writes
    if fault['outcome'] == 'applied' and module.get('ambiguous') != 'fail':
        # done once, answer lost: never sent again (a stall is logged with the status it answered too late)
        return hits + ['ok'] * (writes - 1)
    # not applied: sent again after reading back; or the task failed and was run again
    return hits + ['ok'] * writes


def same(status, wanted):
    return status in OK if wanted == 'ok' else status == wanted


def check_routes(fault, modules, log, problems):
    routes = {}
    for module in modules:
        pattern = re.compile(module['path_regex'])
        entries = [e for e in log if e['method'] == module['method'] and pattern.search(e['path'])]
        statuses = [e['status'] for e in entries]
        routes[module['name']] = statuses
        wanted = expected_route(fault, module)
        if module.get('read'):
            # later modules may read the same route (without faults left): only more successes may follow
            wanted = wanted + ['ok'] * max(0, len(statuses) - len(wanted))
        if len(statuses) != len(wanted) or not all(same(s, w) for s, w in zip(statuses, wanted)):
            problems.append('%s: %s %s answered %s, expected %s' % (
                module['name'], module['method'], module['path_regex'], statuses, wanted))
            continue
        if module.get('reread') == 'api' and fault['outcome'] != 'refused':
            # the request right after the one the fault hit reads the state back
            following = [e for e in log if e['seq'] > entries[0]['seq']]
            if not following or following[0]['method'] != 'GET':
                problems.append('%s: the request after the lost answer is %s, not a read' % (
                    module['name'], following[0]['method'] + ' ' + following[0]['path'] if following else 'missing'))
    # Paced under Neon's limits, the modules never meet a real 429: only the injected ones, on the routes above.
    faulted = [(m['method'], re.compile(m['path_regex'])) for m in modules]

    def faulted_route(entry):
        return any(entry['method'] == method and pattern.search(entry['path']) for method, pattern in faulted)

    limited = [e for e in log if e['status'] == 429 and not faulted_route(e)]
    if limited:
        problems.append('the real rate limits answered 429 to %s' % ', '.join('%s %s' % (e['method'], e['path']) for e in limited))
    return routes


def db_emails(project, branch, table):
    url = control('/database_url?' + urllib.parse.urlencode(dict(project_id=project, branch_id=branch)))['url']
    query = {'better_auth': 'SELECT lower(email) FROM neon_auth."user"',
             'stack': 'SELECT lower(email) FROM neon_auth.users_sync WHERE deleted_at IS NULL'}[table]
    with psycopg.connect(url) as connection:
        return [row[0] for row in connection.execute(query).fetchall()]


def exactly_one(problems, what, found, wanted):
    count = found.count(wanted)
    if count != 1:
        problems.append('%s: %d x %r in %r (want exactly one)' % (what, count, wanted, found))


def check_state(target, problems):
    wanted = target['wanted']
    project, main, stack = target['project'], target['main_branch'], target['stack_branch']
    auth = '/projects/%s/branches/%s/auth' % (project, main)
    state = {
        'integrations': [i['auth_provider'] for i in api('/projects/%s/auth/integrations' % project)['data']],
        'users': db_emails(project, main, 'better_auth'),
        'stack_users': db_emails(project, stack, 'stack'),
        'role_users': db_emails(target['role_project'], target['role_branch'], 'better_auth'),
        'domains': [d['domain'] for d in api(auth + '/domains')['domains']],
        'oauth_providers': [p['id'] for p in api(auth + '/oauth_providers')['providers']],
        'email_provider': api(auth + '/email_provider').get('host'),
        'magic_link_expires_in': api(auth + '/plugins')['magic_link']['expires_in'],
        'webhook_url': api(auth + '/webhooks').get('webhook_url'),
    }
    stack_integration = [i for i in api('/projects/%s/auth/integrations' % project)['data'] if i['auth_provider'] == 'stack']
    state['transfer_status'] = stack_integration[0].get('transfer_status') if stack_integration else None
    exactly_one(problems, 'Stack integration', state['integrations'], 'stack')
    for user in wanted['users']:
        exactly_one(problems, 'Better Auth user', state['users'], user['email'])
    exactly_one(problems, 'Stack user', state['stack_users'], wanted['stack_user'])
    for user in wanted['role_users']:
        exactly_one(problems, 'user added by the role', state['role_users'], user['email'])
    exactly_one(problems, 'trusted domain', state['domains'], wanted['domain'])
    exactly_one(problems, 'OAuth provider', state['oauth_providers'], wanted['oauth_provider'])
    for key, want in (('email_provider', wanted['smtp_host']), ('magic_link_expires_in', wanted['magic_link_expires_in']),
                      ('webhook_url', wanted['webhook_url']), ('transfer_status', 'initiated')):
        if state[key] != want:
            problems.append('%s is %r, expected %r' % (key, state[key], want))
    return state


def check_env_files(workdir, problems):
    for name in sorted(os.listdir(workdir)):
        if name.endswith('.env'):
            mode = stat.S_IMODE(os.stat(os.path.join(workdir, name)).st_mode)
            if mode != 0o600:
                problems.append('env file %s has mode %04o, not 0600' % (name, mode))


def main():
    command = sys.argv[1]
    fault = json.loads(os.environ['FAULT'])
    modules = json.loads(os.environ['FAULT_MODULES'])
    if command == 'prepare':
        prepare(fault, modules)
        return 0
    problems = []
    log = control('/requests')['requests']
    routes = check_routes(fault, modules, log, problems)
    state = check_state(json.loads(os.environ['FAULT_TARGET']), problems)
    check_env_files(os.environ['FAULT_WORKDIR'], problems)
    print(json.dumps(dict(problems=problems, routes=routes, state=state, requests=len(log)), sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
