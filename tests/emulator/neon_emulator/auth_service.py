# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Neon Auth behaviour shared by the legacy (project-level) and branch-scoped routes.

Route modules (including the Better Auth configuration routes) use
:func:`require_branch_auth` to get the enabled integration of a branch (404
otherwise) and ``ctx.databases.connect(branch, integration.db_name)`` to reach
its database (see :mod:`neon_emulator.auth_db` for the ``project_config`` row).
"""

from __future__ import annotations

import functools
import uuid

from neon_emulator import auth_db
from neon_emulator.model import Integration
from neon_emulator.routing import ApiError, empty_response
from neon_emulator.validation import UUID_PATTERN


def require_branch_auth(ctx):
    """``(project, branch, integration)`` of the path's branch; 404 when a part is missing or auth is not enabled."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    if branch.auth is None:
        raise ApiError(404, 'Neon Auth is not enabled for branch %s' % branch.id)
    return project, branch, branch.auth


def require_project_integration(project, auth_provider):
    """The integration the legacy project-level endpoints act on; 404 when there is none."""
    integration = project.integration_for(auth_provider)
    if integration is None:
        raise ApiError(404, 'project %s has no %s Neon Auth integration' % (project.id, auth_provider))
    return integration


def gone_response(emulator, message):
    """Answer a delete of something already gone, per behaviour ``repeated_delete_status``."""
    status = emulator.behaviour.get('repeated_delete_status')
    if status == 404:
        raise ApiError(404, message)
    return empty_response(status)


def enable(emulator, project, branch, auth_provider, database_name):
    """Enable Neon Auth on a branch; return ``(integration, pub_client_key, secret_server_key)``.

    409 when the branch has an integration, or (stack/mock) the project has one of that provider already.
    """
    if database_name is None:
        database_name = branch.default_database_name()
    if database_name not in branch.databases:
        raise ApiError(404, 'database %s not found on branch %s' % (database_name, branch.id))
    if branch.auth is not None:
        raise ApiError(409, 'Neon Auth is already enabled for this branch')
    if auth_provider != 'better_auth' and project.integration_for(auth_provider) is not None:
        raise ApiError(409, 'project %s already has a %s integration' % (project.id, auth_provider))
    integration = Integration(project, branch, auth_provider, database_name)
    owner = branch.databases[database_name].owner_name
    with emulator.databases.connect(branch, database_name) as conn:
        auth_db.create_schema(conn, auth_provider, owner, branch.endpoint_id, integration.name)
    branch.auth = integration
    keys = integration.issue_keys(revoke_previous=False)
    return integration, keys[0], keys[1]


def disable(emulator, project, integration, delete_data):
    """Remove the integration; with ``delete_data`` drop the ``neon_auth`` schema too."""
    branch = project.branches[integration.branch_id]
    if delete_data:
        with emulator.databases.connect(branch, integration.db_name) as conn:
            auth_db.drop_schema(conn)
    emulator.forget_pending_users(branch.id)
    branch.auth = None


def create_user(emulator, project, integration, email, name):
    """Create a user in the integration's database; return its id.  Duplicate email -> behaviour status."""
    branch = project.branches[integration.branch_id]
    with emulator.databases.connect(branch, integration.db_name) as conn:
        if integration.auth_provider == 'better_auth':
            try:
                return auth_db.better_auth_insert_user(conn, email, name)
            except auth_db.DuplicateEmail:
                raise _duplicate(emulator) from None
        if auth_db.stack_email_taken(conn, email) or emulator.pending_email_taken(branch.id, email):
            raise _duplicate(emulator)
        user_id = str(uuid.uuid4())
        delay = emulator.behaviour.get('stack_sync_delay')
        if delay > 0:
            # Stack Auth knows the user at once; neon_auth.users_sync gets the row only when the sync runs.
            emulator.add_pending_user(delay, branch, integration.db_name, user_id, email, name)
        else:
            auth_db.stack_insert_user(conn, user_id, email, name)
        return user_id


def delete_user(emulator, project, integration, user_id):
    """Delete a user (Stack: soft delete); False when there is no such (active) user."""
    branch = project.branches[integration.branch_id]
    if integration.auth_provider != 'better_auth' and emulator.delete_pending_user(branch.id, user_id):
        return True
    with emulator.databases.connect(branch, integration.db_name) as conn:
        if integration.auth_provider == 'better_auth':
            return bool(UUID_PATTERN.match(user_id)) and auth_db.better_auth_delete_user(conn, user_id)
        return auth_db.stack_soft_delete(conn, user_id)


def set_user_roles(emulator, project, integration, user_id, roles):
    """Replace a Better Auth user's roles; 404 when the user does not exist, 400 for Stack Auth."""
    if integration.auth_provider != 'better_auth':
        raise ApiError(400, 'user roles are supported only for better_auth integrations')
    branch = project.branches[integration.branch_id]
    with emulator.databases.connect(branch, integration.db_name) as conn:
        if not (UUID_PATTERN.match(user_id) and auth_db.better_auth_set_roles(conn, user_id, roles)):
            raise ApiError(404, 'user %s not found' % user_id)


def copy_to_child(emulator, project, parent, child):
    """Branching: copy every existing database of the parent (auth tables, users, config rows included).

    A Better Auth integration branches with the data (own id and URLs); a Stack/mock integration stays on
    its branch (project-level), though its users_sync data is copied like any table.
    """
    for name in child.databases:
        emulator.databases.copy(parent, child, name)
    if parent.auth is not None and not parent.auth.project_scoped:
        # Enabling auth created the parent's database, so the copy above brought the schema along.
        child.auth = parent.auth.copy_for(project, child)
        with emulator.databases.connect(child, child.auth.db_name) as conn:
            auth_db.rebind_project_config(conn, child.endpoint_id, child.auth.name)


def apply_seed(emulator, seeded_auth):
    """Schema and users of branches whose seed enables Neon Auth, written when their database is first created."""
    for project, branch, users in seeded_auth:
        integration = branch.auth
        owner = branch.databases[integration.db_name].owner_name
        emulator.databases.set_initializer(branch, integration.db_name, functools.partial(
            _seed_database, integration.auth_provider, owner, branch.endpoint_id, project.name, users))


def _seed_database(auth_provider, owner, endpoint_id, app_name, users, conn):
    auth_db.create_schema(conn, auth_provider, owner, endpoint_id, app_name)
    for user in users:
        if auth_provider == 'better_auth':
            user_id = auth_db.better_auth_insert_user(conn, user['email'], user.get('name'), user.get('id'))
            if user.get('roles'):
                auth_db.better_auth_set_roles(conn, user_id, user['roles'])
        else:
            auth_db.stack_insert_user(conn, user.get('id') or str(uuid.uuid4()), user['email'], user.get('name'),
                                      deleted=bool(user.get('deleted')))


def _duplicate(emulator):
    return ApiError(emulator.behaviour.get('duplicate_email_status'), 'a user with this email already exists')
