#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_oauth_provider
short_description: Manage an OAuth sign-in provider of Neon Auth on a branch
version_added: 0.1.0
description:
  - Adds, updates or removes an OAuth provider (Google, GitHub, Microsoft, Vercel) of Neon Auth on a Neon branch.
  - A V(shared) provider uses Neon's own development credentials (Neon branding; for development only). A V(standard)
    provider uses the client id and secret of your own OAuth app.
  - Reads the providers first (C(GET .../auth/oauth_providers)) and writes only what differs, so a second run reports
    no change. The client secret cannot be compared (Neon does not reliably return it), so it is sent only when
    O(update_secret) says so.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._auth_config
attributes:
  check_mode:
    description: Reads the providers and reports what would change; sends no write request.
    support: full
  diff_mode:
    description: Shows the provider before and after, without the client secret.
    support: full
options:
  id:
    description: The OAuth provider.
    type: str
    required: true
    choices: [google, github, microsoft, vercel]
  type:
    description:
      - V(shared) uses Neon's development credentials (no O(client_id) or O(client_secret) may be given).
        Neon has no shared credentials for some providers (such as V(microsoft)); the task then fails and says so.
      - V(standard) uses your own OAuth app; creating it needs O(client_id) and O(client_secret).
      - When omitted, V(standard) if O(client_id), O(client_secret) or O(microsoft_tenant_id) is given; otherwise the
        existing provider keeps its type and a new one is V(shared).
      - Neon fixes the type when a provider is added and its update request only changes credentials, so changing
        the type of an existing provider removes it and adds it again (two requests). Sign-in with that provider
        fails for the short time in between.
    type: str
    choices: [shared, standard]
  client_id:
    description: The client id of your OAuth app (V(standard) only). Compared with Neon's value on every run.
    type: str
  client_secret:
    description:
      - The client secret of your OAuth app (V(standard) only). Never shown, compared or put in a diff.
      - Sent when the provider is created (or changes to V(standard)), and on every run with O(update_secret=always).
    type: str
  microsoft_tenant_id:
    description:
      - The Microsoft Entra tenant of your app (O(id=microsoft) only).
      - Compared when Neon returns it; when Neon does not, it is sent with the provider's creation and with every
        other update of the provider.
    type: str
  update_secret:
    description:
      - V(on_create) sends O(client_secret) only when the provider is created or becomes V(standard).
      - V(always) sends it on every run, so the task always reports a change (use it to rotate the secret).
    type: str
    choices: [always, on_create]
    default: on_create
  state:
    description: Whether the provider should exist (V(present)) or not (V(absent)).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: community.neon.neon_auth_domain
  - module: community.neon.neon_auth_config_info
'''

EXAMPLES = r'''
- name: Sign in with GitHub using Neon's development credentials
  community.neon.neon_auth_oauth_provider:
    project_id: winter-sound-12345678
    id: github
    type: shared

- name: Sign in with Google through our own OAuth app
  community.neon.neon_auth_oauth_provider:
    project_id: winter-sound-12345678
    id: google
    type: standard
    client_id: 123456789012-abc.apps.googleusercontent.com
    client_secret: "{{ vault_google_client_secret }}"

- name: Rotate the Google client secret
  community.neon.neon_auth_oauth_provider:
    project_id: winter-sound-12345678
    id: google
    client_secret: "{{ vault_new_google_client_secret }}"
    update_secret: always

- name: Microsoft for one tenant
  community.neon.neon_auth_oauth_provider:
    project_id: winter-sound-12345678
    id: microsoft
    client_id: 00000000-0000-0000-0000-000000000000
    client_secret: "{{ vault_ms_client_secret }}"
    microsoft_tenant_id: 11111111-1111-1111-1111-111111111111

- name: Remove Vercel sign-in
  community.neon.neon_auth_oauth_provider:
    project_id: winter-sound-12345678
    id: vercel
    state: absent
'''

RETURN = r'''
provider:
  description:
    - The provider after the task (as it would be, in check mode), without its client secret; empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: The provider.
      type: str
      sample: google
    type:
      description: V(shared) or V(standard).
      type: str
      sample: standard
    client_id:
      description: The client id (V(standard) only).
      type: str
      returned: when set
      sample: 123456789012-abc.apps.googleusercontent.com
    microsoft_tenant_id:
      description: The Microsoft tenant, when Neon returns it or it was just sent.
      type: str
      returned: when known
      sample: 11111111-1111-1111-1111-111111111111
secret_sent:
  description: Whether O(client_secret) was sent (or would be, in check mode).
  returned: always
  type: bool
  sample: false
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
    INVALID_SHARED_OAUTH_PROVIDER,
    OAUTH_PROVIDER_IDS,
    OAUTH_SECRET_KEYS,
    OAUTH_TYPES,
    BranchAuthConfig,
    differences,
    given,
    hide_secrets,
    oauth_provider_options,
)
from ansible_collections.community.neon.plugins.module_utils._module import NeonModule

CREDENTIALS = ('client_id', 'client_secret', 'microsoft_tenant_id')


def check_input(neon):
    params = neon.params
    for option in CREDENTIALS:
        if params[option] is not None and not params[option].strip():
            neon.fail('%s is empty' % option)
    if params['type'] == 'shared' and given(params, CREDENTIALS):
        neon.fail('type=shared uses Neon\'s development credentials: do not give %s (or use type=standard)'
                  % ', '.join(sorted(given(params, CREDENTIALS))))
    if params['microsoft_tenant_id'] is not None and params['id'] != 'microsoft':
        neon.fail('microsoft_tenant_id only applies to id=microsoft')
    if params['state'] == 'absent' and (params['type'] or given(params, CREDENTIALS)):
        neon.fail('state=absent takes only id (no type or credentials)')


def wanted_type(params, current):
    if params['type']:
        return params['type']
    if given(params, CREDENTIALS):
        return 'standard'
    return current['type'] if current else 'shared'


class OAuthProvider(object):
    def __init__(self, neon, config):
        self.neon = neon
        self.config = config
        self.params = neon.params
        self.id = self.params['id']
        self.secret_sent = False
        self.messages = {INVALID_SHARED_OAUTH_PROVIDER: (
            'Neon has no shared (development) credentials for %s: this provider needs your own OAuth app. Give '
            'type=standard with client_id and client_secret' % self.id)}

    def read(self, fresh=False):
        """The provider as Neon lists it (secret hidden and stripped), or None."""
        data = self.config.read('/oauth_providers', 'the OAuth providers', missing={'providers': []}, fresh=fresh)
        providers = (data or {}).get('providers') or []
        hide_secrets(self.neon, providers, OAUTH_SECRET_KEYS)
        for item in providers:
            if isinstance(item, dict) and item.get('id') == self.id:
                return oauth_provider_options(item)
        return None

    def answer_options(self, answer, fallback):
        """The provider from a write's answer (secret hidden), or fallback when the answer has none."""
        data = answer.data if answer is not None else None
        if isinstance(data, dict) and data.get('id') == self.id:
            hide_secrets(self.neon, data, OAUTH_SECRET_KEYS)
            options = oauth_provider_options(data)
            if 'microsoft_tenant_id' in fallback:
                options.setdefault('microsoft_tenant_id', fallback['microsoft_tenant_id'])
            return options
        return fallback

    def require_credentials(self, kind):
        missing = [option for option in ('client_id', 'client_secret') if not self.params[option]]
        if kind == 'standard' and missing:
            self.neon.fail('Adding %s as a standard provider needs %s' % (self.id, ' and '.join(missing)))

    def add(self, kind, what='add the OAuth provider'):
        """POST the provider; returns (options after, whether it already existed: HTTP 409)."""
        self.require_credentials(kind)
        body = dict(id=self.id)
        if kind == 'standard':
            body.update(given(self.params, CREDENTIALS))
            self.secret_sent = True
        after = oauth_provider_options(dict(body, type=kind))
        messages = self.messages
        if self.config.writes:
            messages = dict((code, 'OAuth provider %s was removed to change its type, but adding it back failed. %s'
                             % (self.id, text)) for code, text in messages.items())
        answer = self.config.write('POST', '/oauth_providers', '%s %s' % (what, self.id), body=body,
                                   expect=(200, 201, 409), applied=lambda: self.read(fresh=True) is not None,
                                   messages=messages)
        if answer is not None and answer.status == 409:
            return None, True
        return self.answer_options(answer, after), False

    def remove(self):
        self.config.write('DELETE', '/oauth_providers/%s' % self.id, 'remove the OAuth provider %s' % self.id,
                          expect=(200, 204), missing_ok=True, applied=lambda: self.read(fresh=True) is None)

    def update(self, current):
        """PATCH what differs (and the secret when update_secret=always); returns (changed, options after)."""
        wanted = given(self.params, ('client_id', 'microsoft_tenant_id'))
        if 'microsoft_tenant_id' not in current:
            # Neon does not return it: it cannot be compared, only sent along with another update.
            comparable = dict((k, v) for k, v in wanted.items() if k != 'microsoft_tenant_id')
        else:
            comparable = wanted
        changes = differences(comparable, current)
        send_secret = self.params['update_secret'] == 'always' and self.params['client_secret'] is not None
        if not changes and not send_secret:
            return False, current
        body = dict(changes)
        body.update(given(self.params, ('microsoft_tenant_id',)))
        if send_secret:
            body['client_secret'] = self.params['client_secret']
            self.secret_sent = True
        after = dict(current)
        after.update(dict((k, v) for k, v in body.items() if k not in OAUTH_SECRET_KEYS))

        def applied():
            # A secret cannot be read back: with nothing else in the request it counts as not applied, and the
            # same PATCH is sent again (harmless: it sets the same values).
            now = self.read(fresh=True) if changes else None
            return now is not None and not differences(comparable, now)

        answer = self.config.write('PATCH', '/oauth_providers/%s' % self.id, 'update the OAuth provider %s' % self.id,
                                   body=body, applied=applied, messages=self.messages)
        return True, self.answer_options(answer, after)

    def present(self, current, retried=False):
        """Returns (changed, options after)."""
        kind = wanted_type(self.params, current)
        if current is None:
            after, existed = self.add(kind)
            if existed and not retried:
                # Added by someone else since our read: compare with theirs.
                return self.present(self.read(fresh=True), retried=True)
            if existed:
                self.neon.fail('Neon answered 409 (exists) for OAuth provider %s, but does not list it' % self.id)
            return True, after
        if current['type'] != kind:
            self.require_credentials(kind)
            if not self.neon.check_mode:
                self.remove()
            after, existed = self.add(kind, what='add back (as %s) the just removed OAuth provider' % kind)
            if existed:
                self.neon.fail('OAuth provider %s was removed to change its type to %s, but Neon still reports it as '
                               'existing; run the task again' % (self.id, kind), changed=True)
            return True, after
        if kind == 'shared':
            return False, current
        return self.update(current)


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        id=dict(type='str', required=True, choices=list(OAUTH_PROVIDER_IDS)),
        type=dict(type='str', choices=list(OAUTH_TYPES)),
        client_id=dict(type='str'),
        client_secret=dict(type='str', no_log=True),
        microsoft_tenant_id=dict(type='str'),
        update_secret=dict(type='str', choices=['always', 'on_create'], default='on_create', no_log=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ))
    check_input(neon)
    config = BranchAuthConfig(neon)
    provider = OAuthProvider(neon, config)
    before = provider.read()
    if neon.params['state'] == 'absent':
        changed, after = before is not None, None
        if changed and not neon.check_mode:
            provider.remove()
    else:
        changed, after = provider.present(before)
    result = config.result(changed=changed, provider=after or {}, secret_sent=provider.secret_sent)
    if neon.module._diff:
        result['diff'] = dict(before=before or {}, after=after or {})
    neon.exit(**result)


if __name__ == '__main__':
    main()
