# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.community.neon.plugins.modules import (
    neon_auth_config_info,
    neon_auth_domain,
    neon_auth_email_provider,
    neon_auth_oauth_provider,
    neon_auth_settings,
    neon_auth_webhook,
)
from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import (  # pylint: disable=unused-import
    auth,
    base_args,
)


def configure(auth):
    auth.domains = ['https://app.example.com', 'https://*.preview.vercel.app']
    auth.providers = dict(google=dict(id='google', type='standard', client_id='cid', client_secret='oauth-secret-1'),
                          github=dict(id='github', type='shared', client_id=''))
    auth.list_secrets = True
    auth.email = dict(type='standard', host='smtp.example.com', port=587, username='u', password='smtp-secret-2',
                      sender_email='a@example.com', sender_name='App')
    auth.webhook = dict(enabled=True, webhook_url='https://h.example.com', enabled_events=['send.otp'], timeout_seconds=8)
    auth.allow_localhost = False


def test_shape_and_no_secrets(auth, run_module):
    configure(auth)
    result = run_module(neon_auth_config_info.main, base_args())
    assert result['changed'] is False and auth.writes() == []
    config = result['config']
    assert config['domains'] == ['https://app.example.com', 'https://*.preview.vercel.app']
    assert config['oauth_providers'] == [dict(id='google', type='standard', client_id='cid'), dict(id='github', type='shared')]
    assert config['email_provider'] == dict(type='standard', host='smtp.example.com', port=587, username='u',
                                            sender_email='a@example.com', sender_name='App')
    assert config['webhook'] == dict(enabled=True, url='https://h.example.com', enabled_events=['send.otp'], timeout_seconds=8)
    assert config['settings']['allow_localhost'] is False
    assert set(config['settings']) == set(['email_and_password', 'allow_localhost', 'organization', 'magic_link',
                                           'phone_number'])
    assert config['settings']['phone_number'] == dict(enabled=False, otp_expires_in=300)
    for secret in ('oauth-secret-1', 'smtp-secret-2'):
        assert secret not in result['_raw']


def test_fresh_branch(auth, run_module):
    config = run_module(neon_auth_config_info.main, base_args())['config']
    assert config['domains'] == [] and config['oauth_providers'] == []
    assert config['email_provider'] == dict(type='shared')
    assert config['webhook'] == dict(enabled=False, url=None, enabled_events=[], timeout_seconds=5)


def test_feeding_the_result_back_changes_nothing(auth, run_module):
    configure(auth)
    config = run_module(neon_auth_config_info.main, base_args())['config']
    auth.calls = []
    results = [run_module(neon_auth_domain.main, base_args(domains=config['domains'], exclusive=True))]
    for provider in config['oauth_providers']:
        results.append(run_module(neon_auth_oauth_provider.main, base_args(**provider)))
    results.append(run_module(neon_auth_email_provider.main, base_args(**config['email_provider'])))
    results.append(run_module(neon_auth_settings.main, base_args(**config['settings'])))
    results.append(run_module(neon_auth_webhook.main, base_args(**config['webhook'])))
    assert [r.get('failed') for r in results] == [None] * len(results)
    assert [r['changed'] for r in results] == [False] * len(results)
    assert auth.writes() == []


def test_missing_integration(auth, run_module):
    auth.enabled = False
    result = run_module(neon_auth_config_info.main, base_args())
    assert result['failed'] is True and 'run community.neon.neon_auth_integration first' in result['msg']
