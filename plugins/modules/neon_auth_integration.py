#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_integration
short_description: Enable or disable Neon Auth for a Neon project or branch
version_added: 0.1.0
description:
  - Enables Neon Auth, the authentication service of Neon serverless Postgres, or disables it.
  - With O(auth_provider=better_auth) (the default, and the only choice for new Neon projects) Neon Auth is enabled per
    branch through the branch-scoped endpoints C(/projects/{project_id}/branches/{branch_id}/auth).
  - With O(auth_provider=stack) the legacy, project-level Stack Auth endpoints of Neon's guide "Manage Neon Auth using
    the API" are used (C(POST /projects/auth/create), C(GET /projects/{project_id}/auth/integrations),
    C(DELETE /projects/{project_id}/auth/integration/stack)). Neon has deprecated them.
  - The module reads the current integration first and only writes when something must change, so a second run reports
    no change. When the integration is created concurrently (HTTP 409), the existing one is read and returned.
  - An existing integration that differs from the request (another branch, database or provider) is never silently
    accepted, since Neon offers no update; the task fails and names the differences.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
attributes:
  check_mode:
    description: Reads the current state and reports what would change; sends no write request.
    support: full
  diff_mode:
    description: Shows the integration before and after, without any key.
    support: full
options:
  project_id:
    description: The Neon project id, for example V(winter-sound-12345678).
    type: str
    required: true
  branch_id:
    description:
      - The branch to act on. When omitted, the project's default branch is used; RV(branch_id) and
        RV(branch_chosen) tell which.
      - For O(auth_provider=stack) the integration belongs to the whole project; the branch is the one it is created on.
    type: str
  auth_provider:
    description:
      - V(better_auth) uses the current branch-scoped API; V(stack) the legacy Stack Auth integration.
    type: str
    choices: [better_auth, stack]
    default: better_auth
  database_name:
    description:
      - The database that holds the C(neon_auth) schema. When omitted, Neon uses the branch's default database.
      - Neon's documents disagree on whether a non-default database can be chosen; the module passes the name and
        compares it with what Neon reports.
    type: str
  role_name:
    description:
      - Accepted with O(auth_provider=stack) for compatibility with Neon's API guide, which lists it.
      - The current API ignores it, and so does the comparison with an existing integration.
    type: str
  state:
    description: Whether Neon Auth should be enabled (V(present)) or disabled (V(absent)).
    type: str
    choices: [present, absent]
    default: present
  delete_data:
    description:
      - With O(state=absent), also drop the C(neon_auth) schema and every user, session and setting in it.
      - When false, the data stays and Neon Auth can be enabled again later without losing users.
    type: bool
    default: false
seealso:
  - module: community.neon.neon_auth_integration_info
  - module: community.neon.neon_auth_keys
'''

EXAMPLES = r'''
- name: Enable Neon Auth (Better Auth) on the default branch
  community.neon.neon_auth_integration:
    project_id: winter-sound-12345678
  register: auth

- name: Show where the app authenticates
  ansible.builtin.debug:
    msg: "{{ auth.integration.base_url }} / {{ auth.integration.jwks_url }}"

- name: Enable the legacy Stack Auth integration and keep its keys (shown only on creation)
  community.neon.neon_auth_integration:
    project_id: winter-sound-12345678
    auth_provider: stack
  register: stack_auth
  no_log: true

- name: Set the API options once for a group of tasks
  module_defaults:
    group/community.neon.neon:
      api_key: "{{ vault_neon_api_key }}"
  block:
    - name: Enable Neon Auth on a preview branch
      community.neon.neon_auth_integration:
        project_id: winter-sound-12345678
        branch_id: br-preview-12345678

- name: Disable Neon Auth and delete its schema and users
  community.neon.neon_auth_integration:
    project_id: winter-sound-12345678
    state: absent
    delete_data: true
'''

RETURN = r'''
integration:
  description:
    - The integration as Neon reports it (after the change, or as it would be in check mode); empty when absent.
    - Never contains keys.
  returned: always
  type: dict
  sample:
    auth_provider: better_auth
    auth_provider_project_id: cab6949a-0e39-4e9e-9b2c-6e3b2e5a7c11
    branch_id: br-main-12345678
    db_name: neondb
    owned_by: neon
    created_at: "2026-02-26T04:29:05Z"
    base_url: https://ep-example.neonauth.us-east-1.aws.neon.tech/neondb/auth
    jwks_url: https://ep-example.neonauth.us-east-1.aws.neon.tech/neondb/auth/.well-known/jwks.json
sdk_keys:
  description:
    - The keys Neon returns when the integration is created, and only then (Neon never shows them again).
    - Empty strings for V(better_auth), which has no SDK keys. These are secrets; use C(no_log) on the task.
    - To mint new Stack keys later, use M(community.neon.neon_auth_keys).
  returned: when the integration was created by this task (not in check mode)
  type: dict
  sample:
    pub_client_key: pck_example123
    secret_server_key: ssk_example123
project_id:
  description: The project acted on.
  returned: always
  type: str
  sample: winter-sound-12345678
branch_id:
  description: The branch acted on (for V(stack), the branch of the integration).
  returned: when a branch was resolved or found
  type: str
  sample: br-main-12345678
branch_chosen:
  description: V(given) when O(branch_id) was set, V(default) when the project's default branch was used.
  returned: when a branch was resolved
  type: str
  sample: default
database_name:
  description: The database of the integration; when O(database_name) was omitted, the default one Neon chose.
  returned: when present
  type: str
  sample: neondb
'''

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError
from ansible_collections.community.neon.plugins.module_utils._auth import (
    BETTER_AUTH,
    SECRET_KEYS,
    STACK,
    branch_auth_path,
    public_fields,
    read_integration,
)
from ansible_collections.community.neon.plugins.module_utils._module import AUTH_PROVIDERS, NeonModule, diff_of


def differences(existing, provider, branch_id, database_name):
    """What the existing integration has that the task did not ask for, as 'field: has X, asked Y' strings."""
    wanted = dict(auth_provider=provider, branch_id=branch_id, db_name=database_name)
    found = []
    for field, value in wanted.items():
        if value is not None and existing.get(field) is not None and existing.get(field) != value:
            found.append('%s is %s, asked %s' % (field, existing.get(field), value))
    return found


class Integration(object):
    def __init__(self, neon):
        self.neon = neon
        params = neon.params
        self.project_id = params['project_id']
        self.provider = params['auth_provider']
        self.database_name = params['database_name']
        self.result = dict(changed=False, project_id=self.project_id, integration={})
        self.branch = None

    def resolve_branch(self):
        branch, chosen = self.neon.resolve_branch(self.project_id, self.neon.params['branch_id'])
        self.branch = branch['id']
        self.result.update(branch_id=self.branch, branch_chosen=chosen)

    def read(self):
        return read_integration(self.neon, self.project_id, self.provider, self.branch)

    def create_request(self):
        if self.provider == STACK:
            body = dict(auth_provider=STACK, project_id=self.project_id, branch_id=self.branch)
            if self.neon.params['role_name']:
                body['role_name'] = self.neon.params['role_name']
            path = '/projects/auth/create'
        else:
            body = dict(auth_provider=BETTER_AUTH)
            path = branch_auth_path(self.project_id, self.branch)
        if self.database_name:
            body['database_name'] = self.database_name
        return path, body

    def create(self):
        """Create the integration; returns (integration, keys or None, whether this task created it)."""
        path, body = self.create_request()
        found = []

        def applied():
            # The create may have been applied behind an ambiguous failure: read before sending it again.
            found[:] = [self.read()]
            return found[0] is not None

        try:
            resp = self.neon.client.write('POST', path, body=body, expect=(200, 201, 409), applied=applied)
        except NeonAPIError as exc:
            self.neon.fail_api(exc, 'Could not enable Neon Auth (it is not enabled; nothing was created)')
        if resp.unconfirmed is not None:
            self.neon.warn('Neon did not confirm the creation (%s) but the integration exists; its keys were not '
                           'returned. Use community.neon.neon_auth_keys to mint keys if needed.' % resp.unconfirmed.message)
            return found[0], None, True
        if resp.status == 409:
            # Someone enabled it between our read and our write: use theirs.
            existing = self.read()
            if existing is None:
                self.neon.fail('Neon answered 409 (already enabled) but no integration can be read for project %s'
                               % self.project_id)
            return existing, None, False
        data = resp.data or {}
        keys = dict((k, data.get(k) or '') for k in SECRET_KEYS)
        self.neon.hide_returned(*keys.values())
        # The create answer lacks the branch, database and dates; one read completes the result.
        created = self.read() or public_fields(data)
        created.setdefault('branch_id', self.branch)
        return created, keys, True

    def delete(self, existing):
        if self.provider == STACK:
            path = '/projects/%s/auth/integration/%s' % (self.project_id, STACK)
        else:
            path = branch_auth_path(self.project_id, self.branch)
        body = dict(delete_data=self.neon.params['delete_data'])
        try:
            self.neon.client.write('DELETE', path, body=body, expect=(200, 204, 404), applied=lambda: self.read() is None)
        except NeonAPIError as exc:
            self.neon.fail_api(exc, 'Could not disable Neon Auth')

    def present(self):
        existing = self.read()
        if existing is not None:
            self.check_matches(existing)
            self.finish(existing, existing)
            return
        if self.result.get('branch_chosen') == 'given':
            # Creating on a branch that does not exist must fail here, in check mode too.
            self.neon.check_branch(self.project_id, self.branch)
        would_be = dict(auth_provider=self.provider, branch_id=self.branch, db_name=self.database_name)
        if self.neon.check_mode:
            self.result['changed'] = True
            self.finish(None, dict((k, v) for k, v in would_be.items() if v is not None))
            return
        created, keys, changed = self.create()
        self.result['changed'] = changed
        if keys is not None:
            self.result['sdk_keys'] = keys
        else:
            # Created by someone else, or unconfirmed: it must still be what was asked.
            self.check_matches(created)
        self.finish(None, created)

    def check_matches(self, existing):
        found = differences(existing, self.provider, self.branch, self.database_name)
        if found:
            self.neon.fail('Neon Auth already exists for project %s but differs from what was asked: %s. Neon cannot '
                           'change an integration in place: disable it (state=absent) and enable it again, or change '
                           'the task.' % (self.project_id, '; '.join(found)), integration=existing)

    def absent(self):
        existing = self.read()
        if existing is None:
            self.finish(None, None)
            return
        if existing.get('auth_provider') != self.provider:
            self.neon.fail('Neon Auth on project %s uses auth_provider %s, not %s: nothing was disabled'
                           % (self.project_id, existing.get('auth_provider'), self.provider))
        self.result['changed'] = True
        if not self.neon.check_mode:
            self.delete(existing)
        self.finish(existing, None)

    def finish(self, before, after):
        self.result['integration'] = after or {}
        if after and after.get('db_name'):
            self.result['database_name'] = after['db_name']
        if after and after.get('branch_id') and 'branch_id' not in self.result:
            self.result['branch_id'] = after['branch_id']
        if self.neon.module._diff:
            self.result['diff'] = diff_of(before, after, SECRET_KEYS)


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        auth_provider=dict(type='str', choices=AUTH_PROVIDERS, default=BETTER_AUTH),
        database_name=dict(type='str'),
        role_name=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        delete_data=dict(type='bool', default=False),
    ))
    for option in ('database_name', 'role_name'):
        # An empty name would be dropped from the create, then differ from Neon's default on every later run.
        if neon.params[option] is not None and not neon.params[option].strip():
            neon.fail('%s is empty: give a name or omit the option' % option)
    integration = Integration(neon)
    state = neon.params['state']
    # The legacy integration is project-wide; its branch only matters when creating it or when one was asked for.
    if neon.params['auth_provider'] == BETTER_AUTH or state == 'present':
        integration.resolve_branch()
    if state == 'present':
        integration.present()
    else:
        integration.absent()
    neon.exit(**integration.result)


if __name__ == '__main__':
    main()
