# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.community.neon.plugins.module_utils import _envfile
from ansible_collections.community.neon.plugins.module_utils._envfile import (
    EnvFileError,
    check_values,
    parse,
    parse_mode,
    read_variables,
    render,
    render_value,
    set_variables,
    variables,
    write_problem,
)

APP_ENV = (
    '# app settings\n'
    'DATABASE_URL="postgresql://app:p@ss word@ep-x.neon.tech/neondb?sslmode=require"\n'
    '\n'
    'export LOG_LEVEL=debug   # verbose\n'
    "GREETING='hello $USER'\n"
    'NEXT_PUBLIC_STACK_PROJECT_ID=old-project\n'
)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# -- parsing -----------------------------------------------------------------------------------------------------

def test_parse_keeps_the_text_byte_for_byte():
    text = APP_ENV + 'MULTI="line one\nline two"\nTAIL=x'
    assert ''.join(entry.raw for entry in parse(text)) == text


def test_variables_of_every_quoting_style():
    found = variables(APP_ENV)
    assert found == {
        'DATABASE_URL': 'postgresql://app:p@ss word@ep-x.neon.tech/neondb?sslmode=require',
        'LOG_LEVEL': 'debug',
        'GREETING': 'hello $USER',
        'NEXT_PUBLIC_STACK_PROJECT_ID': 'old-project',
    }


def test_double_quotes_span_lines_and_unescape():
    found = variables('PEM="-----BEGIN-----\nabc\n-----END-----"\nA="x\\ny \\"q\\""\nB=after\n')
    assert found['PEM'] == '-----BEGIN-----\nabc\n-----END-----'
    assert found['A'] == 'x\ny "q"'
    assert found['B'] == 'after'


def test_an_unclosed_quote_does_not_swallow_the_following_lines():
    found = variables('A="never closed\nB=2\n')
    assert found['B'] == '2'
    assert found['A'] == '"never closed'


def test_last_assignment_wins_and_comments_are_not_variables():
    found = variables('# X=commented\nX=1\n  X = 2 \n')
    assert found == {'X': '2'}


def test_bare_value_ends_at_a_hash():
    assert variables('A=abc#def\nB=')['A'] == 'abc'
    assert variables('B=\n')['B'] == ''


# -- writing -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, written', [
    ('pck_abc123', 'pck_abc123'),
    ('https://api.stack-auth.com/api/v1/projects/p-1/.well-known/jwks.json',
     'https://api.stack-auth.com/api/v1/projects/p-1/.well-known/jwks.json'),
    ('', ''),
    ('two words', "'two words'"),
    ('has#hash', "'has#hash'"),
    ('cost $5', "'cost $5'"),
    ("it's", '"it\'s"'),
    ('a\nb', '"a\\nb"'),
])
def test_render_value_round_trips(value, written):
    assert render_value(value) == written
    assert variables('X=%s\n' % written)['X'] == value


@pytest.mark.parametrize('value', ['it\'s "quoted"', "it's $HOME", 'back\\slash\nnewline'])
def test_values_no_reader_agrees_on_are_refused(value):
    with pytest.raises(EnvFileError):
        render_value(value)
    assert 'cannot be written' in check_values({'X': value})


def test_check_values_refuses_bad_names_and_non_strings():
    assert 'not a valid' in check_values({'BAD-NAME': 'x'})
    assert 'not a string' in check_values({'X': 5})
    assert check_values({'X': 'fine'}) is None


def test_render_updates_in_place_and_appends_in_order():
    text = render(APP_ENV, {'NEXT_PUBLIC_STACK_PROJECT_ID': 'new-project', 'STACK_SECRET_SERVER_KEY': 'ssk_1',
                            'LOG_LEVEL': 'info'})
    lines = text.splitlines()
    assert lines[0] == '# app settings'
    assert lines[1] == APP_ENV.splitlines()[1]            # DATABASE_URL untouched, quoting kept
    assert lines[3] == 'export LOG_LEVEL=info'            # export kept, comment of the old line dropped with it
    assert lines[5] == 'NEXT_PUBLIC_STACK_PROJECT_ID=new-project'
    assert lines[6] == 'STACK_SECRET_SERVER_KEY=ssk_1'
    assert text.endswith('\n')


def test_render_keeps_an_equal_value_as_written():
    text = 'A="same"\n'
    assert render(text, {'A': 'same'}) == text


def test_render_rewrites_every_repeat_of_a_name():
    assert render('A=1\nB=x\nA=2\n', {'A': '3'}) == 'A=3\nB=x\nA=3\n'


def test_render_adds_a_newline_before_appending_to_a_file_without_one():
    assert render('A=1', {'B': '2'}) == 'A=1\nB=2\n'


def test_render_keeps_crlf_line_ends():
    assert render('A=1\r\nB=2\r\n', {'A': '9'}) == 'A=9\r\nB=2\r\n'


# -- modes -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, mode', [('0600', 0o600), ('640', 0o640), ('0755', 0o755), (0o600, 0o600), (384, 0o600)])
def test_parse_mode(value, mode):
    assert parse_mode(value) == mode


@pytest.mark.parametrize('value', ['u=rw', '0800', '06', '', None, True, -1, 0o10000, 'rw-------', 644, 600, 640])
def test_parse_mode_refuses(value):
    assert parse_mode(value) is None


# -- the file ----------------------------------------------------------------------------------------------------

def test_creates_the_file_with_mode_0600(tmp_path):
    path = str(tmp_path / '.env')
    update = set_variables(path, {'A': '1', 'B': 'two words'})
    assert update.changed and not update.existed
    assert update.changed_names == ['A', 'B']
    with open(path) as handle:
        assert handle.read() == "A=1\nB='two words'\n"
    assert mode_of(path) == 0o600
    assert read_variables(path) == {'A': '1', 'B': 'two words'}


def test_read_variables_of_a_missing_file_is_none(tmp_path):
    assert read_variables(str(tmp_path / 'nothing')) is None


def test_keeps_other_lines_and_is_idempotent(tmp_path):
    path = tmp_path / '.env'
    path.write_text(APP_ENV)
    os.chmod(str(path), 0o600)
    update = set_variables(str(path), {'NEXT_PUBLIC_STACK_PROJECT_ID': 'p-1', 'STACK_SECRET_SERVER_KEY': 'ssk_1'})
    assert update.changed
    text = path.read_text()
    assert text.startswith(APP_ENV.replace('old-project', 'p-1'))
    again = set_variables(str(path), {'NEXT_PUBLIC_STACK_PROJECT_ID': 'p-1', 'STACK_SECRET_SERVER_KEY': 'ssk_1'})
    assert not again.changed
    assert path.read_text() == text


def test_a_different_mode_alone_is_a_change(tmp_path):
    path = tmp_path / '.env'
    path.write_text('A=1\n')
    os.chmod(str(path), 0o644)
    update = set_variables(str(path), {'A': '1'}, mode=0o600)
    assert update.changed and update.mode_changed and update.changed_names == []
    assert mode_of(str(path)) == 0o600
    assert path.read_text() == 'A=1\n'


def test_replacing_sets_the_mode_before_the_content_is_visible(tmp_path):
    """A world-readable old file must not pass its mode to the new content (atomic_move would)."""
    path = tmp_path / '.env'
    path.write_text('A=1\n')
    os.chmod(str(path), 0o644)
    set_variables(str(path), {'SECRET': 's3cr3t'}, mode=0o640)
    assert mode_of(str(path)) == 0o640


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / '.env'
    path.write_text('A=1\n')
    os.chmod(str(path), 0o644)
    update = set_variables(str(path), {'A': '2'}, check_mode=True)
    assert update.changed and update.changed_names == ['A'] and update.mode_changed
    assert path.read_text() == 'A=1\n'
    assert mode_of(str(path)) == 0o644
    assert not set_variables(str(tmp_path / 'new'), {'A': '1'}, check_mode=True).existed
    assert not (tmp_path / 'new').exists()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / '.env'
    path.write_text('A=1\n')

    def broken_rename(src, dst):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(_envfile.os, 'rename', broken_rename)
    with pytest.raises(EnvFileError) as caught:
        set_variables(str(path), {'A': '2'})
    assert 'old file is unchanged' in str(caught.value)
    assert path.read_text() == 'A=1\n'
    assert sorted(os.listdir(str(tmp_path))) == ['.env']


def test_a_symbolic_link_is_followed_and_kept(tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    target = shared / '.env'
    target.write_text('A=1\n')
    link = tmp_path / '.env'
    link.symlink_to(target)
    set_variables(str(link), {'B': '2'})
    assert link.is_symlink()
    assert target.read_text() == 'A=1\nB=2\n'


@pytest.mark.skipif(os.geteuid() != 0, reason='only root can give a file to another user')
def test_replacing_keeps_owner_and_group(tmp_path):
    path = tmp_path / '.env'
    path.write_text('A=1\n')
    os.chown(str(path), 4321, 4322)
    set_variables(str(path), {'A': '2'})
    assert (os.stat(str(path)).st_uid, os.stat(str(path)).st_gid) == (4321, 4322)
    assert mode_of(str(path)) == 0o600


def test_refuses_unwritable_values_before_touching_the_file(tmp_path):
    path = tmp_path / '.env'
    with pytest.raises(EnvFileError):
        set_variables(str(path), {'A': 'it\'s "both"'})
    assert not path.exists()


def test_write_problem(tmp_path):
    assert write_problem(str(tmp_path / '.env')) is None
    assert 'does not exist' in write_problem(str(tmp_path / 'missing' / '.env'))
    assert 'is a directory' in write_problem(str(tmp_path))
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    assert 'not a regular file' in write_problem(str(fifo))


@pytest.mark.skipif(os.geteuid() == 0, reason='root can write anywhere')
def test_write_problem_of_a_read_only_directory(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir()
    os.chmod(str(locked), 0o500)
    try:
        assert 'not writable' in write_problem(str(locked / '.env'))
    finally:
        os.chmod(str(locked), 0o700)


def test_diff_masks_values_and_marks_changes(tmp_path):
    path = tmp_path / '.env'
    path.write_text('A=secret-old\nB=same\nOTHER=private\n')
    os.chmod(str(path), 0o644)
    update = set_variables(str(path), {'A': 'secret-new', 'B': 'same', 'C': 'added'})
    diff = update.diff()
    assert diff['before'] == '# mode 0644\nA=********\nB=********\n'
    assert diff['after'] == '# mode 0600\nA=******** (new value)\nB=********\nC=******** (new value)\n'
    text = str(diff)
    for secret in ('secret-old', 'secret-new', 'same', 'added', 'private', 'OTHER'):
        assert secret not in text
