# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import requests

from ansible_collections.community.neon.plugins.modules import neon_auth_domain
from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import (  # pylint: disable=unused-import
    AUTH,
    auth,
    base_args,
    error,
)


def run(run_module, **args):
    return run_module(neon_auth_domain.main, base_args(**args))


def test_add_then_nothing_to_do(auth, run_module):
    result = run(run_module, domains=['https://app.example.com', 'https://*.preview.vercel.app'])
    assert result['changed'] is True
    assert result['added'] == ['https://app.example.com', 'https://*.preview.vercel.app']
    assert result['domains'] == ['https://app.example.com', 'https://*.preview.vercel.app']
    assert result['branch_id'] == 'br-main-123456' and result['branch_chosen'] == 'default'
    posts = auth.writes()
    assert [(m, p) for m, p, b in posts] == [('POST', AUTH + '/domains')] * 2
    assert posts[0][2] == dict(domain='https://app.example.com', auth_provider='better_auth')

    auth.calls = []
    again = run(run_module, domains=['https://app.example.com', 'https://*.preview.vercel.app'])
    assert again['changed'] is False and auth.writes() == []


def test_compares_in_canonical_form(auth, run_module):
    auth.domains = ['https://app.example.com']
    result = run(run_module, domain='HTTPS://App.Example.com:443')
    assert result['changed'] is False and auth.writes() == []


def test_sends_the_canonical_form(auth, run_module):
    run(run_module, domain='https://App.Example.com')
    assert auth.domains == ['https://app.example.com']


def test_exclusive_removes_the_rest_in_one_request(auth, run_module):
    auth.domains = ['https://a.example.com', 'https://b.example.com', 'https://c.example.com']
    result = run(run_module, domains=['https://a.example.com', 'https://d.example.com'], exclusive=True)
    assert result['changed'] is True
    assert result['removed'] == ['https://b.example.com', 'https://c.example.com']
    assert result['added'] == ['https://d.example.com']
    assert auth.write_paths() == ['POST /domains', 'DELETE /domains']
    assert auth.writes()[1][2] == dict(auth_provider='better_auth',
                                       domains=[dict(domain='https://b.example.com'), dict(domain='https://c.example.com')])
    assert sorted(result['domains']) == ['https://a.example.com', 'https://d.example.com']


def test_exclusive_empty_list_removes_all(auth, run_module):
    auth.domains = ['https://a.example.com']
    result = run(run_module, domains=[], exclusive=True)
    assert result['changed'] is True and auth.domains == []


def test_absent_removes_the_stored_value_then_nothing(auth, run_module):
    auth.domains = ['https://App.example.com/', 'https://b.example.com']
    result = run(run_module, domain='https://app.example.com', state='absent')
    assert result['changed'] is True and result['removed'] == ['https://App.example.com/']
    assert auth.domains == ['https://b.example.com']
    auth.calls = []
    again = run(run_module, domain='https://app.example.com', state='absent')
    assert again['changed'] is False and auth.writes() == []


def test_check_mode_and_diff(auth, run_module):
    auth.domains = ['https://a.example.com']
    result = run_module(neon_auth_domain.main, base_args(domains=['https://b.example.com'], exclusive=True),
                        check_mode=True, diff=True)
    assert result['changed'] is True and auth.writes() == []
    assert result['diff'] == dict(before=dict(domains=['https://a.example.com']),
                                  after=dict(domains=['https://b.example.com']))
    assert auth.domains == ['https://a.example.com']


def test_bad_input_fails_before_any_request(auth, run_module):
    result = run(run_module, domains=['app.example.com', 'https://ok.example.com/'])
    assert result['failed'] is True and auth.calls == []
    assert "'app.example.com' must start with https://" in result['msg']
    assert 'must not end with a slash (write https://ok.example.com)' in result['msg']
    assert 'exception' not in result


def test_other_input_rules(auth, run_module):
    assert 'Give domain or domains' in run(run_module)['msg']
    assert 'exclusive only applies' in run(run_module, domain='https://a.example.com', exclusive=True, state='absent')['msg']
    assert 'domains is empty' in run(run_module, domains=[])['msg']
    assert auth.calls == []


def test_missing_integration_says_what_to_do(auth, run_module):
    auth.enabled = False
    result = run(run_module, domain='https://a.example.com')
    assert result['failed'] is True and 'run community.neon.neon_auth_integration first' in result['msg']
    assert auth.writes() == []


def test_ambiguous_add_is_read_back_not_repeated(auth, run_module):
    auth.fault('POST', '/domains$', error(503, 'upstream failed'), apply_first=True)
    result = run(run_module, domain='https://a.example.com')
    assert result['changed'] is True and auth.domains == ['https://a.example.com']
    assert auth.write_paths() == ['POST /domains']
    assert 'reading it back shows the change was applied' in result['_raw']


def test_ambiguous_add_not_applied_is_sent_again_once(auth, run_module):
    auth.fault('POST', '/domains$', requests.exceptions.ReadTimeout('read timed out'))
    result = run(run_module, domain='https://a.example.com')
    assert 'failed' not in result and result['changed'] is True and auth.domains == ['https://a.example.com']
    # read back between the two: not applied, so sending it again cannot add it twice
    assert auth.write_paths() == ['POST /domains', 'POST /domains']


def test_ambiguous_add_never_applied_fails_when_the_budget_is_spent(auth, run_module):
    for dummy in range(20):
        auth.fault('POST', '/domains$', requests.exceptions.ConnectionError('Connection aborted.'))
    result = run(run_module, domain='https://a.example.com', api_retry_budget=0)
    assert result['failed'] is True and 'Could not add the trusted domain https://a.example.com' in result['msg']
    assert 'did not show the write applied' in result['msg'] and 'gave up after 1 attempt over' in result['msg']
    assert auth.write_paths() == ['POST /domains'] and auth.domains == []
