# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.community.neon.plugins.modules import neon_auth_email_provider
from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import (  # pylint: disable=unused-import
    auth,
    base_args,
)

PASSWORD = 'smtp-pass-9c1e77'
SMTP = dict(type='standard', host='smtp.example.com', port=587, username='apikey', password=PASSWORD,
            sender_email='no-reply@example.com', sender_name='Example App')
STORED = dict(type='standard', host='smtp.example.com', port=587, username='apikey', password=PASSWORD,
              sender_email='no-reply@example.com', sender_name='Example App')


def run(run_module, check_mode=False, diff=False, **args):
    return run_module(neon_auth_email_provider.main, base_args(**args), check_mode=check_mode, diff=diff)


def test_unset_reads_as_shared(auth, run_module):
    result = run(run_module, type='shared')
    assert result['changed'] is False and result['provider'] == dict(type='shared') and auth.writes() == []


def test_switch_to_standard_then_nothing(auth, run_module):
    result = run(run_module, diff=True, **SMTP)
    assert result['changed'] is True and result['password_sent'] is True
    assert auth.write_paths() == ['PATCH /email_provider']
    assert auth.writes()[0][2] == SMTP
    assert PASSWORD not in result['_raw']
    assert result['diff'] == dict(before=dict(type='shared'), after=dict((k, v) for k, v in SMTP.items() if k != 'password'))
    auth.calls = []
    again = run(run_module, diff=True, **SMTP)
    assert again['changed'] is False and again['password_sent'] is False and auth.writes() == []
    assert PASSWORD not in again['_raw']


def test_one_field_changed_sends_every_task_field_password_included(auth, run_module):
    auth.email = dict(STORED)
    args = dict(SMTP)
    args['port'] = 2525
    result = run(run_module, **args)
    assert result['changed'] is True and result['password_sent'] is True
    body = auth.writes()[0][2]
    assert body == dict(SMTP, port=2525)
    assert PASSWORD not in result['_raw']


def test_password_alone_never_causes_an_update(auth, run_module):
    auth.email = dict(STORED)
    result = run(run_module, password='a-different-one')
    assert result['changed'] is False and result['password_sent'] is False and auth.writes() == []


def test_partial_update_without_password_leaves_it_out(auth, run_module):
    auth.email = dict(STORED)
    result = run(run_module, port=2525)
    assert result['password_sent'] is False and auth.writes()[0][2] == dict(type='standard', port=2525)
    assert auth.email['password'] == PASSWORD


def test_only_given_fields_are_compared(auth, run_module):
    auth.email = dict(STORED)
    assert run(run_module, sender_name='Example App')['changed'] is False
    assert run(run_module, sender_name='New Name')['changed'] is True
    assert auth.writes()[0][2] == dict(type='standard', sender_name='New Name')


def test_update_password_always(auth, run_module):
    auth.email = dict(STORED)
    result = run(run_module, password='rotated-pass-123', update_password='always')
    assert result['changed'] is True and result['password_sent'] is True
    assert auth.writes()[0][2] == dict(type='standard', password='rotated-pass-123')
    assert 'rotated-pass-123' not in result['_raw']


def test_redacted_host_is_not_compared(auth, run_module):
    auth.email = dict(STORED, host='', username='')
    assert run(run_module, **SMTP)['changed'] is False


def test_switch_to_standard_needs_every_field(auth, run_module):
    result = run(run_module, host='smtp.example.com', port=587)
    assert result['failed'] is True and 'needs username, password, sender_email, sender_name' in result['msg']
    assert auth.writes() == []


def test_back_to_shared(auth, run_module):
    auth.email = dict(STORED)
    result = run(run_module, type='shared')
    assert result['changed'] is True and auth.writes()[0][2] == dict(type='shared')
    assert result['provider']['type'] == 'shared' and 'host' not in result['provider']


def test_test_email_does_not_make_a_change(auth, run_module):
    auth.email = dict(STORED)
    result = run(run_module, test_recipient='ops@example.com')
    assert result['changed'] is False
    assert result['test_email'] == dict(recipient='ops@example.com', sent=True, success=True, endpoint='email_provider/test')
    assert auth.write_paths() == ['POST /email_provider/test']
    assert auth.writes()[0][2] == dict(recipient_email='ops@example.com')


def test_failed_delivery_fails_with_the_reason(auth, run_module):
    auth.email = dict(STORED)
    auth.test_answer = dict(success=False, error_message='535 Authentication failed')
    args = dict(SMTP, test_recipient='ops@example.com')
    args['sender_name'] = 'Renamed'
    result = run(run_module, **args)
    assert result['failed'] is True and result['changed'] is True
    assert 'The test email to ops@example.com was not delivered: 535 Authentication failed' in result['msg']
    assert result['test_email']['success'] is False
    assert PASSWORD not in result['_raw']


def test_test_email_falls_back_to_the_older_endpoint(auth, run_module):
    auth.email = dict(STORED)
    auth.new_test_endpoint = False
    result = run(run_module, test_recipient='ops@example.com', password=PASSWORD)
    assert result['test_email']['endpoint'] == 'send_test_email' and result['test_email']['success'] is True
    assert auth.write_paths() == ['POST /email_provider/test', 'POST /send_test_email']
    assert auth.writes()[1][2] == dict(STORED, recipient_email='ops@example.com', password=PASSWORD)
    assert PASSWORD not in result['_raw']


def test_fallback_without_password_says_so(auth, run_module):
    auth.email = dict(STORED)
    auth.new_test_endpoint = False
    result = run(run_module, test_recipient='ops@example.com')
    assert result['failed'] is True and 'give password' in result['msg']


def test_test_email_needs_standard(auth, run_module):
    result = run(run_module, test_recipient='ops@example.com')
    assert result['failed'] is True and 'test_recipient needs a standard' in result['msg'] and auth.writes() == []


def test_check_mode_sends_nothing(auth, run_module):
    result = run(run_module, check_mode=True, test_recipient='ops@example.com', **SMTP)
    assert result['changed'] is True and auth.writes() == []
    assert result['test_email'] == dict(recipient='ops@example.com', sent=False)


def test_bad_input(auth, run_module):
    result = run(run_module, port=70000, sender_email='nope', test_recipient='x@', host=' ')
    assert result['failed'] is True and auth.calls == []
    for words in ('port must be between 1 and 65535', "sender_email 'nope' is not a valid email",
                  "test_recipient 'x@'", 'host is empty'):
        assert words in result['msg']
    assert 'do not give host' in run(run_module, type='shared', host='smtp.example.com')['msg']


def test_ambiguous_password_only_update_is_sent_again(auth, run_module):
    import requests
    auth.email = dict(STORED)
    auth.fault('PATCH', '/email_provider', requests.exceptions.ReadTimeout('timed out'), apply_first=True)
    result = run(run_module, password='rotated-pass-123', update_password='always')
    assert 'failed' not in result and result['changed'] is True and auth.email['password'] == 'rotated-pass-123'
    assert [c[0] for c in auth.writes()] == ['PATCH', 'PATCH']
    assert 'rotated-pass-123' not in result['_raw']


def test_ambiguous_password_only_update_fails_when_never_confirmed(auth, run_module):
    import requests
    auth.email = dict(STORED)
    for dummy in range(20):
        auth.fault('PATCH', '/email_provider', requests.exceptions.ReadTimeout('timed out'), apply_first=True)
    result = run(run_module, password='rotated-pass-123', update_password='always', api_retry_budget=0)
    assert result['failed'] is True and 'Could not update the email provider' in result['msg']
    assert 'rotated-pass-123' not in result['_raw']


def test_ambiguous_update_read_back(auth, run_module):
    import requests
    auth.email = dict(STORED)
    auth.fault('PATCH', '/email_provider', requests.exceptions.ReadTimeout('timed out'), apply_first=True)
    result = run(run_module, sender_name='Renamed')
    assert 'failed' not in result and result['changed'] is True and auth.email['sender_name'] == 'Renamed'


def test_test_email_is_never_sent_twice(auth, run_module):
    import requests
    auth.email = dict(STORED)
    auth.fault('POST', '/email_provider/test', requests.exceptions.ReadTimeout('timed out'))
    result = run(run_module, test_recipient='ops@example.com')
    assert result['failed'] is True and 'Could not send a test email to ops@example.com' in result['msg']
    assert auth.write_paths() == ['POST /email_provider/test']
