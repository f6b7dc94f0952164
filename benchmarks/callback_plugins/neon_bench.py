# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark helper (benchmarks/run only, not part of the collection): each task's time and outcome as JSON."""

from __future__ import annotations

DOCUMENTATION = r'''
name: neon_bench
type: aggregate
short_description: Write each task's duration and outcome to a JSON file (benchmarks/run only)
description:
  - Records, per task, the seconds from its start to its result, its outcome, the HTTP statuses of ansible.builtin.uri
    results and the summary of community.neon.neon_auth_user, and writes them to the file named by the environment
    variable E(NEON_BENCH_TASKS_FILE) at the end of the playbook.
requirements:
  - enabled in callbacks_enabled
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase

FAILED_REASONS_KEPT = 5


def http_statuses(result):
    """The HTTP statuses of a uri result, one per loop item."""
    items = result.get('results') if isinstance(result.get('results'), list) else [result]
    return [item.get('status') for item in items if isinstance(item, dict) and 'status' in item]


def users_outcome(result):
    """What neon_auth_user reports about its users: the summary and a few reasons of failed users."""
    users = result.get('users')
    if not isinstance(users, list):
        return None
    failed = [u for u in users if isinstance(u, dict) and u.get('action') in ('failed', 'skipped')]
    return dict(summary=result.get('summary'), failed=len(failed), existence_source=result.get('existence_source'),
                failed_reasons=[u.get('reason') for u in failed[:FAILED_REASONS_KEPT]])


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'neon_bench'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.tasks = []
        self.current = None
        self.started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.current = dict(name=task.get_name(), action=task.action, started=time.monotonic())

    def _record(self, result, outcome):
        if self.current is None:
            return
        data = result._result  # pylint: disable=protected-access
        if outcome == 'ok' and data.get('changed'):
            outcome = 'changed'
        task = dict(name=self.current['name'], action=self.current['action'], outcome=outcome,
                    seconds=round(time.monotonic() - self.current['started'], 4))
        statuses = http_statuses(data)
        if statuses:
            task['statuses'] = statuses
        users = users_outcome(data)
        if users is not None:
            task['users'] = users
        if outcome == 'failed':
            task['msg'] = str(data.get('msg', ''))[:500]
        self.tasks.append(task)
        self.current = None

    def v2_runner_on_ok(self, result):
        self._record(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('NEON_BENCH_TASKS_FILE')
        if not path:
            return
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(dict(tasks=self.tasks, seconds=round(time.monotonic() - self.started, 4)), handle, indent=1)
