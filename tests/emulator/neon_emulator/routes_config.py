# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Better Auth configuration of a branch (reference B4, B8-B19).

Every setting lives in the branch database's ``neon_auth.project_config`` row
(real jsonb, camelCase keys as in a real Neon dump), so it branches with the
data.  The API speaks snake_case; the ``_to_api``/``_to_row`` helpers below
translate.  Stored layout:

* ``trusted_origins``: ``["https://app.example.com", ...]`` (canonical: lowercase scheme and host, no default port,
  no trailing slash)
* ``social_providers``: ``[{"id": "google", "isShared": true}, {"id": "github", "isShared": false,
  "clientId": ..., "clientSecret": ...}]`` (``tenantId`` for microsoft)
* ``email_provider``: NULL (never configured), ``{"type": "shared", "senderEmail"?, "senderName"?}`` or
  ``{"type": "standard", "host", "port", "username", "password", "senderEmail", "senderName"}``
* ``email_and_password``: ``{"enabled", "emailVerificationMethod", "requireEmailVerification", ...}``
* ``allow_localhost``: boolean
* ``plugin_configs``: ``{"organization": {"enabled", "config": {...}}, "magicLink": {...}, "phoneNumber": {...}}``
* ``webhook_config``: ``{"enabled", "webhookUrl", "enabledEvents", "timeoutSeconds"}``

Undocumented answers are behaviour switches (``PUT /_emulator/behaviour``), see CONFIG_BEHAVIOUR.
Secrets (OAuth client secrets, SMTP passwords) are never logged and never part of an error message.
"""

from __future__ import annotations

import copy
import json
from urllib.parse import urlsplit

from neon_emulator import auth_db, auth_service
from neon_emulator.controls import Behaviour
from neon_emulator.model import AUTH_PROVIDERS
from neon_emulator.routing import ApiError, RouteTable, empty_response, json_response
from neon_emulator.validation import Field, validate_body

routes = RouteTable()

AUTH = '/projects/{project_id}/branches/{branch_id}/auth'
OAUTH_PROVIDER_IDS = ('google', 'github', 'microsoft', 'vercel')
# neonctl offers Neon's shared OAuth app only for these; Microsoft needs your own app (INVALID_SHARED_OAUTH_PROVIDER).
SHARED_OAUTH_PROVIDER_IDS = ('google', 'github', 'vercel')
WEBHOOK_EVENTS = ('user.before_create', 'user.created', 'send.otp', 'send.magic_link', 'organization.invitation.created',
                  'organization.invitation.accepted', 'phone_number.verified')
INT32_MAX = 2147483647
DEFAULT_PORTS = {'http': 80, 'https': 443}
SMTP_FAILURE_MESSAGE = 'SMTP error: 535 5.7.8 authentication failed (emulated delivery failure)'


# -- behaviour switches for undocumented answers --------------------------------------------------------------
def _choice(*allowed):
    def check(name, value):
        # 200 and True are different things: refuse bools where numbers are meant and vice versa.
        if isinstance(value, bool) or value not in allowed:
            raise ApiError(400, 'behaviour %s must be one of: %s' % (name, ', '.join(json.dumps(item) for item in allowed)))
        return value
    return check


# key: (default, check, what it decides)
CONFIG_BEHAVIOUR = {
    'duplicate_domain_status': (201, _choice(200, 201, 409), 'POST domains with a domain already trusted (200/201: no-op)'),
    'missing_domain_delete_status': (200, _choice(200, 404), 'DELETE domains naming a domain that is not trusted'),
    'duplicate_oauth_provider_status': (409, _choice(200, 400, 409), 'POST oauth_providers for a configured id (200: replace)'),
    'missing_oauth_provider_delete_status': (404, _choice(200, 404), 'DELETE oauth_providers/{id} when not configured'),
    'invalid_shared_oauth_status': (400, _choice(400, 422), 'POST oauth_providers without credentials for microsoft'),
    'email_provider_unset': ('not_found', _choice('not_found', 'shared'), 'GET email_provider when never configured'),
    'email_provider_patch': ('merge', _choice('merge', 'replace'), 'PATCH standard email_provider: merge omitted fields or require all'),
    'email_password_on_get': ('redacted', _choice('redacted', 'stored'), 'GET email_provider password: "" or the stored one'),
    'smtp_delivery': ('ok', _choice('ok', 'fail'), 'result of send_test_email / email_provider/test (no mail is ever sent)'),
}


def _register_behaviour():
    for key, (default, check, dummy_description) in CONFIG_BEHAVIOUR.items():
        Behaviour.register(key, default, check)


_register_behaviour()


def behaviour(ctx, key):
    """Current value of one of CONFIG_BEHAVIOUR."""
    return ctx.behaviour.get(key)


# -- defaults of a fresh Better Auth branch --------------------------------------------------------------------
EMAIL_AND_PASSWORD_DEFAULTS = {
    'enabled': True, 'disableSignUp': False, 'emailVerificationMethod': 'otp', 'requireEmailVerification': False,
    'autoSignInAfterVerification': True, 'sendVerificationEmailOnSignIn': False, 'sendVerificationEmailOnSignUp': False,
}
PLUGIN_DEFAULTS = {
    'organization': {'enabled': True, 'config': {'organizationLimit': 10, 'membershipLimit': 100, 'creatorRole': 'owner',
                                                 'sendInvitationEmail': False, 'allowUserToCreateOrganization': True}},
    'magicLink': {'enabled': False, 'config': {'expiresIn': 5, 'disableSignUp': False}},
    'phoneNumber': {'enabled': False, 'config': {'otpExpiresIn': 300}},
}
WEBHOOK_DEFAULTS = {'enabled': False, 'webhookUrl': '', 'enabledEvents': [], 'timeoutSeconds': 5}
# What enabling better_auth writes into project_config.  The email provider stays NULL ("never configured")
# so GET email_provider can answer 404 on a fresh branch (behaviour email_provider_unset).
FRESH_PROJECT_CONFIG = {
    'trusted_origins': [],
    'social_providers': [{'id': 'google', 'isShared': True}],
    'email_provider': None,
    'email_and_password': EMAIL_AND_PASSWORD_DEFAULTS,
    'allow_localhost': True,
    'plugin_configs': PLUGIN_DEFAULTS,
    'webhook_config': WEBHOOK_DEFAULTS,
}
# auth_db inserts auth_db.PROJECT_CONFIG_DEFAULTS; this module owns the meaning of those columns.
auth_db.PROJECT_CONFIG_DEFAULTS.update(copy.deepcopy(FRESH_PROJECT_CONFIG))

# API field <-> stored key, per section
EMAIL_AND_PASSWORD_KEYS = (
    ('enabled', 'enabled'),
    ('email_verification_method', 'emailVerificationMethod'),
    ('require_email_verification', 'requireEmailVerification'),
    ('auto_sign_in_after_verification', 'autoSignInAfterVerification'),
    ('send_verification_email_on_sign_up', 'sendVerificationEmailOnSignUp'),
    ('send_verification_email_on_sign_in', 'sendVerificationEmailOnSignIn'),
    ('disable_sign_up', 'disableSignUp'),
)
# plugin name in the API, stored name, (API field, stored config key) of its settings besides ``enabled``
PLUGINS = {
    'organization': ('organization', (('organization_limit', 'organizationLimit'), ('membership_limit', 'membershipLimit'),
                                      ('creator_role', 'creatorRole'), ('send_invitation_email', 'sendInvitationEmail'))),
    'magic_link': ('magicLink', (('expires_in', 'expiresIn'), ('disable_sign_up', 'disableSignUp'))),
    'phone_number': ('phoneNumber', (('otp_expires_in', 'otpExpiresIn'),)),
}
WEBHOOK_KEYS = (('enabled', 'enabled'), ('webhook_url', 'webhookUrl'), ('enabled_events', 'enabledEvents'),
                ('timeout_seconds', 'timeoutSeconds'))
SMTP_KEYS = (('host', 'host'), ('port', 'port'), ('username', 'username'), ('password', 'password'),
             ('sender_email', 'senderEmail'), ('sender_name', 'senderName'))
SENDER_KEYS = SMTP_KEYS[4:]

# -- request schemas (reference section 9 item 4) ----------------------------------------------------------------
DOMAIN_FIELDS = {
    'domain': Field('string', required=True, min_length=1, max_length=2048),
    'auth_provider': Field('string', required=True, enum=AUTH_PROVIDERS),
}
DELETE_DOMAINS_FIELDS = {
    'auth_provider': Field('string', required=True, enum=AUTH_PROVIDERS),
    'domains': Field('array', required=True, items=Field('object')),
}
OAUTH_CREDENTIAL_FIELDS = {
    'client_id': Field('string', max_length=1024),
    'client_secret': Field('string', max_length=1024),
    'microsoft_tenant_id': Field('string', max_length=256),
}
OAUTH_ADD_FIELDS = dict(OAUTH_CREDENTIAL_FIELDS, id=Field('string', required=True, enum=OAUTH_PROVIDER_IDS))
EMAIL_PROVIDER_TYPE_FIELDS = {'type': Field('string', required=True, enum=('standard', 'shared'))}
SMTP_FIELDS = {
    'host': Field('string', min_length=1, max_length=253),
    'port': Field('integer', minimum=1, maximum=65535),
    'username': Field('string', max_length=256),
    'password': Field('string', max_length=1024),
    'sender_email': Field('string', min_length=1, max_length=256, fmt='email'),
    'sender_name': Field('string', min_length=1, max_length=256),
}
SENDER_FIELDS = {key: SMTP_FIELDS[key] for key in ('sender_email', 'sender_name')}
RECIPIENT_FIELDS = {'recipient_email': Field('string', required=True, min_length=1, max_length=256, fmt='email')}
SEND_TEST_EMAIL_FIELDS = dict(SMTP_FIELDS, **RECIPIENT_FIELDS)
EMAIL_AND_PASSWORD_FIELDS = {
    'enabled': Field('boolean'),
    'email_verification_method': Field('string', enum=('link', 'otp')),
    'require_email_verification': Field('boolean'),
    'auto_sign_in_after_verification': Field('boolean'),
    'send_verification_email_on_sign_up': Field('boolean'),
    'send_verification_email_on_sign_in': Field('boolean'),
    'disable_sign_up': Field('boolean'),
}
ALLOW_LOCALHOST_FIELDS = {'allow_localhost': Field('boolean', required=True)}
PLUGIN_FIELDS = {
    'organization': {
        'enabled': Field('boolean'),
        'organization_limit': Field('integer', minimum=1, maximum=INT32_MAX),
        'membership_limit': Field('integer', minimum=1, maximum=INT32_MAX),
        'creator_role': Field('string', enum=('admin', 'owner')),
        'send_invitation_email': Field('boolean'),
    },
    'magic_link': {
        'enabled': Field('boolean'),
        'expires_in': Field('integer', minimum=5, maximum=1440),
        'disable_sign_up': Field('boolean'),
    },
    'phone_number': {
        'enabled': Field('boolean'),
        'otp_expires_in': Field('integer', minimum=60, maximum=600),
    },
}
WEBHOOK_FIELDS = {
    'enabled': Field('boolean', required=True),
    'webhook_url': Field('string', max_length=2048),
    'enabled_events': Field('array', items=Field('string', enum=WEBHOOK_EVENTS)),
    'timeout_seconds': Field('integer', minimum=1, maximum=10),
}


# -- the project_config row -------------------------------------------------------------------------------------
class BranchConfig:
    """The ``project_config`` row of the path's branch; ``save`` writes changed columns back."""

    def __init__(self, ctx):
        dummy, self.branch, self.integration = auth_service.require_branch_auth(ctx)
        if self.integration.auth_provider != 'better_auth':
            raise ApiError(400, 'this endpoint configures Better Auth; branch %s uses %s' % (self.branch.id, self.integration.auth_provider))
        self.ctx = ctx
        with ctx.databases.connect(self.branch, self.integration.db_name) as conn:
            row = auth_db.read_project_config(conn, self.branch.endpoint_id)
            if row is None:
                # Row removed or bound to another endpoint (e.g. edited by a test): give the branch its row back.
                auth_db.rebind_project_config(conn, self.branch.endpoint_id, self.integration.name)
                row = auth_db.read_project_config(conn, self.branch.endpoint_id)
        if row is None:
            raise ApiError(500, 'neon_auth.project_config is missing in the database of branch %s' % self.branch.id)
        self.row = row

    def section(self, column, defaults):
        """A jsonb object column merged over its defaults (a copy)."""
        value = copy.deepcopy(defaults)
        stored = self.row.get(column)
        if isinstance(stored, dict):
            for key, item in stored.items():
                if isinstance(item, dict) and isinstance(value.get(key), dict):
                    value[key].update(item)
                else:
                    value[key] = item
        return value

    def save(self, **columns):
        """Write ``column=value`` pairs (jsonb columns take lists/dicts) and keep the in-memory row in step."""
        with self.ctx.databases.connect(self.branch, self.integration.db_name) as conn:
            auth_db.update_project_config(conn, self.branch.endpoint_id, columns)
        self.row.update(columns)

    # views in API shape
    def trusted_domains(self):
        """Stored trusted origins (list of canonical strings)."""
        return [item for item in (self.row.get('trusted_origins') or []) if isinstance(item, str)]

    def providers(self):
        """Stored social providers (list of dicts)."""
        return [item for item in (self.row.get('social_providers') or []) if isinstance(item, dict) and item.get('id')]

    def email_provider(self):
        """Stored email provider dict, or None when never configured."""
        stored = self.row.get('email_provider')
        return stored if isinstance(stored, dict) and stored.get('type') in ('standard', 'shared') else None

    def email_and_password_api(self):
        """NeonAuthEmailAndPasswordConfig."""
        stored = self.section('email_and_password', EMAIL_AND_PASSWORD_DEFAULTS)
        return {api: stored[key] for api, key in EMAIL_AND_PASSWORD_KEYS}

    def allow_localhost(self):
        """The allow_localhost column (default true)."""
        value = self.row.get('allow_localhost')
        return True if value is None else bool(value)

    def plugin_api(self, name):
        """One plugin in API shape (NeonAuthOrganizationConfig, NeonAuthMagicLinkConfig, NeonAuthPhoneNumberConfig)."""
        stored_name, keys = PLUGINS[name]
        stored = self.section('plugin_configs', PLUGIN_DEFAULTS)[stored_name]
        config = stored.get('config') or {}
        result = {'enabled': bool(stored.get('enabled'))}
        for api, key in keys:
            result[api] = config.get(key, PLUGIN_DEFAULTS[stored_name]['config'][key])
        return result

    def save_plugin(self, name, changes):
        """Merge API-shaped ``changes`` into one plugin; return the plugin in API shape."""
        stored_name, keys = PLUGINS[name]
        plugins = self.section('plugin_configs', PLUGIN_DEFAULTS)
        plugin = plugins[stored_name]
        plugin.setdefault('config', {})
        if 'enabled' in changes:
            plugin['enabled'] = changes['enabled']
        for api, key in keys:
            if api in changes:
                plugin['config'][key] = changes[api]
        self.save(plugin_configs=plugins)
        return self.plugin_api(name)

    def webhook_api(self):
        """NeonAuthWebhookConfig (all four fields)."""
        stored = self.section('webhook_config', WEBHOOK_DEFAULTS)
        return {api: stored[key] for api, key in WEBHOOK_KEYS}


def _provider_api(stored):
    """NeonAuthOauthProvider from a stored social provider (shared ones carry no credentials)."""
    if stored.get('isShared', not stored.get('clientId')):
        return {'id': stored['id'], 'type': 'shared'}
    return {'id': stored['id'], 'type': 'standard', 'client_id': stored.get('clientId', ''),
            'client_secret': stored.get('clientSecret', '')}


def _email_provider_api(stored, reveal_password):
    """NeonAuthEmailServerConfigResponse; the password is "" unless ``reveal_password``."""
    result = {'type': stored['type']}
    keys = SMTP_KEYS if stored['type'] == 'standard' else SENDER_KEYS
    for api, key in keys:
        if key in stored:
            result[api] = stored[key]
        elif stored['type'] == 'standard':
            result[api] = 0 if api == 'port' else ''
    if 'password' in result and not reveal_password:
        result['password'] = ''
    return result


def _unset_email_provider(ctx):
    """What GET answers for a never-configured email provider: 404, or Neon's shared server."""
    if behaviour(ctx, 'email_provider_unset') == 'shared':
        return {'type': 'shared'}
    return None


# -- trusted domains (B4) ---------------------------------------------------------------------------------------
def _http_url(value, field, origin_only):
    """Split an http(s) URL with a host; 400 otherwise.  ``origin_only`` also refuses a query or fragment."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        if parts.port == 0:
            raise ValueError('port 0')
    except ValueError:  # urlsplit refuses bad ports and brackets
        raise ApiError(400, '%s must be a URI with scheme http or https and a valid port' % field) from None
    if (parts.scheme.lower() not in ('http', 'https') or not parts.hostname or '@' in parts.netloc
            or any(char.isspace() for char in text) or (origin_only and (parts.query or parts.fragment))):
        raise ApiError(400, '%s must be a URI with scheme http or https and a host, without credentials%s'
                       % (field, ', query or fragment' if origin_only else ''))
    return parts


def canonical_domain(value, field='domain'):
    """``HTTPS://App.Example.COM:443/`` -> ``https://app.example.com`` (wildcard hosts such as ``*.example.com`` pass)."""
    parts = _http_url(value, field, origin_only=True)
    scheme = parts.scheme.lower()
    host = parts.netloc.lower()
    if parts.port == DEFAULT_PORTS[scheme]:
        host = host.rsplit(':', 1)[0]
    return ('%s://%s%s' % (scheme, host, parts.path)).rstrip('/')


def _check_provider_matches(body, integration):
    if body['auth_provider'] != integration.auth_provider:
        raise ApiError(400, 'auth_provider %s does not match the integration of this branch (%s)'
                       % (body['auth_provider'], integration.auth_provider))


@routes.route('GET', AUTH + '/domains', name='listBranchNeonAuthTrustedDomains')
def list_domains(ctx):
    """``{"domains": [{"domain", "auth_provider"}]}``."""
    config = BranchConfig(ctx)
    provider = config.integration.auth_provider
    return json_response(200, {'domains': [{'domain': item, 'auth_provider': provider} for item in config.trusted_domains()]})


@routes.route('POST', AUTH + '/domains', name='addBranchNeonAuthTrustedDomain')
def add_domain(ctx):
    """201 without body; stores the canonical form.  A domain already present: behaviour duplicate_domain_status."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), DOMAIN_FIELDS)
    _check_provider_matches(body, config.integration)
    domain = canonical_domain(body['domain'])
    domains = config.trusted_domains()
    if domain in domains:
        status = behaviour(ctx, 'duplicate_domain_status')
        if status == 409:
            raise ApiError(409, 'domain %s is already in the trusted domains list' % domain)
        return empty_response(status)
    config.save(trusted_origins=domains + [domain])
    return empty_response(201)


@routes.route('DELETE', AUTH + '/domains', name='deleteBranchNeonAuthTrustedDomain')
def delete_domains(ctx):
    """Batch delete, 200 without body.  Absent domains: behaviour missing_domain_delete_status (404 deletes nothing)."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), DELETE_DOMAINS_FIELDS)
    _check_provider_matches(body, config.integration)
    doomed = []
    for index, item in enumerate(body['domains']):
        field = 'domains[%d].domain' % index
        entry = validate_body(item, {'domain': Field('string', required=True, min_length=1, max_length=2048)}, prefix='domains[%d].' % index)
        doomed.append(canonical_domain(entry['domain'], field))
    domains = config.trusted_domains()
    missing = [item for item in doomed if item not in domains]
    if missing and behaviour(ctx, 'missing_domain_delete_status') == 404:
        raise ApiError(404, 'domain(s) not in the trusted domains list: %s' % ', '.join(missing))
    kept = [item for item in domains if item not in doomed]
    if kept != domains:
        config.save(trusted_origins=kept)
    return empty_response(200)


# -- OAuth providers (B8/B9) -------------------------------------------------------------------------------------
def _credentials(body, provider_id, current=None):
    """Stored provider from ``current`` (or nothing) plus the credentials in ``body``; 400/422 when incomplete."""
    stored = dict(current or {'id': provider_id})
    for api, key in (('client_id', 'clientId'), ('client_secret', 'clientSecret')):
        if body.get(api):  # "" means "not given", as neonctl's shared providers show client_id ""
            stored[key] = body[api]
    if provider_id == 'microsoft' and 'microsoft_tenant_id' in body:
        if body['microsoft_tenant_id']:
            stored['tenantId'] = body['microsoft_tenant_id']
        else:
            stored.pop('tenantId', None)
    has_id, has_secret = bool(stored.get('clientId')), bool(stored.get('clientSecret'))
    if has_id != has_secret:
        raise ApiError(400, 'client_id and client_secret must be given together for your own %s OAuth app' % provider_id)
    stored['isShared'] = not has_id
    return stored


@routes.route('GET', AUTH + '/oauth_providers', name='listBranchNeonAuthOauthProviders')
def list_oauth_providers(ctx):
    """``{"providers": [NeonAuthOauthProvider]}`` (client_secret included for your own apps)."""
    config = BranchConfig(ctx)
    return json_response(200, {'providers': [_provider_api(item) for item in config.providers()]})


@routes.route('POST', AUTH + '/oauth_providers', name='addBranchNeonAuthOauthProvider')
def add_oauth_provider(ctx):
    """200 with the provider.  No credentials = Neon's shared app (not for microsoft)."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), OAUTH_ADD_FIELDS)
    provider_id = body['id']
    providers = config.providers()
    existing = [item for item in providers if item['id'] == provider_id]
    if existing:
        status = behaviour(ctx, 'duplicate_oauth_provider_status')
        if status != 200:
            raise ApiError(status, 'OAuth provider %s is already configured; use PATCH to change it' % provider_id)
    stored = _credentials(body, provider_id)
    if stored['isShared'] and provider_id not in SHARED_OAUTH_PROVIDER_IDS:
        raise ApiError(behaviour(ctx, 'invalid_shared_oauth_status'),
                       'OAuth provider %s has no shared credentials: client_id and client_secret are required' % provider_id,
                       code='INVALID_SHARED_OAUTH_PROVIDER')
    if existing:
        providers = [stored if item['id'] == provider_id else item for item in providers]
    else:
        providers.append(stored)
    config.save(social_providers=providers)
    return json_response(200, _provider_api(stored))


def _find_provider(config, ctx):
    provider_id = ctx.params['oauth_provider_id']
    for item in config.providers():
        if item['id'] == provider_id:
            return item
    return None


@routes.route('PATCH', AUTH + '/oauth_providers/{oauth_provider_id}', name='updateBranchNeonAuthOauthProvider',
              choices={'oauth_provider_id': OAUTH_PROVIDER_IDS})
def update_oauth_provider(ctx):
    """200 with the provider; omitted fields keep their value.  404 when not configured."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(required=False), OAUTH_CREDENTIAL_FIELDS)
    current = _find_provider(config, ctx)
    if current is None:
        raise ApiError(404, 'OAuth provider %s is not configured' % ctx.params['oauth_provider_id'])
    stored = _credentials(body, current['id'], current)
    config.save(social_providers=[stored if item['id'] == current['id'] else item for item in config.providers()])
    return json_response(200, _provider_api(stored))


@routes.route('DELETE', AUTH + '/oauth_providers/{oauth_provider_id}', name='deleteBranchNeonAuthOauthProvider',
              choices={'oauth_provider_id': OAUTH_PROVIDER_IDS})
def delete_oauth_provider(ctx):
    """200 without body; not configured: behaviour missing_oauth_provider_delete_status."""
    config = BranchConfig(ctx)
    current = _find_provider(config, ctx)
    if current is None:
        if behaviour(ctx, 'missing_oauth_provider_delete_status') == 404:
            raise ApiError(404, 'OAuth provider %s is not configured' % ctx.params['oauth_provider_id'])
        return empty_response(200)
    config.save(social_providers=[item for item in config.providers() if item['id'] != current['id']])
    return empty_response(200)


# -- email provider (B10-B12) ------------------------------------------------------------------------------------
@routes.route('GET', AUTH + '/email_provider', name='getNeonAuthEmailProvider')
def get_email_provider(ctx):
    """The provider, password redacted ("") unless behaviour email_password_on_get is "stored"; 404 when never set."""
    config = BranchConfig(ctx)
    stored = config.email_provider()
    if stored is None:
        answer = _unset_email_provider(ctx)
        if answer is None:
            raise ApiError(404, 'no email provider is configured for branch %s' % config.branch.id)
        return json_response(200, answer)
    return json_response(200, _email_provider_api(stored, behaviour(ctx, 'email_password_on_get') == 'stored'))


@routes.route('PATCH', AUTH + '/email_provider', name='updateNeonAuthEmailProvider')
def update_email_provider(ctx):
    """Set the provider.  ``standard``: omitted fields are merged from a saved standard provider (Better Auth);
    with behaviour email_provider_patch=replace, or when switching from shared, all six are required."""
    config = BranchConfig(ctx)
    raw = ctx.json_body()
    kind = validate_body(raw, EMAIL_PROVIDER_TYPE_FIELDS)['type']
    current = config.email_provider()
    if kind == 'shared':
        body = validate_body(raw, SENDER_FIELDS)
        stored = {'type': 'shared'}
        stored.update({key: body[api] for api, key in SENDER_KEYS if api in body})
    else:
        body = validate_body(raw, SMTP_FIELDS)
        merge = behaviour(ctx, 'email_provider_patch') == 'merge' and current is not None and current['type'] == 'standard'
        stored = dict(current) if merge else {'type': 'standard'}
        stored.update({key: body[api] for api, key in SMTP_KEYS if api in body})
        missing = [api for api, key in SMTP_KEYS if key not in stored]
        if missing:
            raise ApiError(400, 'a standard email provider needs %s' % ', '.join(missing))
    config.save(email_provider=stored)
    return json_response(200, _email_provider_api(stored, reveal_password=False))


def _delivery_result(ctx):
    """SendNeonAuthTestEmailResponse; nothing is sent, behaviour smtp_delivery decides."""
    if behaviour(ctx, 'smtp_delivery') == 'fail':
        return json_response(200, {'success': False, 'error_message': SMTP_FAILURE_MESSAGE})
    return json_response(200, {'success': True})


@routes.route('POST', AUTH + '/send_test_email', name='sendNeonAuthTestEmail')
def send_test_email(ctx):
    """Test an unsaved full SMTP configuration (all six fields + recipient_email); saves nothing."""
    BranchConfig(ctx)
    body = validate_body(ctx.json_body(), SEND_TEST_EMAIL_FIELDS)
    missing = [api for api, dummy in SMTP_KEYS if api not in body]
    if missing:
        raise ApiError(400, '%s is required' % ', '.join(missing))
    return _delivery_result(ctx)


@routes.route('POST', AUTH + '/email_provider/test', name='sendNeonAuthEmailProviderTest')
def test_email_provider(ctx):
    """Test the saved standard provider; 400 for a shared or missing one."""
    config = BranchConfig(ctx)
    validate_body(ctx.json_body(), RECIPIENT_FIELDS)
    stored = config.email_provider()
    if stored is None or stored['type'] != 'standard':
        raise ApiError(400, 'testing needs a configured custom SMTP (standard) email provider; this branch has %s'
                       % ('none' if stored is None else 'the shared provider'))
    return _delivery_result(ctx)


# -- email & password, localhost (B13, B14) ------------------------------------------------------------------------
@routes.route('GET', AUTH + '/email_and_password', name='getNeonAuthEmailAndPasswordConfig')
def get_email_and_password(ctx):
    """NeonAuthEmailAndPasswordConfig."""
    return json_response(200, BranchConfig(ctx).email_and_password_api())


@routes.route('PATCH', AUTH + '/email_and_password', name='updateNeonAuthEmailAndPasswordConfig')
def update_email_and_password(ctx):
    """Only the fields given change."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), EMAIL_AND_PASSWORD_FIELDS)
    stored = config.section('email_and_password', EMAIL_AND_PASSWORD_DEFAULTS)
    stored.update({key: body[api] for api, key in EMAIL_AND_PASSWORD_KEYS if api in body})
    config.save(email_and_password=stored)
    return json_response(200, config.email_and_password_api())


@routes.route('GET', AUTH + '/allow_localhost', name='getNeonAuthAllowLocalhost')
def get_allow_localhost(ctx):
    """``{"allow_localhost": bool}`` (true on a fresh branch)."""
    return json_response(200, {'allow_localhost': BranchConfig(ctx).allow_localhost()})


@routes.route('PATCH', AUTH + '/allow_localhost', name='updateNeonAuthAllowLocalhost')
def update_allow_localhost(ctx):
    """Body ``{"allow_localhost": bool}`` (required)."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), ALLOW_LOCALHOST_FIELDS)
    config.save(allow_localhost=body['allow_localhost'])
    return json_response(200, {'allow_localhost': config.allow_localhost()})


# -- plugins (B15, B16, B18, B19) -----------------------------------------------------------------------------------
@routes.route('GET', AUTH + '/plugins', name='getNeonAuthPluginConfigs')
def get_plugins(ctx):
    """NeonAuthPluginConfigs: every plugin plus the other settings (email provider only when there is one)."""
    config = BranchConfig(ctx)
    result = {name: config.plugin_api(name) for name in PLUGINS}
    stored = config.email_provider()
    email_provider = _email_provider_api(stored, False) if stored is not None else _unset_email_provider(ctx)
    if email_provider is not None:
        result['email_provider'] = email_provider
    result['email_and_password'] = config.email_and_password_api()
    result['oauth_providers'] = [_provider_api(item) for item in config.providers()]
    result['allow_localhost'] = config.allow_localhost()
    return json_response(200, result)


def _patch_plugin(ctx, name):
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), PLUGIN_FIELDS[name])
    return json_response(200, config.save_plugin(name, body))


@routes.route('PATCH', AUTH + '/plugins/organization', name='updateNeonAuthOrganizationPlugin')
def update_organization_plugin(ctx):
    """NeonAuthOrganizationConfig after merging the given fields."""
    return _patch_plugin(ctx, 'organization')


@routes.route('PATCH', AUTH + '/plugins/magic-link', name='updateNeonAuthMagicLinkPlugin')
def update_magic_link_plugin(ctx):
    """NeonAuthMagicLinkConfig after merging the given fields (read it back through GET plugins)."""
    return _patch_plugin(ctx, 'magic_link')


@routes.route('GET', AUTH + '/plugins/phone-number', name='getNeonAuthPhoneNumberPlugin')
def get_phone_number_plugin(ctx):
    """NeonAuthPhoneNumberConfig."""
    return json_response(200, BranchConfig(ctx).plugin_api('phone_number'))


@routes.route('PATCH', AUTH + '/plugins/phone-number', name='updateNeonAuthPhoneNumberPlugin')
def update_phone_number_plugin(ctx):
    """NeonAuthPhoneNumberConfig after merging the given fields."""
    return _patch_plugin(ctx, 'phone_number')


# -- webhooks (B17) -------------------------------------------------------------------------------------------------
@routes.route('GET', AUTH + '/webhooks', name='getNeonAuthWebhookConfig')
def get_webhooks(ctx):
    """NeonAuthWebhookConfig with every field."""
    return json_response(200, BranchConfig(ctx).webhook_api())


@routes.route('PUT', AUTH + '/webhooks', name='updateNeonAuthWebhookConfig')
def put_webhooks(ctx):
    """Full replace: omitted fields go back to their defaults.  An enabled webhook needs an http(s) webhook_url."""
    config = BranchConfig(ctx)
    body = validate_body(ctx.json_body(), WEBHOOK_FIELDS)
    url = body.get('webhook_url', '')
    if url:
        _http_url(url, 'webhook_url', origin_only=False)  # stored as given
    elif body['enabled']:
        raise ApiError(400, 'webhook_url is required when enabled is true')
    stored = copy.deepcopy(WEBHOOK_DEFAULTS)
    stored.update({key: body[api] for api, key in WEBHOOK_KEYS if api in body})
    config.save(webhook_config=stored)
    return json_response(200, config.webhook_api())
