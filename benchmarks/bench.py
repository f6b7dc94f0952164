# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks of community.neon against plain ansible.builtin.uri playbooks, run by benchmarks/run.

benchmarks/run sets up .venv, copies the collection, starts the local emulator and runs this file with the
emulator's address in NEON_API_ENDPOINT, NEON_EMULATOR_URL and NEON_API_KEY. Both sides run in the same process
against the same emulator, interleaved, so a busy machine slows both alike.

Scenarios:
  setup      the neon_auth role for one project and N users vs a uri playbook doing the steps of Neon's API guide,
             first run and converged (second) run, for each provider; emulator reset before each first run
  bulk       neon_auth_user with 1,000 users while the emulator enforces Neon's rate limits, vs the floor they impose
  one-task   neon_auth_integration_info (one request) vs a uri task sending the same request

Measured: wall time of ansible-playbook (median of the runs), each task's time (callback neon_bench), requests and
writes (the emulator's request log), rows in the database, and in separate memory runs the peak RSS of every module
process (benchmarks/interpreter as ansible_python_interpreter).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
PLAYBOOKS = os.path.join(BENCH_DIR, 'playbooks')
DOC = os.path.join(ROOT, 'docs', 'performance.md')
# The table goes between these markers; runs with --latency have their own block.
DOC_MARKERS = '<!-- benchmarks/run %s: start -->', '<!-- benchmarks/run %s: end -->'

PROVIDERS = ('better_auth', 'stack')
# Seed projects without Neon Auth (tests/emulator/seed.json); the one-task read uses a branch that has it.
SETUP_TARGETS = {
    'better_auth': ('demo-project-123456', 'br-main-123456'),
    'stack': ('staging-project-123456', 'br-staging-main-123456'),
}
BULK_TARGET = ('demo-project-123456', 'br-main-123456')
READ_TARGET = ('better-auth-project-123456', 'br-ba-main-123456')

# Neon's documented limits, enforced by the emulator in the bulk scenario.
RATE_LIMIT = dict(enabled=True, per_minute=700, burst_per_second=40, retry_after=True)

# Targets of the issue "Benchmarks: request economy and speed".
SETUP_RATIO_TARGET = 0.30
BULK_RATIO_TARGET = 1.10
ONE_TASK_RATIO_TARGET = 1.20

USER_CREATE_ROUTES = ('createBranchNeonAuthNewUser', 'createNeonAuthNewUser')
KEY_ROUTES = ('createNeonAuthProviderSDKKeys',)
STACK_CREATE_ROUTE = 'createNeonAuthIntegration'
KEY_VARIABLES = ('NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY', 'STACK_SECRET_SERVER_KEY')
MODULE_NAME = re.compile(r'^(\d+) (\S+)$')

SIDE_TITLES = {'role': 'community.neon role', 'uri': '`uri` playbook', 'module': 'community.neon module'}
PROVIDER_TITLES = {'better_auth': 'Better Auth', 'stack': 'Stack Auth'}


def say(text=''):
    print(text, flush=True)


# -- the emulator -------------------------------------------------------------------------------------


class Emulator(object):
    """The emulator's control API (no key) and the Neon API it serves (with the key)."""

    def __init__(self, root_url, api_url, api_key, latency=0.0):
        self.root_url = root_url.rstrip('/')
        self.api_url = api_url.rstrip('/')
        self.api_key = api_key
        self.latency = latency

    @staticmethod
    def _call(url, method='GET', body=None, headers=None):
        data = json.dumps(body).encode('utf-8') if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            request.add_header('Content-Type', 'application/json')
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode('utf-8')
        return json.loads(text) if text.strip() else None

    def control(self, method, path, body=None):
        return self._call(self.root_url + '/_emulator' + path, method, body)

    def api(self, method, path, body=None):
        return self._call(self.api_url + path, method, body, {'Authorization': 'Bearer %s' % self.api_key})

    def reset(self):
        """Back to the seed; with a latency, every API answer is then delayed by it (a stall fault)."""
        self.control('POST', '/reset')
        if self.latency:
            self.control('POST', '/faults', dict(kind='stall', seconds=self.latency, count=1000000))

    def take_log(self):
        """The API requests logged since the last call, then an empty log."""
        entries = self.control('GET', '/requests')['requests']
        self.control('DELETE', '/requests')
        return entries

    def user_rows(self, provider, project_id, branch_id):
        """(rows, distinct emails) of the benchmark's users in the branch database, read with psycopg."""
        import psycopg  # the emulator's own requirement, present in .venv

        query = urllib.parse.urlencode(dict(project_id=project_id, branch_id=branch_id, database_name='neondb'))
        url = self.control('GET', '/database_url?' + query)['url']
        if provider == 'stack':
            sql = ('SELECT count(*), count(DISTINCT lower(email)) FROM neon_auth.users_sync '
                   "WHERE deleted_at IS NULL AND email LIKE 'bench-%'")
        else:
            sql = "SELECT count(*), count(DISTINCT lower(email)) FROM neon_auth.\"user\" WHERE email LIKE 'bench-%'"
        with psycopg.connect(url, autocommit=True) as connection:
            try:
                rows, distinct = connection.execute(sql).fetchone()
            except psycopg.errors.UndefinedTable:
                return 0, 0
        return rows, distinct


def request_summary(entries):
    """Counts from the emulator's request log: requests, writes, statuses, user creates, key sets minted."""
    statuses = collections.Counter(entry['status'] for entry in entries)
    routes = collections.Counter('%s %s' % (entry['route'], entry['status']) for entry in entries)
    creates = [entry for entry in entries if entry['route'] in USER_CREATE_ROUTES]
    minted = [entry for entry in entries if entry['status'] == 201 and (
        entry['route'] in KEY_ROUTES or entry['route'] == STACK_CREATE_ROUTE)]
    return dict(
        requests=len(entries),
        writes=len([entry for entry in entries if entry['write']]),
        reads=len([entry for entry in entries if not entry['write']]),
        status_429=statuses.get(429, 0),
        user_creates=len(creates),
        user_creates_201=len([entry for entry in creates if entry['status'] == 201]),
        key_sets_minted=len(minted),
        routes=dict(sorted(routes.items())),
    )


# -- running playbooks --------------------------------------------------------------------------------


class Runner(object):
    """Runs ansible-playbook from .venv with the copied collection and the timing callback."""

    def __init__(self, args, emulator):
        self.args = args
        self.emulator = emulator
        self.bin_dir = os.path.dirname(sys.executable)
        self.count = 0
        os.makedirs(os.path.join(args.work_dir, 'logs'), exist_ok=True)
        self.env = dict(os.environ)
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=args.collections,
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(BENCH_DIR, 'callback_plugins'),
            ANSIBLE_CALLBACKS_ENABLED='neon_bench',
            ANSIBLE_LOCALHOST_WARNING='False',
            ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_RETRY_FILES_ENABLED='False',
            NEON_BENCH_PYTHON=sys.executable,
        )

    def vars_file(self, name, data):
        path = os.path.join(self.args.work_dir, '%s.vars.json' % name)
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(data, handle)
        return path

    def run(self, playbook, vars_path, label, memory=False):
        """One ansible-playbook run; returns its wall time, exit status, tasks and (memory runs) peak RSS per module."""
        self.count += 1
        stem = os.path.join(self.args.work_dir, 'logs', '%03d-%s' % (self.count, label))
        env = dict(self.env, NEON_BENCH_TASKS_FILE=stem + '.tasks.json')
        command = [os.path.join(self.bin_dir, 'ansible-playbook'), '-i', 'localhost,',
                   os.path.join(PLAYBOOKS, playbook), '-e', '@' + vars_path]
        if memory:
            env['NEON_BENCH_RSS_FILE'] = stem + '.rss'
            open(env['NEON_BENCH_RSS_FILE'], 'w').close()
            command += ['-e', 'ansible_python_interpreter=%s' % os.path.join(BENCH_DIR, 'interpreter')]
        with open(stem + '.log', 'w', encoding='utf-8') as log:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            status = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=self.args.work_dir)
            wall = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of ansible-playbook and every process it waited for (module runs included): steadier than wall time
        # on a busy machine.
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        try:
            with open(stem + '.tasks.json', encoding='utf-8') as handle:
                tasks = json.load(handle)['tasks']
        except (OSError, ValueError, KeyError):
            tasks = []
        result = dict(label=label, playbook=playbook, wall=round(wall, 3), cpu=round(cpu, 3), rc=status, tasks=tasks,
                      log=stem + '.log')
        if memory:
            result['rss_kib'] = read_rss(env['NEON_BENCH_RSS_FILE'])
        if status != 0:
            say('  ! %s exited %d (log: %s)' % (label, status, stem + '.log'))
        return result


def read_rss(path):
    """Peak RSS (KiB) per module name from the interpreter wrapper's lines."""
    peaks = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            match = MODULE_NAME.match(line.strip())
            if match:
                peaks[match.group(2)] = max(peaks.get(match.group(2), 0), int(match.group(1)))
    return peaks


def env_file_facts(path):
    """The variable names of an env file and a fingerprint of its key values (never the values)."""
    try:
        with open(path, encoding='utf-8') as handle:
            text = handle.read()
    except OSError:
        return dict(exists=False, names=[], keys_fingerprint=None)
    values = {}
    for line in text.splitlines():
        if '=' in line and not line.lstrip().startswith('#'):
            name, value = line.split('=', 1)
            values[name.strip()] = value.strip().strip('"\'')
    keys = '\n'.join(values.get(name, '') for name in KEY_VARIABLES)
    return dict(exists=True, names=sorted(values), keys_fingerprint=hashlib.sha256(keys.encode('utf-8')).hexdigest()[:12])


def bench_users(count, prefix):
    return [dict(email='bench-%s-%04d@example.com' % (prefix, number), name='Bench User %04d' % number)
            for number in range(count)]


# -- scenarios --------------------------------------------------------------------------------------


def setup_vars(runner, side, provider, users, env_file):
    project_id, branch_id = SETUP_TARGETS[provider]
    if side == 'role':
        data = dict(neon_auth_project_id=project_id, neon_auth_branch_id=branch_id, neon_auth_provider=provider,
                    neon_auth_users=users, neon_auth_env_file=env_file)
    else:
        data = dict(neon_project_id=project_id, neon_branch_id=branch_id, app_users=users, app_env_file=env_file)
    return runner.vars_file('setup-%s-%s' % (side, provider), data)


def setup_pair(runner, emulator, side, provider, users, round_label, memory=False):
    """Reset, first run, converged run; returns both measurements."""
    project_id, branch_id = SETUP_TARGETS[provider]
    env_file = os.path.join(runner.args.work_dir, 'app-%s-%s.env' % (side, provider))
    if os.path.exists(env_file):
        os.remove(env_file)
    vars_path = setup_vars(runner, side, provider, users, env_file)
    playbook = 'role_setup.yml' if side == 'role' else 'uri_%s.yml' % provider
    emulator.reset()
    emulator.take_log()
    measured = []
    previous_keys = None
    for phase in ('first', 'converged'):
        label = '%s-%s-%s-%s%s' % (phase, side, provider, round_label, '-memory' if memory else '')
        result = runner.run(playbook, vars_path, label, memory=memory)
        result.update(scenario='setup', phase=phase, side=side, provider=provider, memory=memory)
        result['api'] = request_summary(emulator.take_log())
        result['rows'], result['distinct_emails'] = emulator.user_rows(provider, project_id, branch_id)
        result['env_file'] = env_file_facts(env_file)
        keys = result['env_file']['keys_fingerprint'] if provider == 'stack' else None
        result['env_keys_replaced'] = previous_keys is not None and keys != previous_keys
        previous_keys = keys
        say('  %-44s %6.2f s  %3d requests, %3d writes, %d key sets minted, %d user rows (%d distinct)%s' % (
            label, result['wall'], result['api']['requests'], result['api']['writes'], result['api']['key_sets_minted'],
            result['rows'], result['distinct_emails'], '' if result['rc'] == 0 else '  FAILED'))
        measured.append(result)
    return measured


def scenario_setup(runner, emulator, args):
    say('\n== setup (first run) and converged run: %d users, %d runs each ==' % (args.users, args.runs))
    results = []
    for number in range(args.runs + args.memory_runs):
        memory = number >= args.runs
        for provider in PROVIDERS:
            users = bench_users(args.users, provider)
            sides = ('role', 'uri') if number % 2 == 0 else ('uri', 'role')
            for side in sides:
                results.extend(setup_pair(runner, emulator, side, provider, users, 'r%d' % (number + 1), memory))
    return results


def scenario_one_task(runner, emulator, args):
    say('\n== one task: one read-only request, %d runs each ==' % args.one_task_runs)
    project_id, branch_id = READ_TARGET
    vars_path = runner.vars_file('one-task', dict(neon_project_id=project_id, neon_branch_id=branch_id))
    emulator.reset()
    emulator.take_log()
    results = []
    for number in range(args.one_task_runs + args.memory_runs):
        memory = number >= args.one_task_runs
        sides = ('module', 'uri') if number % 2 == 0 else ('uri', 'module')
        for side in sides:
            label = 'one-task-%s-r%d%s' % (side, number + 1, '-memory' if memory else '')
            result = runner.run('one_task_%s.yml' % side, vars_path, label, memory=memory)
            result.update(scenario='one_task', side=side, memory=memory, api=request_summary(emulator.take_log()))
            task = result['tasks'][0]['seconds'] if result['tasks'] else None
            say('  %-44s %6.2f s  task %s s, %d requests' % (label, result['wall'], task, result['api']['requests']))
            results.append(result)
    return results


def scenario_bulk(runner, emulator, args):
    say('\n== bulk: %d users in one neon_auth_user task, Neon rate limits enforced (one run) ==' % args.bulk_users)
    project_id, branch_id = BULK_TARGET
    users = bench_users(args.bulk_users, 'bulk')
    vars_path = runner.vars_file('bulk', dict(neon_project_id=project_id, neon_branch_id=branch_id, app_users=users))
    emulator.reset()
    emulator.api('POST', '/projects/%s/branches/%s/auth' % (project_id, branch_id), dict(auth_provider='better_auth'))
    emulator.control('PUT', '/rate_limit', RATE_LIMIT)   # also restarts the limiter's windows
    emulator.take_log()
    result = runner.run('bulk_users.yml', vars_path, 'bulk', memory=True)
    result.update(scenario='bulk', side='module', memory=True, api=request_summary(emulator.take_log()))
    result['rows'], result['distinct_emails'] = emulator.user_rows('better_auth', project_id, branch_id)
    emulator.control('PUT', '/rate_limit', dict(enabled=False))
    say('  %-44s %6.2f s  %d requests, %d writes, %d answered 429, %d user rows (%d distinct)' % (
        'bulk', result['wall'], result['api']['requests'], result['api']['writes'], result['api']['status_429'],
        result['rows'], result['distinct_emails']))
    return [result]


# -- report ---------------------------------------------------------------------------------------------


def median(values):
    return statistics.median(values) if values else None


def spread(values):
    """'median (min–max)' of seconds."""
    if not values:
        return 'n/a'
    if len(values) == 1:
        return '%.2f s' % values[0]
    return '%.2f s (%.2f–%.2f)' % (median(values), min(values), max(values))


def mib(kib):
    return '%.0f MiB' % (kib / 1024.0) if kib else 'n/a'


def pick(results, **match):
    return [r for r in results if all(r.get(key) == value for key, value in match.items())]


def same(values):
    """The value if all runs agree, else 'min–max'."""
    values = list(values)
    if not values:
        return 'n/a'
    if min(values) == max(values):
        return str(values[0])
    return '%s–%s' % (min(values), max(values))


def peak_rss(results):
    """(KiB, module) of the largest module process over the memory runs."""
    best = (0, None)
    for result in results:
        for module, kib in (result.get('rss_kib') or {}).items():
            if kib > best[0]:
                best = (kib, module)
    return best


def short_task_name(name):
    """A role task's name without the role prefix; the argument check without the role's description."""
    name = name.split(' : ', 1)[-1]
    return 'Validating arguments' if name.startswith('Validating arguments') else name


def task_medians(results):
    """Median seconds per task name over the runs, in playbook order, for tasks that ran."""
    seconds = collections.OrderedDict()
    for result in results:
        for task in result['tasks']:
            if task['outcome'] != 'skipped':
                seconds.setdefault(short_task_name(task['name']), []).append(task['seconds'])
    return [(name, median(values)) for name, values in seconds.items()]


def verdict(met):
    return '**met**' if met else '**not met**'


def side_cells(runs, walls, ratio):
    """The measured cells of one side of a scenario: wall, CPU, ratio, requests (writes)."""
    return [spread(walls), '%.2f s' % median([r['cpu'] for r in runs]), ratio,
            '%s (%s)' % (same(r['api']['requests'] for r in runs), same(r['api']['writes'] for r in runs))]


def setup_rows(results, users):
    """Table rows and target lines of the setup and converged scenarios."""
    rows = []
    targets = []
    for phase in ('first', 'converged'):
        for provider in PROVIDERS:
            timed = dict((side, pick(results, phase=phase, provider=provider, side=side, memory=False)) for side in ('role', 'uri'))
            memory = dict((side, pick(results, phase=phase, provider=provider, side=side, memory=True)) for side in ('role', 'uri'))
            if not timed['role'] or not timed['uri']:
                continue
            walls = dict((side, [r['wall'] for r in timed[side]]) for side in timed)
            ratio = median(walls['role']) / median(walls['uri'])
            scenario = '%s, %s, %d users' % ('1. Setup, first run' if phase == 'first' else '2. Converged run',
                                             PROVIDER_TITLES[provider], users)
            for side in ('role', 'uri'):
                runs = timed[side]
                kib, module = peak_rss(memory[side])
                rows.append([scenario if side == 'role' else '', SIDE_TITLES[side]]
                            + side_cells(runs, walls[side], '%.2f×' % ratio if side == 'role' else '')
                            + ['%s (%s)' % (same(r['api']['user_creates'] for r in runs),
                                            same(r['api']['user_creates_201'] for r in runs)),
                               same(r['api']['key_sets_minted'] for r in runs),
                               '%s (%s distinct)' % (same(r['rows'] for r in runs), same(r['distinct_emails'] for r in runs)),
                               '%s (%s)' % (mib(kib), module or '-'),
                               str(len([r for r in runs if r['rc'] != 0]))])
            title = PROVIDER_TITLES[provider]
            if phase == 'first':
                targets.append(('Setup, first run ≤ %.1f× the uri playbook (%s, %d users)' % (SETUP_RATIO_TARGET, title, users),
                                '%.2f× (%.2f s vs %.2f s)' % (ratio, median(walls['role']), median(walls['uri'])),
                                ratio <= SETUP_RATIO_TARGET))
                continue
            targets.extend(converged_targets(title, timed))
    return rows, targets


def converged_targets(title, timed):
    """Zero writes; reads at most one per resource kind plus one database query for all users."""
    last = timed['role'][-1]
    writes = max(r['api']['writes'] for r in timed['role'])
    reads = dict((route.rsplit(' ', 1)[0], count) for route, count in last['api']['routes'].items())
    source = [task['users'].get('existence_source') for task in last['tasks'] if task.get('users')]
    one_query = source == ['database']
    return [('Converged run: zero write requests (%s)' % title,
             '%d writes (uri playbook: %s)' % (writes, same(r['api']['writes'] for r in timed['uri'])), writes == 0),
            ('Converged run: reads ≤ one per resource kind + one DB query for all users (%s)' % title,
             '%d reads of %d kinds (%s); users: %s' % (
                 last['api']['reads'], len(reads), ', '.join('%s×%d' % item for item in sorted(reads.items())),
                 'one DB query' if one_query else 'existence from %s' % (source or ['?'])[0]),
             one_query and all(count <= 1 for count in reads.values()))]


def one_task_rows(results):
    rows = []
    timed = dict((side, pick(results, side=side, memory=False)) for side in ('module', 'uri'))
    memory = dict((side, pick(results, side=side, memory=True)) for side in ('module', 'uri'))
    walls = dict((side, [r['wall'] for r in timed[side]]) for side in timed)
    tasks = dict((side, [r['tasks'][0]['seconds'] for r in timed[side] if r['tasks']]) for side in timed)
    cpus = dict((side, [r['cpu'] for r in timed[side]]) for side in timed)
    wall_ratio = median(walls['module']) / median(walls['uri'])
    task_ratio = median(tasks['module']) / median(tasks['uri']) if tasks['module'] and tasks['uri'] else None
    cpu_ratio = median(cpus['module']) / median(cpus['uri'])
    for side in ('module', 'uri'):
        kib, module = peak_rss(memory[side])
        cells = side_cells(timed[side], walls[side], '%.2f× (task %.2f×)' % (wall_ratio, task_ratio or 0)
                           if side == 'module' else '')
        cells[0] += '; task %s' % spread(tasks[side])
        rows.append(['4. One task (one GET)' if side == 'module' else '', SIDE_TITLES[side]] + cells
                    + ['-', '-', '-', '%s (%s)' % (mib(kib), module or '-'),
                       str(len([r for r in timed[side] if r['rc'] != 0]))])
    target = ('One task ≤ %.1f× the uri task' % ONE_TASK_RATIO_TARGET,
              'task %.2f× (%.3f s vs %.3f s); playbook %.2f× (%.2f s vs %.2f s); CPU %.2f×' % (
                  task_ratio or 0, median(tasks['module']), median(tasks['uri']), wall_ratio, median(walls['module']),
                  median(walls['uri']), cpu_ratio),
              task_ratio is not None and task_ratio <= ONE_TASK_RATIO_TARGET)
    return rows, [target]


def bulk_rows(results, users):
    result = results[0]
    floor = users * 60.0 / RATE_LIMIT['per_minute']
    task = result['tasks'][0] if result['tasks'] else {}
    outcome = task.get('users') or {}
    failed = outcome.get('failed', users if result['rc'] else 0)
    duplicates = result['rows'] - result['distinct_emails']
    unhandled = len([reason for reason in outcome.get('failed_reasons') or [] if '429' in (reason or '')])
    ratio = result['wall'] / floor
    kib, module = peak_rss(results)
    cells = side_cells([result], [result['wall']], '%.2f× floor' % ratio)
    cells[0] += '; task %.2f s' % task.get('seconds', 0)
    rows = [['3. Bulk, %d users, rate limits on' % users, SIDE_TITLES['module']] + cells
            + ['%d (%d)' % (result['api']['user_creates'], result['api']['user_creates_201']), '-',
               '%d (%d distinct)' % (result['rows'], result['distinct_emails']), '%s (%s)' % (mib(kib), module or '-'),
               str(0 if result['rc'] == 0 else 1)],
            ['', 'rate-limit floor (%d/min)' % RATE_LIMIT['per_minute'], '%.2f s' % floor, '', '', '%d (%d)' % (users, users),
             '', '', '', '', '']]
    met = ratio <= BULK_RATIO_TARGET and failed == 0 and duplicates == 0 and unhandled == 0 and result['rows'] == users
    target = ('Bulk %d users ≤ %.2f× the floor; zero failed users, duplicates, unhandled 429s' % (users, BULK_RATIO_TARGET),
              '%.2f× (%.1f s vs %.1f s); %d failed, %d duplicates, %d rows; 429 answers seen %d, unhandled %d' % (
                  ratio, result['wall'], floor, failed, duplicates, result['rows'], result['api']['status_429'], unhandled),
              met)
    return rows, [target]


def machine():
    try:
        ansible = subprocess.check_output([os.path.join(os.path.dirname(sys.executable), 'ansible'), '--version'],
                                          text=True).splitlines()[0].strip()
    except (OSError, subprocess.CalledProcessError):
        ansible = 'ansible-core (unknown version)'
    try:
        load = ' '.join('%.2f' % value for value in os.getloadavg())
    except OSError:
        load = 'n/a'
    return dict(nproc=os.cpu_count(), python=platform.python_version(), ansible=ansible,
                system='%s %s' % (platform.system(), platform.machine()), load=load,
                date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))


def doc_block(args):
    return 'results-latency' if args.latency else 'results'


def shown_command(argv):
    """The options of this run as a person would type them (without the ones benchmarks/run adds)."""
    shown = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ('--collections', '--work-dir'):
            skip = True
        elif not arg.startswith(('--collections=', '--work-dir=')) and arg != '--update-docs':
            shown.append(arg)
    return ' '.join(['./benchmarks/run'] + shown)


def markdown(args, results, host, started_load):
    header = ['Scenario', 'Side', 'Wall time, median (min–max)', 'CPU time', 'Ratio (wall)', 'Requests (writes)',
              'User creates sent (→ 201)', 'Key sets minted', 'User rows after', 'Peak module RSS', 'Failed runs']
    rows, targets = [], []
    for scenario, build in (('setup', lambda found: setup_rows(found, args.users)),
                            ('bulk', lambda found: bulk_rows(found, args.bulk_users)),
                            ('one_task', one_task_rows)):
        found = pick(results, scenario=scenario)
        if found:
            more_rows, more_targets = build(found)
            rows.extend(more_rows)
            targets.extend(more_targets)
    lines = [DOC_MARKERS[0] % doc_block(args), '',
             'Run %s: `%s` (%d timed runs of each setup pair, %d of each one-task playbook, %d memory runs, '
             'every API answer delayed %.3f s) on %s, %d CPUs, Python %s, %s; load average %s at the start, %s at '
             'the end.' % (host['date'], shown_command(args.argv), args.runs, args.one_task_runs, args.memory_runs,
                           args.latency, host['system'], host['nproc'], host['python'], host['ansible'], started_load,
                           host['load']), '',
             '| %s |' % ' | '.join(header), '|%s' % ''.join('---|' for dummy in header)]
    lines.extend('| %s |' % ' | '.join(row) for row in rows)
    lines += ['', '| Target | Measured | Result |', '|---|---|---|']
    lines.extend('| %s | %s | %s |' % (name, measured, verdict(met)) for name, measured, met in targets)
    breakdown = []
    for provider in PROVIDERS:
        for phase in ('first', 'converged'):
            found = pick(results, scenario='setup', side='role', provider=provider, phase=phase, memory=False)
            if found:
                breakdown.append('%s %s: %s' % (PROVIDER_TITLES[provider], phase, '; '.join(
                    '%s %.2f s' % (name, seconds) for name, seconds in task_medians(found))))
    if breakdown:
        lines += ['', 'Role task times (median):', '']
        lines.extend('- %s' % line for line in breakdown)
    lines += ['', DOC_MARKERS[1] % doc_block(args)]
    return '\n'.join(lines) + '\n'


def update_doc(args, table):
    start_marker, end_marker = (marker % doc_block(args) for marker in DOC_MARKERS)
    with open(DOC, encoding='utf-8') as handle:
        text = handle.read()
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        say('docs/performance.md has no %s ... %s block: not updated' % (start_marker, end_marker))
        return False
    with open(DOC, 'w', encoding='utf-8') as handle:
        handle.write(text[:start] + table.rstrip('\n') + text[end + len(end_marker):])
    return True


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='benchmarks/run', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=3, help='timed runs of each setup/converged pair (default 3)')
    parser.add_argument('--one-task-runs', type=int, default=10, help='timed runs of each one-task playbook (default 10)')
    parser.add_argument('--memory-runs', type=int, default=1, help='extra untimed runs measuring peak RSS (default 1)')
    parser.add_argument('--users', type=int, default=50, help='users in the setup scenarios (default 50)')
    parser.add_argument('--bulk-users', type=int, default=1000, help='users in the bulk scenario (default 1000)')
    parser.add_argument('--skip-bulk', action='store_true', help='leave out the bulk scenario (about 90 s)')
    parser.add_argument('--only', choices=['setup', 'bulk', 'one-task'], action='append',
                        help='run only this scenario (repeatable)')
    parser.add_argument('--latency', type=float, default=0.0,
                        help='delay every API answer by this many seconds, as a remote API would (default 0)')
    parser.add_argument('--update-docs', action='store_true', help='put the table into docs/performance.md')
    parser.add_argument('--collections', required=True, help='ANSIBLE_COLLECTIONS_PATH holding community.neon')
    parser.add_argument('--work-dir', required=True, help='vars files, env files, logs and results')
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.runs < 1 or args.one_task_runs < 1 or args.memory_runs < 0 or args.users < 1 or args.bulk_users < 1:
        parser.error('--runs, --one-task-runs, --users and --bulk-users must be at least 1, --memory-runs at least 0')
    if not 0 <= args.latency <= 600:
        parser.error('--latency must be between 0 and 600 seconds')
    return args


def main(argv=None):
    args = parse_args(argv)
    for name in ('NEON_API_ENDPOINT', 'NEON_EMULATOR_URL', 'NEON_API_KEY'):
        if not os.environ.get(name):
            say('%s is not set: run benchmarks/run, which starts the emulator' % name)
            return 2
    emulator = Emulator(os.environ['NEON_EMULATOR_URL'], os.environ['NEON_API_ENDPOINT'], os.environ['NEON_API_KEY'],
                        args.latency)
    runner = Runner(args, emulator)
    only = set(args.only or ['setup', 'bulk', 'one-task'])
    if args.skip_bulk:
        only.discard('bulk')
    started_load = machine()['load']
    results = []
    if 'setup' in only:
        results.extend(scenario_setup(runner, emulator, args))
    if 'one-task' in only:
        results.extend(scenario_one_task(runner, emulator, args))
    if 'bulk' in only:
        results.extend(scenario_bulk(runner, emulator, args))
    host = machine()
    table = markdown(args, results, host, started_load)
    stem = os.path.join(args.work_dir, doc_block(args))
    with open(stem + '.json', 'w', encoding='utf-8') as handle:
        json.dump(dict(machine=host, args=vars(args), results=results), handle, indent=1)
    with open(stem + '.md', 'w', encoding='utf-8') as handle:
        handle.write(table)
    say('\n' + table)
    say('raw results: %s.json, table: %s.md, playbook logs: %s' % (stem, stem, os.path.join(args.work_dir, 'logs')))
    if args.update_docs and update_doc(args, table):
        say('docs/performance.md updated')
    return 1 if [r for r in results if r['rc'] != 0] else 0


if __name__ == '__main__':
    sys.exit(main())
