#!/usr/bin/env bash
# Secrets never leak: every module and the role run at -vvv with known secrets (playbook leak.yml), then against a
# failing API (failing.yml: wrong key, 500s, faults, a broken database URL). files/check_leaks.py then searches both
# outputs (stdout and stderr) and the emulator's log for every secret, raw, base64 and URL-encoded.
# The variables (neon_api_key, neon_emulator_url, neon_emulator_logs...) come from tests/integration/
# integration_config.yml, which ansible-test copies next to the targets but gives only to role targets.
set -euo pipefail

config=../../integration_config.yml
if [[ ! -f $config ]]; then
    echo "$config is missing: run this target through scripts/test, which writes it"
    exit 1
fi

workdir=$(mktemp -d)
trap 'rm -rf -- "$workdir"' EXIT
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

run() {
    local name=$1
    shift
    if ! ansible-playbook -vvv -i localhost, -c local -e "workdir=$workdir" "$@" >"$workdir/$name.out" 2>"$workdir/$name.err"; then
        echo "playbook $name failed; its last lines:"
        tail -n 60 "$workdir/$name.out" "$workdir/$name.err"
        exit 1
    fi
    echo "playbook $name: ok ($(wc -l <"$workdir/$name.out") lines of -vvv output)"
}

run leak leak.yml -e "@$config" "$@"
run failing failing.yml -e "@$config" "$@"

python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
"$python" files/check_leaks.py "$workdir" "$workdir"/leak.out "$workdir"/leak.err "$workdir"/failing.out "$workdir"/failing.err
