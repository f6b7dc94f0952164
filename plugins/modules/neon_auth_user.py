#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: neon_auth_user
short_description: Create or delete Neon Auth users, one or many at a time
version_added: 0.1.0
description:
  - Creates or deletes users of Neon Auth, the authentication service of Neon serverless Postgres, and sets the roles of
    Better Auth users.
  - With O(auth_provider=better_auth) (the default) users belong to a branch and the branch-scoped endpoints
    C(POST /projects/{project_id}/branches/{branch_id}/auth/users), C(DELETE .../auth/users/{id}) and
    C(PUT .../auth/users/{id}/role) are used.
  - With O(auth_provider=stack) the deprecated, project-level Stack Auth endpoints C(POST /projects/auth/user) and
    C(DELETE /projects/{project_id}/auth/users/{id}) are used.
  - Neon Auth must already be set up for the project or branch (see M(community.neon.neon_auth_integration)); this
    module fails before any write otherwise and never sets it up itself.
  - B(How the module knows whether a user exists.) Neon has no API to list or read users, so the module reads them
    from the branch database, where Neon Auth keeps them (C(neon_auth."user") for Better Auth,
    C(neon_auth.users_sync) for Stack Auth, rows with C(deleted_at) unset). This needs a PostgreSQL driver for Python on
    the host that runs the module (psycopg 3, psycopg2 or pg8000, whichever is installed) and a way in, either O(database_url)
    or else a connection URI the module asks Neon for (C(GET /projects/{project_id}/connection_uri), as the owner of
    the database). One query reads all users of the task; another is made only after a write Neon did not confirm, or
    while waiting for Stack Auth's sync (see O(sync_timeout)). This is the V(database) path.
  - Without a driver or without database access, the module takes the V(api) path. It creates the user and reads
    Neon's "this email already exists" answer (HTTP 400, 409 or 422 whose message says the email exists, is a
    duplicate or is already taken) as "the user is there". Any other error fails. Deleting then needs the user's O(id).
    Names and roles of existing users cannot be compared on this path, and a delete that Neon answers with success
    cannot be told from one of a user already gone. The result's RV(existence_source) says which path was taken and
    RV(existence_note) why.
  - Emails are compared trimmed and case-insensitively. Neon cannot rename a user; a differing name of an existing user
    is reported in a warning and left as it is.
  - O(users) handles many users in one task, with one API session and one database query, paced under Neon's rate limit
    of 700 requests a minute (an answer HTTP 429 is waited out and retried). Each user's outcome is in RV(users).
  - A write that fails in a way that may have been applied (a 5xx answer, a timeout, a dropped connection) is never
    repeated blindly. The module reads the database again, or on the V(api) path repeats the create and reads the
    "already exists" answer, so a user is never created twice.
author:
  - community.neon contributors (@ansible-collections)
extends_documentation_fragment:
  - community.neon._neon
  - community.neon._neon.actiongroup
attributes:
  check_mode:
    description:
      - Reads the users and reports what would change; sends no write request.
      - On the V(api) path existence cannot be read, so check mode reports the create or delete a real run would try.
    support: full
  diff_mode:
    description: Shows the requested users before and after (email, name, roles). No id, no URL, no password.
    support: full
options:
  project_id:
    description: The Neon project id, for example V(winter-sound-12345678).
    type: str
    required: true
  branch_id:
    description:
      - The branch whose users are managed (O(auth_provider=better_auth)). When omitted, the project's default branch is
        used.
      - For O(auth_provider=stack) users belong to the project; the branch only tells which database to read them from,
        and defaults to the branch of the Stack integration.
    type: str
  auth_provider:
    description:
      - V(better_auth) uses the current branch-scoped API; V(stack) the legacy Stack Auth integration.
    type: str
    choices: [better_auth, stack]
    default: better_auth
  email:
    description:
      - The email of one user, the user's identity. Compared trimmed and case-insensitively; sent trimmed.
      - At most 256 characters. Exactly one of O(email) and O(users) is required.
    type: str
  name:
    description:
      - The display name of the user of O(email), 1 to 255 characters. Used when the user is created.
      - When omitted, Neon chooses (Neon documents that the user then has no display name).
    type: str
  roles:
    description:
      - The roles of the user of O(email) (Better Auth only), for example V([admin]). Built-in roles are V(user) and
        V(admin); others are accepted too. At least one role; a role may not contain a comma.
      - The list replaces the user's roles (C(PUT .../auth/users/{id}/role)), in any order. When omitted, roles are left
        alone.
      - Roles of an existing user are compared only on the V(database) path.
    type: list
    elements: str
  id:
    description:
      - The id Neon gave the user of O(email) (the RV(users[].id) of the task that created it).
      - Needed for O(state=absent) on the V(api) path. On the V(database) path it is optional, and checked against the
        database, so the wrong user is never deleted.
    type: str
    aliases: [user_id]
  state:
    description:
      - Whether the user should exist (V(present)) or not (V(absent)).
      - With O(users), the default of entries that have no O(users[].state).
    type: str
    choices: [present, absent]
    default: present
  users:
    description:
      - Many users at once, instead of O(email). Each entry is one user; entries with the same email (trimmed,
        case-insensitively) must be identical and are sent once (the others are reported as V(duplicate)).
      - Conflicting entries, and any invalid entry, fail the task before any write.
    type: list
    elements: dict
    suboptions:
      email:
        description: The user's email, as O(email).
        type: str
        required: true
      name:
        description: The user's display name, as O(name).
        type: str
      roles:
        description: The user's roles, as O(roles).
        type: list
        elements: str
      state:
        description: V(present) or V(absent); O(state) when omitted.
        type: str
        choices: [present, absent]
      id:
        description: The user's id, as O(id).
        type: str
  existence_check:
    description:
      - How to find out whether a user exists.
      - V(database) reads the users from the database and fails when it cannot.
      - V(api) never connects to the database (see the description for what that cannot tell).
      - V(auto) takes the V(database) path when a driver is installed and the database can be read, else the V(api)
        path with a warning that says why.
    type: str
    choices: [auto, database, api]
    default: auto
  database_url:
    description:
      - A PostgreSQL URL of the database that holds the C(neon_auth) schema, for example
        C(postgresql://neondb_owner:PASSWORD@ep-example.us-east-1.aws.neon.tech/neondb?sslmode=require).
      - When omitted, the module asks Neon for a connection URI of the database owner.
      - A secret; it never appears in the output. Keep it in a vault.
    type: str
  database_name:
    description:
      - The database that holds the C(neon_auth) schema, when the module asks Neon for the connection URI.
      - Defaults to the database of the Neon Auth integration, else the branch's default database.
    type: str
  sync_timeout:
    description:
      - Stack Auth copies users into C(neon_auth.users_sync) asynchronously (Neon says "usually less than 1 second").
        After creating or deleting Stack users on the V(database) path, the module waits up to this many seconds for the
        table to show the change, so that the next task reads it.
      - If it does not, the task warns and still succeeds (a following task will not create a user twice either).
      - V(0) does not wait. Better Auth writes its table at once; nothing is waited for.
    type: int
    default: 10
notes:
  - On the V(database) path the module sends one read-only query; it never writes to the database.
  - For hundreds of users use O(users) in one task rather than a loop of tasks. A loop opens a session and reads the
    integration for every user, and spends Neon's rate limit (700 requests a minute) accordingly.
  - When O(database_url) is passed, put C(no_log) on the task or keep the URL in a vault; the module hides the URL and
    its password, but a play that templates it into other places does not.
requirements:
  - For the V(database) path, one of the Python packages C(psycopg) (3), C(psycopg2) or C(pg8000).
seealso:
  - module: community.neon.neon_auth_integration
'''

EXAMPLES = r'''
- name: Create a Better Auth user on the project's default branch
  community.neon.neon_auth_user:
    project_id: winter-sound-12345678
    email: alice@example.com
    name: Alice
    roles: [admin]
  register: alice

- name: Delete a user (found by email in the database)
  community.neon.neon_auth_user:
    project_id: winter-sound-12345678
    email: alice@example.com
    state: absent

- name: Delete a user without database access (needs the id the create returned)
  community.neon.neon_auth_user:
    project_id: winter-sound-12345678
    email: alice@example.com
    id: "{{ alice.users[0].id }}"
    existence_check: api
    state: absent

- name: Create many users in one task (one session, one database query)
  community.neon.neon_auth_user:
    project_id: winter-sound-12345678
    branch_id: br-preview-12345678
    users:
      - email: bob@example.com
        name: Bob
      - email: carol@example.com
        name: Carol
        roles: [user, billing]
      - email: mallory@example.com
        state: absent
  register: bulk

- name: Show what happened to each user
  ansible.builtin.debug:
    msg: "{{ bulk.users | map(attribute='action') | list }}"

- name: Create users from a file, reading them through a given database URL
  community.neon.neon_auth_user:
    project_id: winter-sound-12345678
    users: "{{ lookup('ansible.builtin.file', 'users.json') | from_json }}"
    database_url: "{{ vault_neon_database_url }}"
    existence_check: database
  # The URL is hidden by the module; no_log keeps it out of anything else the task shows.
  no_log: true

- name: Stack Auth (legacy) user
  community.neon.neon_auth_user:
    project_id: winter-sound-12345678
    auth_provider: stack
    email: dave@example.com
    name: Dave
'''

RETURN = r'''
users:
  description:
    - One entry per entry of O(users) (or the one user of O(email)), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    email:
      description: The email, trimmed, as given.
      type: str
      sample: alice@example.com
    name:
      description: The name asked for (or, for an existing user read from the database, the name Neon has).
      type: str
      sample: Alice
    roles:
      description: The roles asked for, or those read from the database.
      type: list
      elements: str
      sample: [admin]
    state:
      description: The state asked for.
      type: str
      sample: present
    id:
      description: The user's id, when known (returned by Neon on creation, read from the database, or given).
      type: str
      sample: 6f1c2a9e-3b0d-4f5e-9a7c-1d2e3f4a5b6c
    action:
      description:
        - What happened (in check mode, what would happen).
        - V(created), V(updated) (roles replaced), V(deleted) change something; V(present) and V(absent) mean it already
          was so; V(duplicate) is a repeated entry of O(users) (see RV(users[].duplicate_of)); V(failed) comes with
          RV(users[].reason); V(skipped) means the task stopped before this user (RV(users[].reason) says why).
      type: str
      sample: created
    changed:
      description: Whether this user was changed.
      type: bool
      sample: true
    duplicate_of:
      description: For V(duplicate), the index in O(users) of the entry that was acted on.
      type: int
      returned: for duplicates
      sample: 0
    reason:
      description: Why the user failed or was skipped, or a note on how the outcome was decided.
      type: str
      returned: when there is something to say
      sample: Neon answered that the email already exists (HTTP 409)
user:
  description: With O(email), the one entry of RV(users).
  returned: when O(email) was given
  type: dict
  sample:
    email: alice@example.com
    name: Alice
    state: present
    action: created
    changed: true
    id: 6f1c2a9e-3b0d-4f5e-9a7c-1d2e3f4a5b6c
summary:
  description: How many users ended with each action.
  returned: always
  type: dict
  sample: {created: 2, present: 1, absent: 1}
existence_source:
  description: V(database) when existence was read from the database, V(api) when it was inferred from API answers.
  returned: always
  type: str
  sample: database
existence_note:
  description: Why RV(existence_source) was chosen (for example, which driver read the database, or why it could not).
  returned: always
  type: str
  sample: read from neon_auth."user" in database neondb with psycopg
project_id:
  description: The project acted on.
  returned: always
  type: str
  sample: winter-sound-12345678
branch_id:
  description: The branch whose users were managed (Better Auth) or read (Stack Auth), when one was resolved.
  returned: when a branch was resolved
  type: str
  sample: br-main-12345678
branch_chosen:
  description: V(given) when O(branch_id) was set, V(default) when the project's default branch was used (Better Auth).
  returned: when a branch was resolved for O(auth_provider=better_auth)
  type: str
  sample: default
database_name:
  description: The database the users were read from, when Neon was asked for its connection URI.
  returned: when the database path used the API's connection URI
  type: str
  sample: neondb
'''

import re
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.community.neon.plugins.module_utils._api import NeonAPIError, RetryBudgetExhausted
from ansible_collections.community.neon.plugins.module_utils._auth import BETTER_AUTH, STACK, require_integration
from ansible_collections.community.neon.plugins.module_utils._module import (
    AUTH_PROVIDERS,
    NeonModule,
    email_problem,
    name_problem,
    normalize_email,
)
from ansible_collections.community.neon.plugins.module_utils._users_db import (
    MISSING_DRIVER,
    ExistingUsers,
    UsersDBError,
    connection_uri,
    find_driver,
    read_users,
    url_problem,
    url_secrets,
)

DATABASE = 'database'
API = 'api'

# An id goes into a URL path: letters, digits, '-' and '_' only (Neon's ids are UUIDs).
USER_ID_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$')

# Neon does not document its answer to a duplicate email; these are the plausible ones, and the message must say so.
DUPLICATE_STATUSES = frozenset([400, 409, 422])
DUPLICATE_WORDS = ('exist', 'already', 'duplicate', 'taken', 'in use', 'unique')
NOT_DUPLICATE = re.compile(r"(does not|doesn't|not) exist|no such|not found", re.IGNORECASE)

# Failures that would hit every following user too: stop instead of sending hundreds of doomed requests.
STOP_STATUSES = frozenset([401, 403, 404, 410])

SYNC_POLL_SECONDS = 0.5
LISTED_IN_WARNING = 10

CHANGING_ACTIONS = frozenset(['created', 'updated', 'deleted'])


def is_duplicate_email_error(error):
    """Whether a failed create means "a user with this email already exists"."""
    if error.status not in DUPLICATE_STATUSES:
        return False
    text = '%s %s' % (error.code or '', error.message or '')
    if NOT_DUPLICATE.search(text):
        return False
    text = text.lower()
    return any(word in text for word in DUPLICATE_WORDS)


def normalize_roles(roles):
    if roles is None:
        return None
    found = []
    for role in roles:
        role = (role or '').strip()
        if role not in found:
            found.append(role)
    return found


def same_roles(first, second):
    return sorted(first or []) == sorted(second or [])


def short_list(items):
    items = list(items)
    text = ', '.join(items[:LISTED_IN_WARNING])
    if len(items) > LISTED_IN_WARNING:
        text += ' and %d more' % (len(items) - LISTED_IN_WARNING)
    return text


def wanted_users(params):
    """The users asked for, checked; returns (entries, problems). Nothing here needs a request.

    Each entry: pos (its place in the list), index (in the users option), label, email (trimmed), key (normalized
    email), name, roles, state, id, duplicate_of.
    """
    provider = params['auth_provider']
    if params.get('users') is not None:
        raw = [(index, 'users[%d]' % index, item) for index, item in enumerate(params['users'])]
    else:
        raw = [(None, 'email', dict(email=params['email'], name=params['name'], roles=params['roles'], id=params['id']))]
    entries = []
    problems = []
    for index, label, item in raw:
        email = (item.get('email') or '').strip()
        entry = dict(pos=len(entries), index=index, label=label, email=email, key=normalize_email(email), name=item.get('name'),
                     roles=normalize_roles(item.get('roles')), state=item.get('state') or params['state'],
                     id=item.get('id'), duplicate_of=None)
        where = '%s (%s)' % (label, email) if index is not None and email else label
        problem = email_problem(email)
        if problem:
            problems.append('%s: the email %s' % (where, problem))
        problem = name_problem(entry['name'])
        if problem:
            problems.append('%s: the name %s' % (where, problem))
        if entry['roles'] is not None:
            if provider == STACK:
                problems.append('%s: roles are a Better Auth feature; Stack Auth users have none' % where)
            elif not entry['roles']:
                problems.append('%s: roles needs at least one role (Neon replaces the whole list); omit it to leave '
                                'roles alone' % where)
            elif [role for role in entry['roles'] if not role or ',' in role]:
                problems.append('%s: a role may be neither empty nor contain a comma' % where)
        if entry['id'] is not None and not USER_ID_PATTERN.match(entry['id']):
            problems.append('%s: the id %r is not a Neon Auth user id (letters, digits, - and _ only)' % (where, entry['id']))
        entries.append(entry)
    problems.extend(mark_duplicates(entries))
    return entries, problems


def mark_duplicates(entries):
    """Mark repeated emails as duplicates of their first entry; entries that disagree are problems."""
    problems = []
    first = {}
    for entry in entries:
        if not entry['key']:
            continue
        seen = first.get(entry['key'])
        if seen is None:
            first[entry['key']] = entry
            continue
        mine = (entry['name'], sorted(entry['roles']) if entry['roles'] is not None else None, entry['state'], entry['id'])
        theirs = (seen['name'], sorted(seen['roles']) if seen['roles'] is not None else None, seen['state'], seen['id'])
        if mine != theirs:
            fields = [field for field, a, b in zip(('name', 'roles', 'state', 'id'), mine, theirs) if a != b]
            problems.append('%s and %s are the same email (%s) but differ in %s: keep one of them' % (
                seen['label'], entry['label'], entry['key'], ', '.join(fields)))
        else:
            entry['duplicate_of'] = seen['index']
    return problems


def plan_user(entry, existing, provider, source):
    """What to do for one user: a dict with op (create/delete/set_roles/None), action, ids, before, problem, note.

    `existing` is an ExistingUsers read from the database, or None on the api path.
    """
    step = dict(op=None, action=None, ids=[], before=None, problem=None, note=None, name_differs=False)
    if source == API:
        if entry['state'] == 'present':
            step.update(op='create', action='created')
        elif entry['id']:
            step.update(op='delete', action='deleted', ids=[entry['id']])
        else:
            step['problem'] = 'deleting a user without database access needs its id'
        return step

    active = existing.active(entry['email'])
    if active:
        step['before'] = active[0]
    if entry['state'] == 'present':
        if not active:
            step.update(op='create', action='created')
            return step
        row = active[0]
        step.update(action='present', ids=[row['id']])
        if entry['name'] is not None and (row['name'] or '') != entry['name']:
            step['name_differs'] = True
        if entry['roles'] is not None and provider == BETTER_AUTH and not same_roles(entry['roles'], row['roles']):
            step.update(op='set_roles', action='updated')
        return step

    if active:
        ids = [row['id'] for row in active]
        if entry['id'] and entry['id'] not in ids:
            step['problem'] = 'the id %s is not the id of %s (the database has %s): nothing deleted' % (
                entry['id'], entry['email'], ', '.join(ids))
            return step
        step.update(op='delete', action='deleted', ids=ids)
        return step
    if entry['id']:
        for row in existing.by_id(entry['id']):
            if not row['deleted']:
                step['problem'] = 'the id %s belongs to another user (%s): nothing deleted' % (entry['id'], row['email'])
                return step
        if provider == STACK and not existing.any_row(entry['email']) and not existing.by_id(entry['id']):
            # Not in users_sync at all: perhaps created a moment ago and not synced yet. Neon's answer decides.
            step.update(op='delete', action='deleted', ids=[entry['id']],
                        note='not in neon_auth.users_sync yet; Neon answered the delete')
            return step
    step['action'] = 'absent'
    if provider == STACK and not existing.any_row(entry['email']):
        step['note'] = 'not in neon_auth.users_sync (a user created moments ago may not have been synced yet)'
    return step


def planned_outcome(entry, step):
    """The outcome of a user as planned (before Neon's answer, or in check mode)."""
    return dict(action=step['action'], id=step['ids'][0] if step['ids'] else entry['id'], reason=step['note'])


class StopRun(Exception):
    """A failure that every following request would repeat (bad key, gone project, rate limit budget spent)."""

    def __init__(self, error):
        super(StopRun, self).__init__(str(error))
        self.error = error


class UserRun(object):
    def __init__(self, neon):
        self.neon = neon
        params = neon.params
        self.params = params
        self.project_id = params['project_id']
        self.provider = params['auth_provider']
        self.branch = None
        self.integration = None
        self.source = None
        self.note = None
        self.driver = find_driver()
        self.database_url = None
        self.result = dict(changed=False, project_id=self.project_id)
        self.entries = []
        self.outcomes = {}

    # -- checks before any request -------------------------------------------------------------

    def validate(self):
        entries, problems = wanted_users(self.params)
        mode = self.params['existence_check']
        url = self.params['database_url']
        if url is not None:
            self.neon.hide(*url_secrets(url))
            problem = url_problem(url)
            if problem:
                problems.append('database_url %s' % problem)
        if mode == DATABASE and not self.driver:
            self.neon.fail(missing_required_lib(MISSING_DRIVER) + ' (existence_check=database reads the users from '
                           'the database; use existence_check=api to go without)')
        if mode == API or not self.driver:
            for entry in entries:
                if entry['state'] == 'absent' and not entry['id'] and entry['duplicate_of'] is None:
                    problems.append('%s (%s): state=absent needs the user\'s id when the database cannot be read (%s)' % (
                        entry['label'], entry['email'],
                        'existence_check=api' if mode == API else 'no PostgreSQL driver installed'))
        if problems:
            self.neon.fail('Invalid input, nothing was sent: %s' % '; '.join(problems), problems=problems)
        if mode == API and url:
            self.neon.warn('database_url is not used with existence_check=api')
        self.entries = entries

    # -- where the users are -------------------------------------------------------------------

    def resolve(self):
        if self.provider == BETTER_AUTH:
            branch, chosen = self.neon.resolve_branch(self.project_id, self.params['branch_id'])
            self.branch = branch['id']
            self.result.update(branch_id=self.branch, branch_chosen=chosen)
            self.integration = require_integration(self.neon, self.project_id, BETTER_AUTH, self.branch)
        else:
            self.integration = require_integration(self.neon, self.project_id, STACK)
            # Stack users belong to the project; a branch only matters for reading its database.
            self.branch = self.params['branch_id'] or self.integration.get('branch_id')
            if self.branch:
                self.result['branch_id'] = self.branch

    def choose_source(self):
        """Read the users from the database if possible (and allowed); returns ExistingUsers or None."""
        mode = self.params['existence_check']
        if mode == API:
            self.source, self.note = API, 'existence_check=api'
            return None
        if not self.driver:
            return self.fall_back('no PostgreSQL driver for Python (psycopg, psycopg2 or pg8000) is installed')
        try:
            existing = self.read_existing(self.wanted_emails(), self.wanted_ids())
        except UsersDBError as exc:
            if mode == DATABASE:
                if exc.api_error is not None:
                    self.neon.fail_api(exc.api_error, 'Could not reach the database to read the users')
                self.neon.fail('Could not read the users from the database: %s' % exc.message)
            return self.fall_back('the database could not be read: %s' % exc.message)
        self.source = DATABASE
        table = 'neon_auth.users_sync' if self.provider == STACK else 'neon_auth."user"'
        where = 'database %s' % self.result['database_name'] if 'database_name' in self.result else 'database_url'
        self.note = 'read from %s in %s with %s' % (table, where, self.driver)
        return existing

    def fall_back(self, why):
        self.source = API
        self.note = '%s; used the API only' % why
        self.neon.warn('Existence of users was not read from the database (%s). Existing users are recognised by '
                       'Neon\'s "already exists" answer; names and roles of existing users are not compared; deleting '
                       'needs the id.' % why)
        missing_id = [e['email'] for e in self.entries
                      if e['state'] == 'absent' and not e['id'] and e['duplicate_of'] is None]
        if missing_id:
            self.neon.fail('state=absent needs the user\'s id when the database cannot be read (%s); nothing was sent '
                           'for: %s' % (why, short_list(missing_id)))
        return None

    def wanted_emails(self):
        return [e['email'] for e in self.entries if e['duplicate_of'] is None]

    def wanted_ids(self):
        return [e['id'] for e in self.entries if e['id'] and e['duplicate_of'] is None]

    def read_existing(self, emails, ids):
        if self.database_url is None:
            if self.params['database_url']:
                self.database_url = self.params['database_url']
            else:
                if not self.branch:
                    branch, dummy = self.neon.resolve_branch(self.project_id, None)
                    self.branch = branch['id']
                    self.result['branch_id'] = self.branch
                name = self.params['database_name'] or self.integration.get('db_name')
                self.database_url, name = connection_uri(self.neon, self.project_id, self.branch, name)
                self.result['database_name'] = name
        return read_users(self.driver, self.database_url, self.provider, emails, ids,
                          timeout=self.params['api_timeout'])

    # -- writes --------------------------------------------------------------------------------

    def users_path(self, user_id=None):
        if self.provider == STACK:
            base = '/projects/%s/auth/users' % self.project_id
        else:
            base = '/projects/%s/branches/%s/auth/users' % (self.project_id, self.branch)
        return base if user_id is None else '%s/%s' % (base, user_id)

    def send_write(self, what, method, path, body, expect, applied):
        """Send one write so that it takes effect once. Returns (response, note); raises NeonAPIError.

        On the database path NeonClient.write reads the database back (applied()) after an ambiguous failure and sends
        again only if the write is not there. On the api path there is nothing to read: the write is sent once more and
        Neon's answer decides (a create that did happen is answered "already exists", a delete that did happen 404).
        note says when Neon did not confirm the first attempt; a NeonAPIError raised after such an attempt has
        after_unconfirmed=True.
        """
        unconfirmed = []

        def read_back():
            unconfirmed.append(True)
            return applied()

        try:
            try:
                resp = self.neon.client.write(method, path, body=body, expect=expect,
                                              applied=read_back if self.source == DATABASE else None)
            except NeonAPIError as exc:
                if not exc.ambiguous or self.source == DATABASE:
                    raise
                unconfirmed.append(True)
                resp = self.neon.client.request(method, path, body=body, expect=expect)
        except NeonAPIError as exc:
            exc.after_unconfirmed = bool(unconfirmed)
            raise
        if not unconfirmed:
            return resp, None
        note = 'Neon did not confirm the %s; ' % what
        return resp, note + ('the database shows it done' if resp.status is None else 'a second attempt succeeded')

    def read_back(self, emails, ids):
        """The users again, after a write Neon did not confirm; nothing when the database cannot be read (the write
        is then sent again, which Neon answers as "already exists" or 404 if it did take effect)."""
        try:
            return self.read_existing(emails, ids)
        except UsersDBError as exc:
            self.neon.warn('Could not read the database back after a write Neon did not confirm: %s' % exc.message)
            return ExistingUsers()

    def send_create(self, entry):
        """POST the user. Returns (action, id, reason), the action being created or present."""
        body = dict(email=entry['email'])
        if entry['name'] is not None:
            body['name'] = entry['name']
        if self.provider == STACK:
            body.update(project_id=self.project_id, auth_provider=STACK)
            path = '/projects/auth/user'
        else:
            path = self.users_path()
        found = {}

        def applied():
            rows = self.read_back([entry['email']], []).active(entry['email'])
            found.update(rows[0] if rows else {})
            return bool(rows)

        try:
            resp, note = self.send_write('create', 'POST', path, body, (200, 201), applied)
        except NeonAPIError as exc:
            if not is_duplicate_email_error(exc):
                raise
            if getattr(exc, 'after_unconfirmed', False):
                # The first attempt did take effect (or someone created the same user meanwhile).
                return 'created', None, 'Neon did not confirm the create; a second attempt found it done'
            return 'present', None, 'Neon answered that the email already exists (HTTP %s)' % exc.status
        if resp.status is None:
            return 'created', found.get('id'), note
        return 'created', str((resp.data or {}).get('id') or '') or None, note

    def send_delete(self, entry, user_id):
        """DELETE the user. Returns (whether this task deleted it, reason)."""
        def applied():
            rows = self.read_back([entry['email']], [user_id]).by_id(user_id)
            return not [row for row in rows if not row['deleted']]

        resp, note = self.send_write('delete', 'DELETE', self.users_path(user_id), None, (200, 204, 404), applied)
        if resp.status == 404:
            if note:
                return True, 'Neon did not confirm the delete; a second attempt found it done'
            return False, 'already deleted (Neon answered 404)'
        return True, note

    def send_roles(self, user_id, roles):
        path = self.users_path(user_id) + '/role'
        try:
            self.neon.client.request('PUT', path, body=dict(roles=roles), expect=(200, 201, 204))
        except NeonAPIError as exc:
            if not exc.ambiguous:
                raise
            # A PUT replaces the whole list, so sending it again is harmless.
            self.neon.client.request('PUT', path, body=dict(roles=roles), expect=(200, 201, 204))

    @staticmethod
    def stop_if_general(exc, op):
        """Raise StopRun for a failure every following request would repeat (a 404 only counts for a create)."""
        if isinstance(exc, RetryBudgetExhausted) or exc.status in STOP_STATUSES or (exc.status is None and not exc.ambiguous):
            if exc.status != 404 or op == 'create':
                raise StopRun(exc)

    def execute(self, entry, step):
        """Carry out one planned write; returns the outcome dict."""
        outcome = planned_outcome(entry, step)
        try:
            if step['op'] == 'create':
                action, user_id, reason = self.send_create(entry)
                outcome.update(action=action, id=user_id, reason=reason)
                if entry['roles'] is not None and action == 'created':
                    self.set_roles_after_create(entry, outcome)
                elif entry['roles'] is not None:
                    outcome['reason'] = reason + '; its roles were not compared (its id is not known to this task)'
            elif step['op'] == 'delete':
                answers = [self.send_delete(entry, user_id) for user_id in step['ids']]
                if not [deleted for deleted, dummy in answers if deleted]:
                    outcome['action'] = 'absent'
                outcome['reason'] = '; '.join(reason for dummy, reason in answers if reason) or step['note']
            elif step['op'] == 'set_roles':
                self.send_roles(step['ids'][0], entry['roles'])
        except NeonAPIError as exc:
            self.stop_if_general(exc, step['op'])
            reason = str(exc)
            if exc.ambiguous:
                reason = 'Neon did not confirm the %s, twice; run the task again to settle it: %s' % (step['op'], exc)
            outcome.update(action='failed', reason=reason)
        return outcome

    def set_roles_after_create(self, entry, outcome):
        if not outcome['id']:
            outcome['reason'] = 'created, but its id is not known, so the roles were not set'
            outcome['failed'] = True
            return
        try:
            self.send_roles(outcome['id'], entry['roles'])
        except NeonAPIError as exc:
            # The user exists now: report it, and let the next user's request stop the run if the failure is general.
            outcome['reason'] = 'created, but setting its roles failed: %s' % exc
            outcome['failed'] = True

    # -- the run -------------------------------------------------------------------------------

    def run(self):
        self.validate()
        self.resolve()
        existing = self.choose_source()
        self.result.update(existence_source=self.source, existence_note=self.note)
        plans = []
        problems = []
        for entry in self.entries:
            if entry['duplicate_of'] is not None:
                continue
            step = plan_user(entry, existing, self.provider, self.source)
            if step['problem']:
                problems.append('%s (%s): %s' % (entry['label'], entry['email'], step['problem']))
            plans.append((entry, step))
        if problems:
            self.neon.fail('Nothing was changed: %s' % '; '.join(problems), problems=problems)
        self.warn_names(plans)

        writes = [(entry, step) for entry, step in plans if step['op']]
        # Users with nothing to do (and, in check mode, every user) end as planned.
        for entry, step in plans:
            if not step['op'] or self.neon.check_mode:
                self.outcomes[entry['pos']] = planned_outcome(entry, step)
        stopped = None
        if self.neon.check_mode:
            if self.source == API and writes:
                self.neon.warn('Check mode without database access cannot tell which users exist: it reports the '
                               'creates and deletes a real run would try.')
        else:
            stopped = self.write_all(writes)
        if not self.neon.check_mode and stopped is None:
            self.wait_for_sync()
        self.finish(plans, stopped)

    def write_all(self, writes):
        """Send the planned writes in order; returns the error that stopped the run, or None."""
        for position, (entry, step) in enumerate(writes):
            try:
                self.outcomes[entry['pos']] = self.execute(entry, step)
            except StopRun as stop:
                for later, dummy in writes[position:]:
                    self.outcomes[later['pos']] = dict(action='skipped', id=later['id'], reason='not attempted: %s' % stop.error)
                return stop.error
        return None

    def wait_for_sync(self):
        """Stack: wait (bounded) until users_sync shows what this task created and deleted."""
        if self.provider != STACK or self.source != DATABASE or self.params['sync_timeout'] <= 0:
            return
        created = dict((o['id'], e['email']) for e, o in self.entry_outcomes() if o['action'] == 'created' and o.get('id'))
        deleted = set(o['id'] for e, o in self.entry_outcomes() if o['action'] == 'deleted' and o.get('id'))
        if not created and not deleted:
            return
        deadline = time.monotonic() + self.params['sync_timeout']
        waiting = set(created) | deleted
        while waiting:
            try:
                rows = self.read_existing(list(created.values()), list(waiting))
            except UsersDBError as exc:
                self.neon.warn('Could not check that Stack Auth synced the users: %s' % exc.message)
                return
            waiting = set(user_id for user_id in created if not [r for r in rows.by_id(user_id) if not r['deleted']])
            waiting |= set(user_id for user_id in deleted if [r for r in rows.by_id(user_id) if not r['deleted']])
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(SYNC_POLL_SECONDS)
        if waiting:
            self.neon.warn('%d Stack Auth users were not yet synced to neon_auth.users_sync after %s s; a following task '
                           'may not see the change yet (it will still not create a user twice).'
                           % (len(waiting), self.params['sync_timeout']))

    def warn_names(self, plans):
        differing = [entry['email'] for entry, step in plans if step['name_differs']]
        if differing:
            self.neon.warn('Neon cannot rename a user; these users exist with another name, left as it is: %s'
                           % short_list(differing))

    # -- the result ----------------------------------------------------------------------------

    def entry_outcomes(self):
        for entry in self.entries:
            if entry['duplicate_of'] is None and entry['pos'] in self.outcomes:
                yield entry, self.outcomes[entry['pos']]

    def finish(self, plans, stopped):
        steps = dict((entry['pos'], step) for entry, step in plans)
        by_index = dict((entry['index'], entry) for entry in self.entries)
        users = []
        summary = {}
        failed = []
        for entry in self.entries:
            if entry['duplicate_of'] is not None:
                first = self.outcomes.get(by_index[entry['duplicate_of']]['pos'], {})
                item = dict(action='duplicate', changed=False, duplicate_of=entry['duplicate_of'], id=first.get('id'),
                            reason='same email as users[%d], sent once' % entry['duplicate_of'])
            else:
                outcome = self.outcomes.get(entry['pos'], dict(action='skipped', reason='not attempted'))
                item = dict(action=outcome['action'], id=outcome.get('id'), reason=outcome.get('reason'),
                            changed=outcome['action'] in CHANGING_ACTIONS)
                if outcome['action'] in ('failed', 'skipped') or outcome.get('failed'):
                    failed.append('%s (%s): %s' % (entry['label'], entry['email'], outcome.get('reason')))
            before = steps.get(entry['pos'], {}).get('before')
            item.update(email=entry['email'], state=entry['state'])
            name = entry['name'] if entry['name'] is not None else (before or {}).get('name')
            if name is not None:
                item['name'] = name
            roles = entry['roles'] if entry['roles'] is not None else (before or {}).get('roles') or None
            if roles is not None and self.provider == BETTER_AUTH:
                item['roles'] = roles
            users.append(dict((k, v) for k, v in item.items() if v is not None))
            summary[item['action']] = summary.get(item['action'], 0) + 1
        self.result['users'] = users
        self.result['summary'] = summary
        self.result['changed'] = any(u['changed'] for u in users)
        if self.params['users'] is None and users:
            self.result['user'] = users[0]
        if self.neon.module._diff:
            self.result['diff'] = self.diff(steps)
        if stopped is not None:
            done = len([u for u in users if u['action'] not in ('skipped', 'duplicate')])
            self.neon.fail('Stopped after %d of %d users, since every further request would fail the same way: %s'
                           % (done, len(users), stopped), api_error=stopped.to_result(), **self.result)
        if failed:
            msg = '%d of %d users failed: %s' % (len(failed), len(users), '; '.join(failed[:LISTED_IN_WARNING]))
            self.neon.fail(msg, **self.result)
        if self.source == API and [u for u in users if u['action'] == 'deleted']:
            self.neon.warn('Without database access a successful delete cannot be told from the delete of a user that '
                           'was already gone; the result counts it as a change.')
        self.neon.exit(**self.result)

    def diff(self, steps):
        before, after = [], []
        for entry, outcome in self.entry_outcomes():
            row = steps.get(entry['pos'], {}).get('before')
            action = outcome['action']
            known = dict(email=row['email'], name=row['name']) if row else dict(email=entry['email'], name=entry['name'])
            if self.provider == BETTER_AUTH:
                known['roles'] = sorted(row['roles']) if row else sorted(entry['roles'] or [])
            if action in ('present', 'updated', 'deleted') or (action == 'failed' and row):
                before.append(dict(known))
            if action in ('present', 'updated', 'created') or (action == 'failed' and row):
                wanted = dict(known)
                if action == 'created':
                    wanted['name'] = entry['name']
                if action in ('updated', 'created') and self.provider == BETTER_AUTH and entry['roles'] is not None:
                    wanted['roles'] = sorted(entry['roles'])
                after.append(wanted)
        return dict(before=dict(users=before), after=dict(users=after))


def main():
    neon = NeonModule(
        dict(
            project_id=dict(type='str', required=True),
            branch_id=dict(type='str'),
            auth_provider=dict(type='str', choices=AUTH_PROVIDERS, default=BETTER_AUTH),
            email=dict(type='str'),
            name=dict(type='str'),
            roles=dict(type='list', elements='str'),
            id=dict(type='str', aliases=['user_id']),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            users=dict(type='list', elements='dict', options=dict(
                email=dict(type='str', required=True),
                name=dict(type='str'),
                roles=dict(type='list', elements='str'),
                state=dict(type='str', choices=['present', 'absent']),
                id=dict(type='str'),
            )),
            existence_check=dict(type='str', choices=['auto', DATABASE, API], default='auto'),
            database_url=dict(type='str', no_log=True),
            database_name=dict(type='str'),
            sync_timeout=dict(type='int', default=10),
        ),
        mutually_exclusive=[('email', 'users'), ('name', 'users'), ('roles', 'users'), ('id', 'users')],
        required_one_of=[('email', 'users')],
    )
    if neon.params['sync_timeout'] < 0:
        neon.fail('sync_timeout must be zero (do not wait) or a positive number of seconds')
    UserRun(neon).run()


if __name__ == '__main__':
    main()
