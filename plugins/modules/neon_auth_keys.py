#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_keys
short_description: Mint SDK keys for a Neon Auth (Stack Auth) integration and write them to the app's env file
version_added: 0.1.0
description:
  - Generates a new set of SDK keys (publishable client key and secret server key) for the legacy Stack Auth
    integration of a Neon project, with C(POST /projects/auth/keys), and returns them.
  - Every request mints new keys, so the module only asks for keys when the deployment needs them.
  - With O(dest), the keys are written to the application's environment file on the host the module runs on,
    under Stack Auth's variable names C(NEXT_PUBLIC_STACK_PROJECT_ID), C(NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY),
    C(STACK_SECRET_SERVER_KEY), plus C(NEON_AUTH_JWKS_URL). When the file already holds keys for this
    integration's auth project (its C(NEXT_PUBLIC_STACK_PROJECT_ID) is the integration's
    C(auth_provider_project_id) and both keys are set), no key is minted, the keys in the file are returned in RV(sdk_keys) and the
    task reports no change. O(rotate=true) mints new keys anyway.
  - Without O(dest), the module is an action, like M(ansible.builtin.command) - every run mints a new set of keys
    and reports a change. Use O(dest), or a C(when) condition, so that a playbook run twice does not mint twice.
  - The integration is read first; the task fails, without minting, when Stack Auth is not set up for the project
    (use M(community.neon.neon_auth_integration) with O(community.neon.neon_auth_integration#module:auth_provider=stack)).
  - Better Auth integrations have no SDK keys; the app needs their C(base_url) and C(jwks_url), which
    M(community.neon.neon_auth_integration) returns. O(auth_provider=better_auth) therefore fails with that explanation.
  - Neon does not document whether minting keys revokes earlier ones. Treat every earlier key set as possibly
    revoked once new keys are minted, and deploy the new ones.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
attributes:
  check_mode:
    description:
      - Reads the integration and O(dest), and reports whether keys would be minted or the file changed.
      - Never requests keys and writes nothing; returns RV(sdk_keys) only when they were read from O(dest).
    support: full
  diff_mode:
    description:
      - Shows the names of the variables set in O(dest) and the file mode; values are always masked.
      - Without O(dest) there is no diff.
    support: full
options:
  project_id:
    description: The Neon project id, for example V(winter-sound-12345678).
    type: str
    required: true
  auth_provider:
    description:
      - Only V(stack) has SDK keys. V(better_auth) is accepted so a shared setting can be passed, and fails with an
        explanation before any request.
      - Unlike most modules of this collection, the default is V(stack), the only provider this module applies to.
    type: str
    choices: [better_auth, stack]
    default: stack
  dest:
    description:
      - Absolute path of the application's environment file (for example V(/srv/app/.env.local)) on the host the
        module runs on. Created when missing; its directory must exist.
      - Only the four variables of this module are set; every other line of the file is kept as it is.
      - The file is replaced atomically - a temporary file in the same directory, created with O(mode), then renamed
        over the old one - so a failure never leaves a half-written file, and the old file stays as it was.
        A symbolic link is followed. The owner and group of an existing file are kept when the module runs as root.
      - The directory must be writable, and an existing file readable, by the user the module runs as; this is
        checked before any key is minted.
      - When omitted, keys are minted on every run and only returned.
    type: path
  mode:
    description:
      - The file mode of O(dest), as an octal string such as V('0600') or V('0640'), or a number.
      - Applied to a new file, and to an existing one whose mode differs (which counts as a change).
      - Quote it in YAML; an unquoted C(0600) is read as an octal number and works, an unquoted C(600) does not.
    type: raw
    default: '0600'
  rotate:
    description:
      - Mint new keys even when O(dest) already holds keys for this integration, and write them there.
      - Without O(dest) it changes nothing, since every run mints keys.
    type: bool
    default: false
notes:
  - The returned RV(sdk_keys) are secrets. Set C(no_log) to V(true) on the task; the module never puts them in its messages,
    warnings, errors or diff.
  - If the request for keys fails in a way that leaves unknown whether Neon minted them (a 5xx answer, a timeout, a
    dropped connection), the task fails and writes nothing - O(dest) keeps its previous content. Neon never shows
    those keys, so they cannot be recovered; run the task again to mint a new set.
  - Only the legacy Stack Auth integration has SDK keys. Neon has deprecated Stack Auth for new projects.
seealso:
  - module: community.neon.neon_auth_integration
  - module: community.neon.neon_auth_transfer
  - name: Manage Neon Auth using the API
    description: Neon's guide to the legacy endpoints, including SDK key generation.
    link: https://neon.com/docs/guides/neon-auth-api
'''

EXAMPLES = r'''
- name: Write Stack Auth keys to the app's env file (minted only when the file has none for this integration)
  community.neon.neon_auth_keys:
    project_id: winter-sound-12345678
    dest: /srv/app/shared/.env.local
    mode: '0640'
  no_log: true

- name: Rotate the keys of the app and restart it
  community.neon.neon_auth_keys:
    project_id: winter-sound-12345678
    dest: /srv/app/shared/.env.local
    rotate: true
  no_log: true
  notify: Restart app

- name: Mint keys without a file (an action - new keys on every run, so guard it with a condition)
  community.neon.neon_auth_keys:
    project_id: winter-sound-12345678
  register: stack_keys
  no_log: true
  when: stack_keys_needed | bool

- name: Use the keys in a later task
  ansible.builtin.template:
    src: stack.env.j2
    dest: /srv/app/stack.env
    mode: '0600'
  vars:
    stack_publishable_key: "{{ stack_keys.sdk_keys.pub_client_key }}"
    stack_secret_key: "{{ stack_keys.sdk_keys.secret_server_key }}"
  no_log: true
  when: stack_keys is changed
'''

RETURN = r'''
sdk_keys:
  description:
    - The keys, either minted by this task or read from O(dest) when it already held keys for this integration.
    - These are secrets - use C(no_log) on the task.
  returned: when keys were minted or read from O(dest) (not when check mode would mint)
  type: dict
  contains:
    auth_provider_project_id:
      description: The Stack Auth project id (C(NEXT_PUBLIC_STACK_PROJECT_ID)).
      type: str
      sample: proj-example-123
    pub_client_key:
      description: The publishable client key (C(NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY)).
      type: str
      sample: pck_example123
    secret_server_key:
      description: The secret server key (C(STACK_SECRET_SERVER_KEY)).
      type: str
      sample: ssk_example123
    jwks_url:
      description: The JWKS URL to verify the project's tokens with (C(NEON_AUTH_JWKS_URL)).
      type: str
      sample: https://api.stack-auth.com/api/v1/projects/proj-example-123/.well-known/jwks.json
sdk_keys_source:
  description:
    - V(minted) when this task minted new keys, V(dest) when they were read from O(dest).
  returned: when RV(sdk_keys) is returned
  type: str
  sample: minted
minted:
  description: Whether this task minted new keys (in check mode, whether it would have).
  returned: always
  type: bool
  sample: true
dest:
  description: The environment file written.
  returned: when O(dest) is set
  type: str
  sample: /srv/app/shared/.env.local
variables_changed:
  description: The names of the variables whose value changed (or would change) in O(dest).
  returned: when O(dest) is set
  type: list
  elements: str
  sample: [NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY, STACK_SECRET_SERVER_KEY]
integration:
  description: The Stack Auth integration as Neon reports it; never contains keys.
  returned: always
  type: dict
  sample:
    auth_provider: stack
    auth_provider_project_id: proj-example-123
    branch_id: br-main-12345678
    db_name: neondb
    owned_by: neon
    jwks_url: https://api.stack-auth.com/api/v1/projects/proj-example-123/.well-known/jwks.json
project_id:
  description: The Neon project.
  returned: always
  type: str
  sample: winter-sound-12345678
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

BETTER_AUTH_MESSAGE = (
    'Better Auth integrations have no SDK keys: the app needs the integration\'s base_url and jwks_url, which '
    'community.neon.neon_auth_integration returns (register its result). neon_auth_keys applies to auth_provider=stack only.')


class Keys(object):
    def __init__(self, neon):
        self.neon = neon
        params = neon.params
        self.project_id = params['project_id']
        self.dest = params['dest']
        self.rotate = params['rotate']
        self.mode = None
        self.result = dict(changed=False, minted=False, project_id=self.project_id)

    def validate(self):
        """Every input check, before the first request."""
        params = self.neon.params
        if params['auth_provider'] == BETTER_AUTH:
            self.neon.fail(BETTER_AUTH_MESSAGE)
        self.mode = parse_mode(params['mode'])
        if self.mode is None:
            self.neon.fail('mode %r is not a file mode: give an octal string such as \'0600\' or \'0640\'' % (params['mode'],))
        if self.dest is None:
            return
        problem = dest_problem(self.dest)
        if problem:
            self.neon.fail('Cannot write dest: %s. No keys were minted.' % problem)
        self.result['dest'] = self.dest

    def read_dest(self):
        try:
            return read_variables(self.dest)
        except EnvFileError as exc:
            self.neon.fail('%s. No keys were minted.' % exc)

    def run(self):
        self.validate()
        env = self.read_dest() if self.dest else None
        integration = require_integration(self.neon, self.project_id, STACK)
        self.result['integration'] = integration
        auth_project_id = integration.get('auth_provider_project_id')

        if self.dest and not self.rotate and file_holds_keys(env, auth_project_id):
            keys = keys_from_env(env)
            self.neon.hide_returned(keys['pub_client_key'], keys['secret_server_key'])
            keys['jwks_url'] = integration.get('jwks_url') or keys['jwks_url']
            self.result.update(sdk_keys=keys, sdk_keys_source='dest')
            self.write(keys)
            return

        self.result['minted'] = True
        self.result['changed'] = True
        if self.neon.check_mode:
            if self.dest:
                self.write(stand_in_keys(integration))
            return
        keys = mint_keys(self.neon, self.project_id, integration, self.dest)
        self.result.update(sdk_keys=keys, sdk_keys_source='minted')
        if self.dest:
            self.write(keys)

    def write(self, keys):
        try:
            update = set_variables(self.dest, env_values(keys), mode=self.mode, check_mode=self.neon.check_mode)
        except EnvFileError as exc:
            minted = ' The keys minted by this task are lost; run the task again to mint a new set.' if self.result['minted'] else ''
            self.neon.fail('%s.%s' % (exc, minted))
        self.result['changed'] = self.result['changed'] or update.changed
        self.result['variables_changed'] = update.changed_names
        if self.neon.module._diff:
            self.result['diff'] = update.diff()


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        auth_provider=dict(type='str', choices=AUTH_PROVIDERS, default=STACK),
        dest=dict(type='path'),
        mode=dict(type='raw', default='0600'),
        rotate=dict(type='bool', default=False),
    ))
    keys = Keys(neon)
    keys.run()
    neon.exit(**keys.result)


if __name__ == '__main__':
    main()
