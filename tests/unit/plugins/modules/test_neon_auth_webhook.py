# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.community.neon.plugins.modules import neon_auth_webhook
from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import (  # pylint: disable=unused-import
    auth,
    base_args,
)

HOOK = 'https://hooks.example.com/neon-auth'


def run(run_module, check_mode=False, diff=False, **args):
    return run_module(neon_auth_webhook.main, base_args(**args), check_mode=check_mode, diff=diff)


def test_create_then_nothing(auth, run_module):
    result = run(run_module, url=HOOK, enabled_events=['send.otp', 'send.magic_link'])
    assert result['changed'] is True
    assert auth.write_paths() == ['PUT /webhooks']
    assert auth.writes()[0][2] == dict(enabled=True, webhook_url=HOOK, enabled_events=['send.otp', 'send.magic_link'],
                                       timeout_seconds=5)
    assert result['webhook'] == dict(enabled=True, url=HOOK, enabled_events=['send.otp', 'send.magic_link'],
                                     timeout_seconds=5)
    auth.calls = []
    again = run(run_module, url='HTTPS://Hooks.example.com/neon-auth',
                enabled_events=['send.magic_link', 'send.otp', 'send.otp'])
    assert again['changed'] is False and auth.writes() == []


def test_one_field_changed_sends_the_full_object(auth, run_module):
    auth.webhook = dict(enabled=True, webhook_url=HOOK, enabled_events=['user.created'], timeout_seconds=5)
    result = run(run_module, timeout_seconds=8, diff=True)
    assert result['changed'] is True
    assert auth.writes()[0][2] == dict(enabled=True, webhook_url=HOOK, enabled_events=['user.created'], timeout_seconds=8)
    assert result['diff']['before']['timeout_seconds'] == 5 and result['diff']['after']['timeout_seconds'] == 8


def test_pause_keeps_the_settings(auth, run_module):
    auth.webhook = dict(enabled=True, webhook_url=HOOK, enabled_events=['user.created'], timeout_seconds=5)
    run(run_module, enabled=False)
    assert auth.webhook == dict(enabled=False, webhook_url=HOOK, enabled_events=['user.created'], timeout_seconds=5)


def test_enable_needs_a_url(auth, run_module):
    result = run(run_module, enabled_events=['user.created'])
    assert result['failed'] is True and 'give url' in result['msg'] and auth.writes() == []


def test_absent_then_absent_again(auth, run_module):
    auth.webhook = dict(enabled=True, webhook_url=HOOK, enabled_events=['user.created'], timeout_seconds=7)
    result = run(run_module, state='absent')
    assert result['changed'] is True
    assert auth.writes()[0][2] == dict(enabled=False, enabled_events=[], timeout_seconds=7)
    assert result['webhook'] == dict(enabled=False, url=None, enabled_events=[], timeout_seconds=7)
    auth.calls = []
    assert run(run_module, state='absent')['changed'] is False and auth.writes() == []


def test_check_mode(auth, run_module):
    result = run(run_module, check_mode=True, url=HOOK)
    assert result['changed'] is True and auth.writes() == [] and result['webhook']['url'] == HOOK


def test_bad_input_before_any_request(auth, run_module):
    result = run(run_module, url='ftp://hooks.example.com', timeout_seconds=11)
    assert result['failed'] is True and auth.calls == []
    assert 'must start with https://' in result['msg'] and 'timeout_seconds must be between 1 and 10 (got 11)' in result['msg']
    result = run(run_module, url=HOOK, enabled_events=['user.deleted'])
    assert result['failed'] is True and 'exception' not in result and auth.calls == []
    result = run(run_module, state='absent', url=HOOK)
    assert result['failed'] is True and 'state=absent takes no other' in result['msg']
