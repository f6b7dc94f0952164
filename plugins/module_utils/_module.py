# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""What every community.neon module shares: API options, input checks, the client, branch and database resolution."""

from __future__ import annotations

import copy
import ipaddress
import re
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.community.neon.plugins.module_utils._api import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    NeonAPIError,
    NeonClient,
)

DEFAULT_ENDPOINT = 'https://console.neon.tech/api/v2'

NEON_ID_PATTERN = re.compile(r'^[a-z0-9-]{1,60}$')
# Deliberately loose (the API validates too): one @, no spaces, a dot in the domain.
EMAIL_PATTERN = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
EMAIL_MAX_LENGTH = 256
NAME_MAX_LENGTH = 255

AUTH_PROVIDERS = ['better_auth', 'stack']


def neon_argument_spec():
    """The connection options of every module (see the community.neon._neon doc fragment)."""
    return dict(
        api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['NEON_API_KEY'])),
        api_endpoint=dict(type='str', default=DEFAULT_ENDPOINT, fallback=(env_fallback, ['NEON_API_ENDPOINT'])),
        api_timeout=dict(type='int', default=30, fallback=(env_fallback, ['NEON_API_TIMEOUT'])),
        api_retry_budget=dict(type='int', default=60, fallback=(env_fallback, ['NEON_API_RETRY_BUDGET'])),
        validate_certs=dict(type='bool', default=True),
    )


def is_loopback_host(host):
    if not host:
        return False
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_email(value):
    """The form in which emails are compared: trimmed and lower-cased."""
    return (value or '').strip().lower()


def email_problem(value):
    """Why an email is not acceptable to the API, or None."""
    stripped = (value or '').strip()
    if not stripped:
        return 'is empty'
    if len(stripped) > EMAIL_MAX_LENGTH:
        return 'is longer than %d characters' % EMAIL_MAX_LENGTH
    if not EMAIL_PATTERN.match(stripped):
        return 'is not a valid email address'
    return None


def name_problem(value):
    """Why a user's display name is not acceptable to the API, or None (None is allowed)."""
    if value is None:
        return None
    if not value.strip():
        return 'is empty'
    if len(value) > NAME_MAX_LENGTH:
        return 'is longer than %d characters (%d given)' % (NAME_MAX_LENGTH, len(value))
    return None


class NeonModule(object):
    """An AnsibleModule with the Neon connection options, checked before any request is made."""

    # Options holding Neon ids: checked against the API's pattern before anything is sent.
    id_options = ('project_id', 'branch_id')

    def __init__(self, argument_spec, **kwargs):
        spec = neon_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault('supports_check_mode', True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.warnings = []
        self._returned_secrets = set()
        self._client = None
        self._check_connection_options()
        for option in self.id_options:
            self.check_id(option, self.params.get(option))

    # -- input checks (before any request) ---------------------------------------------------------

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def check_id(self, option, value):
        if value is not None and not NEON_ID_PATTERN.match(value):
            self.fail('%s %r is not a valid Neon id: it must match ^[a-z0-9-]{1,60}$ '
                      '(lowercase letters, digits and hyphens, at most 60 characters)' % (option, value))

    def _check_connection_options(self):
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=str(REQUESTS_IMPORT_ERROR))
        if not self.params.get('api_key'):
            self.fail('No Neon API key: set the api_key option or the NEON_API_KEY environment variable '
                      '(for a group of tasks, module_defaults with group/community.neon.neon).')
        endpoint = self.params['api_endpoint']
        if endpoint is None or not endpoint.strip():
            # An empty value (say, an unset variable) must not silently send the key to Neon's production API.
            self.fail('api_endpoint is empty: give the API base URL (%s for Neon), or omit the option to use '
                      'NEON_API_ENDPOINT or that default' % DEFAULT_ENDPOINT)
        parsed = urlparse(endpoint)
        if parsed.scheme not in ('https', 'http') or not parsed.hostname:
            self.fail('api_endpoint %r is not an http(s) URL such as %s' % (endpoint, DEFAULT_ENDPOINT))
        if parsed.scheme == 'http' and not is_loopback_host(parsed.hostname):
            self.fail('api_endpoint %r uses plain http to a host that is not loopback: the API key would travel '
                      'unencrypted. Use https, or http only for a local emulator on 127.0.0.1/localhost.' % endpoint)
        if self.params['api_timeout'] <= 0:
            self.fail('api_timeout must be a positive number of seconds')
        if self.params['api_retry_budget'] < 0:
            self.fail('api_retry_budget must be zero (no retries) or a positive number of seconds')
        if not self.params['validate_certs'] and parsed.scheme == 'https':
            self.warn('validate_certs is false: the TLS certificate of %s is not checked, so the API key can be '
                      'intercepted. Use this only against a test endpoint.' % parsed.hostname)

    def warn(self, message):
        self.warnings.append(message)
        self.module.warn(message)

    # -- the API ---------------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            self._client = NeonClient(
                api_key=self.params['api_key'],
                endpoint=self.params['api_endpoint'],
                timeout=self.params['api_timeout'],
                retry_budget=self.params['api_retry_budget'],
                validate_certs=self.params['validate_certs'],
            )
        return self._client

    def hide(self, *secrets):
        """Mask secrets (a database password, say) in everything this run prints, returned values included."""
        for secret in secrets:
            if secret:
                self.module.no_log_values.add(secret)

    def hide_returned(self, *secrets):
        """Mask secrets the module returns under a documented key (API keys it minted) everywhere else.

        They stay masked in failures; on success they are unmasked so the documented return key carries them.
        Messages, warnings and diffs never contain them by construction; tasks use no_log to hide the result.
        """
        self.hide(*secrets)
        self._returned_secrets.update(s for s in secrets if s)

    def fail_api(self, error, context=None, **kwargs):
        msg = str(error)
        if context:
            msg = '%s: %s' % (context, msg)
        result = error.to_result()
        result.update(kwargs)
        self.fail(msg, api_error=result)

    def exit(self, **result):
        self.module.no_log_values.difference_update(self._returned_secrets)
        self.module.exit_json(**result)

    # -- resolution of branch and database -------------------------------------------------------

    def resolve_branch(self, project_id, branch_id=None):
        """The branch to act on: the given one, else the project's default branch.

        A given branch is not read: the request that follows answers 404 if it does not exist, and callers that
        must tell "no such branch" from "nothing there" call check_branch() on that path only. This keeps a
        converged run to one read per resource.
        Returns (branch dict with at least 'id', how it was chosen: 'given' or 'default').
        """
        if branch_id:
            return dict(id=branch_id), 'given'
        branches = self.list_branches(project_id)
        for branch in branches:
            if branch.get('default'):
                return branch, 'default'
        self.fail('Project %s has no default branch (%d branches listed): give branch_id' % (project_id, len(branches)))

    def check_branch(self, project_id, branch_id):
        """Fail clearly when the branch (or the project) does not exist."""
        try:
            data = self.client.get('/projects/%s/branches/%s' % (project_id, branch_id), missing_ok=True)
        except NeonAPIError as exc:
            self.fail_api(exc, 'Could not read branch %s of project %s' % (branch_id, project_id))
        if data is None or not data.get('branch'):
            self.fail('Branch %s was not found in project %s' % (branch_id, project_id))
        return data['branch']

    def list_branches(self, project_id):
        try:
            # Without a limit the API may or may not page the answer; with one, `next` is followed.
            return self.client.paginate('/projects/%s/branches' % project_id, 'branches', page_size=400)
        except NeonAPIError as exc:
            if exc.status == 404:
                self.fail('Project %s was not found (or the API key cannot see it)' % project_id, api_error=exc.to_result())
            self.fail_api(exc, 'Could not list the branches of project %s' % project_id)

    def resolve_database(self, project_id, branch_id, database_name=None):
        """The database to use: the given one (checked), else `neondb`, else the branch's first database.

        Returns (name, how it was chosen: 'given' or 'default').
        """
        try:
            data = self.client.get('/projects/%s/branches/%s/databases' % (project_id, branch_id)) or {}
        except NeonAPIError as exc:
            self.fail_api(exc, 'Could not list the databases of branch %s' % branch_id)
        names = [db.get('name') for db in data.get('databases') or []]
        if database_name:
            if database_name not in names:
                self.fail('Database %s does not exist on branch %s of project %s (it has: %s)' % (
                    database_name, branch_id, project_id, ', '.join(sorted(n for n in names if n)) or 'none'))
            return database_name, 'given'
        name = default_database_name(names)
        if name:
            return name, 'default'
        self.fail('Branch %s of project %s has no database' % (branch_id, project_id))


def default_database_name(names):
    """The database Neon uses when none is named: `neondb` if the branch has it, else its first one (None if none)."""
    names = [name for name in names if name]
    if 'neondb' in names:
        return 'neondb'
    return names[0] if names else None


def diff_of(before, after, secret_keys=()):
    """A before/after diff with secret fields left out of both sides."""
    def clean(value):
        if not isinstance(value, dict):
            return value if value is not None else {}
        value = copy.deepcopy(value)
        for key in secret_keys:
            value.pop(key, None)
        return value
    return dict(before=clean(before), after=clean(after))
