#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_env_file
short_description: Write what an application needs for Neon Auth into its environment file
version_added: 0.1.0
description:
  - Sets the variables an application needs for Neon Auth in an environment file (C(NAME=value) lines) on the target,
    leaving every other line of the file as it is.
  - For O(auth_provider=better_auth), C(NEON_AUTH_BASE_URL) and C(NEON_AUTH_JWKS_URL) from the branch's integration.
  - For O(auth_provider=stack), Stack Auth's C(NEXT_PUBLIC_STACK_PROJECT_ID), C(NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY),
    C(STACK_SECRET_SERVER_KEY) and C(NEON_AUTH_JWKS_URL). Neon mints a new key set on every request and never shows keys
    again, so keys are minted only when the file does not already hold keys of this Stack project (or with O(rotate_keys)).
  - With O(database_url=true), also C(DATABASE_URL), the connection URI of the branch database, which Neon gives for the
    database's owner role.
  - The file is written only when a value or its mode would change, atomically (a new file renamed over the old one),
    with mode O(mode). A failure leaves the old file as it was.
  - Neon Auth must already be enabled (M(community.neon.neon_auth_integration)); this module never enables it.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
attributes:
  check_mode:
    description: Reads everything and reports which variables would change; writes no file and mints no key.
    support: full
  diff_mode:
    description: Shows the variables before and after, with every value masked.
    support: full
options:
  project_id:
    description: The Neon project id.
    type: str
    required: true
  branch_id:
    description:
      - The branch. When omitted, the default branch for V(better_auth), and the integration's branch for V(stack).
    type: str
  auth_provider:
    description: The Neon Auth integration to read.
    type: str
    choices: [better_auth, stack]
    default: better_auth
  database_name:
    description: The database for C(DATABASE_URL); when omitted the integration's database, else the branch's default one.
    type: str
  dest:
    description: Absolute path of the environment file. Its directory must exist.
    type: path
    required: true
  mode:
    description: File mode of O(dest), as an octal string.
    type: raw
    default: '0600'
  database_url:
    description: Whether to set C(DATABASE_URL).
    type: bool
    default: true
  rotate_keys:
    description: With V(stack), mint new keys even when the file holds keys of this Stack project.
    type: bool
    default: false
  sdk_keys:
    description:
      - With V(stack), keys already minted for this Stack project, such as RV(community.neon.neon_auth_integration#module:sdk_keys)
        of the task that created the integration. Used instead of minting when the file lacks keys, so a new setup
        ends with one key set, not two.
    type: dict
notes:
  - The file holds secrets (keys, the database password). Use C(no_log) on the task; the module's result and diff never
    contain values.
seealso:
  - module: community.neon.neon_auth_integration
  - module: community.neon.neon_auth_keys
'''

EXAMPLES = r'''
- name: Write the app's .env for Better Auth
  community.neon.neon_auth_env_file:
    project_id: winter-sound-12345678
    dest: /srv/app/.env
  no_log: true

- name: Write the app's .env for a legacy Stack Auth integration (keys minted only when missing)
  community.neon.neon_auth_env_file:
    project_id: winter-sound-12345678
    auth_provider: stack
    dest: /srv/app/.env
    mode: '0640'
  no_log: true
'''

RETURN = r'''
dest:
  description: The file written.
  returned: always
  type: str
  sample: /srv/app/.env
variables:
  description: The names of the variables this module manages in the file.
  returned: always
  type: list
  elements: str
  sample: [NEON_AUTH_BASE_URL, NEON_AUTH_JWKS_URL, DATABASE_URL]
variables_changed:
  description: The names of the variables whose value changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [DATABASE_URL]
minted:
  description: Whether new Stack keys were minted (or would be, in check mode).
  returned: always
  type: bool
  sample: false
branch_id:
  description: The branch whose integration and database were used.
  returned: always
  type: str
  sample: br-main-12345678
database_name:
  description: The database of C(DATABASE_URL).
  returned: when O(database_url=true)
  type: str
  sample: neondb
'''

from ansible_collections.community.neon.plugins.module_utils._auth import BETTER_AUTH, STACK, require_integration
from ansible_collections.community.neon.plugins.module_utils._envfile import (
    EnvFileError,
    dest_problem,
    parse_mode,
    read_variables,
    set_variables,
)
from ansible_collections.community.neon.plugins.module_utils._keys import (
    env_values,
    file_holds_keys,
    keys_from_env,
    mint_keys,
    stand_in_keys,
)
from ansible_collections.community.neon.plugins.module_utils._module import AUTH_PROVIDERS, NeonModule
from ansible_collections.community.neon.plugins.module_utils._users_db import UsersDBError, connection_uri


def given_keys_fit(keys, integration):
    """Whether keys passed in are a usable set for this integration (not another Stack project's)."""
    if not keys or not keys.get('pub_client_key') or not keys.get('secret_server_key'):
        return False
    project = keys.get('auth_provider_project_id')
    return not project or project == integration.get('auth_provider_project_id')


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        auth_provider=dict(type='str', choices=AUTH_PROVIDERS, default=BETTER_AUTH),
        database_name=dict(type='str'),
        dest=dict(type='path', required=True),
        mode=dict(type='raw', default='0600'),
        database_url=dict(type='bool', default=True),
        rotate_keys=dict(type='bool', default=False),
        sdk_keys=dict(type='dict', no_log=True),
    ))
    params = neon.params
    project_id, provider, dest = params['project_id'], params['auth_provider'], params['dest']
    mode = parse_mode(params['mode'])
    if mode is None:
        neon.fail('mode %r is not a file mode: give an octal string such as \'0600\' or \'0640\'' % (params['mode'],))
    problem = dest_problem(dest)
    if problem:
        neon.fail('Cannot write dest: %s' % problem)
    if params['rotate_keys'] and provider != STACK:
        neon.fail('rotate_keys applies to auth_provider=stack only: Better Auth integrations have no SDK keys')
    try:
        env = read_variables(dest) or {}
    except EnvFileError as exc:
        neon.fail(str(exc))

    branch_id = params['branch_id']
    if provider == BETTER_AUTH:
        branch_id = neon.resolve_branch(project_id, branch_id)[0]['id']
    integration = require_integration(neon, project_id, provider, branch_id)
    branch_id = branch_id or integration.get('branch_id')
    if not branch_id:
        branch_id = neon.resolve_branch(project_id)[0]['id']
    result = dict(changed=False, dest=dest, minted=False, branch_id=branch_id)

    values = {}
    if provider == BETTER_AUTH:
        values.update(NEON_AUTH_BASE_URL=integration.get('base_url') or '', NEON_AUTH_JWKS_URL=integration.get('jwks_url') or '')
    elif not params['rotate_keys'] and file_holds_keys(env, integration.get('auth_provider_project_id')):
        held = keys_from_env(env)
        held['jwks_url'] = integration.get('jwks_url') or held['jwks_url']
        values.update(env_values(held))
    elif not params['rotate_keys'] and given_keys_fit(params['sdk_keys'], integration):
        given = dict(params['sdk_keys'])
        given.update(auth_provider_project_id=integration.get('auth_provider_project_id'),
                     jwks_url=integration.get('jwks_url') or given.get('jwks_url'))
        values.update(env_values(given))
    else:
        result['minted'] = True
        keys = stand_in_keys(integration) if neon.check_mode else mint_keys(neon, project_id, integration, dest)
        values.update(env_values(keys))

    if params['database_url']:
        try:
            uri, result['database_name'] = connection_uri(neon, project_id, branch_id,
                                                          params['database_name'] or integration.get('db_name'))
        except UsersDBError as exc:
            neon.fail('Could not get the database URL: %s' % exc)
        values['DATABASE_URL'] = uri

    values = dict((name, value) for name, value in values.items() if value)
    try:
        update = set_variables(dest, values, mode=mode, check_mode=neon.check_mode)
    except EnvFileError as exc:
        lost = ' The keys minted by this task are lost; run it again to mint a new set.' if result['minted'] and not neon.check_mode else ''
        neon.fail('%s.%s' % (exc, lost))
    result.update(changed=result['minted'] or update.changed, variables=sorted(values),
                  variables_changed=update.changed_names)
    if neon.module._diff:
        result['diff'] = update.diff()
    neon.exit(**result)


if __name__ == '__main__':
    main()
