# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""The Neon Auth configuration of a branch as code: canonical forms, comparing only what was given, guarded writes.

Used by neon_auth_domain, neon_auth_oauth_provider, neon_auth_email_provider, neon_auth_settings, neon_auth_webhook
and neon_auth_config_info. Every conversion from an API object to the shape of those modules' options lives here,
so that what neon_auth_config_info returns can be fed back to the modules unchanged.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError
from ansible_collections.community.neon.plugins.module_utils._auth import (
    BETTER_AUTH,
    branch_auth_path,
    read_branch_integration,
    require_integration,
)

OAUTH_PROVIDER_IDS = ('google', 'github', 'microsoft', 'vercel')
OAUTH_TYPES = ('shared', 'standard')
EMAIL_PROVIDER_TYPES = ('shared', 'standard')
WEBHOOK_EVENTS = ('user.before_create', 'user.created', 'send.otp', 'send.magic_link',
                  'organization.invitation.created', 'organization.invitation.accepted', 'phone_number.verified')
WEBHOOK_TIMEOUT_DEFAULT = 5

# Never compared, shown, diffed or returned. The API may send them back (the OAuth list can carry client_secret;
# the email provider GET carries the SMTP password for privileged keys), so they are hidden and stripped on read.
OAUTH_SECRET_KEYS = ('client_secret',)
EMAIL_SECRET_KEYS = ('password',)

# The API error code for a provider that has no Neon shared credentials.
INVALID_SHARED_OAUTH_PROVIDER = 'INVALID_SHARED_OAUTH_PROVIDER'

INT32_MAX = 2147483647
SMTP_STANDARD_FIELDS = ('host', 'port', 'username', 'password', 'sender_email', 'sender_name')
SMTP_SENDER_FIELDS = ('sender_email', 'sender_name')

_LABEL = re.compile(r'^[a-z0-9*]([a-z0-9*-]*[a-z0-9*])?$')
_DEFAULT_PORTS = {'http': 80, 'https': 443}


# -- URLs ----------------------------------------------------------------------------------------------------------

def url_problem(value, wildcard=False, trailing_slash=False):
    """Why value is not an acceptable http(s) URL, or None.

    wildcard allows '*' in host labels (https://*.preview.example.app); trailing_slash allows a path ending in '/'.
    """
    if not isinstance(value, str) or not value.strip():
        return 'is empty'
    if value != value.strip() or re.search(r'\s', value):
        return 'contains white space'
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return 'is not a valid URL (%s)' % exc
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return 'must start with https:// (or http://), for example https://app.example.com'
    if '@' in parts.netloc:
        return 'must not contain a user name or password'
    host = parts.hostname
    if not host:
        return 'has no host name'
    if port == 0:
        return 'has port 0'
    if parts.query or parts.fragment or value.endswith(('?', '#')):
        return 'must not contain a query (?...) or fragment (#...)'
    if not trailing_slash and parts.path.endswith('/'):
        return 'must not end with a slash (write %s)' % value.rstrip('/')
    return _host_problem(host, wildcard)


def _host_problem(host, wildcard):
    if '[' in host or ':' in host:
        try:
            ipaddress.ip_address(host.strip('[]'))
        except ValueError:
            return 'has an invalid host %r' % host
        return None
    labels = host.split('.')
    for label in labels:
        if not _LABEL.match(label):
            return 'has an invalid host name %r' % host
    if '*' in host:
        if not wildcard:
            return 'must not contain a wildcard (*)'
        if any('*' in label for label in labels[-2:]):
            return ('has a wildcard in the top-level part of %r; a wildcard only works in front of a domain '
                    'name, as in https://*.example.vercel.app' % host)
    return None


def canonical_url(value, strip_slash=False):
    """The form Neon stores a URL in, for comparing: lowercase scheme and host, no default port, no empty query.

    With strip_slash, trailing slashes of the path go too (trusted domains are origins). Values that do not parse
    (they can only come from the API) are returned trimmed, so comparing never fails.
    """
    text = (value or '').strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        return text.rstrip('/') if strip_slash else text
    host = parts.netloc.rsplit('@', 1)[-1]
    if port is not None:
        host = host[:len(host) - len(':%s' % port)] if host.endswith(':%s' % port) else host
    host = host.lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = '%s:%s' % (host, port)
    path = parts.path.rstrip('/') if strip_slash else parts.path
    canonical = '%s://%s%s' % (scheme, host, path)
    if parts.query:
        canonical += '?' + parts.query
    if parts.fragment:
        canonical += '#' + parts.fragment
    return canonical


def canonical_domain(value):
    """A trusted domain (redirect URI) in the API's canonical form."""
    return canonical_url(value, strip_slash=True)


# -- comparing only what was given ----------------------------------------------------------------------------------

def given(values, fields=None):
    """The options the user set: every field whose value is not None (optionally only among fields)."""
    values = values or {}
    keys = fields if fields is not None else list(values)
    return dict((k, values[k]) for k in keys if values.get(k) is not None)


def _coerce_like(wanted, value):
    """value read from the API, converted to the type of the wanted one ('true' -> True, '5' -> 5)."""
    if isinstance(wanted, bool):
        if isinstance(value, str) and value.strip().lower() in ('true', 'false'):
            return value.strip().lower() == 'true'
        return value
    if isinstance(wanted, int) and isinstance(value, str) and re.match(r'^-?\d+$', value.strip()):
        return int(value.strip())
    return value


def as_set(value):
    """A list compared without order or repeats."""
    return frozenset(value or ())


def differences(wanted, current, normalize=None):
    """The fields of wanted whose value differs from current, as {field: wanted value}.

    Only fields present in wanted (and not None) count; anything else in current is left alone. normalize maps a
    field to a function applied to both sides before comparing (canonical URL, set of events...).
    """
    normalize = normalize or {}
    current = current or {}
    found = {}
    for field, want in wanted.items():
        if want is None:
            continue
        have = _coerce_like(want, current.get(field))
        norm = normalize.get(field)
        if norm is not None:
            same = norm(want) == norm(have)
        else:
            # True == 1 in Python; a boolean option only matches a boolean answer.
            same = want == have and isinstance(want, bool) == isinstance(have, bool)
        if not same:
            found[field] = want
    return found


def without(data, keys):
    """A copy of a dict (or of each dict in a list) without the given keys."""
    if isinstance(data, list):
        return [without(item, keys) for item in data]
    if not isinstance(data, dict):
        return data
    return dict((k, copy.deepcopy(v)) for k, v in data.items() if k not in keys)


def hide_secrets(neon, data, keys):
    """Make secrets the API sent back unprintable for the rest of the run (msg, warnings, errors)."""
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            neon.hide(*[str(item[k]) for k in keys if item.get(k)])


def range_problem(name, value, low, high=INT32_MAX):
    if value is None or low <= value <= high:
        return None
    if high == INT32_MAX:
        return '%s must be %d or more (got %d)' % (name, low, value)
    return '%s must be between %d and %d (got %d)' % (name, low, high, value)


# -- API objects in the shape of the modules' options ---------------------------------------------------------------

def _non_empty(data, fields):
    return dict((k, data[k]) for k in fields if data.get(k) not in (None, ''))


def domain_values(data, auth_provider=BETTER_AUTH):
    """The stored trusted domains of a GET .../auth/domains answer (items without auth_provider are accepted)."""
    values = []
    for item in (data or {}).get('domains') or []:
        if isinstance(item, str):
            values.append(item)
        elif isinstance(item, dict) and item.get('domain') and item.get('auth_provider') in (None, '', auth_provider):
            values.append(item['domain'])
    return values


def oauth_provider_options(item):
    """An OAuth provider as neon_auth_oauth_provider options: id, type, client_id, microsoft_tenant_id (no secret)."""
    item = item or {}
    options = dict(id=item.get('id'), type=item.get('type') or 'shared')
    options.update(_non_empty(item, ('client_id', 'microsoft_tenant_id')))
    return options


def email_provider_options(data):
    """The email provider as neon_auth_email_provider options (no password). Unset reads as Neon's shared one."""
    data = data or {}
    kind = data.get('type') or 'shared'
    options = dict(type=kind)
    fields = SMTP_SENDER_FIELDS if kind == 'shared' else ('host', 'port', 'username') + SMTP_SENDER_FIELDS
    options.update(_non_empty(data, fields))
    if 'port' in options:
        options['port'] = _coerce_like(1, options['port'])
    return options


def webhook_options(data):
    """The webhook as neon_auth_webhook options: enabled, url (None when unset), enabled_events, timeout_seconds."""
    data = data or {}
    return dict(
        enabled=bool(_coerce_like(True, data.get('enabled'))),
        url=data.get('webhook_url') or None,
        enabled_events=list(data.get('enabled_events') or []),
        timeout_seconds=_coerce_like(1, data.get('timeout_seconds')) or WEBHOOK_TIMEOUT_DEFAULT,
    )


# -- settings sections ----------------------------------------------------------------------------------------------

class Section(object):
    """One independently patched part of the auth settings (an option of neon_auth_settings)."""

    def __init__(self, name, title, fields, read_suffix, patch_suffix, read_key=None, scalar=False, ranges=None):
        self.name = name
        self.title = title
        self.fields = fields
        self.read_suffix = read_suffix
        self.patch_suffix = patch_suffix
        # The key of this section inside the read answer (GET .../plugins holds several); None: the answer itself.
        self.read_key = read_key
        # A single boolean option (allow_localhost) rather than a dict of options.
        self.scalar = scalar
        self.ranges = ranges or {}

    def wanted(self, option_value):
        """The fields the user gave for this section, as the API names them."""
        if option_value is None:
            return {}
        if self.scalar:
            return {self.fields[0]: option_value}
        return given(option_value, self.fields)

    def as_option(self, state):
        """The section's state as the option value (a dict of fields, or the scalar)."""
        state = state or {}
        if self.scalar:
            return state.get(self.fields[0])
        return dict((k, state[k]) for k in self.fields if k in state)

    def problems(self, option_value):
        found = []
        for field, (low, high) in sorted(self.ranges.items()):
            problem = range_problem('%s.%s' % (self.name, field), (option_value or {}).get(field), low, high)
            if problem:
                found.append(problem)
        return found


SETTINGS_SECTIONS = (
    Section('email_and_password', 'the email and password settings',
            ('enabled', 'email_verification_method', 'require_email_verification', 'auto_sign_in_after_verification',
             'send_verification_email_on_sign_up', 'send_verification_email_on_sign_in', 'disable_sign_up'),
            '/email_and_password', '/email_and_password'),
    Section('allow_localhost', 'the allow_localhost setting', ('allow_localhost',),
            '/allow_localhost', '/allow_localhost', scalar=True),
    Section('organization', 'the organization plugin',
            ('enabled', 'organization_limit', 'membership_limit', 'creator_role', 'send_invitation_email'),
            '/plugins', '/plugins/organization', read_key='organization',
            ranges=dict(organization_limit=(1, INT32_MAX), membership_limit=(1, INT32_MAX))),
    Section('magic_link', 'the magic link plugin', ('enabled', 'expires_in', 'disable_sign_up'),
            '/plugins', '/plugins/magic-link', read_key='magic_link', ranges=dict(expires_in=(5, 1440))),
    Section('phone_number', 'the phone number plugin', ('enabled', 'otp_expires_in'),
            '/plugins/phone-number', '/plugins/phone-number', ranges=dict(otp_expires_in=(60, 600))),
)


# -- one branch's configuration -------------------------------------------------------------------------------------

class BranchAuthConfig(object):
    """The Neon Auth configuration of one branch: the branch resolved, Neon Auth required, cached reads, guarded writes.

    A 404 under .../auth is ambiguous (Neon Auth disabled, or only that item missing); it is resolved by reading
    GET .../auth again, so a vanished integration always gives "run neon_auth_integration first".
    """

    def __init__(self, neon):
        self.neon = neon
        self.project_id = neon.params['project_id']
        branch, chosen = neon.resolve_branch(self.project_id, neon.params.get('branch_id'))
        self.branch_id = branch['id']
        self.branch_chosen = chosen
        self.integration = require_integration(neon, self.project_id, BETTER_AUTH, self.branch_id)
        self.auth_provider = self.integration.get('auth_provider') or BETTER_AUTH
        self.writes = 0
        self._cache = {}

    def path(self, suffix=''):
        return branch_auth_path(self.project_id, self.branch_id) + suffix

    def result(self, **values):
        result = dict(changed=False, project_id=self.project_id, branch_id=self.branch_id,
                      branch_chosen=self.branch_chosen)
        result.update(values)
        return result

    def _require_still_enabled(self):
        if read_branch_integration(self.neon, self.project_id, self.branch_id) is None:
            self.neon.fail('Neon Auth is not set up for branch %s of project %s (any more): run '
                           'community.neon.neon_auth_integration first' % (self.branch_id, self.project_id),
                           changed=self.writes > 0)

    def read(self, suffix, what, missing=None, fresh=False):
        """GET .../auth<suffix>; a 404 (with Neon Auth still enabled) gives a copy of missing. Cached unless fresh."""
        if not fresh and suffix in self._cache:
            return copy.deepcopy(self._cache[suffix])
        try:
            data = self.neon.client.get(self.path(suffix), missing_ok=True)
        except NeonAPIError as exc:
            self.fail_api(exc, 'Could not read %s of branch %s' % (what, self.branch_id))
        if data is None:
            self._require_still_enabled()
            data = copy.deepcopy(missing)
        self._cache[suffix] = data
        return copy.deepcopy(data)

    def write(self, method, suffix, what, body=None, expect=(200, 201, 204), missing_ok=False, applied=None,
              messages=None):
        """Send one write (never in check mode) and return the answer, or None when nothing was sent or confirmed.

        missing_ok: a 404 means the item is already gone (after checking Neon Auth is still enabled).
        applied: re-reads the state and tells whether the write took effect; used when the answer is ambiguous
        (5xx, timeout, dropped connection), so a write is never repeated blindly: it is sent again only when
        reading back shows it was not applied (NeonClient.write).
        messages: {API error code: message} for errors the user can fix.
        """
        if self.neon.check_mode:
            return None
        self._cache.clear()
        try:
            answer = self.neon.client.write(method, self.path(suffix), body=body, expect=tuple(expect) + (404,),
                                            applied=applied)
        except NeonAPIError as exc:
            if messages and exc.code in messages:
                self.neon.fail('%s: %s' % (messages[exc.code], exc), api_error=exc.to_result(), changed=self.writes > 0)
            self.fail_api(exc, 'Could not %s' % what)
        self._cache.clear()  # applied() may have read the state as it was before a write that was sent again
        if answer.unconfirmed is not None:
            self.writes += 1
            self.neon.warn('Neon did not confirm that it could %s (%s), but reading it back shows the change '
                           'was applied' % (what, answer.unconfirmed.message))
            return None
        if answer.status == 404:
            self._require_still_enabled()
            if missing_ok:
                return answer
            self.fail_api(NeonAPIError((answer.data or {}).get('message') or 'not found', method=method,
                                       path=self.path(suffix), status=404, code=(answer.data or {}).get('code')),
                          'Could not %s' % what)
        self.writes += 1
        return answer

    def fail_api(self, error, context):
        """Fail with the API error; says whether an earlier write of this run already changed something."""
        self.neon.fail('%s: %s' % (context, error), api_error=error.to_result(), changed=self.writes > 0)

    # -- the settings sections (neon_auth_settings and neon_auth_config_info) --------------------------------------

    def read_section(self, section, fresh=False):
        """The current state of one settings section, as the API names its fields ({} when unset)."""
        data = self.read(section.read_suffix, section.title, missing={}, fresh=fresh) or {}
        if section.read_key:
            data = data.get(section.read_key) or {}
        return data if isinstance(data, dict) else {}

    def converge_sections(self, options):
        """Bring every section the user gave options for to the wanted state.

        Every section given is read first (GET .../plugins once for both plugins it holds), then each one that
        differs gets one PATCH with only the fields that differ.
        Returns (before, after, updated), each keyed by section name, in the options' shape.
        """
        plans = []
        for section in SETTINGS_SECTIONS:
            wanted = section.wanted(options.get(section.name))
            if wanted:
                current = self.read_section(section)
                plans.append((section, wanted, current, differences(wanted, current)))
        before, after, updated = {}, {}, {}
        for section, wanted, current, changes in plans:
            before[section.name] = section.as_option(current)
            state = dict(current)
            if changes:
                updated[section.name] = changes

                def applied(section=section, wanted=wanted):
                    return not differences(wanted, self.read_section(section, fresh=True))

                answer = self.write('PATCH', section.patch_suffix, 'update %s' % section.title, body=changes,
                                    applied=applied)
                state.update(changes)
                if answer is not None and isinstance(answer.data, dict):
                    state.update(dict((k, v) for k, v in answer.data.items() if k in section.fields))
            after[section.name] = section.as_option(state)
        return before, after, updated

    def read_all_sections(self):
        """Every settings section, in the options' shape (for neon_auth_config_info)."""
        settings = {}
        for section in SETTINGS_SECTIONS:
            if section.name == 'phone_number':
                # GET .../plugins may already hold it; the dedicated endpoint is read only when it does not.
                plugins = self.read('/plugins', 'the plugin settings', missing={}) or {}
                if isinstance(plugins.get('phone_number'), dict):
                    settings[section.name] = section.as_option(plugins['phone_number'])
                    continue
            settings[section.name] = section.as_option(self.read_section(section))
        return settings
