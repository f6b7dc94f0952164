# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""HTTP client for the Neon management API: auth, errors, retries, pacing and pagination."""

from __future__ import annotations

import email.utils
import json
import random
import re
import time

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported through missing_required_lib
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'ansible-community.neon/%s' % COLLECTION_VERSION

# 423 (project locked by a running operation) and 429 (rate limited) mean the request was refused
# before it did anything, so they are safe to repeat for every method. 502/503/504 and network errors
# are only safe for reads: a write may have been applied behind a failing proxy.
REFUSED_STATUSES = frozenset([423, 429])
TRANSIENT_STATUSES = frozenset([423, 429, 502, 503, 504])
READ_METHODS = frozenset(['GET', 'HEAD', 'OPTIONS'])

BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0

# Neon's documented limits: 700 requests a minute per account, bursts of 40 a second per route.
# We pace under both for any window, so a bulk run does not have to lean on 429 answers: a token bucket lets
# through at most burst + rate * seconds, i.e. 20 + 675 = 695 in any minute and 20 + 11.25 = 31.25 in any second.
# The sustained rate is what bounds a bulk run: 1,000 users take 87 s, 2% over the 86 s the limit itself imposes.
RATE_PER_SECOND = 675.0 / 60.0
RATE_BURST = 20


class NeonAPIError(Exception):
    """An answer of the Neon API that is not the expected success, or no answer at all."""

    def __init__(self, message, method=None, path=None, status=None, code=None, request_id=None, ambiguous=False):
        super(NeonAPIError, self).__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.code = code or ''
        self.request_id = request_id
        # True when a write may or may not have been applied (5xx, timeout, dropped connection).
        self.ambiguous = ambiguous

    def __str__(self):
        parts = []
        if self.method and self.path:
            parts.append('%s %s' % (self.method, self.path))
        if self.status:
            parts.append('HTTP %s' % self.status)
        if self.code:
            parts.append('code %s' % self.code)
        head = ' '.join(parts)
        text = '%s: %s' % (head, self.message) if head else self.message
        if self.request_id:
            text += ' (request_id %s)' % self.request_id
        return text

    def to_result(self):
        """The error's fields for fail_json, without any secret."""
        return dict(status=self.status, code=self.code, request_id=self.request_id,
                    method=self.method, path=self.path)


class RetryBudgetExhausted(NeonAPIError):
    """Retries of a locked, rate-limited or failing request did not succeed within the time budget."""


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if re.match(r'^\d+(\.\d+)?$', value):
        return float(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if now is None:
        now = time.time()
    return max(0.0, parsed.timestamp() - now)


def backoff_delay(attempt, rng=random.random, base=BACKOFF_BASE, cap=BACKOFF_CAP):
    """Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2**attempt)], at least 50 ms."""
    ceiling = min(cap, base * (2 ** attempt))
    return max(0.05, ceiling * rng())


def summarize_body(text, content_type):
    """A short, single-line description of a non-JSON body (an HTML page from a proxy, say)."""
    snippet = re.sub(r'<[^>]+>', ' ', text or '')
    snippet = re.sub(r'\s+', ' ', snippet).strip()[:200]
    return '%s response: %s' % (content_type or 'non-JSON', snippet or '(empty body)')


class RatePacer(object):
    """A token bucket that keeps one module run under Neon's request rate limits."""

    def __init__(self, rate=RATE_PER_SECOND, burst=RATE_BURST, clock=time.monotonic, sleep=time.sleep):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.clock = clock
        self.sleep = sleep
        self.updated = clock()

    def acquire(self):
        self._refill()
        if self.tokens < 1:
            self.sleep((1 - self.tokens) / self.rate)
            # A sleep that lasted longer than asked (a busy machine) earned tokens too: counted, not lost.
            # It lasted at least what was asked, so a token is due even if rounding says 0.999...
            self._refill()
            self.tokens = max(self.tokens, 1.0)
        self.tokens -= 1

    def _refill(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


class Response(object):
    def __init__(self, status, data, headers, unconfirmed=None):
        self.status = status
        self.data = data
        self.headers = headers
        # NeonClient.write: the NeonAPIError of a write whose answer was lost but which re-reading shows applied.
        self.unconfirmed = unconfirmed


class NeonClient(object):
    """One keep-alive session to the Neon API for a module run."""

    def __init__(self, api_key, endpoint, timeout=30, retry_budget=60, validate_certs=True,
                 session=None, sleep=time.sleep, clock=time.monotonic, pacer=None):
        self.endpoint = endpoint.rstrip('/')
        self.timeout = timeout
        self.retry_budget = retry_budget
        self.validate_certs = validate_certs
        self.sleep = sleep
        self.clock = clock
        self.pacer = pacer if pacer is not None else RatePacer(clock=clock, sleep=sleep)
        self.session = session if session is not None else requests.Session()
        self.session.headers.update({
            'Authorization': 'Bearer %s' % api_key,
            'User-Agent': USER_AGENT,
            'Accept': 'application/json',
        })
        self.request_count = 0
        self.retry_count = 0

    # -- one HTTP exchange -------------------------------------------------------------------------

    def _send(self, method, path, body, query):
        url = self.endpoint + path
        kwargs = dict(params=query, timeout=self.timeout, verify=self.validate_certs)
        if body is not None:
            kwargs['data'] = json.dumps(body)
            kwargs['headers'] = {'Content-Type': 'application/json'}
        self.pacer.acquire()
        self.request_count += 1
        return self.session.request(method, url, **kwargs)

    @staticmethod
    def _decode(resp):
        text = resp.text or ''
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def _error_from_response(self, method, path, resp):
        data = self._decode(resp)
        request_id = resp.headers.get('x-request-id')
        if isinstance(data, dict) and ('message' in data or 'code' in data):
            message = str(data.get('message') or '(no message)')
            code = data.get('code') or ''
            request_id = data.get('request_id') or request_id
        else:
            message = summarize_body(resp.text, resp.headers.get('Content-Type'))
            code = ''
        if resp.status_code == 401:
            message = 'the Neon API rejected the API key (invalid, expired or revoked): %s' % message
        elif resp.status_code == 403:
            message = ('the API key is not allowed to do this (an organization or project-scoped key '
                       'can only act on its own projects): %s' % message)
        ambiguous = method not in READ_METHODS and resp.status_code >= 500
        return NeonAPIError(message, method=method, path=path, status=resp.status_code, code=code,
                            request_id=request_id, ambiguous=ambiguous)

    # -- retries ---------------------------------------------------------------------------------

    def request(self, method, path, body=None, query=None, expect=(200, 201, 204)):
        """Send one API call, retrying what is safe to retry within the retry budget.

        Reads are retried on 423/429/5xx and network errors. Writes are retried only on 423/429
        (refused, so nothing happened); any other failure of a write raises a NeonAPIError with
        ambiguous=True, and the caller must read the state before trying again.
        """
        method = method.upper()
        started = self.clock()
        attempt = 0
        last_reason = None
        while True:
            error = None
            try:
                resp = self._send(method, path, body, query)
            except requests.exceptions.RequestException as exc:
                reason = self._network_reason(exc)
                ambiguous = method not in READ_METHODS and not self._never_sent(exc)
                error = NeonAPIError('no answer from the Neon API: %s' % reason, method=method, path=path,
                                     ambiguous=ambiguous)
                retry_after = None
            else:
                if resp.status_code in expect:
                    return Response(resp.status_code, self._decode(resp), resp.headers)
                error = self._error_from_response(method, path, resp)
                retry_after = parse_retry_after(resp.headers.get('Retry-After'))
                if resp.status_code not in TRANSIENT_STATUSES:
                    raise error
                if method not in READ_METHODS and resp.status_code not in REFUSED_STATUSES:
                    raise error
            if error.ambiguous:
                raise error
            last_reason = error
            delay = retry_after if retry_after is not None else backoff_delay(attempt)
            elapsed = self.clock() - started
            if elapsed + delay > self.retry_budget:
                raise self._exhausted(method, path, last_reason, attempt + 1, elapsed)
            self.sleep(delay)
            attempt += 1
            self.retry_count += 1

    def write(self, method, path, body=None, expect=(200, 201, 204), applied=None):
        """Send a write so that it is applied once: never lost to a failing proxy, never repeated blindly.

        request() retries refused writes (423/429). After an ambiguous failure (5xx, timeout, dropped connection)
        applied() re-reads the state and tells whether the write took effect: True gives a Response with status
        None and `unconfirmed` set to the error (the write is done, its answer lost); False sends the write again,
        with backoff, within the retry budget. Without applied, the ambiguous NeonAPIError is raised as by request().
        """
        method = method.upper()
        started = self.clock()
        attempt = 0
        while True:
            try:
                return self.request(method, path, body=body, query=None, expect=expect)
            except NeonAPIError as exc:
                if not exc.ambiguous or applied is None:
                    raise
                error = exc
            if applied():
                return Response(None, None, {}, unconfirmed=error)
            # Read back and not applied: sending it again cannot make a second one.
            delay = backoff_delay(attempt)
            elapsed = self.clock() - started
            if elapsed + delay > self.retry_budget:
                raise self._exhausted(method, path, error, attempt + 1, elapsed,
                                      note='; reading the state back did not show the write applied')
            self.sleep(delay)
            attempt += 1
            self.retry_count += 1

    @staticmethod
    def _network_reason(exc):
        if isinstance(exc, requests.exceptions.Timeout):
            return 'timed out'
        if isinstance(exc, requests.exceptions.SSLError):
            return 'TLS error (%s)' % exc.__class__.__name__
        if isinstance(exc, requests.exceptions.ConnectionError):
            return 'connection failed or was reset'
        return exc.__class__.__name__

    @staticmethod
    def _never_sent(exc):
        """True when the request surely never reached the server (connection refused, connect timeout)."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return True
        text = repr(exc)
        return 'NewConnectionError' in text or 'Connection refused' in text or 'NameResolutionError' in text

    def _exhausted(self, method, path, error, attempts, elapsed, note=''):
        what = {423: 'the project stayed locked by another operation',
                429: 'the Neon API kept rate-limiting the requests'}.get(error.status)
        if what is None:
            what = 'the request kept failing (%s)' % (('HTTP %s: %s' % (error.status, error.message)) if error.status else error.message)
        message = '%s; gave up after %d attempt%s over %.1f s (retry budget %s s)%s. Raise api_retry_budget to wait longer' % (
            what, attempts, '' if attempts == 1 else 's', elapsed, self.retry_budget, note)
        return RetryBudgetExhausted(message, method=method, path=path, status=error.status, code=error.code,
                                    request_id=error.request_id)

    # -- convenience -----------------------------------------------------------------------------

    def get(self, path, query=None, missing_ok=False):
        """GET a resource; with missing_ok, a 404 gives None."""
        expect = (200, 404) if missing_ok else (200,)
        resp = self.request('GET', path, query=query, expect=expect)
        if resp.status == 404:
            return None
        return resp.data

    def paginate(self, path, items_key, query=None, page_size=None):
        """Every item of a paginated list, following `pagination.cursor` (projects) or `pagination.next` (branches)."""
        query = dict(query or {})
        if page_size:
            query['limit'] = page_size
        items = []
        seen_cursors = set()
        while True:
            data = self.get(path, query=dict(query)) or {}
            page = data.get(items_key) or []
            items.extend(page)
            pagination = data.get('pagination') or {}
            cursor = pagination.get('next') or pagination.get('cursor')
            # An empty page or a repeated cursor ends the walk, whatever the cursor says.
            if not page or not cursor or cursor in seen_cursors:
                return items
            seen_cursors.add(cursor)
            query['cursor'] = cursor
