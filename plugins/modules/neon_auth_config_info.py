#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_config_info
short_description: Read the whole Neon Auth configuration of a branch
version_added: 0.1.0
description:
  - Returns the Neon Auth configuration of a Neon branch in one result (trusted domains, OAuth providers, email
    provider, sign-in settings and plugins, and the webhook).
  - Each part has the shape of the options of the module that manages it, so an existing setup can be exported as
    variables and fed back to M(community.neon.neon_auth_domain), M(community.neon.neon_auth_oauth_provider),
    M(community.neon.neon_auth_email_provider), M(community.neon.neon_auth_settings) and
    M(community.neon.neon_auth_webhook) (for example to copy one branch's setup to another).
  - Secrets are never returned. OAuth client secrets and the SMTP password are left out even when Neon sends them,
    so they have to be added from a vault before feeding the result back.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._neon.attributes_info
  - community.neon._auth_config
notes:
  - About ten read requests per run (one per part of the configuration).
seealso:
  - module: community.neon.neon_auth_integration_info
'''

EXAMPLES = r'''
- name: Export the auth setup of the default branch
  community.neon.neon_auth_config_info:
    project_id: winter-sound-12345678
  register: auth_config

- name: Save it as a vars file (secrets are not in it)
  ansible.builtin.copy:
    content: "{{ {'neon_auth': auth_config.config} | to_nice_yaml }}"
    dest: group_vars/all/neon_auth.yml
    mode: "0600"

- name: Apply the same sign-in settings to a preview branch
  community.neon.neon_auth_settings:
    project_id: winter-sound-12345678
    branch_id: br-preview-12345678
    email_and_password: "{{ auth_config.config.settings.email_and_password }}"
    allow_localhost: "{{ auth_config.config.settings.allow_localhost }}"
'''

RETURN = r'''
config:
  description: The configuration of the branch, each part in the shape of its module's options.
  returned: always
  type: dict
  contains:
    domains:
      description: The trusted domains (O(community.neon.neon_auth_domain#module:domains)), as Neon stores them.
      type: list
      elements: str
      sample: [https://app.example.com]
    oauth_providers:
      description:
        - The OAuth providers, each with the options of M(community.neon.neon_auth_oauth_provider) except the
          client secret.
      type: list
      elements: dict
      sample:
        - id: google
          type: standard
          client_id: 123456789012-abc.apps.googleusercontent.com
        - id: github
          type: shared
    email_provider:
      description:
        - The options of M(community.neon.neon_auth_email_provider) except the password. A branch where no provider
          was ever set reads as V(shared), Neon's email service.
      type: dict
      sample:
        type: standard
        host: smtp.example.com
        port: 587
        username: apikey
        sender_email: no-reply@example.com
        sender_name: Example App
    settings:
      description:
        - The options of M(community.neon.neon_auth_settings). A section Neon does not report is an empty dict
          (V(null) for O(community.neon.neon_auth_settings#module:allow_localhost)).
      type: dict
      sample:
        allow_localhost: true
        email_and_password:
          enabled: true
          email_verification_method: otp
          require_email_verification: false
          auto_sign_in_after_verification: true
          send_verification_email_on_sign_up: false
          send_verification_email_on_sign_in: false
          disable_sign_up: false
        organization:
          enabled: true
          organization_limit: 10
          membership_limit: 100
          creator_role: owner
          send_invitation_email: false
        magic_link:
          enabled: false
          expires_in: 5
          disable_sign_up: false
        phone_number:
          enabled: false
          otp_expires_in: 300
    webhook:
      description: The options of M(community.neon.neon_auth_webhook); C(url) is null when none is set.
      type: dict
      sample:
        enabled: false
        url: null
        enabled_events: []
        timeout_seconds: 5
project_id:
  description: The project read.
  returned: always
  type: str
  sample: winter-sound-12345678
branch_id:
  description: The branch read.
  returned: always
  type: str
  sample: br-main-12345678
branch_chosen:
  description: V(given) when O(branch_id) was set, V(default) when the project's default branch was used.
  returned: always
  type: str
  sample: default
'''

from ansible_collections.community.neon.plugins.module_utils._config import (
    EMAIL_SECRET_KEYS,
    OAUTH_SECRET_KEYS,
    BranchAuthConfig,
    domain_values,
    email_provider_options,
    hide_secrets,
    oauth_provider_options,
    webhook_options,
)
from ansible_collections.community.neon.plugins.module_utils._module import NeonModule


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
    ))
    config = BranchAuthConfig(neon)

    domains = domain_values(config.read('/domains', 'the trusted domains', missing={'domains': []}),
                            config.auth_provider)
    providers = (config.read('/oauth_providers', 'the OAuth providers', missing={}) or {}).get('providers') or []
    hide_secrets(neon, providers, OAUTH_SECRET_KEYS)
    email = config.read('/email_provider', 'the email provider', missing=None)
    hide_secrets(neon, email, EMAIL_SECRET_KEYS)
    webhook = config.read('/webhooks', 'the webhook', missing={'enabled': False})

    neon.exit(**config.result(config=dict(
        domains=domains,
        oauth_providers=[oauth_provider_options(item) for item in providers if isinstance(item, dict)],
        email_provider=email_provider_options(email),
        settings=config.read_all_sections(),
        webhook=webhook_options(webhook),
    )))


if __name__ == '__main__':
    main()
