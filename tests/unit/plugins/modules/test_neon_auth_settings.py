# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import requests

from ansible_collections.community.neon.plugins.modules import neon_auth_settings
from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import (  # pylint: disable=unused-import
    AUTH,
    auth,
    base_args,
)


def run(run_module, check_mode=False, diff=False, **args):
    return run_module(neon_auth_settings.main, base_args(**args), check_mode=check_mode, diff=diff)


def reads(auth):
    return [p.replace(AUTH, '') for m, p, b in auth.calls if m == 'GET' and p.startswith(AUTH + '/')]


def test_one_patch_per_section_with_only_the_differing_fields(auth, run_module):
    result = run(run_module, allow_localhost=False,
                 email_and_password=dict(enabled=True, require_email_verification=True, email_verification_method='link'))
    assert result['changed'] is True
    assert auth.write_paths() == ['PATCH /email_and_password', 'PATCH /allow_localhost']
    assert auth.writes()[0][2] == dict(require_email_verification=True, email_verification_method='link')
    assert auth.writes()[1][2] == dict(allow_localhost=False)
    assert result['updated'] == dict(email_and_password=dict(require_email_verification=True,
                                                             email_verification_method='link'),
                                     allow_localhost=dict(allow_localhost=False))
    assert result['settings']['allow_localhost'] is False
    assert result['settings']['email_and_password']['require_email_verification'] is True
    assert len(result['settings']['email_and_password']) == 7

    auth.calls = []
    again = run(run_module, allow_localhost=False,
                email_and_password=dict(enabled=True, require_email_verification=True, email_verification_method='link'))
    assert again['changed'] is False and auth.writes() == [] and again['updated'] == {}


def test_plugins_read_once_for_organization_and_magic_link(auth, run_module):
    result = run(run_module, organization=dict(organization_limit=3, creator_role='owner'),
                 magic_link=dict(enabled=True, expires_in=15))
    assert reads(auth) == ['/plugins']
    assert auth.write_paths() == ['PATCH /plugins/organization', 'PATCH /plugins/magic-link']
    assert auth.writes()[0][2] == dict(organization_limit=3)
    assert auth.writes()[1][2] == dict(enabled=True, expires_in=15)
    assert result['settings']['magic_link'] == dict(enabled=True, expires_in=15, disable_sign_up=False)


def test_phone_number(auth, run_module):
    result = run(run_module, phone_number=dict(enabled=True, otp_expires_in=300))
    assert reads(auth) == ['/plugins/phone-number']
    assert auth.write_paths() == ['PATCH /plugins/phone-number'] and auth.writes()[0][2] == dict(enabled=True)
    assert result['settings'] == dict(phone_number=dict(enabled=True, otp_expires_in=300))


def test_only_sections_given_are_read(auth, run_module):
    run(run_module, allow_localhost=True)
    assert reads(auth) == ['/allow_localhost'] and auth.writes() == []


def test_check_mode_and_diff(auth, run_module):
    result = run(run_module, check_mode=True, diff=True, magic_link=dict(expires_in=30), allow_localhost=True)
    assert result['changed'] is True and auth.writes() == []
    assert result['diff']['before'] == dict(magic_link=dict(enabled=False, expires_in=5, disable_sign_up=False),
                                            allow_localhost=True)
    assert result['diff']['after'] == dict(magic_link=dict(enabled=False, expires_in=30, disable_sign_up=False),
                                           allow_localhost=True)
    assert auth.magic_link['expires_in'] == 5


def test_ranges_checked_before_any_request(auth, run_module):
    result = run(run_module, magic_link=dict(expires_in=2000), phone_number=dict(otp_expires_in=30),
                 organization=dict(organization_limit=0, membership_limit=0))
    assert result['failed'] is True and auth.calls == []
    for words in ('magic_link.expires_in must be between 5 and 1440 (got 2000)',
                  'phone_number.otp_expires_in must be between 60 and 600 (got 30)',
                  'organization.organization_limit must be 1 or more (got 0)',
                  'organization.membership_limit must be 1 or more (got 0)'):
        assert words in result['msg']
    result = run(run_module, organization=dict(creator_role='member'))
    assert result['failed'] is True and 'creator_role' in result['msg'] and auth.calls == []
    result = run(run_module, email_and_password=dict(email_verification_method='sms'))
    assert result['failed'] is True and auth.calls == []


def test_nothing_given(auth, run_module):
    result = run(run_module, organization=dict())
    assert result['failed'] is True and 'Nothing to manage' in result['msg'] and auth.calls == []


def test_ambiguous_patch_read_back(auth, run_module):
    auth.fault('PATCH', '/allow_localhost', requests.exceptions.ReadTimeout('timed out'), apply_first=True)
    result = run(run_module, allow_localhost=False)
    assert result['changed'] is True and 'failed' not in result and auth.allow_localhost is False
    assert auth.write_paths() == ['PATCH /allow_localhost']


def test_failure_after_a_first_patch_reports_changed(auth, run_module):
    from ansible_collections.community.neon.tests.unit.plugins.modules.auth_config_fake import error
    auth.fault('PATCH', '/allow_localhost', error(400, 'bad request'))
    result = run(run_module, allow_localhost=False, email_and_password=dict(disable_sign_up=True))
    assert result['failed'] is True and result['changed'] is True
    assert 'Could not update the allow_localhost setting' in result['msg']
