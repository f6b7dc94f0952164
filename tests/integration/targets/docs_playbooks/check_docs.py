# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Check that the guides quote the tested playbooks exactly: check_docs.py DOCS_DIR [--fix].

A guide quotes a file with a marker line and a fenced block right after it:

    <!-- file: playbooks/setup-auth.yml -->
    ```yaml
    (the file's whole content)
    ```

Every quote must equal its file, every file under DOCS_DIR/playbooks/ must be quoted by some guide, and every
guide-*.md must quote at least one file. Exits 1 and names each problem otherwise. With --fix, the quotes are first
rewritten from the files (for whoever edits a playbook; the test never fixes).
"""

from __future__ import annotations

import glob
import os
import re
import sys

QUOTE = re.compile(r'^<!-- file: (?P<path>\S+) -->\n```[a-z]*\n(?P<body>.*?)^```$', re.MULTILINE | re.DOTALL)


def fix_quotes(docs):
    """Rewrite every quote of every guide from the file it names."""
    def quote_of(match):
        with open(os.path.join(docs, match.group('path')), encoding='utf-8') as handle:
            content = handle.read()
        whole = match.group(0)
        return whole[:match.start('body') - match.start(0)] + content + whole[match.end('body') - match.start(0):]

    for guide in glob.glob(os.path.join(docs, 'guide-*.md')):
        with open(guide, encoding='utf-8') as handle:
            text = handle.read()
        fixed = QUOTE.sub(quote_of, text)
        if fixed != text:
            with open(guide, 'w', encoding='utf-8') as handle:
                handle.write(fixed)


def problems_in(docs):
    problems = []
    quoted = set()
    guides = sorted(glob.glob(os.path.join(docs, 'guide-*.md')))
    if not guides:
        problems.append('no guide-*.md in %s' % docs)
    for guide in guides:
        with open(guide, encoding='utf-8') as handle:
            text = handle.read()
        quotes = list(QUOTE.finditer(text))
        if not quotes:
            problems.append('%s quotes no playbook' % os.path.basename(guide))
        for quote in quotes:
            path = quote.group('path')
            quoted.add(path)
            try:
                with open(os.path.join(docs, path), encoding='utf-8') as handle:
                    content = handle.read()
            except OSError as exc:
                problems.append('%s quotes %s, which cannot be read: %s' % (os.path.basename(guide), path, exc))
                continue
            if quote.group('body') != content:
                problems.append('%s quotes %s, but not as it is: copy the file into the guide again'
                                % (os.path.basename(guide), path))
    for path in sorted(glob.glob(os.path.join(docs, 'playbooks', '**', '*.yml'), recursive=True)):
        relative = os.path.relpath(path, docs)
        if relative not in quoted:
            problems.append('%s is quoted by no guide' % relative)
    return problems


def main(argv):
    if '--fix' in argv[2:]:
        fix_quotes(argv[1])
    problems = problems_in(argv[1])
    for problem in problems:
        print('DOCS: %s' % problem)
    if problems:
        return 1
    print('DOCS: every guide quotes its playbooks as they are')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
