# Copyright: community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for ansible-test's pip bootstrap script (community.neon scripts/setup).

ansible-test bootstraps pip in each virtual environment it creates by running
``~/.ansible/test/cache/get_pip_<X_Y>.py``, which it otherwise downloads from a host that is not reachable here.
scripts/setup copies this file to that name, next to ``pip-<X.Y>-py3-none-any.whl`` downloaded from PyPI.
ansible-test runs it with arguments like ``--disable-pip-version-check pip==25.2 --no-setuptools --no-wheel``;
like get-pip.py it then installs pip, but from that wheel and without asking any index.
"""

from __future__ import annotations

import os
import sys

GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')


def main() -> None:
    """Install the pip wheel stored beside this script into the running interpreter."""
    here = os.path.dirname(os.path.abspath(__file__))
    version = os.path.splitext(os.path.basename(__file__))[0][len('get_pip_'):].replace('_', '.')
    wheel = os.path.join(here, 'pip-%s-py3-none-any.whl' % version)

    if not os.path.isfile(wheel):
        sys.exit('pip bootstrap: %s is missing; run scripts/setup of community.neon again' % wheel)

    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    args = [wheel if arg == 'pip==%s' % version else arg for arg in args]
    packages = [arg for arg in args if not arg.startswith('-')]

    if all(os.path.isfile(package) for package in packages):
        args.insert(0, '--no-index')  # everything asked for is on disk: no network at all

    sys.path.insert(0, wheel)  # pip runs from its own wheel, as get-pip.py does

    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel,import-error

    sys.exit(pip_main(['install', '--upgrade', '--force-reinstall'] + args))


if __name__ == '__main__':
    main()
