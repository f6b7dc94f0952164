#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_domain
short_description: Manage the trusted domains (redirect URIs) of Neon Auth on a branch
version_added: 0.1.0
description:
  - Adds or removes trusted domains of Neon Auth on a Neon branch. Neon Auth only redirects to, and accepts requests
    from, these origins (besides C(localhost), see O(community.neon.neon_auth_settings#module:allow_localhost)).
  - Reads the current list first (C(GET .../auth/domains)) and compares in Neon's canonical form (lowercase scheme and
    host, no default port, no trailing slash), so a second run reports no change.
  - Each missing domain is added with one request; all removals are sent as one batch request.
  - With O(exclusive=true), the list becomes exactly the domains given.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._auth_config
attributes:
  check_mode:
    description: Reads the current domains and reports what would change; sends no write request.
    support: full
  diff_mode:
    description: Shows the list of trusted domains before and after.
    support: full
options:
  domain:
    description:
      - One trusted domain, with its scheme and without a trailing slash, for example V(https://app.example.com).
      - A wildcard is allowed in front of a domain name, for example V(https://*.my-app-preview.vercel.app).
      - Mutually exclusive with O(domains).
    type: str
  domains:
    description:
      - Several trusted domains, in the same form as O(domain).
      - With O(exclusive=true) and O(state=present), an empty list removes every trusted domain.
    type: list
    elements: str
  exclusive:
    description:
      - With O(state=present), also remove every trusted domain that is not in O(domain) or O(domains).
    type: bool
    default: false
  state:
    description: Whether the domains should be trusted (V(present)) or not (V(absent)).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Every value is checked before any request is made (scheme V(http) or V(https), a host name, no trailing slash,
    no query, no user name).
  - C(localhost) does not need to be listed while O(community.neon.neon_auth_settings#module:allow_localhost) is on.
seealso:
  - module: community.neon.neon_auth_settings
  - module: community.neon.neon_auth_config_info
'''

EXAMPLES = r'''
- name: Trust the production domain
  community.neon.neon_auth_domain:
    project_id: winter-sound-12345678
    domain: https://app.example.com

- name: Trust exactly these domains on a preview branch (anything else is removed)
  community.neon.neon_auth_domain:
    project_id: winter-sound-12345678
    branch_id: br-preview-12345678
    domains:
      - https://app.example.com
      - https://*.my-app-preview.vercel.app
    exclusive: true

- name: Stop trusting a domain
  community.neon.neon_auth_domain:
    project_id: winter-sound-12345678
    domain: https://old.example.com
    state: absent
'''

RETURN = r'''
domains:
  description: The trusted domains of the branch after the task (as they would be, in check mode), as Neon stores them.
  returned: always
  type: list
  elements: str
  sample: [https://app.example.com, "https://*.my-app-preview.vercel.app"]
added:
  description: The domains added (or that would be added in check mode).
  returned: always
  type: list
  elements: str
  sample: [https://app.example.com]
removed:
  description: The domains removed (or that would be removed in check mode), as Neon stored them.
  returned: always
  type: list
  elements: str
  sample: [https://old.example.com]
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

from ansible_collections.community.neon.plugins.module_utils._config import (
    BranchAuthConfig,
    canonical_domain,
    domain_values,
    url_problem,
)
from ansible_collections.community.neon.plugins.module_utils._module import NeonModule


def wanted_domains(neon):
    """The domains asked for, checked and in canonical form (repeats dropped, order kept)."""
    params = neon.params
    if params['domain'] is None and params['domains'] is None:
        neon.fail('Give domain or domains')
    if params['exclusive'] and params['state'] == 'absent':
        neon.fail('exclusive only applies to state=present')
    values = [params['domain']] if params['domain'] is not None else params['domains']
    problems = []
    wanted = []
    for value in values:
        problem = url_problem(value, wildcard=True)
        if problem:
            problems.append('%r %s' % (value, problem))
        elif canonical_domain(value) not in wanted:
            wanted.append(canonical_domain(value))
    if problems:
        neon.fail('Invalid trusted domain: %s' % '; '.join(problems))
    if not wanted and not params['exclusive']:
        neon.fail('domains is empty: give at least one domain (or exclusive=true to remove all)')
    return wanted


def plan(stored, wanted, state, exclusive):
    """(canonical domains to add, stored values to remove) that bring stored to the wanted state."""
    stored_canonical = [canonical_domain(value) for value in stored]
    if state == 'absent':
        return [], [value for value in stored if canonical_domain(value) in wanted]
    add = [value for value in wanted if value not in stored_canonical]
    remove = [value for value in stored if exclusive and canonical_domain(value) not in wanted]
    return add, remove


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        domain=dict(type='str'),
        domains=dict(type='list', elements='str'),
        exclusive=dict(type='bool', default=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ), mutually_exclusive=[('domain', 'domains')])
    wanted = wanted_domains(neon)
    config = BranchAuthConfig(neon)

    def read_stored(fresh=False):
        data = config.read('/domains', 'the trusted domains', missing={'domains': []}, fresh=fresh)
        return domain_values(data, config.auth_provider)

    def stored_canonical():
        return set(canonical_domain(value) for value in read_stored(fresh=True))

    before = read_stored()
    add, remove = plan(before, wanted, neon.params['state'], neon.params['exclusive'])
    changed = bool(add or remove)
    after = [value for value in before if value not in remove] + add

    if changed and not neon.check_mode:
        for value in add:
            config.write('POST', '/domains', 'add the trusted domain %s' % value,
                         body=dict(domain=value, auth_provider=config.auth_provider), expect=(200, 201, 204, 409),
                         applied=lambda value=value: value in stored_canonical())
        if remove:
            gone = set(canonical_domain(value) for value in remove)
            config.write('DELETE', '/domains', 'remove the trusted domains %s' % ', '.join(remove),
                         body=dict(auth_provider=config.auth_provider, domains=[dict(domain=value) for value in remove]),
                         missing_ok=True, applied=lambda: not gone & stored_canonical())
        # Neon may store a value differently than sent: report what it really holds.
        after = read_stored(fresh=True)
        missing = [value for value in wanted if neon.params['state'] == 'present' and value not in
                   set(canonical_domain(stored) for stored in after)]
        if missing:
            neon.warn('Neon does not list %s after adding it; a later run will try again' % ', '.join(missing))

    result = config.result(changed=changed, domains=after, added=add, removed=remove)
    if neon.module._diff:
        result['diff'] = dict(before=dict(domains=before), after=dict(domains=after))
    neon.exit(**result)


if __name__ == '__main__':
    main()
