# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's Better Auth configuration endpoints (neon_emulator/routes_config.py, reference B4, B8-B19).

One emulator (in this process, real PostgreSQL) serves the whole module; every test gets its own branch with
better_auth enabled, and reads ``neon_auth.project_config`` of that branch directly to check persistence.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

psycopg = pytest.importorskip('psycopg')
requests = pytest.importorskip('requests')

EMULATOR_DIR = Path(__file__).resolve().parents[2] / 'emulator'
API_KEY = 'config-routes-test-key'
PROJECT = 'staging-project-123456'
PARENT_BRANCH = 'br-staging-main-123456'
STACK_PROJECT = 'stack-project-123456'
STACK_BRANCH = 'br-stack-main-123456'
SECRET = 'sEcReT-value-0123456789'
SMTP = {'type': 'standard', 'host': 'smtp.example.com', 'port': 587, 'username': 'mailer', 'password': SECRET,
        'sender_email': 'noreply@example.com', 'sender_name': 'Example App'}
CONFIG_BEHAVIOUR_DEFAULTS = {
    'duplicate_domain_status': 201, 'missing_domain_delete_status': 200, 'duplicate_oauth_provider_status': 409,
    'missing_oauth_provider_delete_status': 404, 'invalid_shared_oauth_status': 400, 'email_provider_unset': 'not_found',
    'email_provider_patch': 'merge', 'email_password_on_get': 'redacted', 'smtp_delivery': 'ok',
}
# Every configuration route with a valid body: (method, path below .../auth, body)
CONFIG_ROUTES = (
    ('GET', '/domains', None),
    ('POST', '/domains', {'domain': 'https://app.example.com', 'auth_provider': 'better_auth'}),
    ('DELETE', '/domains', {'auth_provider': 'better_auth', 'domains': [{'domain': 'https://app.example.com'}]}),
    ('GET', '/oauth_providers', None),
    ('POST', '/oauth_providers', {'id': 'github'}),
    ('PATCH', '/oauth_providers/google', {'client_id': 'id', 'client_secret': SECRET}),
    ('DELETE', '/oauth_providers/google', None),
    ('GET', '/email_provider', None),
    ('PATCH', '/email_provider', SMTP),
    ('POST', '/send_test_email', dict(SMTP, recipient_email='to@example.com')),
    ('POST', '/email_provider/test', {'recipient_email': 'to@example.com'}),
    ('GET', '/email_and_password', None),
    ('PATCH', '/email_and_password', {'enabled': False}),
    ('GET', '/allow_localhost', None),
    ('PATCH', '/allow_localhost', {'allow_localhost': False}),
    ('GET', '/plugins', None),
    ('PATCH', '/plugins/organization', {'enabled': False}),
    ('PATCH', '/plugins/magic-link', {'enabled': True}),
    ('GET', '/plugins/phone-number', None),
    ('PATCH', '/plugins/phone-number', {'enabled': True}),
    ('GET', '/webhooks', None),
    ('PUT', '/webhooks', {'enabled': False}),
)


# Started while pytest imports this module: ansible-test units runs each test in a forked child without fixture
# teardown, so a module-scoped fixture that starts an emulator would start one per test.
sys.path.insert(0, str(EMULATOR_DIR))
from neon_emulator.harness import shared_emulator  # noqa: E402  pylint: disable=wrong-import-position

EMULATOR = shared_emulator(api_key=API_KEY)


class Api:
    """Small client for the emulator under test."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.root = base_url.rsplit('/api/', 1)[0]
        self.session = requests.Session()
        self.session.headers['Authorization'] = 'Bearer %s' % API_KEY

    def call(self, method, path, body=None):
        """``(status, decoded JSON or None, response)`` of an /api/v2 request."""
        response = self.session.request(method, self.base_url + path, json=body, timeout=30)
        payload = response.json() if response.content else None
        return response.status_code, payload, response

    def control(self, method, path, body=None):
        """Decoded answer of a control API request (raises on HTTP errors)."""
        response = self.session.request(method, self.root + '/_emulator' + path, json=body, timeout=60)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope='module')
def api():
    """The shared emulator (embedded PostgreSQL, or NEON_EMULATOR_DATABASE_URL when set)."""
    return Api(EMULATOR.base_url)


@pytest.fixture(autouse=True)
def default_behaviour(api):
    """Every test starts from the default answers."""
    api.control('PUT', '/behaviour', CONFIG_BEHAVIOUR_DEFAULTS)


class Branch:
    """A branch of the test project and shortcuts to its auth configuration."""

    def __init__(self, api, project_id, branch_id):
        self.api = api
        self.project_id = project_id
        self.branch_id = branch_id
        self.auth_path = '/projects/%s/branches/%s/auth' % (project_id, branch_id)

    def call(self, method, sub_path, body=None):
        """Request below ``.../auth``."""
        return self.api.call(method, self.auth_path + sub_path, body)

    def ok(self, method, sub_path, body=None, status=200):
        """Request that must answer ``status``; return the decoded body."""
        code, payload, response = self.call(method, sub_path, body)
        assert code == status, (code, response.text)
        return payload

    def error(self, method, sub_path, body, status, in_message=''):
        """Request that must fail with a GeneralError of ``status``; return the error."""
        code, payload, response = self.call(method, sub_path, body)
        assert code == status, (code, response.text)
        assert response.headers['Content-Type'].startswith('application/json')
        assert set(payload) == {'code', 'message', 'request_id'}
        assert in_message in payload['message']
        return payload

    def row(self):
        """The branch's ``neon_auth.project_config`` row as a dict (the connection is closed again)."""
        url = self.api.control('GET', '/database_url?project_id=%s&branch_id=%s' % (self.project_id, self.branch_id))['url']
        with psycopg.connect(url) as conn:
            cursor = conn.execute('SELECT * FROM neon_auth.project_config')
            rows = cursor.fetchall()
            names = [column.name for column in cursor.description]
        assert len(rows) == 1
        return dict(zip(names, rows[0]))

    def child(self):
        """A new branch of this one (POST /projects/{p}/branches)."""
        status, payload, response = self.api.call('POST', '/projects/%s/branches' % self.project_id,
                                                  {'branch': {'parent_id': self.branch_id}})
        assert status == 201, response.text
        return Branch(self.api, self.project_id, payload['branch']['id'])


def new_branch(api, auth_provider='better_auth'):
    """A fresh branch of the test project, with Neon Auth enabled unless ``auth_provider`` is None."""
    branch = Branch(api, PROJECT, PARENT_BRANCH).child()
    if auth_provider:
        branch.ok('POST', '', {'auth_provider': auth_provider}, status=201)
    return branch


@pytest.fixture
def branch(api):
    """A fresh better_auth branch."""
    return new_branch(api)


@pytest.fixture(scope='module')
def unchanged_branch(api):
    """A better_auth branch shared by the tests of rejected requests (each checks that nothing changed)."""
    return new_branch(api)


@pytest.fixture(scope='module')
def plain_branch(api):
    """A branch without Neon Auth."""
    return new_branch(api, auth_provider=None)


# -- all routes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('method, sub_path, body', CONFIG_ROUTES)
def test_branch_without_auth_is_404(plain_branch, method, sub_path, body):
    plain_branch.error(method, sub_path, body, 404, 'not enabled')


@pytest.mark.parametrize('method, sub_path, body', CONFIG_ROUTES)
def test_unknown_project_or_branch_is_404(api, method, sub_path, body):
    Branch(api, PROJECT, 'br-nope-000000').error(method, sub_path, body, 404)
    Branch(api, 'nope-project-000000', PARENT_BRANCH).error(method, sub_path, body, 404)


def test_bad_path_ids_are_400(api):
    Branch(api, PROJECT, 'BR_Bad').error('GET', '/domains', None, 400, 'branch_id')


@pytest.mark.parametrize('method, sub_path, body', CONFIG_ROUTES[:4])
def test_stack_integration_is_400(api, method, sub_path, body):
    Branch(api, STACK_PROJECT, STACK_BRANCH).error(method, sub_path, body, 400, 'Better Auth')


def test_request_log_names_routes_and_holds_no_bodies(api, branch):
    api.control('DELETE', '/requests')
    branch.ok('PATCH', '/email_provider', SMTP)
    branch.ok('PUT', '/webhooks', {'enabled': False})
    entries = api.control('GET', '/requests')['requests']
    assert [(item['route'], item['status'], item['write']) for item in entries] == [
        ('updateNeonAuthEmailProvider', 200, True), ('updateNeonAuthWebhookConfig', 200, True)]
    assert SECRET not in str(entries)


def test_fresh_branch_defaults(branch):
    assert branch.ok('GET', '/domains') == {'domains': []}
    assert branch.ok('GET', '/oauth_providers') == {'providers': [{'id': 'google', 'type': 'shared'}]}
    branch.error('GET', '/email_provider', None, 404, 'email provider')
    assert branch.ok('GET', '/email_and_password') == {
        'enabled': True, 'email_verification_method': 'otp', 'require_email_verification': False,
        'auto_sign_in_after_verification': True, 'send_verification_email_on_sign_up': False,
        'send_verification_email_on_sign_in': False, 'disable_sign_up': False}
    assert branch.ok('GET', '/allow_localhost') == {'allow_localhost': True}
    assert branch.ok('GET', '/plugins/phone-number') == {'enabled': False, 'otp_expires_in': 300}
    assert branch.ok('GET', '/webhooks') == {'enabled': False, 'webhook_url': '', 'enabled_events': [], 'timeout_seconds': 5}
    plugins = branch.ok('GET', '/plugins')
    assert plugins == {
        'organization': {'enabled': True, 'organization_limit': 10, 'membership_limit': 100, 'creator_role': 'owner',
                         'send_invitation_email': False},
        'magic_link': {'enabled': False, 'expires_in': 5, 'disable_sign_up': False},
        'phone_number': {'enabled': False, 'otp_expires_in': 300},
        'email_and_password': branch.ok('GET', '/email_and_password'),
        'oauth_providers': [{'id': 'google', 'type': 'shared'}],
        'allow_localhost': True,
    }
    row = branch.row()
    assert row['endpoint_id'] == 'ep-' + branch.branch_id[3:]
    assert row['trusted_origins'] == [] and row['email_provider'] is None and row['allow_localhost'] is True
    assert row['social_providers'] == [{'id': 'google', 'isShared': True}]


# -- trusted domains (B4) -----------------------------------------------------------------------------------------
def test_add_domain_is_201_without_body_and_canonical(branch):
    code, payload, response = branch.call('POST', '/domains', {'domain': 'HTTPS://App.Example.COM/', 'auth_provider': 'better_auth'})
    assert (code, payload, response.content) == (201, None, b'')
    branch.ok('POST', '/domains', {'domain': 'https://*.preview.example.com', 'auth_provider': 'better_auth'}, status=201)
    branch.ok('POST', '/domains', {'domain': 'http://localhost:3000/app/', 'auth_provider': 'better_auth'}, status=201)
    branch.ok('POST', '/domains', {'domain': 'https://Api.Example.com:443', 'auth_provider': 'better_auth'}, status=201)
    branch.ok('POST', '/domains', {'domain': 'http://api.example.com:443', 'auth_provider': 'better_auth'}, status=201)
    expected = ['https://app.example.com', 'https://*.preview.example.com', 'http://localhost:3000/app', 'https://api.example.com',
                'http://api.example.com:443']
    assert branch.ok('GET', '/domains') == {'domains': [{'domain': item, 'auth_provider': 'better_auth'} for item in expected]}
    assert branch.row()['trusted_origins'] == expected


@pytest.mark.parametrize('status', [201, 200, 409])
def test_duplicate_domain_follows_behaviour(api, branch, status):
    api.control('PUT', '/behaviour', {'duplicate_domain_status': status})
    body = {'domain': 'https://app.example.com', 'auth_provider': 'better_auth'}
    branch.ok('POST', '/domains', body, status=201)
    duplicate = dict(body, domain='https://APP.example.com/')
    if status == 409:
        branch.error('POST', '/domains', duplicate, 409, 'already')
    else:
        assert branch.ok('POST', '/domains', duplicate, status=status) is None
    assert branch.row()['trusted_origins'] == ['https://app.example.com']


def test_delete_domains_is_a_batch(branch):
    for domain in ('https://a.example.com', 'https://b.example.com', 'https://c.example.com'):
        branch.ok('POST', '/domains', {'domain': domain, 'auth_provider': 'better_auth'}, status=201)
    code, payload, dummy = branch.call('DELETE', '/domains', {'auth_provider': 'better_auth', 'domains': [
        {'domain': 'https://A.example.com/'}, {'domain': 'https://c.example.com'}]})
    assert (code, payload) == (200, None)
    assert branch.row()['trusted_origins'] == ['https://b.example.com']
    assert branch.ok('DELETE', '/domains', {'auth_provider': 'better_auth', 'domains': []}) is None


@pytest.mark.parametrize('status', [200, 404])
def test_delete_missing_domain_follows_behaviour(api, branch, status):
    api.control('PUT', '/behaviour', {'missing_domain_delete_status': status})
    branch.ok('POST', '/domains', {'domain': 'https://a.example.com', 'auth_provider': 'better_auth'}, status=201)
    body = {'auth_provider': 'better_auth', 'domains': [{'domain': 'https://a.example.com'}, {'domain': 'https://gone.example.com'}]}
    if status == 404:
        branch.error('DELETE', '/domains', body, 404, 'https://gone.example.com')
        assert branch.row()['trusted_origins'] == ['https://a.example.com']  # all or nothing
    else:
        branch.ok('DELETE', '/domains', body)
        assert branch.row()['trusted_origins'] == []


@pytest.mark.parametrize('body, in_message', [
    ({'auth_provider': 'better_auth'}, 'domain is required'),
    ({'domain': 'https://a.example.com'}, 'auth_provider is required'),
    ({'domain': 'https://a.example.com', 'auth_provider': 'okta'}, 'auth_provider must be one of'),
    ({'domain': 'https://a.example.com', 'auth_provider': 'stack'}, 'does not match'),
    ({'domain': 'ftp://a.example.com', 'auth_provider': 'better_auth'}, 'http or https'),
    ({'domain': 'a.example.com', 'auth_provider': 'better_auth'}, 'http or https'),
    ({'domain': 'https://', 'auth_provider': 'better_auth'}, 'host'),
    ({'domain': 'https://user:pw@a.example.com', 'auth_provider': 'better_auth'}, 'credentials'),
    ({'domain': 'https://a.example.com/?x=1', 'auth_provider': 'better_auth'}, 'query'),
    ({'domain': 'https://a.example.com:99999', 'auth_provider': 'better_auth'}, 'port'),
    ({'domain': 42, 'auth_provider': 'better_auth'}, 'type string'),
])
def test_add_domain_validation(unchanged_branch, body, in_message):
    unchanged_branch.error('POST', '/domains', body, 400, in_message)
    assert unchanged_branch.row()['trusted_origins'] == []


@pytest.mark.parametrize('body, in_message', [
    ({'domains': []}, 'auth_provider is required'),
    ({'auth_provider': 'better_auth'}, 'domains is required'),
    ({'auth_provider': 'better_auth', 'domains': 'https://a.example.com'}, 'type array'),
    ({'auth_provider': 'better_auth', 'domains': ['https://a.example.com']}, 'domains[0] must be of type object'),
    ({'auth_provider': 'better_auth', 'domains': [{}]}, 'domains[0].domain is required'),
    ({'auth_provider': 'better_auth', 'domains': [{'domain': 'mailto:x@example.com'}]}, 'domains[0].domain must be a URI'),
])
def test_delete_domains_validation(unchanged_branch, body, in_message):
    unchanged_branch.error('DELETE', '/domains', body, 400, in_message)


def test_domain_body_must_be_json_object(unchanged_branch):
    url = unchanged_branch.api.base_url + unchanged_branch.auth_path + '/domains'
    response = unchanged_branch.api.session.post(url, data=b'not json', timeout=30)
    assert response.status_code == 400 and 'JSON' in response.json()['message']
    unchanged_branch.error('POST', '/domains', ['https://a.example.com'], 400, 'JSON object')


# -- OAuth providers (B8/B9) --------------------------------------------------------------------------------------
def test_add_shared_and_standard_providers(branch):
    assert branch.ok('POST', '/oauth_providers', {'id': 'github'}) == {'id': 'github', 'type': 'shared'}
    assert branch.ok('POST', '/oauth_providers', {'id': 'vercel', 'client_id': '', 'client_secret': ''}) == {
        'id': 'vercel', 'type': 'shared'}
    standard = branch.ok('POST', '/oauth_providers', {'id': 'microsoft', 'client_id': 'ms-id', 'client_secret': SECRET,
                                                      'microsoft_tenant_id': 'tenant-1'})
    assert standard == {'id': 'microsoft', 'type': 'standard', 'client_id': 'ms-id', 'client_secret': SECRET}
    assert branch.ok('GET', '/oauth_providers') == {'providers': [
        {'id': 'google', 'type': 'shared'}, {'id': 'github', 'type': 'shared'}, {'id': 'vercel', 'type': 'shared'}, standard]}
    assert branch.row()['social_providers'] == [
        {'id': 'google', 'isShared': True}, {'id': 'github', 'isShared': True}, {'id': 'vercel', 'isShared': True},
        {'id': 'microsoft', 'isShared': False, 'clientId': 'ms-id', 'clientSecret': SECRET, 'tenantId': 'tenant-1'}]


@pytest.mark.parametrize('status', [400, 422])
def test_shared_microsoft_is_invalid(api, branch, status):
    api.control('PUT', '/behaviour', {'invalid_shared_oauth_status': status})
    error = branch.error('POST', '/oauth_providers', {'id': 'microsoft'}, status, 'client_id and client_secret')
    assert error['code'] == 'INVALID_SHARED_OAUTH_PROVIDER'
    assert [item['id'] for item in branch.row()['social_providers']] == ['google']


@pytest.mark.parametrize('status', [409, 400])
def test_duplicate_provider_is_an_error(api, branch, status):
    api.control('PUT', '/behaviour', {'duplicate_oauth_provider_status': status})
    branch.error('POST', '/oauth_providers', {'id': 'google', 'client_id': 'x', 'client_secret': SECRET}, status, 'already')
    assert branch.row()['social_providers'] == [{'id': 'google', 'isShared': True}]


def test_duplicate_provider_200_replaces(api, branch):
    api.control('PUT', '/behaviour', {'duplicate_oauth_provider_status': 200})
    assert branch.ok('POST', '/oauth_providers', {'id': 'google', 'client_id': 'g-id', 'client_secret': SECRET}) == {
        'id': 'google', 'type': 'standard', 'client_id': 'g-id', 'client_secret': SECRET}
    assert branch.row()['social_providers'] == [{'id': 'google', 'isShared': False, 'clientId': 'g-id', 'clientSecret': SECRET}]


@pytest.mark.parametrize('body, in_message', [
    ({}, 'id is required'),
    ({'id': 'okta'}, 'id must be one of'),
    ({'id': 'github', 'client_id': 'only-id'}, 'together'),
    ({'id': 'github', 'client_secret': SECRET}, 'together'),
    ({'id': 'github', 'client_id': 7, 'client_secret': SECRET}, 'type string'),
])
def test_add_provider_validation(unchanged_branch, body, in_message):
    error = unchanged_branch.error('POST', '/oauth_providers', body, 400, in_message)
    assert SECRET not in error['message']
    assert unchanged_branch.row()['social_providers'] == [{'id': 'google', 'isShared': True}]


def test_update_provider(branch):
    assert branch.ok('PATCH', '/oauth_providers/google', {'client_id': 'g-id', 'client_secret': SECRET}) == {
        'id': 'google', 'type': 'standard', 'client_id': 'g-id', 'client_secret': SECRET}
    # omitted fields keep their value
    assert branch.ok('PATCH', '/oauth_providers/google', {'client_id': 'g-id-2'}) == {
        'id': 'google', 'type': 'standard', 'client_id': 'g-id-2', 'client_secret': SECRET}
    assert branch.ok('PATCH', '/oauth_providers/google', {})['client_id'] == 'g-id-2'
    assert branch.row()['social_providers'] == [{'id': 'google', 'isShared': False, 'clientId': 'g-id-2', 'clientSecret': SECRET}]


def test_update_provider_errors(branch):
    branch.error('PATCH', '/oauth_providers/github', {'client_id': 'x', 'client_secret': SECRET}, 404, 'not configured')
    branch.error('PATCH', '/oauth_providers/okta', {}, 400, 'oauth_provider_id must be one of')
    branch.error('PATCH', '/oauth_providers/google', {'client_id': 'only-id'}, 400, 'together')
    branch.error('PATCH', '/oauth_providers/google', {'client_secret': 5}, 400, 'type string')
    assert branch.row()['social_providers'] == [{'id': 'google', 'isShared': True}]


def test_delete_provider(branch):
    code, payload, response = branch.call('DELETE', '/oauth_providers/google')
    assert (code, payload, response.content) == (200, None, b'')
    assert branch.ok('GET', '/oauth_providers') == {'providers': []}
    assert branch.row()['social_providers'] == []
    branch.error('DELETE', '/oauth_providers/google', None, 404, 'not configured')
    branch.error('DELETE', '/oauth_providers/okta', None, 400, 'oauth_provider_id')


def test_delete_missing_provider_200_when_switched(api, branch):
    api.control('PUT', '/behaviour', {'missing_oauth_provider_delete_status': 200})
    assert branch.ok('DELETE', '/oauth_providers/github') is None


# -- email provider (B10-B12) -------------------------------------------------------------------------------------
def test_unset_email_provider_can_answer_shared(api, branch):
    api.control('PUT', '/behaviour', {'email_provider_unset': 'shared'})
    assert branch.ok('GET', '/email_provider') == {'type': 'shared'}
    assert branch.ok('GET', '/plugins')['email_provider'] == {'type': 'shared'}
    assert branch.row()['email_provider'] is None
    api.control('PUT', '/behaviour', {'email_provider_unset': 'not_found'})
    assert 'email_provider' not in branch.ok('GET', '/plugins')


def test_standard_email_provider_redacts_password(api, branch):
    redacted = dict(SMTP, password='')
    assert branch.ok('PATCH', '/email_provider', SMTP) == redacted
    assert branch.ok('GET', '/email_provider') == redacted
    assert branch.ok('GET', '/plugins')['email_provider'] == redacted
    assert branch.row()['email_provider'] == {'type': 'standard', 'host': 'smtp.example.com', 'port': 587, 'username': 'mailer',
                                              'password': SECRET, 'senderEmail': 'noreply@example.com', 'senderName': 'Example App'}
    api.control('PUT', '/behaviour', {'email_password_on_get': 'stored'})
    assert branch.ok('GET', '/email_provider') == SMTP
    assert branch.ok('PATCH', '/email_provider', {'type': 'standard', 'port': 465})['password'] == ''


def test_partial_standard_update_merges(branch):
    branch.ok('PATCH', '/email_provider', SMTP)
    assert branch.ok('PATCH', '/email_provider', {'type': 'standard', 'port': 465, 'sender_name': 'Renamed'}) == dict(
        SMTP, port=465, sender_name='Renamed', password='')
    stored = branch.row()['email_provider']
    assert (stored['port'], stored['senderName'], stored['password'], stored['host']) == (465, 'Renamed', SECRET, 'smtp.example.com')


def test_partial_standard_update_needs_all_fields_without_a_saved_one(api, branch):
    error = branch.error('PATCH', '/email_provider', {'type': 'standard', 'host': 'smtp.example.com'}, 400, 'needs port')
    assert SECRET not in error['message']
    branch.ok('PATCH', '/email_provider', {'type': 'shared'})
    branch.error('PATCH', '/email_provider', {'type': 'standard', 'port': 25}, 400, 'needs host')
    branch.ok('PATCH', '/email_provider', SMTP)
    api.control('PUT', '/behaviour', {'email_provider_patch': 'replace'})
    branch.error('PATCH', '/email_provider', {'type': 'standard', 'port': 25}, 400, 'needs host')
    assert branch.row()['email_provider']['port'] == 587


def test_shared_email_provider(branch):
    branch.ok('PATCH', '/email_provider', SMTP)
    shared = {'type': 'shared', 'sender_email': 'hello@example.com', 'sender_name': 'Hello'}
    assert branch.ok('PATCH', '/email_provider', shared) == shared
    assert branch.ok('GET', '/email_provider') == shared
    assert branch.row()['email_provider'] == {'type': 'shared', 'senderEmail': 'hello@example.com', 'senderName': 'Hello'}
    assert branch.ok('PATCH', '/email_provider', {'type': 'shared'}) == {'type': 'shared'}


@pytest.mark.parametrize('body, in_message', [
    ({}, 'type is required'),
    ({'type': 'custom'}, 'type must be one of'),
    (dict(SMTP, port=0), 'port must be >= 1'),
    (dict(SMTP, port=70000), 'port must be <= 65535'),
    (dict(SMTP, port='587'), 'port must be of type integer'),
    (dict(SMTP, port=True), 'port must be of type integer'),
    (dict(SMTP, sender_email='not-an-email'), 'sender_email must be an email'),
    (dict(SMTP, host=''), 'host must be at least'),
    (dict(SMTP, password=12345), 'password must be of type string'),
    ({'type': 'shared', 'sender_email': 'nope'}, 'sender_email must be an email'),
])
def test_email_provider_validation(unchanged_branch, body, in_message):
    error = unchanged_branch.error('PATCH', '/email_provider', body, 400, in_message)
    assert SECRET not in error['message']
    assert unchanged_branch.row()['email_provider'] is None


def test_send_test_email(api, branch):
    before = branch.row()
    assert branch.ok('POST', '/send_test_email', dict(SMTP, recipient_email='to@example.com')) == {'success': True}
    api.control('PUT', '/behaviour', {'smtp_delivery': 'fail'})
    failed = branch.ok('POST', '/send_test_email', dict(SMTP, recipient_email='to@example.com'))
    assert failed['success'] is False and failed['error_message'] and SECRET not in failed['error_message']
    assert branch.row() == before  # testing saves nothing


@pytest.mark.parametrize('body, in_message', [
    (SMTP, 'recipient_email is required'),
    (dict(SMTP, recipient_email='nobody'), 'recipient_email must be an email'),
    (dict(SMTP, recipient_email='x' * 250 + '@example.com'), 'recipient_email must be at most 256'),
    ({'recipient_email': 'to@example.com', 'host': 'smtp.example.com'}, 'port, username, password, sender_email, sender_name is required'),
    (dict(SMTP, recipient_email='to@example.com', port=-1), 'port must be >= 1'),
])
def test_send_test_email_validation(unchanged_branch, body, in_message):
    unchanged_branch.error('POST', '/send_test_email', body, 400, in_message)


def test_email_provider_test_needs_a_saved_standard_provider(api, branch):
    body = {'recipient_email': 'to@example.com'}
    branch.error('POST', '/email_provider/test', body, 400, 'none')
    branch.ok('PATCH', '/email_provider', {'type': 'shared'})
    branch.error('POST', '/email_provider/test', body, 400, 'shared')
    branch.ok('PATCH', '/email_provider', SMTP)
    branch.error('POST', '/email_provider/test', {'recipient_email': 'x'}, 400, 'recipient_email must be an email')
    branch.error('POST', '/email_provider/test', {}, 400, 'recipient_email is required')
    assert branch.ok('POST', '/email_provider/test', body) == {'success': True}
    api.control('PUT', '/behaviour', {'smtp_delivery': 'fail'})
    failed = branch.ok('POST', '/email_provider/test', body)
    assert failed['success'] is False and SECRET not in failed['error_message']


# -- email & password, localhost (B13, B14) -------------------------------------------------------------------------
def test_email_and_password_patch_merges(branch):
    updated = branch.ok('PATCH', '/email_and_password', {'email_verification_method': 'link', 'require_email_verification': True})
    assert updated['email_verification_method'] == 'link' and updated['require_email_verification'] is True
    assert updated['enabled'] is True and updated['auto_sign_in_after_verification'] is True
    assert branch.ok('GET', '/email_and_password') == updated
    stored = branch.row()['email_and_password']
    assert stored['emailVerificationMethod'] == 'link' and stored['requireEmailVerification'] is True and stored['enabled'] is True


@pytest.mark.parametrize('body, in_message', [
    ({'email_verification_method': 'sms'}, 'email_verification_method must be one of: link, otp'),
    ({'enabled': 'yes'}, 'enabled must be of type boolean'),
    ({'disable_sign_up': 1}, 'disable_sign_up must be of type boolean'),
])
def test_email_and_password_validation(unchanged_branch, body, in_message):
    unchanged_branch.error('PATCH', '/email_and_password', body, 400, in_message)
    unchanged_branch.error('PATCH', '/email_and_password', None, 400, 'request body is required')


def test_allow_localhost(branch):
    assert branch.ok('PATCH', '/allow_localhost', {'allow_localhost': False}) == {'allow_localhost': False}
    assert branch.ok('GET', '/allow_localhost') == {'allow_localhost': False}
    assert branch.ok('GET', '/plugins')['allow_localhost'] is False
    assert branch.row()['allow_localhost'] is False
    branch.error('PATCH', '/allow_localhost', {}, 400, 'allow_localhost is required')
    branch.error('PATCH', '/allow_localhost', {'allow_localhost': 'true'}, 400, 'type boolean')


# -- plugins (B15, B16, B18, B19) ---------------------------------------------------------------------------------
def test_organization_plugin(branch):
    updated = branch.ok('PATCH', '/plugins/organization', {'organization_limit': 3, 'creator_role': 'admin'})
    assert updated == {'enabled': True, 'organization_limit': 3, 'membership_limit': 100, 'creator_role': 'admin',
                       'send_invitation_email': False}
    assert branch.ok('GET', '/plugins')['organization'] == updated
    stored = branch.row()['plugin_configs']['organization']
    assert stored['enabled'] is True and stored['config']['organizationLimit'] == 3 and stored['config']['creatorRole'] == 'admin'


def test_magic_link_plugin_reads_back_through_plugins(branch):
    updated = branch.ok('PATCH', '/plugins/magic-link', {'enabled': True, 'expires_in': 1440})
    assert updated == {'enabled': True, 'expires_in': 1440, 'disable_sign_up': False}
    assert branch.ok('GET', '/plugins')['magic_link'] == updated
    assert branch.row()['plugin_configs']['magicLink'] == {'enabled': True, 'config': {'expiresIn': 1440, 'disableSignUp': False}}


def test_phone_number_plugin(branch):
    updated = branch.ok('PATCH', '/plugins/phone-number', {'enabled': True, 'otp_expires_in': 60})
    assert updated == {'enabled': True, 'otp_expires_in': 60}
    assert branch.ok('GET', '/plugins/phone-number') == updated
    assert branch.ok('GET', '/plugins')['phone_number'] == updated
    assert branch.row()['plugin_configs']['phoneNumber'] == {'enabled': True, 'config': {'otpExpiresIn': 60}}


@pytest.mark.parametrize('sub_path, body, in_message', [
    ('/plugins/organization', {'organization_limit': 0}, 'organization_limit must be >= 1'),
    ('/plugins/organization', {'membership_limit': 2147483648}, 'membership_limit must be <='),
    ('/plugins/organization', {'creator_role': 'member'}, 'creator_role must be one of: admin, owner'),
    ('/plugins/organization', {'send_invitation_email': 'no'}, 'type boolean'),
    ('/plugins/magic-link', {'expires_in': 4}, 'expires_in must be >= 5'),
    ('/plugins/magic-link', {'expires_in': 1441}, 'expires_in must be <= 1440'),
    ('/plugins/magic-link', {'expires_in': 10.5}, 'type integer'),
    ('/plugins/phone-number', {'otp_expires_in': 59}, 'otp_expires_in must be >= 60'),
    ('/plugins/phone-number', {'otp_expires_in': 601}, 'otp_expires_in must be <= 600'),
])
def test_plugin_validation(unchanged_branch, sub_path, body, in_message):
    before = unchanged_branch.row()['plugin_configs']
    unchanged_branch.error('PATCH', sub_path, body, 400, in_message)
    assert unchanged_branch.row()['plugin_configs'] == before


# -- webhooks (B17) -------------------------------------------------------------------------------------------------
def test_webhooks_put_is_a_full_replace(branch):
    full = {'enabled': True, 'webhook_url': 'https://hooks.example.com/neon?token=abc', 'enabled_events': ['user.created', 'send.otp'],
            'timeout_seconds': 10}
    assert branch.ok('PUT', '/webhooks', full) == full
    assert branch.ok('GET', '/webhooks') == full
    assert branch.row()['webhook_config'] == {'enabled': True, 'webhookUrl': full['webhook_url'],
                                              'enabledEvents': ['user.created', 'send.otp'], 'timeoutSeconds': 10}
    reset = {'enabled': False, 'webhook_url': '', 'enabled_events': [], 'timeout_seconds': 5}
    assert branch.ok('PUT', '/webhooks', {'enabled': False}) == reset


@pytest.mark.parametrize('body, in_message', [
    ({}, 'enabled is required'),
    ({'enabled': True}, 'webhook_url is required when enabled'),
    ({'enabled': True, 'webhook_url': 'hooks.example.com'}, 'webhook_url must be a URI'),
    ({'enabled': False, 'enabled_events': ['user.deleted']}, 'enabled_events[0] must be one of'),
    ({'enabled': False, 'enabled_events': 'user.created'}, 'type array'),
    ({'enabled': False, 'timeout_seconds': 0}, 'timeout_seconds must be >= 1'),
    ({'enabled': False, 'timeout_seconds': 11}, 'timeout_seconds must be <= 10'),
])
def test_webhooks_validation(unchanged_branch, body, in_message):
    unchanged_branch.error('PUT', '/webhooks', body, 400, in_message)
    assert unchanged_branch.ok('GET', '/webhooks')['enabled'] is False


# -- behaviour switches and branching ------------------------------------------------------------------------------
def test_behaviour_keys_are_registered_and_checked(api):
    values = api.control('PUT', '/behaviour', {'smtp_delivery': 'fail', 'duplicate_domain_status': 409})
    assert values['smtp_delivery'] == 'fail' and values['duplicate_domain_status'] == 409
    for key, bad in (('smtp_delivery', 'maybe'), ('duplicate_domain_status', 204), ('missing_domain_delete_status', True),
                     ('email_provider_unset', 404)):
        response = api.session.put(api.root + '/_emulator/behaviour', json={key: bad}, timeout=30)
        assert response.status_code == 400 and key in response.json()['message']


def test_behaviour_keys_take_start_values(api):  # pylint: disable=unused-argument
    routes_config = importlib.import_module('neon_emulator.routes_config')  # registers its behaviour keys
    controls = importlib.import_module('neon_emulator.controls')
    assert routes_config.routes
    behaviour = controls.Behaviour({'smtp_delivery': 'fail', 'duplicate_oauth_provider_status': 200})
    assert behaviour.get('smtp_delivery') == 'fail' and behaviour.get('duplicate_oauth_provider_status') == 200
    assert behaviour.get('email_provider_unset') == 'not_found'


def test_branch_create_copies_the_configuration(branch):
    branch.ok('POST', '/domains', {'domain': 'https://app.example.com', 'auth_provider': 'better_auth'}, status=201)
    branch.ok('POST', '/oauth_providers', {'id': 'github', 'client_id': 'gh-id', 'client_secret': SECRET})
    branch.ok('PATCH', '/email_provider', SMTP)
    branch.ok('PATCH', '/allow_localhost', {'allow_localhost': False})
    branch.ok('PATCH', '/plugins/organization', {'organization_limit': 2})
    branch.ok('PUT', '/webhooks', {'enabled': True, 'webhook_url': 'https://hooks.example.com', 'enabled_events': ['user.created']})
    reads = ('/domains', '/oauth_providers', '/email_provider', '/email_and_password', '/allow_localhost', '/plugins', '/webhooks')
    parent_view = {path: branch.ok('GET', path) for path in reads}
    parent_row = branch.row()

    child = branch.child()
    assert {path: child.ok('GET', path) for path in reads} == parent_view
    child_row = child.row()
    assert child_row['endpoint_id'] == 'ep-' + child.branch_id[3:] != parent_row['endpoint_id']
    for column in ('trusted_origins', 'social_providers', 'email_provider', 'email_and_password', 'allow_localhost',
                   'plugin_configs', 'webhook_config'):
        assert child_row[column] == parent_row[column], column

    # independent from now on
    child.ok('DELETE', '/domains', {'auth_provider': 'better_auth', 'domains': [{'domain': 'https://app.example.com'}]})
    assert child.ok('GET', '/domains') == {'domains': []}
    assert branch.row()['trusted_origins'] == ['https://app.example.com']


def test_disable_without_delete_data_keeps_configuration(branch):
    branch.ok('PATCH', '/allow_localhost', {'allow_localhost': False})
    branch.ok('DELETE', '', {'delete_data': False})
    branch.error('GET', '/allow_localhost', None, 404, 'not enabled')
    branch.ok('POST', '', {'auth_provider': 'better_auth'}, status=201)
    assert branch.ok('GET', '/allow_localhost') == {'allow_localhost': False}
