# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.community.neon.plugins.module_utils import _api
from ansible_collections.community.neon.plugins.module_utils._api import (
    NeonAPIError,
    NeonClient,
    RatePacer,
    RetryBudgetExhausted,
    backoff_delay,
    parse_retry_after,
)

KEY = 'neon-secret-key-abc123'


class FakeResponse(object):
    def __init__(self, status, body=None, headers=None, text=None):
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers or {})
        if text is not None:
            self.text = text
        elif body is None:
            self.text = ''
        else:
            self.text = json.dumps(body)
            self.headers.setdefault('Content-Type', 'application/json')


class FakeSession(object):
    """Answers from a list, one per request; an Exception in the list is raised instead."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []
        self.headers = {}

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(answers, budget=60):
    clock = Clock()
    session = FakeSession(answers)
    pacer = RatePacer(rate=1e9, burst=10 ** 6, clock=clock, sleep=clock.sleep)
    client = NeonClient(KEY, 'http://127.0.0.1:1/api/v2/', retry_budget=budget, session=session,
                        sleep=clock.sleep, clock=clock, pacer=pacer)
    return client, session, clock


def test_headers_and_json_body():
    client, session, dummy = make_client([FakeResponse(201, {'id': 'u1'})])
    resp = client.request('POST', '/projects/auth/user', body={'email': 'a@b.co'})
    assert resp.status == 201 and resp.data == {'id': 'u1'}
    assert session.headers['Authorization'] == 'Bearer ' + KEY
    assert session.headers['User-Agent'].startswith('ansible-community.neon/')
    method, url, kwargs = session.calls[0]
    assert (method, url) == ('POST', 'http://127.0.0.1:1/api/v2/projects/auth/user')
    assert json.loads(kwargs['data']) == {'email': 'a@b.co'}
    assert kwargs['headers']['Content-Type'] == 'application/json'


def test_api_error_carries_code_message_and_request_id_but_not_the_key():
    client, dummy, dummy2 = make_client([FakeResponse(400, {'code': 'BAD', 'message': 'nope', 'request_id': 'r-1'})])
    with pytest.raises(NeonAPIError) as err:
        client.request('POST', '/projects/auth/create', body={})
    text = str(err.value)
    assert 'HTTP 400' in text and 'code BAD' in text and 'nope' in text and 'r-1' in text
    assert 'POST /projects/auth/create' in text
    assert KEY not in text
    assert not err.value.ambiguous


def test_html_502_on_read_is_retried_and_summarized_when_budget_runs_out():
    page = '<html><body><h1>502 Bad Gateway</h1></body></html>'
    answers = [FakeResponse(502, text=page, headers={'Content-Type': 'text/html', 'x-request-id': 'rq-9'})] * 50
    client, session, clock = make_client(answers, budget=5)
    with pytest.raises(RetryBudgetExhausted) as err:
        client.get('/projects/p1')
    text = str(err.value)
    assert 'HTTP 502' in text and 'gave up after' in text and 'rq-9' in text
    assert sum(clock.sleeps) <= 5
    assert len(session.calls) > 1


def test_html_error_body_becomes_a_readable_message():
    page = '<html><body><h1>Forbidden by proxy</h1></body></html>'
    client, dummy, dummy2 = make_client([FakeResponse(418, text=page, headers={'Content-Type': 'text/html'})])
    with pytest.raises(NeonAPIError) as err:
        client.get('/projects/p1')
    assert 'text/html response: Forbidden by proxy' in str(err.value)


@pytest.mark.parametrize('status', [423, 429])
def test_refused_writes_are_retried(status):
    client, session, dummy = make_client([FakeResponse(status, {'code': '', 'message': 'wait'}), FakeResponse(201, {'id': 'x'})])
    assert client.request('POST', '/x', body={}).status == 201
    assert len(session.calls) == 2
    assert client.retry_count == 1


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_failed_write_is_ambiguous_and_not_repeated(status):
    client, session, dummy = make_client([FakeResponse(status, {'code': '', 'message': 'oops'}), FakeResponse(201, {})])
    with pytest.raises(NeonAPIError) as err:
        client.request('POST', '/x', body={})
    assert err.value.ambiguous
    assert len(session.calls) == 1


def test_dropped_connection_on_write_is_ambiguous():
    client, session, dummy = make_client([requests.exceptions.ConnectionError('Connection aborted.')])
    with pytest.raises(NeonAPIError) as err:
        client.request('DELETE', '/x')
    assert err.value.ambiguous
    assert len(session.calls) == 1


def test_connection_refused_on_write_is_retried():
    refused = requests.exceptions.ConnectionError('NewConnectionError: [Errno 111] Connection refused')
    client, session, dummy = make_client([refused, FakeResponse(201, {'id': 'x'})])
    assert client.request('POST', '/x', body={}).status == 201
    assert len(session.calls) == 2


def test_timeout_on_read_is_retried():
    client, session, dummy = make_client([requests.exceptions.ReadTimeout('slow'), FakeResponse(200, {'ok': True})])
    assert client.get('/x') == {'ok': True}
    assert len(session.calls) == 2


def test_retry_after_is_honoured():
    client, dummy, clock = make_client([FakeResponse(429, {'message': 'slow down'}, headers={'Retry-After': '3'}),
                                        FakeResponse(200, {})])
    client.get('/x')
    assert clock.sleeps == [3.0]


def test_retry_after_longer_than_budget_fails_at_once_with_reason():
    client, session, clock = make_client([FakeResponse(429, {'message': 'slow'}, headers={'Retry-After': '120'})], budget=10)
    with pytest.raises(RetryBudgetExhausted) as err:
        client.get('/x')
    assert 'rate-limiting' in str(err.value)
    assert clock.sleeps == [] and len(session.calls) == 1


def test_locked_message_names_the_lock():
    client, dummy, dummy2 = make_client([FakeResponse(423, {'message': 'project locked'})] * 100, budget=3)
    with pytest.raises(RetryBudgetExhausted) as err:
        client.request('POST', '/projects/p/branches/b/auth', body={})
    assert 'locked' in str(err.value)


def test_zero_budget_means_no_retry():
    client, session, dummy = make_client([FakeResponse(503, {'message': 'x'}), FakeResponse(200, {})], budget=0)
    with pytest.raises(RetryBudgetExhausted):
        client.get('/x')
    assert len(session.calls) == 1


def test_404_with_missing_ok_is_none():
    client, dummy, dummy2 = make_client([FakeResponse(404, {'message': 'not found'})])
    assert client.get('/x', missing_ok=True) is None


def test_pagination_follows_cursor_and_next():
    client, session, dummy = make_client([
        FakeResponse(200, {'projects': [{'id': 'a'}, {'id': 'b'}], 'pagination': {'cursor': 'b'}}),
        FakeResponse(200, {'projects': [{'id': 'c'}], 'pagination': {'cursor': 'c'}}),
        FakeResponse(200, {'projects': [], 'pagination': {'cursor': 'c'}}),
    ])
    assert [p['id'] for p in client.paginate('/projects', 'projects')] == ['a', 'b', 'c']
    assert session.calls[1][2]['params']['cursor'] == 'b'

    client, session, dummy = make_client([
        FakeResponse(200, {'branches': [{'id': 'br-1'}], 'pagination': {'next': 'n1'}}),
        FakeResponse(200, {'branches': [{'id': 'br-2'}]}),
    ])
    assert [b['id'] for b in client.paginate('/projects/p/branches', 'branches', page_size=1)] == ['br-1', 'br-2']
    assert session.calls[0][2]['params']['limit'] == 1
    assert session.calls[1][2]['params'] == {'limit': 1, 'cursor': 'n1'}


def test_pagination_stops_on_a_repeated_cursor():
    page = FakeResponse(200, {'branches': [{'id': 'br-1'}], 'pagination': {'next': 'same'}})
    client, session, dummy = make_client([page, page, page])
    assert len(client.paginate('/projects/p/branches', 'branches')) == 2
    assert len(session.calls) == 2


@pytest.mark.parametrize('status, hint', [(401, 'rejected the API key'), (403, 'not allowed')])
def test_auth_errors_explain_and_never_show_the_key(status, hint):
    client, dummy, dummy2 = make_client([FakeResponse(status, {'message': 'token %s invalid' % 'x'})])
    with pytest.raises(NeonAPIError) as err:
        client.get('/projects/p')
    assert hint in str(err.value)
    assert KEY not in str(err.value)


def test_parse_retry_after_seconds_and_http_date():
    assert parse_retry_after('7') == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after('soon') is None
    assert parse_retry_after('Thu, 01 Jan 2026 00:00:10 GMT', now=1767225600.0) == pytest.approx(10.0)
    assert parse_retry_after('Thu, 01 Jan 2026 00:00:10 GMT', now=1767225700.0) == 0.0


def test_backoff_grows_exponentially_with_jitter_and_cap():
    assert backoff_delay(0, rng=lambda: 1.0) == _api.BACKOFF_BASE
    assert backoff_delay(3, rng=lambda: 1.0) == _api.BACKOFF_BASE * 8
    assert backoff_delay(30, rng=lambda: 1.0) == _api.BACKOFF_CAP
    assert backoff_delay(5, rng=lambda: 0.0) == 0.05


def test_pacer_keeps_under_the_rate():
    clock = Clock()
    pacer = RatePacer(rate=10.0, burst=5, clock=clock, sleep=clock.sleep)
    for dummy in range(25):
        pacer.acquire()
    # 5 free in the burst, the other 20 at 10 a second.
    assert sum(clock.sleeps) == pytest.approx(2.0)


# -- Retry-After, backoff and the budget, as request() applies them ----------------------------------------------

def test_retry_after_as_http_date_is_honoured(monkeypatch):
    monkeypatch.setattr(_api.time, 'time', lambda: 1767225600.0)
    client, dummy, clock = make_client([
        FakeResponse(429, {'message': 'slow down'}, headers={'Retry-After': 'Thu, 01 Jan 2026 00:00:04 GMT'}),
        FakeResponse(200, {})])
    client.get('/x')
    assert clock.sleeps == [pytest.approx(4.0)]


def test_parse_retry_after_edge_cases():
    assert parse_retry_after(' 2 ') == 2.0
    assert parse_retry_after('1.5') == 1.5
    assert parse_retry_after('0') == 0.0
    assert parse_retry_after('') is None
    assert parse_retry_after('-3') is None
    assert parse_retry_after('Thu, 01 Jan 2026 00:01:00 GMT', now=1767225600.0) == pytest.approx(60.0)


def test_429_without_retry_after_backs_off_exponentially(monkeypatch):
    full = _api.backoff_delay
    monkeypatch.setattr(_api, 'backoff_delay', lambda attempt: full(attempt, rng=lambda: 1.0))
    answers = [FakeResponse(429, {'message': 'slow down'})] * 3 + [FakeResponse(201, {'id': 'x'})]
    client, session, clock = make_client(answers)
    assert client.request('POST', '/x', body={}).status == 201
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert client.retry_count == 3 and len(session.calls) == 4


def test_backoff_jitter_stays_within_its_ceiling():
    for attempt in range(8):
        ceiling = min(_api.BACKOFF_CAP, _api.BACKOFF_BASE * 2 ** attempt)
        for fraction in (0.0, 0.3, 0.999):
            assert 0.05 <= backoff_delay(attempt, rng=lambda: fraction) <= ceiling


@pytest.mark.parametrize('status, what', [(423, 'stayed locked'), (429, 'kept rate-limiting')])
def test_budget_exhaustion_says_what_how_long_and_the_request_id(status, what):
    answers = [FakeResponse(status, {'code': '', 'message': 'busy', 'request_id': 'req-%d' % status})] * 100
    client, session, clock = make_client(answers, budget=4)
    with pytest.raises(RetryBudgetExhausted) as err:
        client.request('POST', '/projects/p/branches/b/auth', body={})
    text = str(err.value)
    assert what in text and 'req-%d' % status in text and 'POST /projects/p/branches/b/auth' in text
    assert 'gave up after %d attempts over' % len(session.calls) in text and 'retry budget 4 s' in text
    assert sum(clock.sleeps) <= 4
    assert err.value.status == status and err.value.request_id == 'req-%d' % status
    assert not err.value.ambiguous


def test_timeout_on_write_is_ambiguous_and_not_repeated():
    client, session, dummy = make_client([requests.exceptions.ReadTimeout('read timed out'), FakeResponse(201, {})])
    with pytest.raises(NeonAPIError) as err:
        client.request('POST', '/x', body={})
    assert err.value.ambiguous and 'timed out' in str(err.value)
    assert len(session.calls) == 1


def test_connect_timeout_on_write_is_retried():
    client, session, dummy = make_client([requests.exceptions.ConnectTimeout('connect timed out'), FakeResponse(201, {})])
    assert client.request('POST', '/x', body={}).status == 201
    assert len(session.calls) == 2


# -- write(): the ambiguous-write rule ---------------------------------------------------------------------------

class Reads(object):
    """applied() for write(): answers from a list, counting the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.answers.pop(0)


def test_write_that_succeeds_reads_nothing():
    applied = Reads()
    client, session, dummy = make_client([FakeResponse(201, {'id': 'x'})])
    resp = client.write('POST', '/x', body={}, applied=applied)
    assert resp.status == 201 and resp.unconfirmed is None
    assert applied.calls == 0


def test_ambiguous_write_that_was_applied_is_not_sent_again():
    applied = Reads(True)
    client, session, dummy = make_client([FakeResponse(503, {'message': 'applied, then failed'})])
    resp = client.write('POST', '/x', body={}, applied=applied)
    assert resp.status is None and resp.unconfirmed.status == 503 and resp.unconfirmed.ambiguous
    assert len(session.calls) == 1 and applied.calls == 1


@pytest.mark.parametrize('failure', [
    FakeResponse(502, text='<html>bad gateway</html>', headers={'Content-Type': 'text/html'}),
    requests.exceptions.ConnectionError('Connection aborted.'),
    requests.exceptions.ReadTimeout('read timed out'),
])
def test_ambiguous_write_read_back_as_not_applied_is_sent_again(failure):
    applied = Reads(False)
    client, session, clock = make_client([failure, FakeResponse(201, {'id': 'x'})])
    resp = client.write('POST', '/x', body={}, applied=applied)
    assert resp.status == 201 and resp.unconfirmed is None
    assert len(session.calls) == 2 and applied.calls == 1 and len(clock.sleeps) == 1


def test_ambiguous_write_without_applied_is_raised():
    client, session, dummy = make_client([FakeResponse(504, {'message': 'gateway timeout'})])
    with pytest.raises(NeonAPIError) as err:
        client.write('DELETE', '/x')
    assert err.value.ambiguous and len(session.calls) == 1


def test_clear_write_failure_never_reads_back():
    applied = Reads()
    client, session, dummy = make_client([FakeResponse(400, {'message': 'bad field'})])
    with pytest.raises(NeonAPIError) as err:
        client.write('POST', '/x', body={}, applied=applied)
    assert err.value.status == 400 and not err.value.ambiguous and applied.calls == 0


def test_refused_write_is_retried_without_reading_back():
    applied = Reads()
    client, session, dummy = make_client([FakeResponse(423, {'message': 'locked'}), FakeResponse(200, {})])
    assert client.write('PATCH', '/x', body={}, applied=applied).status == 200
    assert applied.calls == 0 and len(session.calls) == 2


def test_ambiguous_write_never_applied_stops_at_the_budget_with_a_clear_error():
    answers = [FakeResponse(502, text='<html>bad gateway</html>', headers={'Content-Type': 'text/html', 'x-request-id': 'rq-5'})] * 100
    applied = Reads(*([False] * 100))
    client, session, clock = make_client(answers, budget=5)
    with pytest.raises(RetryBudgetExhausted) as err:
        client.write('POST', '/x', body={}, applied=applied)
    text = str(err.value)
    assert 'HTTP 502' in text and 'rq-5' in text and 'did not show the write applied' in text
    assert not err.value.ambiguous
    # every attempt was read back before the next one, the last one too
    assert applied.calls == len(session.calls) > 1
    assert sum(clock.sleeps) <= 5


def test_budget_counts_the_time_requests_take():
    clock = Clock()

    class SlowSession(FakeSession):
        def request(self, method, url, **kwargs):
            clock.now += 3.0   # each answer takes 3 s to arrive
            return super(SlowSession, self).request(method, url, **kwargs)

    session = SlowSession([FakeResponse(423, {'message': 'locked'})] * 100)
    pacer = RatePacer(rate=1e9, burst=10 ** 6, clock=clock, sleep=clock.sleep)
    client = NeonClient(KEY, 'http://127.0.0.1:1/api/v2', retry_budget=10, session=session, sleep=clock.sleep,
                        clock=clock, pacer=pacer)
    with pytest.raises(RetryBudgetExhausted):
        client.request('POST', '/x', body={})
    # no wait starts past the budget: the waits plus the requests before the last one stay within 10 s
    assert clock.now - 1000.0 - 3.0 <= 10.0
    assert len(session.calls) < 5


def test_retry_after_on_a_locked_or_failing_read_is_honoured():
    client, dummy, clock = make_client([FakeResponse(423, {'message': 'locked'}, headers={'Retry-After': '2'}),
                                        FakeResponse(503, {'message': 'busy'}, headers={'Retry-After': '1'}),
                                        FakeResponse(200, {})])
    client.get('/x')
    assert clock.sleeps == [2.0, 1.0]


def test_retry_after_date_in_the_past_retries_at_once(monkeypatch):
    monkeypatch.setattr(_api.time, 'time', lambda: 1767225600.0)
    client, dummy, clock = make_client([
        FakeResponse(429, {'message': 'slow down'}, headers={'Retry-After': 'Wed, 31 Dec 2025 23:59:00 GMT'}),
        FakeResponse(200, {})])
    client.get('/x')
    assert clock.sleeps == [0.0]


def test_a_failing_read_back_is_raised_as_is():
    def applied():
        raise NeonAPIError('read failed', status=500)

    client, session, dummy = make_client([FakeResponse(502, {'message': 'bad gateway'})])
    with pytest.raises(NeonAPIError) as err:
        client.write('POST', '/x', body={}, applied=applied)
    assert err.value.message == 'read failed' and len(session.calls) == 1
