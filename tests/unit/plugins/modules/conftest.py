# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a module's main() in-process against a fake Neon API, on every supported ansible-core."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
import requests

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from unittest import mock

    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with mock.patch.object(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}))):
            yield

API_KEY = 'unit-test-api-key-7f3a9c'
ENDPOINT = 'http://127.0.0.1:9/api/v2'


class FakeResponse(object):
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})
        self.text = '' if body is None else json.dumps(body)


class FakeNeon(object):
    """Routes requests to handlers registered per (method, path regex); records every call."""

    def __init__(self):
        self.routes = []
        self.calls = []
        self.headers = {}

    def on(self, method, pattern, *answers):
        """Answer `method pattern` with the given (status, body) pairs in turn; the last one repeats."""
        self.routes.append((method, re.compile('^%s$' % pattern), list(answers)))

    def request(self, method, url, **kwargs):
        path = url.split('/api/v2', 1)[1]
        body = json.loads(kwargs['data']) if kwargs.get('data') else None
        self.calls.append((method, path, body))
        for route_method, pattern, answers in self.routes:
            if route_method == method and pattern.match(path):
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if isinstance(answer, Exception):
                    raise answer
                status, data = answer
                return FakeResponse(status, data)
        return FakeResponse(404, {'code': '', 'message': 'no fake route for %s %s' % (method, path)})

    def writes(self):
        return [c for c in self.calls if c[0] != 'GET']


@pytest.fixture
def neon(monkeypatch):
    fake = FakeNeon()
    from ansible_collections.community.neon.plugins.module_utils import _api
    monkeypatch.setattr(_api.requests, 'Session', lambda: fake)
    monkeypatch.setattr(_api.time, 'sleep', lambda seconds: None)
    return fake


@pytest.fixture
def run_module(capsys):
    """Run main() with args; returns the parsed result (with 'failed' set when fail_json was called)."""
    def run(main, args, check_mode=False, diff=False):
        args = dict(args)
        args.setdefault('api_key', API_KEY)
        args.setdefault('api_endpoint', ENDPOINT)
        if check_mode:
            args['_ansible_check_mode'] = True
        if diff:
            args['_ansible_diff'] = True
        # ansible-core keeps warnings process-wide (a list before 2.19, a dict since): each run starts clean.
        ansible_warnings._global_warnings.clear()
        ansible_warnings._global_deprecations.clear()
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                main()
        out = capsys.readouterr().out
        result = json.loads(out)
        result['_raw'] = out
        return result
    return run
