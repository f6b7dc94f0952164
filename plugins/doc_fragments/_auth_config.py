# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the community.neon collection. It may change without notice.

from __future__ import annotations


class ModuleDocFragment(object):

    # The branch options of the Neon Auth configuration modules.
    DOCUMENTATION = r'''
options:
  project_id:
    description: The Neon project id, for example V(winter-sound-12345678).
    type: str
    required: true
  branch_id:
    description:
      - The branch whose Neon Auth configuration is managed; each branch has its own.
      - When omitted, the project's default branch is used; RV(branch_id) and RV(branch_chosen) tell which.
    type: str
notes:
  - Neon Auth must be enabled on the branch with O(community.neon.neon_auth_integration#module:auth_provider=better_auth)
    first; otherwise the task fails with a message saying so. These modules never enable it.
  - Only the branch-scoped (Better Auth) API is supported; the legacy Stack Auth configuration endpoints are not.
'''
