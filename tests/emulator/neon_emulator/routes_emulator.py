# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control API under /_emulator (no API key; JSON in and out).  See README.md for the contract."""

from __future__ import annotations

from neon_emulator.routing import ApiError, RouteTable, json_response
from neon_emulator.validation import Field, validate_body

routes = RouteTable(control=True)


@routes.route('GET', '/health', name='health')
def health(ctx):
    """Liveness and where things are (never passwords)."""
    return json_response(200, {'status': 'ok', 'base_url': ctx.emulator.base_url, 'postgres': ctx.emulator.cluster.description})


@routes.route('GET', '/requests', name='listRequests')
def list_requests(ctx):
    """The request log."""
    return json_response(200, {'requests': ctx.emulator.requests.snapshot()})


@routes.route('DELETE', '/requests', name='clearRequests')
def clear_requests(ctx):
    """Empty the request log."""
    ctx.emulator.requests.clear()
    return json_response(200, {'requests': []})


@routes.route('GET', '/behaviour', name='getBehaviour')
def get_behaviour(ctx):
    """Current behaviour switches."""
    return json_response(200, ctx.behaviour.all())


@routes.route('PUT', '/behaviour', name='updateBehaviour')
def put_behaviour(ctx):
    """Merge behaviour switches."""
    return json_response(200, ctx.behaviour.update(ctx.json_body()))


@routes.route('GET', '/faults', name='listFaults')
def list_faults(ctx):
    """Remaining fault rules."""
    return json_response(200, {'faults': ctx.emulator.faults.describe()})


@routes.route('POST', '/faults', name='addFault')
def add_fault(ctx):
    """Add a fault rule."""
    return json_response(201, ctx.emulator.faults.add(ctx.json_body()))


@routes.route('DELETE', '/faults', name='clearFaults')
def clear_faults(ctx):
    """Remove all fault rules."""
    ctx.emulator.faults.clear()
    return json_response(200, {'faults': []})


@routes.route('GET', '/rate_limit', name='getRateLimit')
def get_rate_limit(ctx):
    """Rate limit settings."""
    return json_response(200, ctx.emulator.rate_limiter.settings())


@routes.route('PUT', '/rate_limit', name='updateRateLimit')
def put_rate_limit(ctx):
    """Merge rate limit settings (and restart the counting windows)."""
    return json_response(200, ctx.emulator.rate_limiter.configure(ctx.json_body()))


@routes.route('POST', '/transfer/complete', name='completeTransfer')
def complete_transfer(ctx):
    """The person opened the transfer URL and confirmed: the Stack project now belongs to them."""
    body = validate_body(ctx.json_body(), {'project_id': Field('string', required=True, fmt='neon_id'),
                                           'auth_provider': Field('string', enum=('stack', 'mock'))})
    project = ctx.state.project(body['project_id'])
    integration = project.integration_for(body.get('auth_provider', 'stack'))
    if integration is None:
        raise ApiError(404, 'project %s has no %s integration' % (project.id, body.get('auth_provider', 'stack')))
    if integration.transfer_status != 'initiated':
        raise ApiError(409, 'no transfer was initiated for project %s' % project.id)
    integration.owned_by = 'user'
    integration.transfer_status = 'finished'
    return json_response(200, integration.to_api())


@routes.route('GET', '/database_url', name='getDatabaseUrl')
def database_url(ctx):
    """Superuser URL of a branch database (created on demand), for tests that inspect or prepare rows."""
    project_id = ctx.query.get('project_id')
    if not project_id:
        raise ApiError(400, 'query parameter project_id is required')
    project = ctx.state.project(project_id)
    branch = ctx.state.branch(project, ctx.query['branch_id']) if ctx.query.get('branch_id') else project.default_branch()
    database_name = ctx.query.get('database_name') or branch.default_database_name()
    if database_name not in branch.databases:
        raise ApiError(404, 'database %s not found on branch %s' % (database_name, branch.id))
    return json_response(200, {'url': ctx.databases.admin_uri(branch, database_name)})


@routes.route('POST', '/reset', name='reset')
def reset(ctx):
    """Back to the seed state."""
    ctx.emulator.reset()
    return json_response(200, {'reset': True})
