# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Neon Auth: legacy project-level endpoints (L1-L7) and branch-scoped B1-B3, B5-B7 (reference sections 2, 3, 5).

The Better Auth configuration endpoints (domains, oauth_providers, email_provider, ...) are not here;
they belong in their own ``routes_*.py`` module.
"""

from __future__ import annotations

import secrets

from neon_emulator import auth_service
from neon_emulator.model import AUTH_PROVIDERS
from neon_emulator.routing import ApiError, RouteTable, empty_response, json_response
from neon_emulator.validation import Field, validate_body

routes = RouteTable()

PROVIDER = Field('string', required=True, enum=AUTH_PROVIDERS)
PROJECT_ID = Field('string', required=True, fmt='neon_id')
EMAIL = Field('string', required=True, min_length=1, max_length=256, fmt='email')
USER_NAME = Field('string', min_length=1, max_length=255)
DELETE_DATA = {'delete_data': Field('boolean')}
BRANCH_AUTH = '/projects/{project_id}/branches/{branch_id}/auth'


# -- legacy, project-level (Stack Auth) ---------------------------------------------------------------------
@routes.route('POST', '/projects/auth/create', name='createNeonAuthIntegration')
def legacy_create(ctx):
    """L1: 201 with keys; 409 when the integration exists.  ``role_name`` is accepted and ignored."""
    body = validate_body(ctx.json_body(), {
        'auth_provider': PROVIDER,
        'project_id': PROJECT_ID,
        'branch_id': Field('string', required=True, fmt='neon_id'),
        'database_name': Field('string', min_length=1, max_length=63),
        'role_name': Field('string'),
    })
    project = ctx.state.project(body['project_id'])
    branch = ctx.state.branch(project, body['branch_id'])
    integration, pub_key, secret_key = auth_service.enable(ctx.emulator, project, branch, body['auth_provider'],
                                                           body.get('database_name'))
    return json_response(201, integration.created_response(pub_key, secret_key))


@routes.route('GET', '/projects/{project_id}/auth/integrations', name='listNeonAuthIntegrations')
def legacy_list(ctx):
    """L2: every integration of the project."""
    project = ctx.state.project(ctx.params['project_id'])
    return json_response(200, {'data': [item.to_api() for item in project.integrations()]})


@routes.route('POST', '/projects/auth/keys', name='createNeonAuthProviderSDKKeys')
def legacy_keys(ctx):
    """L3: fresh keys every call (empty strings for better_auth); behaviour keys_revoke_previous."""
    body = validate_body(ctx.json_body(), {'project_id': PROJECT_ID, 'auth_provider': PROVIDER})
    project = ctx.state.project(body['project_id'])
    integration = auth_service.require_project_integration(project, body['auth_provider'])
    pub_key, secret_key = integration.issue_keys(ctx.behaviour.get('keys_revoke_previous'))
    return json_response(201, integration.created_response(pub_key, secret_key))


@routes.route('POST', '/projects/auth/user', name='createNeonAuthNewUser')
def legacy_create_user(ctx):
    """L4: 201 ``{id}``."""
    body = validate_body(ctx.json_body(), {'project_id': PROJECT_ID, 'auth_provider': PROVIDER, 'email': EMAIL, 'name': USER_NAME})
    project = ctx.state.project(body['project_id'])
    integration = auth_service.require_project_integration(project, body['auth_provider'])
    user_id = auth_service.create_user(ctx.emulator, project, integration, body['email'], body.get('name'))
    return json_response(201, {'id': user_id})


@routes.route('POST', '/projects/auth/transfer_ownership', name='transferNeonAuthProviderProject')
def legacy_transfer(ctx):
    """L5: 200 ``{url}``; transfer_status becomes initiated.  Repeats follow behaviour repeated_transfer."""
    body = validate_body(ctx.json_body(), {'project_id': PROJECT_ID, 'auth_provider': PROVIDER})
    project = ctx.state.project(body['project_id'])
    integration = auth_service.require_project_integration(project, body['auth_provider'])
    if not integration.project_scoped:
        raise ApiError(400, 'ownership transfer is only available for Stack Auth integrations')
    already = integration.owned_by == 'user' or integration.transfer_status is not None
    if already and ctx.behaviour.get('repeated_transfer') == 'error':
        raise ApiError(409, 'an ownership transfer was already %s for this project'
                       % ('completed' if integration.owned_by == 'user' else 'initiated'))
    if integration.owned_by == 'neon':
        integration.transfer_status = 'initiated'
    url = 'https://app.stack-auth.com/integrations/neon/projects/transfer/confirm?code=%s' % secrets.token_hex(16)
    return json_response(200, {'url': url})


@routes.route('DELETE', '/projects/{project_id}/auth/integration/{auth_provider}', name='deleteNeonAuthIntegration',
              choices={'auth_provider': AUTH_PROVIDERS})
def legacy_delete_integration(ctx):
    """L6: 200 empty; optional body ``{delete_data}``; gone -> behaviour repeated_delete_status."""
    body = validate_body(ctx.json_body(required=False), DELETE_DATA)
    project = ctx.state.project(ctx.params['project_id'])
    integration = project.integration_for(ctx.params['auth_provider'])
    if integration is None:
        return auth_service.gone_response(ctx.emulator, 'project %s has no %s integration' % (project.id, ctx.params['auth_provider']))
    auth_service.disable(ctx.emulator, project, integration, body.get('delete_data', False))
    return empty_response(200)


@routes.route('DELETE', '/projects/{project_id}/auth/users/{auth_user_id}', name='deleteNeonAuthUser')
def legacy_delete_user(ctx):
    """L7: 204; acts on the Stack integration (else the project's Better Auth one)."""
    project = ctx.state.project(ctx.params['project_id'])
    integration = project.integration_for('stack') or project.integration_for('mock') or project.integration_for('better_auth')
    if integration is None:
        raise ApiError(404, 'Neon Auth is not enabled for project %s' % project.id)
    return _delete_user(ctx, project, integration)


# -- branch-scoped (Better Auth) ----------------------------------------------------------------------------
@routes.route('GET', BRANCH_AUTH, name='getNeonAuth')
def get_auth(ctx):
    """B1: the integration, never keys; 404 when not enabled."""
    dummy_project, dummy_branch, integration = auth_service.require_branch_auth(ctx)
    return json_response(200, integration.to_api())


@routes.route('POST', BRANCH_AUTH, name='createNeonAuth')
def create_auth(ctx):
    """B2: 201 with keys (empty for better_auth); 409 when enabled."""
    body = validate_body(ctx.json_body(), {'auth_provider': PROVIDER, 'database_name': Field('string', min_length=1, max_length=63)})
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    integration, pub_key, secret_key = auth_service.enable(ctx.emulator, project, branch, body['auth_provider'],
                                                           body.get('database_name'))
    return json_response(201, integration.created_response(pub_key, secret_key))


@routes.route('DELETE', BRANCH_AUTH, name='disableNeonAuth')
def disable_auth(ctx):
    """B3: 200 empty; ``delete_data`` drops the schema; not enabled -> behaviour repeated_delete_status."""
    body = validate_body(ctx.json_body(required=False), DELETE_DATA)
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    if branch.auth is None:
        return auth_service.gone_response(ctx.emulator, 'Neon Auth is not enabled for branch %s' % branch.id)
    auth_service.disable(ctx.emulator, project, branch.auth, body.get('delete_data', False))
    return empty_response(200)


@routes.route('POST', BRANCH_AUTH + '/users', name='createBranchNeonAuthNewUser')
def create_user(ctx):
    """B5: 201 ``{id}``; duplicate email -> behaviour duplicate_email_status."""
    body = validate_body(ctx.json_body(), {'email': EMAIL, 'name': USER_NAME})
    project, dummy_branch, integration = auth_service.require_branch_auth(ctx)
    user_id = auth_service.create_user(ctx.emulator, project, integration, body['email'], body.get('name'))
    return json_response(201, {'id': user_id})


@routes.route('DELETE', BRANCH_AUTH + '/users/{auth_user_id}', name='deleteBranchNeonAuthUser')
def delete_user(ctx):
    """B6: 204; gone -> behaviour repeated_delete_status."""
    project, dummy_branch, integration = auth_service.require_branch_auth(ctx)
    return _delete_user(ctx, project, integration)


@routes.route('PUT', BRANCH_AUTH + '/users/{auth_user_id}/role', name='updateNeonAuthUserRole')
def update_user_role(ctx):
    """B7: 200 ``{id}``; the roles replace the user's roles."""
    body = validate_body(ctx.json_body(), {'roles': Field('array', required=True, min_items=1,
                                                          items=Field('string', min_length=1, max_length=256))})
    project, dummy_branch, integration = auth_service.require_branch_auth(ctx)
    auth_service.set_user_roles(ctx.emulator, project, integration, ctx.params['auth_user_id'], body['roles'])
    return json_response(200, {'id': ctx.params['auth_user_id']})


def _delete_user(ctx, project, integration):
    if not auth_service.delete_user(ctx.emulator, project, integration, ctx.params['auth_user_id']):
        return auth_service.gone_response(ctx.emulator, 'user %s not found' % ctx.params['auth_user_id'])
    return empty_response(204)
