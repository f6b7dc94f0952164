# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An in-memory Neon Auth configuration of one branch, answering like the API reference (B4, B8-B19)."""

from __future__ import annotations

import copy
import json
import re

import pytest
import requests

PROJECT = 'demo-project-123456'
BRANCH = 'br-main-123456'
OTHER_BRANCH = 'br-dev-123456'
AUTH = '/projects/%s/branches/%s/auth' % (PROJECT, BRANCH)


class FakeResponse(object):
    def __init__(self, status, body=None):
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict({'Content-Type': 'application/json'})
        self.text = '' if body is None else json.dumps(body)


def error(status, message, code=''):
    return FakeResponse(status, dict(code=code, message=message, request_id='req-1'))


class FakeAuthConfig(object):
    """Routes requests by method and path; `calls` records (method, path, body) of every request."""

    def __init__(self):
        self.headers = {}
        self.calls = []
        self.enabled = True
        self.auth_provider = 'better_auth'
        self.domains = []
        self.providers = {}
        self.email = None
        self.email_and_password = dict(enabled=True, email_verification_method='otp', require_email_verification=False,
                                       auto_sign_in_after_verification=True, send_verification_email_on_sign_up=False,
                                       send_verification_email_on_sign_in=False, disable_sign_up=False)
        self.allow_localhost = True
        self.organization = dict(enabled=True, organization_limit=10, membership_limit=100, creator_role='owner',
                                 send_invitation_email=False)
        self.magic_link = dict(enabled=False, expires_in=5, disable_sign_up=False)
        self.phone_number = dict(enabled=False, otp_expires_in=300)
        self.webhook = dict(enabled=False, webhook_url='', enabled_events=[], timeout_seconds=5)
        self.test_answer = dict(success=True)
        self.new_test_endpoint = True
        self.list_secrets = False
        # {(method, path regex): [FakeResponse or Exception, ...]} answered (once each) before the real handler;
        # apply_first=True performs the request before answering.
        self.faults = []

    # -- helpers for tests ---------------------------------------------------------------------------------------

    def fault(self, method, pattern, answer, apply_first=False):
        self.faults.append((method, re.compile(pattern), answer, apply_first))

    def writes(self):
        return [(m, p, b) for m, p, b in self.calls if m != 'GET']

    def write_paths(self):
        return ['%s %s' % (m, p.replace(AUTH, '')) for m, p, dummy in self.writes()]

    # -- the session interface -----------------------------------------------------------------------------------

    def request(self, method, url, **kwargs):
        path = url.split('/api/v2', 1)[1]
        body = json.loads(kwargs['data']) if kwargs.get('data') else None
        self.calls.append((method, path, copy.deepcopy(body)))
        for index, (fault_method, pattern, answer, apply_first) in enumerate(self.faults):
            if fault_method == method and pattern.search(path):
                del self.faults[index]
                if apply_first:
                    self.handle(method, path, body)
                if isinstance(answer, Exception):
                    raise answer
                return answer
        return self.handle(method, path, body)

    def handle(self, method, path, body):
        if method == 'GET' and path == '/projects/%s/branches' % PROJECT:
            return FakeResponse(200, dict(branches=[dict(id=BRANCH, default=True), dict(id=OTHER_BRANCH, default=False)]))
        match = re.match(r'^/projects/%s/branches/([^/]+)$' % PROJECT, path)
        if method == 'GET' and match:
            if match.group(1) in (BRANCH, OTHER_BRANCH):
                return FakeResponse(200, dict(branch=dict(id=match.group(1))))
            return error(404, 'branch not found')
        if not path.startswith(AUTH):
            return error(404, 'no route %s %s' % (method, path))
        if not self.enabled:
            return error(404, 'Neon Auth is not enabled for this branch')
        suffix = path[len(AUTH):]
        handler = getattr(self, 'on_%s%s' % (method.lower(), re.sub(r'[^a-z]+', '_', suffix.split('/oauth_providers/')[0])),
                          None)
        if suffix.startswith('/oauth_providers/'):
            return self.on_provider(method, suffix.split('/')[-1], body)
        if handler is None:
            return error(404, 'no route %s %s' % (method, path))
        return handler(body)

    # -- routes ----------------------------------------------------------------------------------------------------

    def on_get(self, body):
        return FakeResponse(200, dict(auth_provider=self.auth_provider, branch_id=BRANCH, db_name='neondb'))

    def on_get_domains(self, body):
        return FakeResponse(200, dict(domains=[dict(domain=d, auth_provider=self.auth_provider) for d in self.domains]))

    def on_post_domains(self, body):
        if body['domain'] in self.domains:
            return error(409, 'domain already exists')
        self.domains.append(body['domain'])
        return FakeResponse(201)

    def on_delete_domains(self, body):
        drop = [item['domain'] for item in body['domains']]
        self.domains = [d for d in self.domains if d not in drop]
        return FakeResponse(200)

    def on_get_oauth_providers(self, body):
        providers = []
        for item in self.providers.values():
            item = dict(item)
            if not self.list_secrets:
                item.pop('client_secret', None)
            item.pop('microsoft_tenant_id', None)
            providers.append(item)
        return FakeResponse(200, dict(providers=providers))

    def on_post_oauth_providers(self, body):
        if body['id'] in self.providers:
            return error(409, 'provider exists')
        if not body.get('client_id') and body['id'] == 'microsoft':
            return error(400, 'microsoft needs credentials', code='INVALID_SHARED_OAUTH_PROVIDER')
        item = dict(body, type='standard' if body.get('client_id') else 'shared')
        self.providers[body['id']] = item
        return FakeResponse(200, dict(item, client_secret=''))

    def on_provider(self, method, provider_id, body):
        if provider_id not in self.providers:
            return error(404, 'provider not found')
        if method == 'DELETE':
            del self.providers[provider_id]
            return FakeResponse(200)
        self.providers[provider_id].update(body)
        return FakeResponse(200, dict(self.providers[provider_id], client_secret=''))

    def on_get_email_provider(self, body):
        if self.email is None:
            return error(404, 'email provider not configured')
        return FakeResponse(200, dict(self.email, password='') if 'password' in self.email else self.email)

    def on_patch_email_provider(self, body):
        merged = dict(self.email or {}) if (self.email or {}).get('type') == body.get('type') else {}
        merged.update(body)
        self.email = merged
        return FakeResponse(200, dict(merged, password='') if 'password' in merged else merged)

    def on_post_email_provider_test(self, body):
        if not self.new_test_endpoint:
            return error(404, 'not found')
        return FakeResponse(200, self.test_answer)

    def on_post_send_test_email(self, body):
        return FakeResponse(200, self.test_answer)

    def on_get_email_and_password(self, body):
        return FakeResponse(200, self.email_and_password)

    def on_patch_email_and_password(self, body):
        self.email_and_password.update(body)
        return FakeResponse(200, self.email_and_password)

    def on_get_allow_localhost(self, body):
        return FakeResponse(200, dict(allow_localhost=self.allow_localhost))

    def on_patch_allow_localhost(self, body):
        self.allow_localhost = body['allow_localhost']
        return FakeResponse(200, dict(allow_localhost=self.allow_localhost))

    def on_get_plugins(self, body):
        return FakeResponse(200, dict(organization=self.organization, magic_link=self.magic_link))

    def on_patch_plugins_organization(self, body):
        self.organization.update(body)
        return FakeResponse(200, self.organization)

    def on_patch_plugins_magic_link(self, body):
        self.magic_link.update(body)
        return FakeResponse(200, self.magic_link)

    def on_get_plugins_phone_number(self, body):
        return FakeResponse(200, self.phone_number)

    def on_patch_plugins_phone_number(self, body):
        self.phone_number.update(body)
        return FakeResponse(200, self.phone_number)

    def on_get_webhooks(self, body):
        return FakeResponse(200, self.webhook)

    def on_put_webhooks(self, body):
        self.webhook = dict(enabled=body['enabled'], webhook_url=body.get('webhook_url', ''),
                            enabled_events=body.get('enabled_events', []), timeout_seconds=body.get('timeout_seconds', 5))
        return FakeResponse(200, self.webhook)


@pytest.fixture
def auth(monkeypatch):
    fake = FakeAuthConfig()
    from ansible_collections.community.neon.plugins.module_utils import _api
    monkeypatch.setattr(_api.requests, 'Session', lambda: fake)
    monkeypatch.setattr(_api.time, 'sleep', lambda seconds: None)
    return fake


def base_args(**args):
    args.setdefault('project_id', PROJECT)
    return args
