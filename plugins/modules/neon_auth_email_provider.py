#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_email_provider
short_description: Configure how Neon Auth sends email on a branch, and test it
version_added: 0.1.0
description:
  - Sets the email provider of Neon Auth on a Neon branch, which sends verification emails, one-time codes, magic links
    and invitations. V(shared) is Neon's own email service; V(standard) is your SMTP server.
  - Reads the current provider first (C(GET .../auth/email_provider)) and sends one C(PATCH) only when something
    differs, so a second run reports no change. A branch where no provider was ever set counts as V(shared).
  - The SMTP password cannot be compared (Neon returns it redacted), so it is sent only when O(update_password) says so.
  - Optionally sends a test email through the saved configuration and fails the task when it is not delivered.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
  - community.neon._auth_config
attributes:
  check_mode:
    description: Reads the provider and reports what would change; sends no write request and no test email.
    support: full
  diff_mode:
    description: Shows the provider before and after, without the password.
    support: full
options:
  type:
    description:
      - V(shared) sends through Neon's email service; only O(sender_email) and O(sender_name) apply (Neon may ignore
        them for the shared service).
      - V(standard) sends through your SMTP server. Switching to it needs all of O(host), O(port), O(username),
        O(password), O(sender_email) and O(sender_name).
      - When omitted, V(standard) if O(host), O(port), O(username) or O(password) is given; otherwise the current type
        is kept.
    type: str
    choices: [shared, standard]
  host:
    description: The SMTP server's host name.
    type: str
  port:
    description: The SMTP server's port (1 to 65535), for example V(587).
    type: int
  username:
    description: The SMTP user name.
    type: str
  password:
    description:
      - The SMTP password. Never shown, compared or put in a diff.
      - Sent when the provider becomes V(standard), along with every other update of the provider, and on every run
        with O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sends O(password) when the provider becomes V(standard) and along with other changes; the
        password alone never causes an update.
      - V(always) sends it on every run, so the task always reports a change (use it to rotate the password).
    type: str
    choices: [always, on_create]
    default: on_create
  sender_email:
    description: The address emails are sent from.
    type: str
  sender_name:
    description: The name emails are sent from.
    type: str
  test_recipient:
    description:
      - After the configuration is saved, send a test email to this address through the saved V(standard) provider
        (C(POST .../auth/email_provider/test)). Where Neon does not offer that endpoint yet, the older
        C(POST .../auth/send_test_email) is used, which needs O(password) in the task.
      - The task fails with Neon's reason when the email is not delivered.
      - A test email changes no configuration, so it does not make the task report a change. It is never sent in
        check mode. Neon rejects test emails through the V(shared) provider, so the task fails before any request.
    type: str
notes:
  - Neon's documents disagree on whether updating a V(standard) provider keeps the fields left out (Neon's SDK says
    Better Auth merges them; other sources say the whole configuration is replaced). Whenever an update is sent, it
    therefore carries every field of the task, changed or not, O(password) included when given. Where Neon requires
    the whole configuration, give all six fields.
  - When Neon returns the SMTP host or user name redacted (empty), that field cannot be compared; it is sent along with
    the next update instead.
seealso:
  - module: community.neon.neon_auth_settings
  - module: community.neon.neon_auth_config_info
'''

EXAMPLES = r'''
- name: Send through our SMTP server and check that it delivers
  community.neon.neon_auth_email_provider:
    project_id: winter-sound-12345678
    type: standard
    host: smtp.example.com
    port: 587
    username: apikey
    password: "{{ vault_smtp_password }}"
    sender_email: no-reply@example.com
    sender_name: Example App
    test_recipient: ops@example.com

- name: Rotate the SMTP password
  community.neon.neon_auth_email_provider:
    project_id: winter-sound-12345678
    password: "{{ vault_new_smtp_password }}"
    update_password: always

- name: Go back to Neon's shared email service
  community.neon.neon_auth_email_provider:
    project_id: winter-sound-12345678
    type: shared
'''

RETURN = r'''
provider:
  description: The email provider after the task (as it would be, in check mode), without the password.
  returned: always
  type: dict
  contains:
    type:
      description: V(shared) or V(standard).
      type: str
      sample: standard
    host:
      description: The SMTP host (V(standard)).
      type: str
      returned: when set
      sample: smtp.example.com
    port:
      description: The SMTP port (V(standard)).
      type: int
      returned: when set
      sample: 587
    username:
      description: The SMTP user name (V(standard)).
      type: str
      returned: when set
      sample: apikey
    sender_email:
      description: The sender address.
      type: str
      returned: when set
      sample: no-reply@example.com
    sender_name:
      description: The sender name.
      type: str
      returned: when set
      sample: Example App
password_sent:
  description: Whether O(password) was sent (or would be, in check mode).
  returned: always
  type: bool
  sample: false
test_email:
  description: The test email's outcome.
  returned: when O(test_recipient) is set
  type: dict
  contains:
    recipient:
      description: The address.
      type: str
      sample: ops@example.com
    sent:
      description: Whether a test email was requested from Neon (never in check mode).
      type: bool
      sample: true
    success:
      description: Whether Neon reports it delivered; absent when not sent.
      type: bool
      returned: when sent
      sample: true
    error_message:
      description: Neon's reason when not delivered.
      type: str
      returned: when Neon gives one
      sample: "535 Authentication failed"
    endpoint:
      description: The endpoint used, V(email_provider/test) or V(send_test_email).
      type: str
      returned: when sent
      sample: email_provider/test
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
    EMAIL_PROVIDER_TYPES,
    EMAIL_SECRET_KEYS,
    SMTP_SENDER_FIELDS,
    SMTP_STANDARD_FIELDS,
    BranchAuthConfig,
    differences,
    email_provider_options,
    given,
    hide_secrets,
    range_problem,
)
from ansible_collections.community.neon.plugins.module_utils._module import NeonModule, email_problem

SMTP_SERVER_FIELDS = ('host', 'port', 'username', 'password')
# Neon may return these redacted (the spec marks them x-sensitive): empty means unknown, not different.
MAYBE_REDACTED = ('host', 'username')


def check_input(neon):
    params = neon.params
    problems = []
    for option in ('host', 'username', 'password', 'sender_name'):
        if params[option] is not None and not params[option].strip():
            problems.append('%s is empty' % option)
    problems.append(range_problem('port', params['port'], 1, 65535))
    for option in ('sender_email', 'test_recipient'):
        if params[option] is not None:
            problem = email_problem(params[option])
            problems.append('%s %r %s' % (option, params[option], problem) if problem else None)
    if params['type'] == 'shared' and given(params, SMTP_SERVER_FIELDS):
        problems.append('type=shared sends through Neon\'s email service: do not give %s'
                        % ', '.join(sorted(given(params, SMTP_SERVER_FIELDS))))
    problems = [problem for problem in problems if problem]
    if problems:
        neon.fail('Invalid email provider options: %s' % '; '.join(problems))


class EmailProvider(object):
    def __init__(self, neon, config):
        self.neon = neon
        self.config = config
        self.params = neon.params
        self.password_sent = False

    def read(self, fresh=False):
        data = self.config.read('/email_provider', 'the email provider', missing=None, fresh=fresh)
        hide_secrets(self.neon, data, EMAIL_SECRET_KEYS)
        return email_provider_options(data)

    def plan(self, current, kind):
        """The PATCH body that brings current to the task's state, or None; also the fields compared."""
        fields = SMTP_SENDER_FIELDS if kind == 'shared' else ('host', 'port', 'username') + SMTP_SENDER_FIELDS
        wanted = given(self.params, fields)
        if kind != current['type']:
            if kind == 'standard':
                missing = [field for field in SMTP_STANDARD_FIELDS if self.params[field] is None]
                if missing:
                    self.neon.fail('Switching the email provider to standard (your SMTP server) needs %s'
                                   % ', '.join(missing))
                wanted['password'] = self.params['password']
                self.password_sent = True
            body = dict(type=kind)
            body.update(wanted)
            return body, dict((k, v) for k, v in wanted.items() if k != 'password')
        comparable = dict((k, v) for k, v in wanted.items() if not (k in MAYBE_REDACTED and k not in current))
        changes = differences(comparable, current)
        always = self.params['update_password'] == 'always'
        if not changes and not (always and kind == 'standard' and self.params['password']):
            return None, comparable
        body = dict(type=kind)
        body.update(wanted)
        if kind == 'standard' and self.params['password']:
            # Sent along with any update: where Neon replaces rather than merges, leaving it out would lose it.
            body['password'] = self.params['password']
            self.password_sent = True
        return body, comparable

    def apply(self, current, body, comparable):
        """Send the PATCH; returns the provider after it."""
        after = dict(current)
        after.update((k, v) for k, v in body.items() if k not in EMAIL_SECRET_KEYS)
        after = email_provider_options(after)

        verifiable = body['type'] != current['type'] or bool(differences(comparable, current))

        def applied():
            # The password cannot be read back: with nothing else in the request it counts as not applied, and
            # the same PATCH is sent again (harmless: it sets the same values).
            if not verifiable:
                return False
            now = self.read(fresh=True)
            return now['type'] == body['type'] and not differences(comparable, now)

        what = 'update the email provider'
        if body['type'] == 'standard' and set(SMTP_STANDARD_FIELDS) - set(body):
            what += ' (Neon may need the whole SMTP configuration, password included, in each update)'
        answer = self.config.write('PATCH', '/email_provider', what, body=body, expect=(200, 204), applied=applied)
        if answer is not None and isinstance(answer.data, dict) and answer.data.get('type'):
            hide_secrets(self.neon, answer.data, EMAIL_SECRET_KEYS)
            confirmed = email_provider_options(answer.data)
            # A redacted (empty) field in the answer is not a change: keep what was sent.
            for field in MAYBE_REDACTED:
                if field in after and field not in confirmed and confirmed['type'] == after['type']:
                    confirmed[field] = after[field]
            after = confirmed
        return after

    def send_test(self, provider):
        recipient = self.params['test_recipient']
        report = dict(recipient=recipient, sent=False)
        if self.neon.check_mode:
            return report
        answer = self.config.write('POST', '/email_provider/test', 'send a test email to %s' % recipient,
                                   body=dict(recipient_email=recipient), expect=(200, 201), missing_ok=True)
        endpoint = 'email_provider/test'
        if answer is not None and answer.status == 404:
            # This API version lacks the endpoint (Neon Auth itself is enabled: write() checked): the older one
            # tests a full configuration given in the request, password included.
            full = dict(provider)
            full.update(given(self.params, SMTP_STANDARD_FIELDS))
            missing = [field for field in SMTP_STANDARD_FIELDS if full.get(field) in (None, '')]
            if missing:
                self.neon.fail('Neon does not offer POST .../auth/email_provider/test here, and the older '
                               'send_test_email needs the full SMTP configuration in the task: give %s'
                               % ', '.join(missing), changed=self.config.writes > 0)
            body = dict((field, full[field]) for field in SMTP_STANDARD_FIELDS)
            body.update(type='standard', recipient_email=recipient)
            answer = self.config.write('POST', '/send_test_email', 'send a test email to %s' % recipient, body=body,
                                       expect=(200, 201))
            endpoint = 'send_test_email'
        data = answer.data if answer is not None and isinstance(answer.data, dict) else {}
        report.update(sent=True, endpoint=endpoint, success=data.get('success') is True)
        if data.get('error_message'):
            report['error_message'] = data['error_message']
        return report


def main():
    neon = NeonModule(dict(
        project_id=dict(type='str', required=True),
        branch_id=dict(type='str'),
        type=dict(type='str', choices=list(EMAIL_PROVIDER_TYPES)),
        host=dict(type='str'),
        port=dict(type='int'),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', choices=['always', 'on_create'], default='on_create', no_log=False),
        sender_email=dict(type='str'),
        sender_name=dict(type='str'),
        test_recipient=dict(type='str'),
    ))
    check_input(neon)
    config = BranchAuthConfig(neon)
    provider = EmailProvider(neon, config)
    before = provider.read()
    kind = neon.params['type'] or ('standard' if given(neon.params, SMTP_SERVER_FIELDS) else before['type'])
    if neon.params['test_recipient'] and kind != 'standard':
        neon.fail('test_recipient needs a standard (your own SMTP) provider: Neon rejects test emails through the '
                  'shared email service')
    body, comparable = provider.plan(before, kind)
    after = before
    if body is not None:
        after = provider.apply(before, body, comparable)
    result = config.result(changed=body is not None, provider=after, password_sent=provider.password_sent)
    if neon.module._diff:
        result['diff'] = dict(before=before, after=after)
    if neon.params['test_recipient']:
        report = provider.send_test(after)
        result['test_email'] = report
        if report['sent'] and not report['success']:
            neon.fail('The test email to %s was not delivered: %s' % (
                report['recipient'], report.get('error_message') or 'Neon gave no reason'), **result)
    neon.exit(**result)


if __name__ == '__main__':
    main()
