# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared by scripts/setup, scripts/test and scripts/demo. Sourcing it only defines variables and functions.
# Functions return non-zero on failure (they never exit), so an interactive shell that sources it survives.

NEON_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NEON_VENV=$NEON_ROOT/.venv
NEON_VENV_OLDEST=$NEON_ROOT/.venv-oldest
NEON_BUILD=${NEON_BUILD:-$NEON_ROOT/.build}   # set NEON_BUILD to run several test runs side by side
NEON_COLLECTIONS_DIR=$NEON_BUILD/collections            # ANSIBLE_COLLECTIONS_PATH of the build copy used with .venv
NEON_COPY=$NEON_COLLECTIONS_DIR/ansible_collections/community/neon
NEON_COLLECTIONS_DIR_OLDEST=$NEON_BUILD/collections-oldest   # a second copy for .venv-oldest (its own ansible-test venvs)
NEON_COPY_OLDEST=$NEON_COLLECTIONS_DIR_OLDEST/ansible_collections/community/neon
NEON_PYBIN=$NEON_BUILD/pybin                            # real pythonX.Y links for ansible-test (never pyenv shims)
NEON_DEVTOOL=$NEON_ROOT/scripts/lib/devtool.py
NEON_ANSIBLE_TEST_CACHE=$HOME/.ansible/test/cache       # where ansible-test looks for get_pip_<X_Y>.py

# ansible-core per controller Python: 2.20+ needs Python >= 3.12; requires_ansible is >= 2.18.
NEON_CORE_PIN_MODERN='2.21.*'   # controller Python 3.12+
NEON_CORE_PIN_PY311='2.19.*'    # newest ansible-core a Python 3.11 controller can run
NEON_CORE_PIN_OLDEST='2.18.*'   # oldest supported ansible-core (meta/runtime.yml requires_ansible)
NEON_MODULE_PYTHONS='3.9 3.10 3.11 3.12 3.13 3.14'   # module-side Pythons ansible-test may use, when present

neon_header() { printf '\n========== %s ==========\n' "$*"; }
neon_info() { printf '%s\n' "$*"; }
neon_error() { printf 'ERROR: %s\n' "$*" >&2; }

neon_pyenv_root() {
    # `pyenv root` is the pyenv script itself, not a shim; fall back to the usual location.
    if command -v pyenv >/dev/null 2>&1; then
        pyenv root 2>/dev/null && return 0
    fi
    printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"
}

# Is $1 a real interpreter of version $2 (X.Y) with venv support? pyenv shims are shell scripts that run
# whatever version is active, so only an ELF file counts.
neon_is_real_python() {
    local candidate=$1 version=$2 real magic
    [[ -x $candidate && ! -d $candidate ]] || return 1
    real=$(readlink -f -- "$candidate") || return 1
    [[ $real == */shims/* ]] && return 1
    magic=$(head -c 4 -- "$real" 2>/dev/null | od -An -c | tr -d ' \n')
    [[ $magic == '177ELF' ]] || return 1
    [[ $("$candidate" -c 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) == "$version" ]]
}

# Print the path of a real pythonX.Y: first from PATH (skipping shim directories), then pyenv's versions (newest patch).
neon_find_python() {
    local version=$1 dir candidate root
    local -a path_dirs
    IFS=: read -r -a path_dirs <<<"$PATH"
    for dir in "${path_dirs[@]}"; do
        [[ -z $dir || $dir == *shims* ]] && continue
        candidate=$dir/python$version
        if neon_is_real_python "$candidate" "$version"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    root=$(neon_pyenv_root)
    if [[ -d $root/versions ]]; then
        while IFS= read -r candidate; do
            if neon_is_real_python "$candidate" "$version"; then
                printf '%s\n' "$candidate"
                return 0
            fi
        done < <(find "$root/versions" -mindepth 3 -maxdepth 3 -path "*/versions/$version*/bin/python$version" 2>/dev/null | sort -rV)
    fi
    return 1
}

# Controller Python for .venv: NEON_PYTHON if set, else the first real 3.12/3.13/3.14, else 3.11.
neon_pick_main_python() {
    local version
    if [[ -n ${NEON_PYTHON:-} ]]; then
        printf '%s\n' "$NEON_PYTHON"
        return 0
    fi
    for version in 3.12 3.13 3.14 3.11; do
        neon_find_python "$version" && return 0
    done
    neon_error "no real Python 3.11-3.14 found on PATH or in $(neon_pyenv_root)/versions (pyenv shims are not used)"
    return 1
}

# Python for .venv-oldest (ansible-core 2.18 runs on 3.11-3.13): NEON_PYTHON_OLDEST if set, else the oldest found.
neon_pick_oldest_python() {
    local version
    if [[ -n ${NEON_PYTHON_OLDEST:-} ]]; then
        printf '%s\n' "$NEON_PYTHON_OLDEST"
        return 0
    fi
    for version in 3.11 3.12 3.13; do
        neon_find_python "$version" && return 0
    done
    neon_error "no real Python 3.11-3.13 found for the oldest ansible-core ($NEON_CORE_PIN_OLDEST)"
    return 1
}

neon_python_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

# neon_ensure_venv DIR PYTHON CORE_PIN REQUIREMENT_FILE...
# Creates or updates DIR. Skips pip entirely when the stamp (interpreter + pin + requirement files) matches.
neon_ensure_venv() {
    local dir=$1 python=$2 pin=$3
    shift 3
    local stamp=$dir/.neon-setup-stamp interpreter want_env want_reqs have_env='' have_reqs='' file
    local -a req_args=()
    interpreter="$(readlink -f -- "$python") $("$python" -c 'import sys; print(sys.version.split()[0])')"
    want_env="interpreter: $interpreter"
    want_reqs="requirements: $({ printf 'ansible-core==%s\n' "$pin"; for file in "$@"; do printf '# %s\n' "${file#"$NEON_ROOT"/}"; cat "$file"; done; } | sha256sum | cut -d' ' -f1)"
    if [[ -f $stamp ]]; then
        have_env=$(sed -n 1p "$stamp")
        have_reqs=$(sed -n 2p "$stamp")
    fi
    if [[ $have_env == "$want_env" && $have_reqs == "$want_reqs" && -x $dir/bin/python ]] && "$dir/bin/python" -c '' 2>/dev/null; then
        neon_info "${dir#"$NEON_ROOT"/}: up to date ($(neon_python_version "$dir/bin/python"), ansible-core $("$dir/bin/python" -c 'from ansible.release import __version__; print(__version__)'))"
        return 0
    fi
    if [[ $have_env != "$want_env" || ! -x $dir/bin/python ]]; then
        neon_info "${dir#"$NEON_ROOT"/}: creating with $python ($interpreter)"
        rm -rf -- "$dir"
        "$python" -m venv "$dir" || { neon_error "python -m venv $dir failed"; return 1; }
        "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip || { neon_error "pip upgrade in $dir failed"; return 1; }
    else
        neon_info "${dir#"$NEON_ROOT"/}: requirements changed, updating"
    fi
    for file in "$@"; do
        req_args+=(-r "$file")
    done
    neon_info "${dir#"$NEON_ROOT"/}: pip install ansible-core==$pin ${*#"$NEON_ROOT"/}"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "ansible-core==$pin" "${req_args[@]}" \
        || { neon_error "pip install into $dir failed"; return 1; }
    printf '%s\n%s\n' "$want_env" "$want_reqs" >"$stamp"
    neon_info "${dir#"$NEON_ROOT"/}: ready ($(neon_python_version "$dir/bin/python"), ansible-core $("$dir/bin/python" -c 'from ansible.release import __version__; print(__version__)'))"
}

# ansible-test bootstraps pip in every venv it makes with a get-pip script from ci-files.testing.ansible.com, cached
# as ~/.ansible/test/cache/get_pip_<X_Y>.py. That host is not reachable here, so seed the cache with a stand-in
# (scripts/lib/ansible_test_get_pip.py) that installs the pip wheel downloaded from PyPI beside it.
neon_seed_pip_bootstrap() {
    local venv=$1 version script wheel
    local -a versions
    mapfile -t versions < <("$venv/bin/python" "$NEON_DEVTOOL" ansible-test-pip-versions) || return 1
    if [[ ${#versions[@]} -eq 0 ]]; then
        neon_error "could not read the pip version ansible-test bootstraps in $venv"
        return 1
    fi
    mkdir -p "$NEON_ANSIBLE_TEST_CACHE"
    for version in "${versions[@]}"; do
        script=$NEON_ANSIBLE_TEST_CACHE/get_pip_${version//./_}.py
        wheel=$NEON_ANSIBLE_TEST_CACHE/pip-$version-py3-none-any.whl
        if [[ ! -f $wheel ]]; then
            "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
                -d "$NEON_ANSIBLE_TEST_CACHE" "pip==$version" || { neon_error "pip download pip==$version failed"; return 1; }
        fi
        if [[ ! -f $script ]] || ! cmp -s "$NEON_ROOT/scripts/lib/ansible_test_get_pip.py" "$script"; then
            if [[ -f $script ]] && ! grep -q 'community.neon' "$script"; then
                neon_info "ansible-test pip bootstrap $version: keeping existing $script"
                continue
            fi
            cp "$NEON_ROOT/scripts/lib/ansible_test_get_pip.py" "$script"
        fi
        neon_info "ansible-test pip bootstrap $version: $script (from PyPI's pip $version wheel)"
    done
}

# A directory with one real pythonX.Y per available module-side version, put first on PATH for ansible-test.
neon_make_pybin() {
    local version python found=()
    rm -rf -- "$NEON_PYBIN"
    mkdir -p "$NEON_PYBIN"
    for version in $NEON_MODULE_PYTHONS; do
        if python=$(neon_find_python "$version"); then
            ln -s "$(readlink -f -- "$python")" "$NEON_PYBIN/python$version"
            found+=("$version")
        fi
    done
    neon_info "Pythons for ansible-test: ${found[*]:-none} (links in ${NEON_PYBIN#"$NEON_ROOT"/})"
}

# PATH for ansible-test: real interpreters first, the venv next, and no pyenv shim directory at all (a shim for an
# inactive version looks like an available Python to ansible-test and then fails).
neon_test_path() {
    local venv=$1 dir result
    result="$NEON_PYBIN:$venv/bin"
    local -a path_dirs
    IFS=: read -r -a path_dirs <<<"$PATH"
    for dir in "${path_dirs[@]}"; do
        [[ -z $dir || $dir == *shims* || $dir == "$venv/bin" || $dir == "$NEON_PYBIN" ]] && continue
        result+=":$dir"
    done
    printf '%s\n' "$result"
}

# neon_build_copy VENV DEST: fresh copy of the collection (git-tracked and untracked-not-ignored files) at DEST, as
# ansible-test and the collection loader need the ansible_collections/community/neon layout. ansible-test's venvs
# in the copy are kept while VENV's stamp and the interpreters in .build/pybin stay the same.
neon_build_copy() {
    local venv=$1 dest=$2 key link
    key=$(cat "$venv/.neon-setup-stamp" 2>/dev/null)
    for link in "$NEON_PYBIN"/python*; do
        key+=" $link=$(readlink "$link")"
    done
    "$NEON_VENV/bin/python" "$NEON_DEVTOOL" copy-collection "$NEON_ROOT" "$dest" "$key"
}

neon_emulator_present() { [[ -f $NEON_ROOT/tests/emulator/run_emulator.py ]]; }

# neon_emulator_start LOG_PREFIX: starts tests/emulator/run_emulator.py on a free port with a fresh random API key.
# Sets NEON_EMULATOR_PID, NEON_API_ENDPOINT (http://127.0.0.1:PORT/api/v2), NEON_EMULATOR_URL, NEON_API_KEY, and exports
# NEON_EMULATOR_LOGS (its stdout and stderr files, ':'-separated: the secrets_no_leak target searches them).
# --log-requests: one line per request on its stderr (request line and status only, never bodies or headers).
# The caller must trap EXIT and call neon_emulator_stop.
neon_emulator_start() {
    local log_prefix=$1 waited=0 first_line=''
    NEON_API_KEY=$("$NEON_VENV/bin/python" -c 'import secrets; print("emu_" + secrets.token_hex(20))')
    : >"$log_prefix.out"
    : >"$log_prefix.err"
    # own session/process group, so a hung emulator and its PostgreSQL children can be stopped together
    NEON_EMULATOR_API_KEY=$NEON_API_KEY setsid "$NEON_VENV/bin/python" "$NEON_ROOT/tests/emulator/run_emulator.py" --port 0 \
        --log-requests >"$log_prefix.out" 2>"$log_prefix.err" </dev/null &
    NEON_EMULATOR_PID=$!
    while ((waited < 1200)); do   # 0.1 s steps, up to 120 s (a cold embedded PostgreSQL initdb is the slow part)
        first_line=$(head -n 1 "$log_prefix.out" 2>/dev/null)
        if [[ $first_line =~ ^http://127\.0\.0\.1:[0-9]+/api/v2$ ]]; then
            NEON_API_ENDPOINT=$first_line
            NEON_EMULATOR_URL=${first_line%/api/v2}
            NEON_EMULATOR_LOGS=$log_prefix.out:$log_prefix.err
            export NEON_EMULATOR_LOGS
            neon_info "emulator: $NEON_API_ENDPOINT (pid $NEON_EMULATOR_PID, logs $log_prefix.{out,err})"
            return 0
        fi
        if ! kill -0 "$NEON_EMULATOR_PID" 2>/dev/null; then
            neon_error "the emulator exited before printing its base URL; last lines of its stderr:"
            tail -n 30 "$log_prefix.err" >&2
            NEON_EMULATOR_PID=
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    neon_error "the emulator printed no base URL within 120 s (first line: '${first_line}')"
    tail -n 30 "$log_prefix.err" >&2
    return 1
}

# Stops the emulator started above: SIGTERM (it stops its PostgreSQL), then the whole process group if needed.
neon_emulator_stop() {
    local pid=${NEON_EMULATOR_PID:-} waited=0
    [[ -n $pid ]] || return 0
    NEON_EMULATOR_PID=
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        while kill -0 "$pid" 2>/dev/null && ((waited < 150)); do
            sleep 0.1
            waited=$((waited + 1))
        done
    fi
    if kill -0 -- "-$pid" 2>/dev/null; then
        neon_info "emulator: process group $pid still alive after SIGTERM, stopping it"
        kill -INT -- "-$pid" 2>/dev/null
        sleep 3
        kill -KILL -- "-$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    neon_info "emulator: stopped"
    return 0
}

# neon_setup [--all|--main-only]: everything both commands need (--all, the default), or only .venv. Safe to run again: fast when nothing changed.
# Serialised with a lock, so ./scripts/demo and ./scripts/test started together do not build the same venv twice.
neon_setup() {
    mkdir -p "$NEON_BUILD"
    (
        flock 9
        _neon_setup_locked "$@"
    ) 9>"$NEON_BUILD/setup.lock"
}

_neon_setup_locked() {
    local main_only=0 main_python oldest_python main_pin started=$SECONDS
    case ${1:---all} in
        --all) ;;
        --main-only) main_only=1 ;;
        *) neon_error "neon_setup: unknown option $1 (use --all or --main-only)"; return 2 ;;
    esac
    main_python=$(neon_pick_main_python) || return 1
    if [[ $(neon_python_version "$main_python") == 3.11 ]]; then
        main_pin=$NEON_CORE_PIN_PY311
        neon_info "NOTE: no Python 3.12+ found; .venv uses $main_python with ansible-core $main_pin"
    else
        main_pin=$NEON_CORE_PIN_MODERN
    fi
    neon_ensure_venv "$NEON_VENV" "$main_python" "$main_pin" \
        "$NEON_ROOT/requirements/runtime.txt" "$NEON_ROOT/requirements/emulator.txt" "$NEON_ROOT/requirements/test.txt" || return 1
    if ((main_only == 0)); then
        oldest_python=$(neon_pick_oldest_python) || return 1
        neon_ensure_venv "$NEON_VENV_OLDEST" "$oldest_python" "$NEON_CORE_PIN_OLDEST" \
            "$NEON_ROOT/requirements/runtime.txt" "$NEON_ROOT/requirements/oldest.txt" || return 1
        neon_seed_pip_bootstrap "$NEON_VENV" || return 1
        neon_seed_pip_bootstrap "$NEON_VENV_OLDEST" || return 1
        neon_make_pybin
    fi
    neon_info "setup done in $((SECONDS - started)) s"
}
