# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This doc fragment is PRIVATE to the community.neon collection. It may change without notice.

from __future__ import annotations


class ModuleDocFragment(object):

    # The connection options every module shares.
    DOCUMENTATION = r'''
options:
  api_key:
    description:
      - A Neon API key (personal, organization or project-scoped).
      - If not set, the value of the E(NEON_API_KEY) environment variable is used. One of the two is required;
        a missing key fails before any request is made.
      - Never printed; set it once for many tasks with C(module_defaults) and C(group/community.neon.neon).
    type: str
  api_endpoint:
    description:
      - Base URL of the Neon management API.
      - If not set, the value of the E(NEON_API_ENDPOINT) environment variable is used, else V(https://console.neon.tech/api/v2).
      - Plain C(http://) is accepted only for a loopback host (the local Neon emulator), so the key never travels unencrypted.
    type: str
    default: https://console.neon.tech/api/v2
  api_timeout:
    description:
      - Seconds to wait for one answer of the API before the request counts as failed (and is retried if that is safe).
      - If not set, the value of the E(NEON_API_TIMEOUT) environment variable is used.
    type: int
    default: 30
  api_retry_budget:
    description:
      - Total seconds a request may spend being retried when the project is locked (HTTP 423), the API rate-limits
        (HTTP 429, honouring C(Retry-After)), a proxy fails (HTTP 502, 503, 504) or the connection breaks.
      - Retries use exponential backoff with jitter. When the budget is spent the task fails and says what it waited for.
      - A write that may have been applied (a 5xx answer, a timeout, a dropped connection) is never repeated blindly;
        the module reads the state first.
      - V(0) disables retries. If not set, the value of the E(NEON_API_RETRY_BUDGET) environment variable is used.
    type: int
    default: 60
  validate_certs:
    description:
      - Whether to check the API's TLS certificate. Turning it off prints a warning.
    type: bool
    default: true
requirements:
  - requests
notes:
  - All requests go to the Neon management API from the host the task runs on; usually that is C(localhost), with
    C(ansible_python_interpreter) set to C({{ ansible_playbook_python }}).
'''

    ACTIONGROUP = r'''
attributes:
  action_group:
    description: Use C(group/community.neon.neon) in C(module_defaults) to set the connection options once for all modules.
    support: full
    membership:
      - community.neon.neon
'''

    ATTRIBUTES_INFO = r'''
attributes:
  check_mode:
    description: The module only reads and runs normally in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: N/A
'''
