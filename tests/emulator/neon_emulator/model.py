# Copyright: contributors to the community.neon collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-memory Neon objects (projects, branches, databases, roles, auth integrations) and the seed.

Only API state lives here; users and Neon Auth configuration live in the
branch databases (see :mod:`neon_emulator.auth_db`).
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import secrets
import uuid

from neon_emulator.routing import ApiError, NEON_ID_PATTERN

AUTH_PROVIDERS = ('mock', 'stack', 'better_auth')
# Stack Auth (and the mock provider) are project-level integrations of the legacy API: branching copies
# their data but not the integration.  Better Auth is per branch and branches with the data.
PROJECT_SCOPED_PROVIDERS = ('mock', 'stack')
_WORDS = ('sunny', 'wispy', 'bold', 'calm', 'misty', 'quiet', 'frosty', 'lively', 'autumn', 'silent',
          'meadow', 'river', 'forest', 'dawn', 'breeze', 'cloud', 'field', 'lake', 'moon', 'stone')


def now_iso():
    """Current UTC time the way Neon writes it: ``2024-03-19T12:00:00Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def new_branch_id(taken):
    """A fresh Neon-looking branch id, e.g. ``br-sunny-meadow-a1b2c3d4``."""
    while True:
        candidate = 'br-%s-%s-%s' % (secrets.choice(_WORDS), secrets.choice(_WORDS), secrets.token_hex(4))
        if candidate not in taken:
            return candidate


def region_host(region_id):
    """``aws-us-east-2`` -> ``us-east-2.aws.neon.tech``."""
    provider, dummy, region = region_id.partition('-')
    return '%s.%s.neon.tech' % (region or provider, provider)


class Role:
    """A branch role (the real PostgreSQL login role has the same name)."""

    def __init__(self, name, protected=False, created_at=None):
        self.name = name
        self.protected = protected
        self.created_at = created_at or now_iso()
        self.updated_at = self.created_at

    def to_api(self, branch_id):
        """Neon ``Role`` (never with a password)."""
        return {'branch_id': branch_id, 'name': self.name, 'protected': self.protected,
                'created_at': self.created_at, 'updated_at': self.updated_at}


class Database:
    """A branch database."""

    def __init__(self, database_id, name, owner_name, created_at=None):
        self.id = database_id
        self.name = name
        self.owner_name = owner_name
        self.created_at = created_at or now_iso()
        self.updated_at = self.created_at

    def to_api(self, branch_id):
        """Neon ``Database``."""
        return {'id': self.id, 'branch_id': branch_id, 'name': self.name, 'owner_name': self.owner_name,
                'created_at': self.created_at, 'updated_at': self.updated_at}


class Integration:
    """A Neon Auth integration on one branch and database.

    Keys are never stored: ``key_sets`` keeps only when each set was issued and whether it is revoked.
    """

    def __init__(self, project, branch, auth_provider, db_name, created_at=None):
        self.auth_provider = auth_provider
        self.auth_provider_project_id = str(uuid.uuid4())
        self.branch_id = branch.id
        self.db_name = db_name
        self.created_at = created_at or now_iso()
        self.owned_by = 'neon'
        self.transfer_status = None
        self.name = project.name
        self.key_sets = []
        if auth_provider == 'better_auth':
            self.base_url = 'https://%s.neonauth.%s/%s/auth' % (branch.endpoint_id, region_host(project.region_id), db_name)
            self.jwks_url = self.base_url + '/.well-known/jwks.json'
        else:
            self.base_url = None
            self.jwks_url = 'https://api.stack-auth.com/api/v1/projects/%s/.well-known/jwks.json' % self.auth_provider_project_id

    @property
    def project_scoped(self):
        """True for the legacy, project-level providers (stack, mock)."""
        return self.auth_provider in PROJECT_SCOPED_PROVIDERS

    def copy_for(self, project, branch):
        """The integration a child branch gets (own id and URLs, same provider and database)."""
        child = Integration(project, branch, self.auth_provider, self.db_name)
        child.name = self.name
        return child

    def issue_keys(self, revoke_previous):
        """New SDK keys: ``pck_``/``ssk_`` for Stack Auth and mock, empty strings for Better Auth."""
        if revoke_previous:
            for key_set in self.key_sets:
                key_set['revoked'] = True
        self.key_sets.append({'created_at': now_iso(), 'revoked': False})
        if self.auth_provider == 'better_auth':
            return '', ''
        return 'pck_' + secrets.token_hex(20), 'ssk_' + secrets.token_hex(24)

    def to_api(self):
        """Neon ``NeonAuthIntegration`` (never keys)."""
        result = {
            'auth_provider': self.auth_provider,
            'auth_provider_project_id': self.auth_provider_project_id,
            'branch_id': self.branch_id,
            'db_name': self.db_name,
            'created_at': self.created_at,
            'owned_by': self.owned_by,
            'jwks_url': self.jwks_url,
            'name': self.name,
        }
        if self.transfer_status:
            result['transfer_status'] = self.transfer_status
        if self.base_url:
            result['base_url'] = self.base_url
        return result

    def created_response(self, pub_client_key, secret_server_key):
        """Neon ``NeonAuthCreateIntegrationResponse`` (the only answer that carries keys)."""
        result = {
            'auth_provider': self.auth_provider,
            'auth_provider_project_id': self.auth_provider_project_id,
            'pub_client_key': pub_client_key,
            'secret_server_key': secret_server_key,
            'jwks_url': self.jwks_url,
            'schema_name': 'neon_auth',
            'table_name': 'users_sync',
        }
        if self.base_url:
            result['base_url'] = self.base_url
        return result


class Branch:
    """A branch: databases, roles and at most one Neon Auth integration."""

    def __init__(self, branch_id, project_id, name, parent_id=None, default=False, protected=False, created_at=None):
        self.id = branch_id
        self.project_id = project_id
        self.name = name
        self.parent_id = parent_id
        self.default = default
        self.protected = protected
        self.created_at = created_at or now_iso()
        self.updated_at = self.created_at
        self.databases = {}
        self.roles = {}
        self.auth = None
        self.endpoint_id = 'ep-' + (branch_id[3:] if branch_id.startswith('br-') else branch_id)

    def default_database_name(self):
        """``neondb`` when present, else the first database (the rule MCP and neonctl use)."""
        if 'neondb' in self.databases:
            return 'neondb'
        return next(iter(self.databases), None)

    def to_api(self):
        """Neon ``Branch``."""
        result = {
            'id': self.id,
            'project_id': self.project_id,
            'name': self.name,
            'current_state': 'ready',
            'state_changed_at': self.created_at,
            'logical_size': 30785536,
            'creation_source': 'console',
            'primary': self.default,
            'default': self.default,
            'protected': self.protected,
            'cpu_used_sec': 0,
            'compute_time_seconds': 0,
            'active_time_seconds': 0,
            'written_data_bytes': 0,
            'data_transfer_bytes': 0,
            'created_at': self.created_at,
            'updated_at': self.updated_at,
        }
        if self.parent_id:
            result['parent_id'] = self.parent_id
            result['parent_timestamp'] = self.created_at
            result['init_source'] = 'parent-data'
        return result


class Project:
    """A project with its branches (insertion order) and finished operations."""

    def __init__(self, project_id, name, region_id, org_id, pg_version=17, created_at=None):
        self.id = project_id
        self.name = name
        self.region_id = region_id
        self.org_id = org_id
        self.pg_version = pg_version
        self.created_at = created_at or now_iso()
        self.updated_at = self.created_at
        self.branches = {}
        self.operations = {}

    def default_branch(self):
        """The branch with ``default: true``."""
        for branch in self.branches.values():
            if branch.default:
                return branch
        return None

    def integrations(self):
        """All Neon Auth integrations of the project, oldest first."""
        found = [branch.auth for branch in self.branches.values() if branch.auth is not None]
        return sorted(found, key=lambda item: item.created_at)

    def integration_for(self, auth_provider):
        """The integration the project-level (legacy) endpoints act on for ``auth_provider``, or None.

        Stack/mock exist at most once per project.  For better_auth the default branch's wins, else the oldest.
        """
        candidates = [item for item in self.integrations() if item.auth_provider == auth_provider]
        default = self.default_branch()
        for item in candidates:
            if default is not None and item.branch_id == default.id:
                return item
        return candidates[0] if candidates else None

    def to_api(self):
        """Neon ``Project`` / ``ProjectListItem``."""
        provider = self.region_id.split('-', 1)[0]
        result = {
            'id': self.id,
            'platform_id': provider,
            'region_id': self.region_id,
            'name': self.name,
            'provisioner': 'k8s-neonvm',
            'default_endpoint_settings': {'autoscaling_limit_min_cu': 0.25, 'autoscaling_limit_max_cu': 2, 'suspend_timeout_seconds': 0},
            'pg_version': self.pg_version,
            'proxy_host': region_host(self.region_id),
            'branch_logical_size_limit': 0,
            'branch_logical_size_limit_bytes': -1,
            'store_passwords': True,
            'active_time': 0,
            'cpu_used_sec': 0,
            'creation_source': 'console',
            'history_retention_seconds': 86400,
            'owner_id': 'emulator-user',
            'created_at': self.created_at,
            'updated_at': self.updated_at,
        }
        if self.org_id:
            result['org_id'] = self.org_id
        return result


class State:
    """All projects, in seed order."""

    def __init__(self):
        self.projects = {}
        self._database_ids = itertools.count(1)

    def next_database_id(self):
        """Neon database ids are integers."""
        return next(self._database_ids)

    def project(self, project_id):
        """The project or ApiError 404."""
        project = self.projects.get(project_id)
        if project is None:
            raise ApiError(404, 'project %s not found' % project_id)
        return project

    def branch(self, project, branch_id):
        """The branch of ``project`` or ApiError 404."""
        branch = project.branches.get(branch_id)
        if branch is None:
            raise ApiError(404, 'branch %s not found in project %s' % (branch_id, project.id))
        return branch

    def branch_ids(self):
        """Every branch id (branch ids are unique across projects)."""
        return {branch_id for project in self.projects.values() for branch_id in project.branches}


class SeedError(ValueError):
    """The seed file is wrong; the message says where."""


def load_seed(path):
    """Read and parse the seed JSON file."""
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise SeedError('cannot read seed file %s: %s' % (path, exc)) from None


def state_from_seed(seed):
    """Build a State from seed data; return ``(state, seeded_auth)``.

    ``seeded_auth`` lists ``(project, branch, users)`` for branches whose seed enables Neon Auth; the caller
    creates their schema and users in the database.
    """
    if not isinstance(seed, dict) or not isinstance(seed.get('projects'), list):
        raise SeedError('seed must be an object with a "projects" list')
    state = State()
    seeded_auth = []
    org_id = seed.get('org_id')
    for index, spec in enumerate(seed['projects']):
        where = 'projects[%d]' % index
        project_id = _seed_id(spec, where)
        if project_id in state.projects:
            raise SeedError('%s: duplicate project id %s' % (where, project_id))
        project = Project(project_id, spec.get('name', project_id), spec.get('region_id', 'aws-us-east-2'),
                          spec.get('org_id', org_id), spec.get('pg_version', 17), spec.get('created_at'))
        state.projects[project_id] = project
        branches = spec.get('branches') or [{'id': 'br-main-' + hashlib.sha256(project_id.encode('utf-8')).hexdigest()[:8],
                                             'name': 'main', 'default': True}]
        for branch_index, branch_spec in enumerate(branches):
            branch_where = '%s.branches[%d]' % (where, branch_index)
            branch = _seed_branch(state, project, branch_spec, branch_where)
            auth = branch_spec.get('auth')
            if auth:
                provider = auth.get('auth_provider')
                db_name = auth.get('database_name') or branch.default_database_name()
                if provider not in AUTH_PROVIDERS or db_name not in branch.databases:
                    raise SeedError('%s.auth: auth_provider must be one of %s and database_name a database of the branch'
                                    % (branch_where, ', '.join(AUTH_PROVIDERS)))
                branch.auth = Integration(project, branch, provider, db_name, auth.get('created_at', branch.created_at))
                branch.auth.owned_by = auth.get('owned_by', 'neon')
                branch.auth.transfer_status = auth.get('transfer_status')
                seeded_auth.append((project, branch, list(auth.get('users') or [])))
        defaults = [branch for branch in project.branches.values() if branch.default]
        if len(defaults) != 1:
            raise SeedError('%s: exactly one branch must have "default": true' % where)
    return state, seeded_auth


def _seed_id(spec, where):
    if not isinstance(spec, dict) or not isinstance(spec.get('id'), str) or not NEON_ID_PATTERN.match(spec['id']):
        raise SeedError('%s: "id" must match ^[a-z0-9-]{1,60}$' % where)
    return spec['id']


def _seed_branch(state, project, spec, where):
    branch_id = _seed_id(spec, where)
    if branch_id in state.branch_ids():
        raise SeedError('%s: duplicate branch id %s' % (where, branch_id))
    branch = Branch(branch_id, project.id, spec.get('name', branch_id), spec.get('parent_id'),
                    bool(spec.get('default', False)), bool(spec.get('protected', False)), spec.get('created_at'))
    for role in spec.get('roles') or [{'name': 'neondb_owner'}]:
        branch.roles[role['name']] = Role(role['name'], bool(role.get('protected', False)), branch.created_at)
    for database in spec.get('databases') or [{'name': 'neondb', 'owner_name': 'neondb_owner'}]:
        if database['owner_name'] not in branch.roles:
            raise SeedError('%s: database %s is owned by unknown role %s' % (where, database['name'], database['owner_name']))
        branch.databases[database['name']] = Database(state.next_database_id(), database['name'], database['owner_name'],
                                                      branch.created_at)
    project.branches[branch_id] = branch
    return branch
