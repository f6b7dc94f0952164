# Copyright: community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/runtime.yml's action group 'neon' must name exactly the collection's modules.

ansible-test sanity (runtime-metadata) accepts names of modules that do not exist, and nothing notices a module
left out of the group, which silently breaks module_defaults for it.
"""

from __future__ import annotations

import os

import yaml

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
COLLECTION_PREFIX = 'community.neon.'


def module_names() -> set[str]:
    """Names of the modules in plugins/modules (private helpers start with an underscore)."""
    directory = os.path.join(COLLECTION_ROOT, 'plugins', 'modules')
    return {
        name[:-3] for name in os.listdir(directory)
        if name.endswith('.py') and not name.startswith('_')
    }


def action_group_entries() -> list[str]:
    """Entries of the 'neon' action group, short names (a 'metadata' entry extends other groups and is skipped)."""
    with open(os.path.join(COLLECTION_ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        runtime = yaml.safe_load(handle)

    entries = (runtime.get('action_groups') or {}).get('neon') or []
    names = [entry for entry in entries if isinstance(entry, str)]
    return [name[len(COLLECTION_PREFIX):] if name.startswith(COLLECTION_PREFIX) else name for name in names]


def test_action_group_lists_every_module_exactly_once():
    entries = action_group_entries()
    modules = module_names()

    assert modules, 'plugins/modules has no modules'
    duplicates = sorted({name for name in entries if entries.count(name) > 1})
    missing = sorted(modules - set(entries))
    unknown = sorted(set(entries) - modules)

    assert not duplicates, 'action group neon in meta/runtime.yml lists more than once: %s' % ', '.join(duplicates)
    assert not missing, 'modules missing from action group neon in meta/runtime.yml: %s' % ', '.join(missing)
    assert not unknown, 'action group neon in meta/runtime.yml names modules that do not exist: %s' % ', '.join(unknown)
