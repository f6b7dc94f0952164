# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""Stack Auth SDK keys: minting them, and knowing when an app's env file already holds them."""

from __future__ import annotations

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError
from ansible_collections.community.neon.plugins.module_utils._auth import STACK

KEYS_PATH = '/projects/auth/keys'

# Stack Auth's variable names for a Next.js app, and ours for the JWKS URL, in the order they are written.
ENV_NAMES = (
    ('auth_provider_project_id', 'NEXT_PUBLIC_STACK_PROJECT_ID'),
    ('pub_client_key', 'NEXT_PUBLIC_STACK_PUBLISHABLE_CLIENT_KEY'),
    ('secret_server_key', 'STACK_SECRET_SERVER_KEY'),
    ('jwks_url', 'NEON_AUTH_JWKS_URL'),
)
KEY_FIELDS = tuple(field for field, dummy in ENV_NAMES)

# Stand-ins for keys check mode does not mint: only used to compute which variables would change.
UNKNOWN = '(new key)'


def keys_from_env(env):
    """The keys an env file holds, as a dict of KEY_FIELDS (missing ones empty)."""
    return dict((field, (env or {}).get(name) or '') for field, name in ENV_NAMES)


def file_holds_keys(env, auth_project_id):
    """Whether the env file holds both keys for this auth project, so no new keys are needed."""
    keys = keys_from_env(env)
    return bool(auth_project_id) and keys['auth_provider_project_id'] == auth_project_id and bool(
        keys['pub_client_key']) and bool(keys['secret_server_key'])


def env_values(keys):
    return dict((name, keys[field]) for field, name in ENV_NAMES if keys.get(field))


def stand_in_keys(integration):
    """What check mode pretends was minted, to tell which variables would change."""
    return dict(auth_provider_project_id=integration.get('auth_provider_project_id'), pub_client_key=UNKNOWN,
                secret_server_key=UNKNOWN, jwks_url=integration.get('jwks_url'))


def mint_keys(neon, project_id, integration, dest=None):
    """Ask Neon for a new key set (every call mints one); fails clearly, without touching dest, when that fails."""
    body = dict(project_id=project_id, auth_provider=STACK)
    try:
        resp = neon.client.request('POST', KEYS_PATH, body=body, expect=(200, 201))
    except NeonAPIError as exc:
        if exc.ambiguous:
            where = ('nothing was written to %s (it is unchanged)' % dest) if dest else 'nothing was returned'
            neon.fail_api(exc, 'Neon did not confirm the request for SDK keys. It may have minted new keys, but '
                               'they were not returned and cannot be read back, so %s. Run the task again to '
                               'mint a new set' % where)
        neon.fail_api(exc, 'Could not mint SDK keys for project %s (no keys were minted)' % project_id)
    data = resp.data if isinstance(resp.data, dict) else {}
    keys = dict((field, data.get(field) or '') for field in KEY_FIELDS)
    neon.hide_returned(keys['pub_client_key'], keys['secret_server_key'])
    if not keys['pub_client_key'] or not keys['secret_server_key']:
        neon.fail('Neon answered the request for SDK keys without a publishable and a secret key; nothing was '
                  'written. Run the task again to mint a new set.')
    keys['auth_provider_project_id'] = keys['auth_provider_project_id'] or integration.get('auth_provider_project_id') or ''
    keys['jwks_url'] = keys['jwks_url'] or integration.get('jwks_url') or ''
    return keys
