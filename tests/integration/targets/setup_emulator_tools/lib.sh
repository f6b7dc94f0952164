# shellcheck shell=bash
# Shared by the runme.sh targets that need/target/setup_emulator_tools; sourced from the target's directory.
#   NEON_CONFIG       ansible-test's copy of integration_config.yml (the emulator's URLs and API key)
#   NEON_COLLECTION   the root of the collection under test
#   emulator CMD...   the emulator's control API and state (emulator.py), with the Python that runs Ansible
#   recap_changed LOG changed= of the PLAY RECAP in an ansible-playbook log; empty unless failed=0
#   check_recap NAME LOG WANT   fails unless changed= is WANT, or at least 1 for WANT=some

NEON_CONFIG=../../integration_config.yml
[[ -f $NEON_CONFIG ]] || { echo "no $NEON_CONFIG: run the tests with scripts/test" >&2; exit 1; }

NEON_COLLECTION=
IFS=: read -r -a _neon_collection_dirs <<<"${ANSIBLE_COLLECTIONS_PATH:?}"
for _neon_dir in "${_neon_collection_dirs[@]}"; do
    if [[ -f $_neon_dir/ansible_collections/community/neon/galaxy.yml ]]; then
        NEON_COLLECTION=$_neon_dir/ansible_collections/community/neon
        break
    fi
done
[[ -n $NEON_COLLECTION ]] || { echo "community.neon is not in ANSIBLE_COLLECTIONS_PATH" >&2; exit 1; }

export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_NOCOLOR=1

emulator() { "${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}" ../setup_emulator_tools/emulator.py "$NEON_CONFIG" "$@"; }

recap_changed() {
    sed -n '/^PLAY RECAP/,$p' "$1" | sed -n -E 's/^localhost +: .*changed=([0-9]+) .*failed=0 .*/\1/p'
}

check_recap() {
    local name=$1 log=$2 want=$3 changed
    changed=$(recap_changed "$log")
    echo "RECAP $name: changed=${changed:-(failed)} (expected $want)"
    [[ -n $changed ]] || return 1
    [[ $changed == "$want" || ($want == some && $changed -gt 0) ]]
}
