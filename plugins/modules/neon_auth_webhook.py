#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_webhook
short_description: Manage the webhook of Neon Auth on a branch
version_added: 0.1.0
description:
  - Sets the webhook that Neon Auth calls on a Neon branch for the events chosen (user creation, one-time codes to
    deliver, invitations...).
  - Neon replaces the whole webhook configuration on each update (C(PUT .../auth/webhooks)). The module reads the
    current one, builds the full wanted configuration (options left out keep their current value), compares them
    (event lists as sets) and sends it only when it differs, so a second run reports no change.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._auth_config
attributes:
  check_mode:
    description: Reads the webhook and reports what would change; sends no write request.
    support: full
  diff_mode:
    description: Shows the webhook before and after.
    support: full
options:
  url:
    description:
      - The URL Neon calls, V(https://) (or V(http://)). Required to enable a webhook that has none yet.
      - When omitted, the current URL is kept.
    type: str
    aliases: [webhook_url]
  enabled:
    description:
      - Whether Neon calls the webhook. With O(state=present) the default is V(true); V(false) pauses the webhook and
        keeps its settings.
    type: bool
  enabled_events:
    description:
      - The events Neon calls the webhook for. Order and repeats do not matter. When omitted, the current list is kept.
    type: list
    elements: str
    choices:
      - user.before_create
      - user.created
      - send.otp
      - send.magic_link
      - organization.invitation.created
      - organization.invitation.accepted
      - phone_number.verified
  timeout_seconds:
    description: Seconds Neon waits for the webhook to answer, 1 to 10. When omitted, the current value is kept
      (Neon's default is 5).
    type: int
  state:
    description:
      - V(present) configures the webhook.
      - V(absent) leaves a disabled webhook with no URL and no events, which is Neon's initial state.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: community.neon.neon_auth_settings
  - module: community.neon.neon_auth_config_info
'''

EXAMPLES = r'''
- name: Deliver one-time codes and magic links through our service
  community.neon.neon_auth_webhook:
    project_id: winter-sound-12345678
    url: https://hooks.example.com/neon-auth
    enabled_events: [send.otp, send.magic_link]
    timeout_seconds: 8

- name: Pause the webhook, keeping its settings
  community.neon.neon_auth_webhook:
    project_id: winter-sound-12345678
    enabled: false

- name: Remove the webhook
  community.neon.neon_auth_webhook:
    project_id: winter-sound-12345678
    state: absent
'''

RETURN = r'''
webhook:
  description: The webhook after the task (as it would be, in check mode), in the shape of this module's options.
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether Neon calls the webhook.
      type: bool
      sample: true
    url:
      description: The URL; null when none is set.
      type: str
      sample: https://hooks.example.com/neon-auth
    enabled_events:
      description: The events.
      type: list
      elements: str
      sample: [send.otp, send.magic_link]
    timeout_seconds:
      description: The timeout in seconds.
      type: int
      sample: 8
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
    WEBHOOK_EVENTS,
    WEBHOOK_TIMEOUT_DEFAULT,
    BranchAuthConfig,
    as_set,
    canonical_url,
    differences,
    given,
    range_problem,
    url_problem,
    webhook_options,
)
from ansible_collections.community.neon.plugins.module_utils._module import NeonModule

FIELDS = ('enabled', 'url', 'enabled_events', 'timeout_seconds')
COMPARE = dict(url=canonical_url, enabled_events=as_set)


def check_input(neon):
    params = neon.params
    if params['state'] == 'absent' and given(params, FIELDS):
        neon.fail('state=absent takes no other webhook option (%s given)' % ', '.join(sorted(given(params, FIELDS))))
    problems = []
    if params['url'] is not None:
        problem = url_problem(params['url'], trailing_slash=True)
        if problem:
            problems.append('url %r %s' % (params['url'], problem))
    problems.append(range_problem('timeout_seconds', params['timeout_seconds'], 1, 10))
    problems = [problem for problem in problems if problem]
    if problems:
        neon.fail('Invalid webhook options: %s' % '; '.join(problems))


def wanted_webhook(params, current):
    """The full configuration to send: the current one with the options given (and enabled unless said otherwise)."""
    if params['state'] == 'absent':
        return dict(enabled=False, url=None, enabled_events=[], timeout_seconds=current['timeout_seconds'])
    wanted = dict(current)
    wanted.update(given(params, FIELDS))
    if params['enabled'] is None:
        wanted['enabled'] = True
    if params['enabled_events'] is not None:
        # Order kept, repeats dropped.
        wanted['enabled_events'] = sorted(set(params['enabled_events']), key=params['enabled_events'].index)
    return wanted


def request_body(webhook):
    body = dict(enabled=webhook['enabled'], enabled_events=webhook['enabled_events'],
                timeout_seconds=webhook['timeout_seconds'] or WEBHOOK_TIMEOUT_DEFAULT)
    if webhook['url']:
        body['webhook_url'] = webhook['url']
    return body


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        url=dict(type='str', aliases=['webhook_url']),
        enabled=dict(type='bool'),
        enabled_events=dict(type='list', elements='str', choices=list(WEBHOOK_EVENTS)),
        timeout_seconds=dict(type='int'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ))
    check_input(neon)
    config = BranchAuthConfig(neon)

    def read(fresh=False):
        return webhook_options(config.read('/webhooks', 'the webhook', missing={'enabled': False}, fresh=fresh))

    before = read()
    wanted = wanted_webhook(neon.params, before)
    if wanted['enabled'] and not wanted['url']:
        neon.fail('The webhook has no URL yet: give url to enable it')
    if neon.params['state'] == 'absent':
        # Neon's initial state: disabled, no URL. Events and timeout of a disabled webhook without URL do not matter.
        changed = before['enabled'] or bool(before['url'])
    else:
        changed = bool(differences(wanted, before, COMPARE))
    after = before
    if changed:
        after = wanted
        answer = config.write('PUT', '/webhooks', 'update the webhook', body=request_body(wanted),
                              applied=lambda: not differences(wanted, read(fresh=True), COMPARE))
        if answer is not None and isinstance(answer.data, dict) and 'enabled' in answer.data:
            after = webhook_options(answer.data)
    result = config.result(changed=changed, webhook=after)
    if neon.module._diff:
        result['diff'] = dict(before=before, after=after)
    neon.exit(**result)


if __name__ == '__main__':
    main()
