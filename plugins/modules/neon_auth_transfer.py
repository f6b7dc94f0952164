#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_transfer
short_description: Transfer a Neon-managed Stack Auth project to your own Stack Auth account
version_added: 0.1.0
description:
  - Starts the transfer of the Stack Auth project that Neon manages for a Neon project's legacy Neon Auth integration
    to the user's own Stack Auth account (C(POST /projects/auth/transfer_ownership)), and returns the confirmation
    RV(url). A person opens that URL in a browser, signs in to Stack Auth and picks the receiving account.
  - The integration is read first (C(GET /projects/{project_id}/auth/integrations)). When it is already owned by the
    user (C(owned_by=user) or C(transfer_status=finished)) nothing is requested and the task reports no change.
  - When a transfer is pending (C(transfer_status=initiated)) the task reports RV(status=initiated) without a change
    and without a request, so running a playbook again never starts a second transfer. Neon cannot show the URL of
    a pending transfer again; O(force=true) asks for a new one.
  - With O(wait=true) the task then checks the integration every O(poll_interval) seconds until the transfer has
    been confirmed, so a pipeline can pause until a person has done it; at O(wait_timeout) it fails and its message
    holds the URL.
  - Transfer applies to Stack Auth only; O(auth_provider=better_auth) fails with an explanation before any request.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
attributes:
  check_mode:
    description: Reads the integration and reports whether a transfer would be started; requests none and does not wait.
    support: full
  diff_mode:
    description: Shows the transfer status before and after (never the URL).
    support: full
options:
  project_id:
    description: The Neon project id, for example V(winter-sound-12345678).
    type: str
    required: true
  auth_provider:
    description:
      - Only V(stack) can be transferred. V(better_auth) is accepted so a shared setting can be passed, and fails
        with an explanation before any request.
      - Unlike most modules of this collection, the default is V(stack), the only provider this module applies to.
    type: str
    choices: [better_auth, stack]
    default: stack
  force:
    description:
      - When a transfer is already pending, request a new confirmation URL (the earlier one cannot be read back).
      - Whether Neon issues a second URL for a pending transfer, and whether the first stays valid, is undocumented.
        If Neon refuses, the task fails and says so; a transfer confirmed meanwhile is reported as finished.
      - Has no effect on a finished transfer.
    type: bool
    default: false
  wait:
    description:
      - Wait until the transfer has been confirmed in the browser (the integration is then owned by the user).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true). When they pass, the task fails with the confirmation URL in its message;
        running it again (without O(force)) waits for the same transfer.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads of the integration with O(wait=true). Each read is an API request and counts
        against Neon's rate limit (700 requests a minute per account), so keep it moderate.
    type: int
    default: 10
notes:
  - The confirmation URL carries a one-time code, and whoever opens it first can claim the Stack Auth project.
    Treat it like a password-reset link. The module returns it in RV(url) (and in the failure message of a wait that
    timed out), never in warnings or the diff. Use C(no_log) on the task if its output is shared widely, and
    show the URL only to the person who confirms.
  - Neon does not document what C(transfer_ownership) answers when a transfer is pending or finished. The module
    decides from the integration's state it reads, and only requests a URL when none is pending (or with O(force)).
seealso:
  - module: community.neon.neon_auth_integration
  - module: community.neon.neon_auth_keys
  - name: Claim a Neon Auth project
    description: Neon's guide to transferring the Stack Auth project to your own account.
    link: https://neon.com/docs/neon-auth/claim-project
'''

EXAMPLES = r'''
- name: Start the transfer of the Stack Auth project
  community.neon.neon_auth_transfer:
    project_id: winter-sound-12345678
  register: transfer

- name: Ask the owner to confirm
  ansible.builtin.debug:
    msg: "Open {{ transfer.url }} to move the auth project to your Stack Auth account"
  when: transfer.url is defined

- name: Start it and pause the pipeline until someone has confirmed it (up to 30 minutes)
  community.neon.neon_auth_transfer:
    project_id: winter-sound-12345678
    wait: true
    wait_timeout: 1800
    poll_interval: 20

- name: The URL of a pending transfer was lost - request a new one
  community.neon.neon_auth_transfer:
    project_id: winter-sound-12345678
    force: true
  register: transfer
'''

RETURN = r'''
status:
  description:
    - V(finished) when the Stack Auth project belongs to the user; V(initiated) when a transfer is pending (started
      by this task or earlier), or would be started in check mode.
  returned: always
  type: str
  sample: initiated
url:
  description:
    - The confirmation URL Neon returned to this task. Open it in a browser to pick the receiving Stack Auth account.
    - It carries a one-time code; see the notes.
  returned: when this task requested a transfer (not in check mode)
  type: str
  sample: https://app.stack-auth.com/integrations/neon/projects/transfer/confirm?code=example123
polls:
  description: How many times the integration was read while waiting.
  returned: when O(wait=true) and the task waited
  type: int
  sample: 3
integration:
  description:
    - The Stack Auth integration as Neon reported it, at the start or at the last check while waiting. Never holds keys.
  returned: always
  type: dict
  sample:
    auth_provider: stack
    auth_provider_project_id: proj-example-123
    branch_id: br-main-12345678
    db_name: neondb
    owned_by: user
    transfer_status: finished
project_id:
  description: The Neon project.
  returned: always
  type: str
  sample: winter-sound-12345678
msg:
  description: What the task found or did, in words.
  returned: always
  type: str
  sample: A transfer is pending until someone confirms it in a browser.
'''

import time

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError
from ansible_collections.community.neon.plugins.module_utils._auth import BETTER_AUTH, STACK, require_integration
from ansible_collections.community.neon.plugins.module_utils._module import AUTH_PROVIDERS, NeonModule

TRANSFER_PATH = '/projects/auth/transfer_ownership'

# Looked up at call time, so tests can run the wait on a fake clock.
monotonic = time.monotonic
sleep = time.sleep

FINISHED = 'finished'
INITIATED = 'initiated'
NOT_STARTED = 'not_started'

PENDING_HINT = ('Neon cannot show the confirmation URL of a pending transfer again: use the one returned when it was '
                'started, or set force=true to request a new one.')


def transfer_state(integration):
    """finished, initiated or not_started, from the integration's owned_by and transfer_status."""
    if integration.get('owned_by') == 'user' or integration.get('transfer_status') == FINISHED:
        return FINISHED
    if integration.get('transfer_status') == INITIATED:
        return INITIATED
    return NOT_STARTED


class Transfer(object):
    def __init__(self, neon):
        self.neon = neon
        params = neon.params
        self.project_id = params['project_id']
        self.url = None
        self.result = dict(changed=False, project_id=self.project_id)

    def validate(self):
        params = self.neon.params
        if params['auth_provider'] == BETTER_AUTH:
            self.neon.fail('Transferring ownership applies to Stack Auth only (auth_provider=stack): a Better Auth '
                           'integration runs inside your Neon project, with no separate auth provider account to move '
                           'it to.')
        if params['wait_timeout'] <= 0:
            self.neon.fail('wait_timeout must be a positive number of seconds')
        if params['poll_interval'] < 1:
            self.neon.fail('poll_interval must be at least 1 second')

    def read(self):
        return require_integration(self.neon, self.project_id, STACK)

    def request_url(self, state):
        """POST transfer_ownership; returns the integration when a concurrent confirmation made it unnecessary."""
        body = dict(project_id=self.project_id, auth_provider=STACK)
        # From not_started, a read tells whether a request whose answer was lost started the transfer; if not, it is
        # sent again. A forced new URL for a pending transfer cannot be told apart that way.
        applied = self.started if state == NOT_STARTED else None
        try:
            resp = self.neon.client.write('POST', TRANSFER_PATH, body=body, expect=(200, 201), applied=applied)
            exc = resp.unconfirmed
        except NeonAPIError as error:
            exc = error
        if exc is not None:
            # Whatever the error, the state decides: a finished transfer is success, anything else is explained.
            now = self.read()
            now_state = transfer_state(now)
            if now_state == FINISHED:
                return now
            if exc.ambiguous:
                if now_state == INITIATED:
                    self.neon.fail_api(exc, 'Neon did not confirm the transfer request. The transfer is now pending, '
                                            'but its confirmation URL was not returned: run the task again with '
                                            'force=true to request a new URL')
                self.neon.fail_api(exc, 'Neon did not confirm the transfer request and no transfer is pending: run '
                                        'the task again')
            if state == INITIATED:
                self.neon.fail_api(exc, 'Neon refused a new confirmation URL for the pending transfer of project %s. '
                                        'Use the URL returned when the transfer was started, or run without force to '
                                        'keep waiting for it' % self.project_id)
            self.neon.fail_api(exc, 'Could not start the transfer of the Stack Auth project of project %s'
                               % self.project_id)
        url = resp.data.get('url') if isinstance(resp.data, dict) else None
        if not url or not isinstance(url, str):
            self.neon.fail('Neon accepted the transfer request but returned no confirmation URL. ' + PENDING_HINT)
        self.url = url
        return None

    def started(self):
        return transfer_state(self.read()) != NOT_STARTED

    def wait(self, integration):
        """Read the integration every poll_interval seconds until the transfer is finished or wait_timeout passes."""
        params = self.neon.params
        deadline = monotonic() + params['wait_timeout']
        polls = 0
        while transfer_state(integration) != FINISHED:
            remaining = deadline - monotonic()
            if remaining <= 0:
                if self.url:
                    where = 'Open %s in a browser to confirm it, then run the task again (without force).' % self.url
                else:
                    where = PENDING_HINT
                self.neon.fail('The transfer of the Stack Auth project of project %s was not confirmed within %s s '
                               '(%d checks). %s' % (self.project_id, params['wait_timeout'], polls, where),
                               status=INITIATED, polls=polls, integration=integration)
            sleep(min(params['poll_interval'], remaining))
            integration = self.read()
            polls += 1
        self.result['polls'] = polls
        return integration

    def run(self):
        self.validate()
        params = self.neon.params
        integration = self.read()
        before = state = transfer_state(integration)
        if state == NOT_STARTED or (state == INITIATED and params['force']):
            finished = None if self.neon.check_mode else self.request_url(state)
            if finished is None:
                self.result['changed'] = True
                state = INITIATED
            else:
                integration, state = finished, FINISHED
        if state == INITIATED and params['wait'] and not self.neon.check_mode:
            integration = self.wait(integration)
            state = FINISHED
        self.finish(integration, before, state)

    def finish(self, integration, before, state):
        self.result.update(integration=integration, status=state)
        if self.url:
            self.result['url'] = self.url
        would = 'would be' if self.neon.check_mode else 'was'
        if state == FINISHED:
            self.result['msg'] = 'The Stack Auth project belongs to the user: the transfer is finished.'
        elif self.result['changed'] and before == INITIATED:
            self.result['msg'] = ('A new confirmation URL %s requested for the pending transfer; it stays pending until '
                                  'someone opens the URL in a browser.' % would)
        elif self.result['changed']:
            self.result['msg'] = ('A transfer %s started; it is pending until someone opens the confirmation URL in a '
                                  'browser.' % would)
        else:
            self.result['msg'] = 'A transfer is pending until someone confirms it in a browser. ' + PENDING_HINT
        if self.neon.module._diff:
            self.result['diff'] = dict(before=dict(transfer=before), after=dict(transfer=state))


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        auth_provider=dict(type='str', choices=AUTH_PROVIDERS, default=STACK),
        force=dict(type='bool', default=False),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=600),
        poll_interval=dict(type='int', default=10),
    ))
    transfer = Transfer(neon)
    transfer.run()
    neon.exit(**transfer.result)


if __name__ == '__main__':
    main()
