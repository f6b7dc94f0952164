# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""Reading a Neon Auth integration on either API generation."""

from __future__ import annotations

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError

STACK = 'stack'
BETTER_AUTH = 'better_auth'

# Returned by create and key generation only; never part of a comparison, a diff or a message.
SECRET_KEYS = ('pub_client_key', 'secret_server_key')

INTEGRATION_FIELDS = ('auth_provider', 'auth_provider_project_id', 'branch_id', 'db_name', 'name', 'created_at',
                      'owned_by', 'transfer_status', 'jwks_url', 'base_url', 'schema_name', 'table_name')


def public_fields(data):
    """The integration's fields without any key."""
    return dict((k, v) for k, v in (data or {}).items() if k not in SECRET_KEYS)


def branch_auth_path(project_id, branch_id):
    return '/projects/%s/branches/%s/auth' % (project_id, branch_id)


def read_stack_integration(neon, project_id, tolerate_missing=False):
    """The project's Stack Auth integration (legacy list endpoint), or None.

    With tolerate_missing, a 404/410 (the legacy endpoints are past their announced sunset) reads as "none".
    """
    try:
        data = neon.client.get('/projects/%s/auth/integrations' % project_id, missing_ok=True)
    except NeonAPIError as exc:
        if tolerate_missing and exc.status == 410:
            return None
        neon.fail_api(exc, 'Could not read the Neon Auth integrations of project %s' % project_id)
    if data is None:
        if tolerate_missing:
            return None
        neon.fail('Project %s was not found, or the legacy Neon Auth endpoints (auth_provider=stack) are no '
                  'longer served for it' % project_id)
    for item in data.get('data') or []:
        if item.get('auth_provider') == STACK:
            return public_fields(item)
    return None


def read_branch_integration(neon, project_id, branch_id):
    """The branch's Neon Auth integration (GET .../auth; 404 means not enabled), or None."""
    try:
        data = neon.client.get(branch_auth_path(project_id, branch_id), missing_ok=True)
    except NeonAPIError as exc:
        neon.fail_api(exc, 'Could not read Neon Auth of branch %s' % branch_id)
    return public_fields(data) if data else None


def read_integration(neon, project_id, provider, branch_id=None):
    if provider == STACK:
        return read_stack_integration(neon, project_id)
    return read_branch_integration(neon, project_id, branch_id)


def require_integration(neon, project_id, provider, branch_id=None):
    """The integration, or a clear failure telling the user to set Neon Auth up first (nothing is provisioned here)."""
    integration = read_integration(neon, project_id, provider, branch_id)
    where = 'project %s' % project_id if provider == STACK else 'branch %s of project %s' % (branch_id, project_id)
    if integration is None and provider != STACK:
        # A 404 on .../auth may also mean there is no such branch: say which.
        neon.check_branch(project_id, branch_id)
    if integration is None:
        neon.fail('Neon Auth (%s) is not set up for %s: run community.neon.neon_auth_integration first' % (provider, where))
    if integration.get('auth_provider') != provider:
        neon.fail('Neon Auth on %s uses auth_provider %s, not %s' % (where, integration.get('auth_provider'), provider))
    return integration
