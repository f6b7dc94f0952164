# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.neon.plugins.module_utils._config import (
    SETTINGS_SECTIONS,
    as_set,
    canonical_domain,
    canonical_url,
    differences,
    domain_values,
    email_provider_options,
    given,
    oauth_provider_options,
    range_problem,
    url_problem,
    webhook_options,
    without,
)


# -- URLs -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value', [
    'https://app.example.com',
    'http://localhost:3000',
    'https://app.example.com:8443',
    'https://*.my-app-preview.vercel.app',
    'https://preview-*.example.vercel.app',
    'https://app.example.com/auth/callback',
    'http://127.0.0.1:8080',
    'http://[::1]:3000',
    'HTTPS://App.Example.COM',
])
def test_domain_accepted(value):
    assert url_problem(value, wildcard=True) is None


@pytest.mark.parametrize('value, words', [
    ('', 'is empty'),
    ('   ', 'is empty'),
    ('app.example.com', 'https://'),
    ('ftp://app.example.com', 'https://'),
    ('https://app.example.com/', 'write https://app.example.com'),
    ('https://app.example.com/cb/', 'must not end with a slash'),
    ('https://', 'no host'),
    ('https://user:pw@app.example.com', 'user name'),
    ('https://app.example.com?x=1', 'query'),
    ('https://app.example.com#top', 'fragment'),
    ('https://app.example.com:99999', 'not a valid URL'),
    ('https://app example.com', 'white space'),
    (' https://app.example.com', 'white space'),
    ('https://*', 'wildcard'),
    ('https://*.com', 'wildcard'),
    ('https://app.*', 'wildcard'),
    ('https://bad_host.example.com', 'invalid host'),
    ('https://-bad.example.com', 'invalid host'),
])
def test_domain_refused(value, words):
    problem = url_problem(value, wildcard=True)
    assert problem and words in problem


def test_wildcard_refused_where_not_allowed():
    assert 'wildcard' in url_problem('https://*.example.com')
    assert url_problem('https://hooks.example.com/x/', trailing_slash=True) is None


@pytest.mark.parametrize('value, canonical', [
    ('https://App.Example.COM', 'https://app.example.com'),
    ('HTTPS://app.example.com/', 'https://app.example.com'),
    ('https://app.example.com:443', 'https://app.example.com'),
    ('http://app.example.com:80', 'http://app.example.com'),
    ('https://app.example.com:8443', 'https://app.example.com:8443'),
    ('https://app.example.com/Callback/', 'https://app.example.com/Callback'),
    ('https://*.Preview.vercel.app', 'https://*.preview.vercel.app'),
    (' https://app.example.com ', 'https://app.example.com'),
    ('http://[::1]:3000', 'http://[::1]:3000'),
    ('not a url/', 'not a url'),
])
def test_canonical_domain(value, canonical):
    assert canonical_domain(value) == canonical


def test_canonical_url_keeps_path_slash_unless_asked():
    assert canonical_url('https://Hooks.example.com/in/') == 'https://hooks.example.com/in/'
    assert canonical_url('https://hooks.example.com/in/', strip_slash=True) == 'https://hooks.example.com/in'
    assert canonical_url('') == ''
    assert canonical_url(None) == ''


# -- comparing only what was given ----------------------------------------------------------------------------------

def test_given_drops_none():
    assert given(dict(a=1, b=None, c=False, d='')) == dict(a=1, c=False, d='')
    assert given(dict(a=1, b=2), ('b', 'z')) == dict(b=2)
    assert given(None) == {}


def test_differences_only_given_fields():
    current = dict(enabled=True, expires_in=5, disable_sign_up=False)
    assert differences(dict(enabled=True), current) == {}
    assert differences(dict(enabled=False, expires_in=5), current) == dict(enabled=False)
    assert differences(dict(enabled=None, expires_in=10), current) == dict(expires_in=10)
    # A field the API did not report differs.
    assert differences(dict(creator_role='owner'), {}) == dict(creator_role='owner')
    assert differences(dict(a=1), None) == dict(a=1)


def test_differences_coerces_api_types():
    assert differences(dict(enabled=True, port=587), dict(enabled='true', port='587')) == {}
    assert differences(dict(enabled=False), dict(enabled='TRUE')) == dict(enabled=False)
    # A string field is never coerced.
    assert differences(dict(name='true'), dict(name=True)) == dict(name='true')
    # 0/1 are not booleans.
    assert differences(dict(enabled=True), dict(enabled=1)) == dict(enabled=True)


def test_differences_with_normalizers():
    compare = dict(url=canonical_url, events=as_set)
    current = dict(url='https://hooks.example.com/x', events=['send.otp', 'user.created'])
    wanted = dict(url='HTTPS://Hooks.Example.com/x', events=['user.created', 'send.otp', 'send.otp'])
    assert differences(wanted, current, compare) == {}
    assert differences(dict(events=['send.otp']), current, compare) == dict(events=['send.otp'])
    assert differences(dict(events=[]), dict(events=None), compare) == {}


def test_without_strips_secrets_recursively_in_lists():
    data = [dict(id='google', client_secret='s3cret'), dict(id='github')]
    assert without(data, ('client_secret',)) == [dict(id='google'), dict(id='github')]
    assert data[0]['client_secret'] == 's3cret'
    assert without(None, ('x',)) is None


def test_range_problem():
    assert range_problem('x', None, 1, 10) is None
    assert range_problem('x', 1, 1, 10) is None
    assert range_problem('x', 10, 1, 10) is None
    assert range_problem('x', 11, 1, 10) == 'x must be between 1 and 10 (got 11)'
    assert range_problem('x', 0, 1) == 'x must be 1 or more (got 0)'


# -- API objects in the options' shape ------------------------------------------------------------------------------

def test_domain_values_accepts_items_without_auth_provider():
    data = dict(domains=[dict(domain='https://a.example.com', auth_provider='better_auth'),
                         dict(domain='https://b.example.com'),
                         dict(domain='https://c.example.com', auth_provider='stack'),
                         'https://d.example.com', dict(auth_provider='better_auth')])
    assert domain_values(data) == ['https://a.example.com', 'https://b.example.com', 'https://d.example.com']
    assert domain_values(None) == []
    assert domain_values(dict(domains=None)) == []


def test_oauth_provider_options_never_has_the_secret():
    item = dict(id='google', type='standard', client_id='cid', client_secret='s3cret', extra='x')
    assert oauth_provider_options(item) == dict(id='google', type='standard', client_id='cid')
    assert oauth_provider_options(dict(id='github', type='shared', client_id='')) == dict(id='github', type='shared')
    ms = dict(id='microsoft', type='standard', client_id='c', microsoft_tenant_id='t')
    assert oauth_provider_options(ms)['microsoft_tenant_id'] == 't'


def test_email_provider_options():
    standard = dict(type='standard', host='smtp.example.com', port='587', username='u', password='pw',
                    sender_email='a@example.com', sender_name='App')
    assert email_provider_options(standard) == dict(type='standard', host='smtp.example.com', port=587, username='u',
                                                    sender_email='a@example.com', sender_name='App')
    # Unset reads as shared; fields of the other type and redacted (empty) values are dropped.
    assert email_provider_options(None) == dict(type='shared')
    shared = dict(type='shared', host='h', sender_name='App')
    assert email_provider_options(shared) == dict(type='shared', sender_name='App')
    assert email_provider_options(dict(type='standard', host='', password='')) == dict(type='standard')


def test_webhook_options():
    assert webhook_options(None) == dict(enabled=False, url=None, enabled_events=[], timeout_seconds=5)
    data = dict(enabled=True, webhook_url='https://h.example.com', enabled_events=['send.otp'], timeout_seconds=8)
    assert webhook_options(data) == dict(enabled=True, url='https://h.example.com', enabled_events=['send.otp'],
                                         timeout_seconds=8)
    assert webhook_options(dict(enabled=False, webhook_url=''))['url'] is None


# -- settings sections ----------------------------------------------------------------------------------------------

def section(name):
    return [s for s in SETTINGS_SECTIONS if s.name == name][0]


def test_sections_paths():
    paths = dict((s.name, (s.read_suffix, s.read_key, s.patch_suffix)) for s in SETTINGS_SECTIONS)
    assert paths == {
        'email_and_password': ('/email_and_password', None, '/email_and_password'),
        'allow_localhost': ('/allow_localhost', None, '/allow_localhost'),
        'organization': ('/plugins', 'organization', '/plugins/organization'),
        'magic_link': ('/plugins', 'magic_link', '/plugins/magic-link'),
        'phone_number': ('/plugins/phone-number', None, '/plugins/phone-number'),
    }


def test_section_wanted_and_option_shape():
    org = section('organization')
    assert org.wanted(None) == {}
    assert org.wanted(dict(enabled=True, organization_limit=None, bogus=1)) == dict(enabled=True)
    assert org.as_option(dict(enabled=True, creator_role='owner', internal='x')) == dict(enabled=True, creator_role='owner')
    localhost = section('allow_localhost')
    assert localhost.wanted(False) == dict(allow_localhost=False)
    assert localhost.wanted(None) == {}
    assert localhost.as_option(dict(allow_localhost=True)) is True
    assert localhost.as_option({}) is None


@pytest.mark.parametrize('name, value, words', [
    ('magic_link', dict(expires_in=4), 'magic_link.expires_in must be between 5 and 1440 (got 4)'),
    ('magic_link', dict(expires_in=1441), 'between 5 and 1440'),
    ('phone_number', dict(otp_expires_in=59), 'phone_number.otp_expires_in must be between 60 and 600'),
    ('phone_number', dict(otp_expires_in=601), 'between 60 and 600'),
    ('organization', dict(organization_limit=0), 'organization.organization_limit must be 1 or more'),
    ('organization', dict(membership_limit=-1), 'organization.membership_limit must be 1 or more'),
])
def test_section_ranges(name, value, words):
    assert any(words in problem for problem in section(name).problems(value))


def test_section_ranges_accept_bounds():
    assert section('magic_link').problems(dict(expires_in=5)) == []
    assert section('magic_link').problems(dict(expires_in=1440)) == []
    assert section('phone_number').problems(dict(otp_expires_in=600)) == []
    assert section('organization').problems(dict(organization_limit=1, membership_limit=1)) == []
    assert section('organization').problems(None) == []
