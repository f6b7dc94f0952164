#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_settings
short_description: Manage the sign-in settings and plugins of Neon Auth on a branch
version_added: 0.1.0
description:
  - Sets the email and password sign-in options, the C(allow_localhost) switch, and the organization, magic link and
    phone number plugins of Neon Auth on a Neon branch.
  - Only the options given are managed; everything left out stays as it is.
  - Each section given is read first and compared field by field. A section that differs gets one C(PATCH) carrying
    only the fields that differ, so a second run sends nothing and reports no change.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._auth_config
attributes:
  check_mode:
    description: Reads the sections given and reports what would change; sends no write request.
    support: full
  diff_mode:
    description: Shows the sections given before and after.
    support: full
options:
  email_and_password:
    description:
      - Sign-in with email and password (C(GET/PATCH .../auth/email_and_password)).
    type: dict
    suboptions:
      enabled:
        description: Whether users can sign in with email and password.
        type: bool
      email_verification_method:
        description: How an email address is verified, with a link or a one-time code.
        type: str
        choices: [link, otp]
      require_email_verification:
        description: Whether users must verify their email address before they can sign in.
        type: bool
      auto_sign_in_after_verification:
        description: Whether users are signed in once their email is verified.
        type: bool
      send_verification_email_on_sign_up:
        description: Whether a verification email is sent at sign-up.
        type: bool
      send_verification_email_on_sign_in:
        description: Whether a verification email is sent at sign-in while the address is unverified.
        type: bool
      disable_sign_up:
        description: Whether new users are refused (existing users can still sign in).
        type: bool
  allow_localhost:
    description:
      - Whether sign-in flows work from C(localhost) without listing it as a trusted domain
        (C(GET/PATCH .../auth/allow_localhost)). Turn it off for production branches.
    type: bool
  organization:
    description:
      - The organization plugin (read through C(GET .../auth/plugins), set with C(PATCH .../auth/plugins/organization)).
    type: dict
    suboptions:
      enabled:
        description: Whether users can create and join organizations.
        type: bool
      organization_limit:
        description: The most organizations a user can belong to (created or joined); 1 or more.
        type: int
      membership_limit:
        description: The most members an organization can have; 1 or more.
        type: int
      creator_role:
        description: The role the creator of an organization gets.
        type: str
        choices: [admin, owner]
      send_invitation_email:
        description: Whether invitations are emailed (the invited user needs a verified email address).
        type: bool
  magic_link:
    description:
      - The magic link plugin (read through C(GET .../auth/plugins), set with C(PATCH .../auth/plugins/magic-link)).
    type: dict
    suboptions:
      enabled:
        description: Whether users can sign in with a link sent by email.
        type: bool
      expires_in:
        description: Minutes a link stays valid, 5 to 1440.
        type: int
      disable_sign_up:
        description: Whether a magic link may create a new user.
        type: bool
  phone_number:
    description:
      - The phone number plugin (C(GET/PATCH .../auth/plugins/phone-number)).
      - Codes are delivered through the C(send.otp) webhook, so configure one with M(community.neon.neon_auth_webhook).
    type: dict
    suboptions:
      enabled:
        description: Whether users can sign in with a code sent to their phone.
        type: bool
      otp_expires_in:
        description: Seconds a code stays valid, 60 to 600.
        type: int
notes:
  - Every range and choice is checked before any request is made.
seealso:
  - module: community.neon.neon_auth_email_provider
  - module: community.neon.neon_auth_webhook
  - module: community.neon.neon_auth_config_info
'''

EXAMPLES = r'''
- name: Production sign-in settings
  community.neon.neon_auth_settings:
    project_id: winter-sound-12345678
    allow_localhost: false
    email_and_password:
      enabled: true
      require_email_verification: true
      email_verification_method: link
    organization:
      enabled: true
      organization_limit: 3
      creator_role: owner
    magic_link:
      enabled: true
      expires_in: 15

- name: Allow sign-in from localhost on a development branch
  community.neon.neon_auth_settings:
    project_id: winter-sound-12345678
    branch_id: br-dev-12345678
    allow_localhost: true
'''

RETURN = r'''
settings:
  description:
    - The sections given, after the task (as they would be, in check mode), in the shape of this module's options.
  returned: always
  type: dict
  sample:
    allow_localhost: false
    email_and_password:
      enabled: true
      email_verification_method: link
      require_email_verification: true
      auto_sign_in_after_verification: true
      send_verification_email_on_sign_up: false
      send_verification_email_on_sign_in: false
      disable_sign_up: false
updated:
  description: For each section that differed, the fields sent (or that would be sent, in check mode).
  returned: always
  type: dict
  sample:
    email_and_password:
      require_email_verification: true
project_id:
  description: The project acted on.
  returned: always
  type: str
  sample: winter-sound-12345678
branch_id:
  description: The branch acted on.
  returned: always
  type: str
  sample: br-main-12345678
branch_chosen:
  description: V(given) when O(branch_id) was set, V(default) when the project's default branch was used.
  returned: always
  type: str
  sample: default
'''

from ansible_collections.community.neon.plugins.module_utils._config import SETTINGS_SECTIONS, BranchAuthConfig
from ansible_collections.community.neon.plugins.module_utils._module import NeonModule


def section_spec(**fields):
    # no_log=False: "email_and_password" holds sign-in switches, not a password.
    return dict(type='dict', options=fields, no_log=False)


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        email_and_password=section_spec(
            enabled=dict(type='bool'),
            email_verification_method=dict(type='str', choices=['link', 'otp']),
            require_email_verification=dict(type='bool'),
            auto_sign_in_after_verification=dict(type='bool'),
            send_verification_email_on_sign_up=dict(type='bool'),
            send_verification_email_on_sign_in=dict(type='bool'),
            disable_sign_up=dict(type='bool'),
        ),
        allow_localhost=dict(type='bool'),
        organization=section_spec(
            enabled=dict(type='bool'),
            organization_limit=dict(type='int'),
            membership_limit=dict(type='int'),
            creator_role=dict(type='str', choices=['admin', 'owner']),
            send_invitation_email=dict(type='bool'),
        ),
        magic_link=section_spec(
            enabled=dict(type='bool'),
            expires_in=dict(type='int'),
            disable_sign_up=dict(type='bool'),
        ),
        phone_number=section_spec(
            enabled=dict(type='bool'),
            otp_expires_in=dict(type='int'),
        ),
    ))
    problems = []
    for section in SETTINGS_SECTIONS:
        problems.extend(section.problems(neon.params[section.name]))
    if problems:
        neon.fail('Invalid settings: %s' % '; '.join(problems))
    if not any(section.wanted(neon.params[section.name]) for section in SETTINGS_SECTIONS):
        neon.fail('Nothing to manage: give at least one of %s' % ', '.join(s.name for s in SETTINGS_SECTIONS))

    config = BranchAuthConfig(neon)
    before, after, updated = config.converge_sections(neon.params)
    result = config.result(changed=bool(updated), settings=after, updated=updated)
    if neon.module._diff:
        result['diff'] = dict(before=before, after=after)
    neon.exit(**result)


if __name__ == '__main__':
    main()
