# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.neon.plugins.modules import neon_auth_transfer
from ansible_collections.community.neon.plugins.modules.neon_auth_transfer import transfer_state

PROJECT = 'stack-project-123456'
INTEGRATIONS = '/projects/%s/auth/integrations' % PROJECT
TRANSFER = '/projects/auth/transfer_ownership'
URL = 'https://app.stack-auth.com/integrations/neon/projects/transfer/confirm?code=onetime123'
BASE = {'auth_provider': 'stack', 'auth_provider_project_id': 'sp-1', 'branch_id': 'br-main-123456',
        'db_name': 'neondb', 'owned_by': 'neon', 'jwks_url': 'https://api.stack-auth.com/jwks.json'}
NEON_OWNED = (200, {'data': [BASE]})
PENDING = (200, {'data': [dict(BASE, transfer_status='initiated')]})
DONE = (200, {'data': [dict(BASE, owned_by='user', transfer_status='finished')]})
GOT_URL = (200, {'url': URL})


class FakeClock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(neon_auth_transfer, 'monotonic', fake.monotonic)
    monkeypatch.setattr(neon_auth_transfer, 'sleep', fake.sleep)
    return fake


def run(run_module, check_mode=False, diff=False, **args):
    args.setdefault('project_id', PROJECT)
    return run_module(neon_auth_transfer.main, args, check_mode=check_mode, diff=diff)


def transfer_posts(neon):
    return [c for c in neon.calls if c[0] == 'POST']


def reads(neon):
    return [c for c in neon.calls if c[0] == 'GET']


@pytest.mark.parametrize('integration, state', [
    (BASE, 'not_started'),
    (dict(BASE, transfer_status='initiated'), 'initiated'),
    (dict(BASE, transfer_status='finished'), 'finished'),
    (dict(BASE, owned_by='user'), 'finished'),
    (dict(BASE, owned_by='user', transfer_status='initiated'), 'finished'),
])
def test_transfer_state(integration, state):
    assert transfer_state(integration) == state


def test_starts_a_transfer_and_returns_the_url(neon, run_module):
    neon.on('GET', INTEGRATIONS, NEON_OWNED)
    neon.on('POST', TRANSFER, GOT_URL)
    result = run(run_module, diff=True)
    assert result['changed'] is True and result['status'] == 'initiated'
    assert result['url'] == URL
    assert transfer_posts(neon) == [('POST', TRANSFER, {'project_id': PROJECT, 'auth_provider': 'stack'})]
    assert result['diff'] == {'before': {'transfer': 'not_started'}, 'after': {'transfer': 'initiated'}}
    assert URL not in str(result.get('warnings')) and URL not in str(result['diff']) and URL not in result['msg']


@pytest.mark.parametrize('answer', [DONE, (200, {'data': [dict(BASE, owned_by='user')]}),
                                    (200, {'data': [dict(BASE, transfer_status='finished')]})])
def test_a_finished_transfer_is_no_change_and_no_request(neon, run_module, answer):
    neon.on('GET', INTEGRATIONS, answer)
    result = run(run_module, wait=True)
    assert result['changed'] is False and result['status'] == 'finished'
    assert 'url' not in result
    assert neon.writes() == [] and len(reads(neon)) == 1


def test_a_pending_transfer_is_reported_without_a_request(neon, run_module):
    neon.on('GET', INTEGRATIONS, PENDING)
    result = run(run_module)
    assert result['changed'] is False and result['status'] == 'initiated'
    assert 'url' not in result and 'force=true' in result['msg']
    assert neon.writes() == []


def test_force_requests_a_new_url_for_a_pending_transfer(neon, run_module):
    neon.on('GET', INTEGRATIONS, PENDING)
    neon.on('POST', TRANSFER, GOT_URL)
    result = run(run_module, force=True)
    assert result['changed'] is True and result['url'] == URL and result['status'] == 'initiated'
    assert 'new confirmation URL' in result['msg']
    assert len(transfer_posts(neon)) == 1


def test_force_on_a_finished_transfer_does_nothing(neon, run_module):
    neon.on('GET', INTEGRATIONS, DONE)
    result = run(run_module, force=True)
    assert result['changed'] is False and neon.writes() == []


def test_force_refused_by_neon_fails_clearly(neon, run_module):
    """Neon may answer a repeated transfer with an error: the task says the earlier URL is the one to use."""
    neon.on('GET', INTEGRATIONS, PENDING)
    neon.on('POST', TRANSFER, (409, {'code': '', 'message': 'transfer already initiated'}))
    result = run(run_module, force=True)
    assert result['failed'] is True
    assert 'refused a new confirmation URL' in result['msg'] and result['api_error']['status'] == 409
    assert 'exception' not in result


def test_an_error_after_a_concurrent_confirmation_is_success(neon, run_module):
    neon.on('GET', INTEGRATIONS, PENDING, DONE)
    neon.on('POST', TRANSFER, (400, {'code': '', 'message': 'already transferred'}))
    result = run(run_module, force=True)
    assert result.get('failed') is not True
    assert result['changed'] is False and result['status'] == 'finished'


def test_a_refused_first_transfer_fails_with_the_api_error(neon, run_module):
    neon.on('GET', INTEGRATIONS, NEON_OWNED)
    neon.on('POST', TRANSFER, (403, {'code': '', 'message': 'not allowed'}))
    result = run(run_module)
    assert result['failed'] is True and 'Could not start the transfer' in result['msg']


def test_an_ambiguous_failure_that_started_a_transfer_says_use_force(neon, run_module):
    neon.on('GET', INTEGRATIONS, NEON_OWNED, PENDING)
    neon.on('POST', TRANSFER, (503, {'code': '', 'message': 'upstream failed'}))
    result = run(run_module)
    assert result['failed'] is True
    assert 'transfer is now pending' in result['msg'] and 'force=true' in result['msg']
    assert len(transfer_posts(neon)) == 1


def test_an_ambiguous_failure_that_started_nothing_is_sent_again(neon, run_module):
    neon.on('GET', INTEGRATIONS, NEON_OWNED)
    neon.on('POST', TRANSFER, (504, {'code': '', 'message': 'gateway timeout'}), (200, {'url': 'https://example.com/t'}))
    result = run(run_module)
    assert result.get('failed') is not True and result['changed'] is True
    assert result['url'] == 'https://example.com/t' and result['status'] == 'initiated'
    assert len(transfer_posts(neon)) == 2


def test_an_ambiguous_failure_that_never_starts_anything_fails_when_the_budget_is_spent(neon, run_module):
    neon.on('GET', INTEGRATIONS, NEON_OWNED)
    neon.on('POST', TRANSFER, (504, {'code': '', 'message': 'gateway timeout'}))
    result = run(run_module, api_retry_budget=0)
    assert result['failed'] is True and 'Could not start the transfer' in result['msg']
    assert 'did not show the write applied' in result['msg']
    assert len(transfer_posts(neon)) == 1


def test_an_ambiguous_forced_request_is_not_sent_again(neon, run_module):
    neon.on('GET', INTEGRATIONS, PENDING)
    neon.on('POST', TRANSFER, (503, {'code': '', 'message': 'upstream failed'}))
    result = run(run_module, force=True)
    assert result['failed'] is True and 'force=true' in result['msg']
    assert len(transfer_posts(neon)) == 1


def test_an_answer_without_url_fails(neon, run_module):
    neon.on('GET', INTEGRATIONS, NEON_OWNED)
    neon.on('POST', TRANSFER, (200, {}))
    result = run(run_module)
    assert result['failed'] is True and 'no confirmation URL' in result['msg']


def test_check_mode_sends_no_request_and_does_not_wait(neon, run_module, clock):
    neon.on('GET', INTEGRATIONS, NEON_OWNED)
    result = run(run_module, check_mode=True, wait=True)
    assert result['changed'] is True and result['status'] == 'initiated'
    assert 'would be started' in result['msg']
    assert neon.writes() == [] and len(reads(neon)) == 1 and clock.sleeps == []


def test_better_auth_fails_before_any_request(neon, run_module):
    result = run(run_module, auth_provider='better_auth')
    assert result['failed'] is True and 'Stack Auth only' in result['msg']
    assert neon.calls == []


@pytest.mark.parametrize('args, words', [
    (dict(wait_timeout=0), 'wait_timeout must be'),
    (dict(poll_interval=0), 'poll_interval must be'),
    (dict(project_id='bad id'), 'not a valid Neon id'),
])
def test_bad_input_fails_before_any_request(neon, run_module, args, words):
    result = run(run_module, **args)
    assert result['failed'] is True and words in result['msg']
    assert neon.calls == []


def test_no_stack_integration_fails_clearly(neon, run_module):
    neon.on('GET', INTEGRATIONS, (200, {'data': []}))
    result = run(run_module)
    assert result['failed'] is True and 'run community.neon.neon_auth_integration first' in result['msg']
    assert neon.writes() == []


# -- waiting ----------------------------------------------------------------------------------------------------------

def test_wait_polls_until_the_transfer_is_confirmed(neon, run_module, clock):
    neon.on('GET', INTEGRATIONS, NEON_OWNED, PENDING, PENDING, DONE)
    neon.on('POST', TRANSFER, GOT_URL)
    result = run(run_module, wait=True, poll_interval=5, wait_timeout=60)
    assert result['changed'] is True and result['status'] == 'finished'
    assert result['url'] == URL and result['polls'] == 3
    assert result['integration']['owned_by'] == 'user'
    assert clock.sleeps == [5, 5, 5]
    assert len(transfer_posts(neon)) == 1


def test_wait_on_a_pending_transfer_requests_nothing(neon, run_module, clock):
    neon.on('GET', INTEGRATIONS, PENDING, PENDING, DONE)
    result = run(run_module, wait=True, poll_interval=10)
    assert result['changed'] is False and result['status'] == 'finished' and result['polls'] == 2
    assert neon.writes() == []


def test_wait_times_out_with_the_url_in_the_message(neon, run_module, clock):
    neon.on('GET', INTEGRATIONS, NEON_OWNED, PENDING)
    neon.on('POST', TRANSFER, GOT_URL)
    result = run(run_module, wait=True, poll_interval=4, wait_timeout=10)
    assert result['failed'] is True
    assert 'not confirmed within 10 s' in result['msg'] and URL in result['msg']
    assert clock.sleeps == [4, 4, 2]          # the last check happens at the deadline, not after it
    assert result['polls'] == 3 and result['status'] == 'initiated'


def test_wait_timeout_on_a_pending_transfer_explains_where_the_url_is(neon, run_module, clock):
    neon.on('GET', INTEGRATIONS, PENDING)
    result = run(run_module, wait=True, poll_interval=30, wait_timeout=30)
    assert result['failed'] is True and 'force=true' in result['msg']
    assert len(reads(neon)) == 2
