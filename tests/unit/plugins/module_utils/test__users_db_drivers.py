# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The PostgreSQL drivers are imported only when needed, and only up to the first one that imports."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from ansible_collections.community.neon.plugins.module_utils import _users_db


@pytest.fixture
def fake_drivers(monkeypatch):
    """Drivers that 'import' unless listed in missing; records every import attempt."""
    state = dict(imported=[], missing=set())

    def import_module(name):
        state['imported'].append(name)
        if name in state['missing']:
            raise ImportError('No module named %r' % name)
        return types.SimpleNamespace(connect=lambda *args, **kwargs: dict(driver=name, args=args, kwargs=kwargs))

    monkeypatch.setattr(_users_db.importlib, 'import_module', import_module)
    monkeypatch.setattr(_users_db, '_loaded_drivers', {})
    return state


def test_find_driver_imports_only_up_to_the_first_that_works(fake_drivers):
    fake_drivers['missing'].add('psycopg')
    assert _users_db.find_driver() == 'psycopg2'
    assert fake_drivers['imported'] == ['psycopg', 'psycopg2']


def test_find_driver_imports_each_driver_once(fake_drivers):
    assert _users_db.find_driver() == 'psycopg'
    assert _users_db.find_driver() == 'psycopg'
    assert fake_drivers['imported'] == ['psycopg']


def test_find_driver_without_any_driver(fake_drivers):
    fake_drivers['missing'].update(['psycopg', 'psycopg2', 'pg8000.dbapi'])
    assert _users_db.find_driver() is None
    assert fake_drivers['imported'] == ['psycopg', 'psycopg2', 'pg8000.dbapi']


def test_connect_uses_the_named_driver(fake_drivers):
    connection = _users_db.connect('pg8000', 'postgresql://user:secret@db.example.com:5433/neondb', 7)
    assert connection['driver'] == 'pg8000.dbapi'
    assert connection['kwargs']['host'] == 'db.example.com' and connection['kwargs']['port'] == 5433
    assert fake_drivers['imported'] == ['pg8000.dbapi']


@pytest.mark.parametrize('driver', ['psycopg', 'nosuchdriver'])
def test_connect_without_that_driver_fails_clearly(fake_drivers, driver):
    fake_drivers['missing'].add('psycopg')
    with pytest.raises(ValueError, match='not installed'):
        _users_db.connect(driver, 'postgresql://user@db.example.com/neondb', 7)


def test_importing_the_module_util_loads_no_driver():
    code = ('import sys; import ansible_collections.community.neon.plugins.module_utils._users_db; '
            'print(sorted(m for m in ("psycopg", "psycopg2", "pg8000") if m in sys.modules))')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    output = subprocess.check_output([sys.executable, '-c', code], env=env, text=True)
    assert output.strip() == '[]'
