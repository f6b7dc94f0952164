# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Projects, branches, databases, roles, operations and connection URIs (reference section 7)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid

from neon_emulator import auth_service
from neon_emulator.model import Branch, Database, Role, new_branch_id, now_iso
from neon_emulator.routing import ApiError, RouteTable, json_response
from neon_emulator.validation import Field, query_bool, query_choice, query_int, validate_body

routes = RouteTable()

BRANCH_SORT_FIELDS = ('name', 'created_at', 'updated_at')


# -- projects -----------------------------------------------------------------------------------------------
@routes.route('GET', '/projects', name='listProjects')
def list_projects(ctx):
    """Cursor pagination: ``limit`` 1..400 (default 10); ``pagination.cursor`` (the last id) on every non-empty page."""
    limit = query_int(ctx.query, 'limit', 10, 1, 400)
    projects = list(ctx.state.projects.values())
    search = ctx.query.get('search')
    if search:
        projects = [item for item in projects if search.lower() in item.name.lower() or search.lower() in item.id]
    if ctx.query.get('org_id'):
        projects = [item for item in projects if item.org_id == ctx.query['org_id']]
    cursor = ctx.query.get('cursor')
    if cursor:
        ids = [item.id for item in projects]
        if cursor not in ids:
            raise ApiError(400, 'invalid cursor')
        projects = projects[ids.index(cursor) + 1:]
    page = projects[:limit]
    result = {'projects': [item.to_api() for item in page], 'applications': {}, 'integrations': {}}
    if page:
        result['pagination'] = {'cursor': page[-1].id}
    return json_response(200, result)


@routes.route('GET', '/projects/{project_id}', name='getProject')
def get_project(ctx):
    """One project."""
    return json_response(200, {'project': ctx.state.project(ctx.params['project_id']).to_api()})


@routes.route('GET', '/projects/{project_id}/operations/{operation_id}', name='getProjectOperation')
def get_operation(ctx):
    """Operations finish at once in the emulator."""
    project = ctx.state.project(ctx.params['project_id'])
    operation = project.operations.get(ctx.params['operation_id'])
    if operation is None:
        raise ApiError(404, 'operation %s not found' % ctx.params['operation_id'])
    return json_response(200, {'operation': operation})


# -- branches -----------------------------------------------------------------------------------------------
@routes.route('GET', '/projects/{project_id}/branches', name='listProjectBranches')
def list_branches(ctx):
    """All branches; with ``limit``, pages and ``pagination.next`` (opaque) while more remain."""
    project = ctx.state.project(ctx.params['project_id'])
    sort_by = query_choice(ctx.query, 'sort_by', BRANCH_SORT_FIELDS, 'updated_at')
    sort_order = query_choice(ctx.query, 'sort_order', ('asc', 'desc'), 'desc')
    limit = query_int(ctx.query, 'limit', None, 1, 10000)
    branches = list(project.branches.values())
    search = ctx.query.get('search')
    if search:
        branches = [item for item in branches if search.lower() in item.name.lower() or search.lower() in item.id]
    branches.sort(key=lambda item: (getattr(item, sort_by), item.id), reverse=sort_order == 'desc')
    cursor = ctx.query.get('cursor')
    if cursor:
        position = _decode_cursor(cursor)
        keys = [[getattr(item, sort_by), item.id] for item in branches]
        if position not in keys:
            raise ApiError(400, 'invalid cursor')
        branches = branches[keys.index(position) + 1:]
    result = {'branches': [], 'annotations': {}}
    page = branches if limit is None else branches[:limit]
    result['branches'] = [item.to_api() for item in page]
    if limit is not None:
        result['pagination'] = {'sort_by': sort_by, 'sort_order': sort_order}
        if len(branches) > limit:
            result['pagination']['next'] = _encode_cursor([getattr(page[-1], sort_by), page[-1].id])
    return json_response(200, result)


@routes.route('GET', '/projects/{project_id}/branches/{branch_id}', name='getProjectBranch')
def get_branch(ctx):
    """One branch."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    annotation = {'object': {'type': 'console/branch', 'id': branch.id}, 'value': {},
                  'created_at': branch.created_at, 'updated_at': branch.updated_at}
    return json_response(200, {'branch': branch.to_api(), 'annotation': annotation})


@routes.route('POST', '/projects/{project_id}/branches', name='createProjectBranch')
def create_branch(ctx):
    """Branch from ``branch.parent_id`` (default branch when absent), copying databases, roles and auth data."""
    project = ctx.state.project(ctx.params['project_id'])
    body = ctx.json_body(required=False)
    spec = validate_body(body.get('branch') or {}, {
        'parent_id': Field('string', fmt='neon_id'),
        'name': Field('string', min_length=1, max_length=256),
        'protected': Field('boolean'),
    }, prefix='branch.')
    parent = ctx.state.branch(project, spec['parent_id']) if 'parent_id' in spec else project.default_branch()
    branch_id = new_branch_id(ctx.state.branch_ids())
    name = spec.get('name', branch_id)
    if any(item.name == name for item in project.branches.values()):
        raise ApiError(409, 'branch with name %s already exists' % name)
    branch = Branch(branch_id, project.id, name, parent.id, False, spec.get('protected', False))
    for role in parent.roles.values():
        branch.roles[role.name] = Role(role.name, role.protected, branch.created_at)
    for database in parent.databases.values():
        branch.databases[database.name] = Database(ctx.state.next_database_id(), database.name, database.owner_name,
                                                   branch.created_at)
    auth_service.copy_to_child(ctx.emulator, project, parent, branch)
    project.branches[branch.id] = branch
    operation = _finished_operation(project, branch, 'create_branch')
    endpoints = []
    if body.get('endpoints'):
        endpoints = [{'id': branch.endpoint_id, 'project_id': project.id, 'branch_id': branch.id, 'type': 'read_write',
                      'current_state': 'idle', 'host': '%s.%s' % (branch.endpoint_id, project.to_api()['proxy_host']),
                      'created_at': branch.created_at, 'updated_at': branch.updated_at}]
    return json_response(201, {
        'branch': branch.to_api(),
        'endpoints': endpoints,
        'operations': [operation],
        'roles': [role.to_api(branch.id) for role in branch.roles.values()],
        'databases': [database.to_api(branch.id) for database in branch.databases.values()],
    })


# -- databases, roles, connection URIs ---------------------------------------------------------------------
@routes.route('GET', '/projects/{project_id}/branches/{branch_id}/databases', name='listProjectBranchDatabases')
def list_databases(ctx):
    """Databases of a branch."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    return json_response(200, {'databases': [item.to_api(branch.id) for item in branch.databases.values()]})


@routes.route('GET', '/projects/{project_id}/branches/{branch_id}/databases/{database_name}', name='getProjectBranchDatabase')
def get_database(ctx):
    """One database."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    database = branch.databases.get(ctx.params['database_name'])
    if database is None:
        raise ApiError(404, 'database %s not found' % ctx.params['database_name'])
    return json_response(200, {'database': database.to_api(branch.id)})


@routes.route('GET', '/projects/{project_id}/branches/{branch_id}/roles', name='listProjectBranchRoles')
def list_roles(ctx):
    """Roles of a branch (never passwords)."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    return json_response(200, {'roles': [item.to_api(branch.id) for item in branch.roles.values()]})


@routes.route('GET', '/projects/{project_id}/branches/{branch_id}/roles/{role_name}', name='getProjectBranchRole')
def get_role(ctx):
    """One role."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.params['branch_id'])
    role = branch.roles.get(ctx.params['role_name'])
    if role is None:
        raise ApiError(404, 'role %s not found' % ctx.params['role_name'])
    return json_response(200, {'role': role.to_api(branch.id)})


@routes.route('GET', '/projects/{project_id}/connection_uri', name='getConnectionURI')
def connection_uri(ctx):
    """A URI that really connects (role + password) to the branch database; ``database_name``/``role_name`` required."""
    project = ctx.state.project(ctx.params['project_id'])
    branch = ctx.state.branch(project, ctx.query['branch_id']) if ctx.query.get('branch_id') else project.default_branch()
    for name in ('database_name', 'role_name'):
        if not ctx.query.get(name):
            raise ApiError(400, 'query parameter %s is required' % name)
    query_bool(ctx.query, 'pooled')
    if ctx.query['database_name'] not in branch.databases:
        raise ApiError(404, 'database %s not found on branch %s' % (ctx.query['database_name'], branch.id))
    if ctx.query['role_name'] not in branch.roles:
        raise ApiError(404, 'role %s not found on branch %s' % (ctx.query['role_name'], branch.id))
    return json_response(200, {'uri': ctx.databases.role_uri(branch, ctx.query['database_name'], ctx.query['role_name'])})


# -- helpers ------------------------------------------------------------------------------------------------
def _finished_operation(project, branch, action):
    now = now_iso()
    operation = {'id': str(uuid.uuid4()), 'project_id': project.id, 'branch_id': branch.id, 'action': action,
                 'status': 'finished', 'failures_count': 0, 'created_at': now, 'updated_at': now, 'total_duration_ms': 1}
    project.operations[operation['id']] = operation
    return operation


def _encode_cursor(position):
    return base64.urlsafe_b64encode(json.dumps(position).encode('utf-8')).decode('ascii').rstrip('=')


def _decode_cursor(cursor):
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode('utf-8'))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, 'invalid cursor') from None
