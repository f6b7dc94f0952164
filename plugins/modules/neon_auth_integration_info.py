#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_integration_info
short_description: Read the Neon Auth integrations of a Neon project
version_added: 0.1.0
description:
  - Returns the Neon Auth integrations of one branch, or of every branch of a project.
  - Reads the branch-scoped integration of each branch (C(GET /projects/{project_id}/branches/{branch_id}/auth)) and,
    unless O(auth_provider=better_auth), the legacy Stack Auth integration of the project.
  - Never returns keys; Neon shows them only when an integration is created.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._neon.attributes_info
options:
  project_id:
    description: The Neon project id.
    type: str
    required: true
  branch_id:
    description: Only this branch. When omitted, every branch of the project is read (one request per branch).
    type: str
  auth_provider:
    description: Only integrations of this provider. When omitted, both.
    type: str
    choices: [better_auth, stack]
seealso:
  - module: community.neon.neon_auth_integration
'''

EXAMPLES = r'''
- name: Read Neon Auth of every branch
  community.neon.neon_auth_integration_info:
    project_id: winter-sound-12345678
  register: auth_info

- name: List the branches that have Neon Auth
  ansible.builtin.debug:
    msg: "{{ auth_info.integrations | map(attribute='branch_id') | list }}"

- name: Read one branch
  community.neon.neon_auth_integration_info:
    project_id: winter-sound-12345678
    branch_id: br-main-12345678
'''

RETURN = r'''
integrations:
  description: The integrations found, one per branch and provider; empty when Neon Auth is not enabled anywhere asked.
  returned: always
  type: list
  elements: dict
  sample:
    - auth_provider: better_auth
      auth_provider_project_id: cab6949a-0e39-4e9e-9b2c-6e3b2e5a7c11
      branch_id: br-main-12345678
      db_name: neondb
      owned_by: neon
      created_at: "2026-02-26T04:29:05Z"
      base_url: https://ep-example.neonauth.us-east-1.aws.neon.tech/neondb/auth
      jwks_url: https://ep-example.neonauth.us-east-1.aws.neon.tech/neondb/auth/.well-known/jwks.json
project_id:
  description: The project read.
  returned: always
  type: str
  sample: winter-sound-12345678
branches_read:
  description: The branches whose integration was read.
  returned: always
  type: list
  elements: str
  sample: [br-main-12345678]
'''

from ansible_collections.community.neon.plugins.module_utils._auth import (
    BETTER_AUTH,
    STACK,
    read_branch_integration,
    read_stack_integration,
)
from ansible_collections.community.neon.plugins.module_utils._module import AUTH_PROVIDERS, NeonModule


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        auth_provider=dict(type='str', choices=AUTH_PROVIDERS),
    ))
    project_id = neon.params['project_id']
    branch_id = neon.params['branch_id']
    provider = neon.params['auth_provider']

    found = []
    branches_read = []
    if provider != STACK:
        if branch_id:
            branch_ids = [branch_id]
        else:
            branch_ids = [branch['id'] for branch in neon.list_branches(project_id)]
        for one in branch_ids:
            integration = read_branch_integration(neon, project_id, one)
            branches_read.append(one)
            if integration is None and branch_id:
                # A 404 is ambiguous between "no auth" and "no such branch": tell the user which.
                neon.check_branch(project_id, branch_id)
            if integration is not None:
                integration.setdefault('branch_id', one)
                found.append(integration)
    if provider != BETTER_AUTH:
        stack = read_stack_integration(neon, project_id, tolerate_missing=provider is None)
        if stack is not None and (not branch_id or stack.get('branch_id') == branch_id):
            known = set((i.get('branch_id'), i.get('auth_provider')) for i in found)
            if (stack.get('branch_id'), stack.get('auth_provider')) not in known:
                found.append(stack)
    if provider:
        found = [i for i in found if i.get('auth_provider') == provider]
    neon.exit(changed=False, project_id=project_id, integrations=found, branches_read=branches_read)


if __name__ == '__main__':
    main()
